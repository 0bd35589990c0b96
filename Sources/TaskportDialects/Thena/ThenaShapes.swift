import Foundation
package import TaskportCore
package import TaskportHTTP

/// The members a Thena client may send in a create or an update, read strictly: a member of the
/// wrong type (or `null`) is a 400 naming it. Unknown members are ignored.
struct ThenaFields: Hashable, Sendable {
    var accountId: String?
    var title: String?
    var assigneeId: String?
    var activityId: String?
    var description: String?
    var type: String?
    var status: String?
    var priority: String?
    var attachmentUrls: [String]?
    var metadata: JSONObject?

    struct Member: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let body = try decoder.container(keyedBy: Member.self)
        var problems: [FieldProblem] = []
        func string(_ name: String) -> String? {
            guard body.contains(Member(name)) else { return nil }
            guard let value = try? body.decode(String.self, forKey: Member(name)) else {
                problems.append(FieldProblem(name, "must be a string"))
                return nil
            }
            return value
        }
        accountId = string("accountId")
        title = string("title")
        assigneeId = string("assigneeId")
        activityId = string("activityId")
        description = string("description")
        type = string("type")
        status = string("status")
        priority = string("priority")
        if body.contains(Member("attachmentUrls")) {
            if let urls = try? body.decode([String].self, forKey: Member("attachmentUrls")) {
                attachmentUrls = urls
            } else {
                problems.append(FieldProblem("attachmentUrls", "must be an array of URL strings"))
            }
        }
        if body.contains(Member("metadata")) {
            if let object = try? body.decode(JSONObject.self, forKey: Member("metadata")) {
                metadata = object
            } else {
                problems.append(FieldProblem("metadata", "must be a JSON object"))
            }
        }
        if !problems.isEmpty { throw TaskportError.invalid(problems) }
    }
}

/// `UpdateAccountTaskDto`.
package struct ThenaTaskUpdate: Decodable, Hashable, Sendable {
    let fields: ThenaFields

    package init(from decoder: any Decoder) throws {
        fields = try ThenaFields(from: decoder)
    }
}

/// `CreateAccountTaskDto`: the update's members with `accountId` and `title` required.
package struct ThenaTaskCreate: Decodable, Hashable, Sendable {
    let fields: ThenaFields

    package init(from decoder: any Decoder) throws {
        fields = try ThenaFields(from: decoder)
        var missing: [FieldProblem] = []
        if fields.accountId == nil { missing.append(FieldProblem("accountId", "is required")) }
        if fields.title == nil { missing.append(FieldProblem("title", "is required")) }
        if !missing.isEmpty { throw TaskportError.invalid(missing) }
    }
}

/// What a Thena answer needs besides the task: the tenant's attributes and the names it refers to.
struct ThenaContext: Sendable {
    var attributes: [TaskAttribute]
    var accounts: [UUID: Account]
    var creators: [UUID: User]

    /// The configured value a task's type, status or priority text stands for, if any.
    func attribute(_ kind: TaskAttribute.Kind, _ value: String?) -> TaskAttribute? {
        guard let value else { return nil }
        return attributes.first { $0.kind == kind && $0.value.caseInsensitiveCompare(value) == .orderedSame }
    }
}

/// `AccountTaskResponseDto`: every member present; text Taskport has no value for is `""`,
/// a configuration it has none for is `{}`.
package struct ThenaTask: Encodable, Hashable, Sendable, CompactJSONWriting {
    /// A task attribute as Thena shows it: its value, id and configuration.
    struct Attribute: Hashable, Sendable {
        var value: String
        var id: String
        var configuration: JSONObject
    }

    let record: TaskRecord
    let account: String
    let creator: String
    let creatorEmail: String
    let type: Attribute
    let status: Attribute
    let priority: Attribute

    init(_ record: TaskRecord, context: ThenaContext) {
        self.record = record
        let task = record.content
        account = task.subjectID.flatMap { UUID(text: $0) }.flatMap { context.accounts[$0]?.name } ?? ""
        let creator = record.creatorID.flatMap { context.creators[$0] }
        self.creator = creator?.name ?? ""
        creatorEmail = creator?.email ?? ""
        func shown(_ kind: TaskAttribute.Kind, _ value: String?) -> Attribute {
            let attribute = context.attribute(kind, value)
            return Attribute(value: attribute?.value ?? value ?? "", id: attribute?.id.lowercasedText ?? "", configuration: attribute?.configuration ?? [:])
        }
        type = shown(.type, task.type)
        status = shown(.status, task.status)
        priority = shown(.priority, task.priority)
    }

    /// Every member, as the encoder writes them (sorted).
    var members: JSONObject {
        let task = record.content
        var members: JSONObject = [
            "id": .string(record.id.lowercasedText),
            "accountId": .string(task.subjectID ?? ""),
            "account": .string(account),
            "activityId": .string(task.activityID?.lowercasedText ?? ""),
            "title": .string(task.title),
            "description": .string(task.notes ?? ""),
            "assigneeId": .string(task.assignee?.id.lowercasedText ?? ""),
            "attachments": JSONValue(task.attachments),
            "isActive": .bool(true),
            "creator": .string(creator),
            "creatorId": .string(record.creatorID?.lowercasedText ?? ""),
            "creatorEmail": .string(creatorEmail),
            "createdAt": .string(record.createdAt.rfc3339),
            "updatedAt": .string(record.updatedAt.rfc3339),
            "metadata": .object(task.metadata),
        ]
        for (kind, attribute) in [(TaskAttribute.Kind.type, type), (.status, status), (.priority, priority)] {
            members[kind.rawValue] = .string(attribute.value)
            members[kind.rawValue + "Id"] = .string(attribute.id)
            members[kind.rawValue + "Configuration"] = .object(attribute.configuration)
        }
        return members
    }

    package func encode(to encoder: any Encoder) throws {
        try JSONValue.object(members).encode(to: encoder)
    }

    /// `members` as the encoder writes them, written straight as bytes in its sorted order; nil
    /// when only the encoder can write it (a fractional number in `metadata` or a configuration).
    package func compactJSON() -> [UInt8]? {
        let task = record.content
        var object = CompactJSONObject()
        object.member("account", account)
        object.member("accountId", task.subjectID ?? "")
        object.member("activityId", task.activityID?.lowercasedText ?? "")
        object.member("assigneeId", task.assignee?.id.lowercasedText ?? "")
        object.member("attachments", strings: task.attachments)
        object.member("createdAt", timestamp: record.createdAt)
        object.member("creator", creator)
        object.member("creatorEmail", creatorEmail)
        object.member("creatorId", record.creatorID?.lowercasedText ?? "")
        object.member("description", task.notes ?? "")
        object.member("id", uuid: record.id)
        object.member("isActive", true)
        object.member("metadata", json: task.metadata)
        object.member("priority", priority.value)
        object.member("priorityConfiguration", json: priority.configuration)
        object.member("priorityId", priority.id)
        object.member("status", status.value)
        object.member("statusConfiguration", json: status.configuration)
        object.member("statusId", status.id)
        object.member("title", task.title)
        object.member("type", type.value)
        object.member("typeConfiguration", json: type.configuration)
        object.member("typeId", type.id)
        object.member("updatedAt", timestamp: record.updatedAt)
        return object.finish()
    }
}

/// A page of account tasks: `data` and `nextCursor`.
package typealias ThenaTaskList = CursorPage<ThenaTask>
