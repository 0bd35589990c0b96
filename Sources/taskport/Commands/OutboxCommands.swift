import ArgumentParser
import Foundation
import TaskportCore

struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Inspect the outbox and retry dead messages.", subcommands: [List.self, Retry.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List messages, oldest first: id, state, attempts, channel, recipient, event, last error."
        )
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "pending, sent or dead; all when absent.") var state: String?
        @Option(help: "email or webhook; both when absent.") var channel: String?
        @Option(help: "Only messages about this task, by its UUID or number.") var task: String?
        @Option(help: "At most this many; every matching message when absent.") var limit: Int?

        func run() async throws {
            var query = OutboxQuery(limit: 500)
            if let state {
                guard let parsed = OutboxState(rawValue: state) else { throw ValidationError("state must be pending, sent or dead") }
                query.state = parsed
            }
            if let channel {
                guard let parsed = OutboxMessage.Channel(rawValue: channel) else { throw ValidationError("channel must be email or webhook") }
                query.channel = parsed
            }
            if let limit, limit < 1 { throw ValidationError("limit must be at least 1") }
            let (database, tenantID) = try await tenant.open(store)
            if let task {
                guard let reference = TaskReference(task), let found = try await database.task(reference, in: tenantID) else {
                    throw ValidationError("No task '\(task)'")
                }
                query.taskID = found.id
            }
            var remaining = limit ?? Int.max
            // Page by page, so that a large outbox is listed whole without being held in memory.
            while remaining > 0 {
                query.limit = min(500, remaining)
                let page = try await database.outboxMessages(in: tenantID, matching: query)
                for entry in page {
                    let message = entry.message
                    print([message.id.lowercasedText, entry.state.rawValue, String(entry.attempts), message.channel.rawValue,
                           message.recipient, message.event, entry.lastError ?? ""].joined(separator: "\t"))
                }
                remaining -= page.count
                guard page.count == query.limit, let last = page.last else { break }
                query.after = OutboxCursor(after: last)
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
            guard let messageID = UUID(text: id),
                try await database.retryMessage(messageID, in: tenantID, at: .now())
            else { throw ValidationError("No pending or dead message \(id) in this tenant") }
            print("due again")
        }
    }
}
