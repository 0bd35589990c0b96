import Foundation
package import TaskportCore
package import TaskportHTTP

/// A task as the native API shows it: every member present, `null` where there is no value.
package struct NativeTask: Encodable, Hashable, Sendable {
    let record: TaskRecord

    init(_ record: TaskRecord) {
        self.record = record
    }

    enum CodingKeys: String, CodingKey {
        case id, number, title, notes, type, status, priority, completed, dueAt, timeZone, subjectId, scopeId, activityId
        case assignee, assignedById, assignmentComment, responsibleId, creatorId, attachments, metadata, notifyByEmail
        case reminded, visibleToEveryone, listItemId, externalId, version, createdAt, updatedAt
    }

    package func encode(to encoder: any Encoder) throws {
        // Each member by its kind's own method (`ConcreteEncoding`): an answer is written per request.
        var container = encoder.container(keyedBy: CodingKeys.self)
        let task = record.content
        try container.encode(record.id.lowercasedText, forKey: .id)
        try container.encode(record.number, forKey: .number)
        try container.encode(task.title, forKey: .title)
        try container.encodeOrNull(task.notes, forKey: .notes)
        try container.encodeOrNull(task.type, forKey: .type)
        try container.encodeOrNull(task.status, forKey: .status)
        try container.encodeOrNull(task.priority, forKey: .priority)
        try container.encode(task.completed, forKey: .completed)
        try container.encodeOrNull(task.dueAt?.rfc3339, forKey: .dueAt)
        try container.encodeOrNull(task.timeZone, forKey: .timeZone)
        try container.encodeOrNull(task.subjectID, forKey: .subjectId)
        try container.encodeOrNull(task.scopeID, forKey: .scopeId)
        try container.encodeOrNull(task.activityID?.lowercasedText, forKey: .activityId)
        if let assignee = task.assignee {
            var nested = container.nestedContainer(keyedBy: NativeAssignee.CodingKeys.self, forKey: .assignee)
            try nested.encode(assignee.kind.rawValue, forKey: .type)
            try nested.encode(assignee.id.lowercasedText, forKey: .id)
        } else {
            try container.encodeNil(forKey: .assignee)
        }
        try container.encodeOrNull(task.assignedByID?.lowercasedText, forKey: .assignedById)
        try container.encodeOrNull(task.assignmentComment, forKey: .assignmentComment)
        try container.encodeOrNull(task.responsibleID?.lowercasedText, forKey: .responsibleId)
        try container.encodeOrNull(record.creatorID?.lowercasedText, forKey: .creatorId)
        try container.encode(strings: task.attachments, forKey: .attachments)
        try container.encode(json: task.metadata, forKey: .metadata)
        try container.encode(task.notifyByEmail, forKey: .notifyByEmail)
        try container.encode(task.reminded, forKey: .reminded)
        try container.encode(task.visibleToEveryone, forKey: .visibleToEveryone)
        try container.encodeOrNull(task.listItemID, forKey: .listItemId)
        try container.encodeOrNull(task.externalID, forKey: .externalId)
        try container.encode(record.version, forKey: .version)
        try container.encode(record.createdAt.rfc3339, forKey: .createdAt)
        try container.encode(record.updatedAt.rfc3339, forKey: .updatedAt)
    }
}

