import Foundation
package import TaskportCore
package import TaskportHTTP

/// A task as Maxsight shows it: the seed response's members, `null` where Taskport has no value.
package struct MaxsightTask: Encodable, Hashable, Sendable {
    let record: TaskRecord

    init(_ record: TaskRecord) {
        self.record = record
    }

    /// `INCOMPLETE`/`COMPLETE` by completion when the task has no status of its own.
    static func status(of task: TaskContent) -> String {
        task.status?.uppercased() ?? (task.completed ? "COMPLETE" : "INCOMPLETE")
    }

    enum CodingKeys: String, CodingKey {
        case id, entity_id, institution_id, assessment_id, assessment_template_id, workflow_instance_id
        case microfrontend_id, c_name, name, step_name, status, custom_metadata, data_version, locked_at
        case created_at, updated_at, assignment
    }

    enum AssignmentKeys: String, CodingKey {
        case assigned_by_id, assigned_to_id, assigned_to_type, assignment_comment
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let task = record.content
        let none: String? = nil
        try container.encode(record.id.lowercasedText, forKey: .id)
        try container.encode(task.subjectID, forKey: .entity_id)
        try container.encode(task.scopeID, forKey: .institution_id)
        for key in [CodingKeys.assessment_id, .assessment_template_id, .workflow_instance_id, .microfrontend_id, .name, .step_name, .locked_at] {
            try container.encode(none, forKey: key)
        }
        try container.encode(task.title, forKey: .c_name)
        try container.encode(Self.status(of: task), forKey: .status)
        try container.encode(task.metadata, forKey: .custom_metadata)
        try container.encode(record.version - 1, forKey: .data_version)
        try container.encode(record.createdAt, forKey: .created_at)
        try container.encode(record.updatedAt, forKey: .updated_at)
        if let assignee = task.assignee {
            var assignment = container.nestedContainer(keyedBy: AssignmentKeys.self, forKey: .assignment)
            try assignment.encode(task.assignedByID?.lowercasedText, forKey: .assigned_by_id)
            try assignment.encode(assignee.id.lowercasedText, forKey: .assigned_to_id)
            try assignment.encode(assignee.kind == .user ? "USER" : "TEAM", forKey: .assigned_to_type)
            try assignment.encode(task.assignmentComment, forKey: .assignment_comment)
        } else {
            try container.encodeNil(forKey: .assignment)
        }
    }
}

extension MaxsightTask: CompactJSONWriting {
    /// The task's JSON, byte for byte as the encoder writes it (members in its sorted order),
    /// written straight as bytes; nil when only the encoder can write it (a fractional number in
    /// `custom_metadata`).
    package func compactJSON() -> [UInt8]? {
        let task = record.content
        var object = CompactJSONObject()
        object.member("assessment_id", nil)
        object.member("assessment_template_id", nil)
        if let assignee = task.assignee {
            object.member("assignment") { assignment in
                assignment.member("assigned_by_id", uuid: task.assignedByID)
                assignment.member("assigned_to_id", uuid: assignee.id)
                assignment.member("assigned_to_type", assignee.kind == .user ? "USER" : "TEAM")
                assignment.member("assignment_comment", task.assignmentComment)
            }
        } else {
            object.member("assignment", nil)
        }
        object.member("c_name", task.title)
        object.member("created_at", timestamp: record.createdAt)
        object.member("custom_metadata", json: task.metadata)
        object.member("data_version", record.version - 1)
        object.member("entity_id", task.subjectID)
        object.member("id", uuid: record.id)
        object.member("institution_id", task.scopeID)
        object.member("locked_at", nil)
        object.member("microfrontend_id", nil)
        object.member("name", nil)
        object.member("status", Self.status(of: task))
        object.member("step_name", nil)
        object.member("updated_at", timestamp: record.updatedAt)
        object.member("workflow_instance_id", nil)
        return object.finish()
    }
}

/// One page of tasks: `data` and `next_cursor`.
package typealias MaxsightTaskList = CursorPage<MaxsightTask>

