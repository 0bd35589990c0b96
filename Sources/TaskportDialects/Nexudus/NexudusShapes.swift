import Foundation
package import TaskportCore
package import TaskportHTTP

/// The integer ids and time zones a Nexudus record shows for the UUIDs a task holds.
package struct NexudusReferences: Sendable {
    /// Businesses by the scope id tasks carry.
    var businesses: [String: Business] = [:]
    /// Customer numbers by the subject id tasks carry.
    var customers: [String: Int64] = [:]
    /// User numbers by user id.
    var users: [UUID: Int64] = [:]

    /// Looks up what `tasks` name, one query per distinct business, customer and user.
    static func load(for tasks: [TaskRecord], in tenantID: UUID, from store: any DirectoryStore & CatalogStore) async throws -> Self {
        var references = NexudusReferences()
        for scope in Set(tasks.compactMap(\.content.scopeID)) {
            if let id = UUID(text: scope), let business = try await store.business(id, in: tenantID) {
                references.businesses[scope] = business
            }
        }
        for subject in Set(tasks.compactMap(\.content.subjectID)) {
            if let id = UUID(text: subject), let account = try await store.account(id, in: tenantID) {
                references.customers[subject] = account.number
            }
        }
        for id in Set(tasks.compactMap(\.content.responsibleID)) {
            if let user = try await store.user(id, in: tenantID) { references.users[id] = user.number }
        }
        return references
    }

    /// The time zone a task's local due time is shown in: its business's, else its own, else UTC.
    func timeZone(of task: TaskContent) -> TimeZone {
        let name = task.scopeID.flatMap { businesses[$0]?.timeZone } ?? task.timeZone
        return name.flatMap(TimeZoneName.zone) ?? TimeZone.gmt
    }
}

/// A CoworkerTask record, PascalCase as the vendor spells it; `null` where Taskport has no value.
/// The three required ids are never `null` (the vendor's clients read them as integers): a task
/// made through another surface without a business, customer or responsible user that Nexudus
/// knows shows `0`, and a PUT that sends `0` back keeps what the task has.
package struct NexudusTask: Encodable, Hashable, Sendable {
    let record: TaskRecord
    let businessID: Int64?
    let coworkerID: Int64?
    let responsibleID: Int64?
    let zone: TimeZone

    init(_ record: TaskRecord, _ references: NexudusReferences) {
        self.record = record
        let task = record.content
        businessID = task.scopeID.flatMap { references.businesses[$0]?.number }
        coworkerID = task.subjectID.flatMap { references.customers[$0] }
        responsibleID = task.responsibleID.flatMap { references.users[$0] }
        zone = references.timeZone(of: task)
    }

    var shownBusinessID: Int64 { businessID ?? 0 }
    var shownCoworkerID: Int64 { coworkerID ?? 0 }
    var shownResponsibleID: Int64 { responsibleID ?? 0 }

    enum CodingKeys: String, CodingKey {
        case Id, UniqueId, BusinessId, CoworkerId, Name, ResponsibleId, Notes, TaskItemUniqueId, TaskListName
        case Completed, DueDate, DueDateLocal, Reminded, NotifyByEmail, DisplayToEveryone, SystemId
        case CreatedOn, UpdatedOn, UpdatedBy
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let task = record.content
        try container.encode(record.number, forKey: .Id)
        try container.encode(record.id.lowercasedText, forKey: .UniqueId)
        try container.encode(shownBusinessID, forKey: .BusinessId)
        try container.encode(shownCoworkerID, forKey: .CoworkerId)
        try container.encode(task.title, forKey: .Name)
        try container.encode(shownResponsibleID, forKey: .ResponsibleId)
        try container.encodeOrNull(task.notes, forKey: .Notes)
        try container.encodeOrNull(task.listItemID, forKey: .TaskItemUniqueId)
        try container.encodeNil(forKey: .TaskListName)
        try container.encode(task.completed, forKey: .Completed)
        try container.encodeOrNull(task.dueAt?.rfc3339Compact, forKey: .DueDate)
        try container.encodeOrNull(task.dueAt?.wallClock(in: zone), forKey: .DueDateLocal)
        try container.encode(task.reminded, forKey: .Reminded)
        try container.encode(task.notifyByEmail, forKey: .NotifyByEmail)
        try container.encode(task.visibleToEveryone, forKey: .DisplayToEveryone)
        try container.encodeOrNull(task.externalID, forKey: .SystemId)
        try container.encode(record.createdAt.rfc3339Compact, forKey: .CreatedOn)
        try container.encode(record.updatedAt.rfc3339Compact, forKey: .UpdatedOn)
        try container.encodeOrNull(record.updatedBy, forKey: .UpdatedBy)
    }
}

extension NexudusTask: CompactJSONWriting {
    /// The record's JSON, byte for byte as the encoder writes it (members in its sorted order),
    /// written straight as bytes. Every member is text, a number or a flag, so it never needs the encoder.
    package func compactJSON() -> [UInt8]? {
        let task = record.content
        var object = CompactJSONObject(capacity: 640)
        object.member("BusinessId", shownBusinessID)
        object.member("Completed", task.completed)
        object.member("CoworkerId", shownCoworkerID)
        object.member("CreatedOn", timestamp: record.createdAt, compact: true)
        object.member("DisplayToEveryone", task.visibleToEveryone)
        object.member("DueDate", timestamp: task.dueAt, compact: true)
        object.member("DueDateLocal", task.dueAt?.wallClock(in: zone))
        object.member("Id", record.number)
        object.member("Name", task.title)
        object.member("Notes", task.notes)
        object.member("NotifyByEmail", task.notifyByEmail)
        object.member("Reminded", task.reminded)
        object.member("ResponsibleId", shownResponsibleID)
        object.member("SystemId", task.externalID)
        object.member("TaskItemUniqueId", task.listItemID)
        object.member("TaskListName", nil)
        object.member("UniqueId", uuid: record.id)
        object.member("UpdatedBy", record.updatedBy)
        object.member("UpdatedOn", timestamp: record.updatedAt, compact: true)
        return object.finish()
    }
}

