import Foundation

/// The fields of a task, by their canonical names. Audit entries and validation problems name
/// fields this way; each surface translates them into its own spelling.
public enum TaskField: String, Sendable, Hashable, CaseIterable, Codable {
    case title, notes, type, status, priority, completed, dueAt, timeZone, subjectId, scopeId, activityId
    case assignee, assignedById, assignmentComment, responsibleId, attachments, metadata, notifyByEmail, reminded
    case visibleToEveryone, listItemId, externalId
}

/// One change to one field. A surface turns what a client sent into a list of edits.
public enum TaskEdit: Sendable, Hashable {
    case title(String)
    case notes(String?)
    case type(String?)
    case status(String?)
    case priority(String?)
    case completed(Bool)
    case dueAt(Timestamp?)
    case timeZone(String?)
    case subjectID(String?)
    case scopeID(String?)
    case activityID(UUID?)
    case assignee(Assignee?)
    /// Removes the assignee if it is a user; a team assignment stays. For surfaces whose
    /// assignee can only be a user, where "no user" is all a client can say.
    case unassignUser
    /// Who makes the assignment; when absent, a change of assignee records the acting user.
    case assignedByID(UUID?)
    case assignmentComment(String?)
    case responsibleID(UUID?)
    case attachments([String])
    /// Replaces the metadata object as a whole.
    case metadata(JSONObject)
    /// Merges into the current metadata as JSON Merge Patch (RFC 7396) says.
    case mergeMetadata(JSONObject)
    case notifyByEmail(Bool)
    case reminded(Bool)
    case visibleToEveryone(Bool)
    case listItemID(String?)
    case externalID(String?)
}

/// A set of edits applied together to a task's current content.
public struct TaskPatch: Sendable, Hashable {
    public var edits: [TaskEdit]

    public init(_ edits: [TaskEdit] = []) {
        self.edits = edits
    }

    public var isEmpty: Bool { edits.isEmpty }

    public mutating func append(_ edit: TaskEdit) {
        edits.append(edit)
    }

    /// The content after every edit, in order. Changing the due time re-arms its reminder (unless the patch changes `reminded` itself); changing the assignee records
    /// `actor` as the one who assigned, unless the patch names one, and drops the previous
    /// assignment's comment, unless the patch brings one.
    public func applied(to content: TaskContent, by actor: UUID? = nil) -> TaskContent {
        var result = content
        for edit in edits {
            switch edit {
            case .title(let value): result.title = value
            case .notes(let value): result.notes = value
            case .type(let value): result.type = value
            case .status(let value): result.status = value
            case .priority(let value): result.priority = value
            case .completed(let value): result.completed = value
            case .dueAt(let value): result.dueAt = value
            case .timeZone(let value): result.timeZone = value
            case .subjectID(let value): result.subjectID = value
            case .scopeID(let value): result.scopeID = value
            case .activityID(let value): result.activityID = value
            case .assignee(let value): result.assignee = value
            case .unassignUser: if result.assignee?.kind == .user { result.assignee = nil }
            case .assignedByID(let value): result.assignedByID = value
            case .assignmentComment(let value): result.assignmentComment = value
            case .responsibleID(let value): result.responsibleID = value
            case .attachments(let value): result.attachments = value
            case .metadata(let value): result.metadata = value
            case .mergeMetadata(let patch):
                if case .object(let merged) = JSONValue.object(result.metadata).merging(patch: .object(patch)) {
                    result.metadata = merged
                }
            case .notifyByEmail(let value): result.notifyByEmail = value
            case .reminded(let value): result.reminded = value
            case .visibleToEveryone(let value): result.visibleToEveryone = value
            case .listItemID(let value): result.listItemID = value
            case .externalID(let value): result.externalID = value
            }
        }
        // A patch that sends `reminded` back as it was (a client writing a whole record) does not
        // stop a new due time from re-arming the reminder; one that changes it does.
        if result.dueAt != content.dueAt, result.reminded == content.reminded {
            result.reminded = false
        }
        if result.assignee != content.assignee {
            if !edits.contains(where: { if case .assignedByID = $0 { true } else { false } }) {
                result.assignedByID = actor
            }
            if !edits.contains(where: { if case .assignmentComment = $0 { true } else { false } }) {
                result.assignmentComment = nil
            }
        }
        return result
    }
}

