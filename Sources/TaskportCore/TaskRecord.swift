import Foundation

/// Who a task is assigned to: a user or a team of the task's tenant.
public struct Assignee: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case user, team
    }

    public var kind: Kind
    public var id: UUID

    public init(_ kind: Kind, _ id: UUID) {
        self.kind = kind
        self.id = id
    }

    public static func user(_ id: UUID) -> Assignee { Assignee(.user, id) }
    public static func team(_ id: UUID) -> Assignee { Assignee(.team, id) }
}

/// Everything about a task that a client may change. Every surface maps its own fields onto these.
public struct TaskContent: Sendable, Hashable {
    public var title: String
    public var notes: String?
    public var type: String?
    public var status: String?
    public var priority: String?
    public var completed: Bool = false
    /// The due instant (UTC).
    public var dueAt: Timestamp?
    /// The IANA time zone the due time is local to.
    public var timeZone: String?
    /// Whom or what the task is about: a person, customer, account or entity.
    public var subjectID: String?
    /// Where the task lives: a business, location or institution.
    public var scopeID: String?
    /// An activity of the tenant the task is linked to.
    public var activityID: UUID?
    public var assignee: Assignee?
    /// Who made the current assignment (or removed the last one).
    public var assignedByID: UUID?
    /// The note that came with the current assignment.
    public var assignmentComment: String?
    /// The user responsible for the task.
    public var responsibleID: UUID?
    public var attachments: [String] = []
    public var metadata: JSONObject = [:]
    public var notifyByEmail: Bool = false
    public var reminded: Bool = false
    public var visibleToEveryone: Bool = false
    /// The item of a task list this task stands for (Nexudus's `TaskItemUniqueId`).
    public var listItemID: String?
    /// A free-form id the client's own system gives the task (Nexudus's `SystemId`).
    public var externalID: String?

    public init(title: String) {
        self.title = title
    }
}

/// A stored task: its content plus identity, ownership and version.
public struct TaskRecord: Sendable, Hashable {
    public var id: UUID
    /// A stable positive integer id, never reused, for surfaces that address tasks by number.
    public var number: Int64
    public var tenantID: UUID
    public var creatorID: UUID?
    public var content: TaskContent
    /// Starts at 1 and grows by one with every change.
    public var version: Int64
    public var createdAt: Timestamp
    /// Strictly increases with every change.
    public var updatedAt: Timestamp
    /// Who made the last change, as the audit entry names them.
    public var updatedBy: String?

    public init(
        id: UUID, number: Int64, tenantID: UUID, creatorID: UUID?, content: TaskContent,
        version: Int64, createdAt: Timestamp, updatedAt: Timestamp, updatedBy: String? = nil
    ) {
        self.id = id
        self.number = number
        self.tenantID = tenantID
        self.creatorID = creatorID
        self.content = content
        self.version = version
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.updatedBy = updatedBy
    }
}

/// How a client names a task: by UUID or by its integer number.
public enum TaskReference: Sendable, Hashable, CustomStringConvertible {
    case id(UUID)
    case number(Int64)

    /// Reads a path segment: a UUID, or a positive integer. Anything else names no task.
    public init?(_ text: some StringProtocol) {
        if let number = Int64(text), number > 0 {
            self = .number(number)
        } else if let id = UUID(text: text) {
            self = .id(id)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .id(let id): id.lowercasedText
        case .number(let number): String(number)
        }
    }
}
