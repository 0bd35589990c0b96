import ArgumentParser
import Foundation
import TaskportCore

struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal", abstract: "Read the request journal: every request this tenant's credentials made.",
        subcommands: [List.self, Tail.self, Show.self]
    )

    /// The filters `list` and `tail` share.
    struct Filters: ParsableArguments {
        @Option(help: "native, rollout, nexudus, thena or maxsight.") var surface: String?
        @Option(help: "An exact status (412) or a class (4xx).") var status: String?
        @Option(help: "Only requests whose path starts with this.") var path: String?
        @Option(help: "Only requests that read or changed this task, by its UUID or number.") var task: String?

        func query(in database: any TaskportStore, tenantID: UUID, limit: Int) async throws -> JournalQuery {
            var query = JournalQuery(limit: limit)
            query.surface = surface
            if let status, !query.filterStatus(status) {
                throw ValidationError("status is a status such as 412 or a class such as 4xx")
            }
            query.pathPrefix = path
            if let task {
                guard let reference = TaskReference(task), let found = try await database.task(reference, in: tenantID) else {
                    throw ValidationError("No task '\(task)'")
                }
                query.taskID = found.id
            }
            return query
        }
    }

    /// One line per entry: id, time, surface, method, path, status, latency, credential.
    static func line(_ entry: JournalEntry) -> String {
        [String(entry.id), entry.at.rfc3339, entry.surface, entry.method, entry.target, String(entry.status),
         String(format: "%.1fms", Double(entry.latencyMicroseconds) / 1000), entry.credential].joined(separator: "\t")
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List entries, newest first.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @OptionGroup var filters: Filters
        @Option(help: "At most this many.") var limit: Int = 50

        func run() async throws {
            guard limit >= 1 else { throw ValidationError("limit must be at least 1") }
            let (database, tenantID) = try await tenant.open(store)
            var query = try await filters.query(in: database, tenantID: tenantID, limit: min(limit, 500))
            var remaining = limit
            while remaining > 0 {
                query.limit = min(500, remaining)
                let page = try await database.journal(in: tenantID, matching: query)
                for entry in page { print(JournalCommand.line(entry)) }
                remaining -= page.count
                guard page.count == query.limit, let last = page.last else { break }
                query.before = last.id
            }
        }
    }

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The last entries, oldest first; with --follow, new ones as they are written.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @OptionGroup var filters: Filters
        @Option(help: "How many of the last entries to start with.") var lines: Int = 10
        @Flag(help: "Keep printing new entries until interrupted.") var follow = false

        func run() async throws {
            guard (0...500).contains(lines) else { throw ValidationError("lines must be 0 to 500") }
            let (database, tenantID) = try await tenant.open(store)
            var query = try await filters.query(in: database, tenantID: tenantID, limit: max(lines, 1))
            let last = lines == 0 ? [] : try await database.journal(in: tenantID, matching: query)
            for entry in last.reversed() { print(JournalCommand.line(entry)) }
            guard follow else { return }
            fflush(nil)
            // The newest entry whatever the filters, so that following starts from now.
            var seen = try await database.journal(in: tenantID, matching: JournalQuery(limit: 1)).first?.id ?? 0
            query.limit = 500
            while !Task.isCancelled {
                query.after = seen
                let page = try await database.journal(in: tenantID, matching: query)
                for entry in page { print(JournalCommand.line(entry)) }
                if let id = page.last?.id { seen = id; fflush(nil) }
                if page.count < query.limit { try await Task.sleep(for: .milliseconds(500)) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One entry in full: headers and bodies.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Argument(help: "The entry's id.") var id: Int64

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let entry = try await database.journalEntry(id, in: tenantID) else { throw ValidationError("No journal entry \(id) in this tenant") }
            print(JournalCommand.line(entry))
            if let task = entry.taskID { print("task: \(task.lowercasedText)") }
            for (title, headers, body) in [("request", entry.requestHeaders, entry.requestBody), ("response", entry.responseHeaders, entry.responseBody)] {
                print("\n\(title):")
                for header in headers { print("\(header.name): \(header.value)") }
                print("")
                print(body.text + (body.truncated ? "\n[… \(body.length - body.text.utf8.count) more bytes]" : ""))
            }
        }
    }
}
