import Foundation

/// One field's value before and after a change.
public struct FieldChange: Sendable, Hashable, Codable {
    public var field: String
    public var from: JSONValue
    public var to: JSONValue

    public init(field: String, from: JSONValue, to: JSONValue) {
        self.field = field
        self.from = from
        self.to = to
    }
}

/// What a change did to a task.
public enum AuditAction: String, Sendable, Hashable, Codable {
    case created, updated, deleted
}

/// Who made a change, and through which surface.
public struct Actor: Sendable, Hashable {
    public var userID: UUID?
    public var name: String
    /// `native`, `rollout`, `nexudus`, `thena`, `maxsight` or `cli`.
    public var surface: String
    /// What the actor may do to tasks; the engine checks it on every change. Not stored.
    public var permissions: Set<TaskPermission>

    public init(userID: UUID?, name: String, surface: String, permissions: Set<TaskPermission> = Set(TaskPermission.allCases)) {
        self.userID = userID
        self.name = name
        self.surface = surface
        self.permissions = permissions
    }

    /// Throws `forbidden` unless the actor holds `permission`.
    public func require(_ permission: TaskPermission) throws(TaskportError) {
        guard permissions.contains(permission) else { throw permission.refusal }
    }
}

/// One entry of a task's field-level history, written in the same transaction as the change.
public struct AuditEntry: Sendable, Hashable {
    public var id: Int64
    public var taskID: UUID
    /// The task's version after the change.
    public var version: Int64
    public var action: AuditAction
    public var at: Timestamp
    public var actor: Actor
    public var changes: [FieldChange]
    public var comment: String?

    public init(
        id: Int64, taskID: UUID, version: Int64, action: AuditAction, at: Timestamp, actor: Actor,
        changes: [FieldChange], comment: String?
    ) {
        self.id = id
        self.taskID = taskID
        self.version = version
        self.action = action
        self.at = at
        self.actor = actor
        self.changes = changes
        self.comment = comment
    }
}

/// A message to be delivered after the change that caused it commits (email, webhook).
/// It is written to the outbox in the same transaction as that change.
public struct OutboxMessage: Sendable, Hashable {
    public enum Channel: String, Sendable, Hashable, CaseIterable, Codable {
        case email, webhook
    }

    /// Stable across retries, so receivers can drop duplicates.
    public var id: UUID
    public var channel: Channel
    /// An email address or a webhook endpoint id.
    public var recipient: String
    /// What happened, e.g. `task.assigned`.
    public var event: String
    public var payload: JSONObject

    public init(id: UUID = UUID(), channel: Channel, recipient: String, event: String, payload: JSONObject) {
        self.id = id
        self.channel = channel
        self.recipient = recipient
        self.event = event
        self.payload = payload
    }
}