extension NativeTask: CompactJSONWriting {
    /// The task's JSON, byte for byte as the generated code's encoder writes it (members in its
    /// sorted order), written straight as bytes; nil when only the encoder can write it (a
    /// fractional number in `metadata`).
    package func compactJSON() -> [UInt8]? {
        let task = record.content
        var object = CompactJSONObject()
        object.member("activityId", uuid: task.activityID)
        object.member("assignedById", uuid: task.assignedByID)
        if let assignee = task.assignee {
            object.member("assignee") { nested in
                nested.member("id", uuid: assignee.id)
                nested.member("type", assignee.kind.rawValue)
            }
        } else {
            object.member("assignee", nil)
        }
        object.member("assignmentComment", task.assignmentComment)
        object.member("attachments", strings: task.attachments)
        object.member("completed", task.completed)
        object.member("createdAt", timestamp: record.createdAt)
        object.member("creatorId", uuid: record.creatorID)
        object.member("dueAt", timestamp: task.dueAt)
        object.member("externalId", task.externalID)
        object.member("id", uuid: record.id)
        object.member("listItemId", task.listItemID)
        object.member("metadata", json: task.metadata)
        object.member("notes", task.notes)
        object.member("notifyByEmail", task.notifyByEmail)
        object.member("number", record.number)
        object.member("priority", task.priority)
        object.member("reminded", task.reminded)
        object.member("responsibleId", uuid: task.responsibleID)
        object.member("scopeId", task.scopeID)
        object.member("status", task.status)
        object.member("subjectId", task.subjectID)
        object.member("timeZone", task.timeZone)
        object.member("title", task.title)
        object.member("type", task.type)
        object.member("updatedAt", timestamp: record.updatedAt)
        object.member("version", record.version)
        object.member("visibleToEveryone", task.visibleToEveryone)
        return object.finish()
    }
}

/// `{"type": "user" | "team", "id": "<uuid>"}`.
struct NativeAssignee: Codable {
    var type: Assignee.Kind
    var id: UUID

    init(_ assignee: Assignee) {
        type = assignee.kind
        id = assignee.id
    }

    enum CodingKeys: String, CodingKey { case type, id }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyMember.self)
        try container.rejectMembers(except: ["type", "id"])
        let kind = try container.decode(String.self, forKey: AnyMember("type"))
        guard let type = Assignee.Kind(rawValue: kind) else {
            throw DecodingError.dataCorruptedError(forKey: AnyMember("type"), in: container, debugDescription: "must be user or team")
        }
        self.type = type
        self.id = try container.decodeUUID(forKey: AnyMember("id"))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type.rawValue, forKey: .type)
        try container.encode(id.lowercasedText, forKey: .id)
    }

    var assignee: Assignee { Assignee(type, id) }
}

/// One page of tasks: `items` and `nextCursor`.
package typealias NativeTaskPage = CursorPage<NativeTask>

/// A task's history, oldest entry first.
package struct NativeHistory: Encodable, Hashable, Sendable {
    let items: [NativeAuditEntry]

    init(_ entries: [AuditEntry]) {
        items = entries.map(NativeAuditEntry.init)
    }
}

/// One audit entry of a task's history.
struct NativeAuditEntry: Encodable, Hashable, Sendable {
    let entry: AuditEntry

    init(_ entry: AuditEntry) {
        self.entry = entry
    }

    enum CodingKeys: String, CodingKey {
        case id, taskId, action, at, actorId, actorName, surface, changes, comment, version
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(entry.id, forKey: .id)
        try container.encode(entry.taskID.lowercasedText, forKey: .taskId)
        try container.encode(entry.action.rawValue, forKey: .action)
        try container.encode(entry.at, forKey: .at)
        try container.encode(entry.actor.userID?.lowercasedText, forKey: .actorId)
        try container.encode(entry.actor.name, forKey: .actorName)
        try container.encode(entry.actor.surface, forKey: .surface)
        try container.encode(entry.changes, forKey: .changes)
        try container.encode(entry.comment, forKey: .comment)
        try container.encode(entry.version, forKey: .version)
    }
}

/// A JSON Merge Patch (RFC 7396) of a task, read member by member so that `null` (clear)
/// and absence (keep) stay distinct. Unknown members are refused. Read-only members are kept
/// aside: a client that sends back the task as it read it sends them, and they must still be
/// what the task holds (`ReadOnlyMembers`).
package struct TaskMergePatch: Decodable, Hashable, Sendable {
    let patch: TaskPatch
    let readOnly: ReadOnlyMembers

    package init(from decoder: any Decoder) throws {
        (patch, readOnly) = try TaskMembers.read(from: decoder, metadata: .merge, keepingReadOnly: true)
    }
}