/// The body of `update-assignment`: exactly one of `update` or `unassign`, read strictly so that
/// every mistake is a 400 that names the member.
package struct MaxsightAssignmentRequest: Decodable, Hashable, Sendable {
    enum Change: Hashable {
        /// `by` nil: `assigned_by_id` was `null`, as a task shows it when nobody is recorded.
        case assign(by: UUID?, to: Assignee, comment: String?)
        case unassign(by: UUID, comment: String?)
    }

    let change: Change

    struct Member: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    package init(from decoder: any Decoder) throws {
        let body = try decoder.container(keyedBy: Member.self)
        let names = Set(body.allKeys.map(\.stringValue))
        if let unknown = names.subtracting(["update", "unassign"]).sorted().first {
            throw TaskportError.invalid([FieldProblem(unknown, "is not a member of an assignment request; send update or unassign")])
        }
        switch (names.contains("update"), names.contains("unassign")) {
        case (true, true): throw TaskportError.invalid([FieldProblem("body", "send exactly one of update or unassign, not both")])
        case (false, false): throw TaskportError.invalid([FieldProblem("body", "send exactly one of update or unassign")])
        case (true, false):
            let update = try body.nestedContainer(keyedBy: Member.self, forKey: Member("update"))
            try Self.reject(update, allowing: ["assigned_by_id", "assigned_to_id", "assigned_to_type", "assignment_comment"], in: "update")
            // `null` is what a task shows when nobody is recorded as the assigner: sent back, the
            // engine records the caller if the assignee changes and keeps it as it is if not.
            let by = try update.contains(Member("assigned_by_id")) && update.decodeNil(forKey: Member("assigned_by_id"))
                ? nil : Self.id(update, "assigned_by_id", in: "update")
            let to = try Self.id(update, "assigned_to_id", in: "update")
            let kind = try Self.string(update, "assigned_to_type", in: "update")
            let assignee: Assignee
            switch kind {
            case "USER": assignee = .user(to)
            case "TEAM": assignee = .team(to)
            default: throw TaskportError.invalid([FieldProblem("update.assigned_to_type", "must be USER or TEAM, not '\(kind)'")])
            }
            change = .assign(by: by, to: assignee, comment: try Self.comment(update, in: "update"))
        case (false, true):
            let unassign = try body.nestedContainer(keyedBy: Member.self, forKey: Member("unassign"))
            try Self.reject(unassign, allowing: ["assigned_by_id", "assignment_comment"], in: "unassign")
            change = .unassign(by: try Self.id(unassign, "assigned_by_id", in: "unassign"), comment: try Self.comment(unassign, in: "unassign"))
        }
    }

    static func reject(_ container: KeyedDecodingContainer<Member>, allowing allowed: Set<String>, in object: String) throws {
        if let unknown = container.allKeys.map(\.stringValue).filter({ !allowed.contains($0) }).sorted().first {
            throw TaskportError.invalid([FieldProblem("\(object).\(unknown)", "is not a member of \(object)")])
        }
    }

    static func string(_ container: KeyedDecodingContainer<Member>, _ name: String, in object: String) throws -> String {
        guard container.contains(Member(name)), try !container.decodeNil(forKey: Member(name)) else {
            throw TaskportError.invalid([FieldProblem("\(object).\(name)", "is required")])
        }
        guard let value = try? container.decode(String.self, forKey: Member(name)) else {
            throw TaskportError.invalid([FieldProblem("\(object).\(name)", "must be a string")])
        }
        return value
    }

    static func id(_ container: KeyedDecodingContainer<Member>, _ name: String, in object: String) throws -> UUID {
        let text = try string(container, name, in: object)
        guard let id = UUID(text: text) else {
            throw TaskportError.invalid([FieldProblem("\(object).\(name)", "'\(text)' is not a user or team of this tenant")])
        }
        return id
    }

    static func comment(_ container: KeyedDecodingContainer<Member>, in object: String) throws -> String? {
        let key = Member("assignment_comment")
        guard container.contains(key), try !container.decodeNil(forKey: key) else { return nil }
        guard let comment = try? container.decode(String.self, forKey: key) else {
            throw TaskportError.invalid([FieldProblem("\(object).assignment_comment", "must be a string or null")])
        }
        return comment
    }
}