extension TaskContent {
    /// The one way the engine stores what several surfaces can say in two: an empty text is no
    /// text (surfaces that show a missing notes, type, status or priority as `""` send it back
    /// so), and metadata objects hold no `null` members (a JSON Merge Patch of the metadata as
    /// shown would remove them). Every surface can then send back what it shows unchanged.
    public func normalized() -> TaskContent {
        var content = self
        func text(_ value: String?) -> String? { value?.isEmpty == true ? nil : value }
        content.notes = text(notes)
        content.type = text(type)
        content.status = text(status)
        content.priority = text(priority)
        content.metadata = metadata.withoutNullMembers
        return content
    }

    public func value(of field: TaskField) -> JSONValue {
        switch field {
        case .title: .string(title)
        case .notes: JSONValue(notes)
        case .type: JSONValue(type)
        case .status: JSONValue(status)
        case .priority: JSONValue(priority)
        case .completed: .bool(completed)
        case .dueAt: JSONValue(dueAt)
        case .timeZone: JSONValue(timeZone)
        case .subjectId: JSONValue(subjectID)
        case .scopeId: JSONValue(scopeID)
        case .activityId: JSONValue(activityID)
        case .assignee:
            assignee.map { .object(["type": .string($0.kind.rawValue), "id": JSONValue($0.id)]) } ?? .null
        case .assignedById: JSONValue(assignedByID)
        case .assignmentComment: JSONValue(assignmentComment)
        case .responsibleId: JSONValue(responsibleID)
        case .attachments: JSONValue(attachments)
        case .metadata: .object(metadata)
        case .notifyByEmail: .bool(notifyByEmail)
        case .reminded: .bool(reminded)
        case .visibleToEveryone: .bool(visibleToEveryone)
        case .listItemId: JSONValue(listItemID)
        case .externalId: JSONValue(externalID)
        }
    }

    /// The fields whose values differ from `other`, from this content to `other`.
    public func changes(to other: TaskContent) -> [FieldChange] {
        TaskField.allCases.compactMap { field in
            hasSameValue(of: field, as: other)
                ? nil : FieldChange(field: field.rawValue, from: value(of: field), to: other.value(of: field))
        }
    }

    /// Whether `field` holds the same value in `other`: `value(of:)` compared, without building
    /// the two JSON values for every field of every update.
    func hasSameValue(of field: TaskField, as other: TaskContent) -> Bool {
        switch field {
        case .title: title == other.title
        case .notes: notes == other.notes
        case .type: type == other.type
        case .status: status == other.status
        case .priority: priority == other.priority
        case .completed: completed == other.completed
        case .dueAt: dueAt == other.dueAt
        case .timeZone: timeZone == other.timeZone
        case .subjectId: subjectID == other.subjectID
        case .scopeId: scopeID == other.scopeID
        case .activityId: activityID == other.activityID
        case .assignee: assignee == other.assignee
        case .assignedById: assignedByID == other.assignedByID
        case .assignmentComment: assignmentComment == other.assignmentComment
        case .responsibleId: responsibleID == other.responsibleID
        case .attachments: attachments == other.attachments
        case .metadata: metadata == other.metadata
        case .notifyByEmail: notifyByEmail == other.notifyByEmail
        case .reminded: reminded == other.reminded
        case .visibleToEveryone: visibleToEveryone == other.visibleToEveryone
        case .listItemId: listItemID == other.listItemID
        case .externalId: externalID == other.externalID
        }
    }
}
