import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskportCore
import TaskportSQLite
import TaskportServer
import Testing

/// Calls the Thena surface as a Thena client would.
struct ThenaClient: Sendable {
    let client: any TestClientProtocol
    let key: String?

    func send(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, key: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key = key ?? self.key { headers[HTTPField.Name("x-api-key")!] = key }
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }
}

/// A tenant with Thena's configuration: an account, an activity and attribute values.
struct ThenaSetup {
    let account: Account
    let activity: Activity
    let open: TaskAttribute
    let done: TaskAttribute
    let call: TaskAttribute
    let high: TaskAttribute

    static func make(_ h: Harness) async throws -> ThenaSetup {
        let account = try await h.store.createAccount(named: "Acme Corp", in: h.tenant.id)
        return ThenaSetup(
            account: account,
            activity: try await h.store.createActivity(named: "Renewal call", account: account.id, in: h.tenant.id),
            open: try await h.store.createAttribute(.status, value: "Open", configuration: ["order": 1], in: h.tenant.id),
            done: try await h.store.createAttribute(.status, value: "Done", configuration: ["order": 2, "done": true], in: h.tenant.id),
            call: try await h.store.createAttribute(.type, value: "Call", configuration: ["color": "#1565c0"], in: h.tenant.id),
            high: try await h.store.createAttribute(.priority, value: "High", configuration: [:], in: h.tenant.id)
        )
    }
}

extension TestResponse {
    /// Asserts Thena's error shape with this status and returns its message.
    @discardableResult
    func thenaError(_ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        #expect(self.status == status, sourceLocation: sourceLocation)
        let object = try self.object()
        #expect(object.keys.sorted() == ["error", "message", "statusCode"], sourceLocation: sourceLocation)
        #expect(object["statusCode"] as? Int == Int(status.code), sourceLocation: sourceLocation)
        #expect(object["error"] as? String == status.reasonPhrase, sourceLocation: sourceLocation)
        return try #require(object["message"] as? String, sourceLocation: sourceLocation)
    }
}

let thenaRequiredMembers = [
    "account", "accountId", "activityId", "assigneeId", "attachments", "createdAt", "creator", "creatorEmail", "creatorId",
    "description", "id", "isActive", "metadata", "priority", "priorityConfiguration", "priorityId", "status",
    "statusConfiguration", "statusId", "title", "type", "typeConfiguration", "typeId", "updatedAt",
]

@Suite("Thena over HTTP")
struct ThenaAPITests {
    @Test func createThenUpdateResolvingAttributesByIdAndByValue() async throws {
        let h = try await Harness.make()
        let t = try await ThenaSetup.make(h)
        try await h.run { native in
            let api = ThenaClient(client: native.client, key: h.key)
            let created = try await api.send(
                .post, "/v1/accounts/tasks",
                #"{"accountId":"\#(t.account.id)","title":"Renewal","type":"call","status":"\#(t.open.id)","priority":"HIGH","attachmentUrls":["https://files.example.com/a.pdf"],"metadata":{"source":"crm"}}"#
            )
            #expect(created.status == .created)
            let task = try created.object()
            #expect(task.keys.sorted() == thenaRequiredMembers)
            #expect(task["account"] as? String == "Acme Corp")
            #expect(task["type"] as? String == "Call")
            #expect(task["typeId"] as? String == t.call.id.uuidString.lowercased())
            #expect((task["typeConfiguration"] as? [String: Any])?["color"] as? String == "#1565c0")
            #expect(task["status"] as? String == "Open")
            #expect(task["priority"] as? String == "High")
            #expect(task["attachments"] as? [String] == ["https://files.example.com/a.pdf"])
            #expect(task["creator"] as? String == "Alice")
            #expect(task["creatorEmail"] as? String == "alice@acme.test")
            #expect(task["activityId"] as? String == "")
            #expect(task["isActive"] as? Bool == true)
            let id = try #require(task["id"] as? String)

            let updated = try await api.send(
                .put, "/v1/accounts/tasks/\(id)",
                #"{"status":"done","activityId":"\#(t.activity.id)","assigneeId":"\#(h.bob.id)","metadata":{"replaced":true},"description":"Signed"}"#
            )
            #expect(updated.status == .ok)
            let after = try updated.object()
            #expect(after["status"] as? String == "Done")
            #expect(after["statusId"] as? String == t.done.id.uuidString.lowercased())
            #expect((after["statusConfiguration"] as? [String: Any])?["done"] as? Bool == true)
            #expect(after["activityId"] as? String == t.activity.id.uuidString.lowercased())
            #expect(after["assigneeId"] as? String == h.bob.id.uuidString.lowercased())
            #expect((after["metadata"] as? [String: Any])?.keys.sorted() == ["replaced"])
            #expect(after["description"] as? String == "Signed")
            #expect(after["type"] as? String == "Call")

            // A done status completes the task; the native history shows the change through Thena.
            let nativeTask = try await native.send(.get, "/v1/tasks/\(id)").object()
            #expect(nativeTask["completed"] as? Bool == true)
            #expect(nativeTask["status"] as? String == "Done")
            let history = try await native.send(.get, "/v1/tasks/\(id)/history").object()
            let entry = try #require((history["items"] as? [[String: Any]])?.last)
            #expect(entry["surface"] as? String == "thena")
            let status = try #require((entry["changes"] as? [[String: Any]])?.first { $0["field"] as? String == "status" })
            #expect(status["from"] as? String == "Open")
            #expect(status["to"] as? String == "Done")
        }
    }