/// One page of CoworkerTasks in the Nexudus list envelope.
package struct NexudusTaskList: Encodable, Hashable, Sendable {
    let records: [NexudusTask]
    /// From 1.
    let page: Int
    let size: Int
    let orderField: String
    let direction: String
    let total: Int

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NexudusMember.self)
        let first = (page - 1) * size
        let totalPages = (total + size - 1) / size
        try container.encode(records, forKey: "Records")
        try container.encode(records.count, forKey: "CurrentPageSize")
        try container.encode(page, forKey: "CurrentPage")
        try container.encode(orderField, forKey: "CurrentOrderField")
        try container.encode(direction, forKey: "CurrentSortDirection")
        try container.encode(records.isEmpty ? 0 : first + 1, forKey: "FirstItem")
        try container.encode(page < totalPages, forKey: "HasNextPage")
        try container.encode(page > 1, forKey: "HasPreviousPage")
        try container.encode(records.isEmpty ? 0 : first + records.count, forKey: "LastItem")
        try container.encode(page, forKey: "PageNumber")
        try container.encode(size, forKey: "PageSize")
        try container.encode(total, forKey: "TotalItems")
        try container.encode(totalPages, forKey: "TotalPages")
    }
}

/// The answer to a successful create, update or delete: the vendor's action envelope.
package struct NexudusActionResult: Encodable, Hashable, Sendable {
    let message: String
    let id: Int64
    let updatedOn: Timestamp
    let updatedBy: String

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NexudusMember.self)
        try container.encode(200, forKey: "Status")
        try container.encode(message, forKey: "Message")
        try container.encode(["Id": id], forKey: "Value")
        try container.encode(false, forKey: "OpenInDialog")
        try container.encode(false, forKey: "OpenInWindow")
        try container.encodeNil(forKey: "RedirectURL")
        try container.encodeNil(forKey: "JavaScript")
        try container.encode(updatedOn.rfc3339Compact, forKey: "UpdatedOn")
        try container.encode(updatedBy, forKey: "UpdatedBy")
        try container.encodeNil(forKey: "Errors")
        try container.encode(true, forKey: "WasSuccessful")
    }
}

extension NexudusActionResult: CompactJSONWriting {
    /// The envelope's JSON, byte for byte as the encoder writes it, written straight as bytes.
    package func compactJSON() -> [UInt8]? {
        var object = CompactJSONObject(capacity: 256)
        object.member("Errors", nil)
        object.member("JavaScript", nil)
        object.member("Message", message)
        object.member("OpenInDialog", false)
        object.member("OpenInWindow", false)
        object.member("RedirectURL", nil)
        object.member("Status", 200)
        object.member("UpdatedBy", updatedBy)
        object.member("UpdatedOn", timestamp: updatedOn, compact: true)
        object.member("Value") { value in value.member("Id", id) }
        object.member("WasSuccessful", true)
        return object.finish()
    }
}

/// One failing field of a request.
package struct NexudusFieldError: Hashable, Sendable {
    let property: String
    let message: String
    /// What the client sent, `null` when it sent nothing (or an empty string).
    let attempted: JSONValue

    init(_ property: String, _ message: String, attempted: JSONValue = .null) {
        self.property = property
        self.message = message
        self.attempted = attempted
    }
}

/// Every Nexudus error: `Message` (`Property: message` lines), `Value: null`, `Errors`, `WasSuccessful: false`.
/// It is also what a request's validation fails with.
package struct NexudusValidationResult: Encodable, Hashable, Sendable, Error {
    let message: String
    let errors: [NexudusFieldError]

    init(_ errors: [NexudusFieldError]) {
        self.errors = errors
        message = errors.map { "\($0.property): \($0.message)" }.joined(separator: "\n")
    }

    /// An error that is not about one field.
    init(message: String) {
        self.message = message
        errors = []
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NexudusMember.self)
        try container.encode(message, forKey: "Message")
        try container.encodeNil(forKey: "Value")
        var list = container.nestedUnkeyedContainer(forKey: "Errors")
        for error in errors {
            var item = list.nestedContainer(keyedBy: NexudusMember.self)
            try item.encode(error.attempted, forKey: "AttemptedValue")
            try item.encode(error.message, forKey: "Message")
            try item.encode(error.property, forKey: "PropertyName")
        }
        try container.encode(false, forKey: "WasSuccessful")
    }
}

/// A CoworkerTask request body, kept as the JSON object it is so that every field can be checked
/// and reported at once (the generated decoder would stop at the first).
package struct NexudusTaskBody: Decodable, Hashable, Sendable, PlainJSONReadable {
    let members: JSONObject

    init(members: JSONObject) {
        self.members = members
    }

    /// The body read straight from plain JSON, as `init(from:)` reads it through the decoder.
    package static func plainJSON(_ bytes: UnsafeBufferPointer<UInt8>) -> NexudusTaskBody? {
        guard case .object(let members)? = JSONValue(plainJSON: bytes) else { return nil }
        return NexudusTaskBody(members: members)
    }

    package init(from decoder: any Decoder) throws {
        guard case .object(let members) = try JSONValue(from: decoder) else {
            throw TaskportError.malformed("The request body must be a JSON object")
        }
        self.members = members
    }
}

/// A member name for containers whose keys are PascalCase vendor names.
struct NexudusMember: CodingKey, ExpressibleByStringLiteral {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringLiteral value: String) { stringValue = value }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
