import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskportCore
import TaskportHTTP
import TaskportServer
import Testing

/// The promise that a task made through any surface can be read and updated through every other,
/// checked as a property over generated tasks rather than a list of cases: for every surface and
/// every task (made through every surface, with every mix of present and absent fields, changed
/// since through others), what the surface shows, written back through each of its write routes
/// and body types, is accepted and changes nothing; and one field changed in it lands alone and
/// shows through every other surface.
///
/// The tasks come from a seeded generator: a failure prints the seed, and
/// `TASKPORT_PROPERTY_SEED=<seed>` runs the same tasks again (`TASKPORT_PROPERTY_TASKS` sets how many).
@Suite("Cross-surface fidelity")
struct CrossSurfaceFidelityTests {
    static let seed = ProcessInfo.processInfo.environment["TASKPORT_PROPERTY_SEED"].flatMap { UInt64($0) }
        ?? UInt64.random(in: 1...UInt64(UInt32.max))
    static let taskCount = ProcessInfo.processInfo.environment["TASKPORT_PROPERTY_TASKS"].flatMap { Int($0) } ?? 16

    @Test func whatEverySurfaceShowsItAcceptsBackAndOneChangeLandsAlone() async throws {
        let world = try await FidelityWorld.make()
        var random = SplitMix64(seed: Self.seed)
        let plans = (0..<Self.taskCount).map { _ in TaskPlan.random(using: &random) }
        let changes = (0..<Self.taskCount).map { _ in FieldChangePlan.random(using: &random) }
        try await world.h.run { native in
            let surfaces = Surfaces(client: native.client, world: world)
            for (index, plan) in plans.enumerated() {
                let case_ = "seed \(Self.seed), task \(index): \(plan)"
                let id = try await surfaces.make(plan, case: case_)
                for route in WriteBack.allCases {
                    try await surfaces.expectNoChange(writingBack: route, task: id, withETag: index % 2 == 0, case: case_)
                }
                for surface in FidelitySurface.allCases {
                    try await surfaces.expectOneChange(changes[index], through: surface, task: id, case: case_)
                }
            }
        }
    }

