import Foundation

/// What a client knows the task to be at; a write based on anything else is refused.
public enum TaskPrecondition: Sendable, Hashable {
    case version(Int64)
    /// The task's `updatedAt`, exactly as Taskport returned it (it strictly increases).
    case updatedAt(Timestamp)
    /// Each of these: a client that says what it read in more than one way (a header and the
    /// record it sends back) must be right in every one.
    indirect case all([TaskPrecondition])

    public func isMet(by task: TaskRecord) -> Bool {
        switch self {
        case .version(let version): task.version == version
        case .updatedAt(let timestamp): task.updatedAt == timestamp
        case .all(let preconditions): preconditions.allSatisfy { $0.isMet(by: task) }
        }
    }

    /// One precondition for all of `preconditions`, nil when there are none.
    public static func all(of preconditions: [TaskPrecondition?]) -> TaskPrecondition? {
        let given = preconditions.compactMap { $0 }
        return given.count > 1 ? .all(given) : given.first
    }
}

/// A new task, as a surface asks for it.
public struct TaskCreation: Sendable {
    public var tenantID: UUID
    public var content: TaskContent
    public var actor: Actor
    public var outbox: [OutboxMessage]

    public init(tenantID: UUID, content: TaskContent, actor: Actor, outbox: [OutboxMessage] = []) {
        self.tenantID = tenantID
        self.content = content
        self.actor = actor
        self.outbox = outbox
    }
}

/// A change to one existing task, applied by a store in one transaction together with
/// its audit entry and outbox messages.
public struct TaskMutation: Sendable {
    public enum Kind: Sendable {
        case patch(TaskPatch)
        /// Edits that depend on the task as stored (a surface whose body means "keep what the
        /// task has" in some fields), worked out inside the store's write from the current task,
        /// so the surface does not read the task first. What the closure throws, the write throws.
        case patchOfCurrent(@Sendable (TaskRecord) throws -> TaskPatch)
        case delete

        public var isDelete: Bool {
            if case .delete = self { true } else { false }
        }
    }

    public var tenantID: UUID
    public var task: TaskReference
    public var kind: Kind
    public var precondition: TaskPrecondition?
    public var actor: Actor
    public var comment: String?
    /// Messages to enqueue if, and only if, the change commits.
    public var outbox: [OutboxMessage]

    public init(
        tenantID: UUID, task: TaskReference, kind: Kind, precondition: TaskPrecondition? = nil,
        actor: Actor, comment: String? = nil, outbox: [OutboxMessage] = []
    ) {
        self.tenantID = tenantID
        self.task = task
        self.kind = kind
        self.precondition = precondition
        self.actor = actor
        self.comment = comment
        self.outbox = outbox
    }
}

/// The outcome of a mutation, ready to be written: the new row and its audit entry.
public struct TaskCommit: Sendable, Hashable {
    public var record: TaskRecord
    public var action: AuditAction
    public var changes: [FieldChange]

    public init(record: TaskRecord, action: AuditAction, changes: [FieldChange]) {
        self.record = record
        self.action = action
        self.changes = changes
    }
}

/// The rules every change follows, whichever surface and store it goes through.
public enum TaskEngine {
    /// A new task's content as it will be stored: an assignment made at creation is recorded as
    /// made by the creator.
    /// Throws `forbidden` unless the actor may create tasks.
    public static func creationContent(_ creation: TaskCreation) throws(TaskportError) -> TaskContent {
        try creation.actor.require(.create)
        var content = creation.content.normalized()
        if content.assignee != nil, content.assignedByID == nil {
            content.assignedByID = creation.actor.userID
        }
        return content
    }

    /// The first version of a new task's content, validated, with its `created` changes.
    public static func creationChanges(_ content: TaskContent) throws(TaskportError) -> [FieldChange] {
        try content.validate()
        let empty = TaskContent(title: "")
        return empty.changes(to: content).map { FieldChange(field: $0.field, from: .null, to: $0.to) }
    }

    /// Applies `mutation` to `current` at `now`: checks that the actor may edit (or delete), validates the result first (a patch that is wrong
    /// whatever the version is `.invalid`), then checks the precondition. Throws `TaskportError`,
    /// or what a `.patchOfCurrent` closure throws.
    /// Returns nil when the mutation changes nothing (no new version, no audit entry).
    public static func commit(
        _ mutation: TaskMutation, to current: TaskRecord, at now: Timestamp
    ) throws -> TaskCommit? {
        var next = current
        next.version = current.version + 1
        next.updatedAt = max(now, current.updatedAt.next)
        next.updatedBy = mutation.actor.name
        var action = AuditAction.deleted
        try mutation.actor.require(mutation.kind.isDelete ? .delete : .edit)
        let patch: TaskPatch?
        switch mutation.kind {
        case .patch(let given): patch = given
        case .patchOfCurrent(let work): patch = try work(current)
        case .delete: patch = nil
        }
        if let patch {
            action = .updated
            next.content = patch.applied(to: current.content, by: mutation.actor.userID).normalized()
            try next.content.validate()
        }
        if let precondition = mutation.precondition, !precondition.isMet(by: current) {
            throw TaskportError.versionMismatch(current: current.version)
        }
        let changes = current.content.changes(to: next.content)
        if action == .updated, changes.isEmpty { return nil }
        return TaskCommit(record: next, action: action, changes: changes)
    }
}