/// The read-only members of a task a patch carries, as sent.
struct ReadOnlyMembers: Hashable, Sendable {
    var members: JSONObject = [:]

    var isEmpty: Bool { members.isEmpty }

    /// What `version` and `updatedAt` say the change is based on, as `If-Match` would. Their
    /// form is checked first (`check(against:)`).
    var precondition: TaskPrecondition? {
        var preconditions: [TaskPrecondition?] = []
        if case .integer(let version)? = members["version"] { preconditions.append(.version(version)) }
        if case .string(let text)? = members["updatedAt"] { preconditions.append(Timestamp(rfc3339: text).map(TaskPrecondition.updatedAt)) }
        return TaskPrecondition.all(of: preconditions)
    }

    /// Checks the members' form, and the ids and creation time against the task as stored: any
    /// that differs is a `400` naming it. `version` and `updatedAt` are the write's precondition,
    /// checked with the change (a stale one is `412`).
    func check(against task: TaskRecord) throws(TaskportError) {
        let malformed = members.sorted(by: { $0.key < $1.key }).compactMap { name, sent in Self.shapeProblem(name, sent) }
        if !malformed.isEmpty { throw .invalid(malformed) }
        let shown = (try? JSONValue.object(encoding: NativeTask(task))) ?? [:]
        var problems: [FieldProblem] = []
        for (name, sent) in members.sorted(by: { $0.key < $1.key }) where !Self.same(sent, shown[name] ?? .null, member: name) {
            if name == "version" || name == "updatedAt" { continue }
            problems.append(FieldProblem(name, "is read-only: send it as the task shows it, or leave it out"))
        }
        if !problems.isEmpty { throw .invalid(problems) }
    }

    /// What is wrong with the form of a sent read-only member, whatever the task holds.
    static func shapeProblem(_ name: String, _ sent: JSONValue) -> FieldProblem? {
        switch (name, sent) {
        case ("version", .integer), ("number", .integer): return nil
        case ("version", _), ("number", _): return FieldProblem(name, "must be an integer")
        case ("createdAt", .string(let text)), ("updatedAt", .string(let text)):
            return Timestamp(rfc3339: text) == nil ? FieldProblem(name, "is not an RFC 3339 date-time") : nil
        case ("createdAt", _), ("updatedAt", _): return FieldProblem(name, "must be an RFC 3339 date-time")
        case ("id", .string(let text)): return UUID(text: text) == nil ? FieldProblem(name, "is not a UUID") : nil
        case ("id", _): return FieldProblem(name, "must be a UUID")
        case (_, .string(let text)): return UUID(text: text) == nil ? FieldProblem(name, "is not a UUID") : nil
        case (_, .null): return nil
        default: return FieldProblem(name, "must be a UUID or null")
        }
    }

    /// Ids compare without case, instants by the time they name.
    static func same(_ sent: JSONValue, _ shown: JSONValue, member: String) -> Bool {
        switch (sent, shown) {
        case (.string(let a), .string(let b)) where member == "createdAt" || member == "updatedAt":
            return Timestamp(rfc3339: a) != nil && Timestamp(rfc3339: a) == Timestamp(rfc3339: b)
        case (.string(let a), .string(let b)): return a.lowercased() == b.lowercased()
        default: return sent == shown
        }
    }
}

/// A new task: the same members as a patch, with `title` required. Read-only members are refused.
package struct NativeTaskCreate: Decodable, Hashable, Sendable {
    let content: TaskContent

    package init(from decoder: any Decoder) throws {
        let (patch, _) = try TaskMembers.read(from: decoder, metadata: .replace, keepingReadOnly: false)
        guard patch.edits.contains(where: { if case .title = $0 { true } else { false } }) else {
            throw DecodingError.keyNotFound(
                AnyMember("title"), .init(codingPath: decoder.codingPath, debugDescription: "title is required")
            )
        }
        content = patch.applied(to: TaskContent(title: ""))
    }
}

