import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TaskportCore
import TaskportSQLite
import TaskportServer
import Testing

@Suite("Native API over HTTP")
struct NativeAPITests {
    @Test func createGetAndAddressByNumber() async throws {
        let h = try await Harness.make()
        try await h.run { api in
            let response = try await api.send(
                .post, "/v1/tasks",
                #"{"title":"Call Acme","dueAt":"2026-03-29T01:30:00+01:00","timeZone":"Europe/London","assignee":{"type":"team","id":"\#(h.team.id)"},"metadata":{"crm":{"id":7}},"attachments":["https://files.example.com/a.pdf"]}"#
            )
            #expect(response.status == .created)
            #expect(response.headers[.eTag] == #""1""#)
            let task = try response.object()
            let id = try #require(task["id"] as? String)
            #expect(response.headers[.location] == "/v1/tasks/\(id)")
            #expect(task["dueAt"] as? String == "2026-03-29T00:30:00.000000Z")
            #expect(task["notes"] is NSNull)
            #expect(task["creatorId"] as? String == h.alice.id.uuidString.lowercased())
            #expect((task["assignee"] as? [String: Any])?["type"] as? String == "team")
            #expect(task.keys.count == 28)
            #expect(task["assignedById"] as? String == h.alice.id.uuidString.lowercased())

            let fetched = try await api.send(.get, "/v1/tasks/\(id)")
            #expect(fetched.status == .ok)
            #expect(fetched.headers[.eTag] == #""1""#)
            let byNumber = try await api.send(.get, "/v1/tasks/\(try #require(task["number"] as? Int))")
            #expect(try byNumber.object()["id"] as? String == id)
        }
    }

    @Test func missingWrongAndRevokedKeysAre401() async throws {
        let h = try await Harness.make()
        try await h.run { api in
            let missing = try await api.client.execute(uri: "/v1/tasks", method: .get)
            try missing.problem(.unauthorized)
            #expect(missing.headers[.wwwAuthenticate] == "Bearer")
            try await api.send(.get, "/v1/tasks", key: "tpk_not-a-key").problem(.unauthorized)
            let basic = try await api.client.execute(uri: "/v1/tasks", method: .get, headers: [.authorization: "Basic YTpi"])
            try basic.problem(.unauthorized)

            let key = APIKeySecret.generate()
            try await h.store.addAPIKey(key, named: "short-lived", for: h.bob.id, in: h.tenant.id)
            #expect(try await api.send(.get, "/v1/tasks", key: key.plaintext).status == .ok)
            #expect(try await h.store.revokeAPIKey(key.id, in: h.tenant.id))
            try await api.send(.get, "/v1/tasks", key: key.plaintext).problem(.unauthorized)
        }
    }

