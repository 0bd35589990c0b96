import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskportCore
import TaskportSQLite
import TaskportServer
import Testing

/// Calls the Maxsight surface as a Maxsight client would.
struct MaxsightClient: Sendable {
    let client: any TestClientProtocol
    let key: String?

    func send(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, ifMatch: String? = nil, key: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key = key ?? self.key { headers[HTTPField.Name("apikey")!] = key }
        if let ifMatch { headers[.ifMatch] = ifMatch }
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: "/v5" + path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// GET the task, then PUT the assignment with its `updated_at` as `If-Match`, as the vendor's guide says.
    func assign(_ id: String, _ body: String) async throws -> TestResponse {
        let current = try await send(.get, "/tasks/\(id)").object()
        return try await send(.put, "/tasks/\(id)/update-assignment", body, ifMatch: current["updated_at"] as? String)
    }
}

extension TestResponse {
    /// Asserts Maxsight's error shape with this status and returns its message.
    @discardableResult
    func maxsightError(_ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        #expect(self.status == status, sourceLocation: sourceLocation)
        let object = try self.object()
        #expect(object.keys.sorted() == ["code", "message"], sourceLocation: sourceLocation)
        return try #require(object["message"] as? String, sourceLocation: sourceLocation)
    }
}

let maxsightTaskMembers = [
    "assessment_id", "assessment_template_id", "assignment", "c_name", "created_at", "custom_metadata", "data_version",
    "entity_id", "id", "institution_id", "locked_at", "microfrontend_id", "name", "status", "step_name", "updated_at",
    "workflow_instance_id",
]

@Suite("Maxsight over HTTP")
struct MaxsightAPITests {
    @Test func theSeedsAssignAndUnassignRequests() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let api = MaxsightClient(client: native.client, key: h.key)
            let id = try await native.create(#"{"title":"Review documentation","subjectId":"8161163a-f227-466f-bc01-090a01e80165","metadata":{"k":1}}"#)["id"] as! String
            let before = try await api.send(.get, "/tasks/\(id)").object()
            #expect(before.keys.sorted() == maxsightTaskMembers)
            #expect(before["assignment"] is NSNull)
            #expect(before["status"] as? String == "INCOMPLETE")
            #expect(before["c_name"] as? String == "Review documentation")
            #expect(before["data_version"] as? Int == 0)

            let assigned = try await api.assign(id, #"{"update":{"assigned_by_id":"\#(h.alice.id)","assigned_to_id":"\#(h.bob.id)","assigned_to_type":"USER","assignment_comment":null}}"#)
            #expect(assigned.status == .ok)
            let task = try assigned.object()
            #expect(task.keys.sorted() == maxsightTaskMembers)
            let assignment = try #require(task["assignment"] as? [String: Any])
            #expect(assignment.keys.sorted() == ["assigned_by_id", "assigned_to_id", "assigned_to_type", "assignment_comment"])
            #expect(assignment["assigned_to_id"] as? String == h.bob.id.uuidString.lowercased())
            #expect(assignment["assigned_by_id"] as? String == h.alice.id.uuidString.lowercased())
            #expect(assignment["assigned_to_type"] as? String == "USER")
            #expect(assignment["assignment_comment"] is NSNull)
            #expect((task["updated_at"] as! String) != (before["updated_at"] as! String))
            #expect(task["data_version"] as? Int == 1)
            #expect(task["entity_id"] as? String == "8161163a-f227-466f-bc01-090a01e80165")
            let messages = try await h.store.outboxMessages(in: h.tenant.id, state: .pending, limit: 100).map(\.message)
            #expect(messages.map(\.recipient) == ["bob@acme.test"])
            #expect(messages.first?.event == "task.assigned")

            let unassigned = try await api.assign(id, #"{"unassign":{"assigned_by_id":"\#(h.alice.id)","assignment_comment":null}}"#)
            #expect(unassigned.status == .ok)
            #expect(try unassigned.object()["assignment"] is NSNull)
            #expect(try await h.store.outboxMessages(in: h.tenant.id, state: .pending, limit: 100).map(\.message).count == 1)
        }
    }

    @Test func assigningATeamNotifiesEveryMember() async throws {
        let h = try await Harness.make()
        try await h.store.addMember(h.alice.id, toTeam: h.team.id, in: h.tenant.id)
        try await h.store.addMember(h.bob.id, toTeam: h.team.id, in: h.tenant.id)
        try await h.run { native in
            let api = MaxsightClient(client: native.client, key: h.key)
            let id = try await native.create()["id"] as! String
            let response = try await api.assign(id, #"{"update":{"assigned_by_id":"\#(h.bob.id)","assigned_to_id":"\#(h.team.id)","assigned_to_type":"TEAM","assignment_comment":"Please split this"}}"#)
            #expect(response.status == .ok)
            let assignment = try #require(try response.object()["assignment"] as? [String: Any])
            #expect(assignment["assigned_to_type"] as? String == "TEAM")
            #expect(assignment["assignment_comment"] as? String == "Please split this")
            let messages = try await h.store.outboxMessages(in: h.tenant.id, state: .pending, limit: 100).map(\.message)
            #expect(Set(messages.map(\.recipient)) == ["alice@acme.test", "bob@acme.test"])
            #expect(Set(messages.map(\.id)).count == 2)
            #expect(messages.allSatisfy { $0.payload["comment"] == .string("Please split this") && $0.payload["assigneeName"] == .string("Support") })

            // Seen through the native API and its history: who, from whom to whom, the comment.
            let nativeTask = try await native.send(.get, "/v1/tasks/\(id)").object()
            #expect((nativeTask["assignee"] as? [String: Any])?["type"] as? String == "team")
            #expect(nativeTask["assignedById"] as? String == h.bob.id.uuidString.lowercased())
            let history = try await native.send(.get, "/v1/tasks/\(id)/history").object()
            let entry = try #require((history["items"] as? [[String: Any]])?.last)
            #expect(entry["surface"] as? String == "maxsight")
            #expect(entry["comment"] as? String == "Please split this")
            let changes = try #require(entry["changes"] as? [[String: Any]])
            let assignee = try #require(changes.first { $0["field"] as? String == "assignee" })
            #expect(assignee["from"] is NSNull)
            #expect((assignee["to"] as? [String: Any])?["id"] as? String == h.team.id.uuidString.lowercased())
        }
    }

    @Test func staleAndConcurrentAssignmentsAre409() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let api = MaxsightClient(client: native.client, key: h.key)
            let id = try await native.create()["id"] as! String
            let stamp = try await api.send(.get, "/tasks/\(id)").object()["updated_at"] as! String
            let body = #"{"update":{"assigned_by_id":"\#(h.alice.id)","assigned_to_id":"\#(h.bob.id)","assigned_to_type":"USER"}}"#
            let outcomes = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await api.send(.put, "/tasks/\(id)/update-assignment", body, ifMatch: stamp).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .ok }.count == 1)
            #expect(outcomes.filter { $0 == .conflict }.count == 5)
            #expect(try await api.send(.put, "/tasks/\(id)/update-assignment", body, ifMatch: stamp).maxsightError(.conflict) == "Version mismatch")
            try await api.send(.put, "/tasks/\(id)/update-assignment", body, ifMatch: "yesterday").maxsightError(.conflict)
            let required = try await api.send(.put, "/tasks/\(id)/update-assignment", body).maxsightError(.preconditionRequired)
            #expect(required.contains("If-Match"))
            #expect(try await h.store.history(of: .id(UUID(uuidString: id)!), in: h.tenant.id)?.count == 2)
            #expect(try await h.store.outboxMessages(in: h.tenant.id, state: .pending, limit: 100).map(\.message).count == 1)
        }
    }

    @Test func everyBadBodyIs400NamingTheMember() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let api = MaxsightClient(client: native.client, key: h.key)
            let id = try await native.create()["id"] as! String
            let by = h.alice.id, bob = h.bob.id, team = h.team.id
            let cases: [(String, String)] = [
                (#"{}"#, "exactly one"),
                (#"{"update":{"assigned_by_id":"\#(by)","assigned_to_id":"\#(bob)","assigned_to_type":"USER"},"unassign":{"assigned_by_id":"\#(by)"}}"#, "not both"),
                (#"{"update":{"assigned_to_id":"\#(bob)","assigned_to_type":"USER"}}"#, "update.assigned_by_id"),
                (#"{"update":{"assigned_by_id":"\#(by)","assigned_to_type":"USER"}}"#, "update.assigned_to_id"),
                (#"{"update":{"assigned_by_id":"\#(by)","assigned_to_id":"\#(bob)"}}"#, "update.assigned_to_type"),
                (#"{"update":{"assigned_by_id":"\#(by)","assigned_to_id":"\#(bob)","assigned_to_type":"ROBOT"}}"#, "USER or TEAM"),
                (#"{"update":{"assigned_by_id":"\#(by)","assigned_to_id":"\#(UUID())","assigned_to_type":"USER"}}"#, "assigned_to_id"),
                (#"{"update":{"assigned_by_id":"\#(by)","assigned_to_id":"\#(team)","assigned_to_type":"USER"}}"#, "assigned_to_id"),
                (#"{"update":{"assigned_by_id":"\#(by)","assigned_to_id":"\#(bob)","assigned_to_type":"TEAM"}}"#, "assigned_to_id"),
                (#"{"update":{"assigned_by_id":"\#(UUID())","assigned_to_id":"\#(bob)","assigned_to_type":"USER"}}"#, "assigned_by_id"),
                (#"{"update":{"assigned_by_id":"nobody","assigned_to_id":"\#(bob)","assigned_to_type":"USER"}}"#, "assigned_by_id"),
                (#"{"update":{"assigned_by_id":7,"assigned_to_id":"\#(bob)","assigned_to_type":"USER"}}"#, "assigned_by_id"),
                (#"{"update":{"assigned_by_id":"\#(by)","assigned_to_id":"\#(bob)","assigned_to_type":"USER","assignment_comment":5}}"#, "assignment_comment"),
                (#"{"update":{"assigned_by_id":"\#(by)","assigned_to_id":"\#(bob)","assigned_to_type":"USER","extra":1}}"#, "update.extra"),
                (#"{"unassign":{}}"#, "unassign.assigned_by_id"),
                (#"{"reassign":{}}"#, "reassign"),
                (#"{"update": "#, "JSON"),
            ]
            for (body, mention) in cases {
                let message = try await api.assign(id, body).maxsightError(.badRequest)
                #expect(message.contains(mention), "\(body) → \(message)")
            }
            #expect(try await native.send(.get, "/v1/tasks/\(id)").headers[.eTag] == #""1""#)
            #expect(try await h.store.outboxMessages(in: h.tenant.id, state: .pending, limit: 100).map(\.message).isEmpty)
        }
    }

    @Test func credentialsAndTenancy() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let api = MaxsightClient(client: native.client, key: h.key)
            try await MaxsightClient(client: native.client, key: nil).send(.get, "/tasks").maxsightError(.unauthorized)
            try await api.send(.get, "/tasks", key: "tpk_wrong").maxsightError(.unauthorized)
            #expect(try await api.send(.get, "/tasks/\(h.strangerTask.id)").maxsightError(.notFound) == "Task not found")
            try await api.send(.get, "/tasks/\(UUID())").maxsightError(.notFound)
            let body = #"{"unassign":{"assigned_by_id":"\#(h.alice.id)"}}"#
            try await api.send(.put, "/tasks/\(h.strangerTask.id)/update-assignment", body, ifMatch: h.strangerTask.updatedAt.rfc3339).maxsightError(.notFound)
            try await api.send(.delete, "/tasks/\(h.strangerTask.id)").maxsightError(.methodNotAllowed)
            #expect(try await h.store.task(.id(h.strangerTask.id), in: h.strangerTask.tenantID) == h.strangerTask)
        }
    }

    @Test func listFiltersByEntityStatusAndAssignee() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let api = MaxsightClient(client: native.client, key: h.key)
            _ = try await native.create(#"{"title":"A","subjectId":"entity-1"}"#)
            _ = try await native.create(#"{"title":"B","subjectId":"entity-1","completed":true}"#)
            _ = try await native.create(#"{"title":"C","status":"in_review","assignee":{"type":"user","id":"\#(h.bob.id)"}}"#)
            func names(_ query: String) async throws -> [String] {
                let list = try await api.send(.get, "/tasks" + query).object()
                return (list["data"] as? [[String: Any]] ?? []).compactMap { $0["c_name"] as? String }
            }
            #expect(try await names("?entity_id=entity-1") == ["A", "B"])
            #expect(try await names("?status=INCOMPLETE") == ["A", "C"])
            #expect(try await names("?status=COMPLETE") == ["B"])
            #expect(try await names("?status=IN_REVIEW") == ["C"])
            #expect(try await names("?assigned_to_id=\(h.bob.id)") == ["C"])
            let page = try await api.send(.get, "/tasks?limit=2").object()
            let cursor = try #require(page["next_cursor"] as? String)
            #expect(try await names("?limit=2&cursor=\(cursor)") == ["C"])
            try await api.send(.get, "/tasks?assigned_to_id=bob").maxsightError(.badRequest)
        }
    }
}