/// Reads the members of a native task body into edits.
enum TaskMembers {
    enum Metadata { case merge, replace }

    static let readOnlyNames: Set<String> = ["id", "number", "creatorId", "assignedById", "version", "createdAt", "updatedAt"]

    /// The edits the members stand for, and the read-only members sent (refused unless `keepingReadOnly`).
    static func read(from decoder: any Decoder, metadata: Metadata, keepingReadOnly: Bool) throws -> (TaskPatch, ReadOnlyMembers) {
        let container = try decoder.container(keyedBy: AnyMember.self)
        var patch = TaskPatch()
        var readOnly = ReadOnlyMembers()
        for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
            if keepingReadOnly, readOnlyNames.contains(key.stringValue) {
                readOnly.members[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
                continue
            }
            guard let field = TaskField(rawValue: key.stringValue) else {
                let reason = readOnlyNames.contains(key.stringValue) ? "is read-only" : "is not a member of a task"
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: reason)
            }
            func optional<T: Decodable>(_ type: T.Type) throws -> T? { try container.decodeIfPresent(type, forKey: key) }
            func required<T: Decodable>(_ type: T.Type) throws -> T { try container.decode(type, forKey: key) }
            switch field {
            case .title: patch.append(.title(try required(String.self)))
            case .notes: patch.append(.notes(try optional(String.self)))
            case .type: patch.append(.type(try optional(String.self)))
            case .status: patch.append(.status(try optional(String.self)))
            case .priority: patch.append(.priority(try optional(String.self)))
            case .completed: patch.append(.completed(try required(Bool.self)))
            case .dueAt: patch.append(.dueAt(try optional(Timestamp.self)))
            case .timeZone: patch.append(.timeZone(try optional(String.self)))
            case .subjectId: patch.append(.subjectID(try optional(String.self)))
            case .scopeId: patch.append(.scopeID(try optional(String.self)))
            case .activityId: patch.append(.activityID(try container.decodeUUIDIfPresent(forKey: key)))
            case .assignee: patch.append(.assignee(try optional(NativeAssignee.self)?.assignee))
            case .assignedById:
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "is read-only: it records who changed the assignee")
            case .assignmentComment: patch.append(.assignmentComment(try optional(String.self)))
            case .responsibleId: patch.append(.responsibleID(try container.decodeUUIDIfPresent(forKey: key)))
            case .attachments: patch.append(.attachments(try optional([String].self) ?? []))
            case .metadata:
                let object = try optional(JSONObject.self)
                switch (object, metadata) {
                case (let object?, .merge): patch.append(.mergeMetadata(object))
                case (let object, _): patch.append(.metadata(object ?? [:]))
                }
            case .notifyByEmail: patch.append(.notifyByEmail(try required(Bool.self)))
            case .reminded: patch.append(.reminded(try required(Bool.self)))
            case .visibleToEveryone: patch.append(.visibleToEveryone(try required(Bool.self)))
            case .listItemId: patch.append(.listItemID(try optional(String.self)))
            case .externalId: patch.append(.externalID(try optional(String.self)))
            }
        }
        return (patch, readOnly)
    }
}

/// Any member name, for bodies read member by member.
struct AnyMember: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == AnyMember {
    func rejectMembers(except allowed: Set<String>) throws {
        if let unknown = allKeys.first(where: { !allowed.contains($0.stringValue) }) {
            throw DecodingError.dataCorruptedError(forKey: unknown, in: self, debugDescription: "is not a known member")
        }
    }

    func decodeUUID(forKey key: AnyMember) throws -> UUID {
        guard let id = UUID(text: try decode(String.self, forKey: key)) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "is not a UUID")
        }
        return id
    }

    func decodeUUIDIfPresent(forKey key: AnyMember) throws -> UUID? {
        try decodeNil(forKey: key) ? nil : decodeUUID(forKey: key)
    }
}
