import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskportCore
import TaskportHTTP
import TaskportSQLite
import Crypto
import TaskportServer
import Testing

/// Calls the Rollout surface as a Rollout client would.
struct RolloutClient: Sendable {
    let client: any TestClientProtocol
    let token: String?
    let credential: String?

    init(_ client: any TestClientProtocol, _ harness: Harness) {
        self.client = client
        token = harness.rolloutToken
        credential = harness.rolloutCredential
    }

    init(_ client: any TestClientProtocol, token: String?, credential: String?) {
        self.client = client
        self.token = token
        self.credential = credential
    }

    func send(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, contentType: String = "application/json", headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let credential { headers[HTTPField.Name("X-Rollout-Credential-Id")!] = credential }
        if body != nil { headers[.contentType] = contentType }
        return try await client.execute(uri: "/api" + path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// A multipart/form-data body of text fields, as browsers and form libraries send it.
    static func form(_ fields: KeyValuePairs<String, String>, boundary: String = "taskport-test-boundary") -> String {
        fields.map { "--\(boundary)\r\nContent-Disposition: form-data; name=\"\($0.key)\"\r\n\r\n\($0.value)\r\n" }.joined() + "--\(boundary)--\r\n"
    }
}

extension TestResponse {
    /// Asserts Rollout's error envelope with this status and returns its message.
    @discardableResult
    func rolloutError(_ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        #expect(self.status == status, sourceLocation: sourceLocation)
        let object = try self.object()
        #expect(object.keys.sorted() == ["errorMessage"], sourceLocation: sourceLocation)
        return try #require(object["errorMessage"] as? String, sourceLocation: sourceLocation)
    }
}

let rolloutRequiredMembers = ["assignedUserId", "created", "dueDateTime", "id", "isCompleted", "name", "original", "originalIds", "personId", "rolloutUpdated", "type", "updated"]

@Suite("Rollout over HTTP")
struct RolloutAPITests {
    @Test func putChangesPresentMembersAndKeepsTheRest() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let api = RolloutClient(native.client, h)
            let created = try await native.create(#"{"title":"Call Acme","type":"call","subjectId":"person-1","dueAt":"2026-05-01T10:00:00Z"}"#)
            let id = created["id"] as! String
            let response = try await api.send(.put, "/tasks/\(id)", #"{"isCompleted":true,"assignedUserId":"\#(h.bob.id)"}"#)
            #expect(response.status == .ok)
            #expect(response.headers[.eTag] == #""2""#)
            let task = try response.object()
            #expect(task.keys.sorted() == rolloutRequiredMembers)
            #expect(task["isCompleted"] as? Bool == true)
            #expect(task["assignedUserId"] as? String == h.bob.id.uuidString.lowercased())
            #expect(task["name"] as? String == "Call Acme")
            #expect(task["type"] as? String == "call")
            #expect(task["personId"] as? String == "person-1")
            #expect(task["dueDateTime"] as? String == "2026-05-01T10:00:00.000000Z")
            let originalIds = try #require(task["originalIds"] as? [String: Any])
            #expect(originalIds.keys.sorted() == ["maxsight", "native", "nexudus", "thena"])
            #expect(originalIds["native"] as? String == id)
            #expect((originalIds["nexudus"] as? NSNumber)?.int64Value == (created["number"] as? NSNumber)?.int64Value)
            #expect((task["original"] as? [String: Any]).flatMap { $0["nexudus"] as? [String: Any] }?["Name"] as? String == "Call Acme")
            #expect(originalIds["maxsight"] as? String == id)
            let original = try #require(task["original"] as? [String: Any])
            #expect((original["maxsight"] as? [String: Any])?["c_name"] as? String == "Call Acme")
            #expect((original["thena"] as? [String: Any])?["title"] as? String == "Call Acme")
            #expect((original["thena"] as? [String: Any])?["type"] as? String == "call")
            let nativeView = try #require((task["original"] as? [String: Any])?["native"] as? [String: Any])
            #expect(nativeView["version"] as? Int == 2)
            #expect(nativeView["completed"] as? Bool == true)
            #expect(task["updated"] as? String == task["rolloutUpdated"] as? String)

            // The change shows in the native task and its history, as made through Rollout.
            let history = try await native.send(.get, "/v1/tasks/\(id)/history").object()
            let entries = try #require(history["items"] as? [[String: Any]])
            #expect(entries.last?["surface"] as? String == "rollout")
            #expect((entries.last?["changes"] as? [[String: Any]])?.compactMap { $0["field"] as? String } == ["completed", "assignee", "assignedById"])
        }
    }

    @Test func originalHoldsWhatEachSurfaceAnswersItself() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let api = RolloutClient(native.client, h)
            let created = try await native.create(
                #"{"title":"Déjà \"vu\"","type":"call","dueAt":"2026-05-01T10:00:00Z","metadata":{"b":[1,2.5,null],"a":{"z":true}},"attachments":["https://example.com/a/b"]}"#
            )
            let id = try #require(created["id"] as? String)
            func json(_ response: TestResponse) throws -> JSONValue {
                try JSONDecoder().decode(JSONValue.self, from: Data(response.body.readableBytesView))
            }
            guard case .object(let task) = try json(try await api.send(.get, "/tasks/\(id)")),
                case .object(let original) = task["original"]
            else {
                Issue.record("Rollout's answer has no `original` object")
                return
            }
            // Rendered straight into Rollout's answer, the native record is the native API's own answer, member for member.
            #expect(original["native"] == (try json(try await native.send(.get, "/v1/tasks/\(id)"))))
            guard case .object(let nativeView) = original["native"] else { return }
            #expect(nativeView["title"] == .string(#"Déjà "vu""#))
            #expect(nativeView["metadata"] == .object(["a": .object(["z": .bool(true)]), "b": .array([.integer(1), .number(2.5), .null])]))

            // The multipart answer's `original` part is the same JSON object.
            let form = try await api.send(.get, "/tasks/\(id)", headers: [.accept: "multipart/form-data"])
            let text = String(buffer: form.body)
            let part = try #require(text.range(of: "name=\"original\"\r\n").map { text[$0.upperBound...] })
            let body = try #require(part.range(of: "\r\n\r\n").map { part[$0.upperBound...] }?.components(separatedBy: "\r\n--").first)
            #expect(try JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) == .object(original))
        }
    }

