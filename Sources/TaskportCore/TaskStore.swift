import Foundation

/// The order a list of tasks comes in; ties are broken by `number`, in the same direction.
public struct TaskOrder: Sendable, Hashable {
    public enum Key: String, Sendable, Hashable, CaseIterable {
        case number, title, dueAt, completed, createdAt, updatedAt
    }

    public var key: Key
    public var descending: Bool

    public init(_ key: Key, descending: Bool = false) {
        self.key = key
        self.descending = descending
    }

    public static let number = TaskOrder(.number)
}

/// Filters and a position for listing a tenant's tasks: a keyset position (`afterNumber`, in
/// ascending `number` order) or an offset into any order.
public struct TaskQuery: Sendable, Hashable {
    public var completed: Bool?
    /// A user or team id.
    public var assigneeID: UUID?
    /// Whom or what the tasks are about.
    public var subjectID: String?
    /// Where the tasks live.
    public var scopeID: String?
    public var responsibleID: UUID?
    /// Titles that contain this text, case-insensitively.
    public var titleContains: String?
    /// The task's status, compared case-insensitively.
    public var status: String?
    /// Due strictly before.
    public var dueBefore: Timestamp?
    /// Due at or after.
    public var dueAfter: Timestamp?
    /// Updated at or after.
    public var updatedSince: Timestamp?
    public var limit: Int
    /// Only tasks whose number is greater than this (the last number of the previous page).
    public var afterNumber: Int64?
    public var order: TaskOrder = .number
    /// How many matching tasks to skip, in `order`.
    public var offset: Int = 0

    public init(limit: Int = 50) {
        self.limit = limit
    }
}

/// One page of tasks; `nextAfterNumber` is nil on the last page.
public struct TaskPage: Sendable, Hashable {
    public var tasks: [TaskRecord]
    public var nextAfterNumber: Int64?

    public init(tasks: [TaskRecord], nextAfterNumber: Int64?) {
        self.tasks = tasks
        self.nextAfterNumber = nextAfterNumber
    }
}

/// Durable storage of tasks with their history and outbox. Every call is scoped to one tenant:
/// another tenant's task does not exist for it.
public protocol TaskStore: Sendable {
    /// Creates a task with version 1, its `created` audit entry and outbox messages, atomically.
    /// Throws `.invalid` for content that breaks the rules or names a user or team outside the tenant.
    func create(_ creation: TaskCreation) async throws -> TaskRecord

    /// The task, if it exists in the tenant and has not been deleted.
    func task(_ reference: TaskReference, in tenantID: UUID) async throws -> TaskRecord?

    /// One page of the tenant's live tasks that match the query.
    func tasks(matching query: TaskQuery, in tenantID: UUID) async throws -> TaskPage

    /// How many of the tenant's live tasks match the query's filters (its position and limit aside).
    func count(matching query: TaskQuery, in tenantID: UUID) async throws -> Int
    /// The same count, stopping at `limit`: what a page can afford to say of a large store.
    func count(matching query: TaskQuery, in tenantID: UUID, atMost limit: Int) async throws -> Int
    /// The surface each task's latest change came through, by task id, for tasks of the tenant.
    func lastSurfaces(of taskIDs: [UUID], in tenantID: UUID) async throws -> [UUID: String]

    /// Applies the mutation atomically: the new row, its audit entry and its outbox messages, or
    /// nothing. Throws `.notFound`, `.versionMismatch` (precondition not met) or `.invalid`.
    /// Returns the task as it is after the change (unchanged when the patch changes nothing).
    func apply(_ mutation: TaskMutation) async throws -> TaskRecord

    /// The task's audit entries, oldest first; nil when the task does not exist in the tenant.
    func history(of reference: TaskReference, in tenantID: UUID) async throws -> [AuditEntry]?

    /// Whether the store answers.
    func isReady() async -> Bool
}

/// An opaque keyset cursor: clients pass back what they were given, nothing else.
public enum TaskCursor {
    public static func encode(afterNumber: Int64) -> String {
        Data("n:\(afterNumber)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The number a cursor stands for, or nil if it is not one Taskport made.
    public static func decode(_ cursor: String) -> Int64? {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            text.hasPrefix("n:"), let number = Int64(text.dropFirst(2)), number >= 0
        else { return nil }
        return number
    }
}
