import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskportCore
import TaskportServer
import Testing

/// What a hostile or careless client can send: every refusal is that surface's own 4xx, nothing
/// in the store changes, and every later read still works.
@Suite("Hostile input over HTTP")
struct HardeningTests {
    /// `{"a":{"a":…}}` with `levels` objects, the outermost included.
    static func nested(_ levels: Int) -> String {
        String(repeating: #"{"a":"#, count: levels - 1) + "{}" + String(repeating: "}", count: levels - 1)
    }

    @Test func metadataAtTheLimitIsReadableEverywhereAndPastItIsRefused() async throws {
        let h = try await Harness.make()
        let t = try await ThenaSetup.make(h)
        try await h.run { native in
            let task = try await native.create()
            let id = try #require(task["id"] as? String)
            let deepest = Self.nested(TaskLimits.metadataDepth)
            let accepted = try await native.patch("/v1/tasks/\(id)", #"{"metadata":{"x":\#(deepest)}}"#)
            #expect(accepted.status == .badRequest, "the metadata object itself is one level: x's value makes one more")
            #expect(try await native.patch("/v1/tasks/\(id)", #"{"metadata":\#(deepest)}"#).status == .ok)
            // Every surface renders it, its history and the lists still answer.
            let rollout = RolloutClient(native.client, h)
            let thena = ThenaClient(client: native.client, key: h.key)
            let maxsight = MaxsightClient(client: native.client, key: h.key)
            for response in [
                try await native.send(.get, "/v1/tasks/\(id)"), try await native.send(.get, "/v1/tasks/\(id)/history"),
                try await native.send(.get, "/v1/tasks"), try await rollout.send(.get, "/tasks/\(id)"), try await rollout.send(.get, "/tasks"),
                try await thena.send(.get, "/v1/accounts/tasks/\(id)"), try await maxsight.send(.get, "/tasks/\(id)"),
            ] {
                #expect(response.status == .ok, "\(response.body.getString(at: 0, length: min(200, response.body.readableBytes)) ?? "")")
            }
            // One level more, far more, and more bytes: refused, nothing changed.
            let before = try await native.send(.get, "/v1/tasks/\(id)").object()["version"] as? Int
            let tooDeep = try await native.patch("/v1/tasks/\(id)", #"{"metadata":\#(Self.nested(TaskLimits.metadataDepth + 1))}"#)
            #expect(try tooDeep.problem(.badRequest).contains("metadata"))
            let crashing = try await native.patch("/v1/tasks/\(id)", #"{"metadata":\#(Self.nested(600))}"#)
            #expect(try crashing.problem(.badRequest).contains("nested deeper than \(JSONLimits.depth)"))
            let big = String(repeating: "x", count: TaskLimits.metadataBytes)
            #expect(try await native.patch("/v1/tasks/\(id)", #"{"metadata":{"big":"\#(big)"}}"#).status == .badRequest)
            #expect(try await native.send(.get, "/v1/tasks/\(id)").object()["version"] as? Int == before)

            // Thena takes metadata on create and update: the same limits, in Thena's envelope.
            let account = t.account.id.uuidString.lowercased()
            let thenaCreated = try await thena.send(.post, "/v1/accounts/tasks", #"{"accountId":"\#(account)","title":"Deep","metadata":\#(deepest)}"#)
            #expect(thenaCreated.status == .created)
            let thenaID = try #require(try thenaCreated.object()["id"] as? String)
            let refusedPut = try await thena.send(.put, "/v1/accounts/tasks/\(thenaID)", #"{"metadata":\#(Self.nested(600))}"#)
            #expect(try refusedPut.thenaError(.badRequest).contains("nested deeper"))
            let refusedPost = try await thena.send(
                .post, "/v1/accounts/tasks", #"{"accountId":"\#(account)","title":"Deeper","metadata":\#(Self.nested(TaskLimits.metadataDepth + 1))}"#
            )
            #expect(try refusedPost.thenaError(.badRequest).contains("metadata"))
            #expect(try await thena.send(.get, "/v1/accounts/tasks/\(thenaID)").status == .ok)

            // A task attribute's configuration is free-form JSON too.
            let attribute = try await native.send(
                .post, "/v1/task-attributes", #"{"kind":"type","value":"Deep","configuration":\#(Self.nested(TaskLimits.metadataDepth + 1))}"#
            )
            #expect(try attribute.problem(.badRequest).contains("configuration"))
        }
    }

    /// The same bad JSON on every surface's write route: each answers 400 in its own envelope.
    @Test(arguments: [
        ("trailing comma", #"{"title":"x",}"#),
        ("duplicate member", #"{"title":"x","title":"y"}"#),
        ("comment", #"{"title":"x" /* hi */}"#),
        ("invalid JSON in an ignored member", #"{"title":"x","ignored":[1,}"#),
        ("lone surrogate", #"{"title":"\ud800"}"#),
        ("NaN", #"{"title":"x","n":NaN}"#),
        ("two documents", #"{"title":"x"}{"title":"y"}"#),
    ])
    func nonStrictJSONIsRefusedByEverySurface(_ label: String, _ body: String) async throws {
        let f = try await NexudusFixture.make()
        try await f.run { nexudus in
            let native = nexudus.native
            let task = try await native.create()
            let id = try #require(task["id"] as? String)
            let number = try #require(task["number"] as? Int)
            try await native.patch("/v1/tasks/\(id)", body).problem(.badRequest)
            try await native.send(.post, "/v1/tasks", body).problem(.badRequest)
            let rollout = RolloutClient(native.client, f.h)
            try await rollout.send(.put, "/tasks/\(id)", body).rolloutError(.badRequest)
            try await rollout.send(.put, "/tasks/\(id)", body, contentType: "text/plain").rolloutError(.badRequest)
            let thena = ThenaClient(client: native.client, key: f.h.key)
            try await thena.send(.put, "/v1/accounts/tasks/\(id)", body).thenaError(.badRequest)
            let maxsight = MaxsightClient(client: native.client, key: f.h.key)
            try await maxsight.send(.put, "/tasks/\(id)/update-assignment", body, ifMatch: "*").maxsightError(.badRequest)
            try await nexudus.send(.put, "/api/crm/coworkertasks", body).nexudusError(.badRequest)
            let after = try await native.send(.get, "/v1/tasks/\(number)").object()
            #expect(after["version"] as? Int == 1, "\(label)")
            #expect(after["title"] as? String == "Call Acme", "\(label)")
        }
    }

    @Test func datesAndZonesMustBeRealOnes() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let task = try await native.create()
            let id = try #require(task["id"] as? String)
            try await native.patch("/v1/tasks/\(id)", #"{"dueAt":"0000-01-01T00:00:00Z"}"#).problem(.badRequest)
            try await native.patch("/v1/tasks/\(id)", #"{"timeZone":"GMT+14:01"}"#).problem(.badRequest)
            try await RolloutClient(native.client, h).send(.put, "/tasks/\(id)", #"{"dueDateTime":"0000-03-01T00:00:00Z"}"#)
                .rolloutError(.badRequest)
            #expect(try await native.send(.get, "/v1/tasks/\(id)").object()["version"] as? Int == 1)
        }
    }

    @Test func multipartFieldsMustBeUTF8AndSentOnce() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let task = try await native.create()
            let id = try #require(task["id"] as? String)
            let rollout = RolloutClient(native.client, h)
            func form(_ parts: [(String, [UInt8])]) -> ByteBuffer {
                var buffer = ByteBuffer()
                for (name, value) in parts {
                    buffer.writeString("--b\r\ncontent-disposition: form-data; name=\"\(name)\"\r\n\r\n")
                    buffer.writeBytes(value)
                    buffer.writeString("\r\n")
                }
                buffer.writeString("--b--\r\n")
                return buffer
            }
            var headers: HTTPFields = [.authorization: "Bearer \(h.rolloutToken)", .contentType: "multipart/form-data; boundary=b"]
            headers[HTTPField.Name("X-Rollout-Credential-Id")!] = h.rolloutCredential
            let invalid = try await native.client.execute(
                uri: "/api/tasks/\(id)", method: .put, headers: headers, body: form([("name", [0x41, 0xFF, 0x42])])
            )
            #expect(try invalid.rolloutError(.badRequest).contains("UTF-8"))
            let twice = try await native.client.execute(
                uri: "/api/tasks/\(id)", method: .put, headers: headers, body: form([("name", Array("a".utf8)), ("name", Array("b".utf8))])
            )
            let message = try twice.rolloutError(.badRequest)
            #expect(message.contains("more than once") || message.contains("name"), "\(message)")
            let fine = try await native.client.execute(
                uri: "/api/tasks/\(id)", method: .put, headers: headers, body: form([("name", Array("Grüße".utf8))])
            )
            #expect(fine.status == .ok)
            _ = rollout
            #expect(try await native.send(.get, "/v1/tasks/\(id)").object()["title"] as? String == "Grüße")
        }
    }

    /// Query strings no client means: refused or ignored, never a server fault.
    @Test(arguments: ["?&&", "?&", "?=", "?limit", "?limit=", "?=1&&=", "?limit=%zz", "?cursor=%00", "?completed=maybe"])
    func oddQueryStringsAreNeverServerFaults(_ query: String) async throws {
        let f = try await NexudusFixture.make()
        try await f.run { nexudus in
            let native = nexudus.native
            let rollout = RolloutClient(native.client, f.h)
            let thena = ThenaClient(client: native.client, key: f.h.key)
            let maxsight = MaxsightClient(client: native.client, key: f.h.key)
            for response in [
                try await native.send(.get, "/v1/tasks" + query), try await rollout.send(.get, "/tasks" + query),
                try await thena.send(.get, "/v1/accounts/tasks" + query), try await maxsight.send(.get, "/tasks" + query),
                try await nexudus.send(.get, "/api/crm/coworkertasks" + query),
            ] {
                #expect(response.status.code < 500, "\(query): \(response.status)")
            }
        }
    }

    /// Header values no client means, in every header some surface reads (content negotiation,
    /// preconditions, each surface's credentials, the console's cookie), on a read and a write of
    /// every surface: refused or ignored, never a server fault, and the task still reads.
    @Test(arguments: [
        ";", ",", ",;,", ";;", "=", "\"", "\"\"", "*/*;q=", "a/b;q=NaN", "application/json;;", "Bearer", "Bearer ", "Bearer ;",
        "Basic", "Basic %%%", "W/", "W/\"", "*,*", "text/plain; charset=", "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"", "taskport_session=;;", String(repeating: "a;,", count: 1500),
    ])
    func oddHeaderValuesAreNeverServerFaults(_ value: String) async throws {
        let f = try await NexudusFixture.make()
        try await f.run { nexudus in
            let native = nexudus.native
            let task = try await native.create()
            let id = try #require(task["id"] as? String)
            let number = try #require(task["number"] as? Int)
            let bearer = { (token: String) in "Bearer \(token)" }
            let surfaces: [(HTTPRequest.Method, String, HTTPFields, String?)] = [
                (.get, "/v1/tasks/\(id)", [.authorization: bearer(f.h.key)], nil),
                (.patch, "/v1/tasks/\(id)", [.authorization: bearer(f.h.key), .contentType: "application/merge-patch+json"], #"{"title":"Changed"}"#),
                (.get, "/api/tasks/\(id)", [.authorization: bearer(f.h.rolloutToken), HTTPField.Name("X-Rollout-Credential-Id")!: f.h.rolloutCredential], nil),
                (.put, "/api/tasks/\(id)", [.authorization: bearer(f.h.rolloutToken), HTTPField.Name("X-Rollout-Credential-Id")!: f.h.rolloutCredential, .contentType: "application/json"], #"{"name":"Changed"}"#),
                (.get, "/v1/accounts/tasks/\(id)", [HTTPField.Name("x-api-key")!: f.h.key], nil),
                (.put, "/v1/accounts/tasks/\(id)", [HTTPField.Name("x-api-key")!: f.h.key, .contentType: "application/json"], #"{"title":"Changed"}"#),
                (.get, "/v5/tasks/\(id)", [HTTPField.Name("apikey")!: f.h.key], nil),
                (.put, "/v5/tasks/\(id)/update-assignment", [HTTPField.Name("apikey")!: f.h.key, .contentType: "application/json", .ifMatch: "*"], #"{"update":{"assigned_to_type":"USER"}}"#),
                (.get, "/api/crm/coworkertasks/\(number)", [.authorization: bearer(f.adminToken)], nil),
                (.put, "/api/crm/coworkertasks", [.authorization: bearer(f.adminToken), .contentType: "application/json"], #"{"Id":\#(number),"Title":"Changed"}"#),
                (.post, "/api/token", [.contentType: "application/x-www-form-urlencoded"], "grant_type=refresh_token&refresh_token=x"),
                (.get, "/console/tasks", [:], nil),
                (.post, "/console/sign-in", [.contentType: "application/x-www-form-urlencoded"], "csrf=x"),
            ]
            let names: [HTTPField.Name] = [
                .accept, .contentType, .ifMatch, .ifNoneMatch, .authorization, .cookie, .acceptEncoding,
                HTTPField.Name("X-Rollout-Credential-Id")!, HTTPField.Name("x-api-key")!, HTTPField.Name("apikey")!,
            ]
            for (method, uri, base, body) in surfaces {
                for name in names {
                    var headers = base
                    headers[name] = value
                    let response = try await native.client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                    #expect(response.status.code < 500, "\(method) \(uri) with \(name): \(response.status)")
                }
            }
            let after = try await native.send(.get, "/v1/tasks/\(id)").object()
            #expect(after["title"] as? String != nil)
        }
    }
}
