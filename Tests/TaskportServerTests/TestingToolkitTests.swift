import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import TaskportCore
import TaskportJournal
@testable import TaskportGates
import TaskportServer
import Testing

/// What people testing their integrations use: fault rules, rate limits, snapshots and reset,
/// over a real socket.
@Suite("Fault injection, rate limits, snapshots")
struct TestingToolkitTests {
    static func live(
        _ h: Harness, rateLimits: [String: RateLimit] = [:], journal: Bool = false, _ test: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let configuration = ServerConfiguration(
            port: 0, logLevel: .error, journal: journal ? .init() : nil, faultInjection: true, rateLimits: rateLimits
        )
        let app = try await buildApplication(configuration, store: h.store)
        try await app.test(.live) { client in try await test(client) }
    }

    /// Makes a fault rule through the native API and returns its id.
    @discardableResult
    static func rule(_ native: NativeClient, _ body: String) async throws -> String {
        let response = try await native.send(.post, "/v1/faults", body)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try #require(try response.object()["id"] as? String)
    }

    @Test func anInjectedStatusIsInTheSurfacesOwnEnvelopeAndChangesNothing() async throws {
        let h = try await Harness.make()
        try await Self.live(h, journal: true) { client in
            let native = NativeClient(client: client, key: h.key)
            let task = try await native.create()
            let id = try #require(task["id"] as? String)
            let ruleID = try await Self.rule(native, #"{"surface":"rollout","method":"PUT","path":"/api/tasks/*","effect":"status","status":503,"count":2}"#)
            let rollout = RolloutClient(client, h)
            for _ in 1...2 {
                let refused = try await rollout.send(.put, "/tasks/\(id)", #"{"title":"Injected away"}"#)
                #expect(refused.status == .serviceUnavailable)
                #expect(refused.headers[.retryAfter] == "1")
                #expect((try refused.object()["errorMessage"] as? String)?.contains(ruleID) == true, "Rollout's own envelope")
            }
            // Other methods and surfaces are not matched.
            #expect(try await rollout.send(.get, "/tasks/\(id)").status == .ok)
            #expect(try await native.send(.get, "/v1/tasks/\(id)").status == .ok)
            let unchanged = try await h.store.task(.id(try #require(UUID(uuidString: id))), in: h.tenant.id)
            #expect(unchanged?.version == 1 && unchanged?.content.title == "Call Acme", "an injected failure changes nothing")
            // The count is spent: the third PUT goes through.
            #expect(try await rollout.send(.put, "/tasks/\(id)", #"{"title":"Through"}"#).status == .ok)
            let rules = try await native.send(.get, "/v1/faults").object()["items"] as? [[String: Any]]
            #expect(rules?.first?["count"] as? Int == 0)
            // The journal marks what the rule did.
            let entries = try await JournalTests.journal(client, key: h.key, "?surface=rollout", atLeast: 4)
            let marked = entries.filter { ($0["fault"] as? String)?.contains("rule \(ruleID): status 503") == true }
            #expect(marked.count == 2 && marked.allSatisfy { $0["status"] as? Int == 503 })
            #expect(entries.filter { $0["fault"] == nil }.count == 2)
        }
    }

    @Test func aRuleOfOneTenantNeverActsForAnother() async throws {
        let h = try await Harness.make()
        try await Self.live(h) { client in
            let native = NativeClient(client: client, key: h.key)
            try await Self.rule(native, #"{"effect":"status","status":500}"#)
            for _ in 1...5 {
                #expect(try await native.send(.get, "/v1/tasks/\(h.strangerTask.id)", key: h.strangerKey).status == .ok)
            }
            // The tenant's own requests get the native API's own server fault, in every surface's format.
            let failed = try await native.send(.get, "/v1/tasks")
            try failed.problem(.internalServerError)
            let thena = try await ThenaClient(client: client, key: h.key).send(.get, "/v1/accounts/tasks/\(UUID())")
            #expect(thena.status == .internalServerError)
            #expect(try thena.object()["message"] as? String == "Something went wrong!")
            // The rules routes themselves are never matched, so the rule can be removed.
            let rules = try await native.send(.get, "/v1/faults").object()["items"] as? [[String: Any]]
            let id = try #require(rules?.first?["id"] as? String)
            #expect(try await native.send(.delete, "/v1/faults/\(id)").status == .noContent)
            #expect(try await native.send(.get, "/v1/tasks").status == .ok)
        }
    }

    @Test func aClientRetriesThroughA503AndA429() async throws {
        let h = try await Harness.make()
        try await Self.live(h) { client in
            let native = NativeClient(client: client, key: h.key)
            let id = try #require(try await native.create()["id"] as? String)
            try await Self.rule(native, #"{"surface":"native","method":"PATCH","effect":"status","status":503,"count":1}"#)
            try await Self.rule(native, #"{"surface":"native","method":"PATCH","effect":"status","status":429,"retryAfter":1,"count":1}"#)
            // A client as people write them: retry on 429 and 503 after Retry-After, a few times.
            var statuses: [Int] = []
            var waited: [String] = []
            var response = try await native.patch("/v1/tasks/\(id)", #"{"title":"Retried"}"#)
            statuses.append(Int(response.status.code))
            while [429, 503].contains(response.status.code), statuses.count < 5 {
                let wait = try #require(response.headers[.retryAfter])
                waited.append(wait)
                try await Task.sleep(for: .seconds(Int(wait) ?? 1))
                response = try await native.patch("/v1/tasks/\(id)", #"{"title":"Retried"}"#)
                statuses.append(Int(response.status.code))
            }
            #expect(statuses == [503, 429, 200])
            #expect(waited == ["1", "1"])
            let task = try await h.store.task(.id(try #require(UUID(uuidString: id))), in: h.tenant.id)
            #expect(task?.version == 2 && task?.content.title == "Retried", "applied once, by the request that got through")
        }
    }

    @Test func latencyWaitsAndADroppedConnectionHasNoAnswer() async throws {
        let h = try await Harness.make()
        try await Self.live(h, journal: true) { client in
            let native = NativeClient(client: client, key: h.key)
            try await Self.rule(native, #"{"surface":"maxsight","effect":"latency","latencyMs":400,"count":1}"#)
            try await Self.rule(native, #"{"surface":"thena","effect":"drop","count":1}"#)
            let started = ContinuousClock.now
            #expect(try await MaxsightClient(client: client, key: h.key).send(.get, "/tasks/\(UUID())").status == .notFound)
            #expect(ContinuousClock.now - started >= .milliseconds(400))
            // A connection of its own, since the test client's one would be closed with it.
            let port = try #require(client.port)
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/accounts/tasks")
            request.method = .POST
            request.headers.add(name: "x-api-key", value: h.key)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: #"{"title":"Dropped"}"#))
            await #expect(throws: (any Error).self, "the connection closes without an answer") {
                _ = try await http.execute(request, timeout: .seconds(10))
            }
            try await http.shutdown()
            #expect(try await h.store.tasks(matching: TaskQuery(limit: 10), in: h.tenant.id).tasks.isEmpty, "the dropped request changed nothing")
            #expect(try await ThenaClient(client: client, key: h.key).send(.get, "/v1/accounts/tasks").status == .ok, "the next one is answered")
            let entries = try await JournalTests.journal(client, key: h.key, "?surface=thena", atLeast: 2)
            let dropped = entries.first { $0["method"] as? String == "POST" }
            #expect(dropped?["status"] as? Int == 0 && (dropped?["fault"] as? String)?.hasSuffix("dropped") == true)
        }
    }

    @Test func badRulesAreRefusedInTheNativeFormat() async throws {
        let h = try await Harness.make()
        try await Self.live(h) { client in
            let native = NativeClient(client: client, key: h.key)
            for body in [
                #"{"effect":"status","status":404}"#, #"{"effect":"latency"}"#, #"{"effect":"latency","latencyMs":999999}"#,
                #"{"effect":"drop","share":0}"#, #"{"effect":"drop","path":"no-slash"}"#, #"{"effect":"drop","method":"get"}"#,
                #"{"effect":"drop","startsAt":"2030-01-02T00:00:00Z","endsAt":"2030-01-01T00:00:00Z"}"#, #"{"effect":"explode"}"#,
            ] {
                try await native.send(.post, "/v1/faults", body).problem(.badRequest)
            }
            let bob = APIKeySecret.generate()
            try await h.store.addAPIKey(bob, named: "bob", for: h.bob.id, in: h.tenant.id)
            try await native.send(.post, "/v1/faults", #"{"effect":"drop"}"#, key: bob.plaintext).problem(.forbidden)
            #expect(try await h.store.faultRules(in: h.tenant.id).isEmpty)
        }
    }

    @Test func withoutFaultInjectionNoRuleCanBeMade() async throws {
        let h = try await Harness.make()
        try await h.runLive { client in
            let native = NativeClient(client: client, key: h.key)
            let refused = try await native.send(.post, "/v1/faults", #"{"effect":"status","status":500}"#)
            #expect(try refused.problem(.conflict).contains("--fault-injection"))
            // A rule made another way (the CLI writes the store) does not act here either.
            try await h.store.addFaultRule(FaultRule(tenantID: h.tenant.id, match: .init(), effect: .status(code: 500, retryAfter: nil)))
            #expect(try await native.send(.get, "/v1/tasks").status == .ok)
            #expect(try await native.send(.get, "/v1/faults").object()["items"] as? [Any] != nil)
        }
    }

    @Test func aRateLimitAnswers429InTheSurfacesFormatPerCredential() async throws {
        let h = try await Harness.make()
        try await Self.live(h, rateLimits: ["thena": RateLimit(requests: 2, seconds: 60)]) { client in
            let thena = ThenaClient(client: client, key: h.key)
            let path = "/v1/accounts/tasks/\(UUID())"
            #expect(try await thena.send(.get, path).status == .notFound)
            #expect(try await thena.send(.get, path).status == .notFound)
            let limited = try await thena.send(.get, path)
            #expect(limited.status == .tooManyRequests)
            let body = try limited.object()
            #expect(body["statusCode"] as? Int == 429 && body["error"] as? String == "Too Many Requests")
            // One request comes back every 30 seconds; a slow machine may have waited some of them already.
            let wait = Int(limited.headers[.retryAfter] ?? "") ?? 0
            #expect((1...30).contains(wait) && limited.headers[HTTPField.Name("X-RateLimit-Reset")!] == String(wait))
            #expect(limited.headers[HTTPField.Name("X-RateLimit-Limit")!] == "2")
            #expect(limited.headers[HTTPField.Name("X-RateLimit-Remaining")!] == "0")
            // Another credential has its own bucket, and other surfaces have no limit.
            #expect(try await thena.send(.get, "/v1/accounts/tasks/\(h.strangerTask.id)", key: h.strangerKey).status == .ok)
            for _ in 1...3 { #expect(try await NativeClient(client: client, key: h.key).send(.get, "/v1/tasks").status == .ok) }
        }
    }

    @Test func theTokenBucketRefills() {
        let limiter = RateLimiter(limits: ["native": RateLimit(requests: 2, seconds: 1)], surface: { _ in "native" })
        let key = RateLimiter.Key(tenantID: UUID(), userNumber: 1, credential: "key:x", surface: "native")
        let limit = RateLimit(requests: 2, seconds: 1)
        let start = ContinuousClock.now
        #expect(limiter.take(key, limit, at: start) == nil)
        #expect(limiter.take(key, limit, at: start) == nil)
        #expect(limiter.take(key, limit, at: start) == 1)
        #expect(limiter.take(key, limit, at: start + .milliseconds(500)) == nil, "half a second brings one back")
        #expect(limiter.take(key, limit, at: start + .milliseconds(500)) == 1)
        let parsed = RateLimit.parse("rollout=100/10")
        #expect(parsed?.surface == "rollout" && parsed?.limit == RateLimit(requests: 100, seconds: 10))
        for bad in ["rollout=0/10", "nowhere=1/1", "rollout=1", "rollout=1/0", "=1/1"] { #expect(RateLimit.parse(bad) == nil) }
    }

    @Test func pathPatterns() {
        #expect(FaultRule.glob("/api/tasks/*", matches: "/api/tasks/12"))
        #expect(!FaultRule.glob("/api/tasks/*", matches: "/api/task"))
        #expect(FaultRule.glob("*", matches: ""))
        #expect(FaultRule.glob("/v1/*/history", matches: "/v1/tasks/9/history"))
        #expect(!FaultRule.glob("/v1/*/history", matches: "/v1/tasks/9"))
        #expect(FaultRule.glob("/a*a", matches: "/aa") && FaultRule.glob("/a*a", matches: "/a/a") && !FaultRule.glob("/a*a", matches: "/a"))
        #expect(FaultRule.glob("/exact", matches: "/exact") && !FaultRule.glob("/exact", matches: "/exact/"))
    }

    // MARK: - Snapshots and reset

    static func export(_ h: Harness) async throws -> [String] {
        let lines = Lines()
        try await TenantArchive.export(tenantNamed: h.tenant.name, from: h.store) { line in lines.append(line) }
        return lines.all
    }

    @Test func aRestoreAfterFiftyChangesReproducesTheExportByteForByte() async throws {
        let h = try await Harness.make()
        try await Self.live(h) { client in
            let native = NativeClient(client: client, key: h.key)
            var ids: [String] = []
            for index in 1...5 { ids.append(try #require(try await native.create(#"{"title":"Task \#(index)"}"#)["id"] as? String)) }
            let before = try await Self.export(h)
            let saved = try await native.send(.post, "/v1/snapshots", #"{"name":"base"}"#)
            #expect(saved.status == .created)
            #expect(try saved.object()["tasks"] as? Int == 5)
            // Fifty changes of every kind: updates, new tasks, deletions, a new attribute, a new key.
            for index in 1...40 {
                #expect(try await native.patch("/v1/tasks/\(ids[index % 5])", #"{"notes":"change \#(index)"}"#).status == .ok)
            }
            for index in 1...7 { _ = try await native.create(#"{"title":"Later \#(index)"}"#) }
            #expect(try await native.send(.delete, "/v1/tasks/\(ids[0])").status == .noContent)
            #expect(try await native.send(.post, "/v1/task-attributes", #"{"kind":"type","value":"Visit"}"#).status == .created)
            try await h.store.addAPIKey(APIKeySecret.generate(), named: "later", for: h.bob.id, in: h.tenant.id)
            #expect(try await Self.export(h) != before)

            let started = ContinuousClock.now
            #expect(try await native.send(.post, "/v1/snapshots/base/restore").status == .noContent)
            let took = ContinuousClock.now - started
            #expect(try await Self.export(h) == before, "restored in \(took)")
            // The restored tenant works on: its key, its numbers, and a new task after them.
            #expect(try await native.send(.get, "/v1/tasks/\(ids[0])").status == .ok)
            let next = try await native.create(#"{"title":"After restore"}"#)
            #expect((next["number"] as? Int ?? 0) > 5)
            #expect(try await native.send(.get, "/v1/tasks/\(h.strangerTask.id)", key: h.strangerKey).status == .ok, "the other tenant is untouched")
            let listed = try await native.send(.get, "/v1/snapshots").object()["items"] as? [[String: Any]]
            #expect(listed?.compactMap { $0["name"] as? String } == ["base"])
            try await native.send(.post, "/v1/snapshots/none/restore").problem(.notFound)
            try await native.send(.post, "/v1/snapshots", #"{"name":"../x"}"#).problem(.badRequest)
        }
    }

    @Test func aRestoreThatFailsLeavesTheTenantAsItWas() async throws {
        let h = try await Harness.make()
        let actor = Actor(userID: h.alice.id, name: h.alice.email, surface: "test")
        var content = TaskContent(title: "Assigned")
        content.assignee = .user(h.bob.id)
        _ = try await h.store.create(TaskCreation(tenantID: h.tenant.id, content: content, actor: actor))
        let info = try await Snapshots.save("broken", of: h.tenant, in: h.store)
        #expect(info.tasks == 1)
        // The saved archive made to point at a user nobody has: its rows cannot all go back.
        let archive = try #require(try await h.store.snapshotArchive("broken", in: h.tenant.id))
        let broken = archive.replacingOccurrences(of: #""assignee_user_id":"\#(h.bob.id.uuidString.lowercased())""#, with: #""assignee_user_id":"\#(UUID().uuidString.lowercased())""#)
        #expect(broken != archive)
        try await h.store.saveSnapshot(info, archive: broken, in: h.tenant.id)
        _ = try await h.store.create(TaskCreation(tenantID: h.tenant.id, content: TaskContent(title: "Made after"), actor: actor))
        let before = try await Self.export(h)
        await #expect(throws: (any Error).self) { try await Snapshots.restore("broken", of: h.tenant, in: h.store) }
        #expect(try await Self.export(h) == before)
    }

    @Test func resetEmptiesTheTasksAndKeepsTheRest() async throws {
        let h = try await Harness.make()
        try await Self.live(h) { client in
            let native = NativeClient(client: client, key: h.key)
            for _ in 1...3 { _ = try await native.create() }
            #expect(try await native.send(.post, "/v1/tenant/reset").status == .noContent)
            let page = try await native.send(.get, "/v1/tasks").object()
            #expect((page["items"] as? [Any])?.isEmpty == true, "the same key still works; the tasks are gone")
            #expect(try await h.store.users(in: h.tenant.id).count == 2)
            #expect(try await native.send(.get, "/v1/tasks/\(h.strangerTask.id)", key: h.strangerKey).status == .ok)
            try await native.send(.post, "/v1/tenant/reset?to=demo").problem(.conflict)
            try await native.send(.post, "/v1/tenant/reset?to=elsewhere").problem(.badRequest)
        }
    }

    @Test func theDemoTenantGoesBackToTheDemosTasks() async throws {
        let store = try await TestBackend.freshStore()
        let credentials = try await DemoData.seed(store, baseURL: "http://localhost", previous: nil)
        let tenant = try #require(try await store.tenant(named: DemoData.tenantName))
        let actor = Actor(userID: nil, name: "test", surface: "test")
        for index in 1...4 { _ = try await store.create(TaskCreation(tenantID: tenant.id, content: TaskContent(title: "Extra \(index)"), actor: actor)) }
        let app = try await buildApplication(ServerConfiguration(port: 0, logLevel: .error), store: store)
        try await app.test(.live) { client in
            let native = NativeClient(client: client, key: credentials.native.apiKey)
            #expect(try await native.send(.post, "/v1/tenant/reset?to=demo").status == .noContent)
            let items = try await native.send(.get, "/v1/tasks").object()["items"] as? [[String: Any]]
            #expect(Set(items?.compactMap { $0["title"] as? String } ?? [])
                == ["Call Acme about the renewal", "Reconcile October invoices", "Send the welcome pack"])
        }
    }
}

/// The lines an export writes, gathered from the store's read.
final class Lines: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var all: [String] { lines.withLock { $0 } }
}
