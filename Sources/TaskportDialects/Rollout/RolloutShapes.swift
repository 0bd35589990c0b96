import Foundation
import HTTPTypes
import OpenAPIRuntime
package import TaskportCore
package import TaskportHTTP

/// A task as Rollout shows it: the seed's 200 schema, every required member present and
/// `null` where there is no value. `originalIds` and `original` hold the task as each other
/// Taskport surface shows it.
package struct RolloutTask: Encodable, Hashable, Sendable, CompactJSONWriting {
    let record: TaskRecord
    let originalIDs: JSONObject
    let original: [String: TaskRendering]

    /// The task with each view's id and record of it.
    static func render(_ record: TaskRecord, views: [TaskView]) async throws -> RolloutTask {
        var ids: JSONObject = [:]
        var records: [String: TaskRendering] = [:]
        for view in views {
            ids[view.surface] = view.id(record)
            records[view.surface] = try await view.record(record)
        }
        return RolloutTask(record: record, originalIDs: ids, original: records)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, type, personId, assignedUserId, dueDateTime, isCompleted, created, updated, rolloutUpdated
        case originalIds, original
    }

    /// Each member's value as JSON, in the seed's order, but for `original`, which comes last.
    var members: [(key: CodingKeys, value: JSONValue)] {
        let task = record.content
        let assignedUser = task.assignee?.kind == .user ? task.assignee?.id : nil
        return [
            (.id, .string(record.id.lowercasedText)),
            (.name, .string(task.title)),
            (.type, .string(task.type ?? "")),
            (.personId, JSONValue(task.subjectID)),
            (.assignedUserId, JSONValue(assignedUser)),
            (.dueDateTime, JSONValue(task.dueAt)),
            (.isCompleted, .bool(task.completed)),
            (.created, JSONValue(record.createdAt)),
            (.updated, JSONValue(record.updatedAt)),
            (.rolloutUpdated, JSONValue(record.updatedAt)),
            (.originalIds, .object(originalIDs)),
        ]
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        for (key, value) in members {
            try container.encode(json: value, forKey: key)
        }
        var renderings = container.nestedContainer(keyedBy: JSONMemberKey.self, forKey: .original)
        for (surface, rendering) in original {
            try renderings.encode(rendering, forKey: JSONMemberKey(surface))
        }
    }

    /// The task's JSON, byte for byte as the encoder writes it, with each rendering in `original`
    /// written by its shape where it can (`TaskRendering.compactJSON`); nil when only the encoder
    /// can write some of it. The members are written in the encoder's sorted order, as `members`
    /// gives their values.
    package func compactJSON() -> [UInt8]? {
        var originals = CompactJSONObject(capacity: 8_192)
        for surface in original.keys.sorted(by: CompactJSONObject.precedes) {
            guard let rendering = original[surface], let json = rendering.compactJSON() else { return nil }
            originals.member(surface, written: json)
        }
        guard let originalJSON = originals.finish() else { return nil }
        let task = record.content
        var object = CompactJSONObject(capacity: originalJSON.count + 1_024)
        object.member("assignedUserId", uuid: task.assignee?.kind == .user ? task.assignee?.id : nil)
        object.member("created", timestamp: record.createdAt)
        object.member("dueDateTime", timestamp: task.dueAt)
        object.member("id", uuid: record.id)
        object.member("isCompleted", task.completed)
        object.member("name", task.title)
        object.member("original", written: originalJSON)
        object.member("originalIds", json: originalIDs)
        object.member("personId", task.subjectID)
        object.member("rolloutUpdated", timestamp: record.updatedAt)
        object.member("type", task.type ?? "")
        object.member("updated", timestamp: record.updatedAt)
        return object.finish()
    }

    /// The task as `multipart/form-data`: one part per member. Strings and booleans are
    /// `text/plain` parts; `null` is an empty part; `originalIds` and `original` are JSON parts.
    func multipartParts() throws -> [MultipartRawPart] {
        let original = MultipartRawPart(
            name: CodingKeys.original.rawValue, headerFields: [.contentType: "application/json"], body: HTTPBody(try StoredJSON.encode(original))
        )
        return try members.map { key, value in
            let (text, contentType): (String, String) =
                switch value {
                case .string(let string): (string, "text/plain")
                case .bool(let bool): (bool ? "true" : "false", "text/plain")
                case .null: ("", "text/plain")
                default: (try StoredJSON.encode(value), "application/json")
                }
            return MultipartRawPart(
                name: key.rawValue, headerFields: [.contentType: contentType], body: HTTPBody(text)
            )
        } + [original]
    }

    /// The task as a JSON text, for `text/plain`.
    func jsonText() throws -> String { try StoredJSON.encode(self) }
}

/// One page of tasks: `results` and `nextCursor`.
package typealias RolloutTaskList = CursorPage<RolloutTask>