    @Test func anotherTenantsTaskIs404Everywhere() async throws {
        let h = try await Harness.make()
        try await h.run { api in
            let path = "/v1/tasks/\(h.strangerTask.id)"
            try await api.send(.get, path).problem(.notFound)
            try await api.send(.get, "/v1/tasks/\(h.strangerTask.number)").problem(.notFound)
            try await api.patch(path, #"{"title":"Taken"}"#).problem(.notFound)
            try await api.send(.delete, path).problem(.notFound)
            try await api.send(.get, path + "/history").problem(.notFound)
            try await api.send(.get, "/v1/tasks/not-an-id").problem(.notFound)
            let list = try await api.send(.get, "/v1/tasks").object()
            #expect((list["items"] as? [Any])?.isEmpty == true)
            #expect(try await h.store.task(.id(h.strangerTask.id), in: h.strangerTask.tenantID) == h.strangerTask)
            // The owner still sees it, unchanged.
            let own = try await api.send(.get, path, key: h.strangerKey).object()
            #expect(own["title"] as? String == "Globex secret")
        }
    }

    @Test func mergePatchClearsKeepsAndMerges() async throws {
        let h = try await Harness.make()
        try await h.run { api in
            let created = try await api.create(#"{"title":"Call Acme","notes":"bring slides","priority":"high","metadata":{"a":1,"b":{"c":true}}}"#)
            let path = "/v1/tasks/\(created["id"] as! String)"
            let response = try await api.patch(path, #"{"notes":null,"completed":true,"metadata":{"a":null,"b":{"d":"x"}},"assignee":{"type":"user","id":"\#(h.bob.id)"}}"#)
            #expect(response.status == .ok)
            #expect(response.headers[.eTag] == #""2""#)
            let task = try response.object()
            #expect(task["notes"] is NSNull)
            #expect(task["priority"] as? String == "high")
            #expect(task["completed"] as? Bool == true)
            #expect(task["version"] as? Int == 2)
            let metadata = try #require(task["metadata"] as? [String: Any])
            #expect(metadata["a"] == nil)
            #expect((metadata["b"] as? [String: Any])?["c"] as? Bool == true)
            #expect((metadata["b"] as? [String: Any])?["d"] as? String == "x")
            #expect((task["updatedAt"] as! String) > (created["updatedAt"] as! String))
        }
    }

    @Test func ifMatchGuardsAgainstLostUpdates() async throws {
        let h = try await Harness.make()
        try await h.run { api in
            let created = try await api.create()
            let path = "/v1/tasks/\(created["id"] as! String)"
            #expect(try await api.patch(path, #"{"title":"First"}"#, ifMatch: #""1""#).status == .ok)
            let detail = try await api.patch(path, #"{"title":"Lost"}"#, ifMatch: #""1""#).problem(.preconditionFailed)
            #expect(detail.contains("version 2"))
            try await api.patch(path, #"{"title":"Lost"}"#, ifMatch: #"W/"2""#).problem(.preconditionFailed)
            try await api.patch(path, #"{"title":"Lost"}"#, ifMatch: "garbage").problem(.preconditionFailed)
            try await api.send(.delete, path, headers: [.ifMatch: #""1""#]).problem(.preconditionFailed)
            #expect(try await api.send(.get, path).object()["title"] as? String == "First")
            #expect(try await api.patch(path, #"{"title":"Any"}"#, ifMatch: "*").status == .ok)
            #expect(try await api.patch(path, #"{"title":"Third"}"#, ifMatch: #""3""#).status == .ok)
        }
    }

    @Test func badBodiesAre400AndChangeNothing() async throws {
        let h = try await Harness.make()
        try await h.run { api in
            let created = try await api.create()
            let path = "/v1/tasks/\(created["id"] as! String)"
            let cases: [(String, String)] = [
                (#"{"title": "x""#, "JSON"),
                (#"{"completed":"yes"}"#, "completed"),
                (#"{"title":null}"#, "title"),
                (#"{"title":""}"#, "title"),
                (#"{"owner":"me"}"#, "owner"),
                (#"{"number":9}"#, "read-only"),
                (#"{"createdAt":"2001-01-01T00:00:00Z"}"#, "read-only"),
                (#"{"dueAt":"next tuesday"}"#, "dueAt"),
                (#"{"timeZone":"Mars/Olympus"}"#, "timeZone"),
                (#"{"attachments":["not a url"]}"#, "attachments"),
                (#"{"assignee":{"type":"robot","id":"x"}}"#, "assignee"),
                (#"{"assignee":{"type":"user","id":"\#(UUID())"}}"#, "assignee"),
                (#"{"responsibleId":"nope"}"#, "responsibleId"),
                (#"[1,2]"#, "body"),
            ]
            for (body, mention) in cases {
                let detail = try await api.patch(path, body).problem(.badRequest)
                #expect(detail.contains(mention), "\(body) → \(detail)")
            }
            let invalid = try await api.patch(path, #"{"title":"","timeZone":"Nowhere/Land"}"#).object()
            #expect((invalid["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } == ["title", "timeZone"])
            // A version the task is not at is a stale write, as a wrong If-Match is; on a create it is read-only.
            try await api.patch(path, #"{"version":9,"title":"stale"}"#).problem(.preconditionFailed)
            try await api.send(.post, "/v1/tasks", #"{"title":"x","version":1}"#).problem(.badRequest)
            try await api.send(.post, "/v1/tasks", #"{"notes":"no title"}"#).problem(.badRequest)
            try await api.send(.post, "/v1/tasks", #"{"title":"x","extra":1}"#).problem(.badRequest)
            try await api.send(.post, "/v1/tasks", #"{"title":"x","completed":null}"#).problem(.badRequest)
            try await api.send(.post, "/v1/tasks", #"{"title":null}"#).problem(.badRequest)
            let withNulls = try await api.create(#"{"title":"Nulls are unset","notes":null,"dueAt":null,"assignee":null,"metadata":null}"#)
            #expect(withNulls["notes"] is NSNull)
            #expect((withNulls["metadata"] as? [String: Any])?.isEmpty == true)
            let task = try await api.send(.get, path)
            #expect(task.headers[.eTag] == #""1""#)
            #expect(try await h.store.history(of: .id(UUID(uuidString: created["id"] as! String)!), in: h.tenant.id)?.count == 1)
        }
    }

    @Test func oversizedBodiesAre413() async throws {
        let h = try await Harness.make()
        try await h.run { api in
            let big = #"{"title":"big","notes":""# + String(repeating: "x", count: 1 << 20) + #""}"#
            try await api.send(.post, "/v1/tasks", big).problem(.contentTooLarge)
            let list = try await api.send(.get, "/v1/tasks").object()
            #expect((list["items"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func otherMediaTypesAre415() async throws {
        let h = try await Harness.make()
        try await h.run { api in
            let created = try await api.create()
            let path = "/v1/tasks/\(created["id"] as! String)"
            try await api.send(.patch, path, #"{"title":"x"}"#, contentType: "application/json").problem(.unsupportedMediaType)
            try await api.send(.post, "/v1/tasks", "title=x", contentType: "application/x-www-form-urlencoded").problem(.unsupportedMediaType)
            try await api.send(.patch, path, #"{"title":"x"}"#, contentType: "application/merge-patch+jsonx").problem(.unsupportedMediaType)
            try await api.send(.post, "/v1/tasks", #"{"title":"x"}"#, contentType: "application/jsonp").problem(.unsupportedMediaType)
            #expect(try await api.send(.get, path).object()["title"] as? String == "Call Acme")
            // The operation's own type in any case, with parameters, is taken as it always was.
            let patched = try await api.send(.patch, path, #"{"title":"Cased"}"#, contentType: "Application/Merge-Patch+JSON; charset=utf-8")
            #expect(patched.status == .ok)
            #expect(try await api.send(.get, path).object()["title"] as? String == "Cased")
        }
    }

    @Test func listFiltersAndPagesWithCursors() async throws {
        let h = try await Harness.make()
        try await h.run { api in
            for index in 0..<5 {
                _ = try await api.create(#"{"title":"T\#(index)","completed":\#(index % 2 == 0),"dueAt":"2026-01-0\#(index + 1)T09:00:00Z"\#(index == 1 ? #","assignee":{"type":"user","id":"\#(h.bob.id)"}"# : "")}"#)
            }
            func titles(_ query: String) async throws -> [String] {
                let page = try await api.send(.get, "/v1/tasks" + query).object()
                return (page["items"] as? [[String: Any]] ?? []).compactMap { $0["title"] as? String }
            }
            #expect(try await titles("?completed=true") == ["T0", "T2", "T4"])
            #expect(try await titles("?assigneeId=\(h.bob.id)") == ["T1"])
            #expect(try await titles("?dueAfter=2026-01-02T09:00:00Z&dueBefore=2026-01-04T09:00:00Z") == ["T1", "T2"])
            #expect(try await titles("?updatedSince=2999-01-01T00:00:00Z") == [])

            var seen: [String] = []
            var query = "?limit=2"
            while true {
                let page = try await api.send(.get, "/v1/tasks" + query).object()
                seen += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["title"] as? String }
                guard let cursor = page["nextCursor"] as? String else {
                    #expect(page["nextCursor"] is NSNull)
                    break
                }
                query = "?limit=2&cursor=\(cursor)"
            }
            #expect(seen == ["T0", "T1", "T2", "T3", "T4"])

            try await api.send(.get, "/v1/tasks?limit=0").problem(.badRequest)
            try await api.send(.get, "/v1/tasks?limit=abc").problem(.badRequest)
            try await api.send(.get, "/v1/tasks?cursor=forged").problem(.badRequest)
            try await api.send(.get, "/v1/tasks?dueBefore=yesterday").problem(.badRequest)
            try await api.send(.get, "/v1/tasks?completed=maybe").problem(.badRequest)
        }
    }

    @Test func deleteAndHistory() async throws {
        let h = try await Harness.make()
        try await h.run { api in
            let created = try await api.create()
            let path = "/v1/tasks/\(created["id"] as! String)"
            _ = try await api.patch(path, #"{"status":"open","completed":true}"#)
            let history = try await api.send(.get, path + "/history").object()
            let items = try #require(history["items"] as? [[String: Any]])
            #expect(items.map { $0["action"] as? String } == ["created", "updated"])
            #expect(items[1]["actorId"] as? String == h.alice.id.uuidString.lowercased())
            #expect(items[1]["surface"] as? String == "native")
            let changes = try #require(items[1]["changes"] as? [[String: Any]])
            #expect(changes.map { $0["field"] as? String } == ["status", "completed"])
            #expect(changes[0]["from"] is NSNull)
            #expect(changes[0]["to"] as? String == "open")

            let deleted = try await api.send(.delete, path, headers: [.ifMatch: #""2""#])
            #expect(deleted.status == .noContent)
            try await api.send(.get, path).problem(.notFound)
            try await api.send(.get, path + "/history").problem(.notFound)
            try await api.send(.delete, path).problem(.notFound)
        }
    }

    @Test func taskAttributesAreManagedPerTenant() async throws {
        let h = try await Harness.make()
        try await h.run { api in
            let created = try await api.send(.post, "/v1/task-attributes", ##"{"kind":"status","value":"Done","configuration":{"done":true,"color":"#2e7d32"}}"##)
            #expect(created.status == .created)
            let attribute = try created.object()
            #expect(attribute["value"] as? String == "Done")
            #expect((attribute["configuration"] as? [String: Any])?["done"] as? Bool == true)
            try await api.send(.post, "/v1/task-attributes", #"{"kind":"status","value":"done"}"#).problem(.conflict)
            try await api.send(.post, "/v1/task-attributes", #"{"kind":"mood","value":"Happy"}"#).problem(.badRequest)
            try await api.send(.post, "/v1/task-attributes", #"{"kind":"type","value":"   "}"#).problem(.badRequest)
            try await api.send(.post, "/v1/task-attributes", #"{"kind":"status","value":"\u0000"}"#).problem(.badRequest)
            try await api.send(.post, "/v1/tasks", #"{"title":"\u0000"}"#).problem(.badRequest)
            _ = try await api.send(.post, "/v1/task-attributes", #"{"kind":"priority","value":"High"}"#)
            let statuses = try await api.send(.get, "/v1/task-attributes?kind=status").object()
            #expect((statuses["items"] as? [[String: Any]])?.compactMap { $0["value"] as? String } == ["Done"])
            let theirs = try await api.send(.get, "/v1/task-attributes", key: h.strangerKey).object()
            #expect((theirs["items"] as? [Any])?.isEmpty == true)
            let id = attribute["id"] as! String
            try await api.send(.delete, "/v1/task-attributes/\(id)", key: h.strangerKey).problem(.notFound)
            #expect(try await api.send(.delete, "/v1/task-attributes/\(id)").status == .noContent)
            try await api.send(.delete, "/v1/task-attributes/\(id)").problem(.notFound)
        }
    }

    @Test func healthReadinessAndDocuments() async throws {
        let h = try await Harness.make()
        try await h.run { api in
            let health = try await api.client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(health.headers[HTTPField.Name("X-Request-Id")!] != nil)
            // Ready once the store answers within two seconds: on a loaded machine (every suite
            // migrating its own PostgreSQL schema at once) the first ask may not be.
            var ready = try await api.client.execute(uri: "/readyz", method: .get).status
            for _ in 0..<10 where ready != .ok {
                try await Task.sleep(for: .seconds(1))
                ready = try await api.client.execute(uri: "/readyz", method: .get).status
            }
            #expect(ready == .ok)
            let document = try await api.client.execute(uri: "/openapi/native.yaml", method: .get)
            #expect(document.status == .ok)
            #expect(String(buffer: document.body).hasPrefix("openapi: 3.1.0"))
            #expect(try await api.client.execute(uri: "/openapi/missing.yaml", method: .get).status == .notFound)
            let trace = try await api.send(.trace, "/v1/tasks")
            try trace.problem(.methodNotAllowed)
            #expect(trace.headers[.allow] == "GET, POST")
            try await api.send(.put, "/v1/tasks/\(UUID())", #"{"title":"x"}"#).problem(.methodNotAllowed)
        }
    }
}
