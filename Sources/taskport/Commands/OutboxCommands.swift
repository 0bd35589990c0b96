import ArgumentParser
import Foundation
import TaskportCore

struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Inspect the outbox and retry dead messages.", subcommands: [List.self, Retry.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List messages: id, state, attempts, channel, recipient, event, last error.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "pending, sent or dead; all when absent.") var state: String?

        func run() async throws {
            var filter: OutboxState?
            if let state {
                guard let parsed = OutboxState(rawValue: state) else { throw ValidationError("state must be pending, sent or dead") }
                filter = parsed
            }
            let (database, tenantID) = try await tenant.open(store)
            for entry in try await database.outboxMessages(in: tenantID, state: filter, limit: 1000) {
                let message = entry.message
                print([message.id.uuidString.lowercased(), entry.state.rawValue, String(entry.attempts), message.channel.rawValue,
                       message.recipient, message.event, entry.lastError ?? ""].joined(separator: "\t"))
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a dead or pending message due now, with a fresh count of attempts.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Argument(help: "The message's id.") var id: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let messageID = UUID(uuidString: id),
                try await database.retryMessage(messageID, in: tenantID, at: .now())
            else { throw ValidationError("No pending or dead message \(id) in this tenant") }
            print("due again")
        }
    }
}