    @Test func nexudusAndThenaTakeAnOptionalIfMatch() async throws {
        let world = try await FidelityWorld.make()
        try await world.h.run { native in
            let surfaces = Surfaces(client: native.client, world: world)
            let id = try await surfaces.make(TaskPlan(maker: .nexudus, title: "Guarded"), case: "If-Match")
            let task = try #require(try await world.h.store.task(.id(id), in: world.h.tenant.id))

            let nexudus = try await surfaces.send(.nexudus, .get, "/api/crm/coworkertasks/\(task.number)")
            #expect(nexudus.headers[.eTag] == #""\#(task.version)""#)
            var record = try nexudus.jsonObject()
            record["Name"] = "Renamed with the tag"
            record.removeValue(forKey: "UpdatedOn")
            let stale = try await surfaces.send(.nexudus, .put, "/api/crm/coworkertasks", record, headers: [.ifMatch: #""99""#])
            #expect(stale.status == .conflict)
            #expect(try stale.jsonObject()["WasSuccessful"] == false)
            let fresh = try await surfaces.send(.nexudus, .put, "/api/crm/coworkertasks", record, headers: [.ifMatch: #""\#(task.version)""#])
            #expect(fresh.status == .ok)
            #expect(fresh.headers[.eTag] == #""\#(task.version + 1)""#)
            // UpdatedOn, as read, does the same as an If-Match header.
            let byTime = try await surfaces.send(.nexudus, .put, "/api/crm/coworkertasks", record, headers: [.ifMatch: task.updatedAt.rfc3339Compact])
            #expect(byTime.status == .conflict)

            let thena = try await surfaces.send(.thena, .get, "/v1/accounts/tasks/\(id)")
            let tag = try #require(thena.headers[.eTag])
            #expect(tag == #""\#(task.version + 1)""#)
            let shown = try thena.jsonObject()
            let conflict = try await surfaces.send(.thena, .put, "/v1/accounts/tasks/\(id)", ["title": "Late"], headers: [.ifMatch: #""1""#])
            #expect(conflict.status == .conflict)
            #expect(try conflict.jsonObject()["error"] == "Conflict")
            #expect(try conflict.jsonObject()["statusCode"] == 409)
            let byUpdatedAt = try await surfaces.send(.thena, .put, "/v1/accounts/tasks/\(id)", ["title": "On time"], headers: [.ifMatch: try #require(shown["updatedAt"]?.text)])
            #expect(byUpdatedAt.status == .ok)
            let deleteStale = try await surfaces.send(.thena, .delete, "/v1/accounts/tasks/\(id)", headers: [.ifMatch: tag])
            #expect(deleteStale.status == .conflict)
            let after = try #require(try await world.h.store.task(.id(id), in: world.h.tenant.id))
            #expect(after.content.title == "On time")
            #expect(after.version == task.version + 2)
            // A client that sends none writes as before.
            #expect(try await surfaces.send(.thena, .put, "/v1/accounts/tasks/\(id)", ["title": "Unguarded"]).status == .ok)
            #expect(try await surfaces.send(.nexudus, .delete, "/api/crm/coworkertasks/\(task.number)", headers: [.ifMatch: #""1""#]).status == .conflict)
            #expect(try await surfaces.send(.nexudus, .delete, "/api/crm/coworkertasks/\(task.number)").status == .ok)
        }
    }

    @Test func thenaAnEmptyTaskIDIsTheVendors400() async throws {
        let world = try await FidelityWorld.make()
        try await world.h.run { native in
            let surfaces = Surfaces(client: native.client, world: world)
            for path in ["/v1/accounts/tasks/", "/v1/accounts/tasks/%20"] {
                for method in [HTTPRequest.Method.put, .delete] {
                    let response = try await surfaces.send(.thena, method, path, method == .put ? ["title": "x"] : nil)
                    #expect(response.status == .badRequest, "\(method) \(path)")
                    #expect(try response.jsonObject() == ["statusCode": 400, "message": "Task ID is required!", "error": "Bad Request"])
                }
            }
            // Without a key it is still 401 first.
            let anonymous = try await native.client.execute(uri: "/v1/accounts/tasks/", method: .put, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{}"))
            #expect(anonymous.status == .unauthorized)
        }
    }
}

// MARK: - The world the tasks live in

/// A tenant with what every surface's tasks refer to: businesses in two time zones, a customer,
/// an activity, Thena's attributes, a team with a member, and each surface's credentials.
struct FidelityWorld: Sendable {
    let h: Harness
    let nexudusToken: String
    let london: Business
    let newYork: Business
    let customer: Account
    let activity: Activity
    let open: TaskAttribute
    let done: TaskAttribute
    let call: TaskAttribute
    let high: TaskAttribute

    static func make() async throws -> FidelityWorld {
        let h = try await Harness.make()
        let store = h.store
        let tenant = h.tenant.id
        try await store.addMember(h.bob.id, toTeam: h.team.id, in: tenant)
        let tokens = try await TokenAuthority.load(from: store)
        let customer = try await store.createAccount(named: "Acme Corp", in: tenant)
        return FidelityWorld(
            h: h,
            nexudusToken: try await tokens.issue(for: Principal(tenantID: tenant, user: h.alice), lifetime: 3600, surface: "nexudus"),
            london: try await store.createBusiness(named: "London", timeZone: "Europe/London", in: tenant),
            newYork: try await store.createBusiness(named: "New York", timeZone: "America/New_York", in: tenant),
            customer: customer,
            activity: try await store.createActivity(named: "Renewal call", account: customer.id, in: tenant),
            open: try await store.createAttribute(.status, value: "Open", configuration: ["order": 1], in: tenant),
            done: try await store.createAttribute(.status, value: "Done", configuration: ["order": 2, "done": true], in: tenant),
            call: try await store.createAttribute(.type, value: "Call", configuration: ["color": "#1565c0"], in: tenant),
            high: try await store.createAttribute(.priority, value: "High", configuration: [:], in: tenant)
        )
    }
}

enum FidelitySurface: String, CaseIterable, Sendable {
    case native, rollout, nexudus, thena, maxsight
}

/// Each surface's requests, authenticated as that surface's clients are.
struct Surfaces: Sendable {
    let client: any TestClientProtocol
    let world: FidelityWorld

    func send(
        _ surface: FidelitySurface, _ method: HTTPRequest.Method, _ path: String, _ body: JSONObject? = nil,
        headers: HTTPFields = [:]
    ) async throws -> TestResponse {
        try await send(surface, method, path, raw: try body.map { try StoredJSON.encode($0) }, headers: headers)
    }

    func send(
        _ surface: FidelitySurface, _ method: HTTPRequest.Method, _ path: String, raw body: String?,
        contentType: String = "application/json", headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        let h = world.h
        var uri = path
        switch surface {
        case .native: headers[.authorization] = "Bearer \(h.key)"
        case .rollout:
            headers[.authorization] = "Bearer \(h.rolloutToken)"
            headers[HTTPField.Name("X-Rollout-Credential-Id")!] = h.rolloutCredential
            uri = "/api" + path
        case .nexudus: headers[.authorization] = "Bearer \(world.nexudusToken)"
        case .thena: headers[HTTPField.Name("x-api-key")!] = h.key
        case .maxsight:
            headers[HTTPField.Name("apikey")!] = h.key
            uri = "/v5" + path
        }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = contentType }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// The task as `surface` shows it.
    func read(_ surface: FidelitySurface, _ task: TaskRecord, accept: String? = nil) async throws -> TestResponse {
        let headers: HTTPFields = accept.map { [.accept: $0] } ?? [:]
        let id = task.id.uuidString.lowercased()
        let path =
            switch surface {
            case .native: "/v1/tasks/\(id)"
            case .rollout: "/tasks/\(id)"
            case .nexudus: "/api/crm/coworkertasks/\(task.number)"
            case .thena: "/v1/accounts/tasks/\(id)"
            case .maxsight: "/tasks/\(id)"
            }
        let response = try await send(surface, .get, path, raw: nil, headers: headers)
        #expect(response.status == .ok, "GET through \(surface): \(response.text)")
        return response
    }

    func stored(_ id: UUID) async throws -> TaskRecord {
        try #require(try await world.h.store.task(.id(id), in: world.h.tenant.id))
    }

    func historyCount(_ id: UUID) async throws -> Int {
        try #require(try await world.h.store.history(of: .id(id), in: world.h.tenant.id)).count
    }

    // MARK: Making tasks

    /// Makes the task `plan` describes through its surface, then applies its later changes
    /// through others. Returns the task's id.
    func make(_ plan: TaskPlan, case: String) async throws -> UUID {
        let w = world
        let id: UUID
        switch plan.maker {
        case .native, .cli:
            var content = TaskContent(title: plan.title)
            content.notes = plan.notes
            content.completed = plan.completed
            content.dueAt = plan.due
            content.timeZone = plan.timeZone
            content.assignee = plan.assignee.map { $0.assignee(in: w) }
            content.subjectID = plan.subject.map { $0.id(in: w) }
            content.scopeID = plan.scope.map { $0.id(in: w) }
            content.type = plan.type
            content.status = plan.status
            content.priority = plan.priority
            content.metadata = plan.metadata ?? [:]
            content.attachments = plan.attachments
            content.activityID = plan.withActivity ? w.activity.id : nil
            content.responsibleID = plan.responsible.map { $0 == .alice ? w.h.alice.id : w.h.bob.id }
            content.notifyByEmail = plan.flag
            content.visibleToEveryone = plan.flag
            content.listItemID = plan.listItem
            content.externalID = plan.listItem.map { "ext-" + $0 }
            if plan.maker == .cli {
                content.reminded = plan.flag && plan.due != nil
                id = try await w.h.store.create(
                    TaskCreation(tenantID: w.h.tenant.id, content: content, actor: Actor(userID: nil, name: "taskport", surface: "cli"))
                ).id
            } else {
                var body: JSONObject = ["title": .string(plan.title), "completed": .bool(plan.completed)]
                body["notes"] = plan.notes.map(JSONValue.string)
                body["dueAt"] = plan.due.map { .string($0.rfc3339) }
                body["timeZone"] = plan.timeZone.map(JSONValue.string)
                body["assignee"] = content.assignee.map { .object(["type": .string($0.kind.rawValue), "id": JSONValue($0.id)]) }
                body["subjectId"] = content.subjectID.map(JSONValue.string)
                body["scopeId"] = content.scopeID.map(JSONValue.string)
                body["type"] = plan.type.map(JSONValue.string)
                body["status"] = plan.status.map(JSONValue.string)
                body["priority"] = plan.priority.map(JSONValue.string)
                body["metadata"] = plan.metadata.map(JSONValue.object)
                if !plan.attachments.isEmpty { body["attachments"] = JSONValue(plan.attachments) }
                body["activityId"] = content.activityID.map { JSONValue($0) }
                body["responsibleId"] = content.responsibleID.map { JSONValue($0) }
                body["notifyByEmail"] = .bool(plan.flag)
                body["visibleToEveryone"] = .bool(plan.flag)
                body["listItemId"] = content.listItemID.map(JSONValue.string)
                body["externalId"] = content.externalID.map(JSONValue.string)
                let response = try await send(.native, .post, "/v1/tasks", body)
                #expect(response.status == .created, "\(`case`): \(response.text)")
                id = try #require(try response.jsonObject()["id"]?.text.flatMap { UUID(uuidString: $0) })
            }
        case .rollout:
            var body: JSONObject = ["name": .string(plan.title), "isCompleted": .bool(plan.completed)]
            body["type"] = plan.type.map(JSONValue.string)
            body["personId"] = plan.subject.map { .string($0.id(in: w)) }
            if case .user(let who)? = plan.assignee { body["assignedUserId"] = JSONValue(who == .alice ? w.h.alice.id : w.h.bob.id) }
            body["dueDateTime"] = plan.due.map { .string($0.rfc3339) }
            let response = try await send(.rollout, .post, "/tasks", body)
            #expect(response.status == .created, "\(`case`): \(response.text)")
            id = try #require(try response.jsonObject()["id"]?.text.flatMap { UUID(uuidString: $0) })
        case .nexudus:
            var body: JSONObject = [
                "BusinessId": .integer(plan.scope == .newYork ? w.newYork.number : w.london.number),
                "CoworkerId": .integer(w.customer.number), "Name": .string(plan.title),
                "ResponsibleId": .integer(plan.responsible == .bob ? w.h.bob.number : w.h.alice.number),
                "Completed": .bool(plan.completed), "NotifyByEmail": .bool(plan.flag), "DisplayToEveryone": .bool(plan.flag),
            ]
            body["Notes"] = plan.notes.map(JSONValue.string)
            body["DueDate"] = plan.due.map { .string($0.rfc3339) }
            body["TaskItemUniqueId"] = plan.listItem.map(JSONValue.string)
            body["SystemId"] = plan.listItem.map { .string("ext-" + $0) }
            let response = try await send(.nexudus, .post, "/api/crm/coworkertasks", body)
            #expect(response.status == .ok, "\(`case`): \(response.text)")
            guard case .object(let value)? = try response.jsonObject()["Value"], case .integer(let number)? = value["Id"] else {
                Issue.record("\(`case`): no Value.Id in \(response.text)")
                throw FidelityFailure()
            }
            id = try #require(try await w.h.store.task(.number(number), in: w.h.tenant.id)).id
        case .thena:
            var body: JSONObject = ["accountId": JSONValue(w.customer.id), "title": .string(plan.title)]
            body["description"] = plan.notes.map(JSONValue.string)
            if case .user(let who)? = plan.assignee { body["assigneeId"] = JSONValue(who == .alice ? w.h.alice.id : w.h.bob.id) }
            // Thena takes configured values only, by value or by id.
            body["type"] = plan.type.map { _ in .string(w.call.value) }
            body["status"] = plan.status.map { _ in .string(plan.completed ? w.done.id.uuidString : w.open.value.lowercased()) }
            body["priority"] = plan.priority.map { _ in .string(w.high.value) }
            body["metadata"] = plan.metadata.map(JSONValue.object)
            if !plan.attachments.isEmpty { body["attachmentUrls"] = JSONValue(plan.attachments) }
            if plan.withActivity { body["activityId"] = JSONValue(w.activity.id) }
            let response = try await send(.thena, .post, "/v1/accounts/tasks", body)
            #expect(response.status == .created, "\(`case`): \(response.text)")
            id = try #require(try response.jsonObject()["id"]?.text.flatMap { UUID(uuidString: $0) })
        }
        for later in plan.later {
            try await apply(later, to: id, case: `case`)
        }
        return id
    }

    /// A change made through another surface after the task was made.
    func apply(_ change: LaterChange, to id: UUID, case: String) async throws {
        let w = world
        let task = try await stored(id)
        let path = "/tasks/\(id.uuidString.lowercased())"
        let response: TestResponse
        switch change {
        case .maxsightAssignsTeam, .maxsightAssignsBob:
            let team = change == .maxsightAssignsTeam
            let update: JSONObject = [
                "assigned_by_id": JSONValue(w.h.alice.id), "assigned_to_id": JSONValue(team ? w.h.team.id : w.h.bob.id),
                "assigned_to_type": .string(team ? "TEAM" : "USER"), "assignment_comment": "over to you",
            ]
            response = try await send(.maxsight, .put, path + "/update-assignment", ["update": .object(update)], headers: [.ifMatch: task.updatedAt.rfc3339])
        case .maxsightUnassigns:
            response = try await send(
                .maxsight, .put, path + "/update-assignment", ["unassign": .object(["assigned_by_id": JSONValue(w.h.alice.id)])],
                headers: [.ifMatch: task.updatedAt.rfc3339]
            )
        case .nativeSetsUnconfiguredValues:
            response = try await send(
                .native, .patch, "/v1/tasks/\(id.uuidString.lowercased())", raw: #"{"status":"INCOMPLETE","type":"errand","scopeId":"institution-7"}"#,
                contentType: "application/merge-patch+json"
            )
        case .thenaMarksDone:
            response = try await send(.thena, .put, "/v1/accounts/tasks/\(id.uuidString.lowercased())", ["status": .string(w.done.value)])
        case .rolloutTogglesCompletion:
            response = try await send(.rollout, .put, path, ["isCompleted": .bool(!task.content.completed)])
        }
        #expect((200..<300).contains(Int(response.status.code)), "\(`case`), then \(change): \(response.text)")
    }

    // MARK: The property

    /// Reads the task through the route's surface and sends back exactly what it showed: the
    /// answer is 2xx, and the task has no new version and no new history entry.
    func expectNoChange(writingBack route: WriteBack, task id: UUID, withETag: Bool, case: String) async throws {
        let before = try await stored(id)
        let entries = try await historyCount(id)
        let taskID = id.uuidString.lowercased()
        let response: TestResponse
        switch route {
        case .nativePatch:
            let shown = try await read(.native, before)
            response = try await send(.native, .patch, "/v1/tasks/\(taskID)", raw: shown.text, contentType: "application/merge-patch+json")
        case .rolloutJSON, .rolloutText, .rolloutMultipart:
            let type = route == .rolloutJSON ? "application/json" : route == .rolloutText ? "text/plain" : "multipart/form-data"
            let shown = try await read(.rollout, before, accept: type)
            let sentType = try #require(shown.headers[.contentType])
            #expect(sentType.hasPrefix(type))
            response = try await send(.rollout, .put, "/tasks/\(taskID)", raw: shown.text, contentType: sentType)
        case .nexudusPut:
            let shown = try await read(.nexudus, before)
            let headers: HTTPFields = withETag ? [.ifMatch: try #require(shown.headers[.eTag])] : [:]
            response = try await send(.nexudus, .put, "/api/crm/coworkertasks", raw: shown.text, headers: headers)
        case .thenaPut:
            let shown = try await read(.thena, before)
            let headers: HTTPFields = withETag ? [.ifMatch: try #require(shown.headers[.eTag])] : [:]
            response = try await send(.thena, .put, "/v1/accounts/tasks/\(taskID)", raw: shown.text, headers: headers)
        case .maxsightAssignment:
            let shown = try await read(.maxsight, before).jsonObject()
            let body: JSONObject
            if case .object(let assignment)? = shown["assignment"] {
                body = ["update": .object(assignment)]
            } else {
                body = ["unassign": .object(["assigned_by_id": JSONValue(world.h.alice.id)])]
            }
            response = try await send(
                .maxsight, .put, "/tasks/\(taskID)/update-assignment", body, headers: [.ifMatch: try #require(shown["updated_at"]?.text)]
            )
        }
        #expect((200..<300).contains(Int(response.status.code)), "\(`case`): \(route) sent back → \(response.status) \(response.text)")
        let after = try await stored(id)
        #expect(after.version == before.version, "\(`case`): \(route) sent back made version \(after.version) from \(before.version)")
        #expect(after.content == before.content, "\(`case`): \(route) sent back changed \(before.content.changes(to: after.content).map(\.field))")
        #expect(try await historyCount(id) == entries, "\(`case`): \(route) sent back wrote a history entry")
    }

    /// Reads the task through `surface`, changes one field of what it showed and sends it back:
    /// exactly that change lands (one new version, one history entry of that field and what it
    /// implies), and every other surface shows it.
    func expectOneChange(_ plan: FieldChangePlan, through surface: FidelitySurface, task id: UUID, case: String) async throws {
        let w = world
        let before = try await stored(id)
        let taskID = id.uuidString.lowercased()
        let field = plan.field(for: surface)
        // Each surface's change is its own, so that none repeats the one before it.
        let index = Int64(FidelitySurface.allCases.firstIndex(of: surface) ?? 0)
        let plan = FieldChangePlan(
            fields: plan.fields, text: "\(plan.text) by \(surface)", due: Timestamp(microseconds: plan.due.microseconds + (index + 1) * 3_600_000_000)
        )
        var expected = TaskFieldValue.title(plan.text)
        var implied: Set<String> = []
        var response: TestResponse
        switch surface {
        case .native:
            var shown = try await read(.native, before).jsonObject()
            switch field {
            case .title: shown["title"] = .string(plan.text)
            case .notes:
                shown["notes"] = .string(plan.text)
                expected = .notes(plan.text)
            case .completed:
                shown["completed"] = .bool(!before.content.completed)
                expected = .completed(!before.content.completed)
            case .dueAt, .assignee, .metadata:
                shown["dueAt"] = .string(plan.due.rfc3339)
                expected = .dueAt(plan.due)
            }
            response = try await send(.native, .patch, "/v1/tasks/\(taskID)", raw: try StoredJSON.encode(shown), contentType: "application/merge-patch+json")
        case .rollout:
            var shown = try await read(.rollout, before).jsonObject()
            switch field {
            case .title: shown["name"] = .string(plan.text)
            case .completed:
                shown["isCompleted"] = .bool(!before.content.completed)
                expected = .completed(!before.content.completed)
            case .assignee:
                let user = before.content.assignee == .user(w.h.alice.id) ? w.h.bob : w.h.alice
                shown["assignedUserId"] = JSONValue(user.id)
                expected = .assignee(user.id)
            case .dueAt, .notes, .metadata:
                shown["dueDateTime"] = .string(plan.due.rfc3339)
                expected = .dueAt(plan.due)
            }
            response = try await send(.rollout, .put, "/tasks/\(taskID)", shown)
        case .nexudus:
            var shown = try await read(.nexudus, before).jsonObject()
            switch field {
            case .title: shown["Name"] = .string(plan.text)
            case .notes:
                shown["Notes"] = .string(plan.text)
                expected = .notes(plan.text)
            case .completed:
                shown["Completed"] = .bool(!before.content.completed)
                expected = .completed(!before.content.completed)
            case .dueAt, .assignee, .metadata:
                // DueDateLocal is sent back as it was shown: the field that changed wins.
                shown["DueDate"] = .string(plan.due.rfc3339Compact)
                expected = .dueAt(plan.due)
            }
            response = try await send(.nexudus, .put, "/api/crm/coworkertasks", shown)
        case .thena:
            var shown = try await read(.thena, before).jsonObject()
            switch field {
            case .title: shown["title"] = .string(plan.text)
            case .notes:
                shown["description"] = .string(plan.text)
                expected = .notes(plan.text)
            case .assignee:
                let user = before.content.assignee == .user(w.h.alice.id) ? w.h.bob : w.h.alice
                shown["assigneeId"] = JSONValue(user.id)
                expected = .assignee(user.id)
            case .metadata, .completed, .dueAt:
                let metadata: JSONObject = ["changed": .string(plan.text), "list": .array([1, 2.5, "three"])]
                shown["metadata"] = .object(metadata)
                expected = .metadata(metadata)
            }
            response = try await send(.thena, .put, "/v1/accounts/tasks/\(taskID)", shown)
        case .maxsight:
            let shown = try await read(.maxsight, before).jsonObject()
            let user = before.content.assignee == .user(w.h.alice.id) ? w.h.bob : w.h.alice
            let update: JSONObject = [
                "assigned_by_id": JSONValue(w.h.alice.id), "assigned_to_id": JSONValue(user.id),
                "assigned_to_type": "USER", "assignment_comment": .string(plan.text),
            ]
            expected = .assignee(user.id)
            response = try await send(
                .maxsight, .put, "/tasks/\(taskID)/update-assignment", ["update": .object(update)],
                headers: [.ifMatch: try #require(shown["updated_at"]?.text)]
            )
            if before.content.assignmentComment != plan.text { implied.insert("assignmentComment") }
        }
        if case .dueAt = expected, before.content.reminded { implied.insert("reminded") }
        if case .assignee = expected {
            if before.content.assignedByID != w.h.alice.id { implied.insert("assignedById") }
            if surface != .maxsight, before.content.assignmentComment != nil { implied.insert("assignmentComment") }
        }
        let what = "\(`case`): \(expected) through \(surface)"
        #expect(response.status == .ok, "\(what) → \(response.status) \(response.text)")
        let after = try await stored(id)
        #expect(after.version == before.version + 1, "\(what): version \(before.version) → \(after.version)")
        let history = try #require(try await world.h.store.history(of: .id(id), in: world.h.tenant.id))
        let changed = Set(history.last?.changes.map(\.field) ?? [])
        #expect(changed == implied.union([expected.field]), "\(what): the history entry changed \(changed.sorted())")
        #expect(history.last?.actor.surface == surface.rawValue, "\(what): the entry names \(history.last?.actor.surface ?? "nobody")")
        for other in FidelitySurface.allCases {
            let shown = try await read(other, after).jsonObject()
            if let seen = expected.shown(by: other, in: shown) {
                #expect(seen, "\(what): \(other) does not show it: \(shown)")
            }
        }
    }
}

struct FidelityFailure: Error {}

/// Each surface's write route and body type, for sending a task back as it was shown.
enum WriteBack: CaseIterable, Sendable {
    case nativePatch, rolloutJSON, rolloutText, rolloutMultipart, nexudusPut, thenaPut, maxsightAssignment
}

/// One field's new value, and how each surface shows it.
enum TaskFieldValue: CustomStringConvertible {
    case title(String)
    case notes(String)
    case completed(Bool)
    case dueAt(Timestamp)
    case assignee(UUID)
    case metadata(JSONObject)

    var field: String {
        switch self {
        case .title: "title"
        case .notes: "notes"
        case .completed: "completed"
        case .dueAt: "dueAt"
        case .assignee: "assignee"
        case .metadata: "metadata"
        }
    }

    var description: String { field }

    /// Whether `record`, as `surface` showed it, holds the value; nil where the surface does not show the field.
    func shown(by surface: FidelitySurface, in record: JSONObject) -> Bool? {
        func member(_ names: [FidelitySurface: String]) -> JSONValue?? { names[surface].map { record[$0] } }
        switch self {
        case .title(let title):
            guard let value = member([.native: "title", .rollout: "name", .nexudus: "Name", .thena: "title", .maxsight: "c_name"]) else { return nil }
            return value == .string(title)
        case .notes(let notes):
            guard let value = member([.native: "notes", .nexudus: "Notes", .thena: "description"]) else { return nil }
            return value == .string(notes)
        case .completed(let completed):
            guard let value = member([.native: "completed", .rollout: "isCompleted", .nexudus: "Completed"]) else { return nil }
            return value == .bool(completed)
        case .dueAt(let due):
            guard let value = member([.native: "dueAt", .rollout: "dueDateTime", .nexudus: "DueDate"]) else { return nil }
            return value?.text.flatMap { Timestamp(rfc3339: $0) } == due
        case .assignee(let id):
            let text: String?
            switch surface {
            case .native:
                guard case .object(let assignee)? = record["assignee"] else { return false }
                text = assignee["id"]?.text
            case .rollout: text = record["assignedUserId"]?.text
            case .nexudus: return nil
            case .thena: text = record["assigneeId"]?.text
            case .maxsight:
                guard case .object(let assignment)? = record["assignment"] else { return false }
                text = assignment["assigned_to_id"]?.text
            }
            return text == id.uuidString.lowercased()
        case .metadata(let metadata):
            guard let value = member([.native: "metadata", .thena: "metadata", .maxsight: "custom_metadata"]) else { return nil }
            return value == .object(metadata)
        }
    }
}

// MARK: - Generated tasks

/// The fields a change may pick; each surface takes the nearest one it can write.
enum ChangedField: CaseIterable, Sendable {
    case title, notes, completed, dueAt, assignee, metadata
}

struct FieldChangePlan: Sendable {
    var fields: [FidelitySurface: ChangedField]
    var text: String
    var due: Timestamp

    func field(for surface: FidelitySurface) -> ChangedField { fields[surface] ?? .title }

    static func random(using random: inout SplitMix64) -> FieldChangePlan {
        var fields: [FidelitySurface: ChangedField] = [:]
        for surface in FidelitySurface.allCases {
            fields[surface] = ChangedField.allCases.randomElement(using: &random)
        }
        return FieldChangePlan(fields: fields, text: "changed \(random.next() % 100_000)", due: TaskPlan.instant(using: &random))
    }
}

enum Person: Sendable { case alice, bob }

enum PlannedAssignee: Sendable, CustomStringConvertible {
    case user(Person)
    case team

    func assignee(in world: FidelityWorld) -> Assignee {
        switch self {
        case .user(let who): .user(who == .alice ? world.h.alice.id : world.h.bob.id)
        case .team: .team(world.h.team.id)
        }
    }

    var description: String {
        switch self {
        case .user(let who): "user \(who)"
        case .team: "team"
        }
    }
}

enum PlannedSubject: Sendable {
    case customer, person

    func id(in world: FidelityWorld) -> String {
        self == .customer ? world.customer.id.uuidString.lowercased() : "person-42"
    }
}

enum PlannedScope: Sendable {
    case london, newYork, institution

    func id(in world: FidelityWorld) -> String {
        switch self {
        case .london: world.london.id.uuidString.lowercased()
        case .newYork: world.newYork.id.uuidString.lowercased()
        case .institution: "institution-3"
        }
    }
}

enum LaterChange: CaseIterable, Sendable {
    case maxsightAssignsTeam, maxsightAssignsBob, maxsightUnassigns, nativeSetsUnconfiguredValues, thenaMarksDone, rolloutTogglesCompletion
}

enum Maker: CaseIterable, Sendable { case native, rollout, nexudus, thena, cli }

/// A task to make: which surface makes it, what it holds, and what later changes it.
struct TaskPlan: Sendable, CustomStringConvertible {
    var maker: Maker
    var title: String
    var notes: String?
    var completed = false
    var due: Timestamp?
    var timeZone: String?
    var assignee: PlannedAssignee?
    var subject: PlannedSubject?
    var scope: PlannedScope?
    var type: String?
    var status: String?
    var priority: String?
    var metadata: JSONObject?
    var attachments: [String] = []
    var withActivity = false
    var responsible: Person?
    var flag = false
    var listItem: String?
    var later: [LaterChange] = []

    var description: String {
        let fields: [(String, Any?)] = [
            ("notes", notes), ("completed", completed), ("due", due?.rfc3339), ("zone", timeZone), ("assignee", assignee),
            ("subject", subject), ("scope", scope), ("type", type), ("status", status), ("priority", priority),
            ("metadata", metadata.map { _ in "yes" }), ("attachments", attachments.isEmpty ? nil : attachments.count),
            ("activity", withActivity ? "yes" : nil), ("responsible", responsible), ("flag", flag), ("listItem", listItem),
        ]
        let shown = fields.compactMap { name, value in value.map { "\(name)=\($0)" } }
        return "made through \(maker) [\(shown.joined(separator: " "))], then \(later)"
    }

    static func instant(using random: inout SplitMix64) -> Timestamp {
        // 2026 and 2027, to the millisecond, across both daylight-saving changes.
        Timestamp(microseconds: 1_767_225_600_000_000 + Int64(random.next() % 63_000_000_000) * 1_000)
    }

    static func random(using random: inout SplitMix64) -> TaskPlan {
        func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
        func pick<T>(_ options: [T]) -> T { options[Int(random.next() % UInt64(options.count))] }
        var plan = TaskPlan(maker: pick(Maker.allCases), title: pick(["Call Acme", "Renew the contract", "Ünïcødé ✓ <b>&amp;</b>", "  spaced  "]))
        plan.notes = pick([nil, "", "Bring the papers", "Line one\nline two"])
        plan.completed = chance(40)
        plan.due = chance(60) ? instant(using: &random) : nil
        plan.timeZone = pick([nil, "Europe/London", "America/New_York", "Asia/Kolkata"])
        plan.assignee = pick([nil, .user(.alice), .user(.bob), .team])
        plan.subject = pick([nil, .customer, .person])
        plan.scope = pick([nil, .london, .newYork, .institution])
        plan.type = pick([nil, "Call", "call", "errand"])
        plan.status = pick([nil, "Open", "done", "INCOMPLETE"])
        plan.priority = pick([nil, "High", "low"])
        let nested: JSONObject = ["a": .array([1, nil, "x"]), "b": nil, "c": 2.5, "deeper": .object(["z": nil, "y": "why"])]
        plan.metadata = pick([nil, [:], ["k": 1, "nested": .object(nested), "gone": nil]])
        plan.attachments = chance(30) ? ["https://example.com/a.pdf"] : []
        plan.withActivity = chance(30)
        plan.responsible = pick([nil, .alice, .bob])
        plan.flag = chance(50)
        plan.listItem = chance(30) ? "item-\(random.next() % 1000)" : nil
        plan.later = (0..<Int(random.next() % 3)).map { _ in pick(LaterChange.allCases) }
        return plan
    }
}

/// SplitMix64: small, fast and the same on every machine for one seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func jsonObject() throws -> JSONObject {
        try JSONDecoder().decode(JSONObject.self, from: Data(body.readableBytesView))
    }
}

extension JSONValue {
    var text: String? { if case .string(let text) = self { text } else { nil } }
}
