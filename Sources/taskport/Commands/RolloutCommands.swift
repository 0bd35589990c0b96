import ArgumentParser
import Foundation
import TaskportCore
import TaskportServer

struct RolloutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout", abstract: "Credentials for Rollout clients.", subcommands: [Token.self, Revoke.self]
    )

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a Rollout credential by its id (the X-Rollout-Credential-Id): every call naming it is refused from then on."
        )
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Argument(help: "The credential's id.") var id: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let credentialID = UUID(text: id) else { throw ValidationError("'\(id)' is not a credential id") }
            guard try await RolloutCredentials.revoke(credentialID, in: tenantID, of: database) else {
                throw ValidationError("No live Rollout credential \(id) in tenant '\(tenant.tenant)'")
            }
            print("revoked \(id)")
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a Rollout credential and a signed token for a user: the Authorization bearer and X-Rollout-Credential-Id a client sends."
        )
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The email of the user the token acts as.") var email: String
        @Option(help: "How many days the token is valid.") var days: Int = 30
        @Option(help: "A label for the credential.") var name: String = "cli"

        func run() async throws {
            guard days > 0 else { throw ValidationError("--days must be positive") }
            let (database, tenantID) = try await tenant.open(store)
            guard let user = try await database.user(email: email, in: tenantID) else { throw ValidationError("No user '\(email)'") }
            let minted = try await RolloutCredentials.mint(
                for: Principal(tenantID: tenantID, user: user), in: database, lifetime: TimeInterval(days) * 86_400, credentialName: name
            )
            print("Authorization: Bearer \(minted.token)")
            print("X-Rollout-Credential-Id: \(minted.credential.id.lowercasedText)")
        }
    }
}
