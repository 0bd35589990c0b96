import ArgumentParser
import Foundation
import TaskportCore

struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Manage the endpoints a tenant's task events are posted to.",
        subcommands: [Create.self, List.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an endpoint; prints its id and signing secret (shown once).")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "An absolute http or https URL.") var url: String
        @Option(help: "The signing secret (16 to 200 characters); a random one when absent.") var secret: String?

        func run() async throws {
            guard let parsed = URL(string: url), parsed.isWebEndpoint else { throw ValidationError("'\(url)' is not an http or https URL") }
            if let secret, !(16...200).contains(secret.count) { throw ValidationError("The secret must be 16 to 200 characters") }
            let (database, tenantID) = try await tenant.open(store)
            let webhook = try await database.createWebhook(
                url: url, secret: secret ?? APIKeySecret.generate(prefix: "whsec_").plaintext, in: tenantID
            )
            print("\(webhook.id.lowercasedText)\t\(webhook.url)\t\(webhook.secret)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's endpoints.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            for webhook in try await database.webhooks(in: tenantID) {
                print("\(webhook.id.lowercasedText)\t\(webhook.url)")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop posting to an endpoint.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Argument(help: "The webhook's id.") var id: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let webhookID = UUID(text: id), try await database.deleteWebhook(webhookID, in: tenantID) else {
                throw ValidationError("No webhook \(id) in this tenant")
            }
            print("deleted")
        }
    }
}