    @Test func nullMembersAndEmptyTasksAreRenderedWithEveryRequiredMember() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let api = RolloutClient(native.client, h)
            let created = try await api.send(.post, "/tasks", #"{"name":"Bare"}"#)
            #expect(created.status == .created)
            let task = try created.object()
            #expect(task.keys.sorted() == rolloutRequiredMembers)
            #expect(task["personId"] is NSNull)
            #expect(task["assignedUserId"] is NSNull)
            #expect(task["dueDateTime"] is NSNull)
            #expect(task["type"] as? String == "")
        }
    }

    @Test func textPlainCarriesTheSameJSON() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let api = RolloutClient(native.client, h)
            let id = try await native.create()["id"] as! String
            let response = try await api.send(.put, "/tasks/\(id)", #"{"name":"From text","dueDateTime":"2026-03-29T01:30:00+02:00"}"#, contentType: "text/plain")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            let task = try response.object()
            #expect(task["name"] as? String == "From text")
            #expect(task["dueDateTime"] as? String == "2026-03-28T23:30:00.000000Z")

            let asText = try await api.send(.get, "/tasks/\(id)", headers: [.accept: "text/plain"])
            #expect(asText.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(try asText.object()["name"] as? String == "From text")
        }
    }

    @Test func multipartFormsOverARealSocket() async throws {
        let h = try await Harness.make()
        let id = try await h.store.create(
            TaskCreation(tenantID: h.tenant.id, content: TaskContent(title: "Form me"), actor: Actor(userID: h.alice.id, name: "alice", surface: "test"))
        ).id
        try await h.runLive { client in
            let api = RolloutClient(client, h)
            let body = RolloutClient.form(["name": "Renamed by form", "isCompleted": "true", "personId": "person-9"])
            let response = try await api.send(
                .put, "/tasks/\(id)", body, contentType: "multipart/form-data; boundary=taskport-test-boundary",
                headers: [.accept: "multipart/form-data"]
            )
            #expect(response.status == .ok)
            let type = try #require(response.headers[.contentType])
            #expect(type.hasPrefix("multipart/form-data; boundary="))
            let text = String(buffer: response.body)
            #expect(text.contains("name=\"name\""))
            #expect(text.contains("Renamed by form"))
            #expect(text.contains("name=\"isCompleted\"\r\ncontent-length: 4\r\ncontent-type: text/plain\r\n\r\ntrue"))
            #expect(text.contains("name=\"originalIds\""))
            let stored = try #require(try await h.store.task(.id(id), in: h.tenant.id))
            #expect(stored.content.title == "Renamed by form")
            #expect(stored.content.completed)
            #expect(stored.content.subjectID == "person-9")

            let maybe = try await api.send(
                .put, "/tasks/\(id)", RolloutClient.form(["isCompleted": "maybe"]), contentType: "multipart/form-data; boundary=taskport-test-boundary"
            )
            #expect(try maybe.rolloutError(.badRequest).contains("isCompleted"))
            let noBoundary = try await api.send(.put, "/tasks/\(id)", RolloutClient.form(["name": "x"]), contentType: "multipart/form-data")
            try noBoundary.rolloutError(.badRequest)
            let twice = try await api.send(
                .put, "/tasks/\(id)", RolloutClient.form(["name": "a", "name": "b"]), contentType: "multipart/form-data; boundary=taskport-test-boundary"
            )
            try twice.rolloutError(.badRequest)
            #expect(try await h.store.task(.id(id), in: h.tenant.id) == stored)
        }
    }

    @Test func badInputIs400AndChangesNothing() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let api = RolloutClient(native.client, h)
            let id = try await native.create()["id"] as! String
            let cases: [(String, String)] = [
                (#"{"name": "x""#, "JSON"),
                (#"{"isCompleted":"maybe"}"#, "isCompleted"),
                (#"{"dueDateTime":"next tuesday"}"#, "dueDateTime"),
                (#"{"assignedUserId":"nobody"}"#, "assignedUserId"),
                (#"{"assignedUserId":"\#(UUID())"}"#, "assignedUserId"),
                (#"{"name":""}"#, "name"),
                (#"{"name":null}"#, "name"),
                (#"{"isCompleted":null}"#, "isCompleted"),
            ]
            for (body, mention) in cases {
                let message = try await api.send(.put, "/tasks/\(id)", body).rolloutError(.badRequest)
                #expect(message.contains(mention), "\(body) → \(message)")
            }
            try await api.send(.put, "/tasks/\(id)", "{not json", contentType: "text/plain").rolloutError(.badRequest)
            try await api.send(.post, "/tasks", #"{"type":"call"}"#).rolloutError(.badRequest)
            try await api.send(.put, "/tasks/\(id)", "<task/>", contentType: "application/xml").rolloutError(.unsupportedMediaType)
            let task = try await native.send(.get, "/v1/tasks/\(id)")
            #expect(task.headers[.eTag] == #""1""#)
        }
    }

    @Test func unknownAndForeignIdsAre404() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let api = RolloutClient(native.client, h)
            try await api.send(.put, "/tasks/\(UUID())", #"{"name":"x"}"#).rolloutError(.notFound)
            try await api.send(.put, "/tasks/\(h.strangerTask.id)", #"{"name":"Mine"}"#).rolloutError(.notFound)
            try await api.send(.get, "/tasks/\(h.strangerTask.number)").rolloutError(.notFound)
            try await api.send(.delete, "/tasks/\(h.strangerTask.id)").rolloutError(.notFound)
            try await api.send(.get, "/tasks/nonsense").rolloutError(.notFound)
            #expect(try await h.store.task(.id(h.strangerTask.id), in: h.strangerTask.tenantID) == h.strangerTask)
        }
    }

    @Test func credentialsAreCheckedTogether() async throws {
        let h = try await Harness.make()
        let expired = try await TokenAuthority.load(from: h.store).issue(
            for: Principal(tenantID: h.tenant.id, user: h.alice), lifetime: 60, now: Date().addingTimeInterval(-3600)
        )
        let foreign = try await TokenAuthority(key: .init(size: .bits256)).issue(for: Principal(tenantID: h.tenant.id, user: h.alice), lifetime: 60)
        try await h.run { native in
            let id = try await native.create()["id"] as! String
            let calls: [(String?, String?, String)] = [
                (nil, h.rolloutCredential, "bearer"),
                (h.rolloutToken, nil, "X-Rollout-Credential-Id"),
                (h.rolloutToken, "not-a-credential", "credential"),
                (h.rolloutToken, h.strangerRolloutCredential, "credential"),
                (h.strangerRolloutToken, h.rolloutCredential, "credential"),
                (expired, h.rolloutCredential, "expired"),
                (foreign, h.rolloutCredential, "signature"),
                (h.key, h.rolloutCredential, "token"),
            ]
            for (token, credential, mention) in calls {
                let api = RolloutClient(native.client, token: token, credential: credential)
                let message = try await api.send(.put, "/tasks/\(id)", #"{"name":"Hijacked"}"#).rolloutError(.unauthorized)
                #expect(message.contains(mention), "\(mention) → \(message)")
            }
            #expect(try await native.send(.get, "/v1/tasks/\(id)").object()["title"] as? String == "Call Acme")
        }
    }

    @Test func staleAndConcurrentWritesAre409() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let api = RolloutClient(native.client, h)
            let created = try await api.send(.post, "/tasks", #"{"name":"Race"}"#)
            let id = try created.object()["id"] as! String
            let updated = try created.object()["updated"] as! String
            #expect(try await api.send(.put, "/tasks/\(id)", #"{"name":"First"}"#, headers: [.ifMatch: updated]).status == .ok)
            try await api.send(.put, "/tasks/\(id)", #"{"name":"Stale"}"#, headers: [.ifMatch: updated]).rolloutError(.conflict)
            try await api.send(.put, "/tasks/\(id)", #"{"name":"Stale"}"#, headers: [.ifMatch: #""1""#]).rolloutError(.conflict)

            let outcomes = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for writer in 0..<8 {
                    group.addTask { try await api.send(.put, "/tasks/\(id)", #"{"name":"Writer \#(writer)"}"#, headers: [.ifMatch: #""2""#]).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .ok }.count == 1)
            #expect(outcomes.filter { $0 == .conflict }.count == 7)
            let history = try await native.send(.get, "/v1/tasks/\(id)/history").object()
            #expect((history["items"] as? [Any])?.count == 3)
        }
    }

    @Test func listCreateGetDelete() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let api = RolloutClient(native.client, h)
            for index in 0..<5 {
                let body = #"{"name":"T\#(index)","personId":"p\#(index % 2)","isCompleted":\#(index == 4)\#(index == 1 ? #","assignedUserId":"\#(h.bob.id)""# : "")}"#
                #expect(try await api.send(.post, "/tasks", body).status == .created)
            }
            func names(_ query: String) async throws -> [String] {
                let list = try await api.send(.get, "/tasks" + query).object()
                return (list["results"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            }
            #expect(try await names("?personId=p1") == ["T1", "T3"])
            #expect(try await names("?isCompleted=true") == ["T4"])
            #expect(try await names("?assignedUserId=\(h.bob.id)") == ["T1"])
            #expect(try await names("?updatedSince=2999-01-01T00:00:00Z") == [])
            let first = try await api.send(.get, "/tasks?limit=3").object()
            #expect((first["results"] as? [Any])?.count == 3)
            let cursor = try #require(first["nextCursor"] as? String)
            let second = try await api.send(.get, "/tasks?limit=3&cursor=\(cursor)").object()
            #expect((second["results"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["T3", "T4"])
            #expect(second["nextCursor"] is NSNull)
            try await api.send(.get, "/tasks?updatedSince=yesterday").rolloutError(.badRequest)

            let id = try #require((second["results"] as? [[String: Any]])?.last?["id"] as? String)
            let fetched = try await api.send(.get, "/tasks/\(id)")
            #expect(fetched.headers[.eTag] == #""1""#)
            #expect(try fetched.object()["name"] as? String == "T4")
            #expect(try await api.send(.delete, "/tasks/\(id)").status == .noContent)
            try await api.send(.get, "/tasks/\(id)").rolloutError(.notFound)
            try await native.send(.get, "/v1/tasks/\(id)").problem(.notFound)
            try await api.send(.patch, "/tasks/\(UUID())", "{}").rolloutError(.methodNotAllowed)
        }
    }
}
