import Foundation
import Synchronization

/// One request to any surface as the journal keeps it, for people testing their integrations:
/// what was asked, what was answered, by which credential (by its public name, never the secret)
/// and which task it touched. Headers that carry credentials and secrets in bodies are redacted
/// before an entry is stored.
public struct JournalEntry: Sendable, Equatable {
    /// Increasing in the order entries are stored; the journal's cursor.
    public var id: Int64
    public var tenantID: UUID
    public var at: Timestamp
    public var requestID: String
    /// `native`, `rollout`, `nexudus`, `thena`, `maxsight`, `console`.
    public var surface: String
    public var method: String
    /// The path and query as the client sent them.
    public var target: String
    /// The route template it matched, such as `/v1/tasks/{taskId}`.
    public var route: String
    public var status: Int
    /// From the request's head to the answer's head.
    public var latencyMicroseconds: Int64
    /// The credential's public name: `key:` and an API key's first characters, `token`, `session`.
    public var credential: String
    public var userNumber: Int64
    public var requestHeaders: [Header]
    public var responseHeaders: [Header]
    public var requestBody: Body
    public var responseBody: Body
    /// The task the request read or changed, when it named one.
    public var taskID: UUID?
    /// What fault rules did to the request (`rule …: status 503`), when any did.
    public var fault: String?

    public struct Header: Sendable, Equatable, Codable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }

        /// Headers as the store keeps them: a JSON array of `{"name", "value"}`, written directly
        /// as bytes (a JSONEncoder per entry, then appending scalar by scalar, were most of what the
        /// journal cost the server's CPU): a name or value with nothing to escape is copied whole.
        public static func stored(_ headers: [Header]) -> String {
            var text = ByteWriter(capacity: headers.reduce(2) { $0 + $1.name.utf8.count + $1.value.utf8.count + 22 })
            text.append("[")
            for (index, header) in headers.enumerated() {
                text.append(index > 0 ? #",{"name":"# : #"{"name":"#)
                JSONText.appendString(header.name, to: &text)
                text.append(#","value":"#)
                JSONText.appendString(header.value, to: &text)
                text.append("}")
            }
            text.append("]")
            return text.string()
        }
    }

    /// A body as far as the journal keeps it: its first bytes, how long it was, and whether it was cut.
    public struct Body: Sendable, Equatable {
        public var text: String
        /// The whole body's length in bytes, as far as it was read.
        public var length: Int
        public var truncated: Bool

        public init(text: String, length: Int, truncated: Bool) {
            self.text = text
            self.length = length
            self.truncated = truncated
        }

        public static let empty = Body(text: "", length: 0, truncated: false)
    }

    public init(
        id: Int64 = 0, tenantID: UUID, at: Timestamp, requestID: String, surface: String, method: String, target: String, route: String,
        status: Int, latencyMicroseconds: Int64, credential: String, userNumber: Int64, requestHeaders: [Header], responseHeaders: [Header],
        requestBody: Body, responseBody: Body, taskID: UUID?, fault: String? = nil
    ) {
        self.fault = fault
        self.id = id
        self.tenantID = tenantID
        self.at = at
        self.requestID = requestID
        self.surface = surface
        self.method = method
        self.target = target
        self.route = route
        self.status = status
        self.latencyMicroseconds = latencyMicroseconds
        self.credential = credential
        self.userNumber = userNumber
        self.requestHeaders = requestHeaders
        self.responseHeaders = responseHeaders
        self.requestBody = requestBody
        self.responseBody = responseBody
        self.taskID = taskID
    }
}

/// Which journal entries to list: newest first, filters combined.
public struct JournalQuery: Sendable {
    public var surface: String?
    /// An exact status (`404`) or a class (`4` for 4xx).
    public var status: Int?
    public var statusClass: Int?
    /// Entries whose path starts with this.
    public var pathPrefix: String?
    public var since: Timestamp?
    public var until: Timestamp?
    public var taskID: UUID?
    /// Entries older than this id (the previous page's last), for the next page.
    public var before: Int64?
    /// Entries newer than this id, oldest first: for following the journal as it grows.
    public var after: Int64?
    public var limit: Int

    public init(limit: Int = 50) {
        self.limit = limit
    }

    /// Filters by `text`: an exact status (`412`) or a class (`4xx`); false for anything else.
    public mutating func filterStatus(_ text: String) -> Bool {
        guard text.count == 3, let first = text.first?.wholeNumberValue, (1...5).contains(first) else { return false }
        if text.hasSuffix("xx") {
            statusClass = first
        } else if let exact = Int(text) {
            status = exact
        } else {
            return false
        }
        return true
    }
}

public protocol JournalStore: Sendable {
    /// Stores entries of any tenants, giving each its id; a store may write them in several
    /// transactions, in order.
    func appendJournal(_ entries: [JournalEntry]) async throws
    /// One page of the tenant's entries that match: newest first, or oldest first after `query.after`.
    func journal(in tenantID: UUID, matching query: JournalQuery) async throws -> [JournalEntry]
    func journalEntry(_ id: Int64, in tenantID: UUID) async throws -> JournalEntry?
    /// Removes, for each tenant, entries beyond its newest `keep` and entries older than `before`;
    /// at most `limit` rows in one call. Returns how many.
    func pruneJournal(keep: Int, before: Timestamp, limit: Int) async throws -> Int
}

/// The task a request read or changed, noted by the store for the request's journal entry.
/// Only a request the journal records carries one.
public final class TaskTouch: Sendable {
    @TaskLocal public static var current: TaskTouch?

    private let touched = Mutex<UUID?>(nil)

    public init() {}

    /// Notes the task, if a request is being recorded; the first one noted stands.
    public static func note(_ id: UUID) {
        current?.touched.withLock { touched in
            if touched == nil { touched = id }
        }
    }

    public var taskID: UUID? { touched.withLock { $0 } }
}