    @Test func badInputIs400NamingWhatIsWrongAndChangesNothing() async throws {
        let h = try await Harness.make()
        let t = try await ThenaSetup.make(h)
        try await h.run { native in
            let api = ThenaClient(client: native.client, key: h.key)
            let created = try await api.send(.post, "/v1/accounts/tasks", #"{"accountId":"\#(t.account.id)","title":"Keep me"}"#).object()
            let path = "/v1/accounts/tasks/\(created["id"] as! String)"
            let cases: [(String, String)] = [
                (#"{"title": 5}"#, "title: must be a string"),
                (#"{"title": null}"#, "title"),
                (#"{"title": ""}"#, "title"),
                (#"{"status":"Archived"}"#, "allowed values: Open, Done"),
                (#"{"priority":"Urgent"}"#, "allowed values: High"),
                (#"{"type":"\#(UUID())"}"#, "type"),
                (#"{"attachmentUrls":["not a url"]}"#, "attachmentUrls"),
                (#"{"attachmentUrls":"https://x.example"}"#, "attachmentUrls"),
                (#"{"metadata":[1,2]}"#, "metadata: must be a JSON object"),
                (#"{"metadata":"text"}"#, "metadata"),
                (#"{"assigneeId":"\#(UUID())"}"#, "assigneeId"),
                (#"{"activityId":"nope"}"#, "activityId"),
                (#"{"title": "x""#, "JSON"),
            ]
            for (body, mention) in cases {
                let message = try await api.send(.put, path, body).thenaError(.badRequest)
                #expect(message.contains(mention), "\(body) → \(message)")
            }
            let both = try await api.send(.put, path, #"{"status":"nope","assigneeId":"nobody"}"#).thenaError(.badRequest)
            #expect(both.contains("status") && both.contains("assigneeId"))
            try await api.send(.post, "/v1/accounts/tasks", #"{"title":"No account"}"#).thenaError(.badRequest)
            try await api.send(.post, "/v1/accounts/tasks", #"{"accountId":"\#(UUID())","title":"Ghost account"}"#).thenaError(.badRequest)
            let after = try await api.send(.get, path).object()
            #expect(after["updatedAt"] as? String == created["updatedAt"] as? String)
        }
    }

    @Test func notFoundUnauthorizedAndTheOtherTenant() async throws {
        let h = try await Harness.make()
        _ = try await ThenaSetup.make(h)
        try await h.run { native in
            let api = ThenaClient(client: native.client, key: h.key)
            #expect(try await api.send(.get, "/v1/accounts/tasks/\(UUID())").thenaError(.notFound) == "Account task not found")
            // The vendor's documented 400, for a blank task id.
            #expect(try await api.send(.put, "/v1/accounts/tasks/%20", #"{"title":"x"}"#).thenaError(.badRequest) == "Task ID is required!")
            try await api.send(.put, "/v1/accounts/tasks/\(h.strangerTask.id)", #"{"title":"Mine"}"#).thenaError(.notFound)
            try await api.send(.delete, "/v1/accounts/tasks/\(h.strangerTask.id)").thenaError(.notFound)
            try await ThenaClient(client: native.client, key: nil).send(.get, "/v1/accounts/tasks").thenaError(.unauthorized)
            try await api.send(.get, "/v1/accounts/tasks", key: "tpk_wrong").thenaError(.unauthorized)
            #expect(try await h.store.task(.id(h.strangerTask.id), in: h.strangerTask.tenantID) == h.strangerTask)
        }
    }

    @Test func listByAccountWithPagingAndDelete() async throws {
        let h = try await Harness.make()
        let t = try await ThenaSetup.make(h)
        let other = try await h.store.createAccount(named: "Globex", in: h.tenant.id)
        try await h.run { native in
            let api = ThenaClient(client: native.client, key: h.key)
            for (index, account) in [t.account, other, t.account, t.account].enumerated() {
                #expect(try await api.send(.post, "/v1/accounts/tasks", #"{"accountId":"\#(account.id)","title":"T\#(index)"}"#).status == .created)
            }
            let first = try await api.send(.get, "/v1/accounts/tasks?accountId=\(t.account.id)&limit=2").object()
            #expect((first["data"] as? [[String: Any]])?.compactMap { $0["title"] as? String } == ["T0", "T2"])
            let cursor = try #require(first["nextCursor"] as? String)
            let second = try await api.send(.get, "/v1/accounts/tasks?accountId=\(t.account.id)&limit=2&cursor=\(cursor)").object()
            let rest = try #require(second["data"] as? [[String: Any]])
            #expect(rest.compactMap { $0["title"] as? String } == ["T3"])
            #expect(second["nextCursor"] is NSNull)
            let id = try #require(rest.first?["id"] as? String)
            #expect(try await api.send(.delete, "/v1/accounts/tasks/\(id)").status == .noContent)
            try await api.send(.get, "/v1/accounts/tasks/\(id)").thenaError(.notFound)
            try await native.send(.get, "/v1/tasks/\(id)").problem(.notFound)
            try await api.send(.get, "/v1/accounts/tasks?limit=0").thenaError(.badRequest)
        }
    }
}
