import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TaskportCore
import TaskportPostgres
import TaskportTestSupport
import Testing

/// Two `taskport serve` processes over one PostgreSQL database, as the README runs them.
@Suite("Two servers on one PostgreSQL", .serialized, .enabled(if: TestPostgres.url != nil))
struct ScaleOutTests {
    static let clients = 32
    static let incrementsPerClient = 4

    /// A fresh database with a tenant of this name, its administrator and an API key of theirs.
    static func database(
        withAdministratorOf name: String
    ) async throws -> (url: String, store: PostgresStore, tenant: Tenant, user: User, key: APIKeySecret) {
        let url = try TestPostgres.freshURL()
        let store = try await PostgresStore.connect(url: url, maximumConnections: 2)
        let tenant = try await store.createTenant(named: name)
        let user = try await store.createUser(in: tenant.id, email: "ops@\(name).test", name: "Ops", roles: ["admin"])
        let key = APIKeySecret.generate()
        try await store.addAPIKey(key, named: name, for: user.id, in: tenant.id)
        return (url, store, tenant, user, key)
    }

    /// 32 clients increment one task's counter by read-modify-write with `If-Match`, half through
    /// each server, retrying when their version is stale. No increment may be lost or doubled: the
    /// counter ends at the number of writes that succeeded, and the history has one entry each.
    @Test func readModifyWriteIncrementsThroughBothServersLoseNothing() async throws {
        let (url, store, _, _, key) = try await Self.database(withAdministratorOf: "scale")

        let servers = [
            try await ServerProcess(arguments: ["--database", url], port: try await ServerProcess.freePort()),
            try await ServerProcess(arguments: ["--database", url], port: try await ServerProcess.freePort()),
        ]
        let api = NativeHTTP(key: key.plaintext)
        let created = try await api.send(.POST, "http://127.0.0.1:\(servers[0].port)/v1/tasks", #"{"title":"Counter","metadata":{"counter":0}}"#)
        #expect(created.status == .created)
        let id = try #require(created.json["id"] as? String)

        let outcome = try await withThrowingTaskGroup(of: (successes: Int, conflicts: Int).self) { group in
            for client in 0..<Self.clients {
                let base = "http://127.0.0.1:\(servers[client % 2].port)/v1/tasks/\(id)"
                group.addTask {
                    var successes = 0
                    var conflicts = 0
                    while successes < Self.incrementsPerClient {
                        let read = try await api.send(.GET, base)
                        let counter = try #require((read.json["metadata"] as? [String: Any])?["counter"] as? Int)
                        let etag = try #require(read.headers.first(name: "ETag"))
                        let write = try await api.send(
                            .PATCH, base, #"{"metadata":{"counter":\#(counter + 1)}}"#, contentType: "application/merge-patch+json",
                            ifMatch: etag
                        )
                        switch write.status {
                        case .ok: successes += 1
                        case .preconditionFailed: conflicts += 1
                        default: Issue.record("PATCH answered \(write.status)"); return (successes, conflicts)
                        }
                    }
                    return (successes, conflicts)
                }
            }
            var total = (successes: 0, conflicts: 0)
            for try await result in group {
                total.successes += result.successes
                total.conflicts += result.conflicts
            }
            return total
        }

        #expect(outcome.successes == Self.clients * Self.incrementsPerClient)
        let final = try await api.send(.GET, "http://127.0.0.1:\(servers[1].port)/v1/tasks/\(id)")
        #expect((final.json["metadata"] as? [String: Any])?["counter"] as? Int == outcome.successes)
        #expect(final.json["version"] as? Int == outcome.successes + 1)
        let history = try await api.send(.GET, "http://127.0.0.1:\(servers[0].port)/v1/tasks/\(id)/history")
        let entries = try #require(history.json["items"] as? [[String: Any]])
        #expect(entries.filter { $0["action"] as? String == "updated" }.count == outcome.successes)
        #expect(entries.count == outcome.successes + 1)
        // Contention was real: with 32 writers on one task, stale versions were refused.
        #expect(outcome.conflicts > 0)

        for server in servers { #expect(try await server.terminate() == 0) }
        await store.close()
    }

    /// A server writes a task it knows in one statement, computed from the task as it last saw
    /// it. When another server has changed the task since, or a snapshot's restore has taken it
    /// back to an earlier version that has since been changed again to the same version number,
    /// nothing is written from the stale copy: the change is computed again from the task as
    /// stored, and a precondition is checked against that.
    @Test func aServerWritesFromTheTaskAsStoredNotAsItLastSawIt() async throws {
        let (url, store, _, _, key) = try await Self.database(withAdministratorOf: "stale")
        let a = try await ServerProcess(arguments: ["--database", url], port: try await ServerProcess.freePort())
        let b = try await ServerProcess(arguments: ["--database", url], port: try await ServerProcess.freePort())
        let api = NativeHTTP(key: key.plaintext)
        let created = try await api.send(.POST, "http://127.0.0.1:\(a.port)/v1/tasks", #"{"title":"Shared","metadata":{"a":1}}"#)
        let id = try #require(created.json["id"] as? String)
        let onA = "http://127.0.0.1:\(a.port)/v1/tasks/\(id)"
        let onB = "http://127.0.0.1:\(b.port)/v1/tasks/\(id)"
        func patch(_ url: String, _ body: String, ifMatch: String? = nil) async throws -> NativeHTTP.Reply {
            try await api.send(.PATCH, url, body, contentType: "application/merge-patch+json", ifMatch: ifMatch)
        }

        // A knows version 1; B makes version 2; A's change lands on version 2 as stored.
        #expect(try await patch(onB, #"{"title":"From B","metadata":{"b":2}}"#).json["version"] as? Int == 2)
        let fromA = try await patch(onA, #"{"notes":"From A"}"#)
        #expect(fromA.status == .ok)
        #expect(fromA.json["version"] as? Int == 3)
        #expect(fromA.json["title"] as? String == "From B")
        #expect(fromA.json["notes"] as? String == "From A")
        #expect((fromA.json["metadata"] as? [String: Int]) == ["a": 1, "b": 2])

        // B knows version 2; a precondition on version 3 holds on B, a stale one does not on A.
        let etag = try #require(fromA.headers.first(name: "ETag"))
        #expect(try await patch(onB, #"{"notes":"B's version 4"}"#, ifMatch: etag).json["version"] as? Int == 4)
        #expect(try await patch(onA, #"{"notes":"stale"}"#, ifMatch: etag).status == .preconditionFailed)

        // A knows version 5 (its own write); a restore on B takes the task back to version 4,
        // and B changes it to a different version 5. A's next change starts from B's version 5.
        #expect(try await api.send(.POST, "http://127.0.0.1:\(b.port)/v1/snapshots", #"{"name":"at-4"}"#).status == .created)
        #expect(try await patch(onA, #"{"notes":"A's version 5"}"#).json["version"] as? Int == 5)
        #expect(try await api.send(.POST, "http://127.0.0.1:\(b.port)/v1/snapshots/at-4/restore").status == .noContent)
        #expect(try await patch(onB, #"{"title":"B's version 5"}"#).json["version"] as? Int == 5)
        let afterRestore = try await patch(onA, #"{"metadata":{"c":3}}"#)
        #expect(afterRestore.json["version"] as? Int == 6)
        #expect(afterRestore.json["title"] as? String == "B's version 5")
        #expect(afterRestore.json["notes"] as? String == "B's version 4")
        #expect((afterRestore.json["metadata"] as? [String: Int]) == ["a": 1, "b": 2, "c": 3])

        let history = try await api.send(.GET, "\(onB)/history")
        let versions = try #require(history.json["items"] as? [[String: Any]]).compactMap { $0["version"] as? Int }
        #expect(versions == [1, 2, 3, 4, 5, 6])
        for server in [a, b] { #expect(try await server.terminate() == 0) }
        await store.close()
    }

    /// Each server keeps API keys and users in memory between requests. A change made elsewhere
    /// (here by a third connection to the database) reaches both servers through the database's
    /// notices, well before the hour these servers are told to trust what they keep: a changed
    /// role, then a revoked key, each within a few seconds on a loaded machine.
    @Test func aChangeMadeElsewhereReachesEveryServerByNotice() async throws {
        let (url, store, tenant, user, key) = try await Self.database(withAdministratorOf: "notices")
        let servers = [
            try await ServerProcess(arguments: ["--database", url, "--directory-cache-seconds", "3600"], port: try await ServerProcess.freePort()),
            try await ServerProcess(arguments: ["--database", url, "--directory-cache-seconds", "3600"], port: try await ServerProcess.freePort()),
        ]
        let api = NativeHTTP(key: key.plaintext)
        let created = try await api.send(.POST, "http://127.0.0.1:\(servers[0].port)/v1/tasks", #"{"title":"Watched"}"#)
        let id = try #require(created.json["id"] as? String)
        let tasks = servers.map { "http://127.0.0.1:\($0.port)/v1/tasks/\(id)" }
        for task in tasks {
            #expect(try await api.send(.PATCH, task, #"{"notes":"warm"}"#, contentType: "application/merge-patch+json").status == .ok)
        }

        /// How long `task` took to answer `status`, polled; nil if it did not within ten seconds.
        func seen(_ status: HTTPResponseStatus, at task: String, _ method: HTTPMethod, _ body: String? = nil) async throws -> Duration? {
            let started = ContinuousClock.now
            while ContinuousClock.now - started < .seconds(10) {
                if try await api.send(method, task, body, contentType: "application/merge-patch+json").status == status {
                    return ContinuousClock.now - started
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }

        try await store.setRoles(["CoworkerTask-List", "CoworkerTask-Read"], for: user.id, in: tenant.id)
        for task in tasks {
            #expect(try await seen(.forbidden, at: task, .PATCH, #"{"notes":"read only"}"#) != nil)
            #expect(try await api.send(.GET, task).status == .ok)
        }
        let keyID = try #require(try await store.apiKeys(in: tenant.id).first?.id)
        #expect(try await store.revokeAPIKey(keyID, in: tenant.id))
        for task in tasks {
            #expect(try await seen(.unauthorized, at: task, .GET) != nil)
        }

        for server in servers { #expect(try await server.terminate() == 0) }
        await store.close()
    }
}

/// Just enough of an HTTP client for the native API.
struct NativeHTTP: Sendable {
    let key: String

    struct Reply {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var json: [String: Any]
    }

    func send(
        _ method: HTTPMethod, _ url: String, _ body: String? = nil, contentType: String = "application/json", ifMatch: String? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        if let ifMatch { request.headers.add(name: "If-Match", value: ifMatch) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
        return Reply(status: response.status, headers: response.headers, json: json)
    }
}
