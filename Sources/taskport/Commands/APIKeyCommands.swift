import ArgumentParser
import Foundation
import TaskportCore

struct APIKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey", abstract: "Manage API keys.", subcommands: [Create.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key for a user. The key is printed once and stored only as a hash.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The email of the user the key acts as.") var email: String
        @Option(help: "A label for the key.") var name: String = "cli"

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let user = try await database.user(email: email, in: tenantID) else { throw ValidationError("No user '\(email)'") }
            let key = APIKeySecret.generate()
            try await database.addAPIKey(key, named: name, for: user.id, in: tenantID)
            print("id:  \(key.id.lowercasedText)")
            print("key: \(key.plaintext)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key by its id.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Argument(help: "The key's id.") var id: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let keyID = UUID(text: id) else { throw ValidationError("'\(id)' is not a key id") }
            guard try await database.revokeAPIKey(keyID, in: tenantID) else {
                throw ValidationError("No live key \(id) in tenant '\(tenant.tenant)'")
            }
            print("revoked \(id)")
        }
    }
}