/// The members a Rollout client may send, from any of the three body types.
struct RolloutInput: Equatable {
    var personId: String?
    var name: String?
    var type: String?
    var assignedUserId: String?
    var isCompleted: Bool?
    var dueDateTime: String?

    static let memberNames: Set<String> = ["personId", "name", "type", "assignedUserId", "isCompleted", "dueDateTime"]

    /// Reads form fields; booleans must be `true` or `false`. Unknown fields are ignored, as
    /// unknown members of a JSON body are.
    init(form fields: [String: String]) throws {
        personId = fields["personId"]
        name = fields["name"]
        type = fields["type"]
        assignedUserId = fields["assignedUserId"]
        dueDateTime = fields["dueDateTime"]
        if let completed = fields["isCompleted"] {
            switch completed.lowercased() {
            case "true": isCompleted = true
            case "false": isCompleted = false
            default: throw TaskportError.malformed("isCompleted: expected true or false, got '\(completed)'")
            }
        }
    }

    init(personId: String?, name: String?, type: String?, assignedUserId: String?, isCompleted: Bool?, dueDateTime: String?) {
        self.personId = personId
        self.name = name
        self.type = type
        self.assignedUserId = assignedUserId
        self.isCompleted = isCompleted
        self.dueDateTime = dueDateTime
    }

    /// The members of the request being handled that were sent as JSON `null` (`RolloutNullMembers`).
    @TaskLocal static var nullMembers: Set<String> = []

    /// These members with those sent as JSON `null` read as no value, as an empty text is.
    func withNulls(_ members: Set<String>) -> RolloutInput {
        var input = self
        if members.contains("personId") { input.personId = "" }
        if members.contains("type") { input.type = "" }
        if members.contains("assignedUserId") { input.assignedUserId = "" }
        if members.contains("dueDateTime") { input.dueDateTime = "" }
        return input
    }

    /// The edits these members stand for. Members that are absent stay as they are; an empty
    /// (or `null`) `personId`, `type` or `dueDateTime` clears it. An empty `assignedUserId` says
    /// the task has no user assignee: a user assignee is removed, a team one (which Rollout
    /// shows as `null`) stays.
    func patch() throws -> TaskPatch {
        var patch = TaskPatch()
        var problems: [FieldProblem] = []
        if let name { patch.append(.title(name)) }
        if let type { patch.append(.type(type.isEmpty ? nil : type)) }
        if let personId { patch.append(.subjectID(personId.isEmpty ? nil : personId)) }
        if let isCompleted { patch.append(.completed(isCompleted)) }
        if let assignedUserId {
            if assignedUserId.isEmpty {
                patch.append(.unassignUser)
            } else if let id = UUID(text: assignedUserId) {
                patch.append(.assignee(.user(id)))
            } else {
                problems.append(FieldProblem("assignedUserId", "'\(assignedUserId)' is not a user of this account"))
            }
        }
        if let dueDateTime {
            if dueDateTime.isEmpty {
                patch.append(.dueAt(nil))
            } else if let due = Timestamp(rfc3339: dueDateTime) {
                patch.append(.dueAt(due))
            } else {
                problems.append(FieldProblem("dueDateTime", "'\(dueDateTime)' is not an ISO 8601 date-time such as 2026-01-31T09:30:00Z"))
            }
        }
        if !problems.isEmpty { throw TaskportError.invalid(problems) }
        return patch
    }

    /// Reads the form fields of a multipart body. Each must be valid UTF-8 and sent once. Parts
    /// that are not members (`id`, `original`, … of a record sent back as it was read) are read
    /// past and ignored.
    static func form<Part: Sendable & Hashable>(
        _ body: MultipartBody<Part>, fields: (Part) -> (name: String?, body: HTTPBody)
    ) async throws -> [String: String] {
        var values: [String: String] = [:]
        do {
            for try await part in body {
                let (name, content) = fields(part)
                // The next part can only be read once this one's body has been.
                let bytes = try await Data(collecting: content, upTo: BodyLimit.maximumBytes)
                guard let name else { continue }
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw TaskportError.malformed("\(name): is not valid UTF-8")
                }
                guard values.updateValue(text, forKey: name) == nil else {
                    throw TaskportError.malformed("\(name): is sent more than once")
                }
            }
        } catch let error as TaskportError {
            throw error
        } catch {
            // The body is in memory already: anything that goes wrong reading it is the client's.
            throw TaskportError.malformed("The multipart/form-data body is malformed: \(error)")
        }
        return values
    }
}

/// The canonical field names as Rollout spells them, for error messages.
enum RolloutFieldNames {
    static let names = FieldNames([
        .title: "name", .subjectId: "personId", .assignee: "assignedUserId", .dueAt: "dueDateTime", .completed: "isCompleted",
    ])
}
