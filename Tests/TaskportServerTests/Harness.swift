import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import TaskportCore
@testable import TaskportPostgres
@testable import TaskportSQLite
import TaskportServer
import TaskportTestSupport
import Testing

/// The store the HTTP suites run on: SQLite in memory, or, with `TASKPORT_TEST_BACKEND=postgres`,
/// a new schema of the PostgreSQL server `TASKPORT_TEST_POSTGRES` names (`scripts/test` runs
/// these suites once on each).
enum TestBackend {
    static let isPostgres = ProcessInfo.processInfo.environment["TASKPORT_TEST_BACKEND"] == "postgres"

    static func freshStore() async throws -> any TaskportStore {
        isPostgres ? try await TestPostgres.freshStore() : try SQLiteStore.inMemory()
    }

    /// Makes `number` the number the next task gets.
    static func setNextTaskNumber(_ number: Int64, in store: any TaskportStore) async throws {
        if let store = store as? PostgresStore {
            try await store.execute("SELECT setval(pg_get_serial_sequence('tasks', 'number'), \(number - 1))")
        } else if let store = store as? SQLiteStore {
            try await store.writer.write { db in
                try db.execute(sql: "UPDATE sqlite_sequence SET seq = ? WHERE name = 'tasks'", arguments: [number - 1])
            }
        }
    }
}

/// A Taskport application over a fresh store, with one tenant, two users, a team and
/// an API key, plus a second tenant with its own key and task.
struct Harness {
    let store: any TaskportStore
    let tenant: Tenant
    let alice: User
    let bob: User
    let team: Team
    let key: String
    let strangerKey: String
    let strangerTask: TaskRecord
    /// A Rollout bearer token and credential id for alice.
    let rolloutToken: String
    let rolloutCredential: String
    /// A token and credential of the other tenant.
    let strangerRolloutToken: String
    let strangerRolloutCredential: String

    static func make() async throws -> Harness {
        let store = try await TestBackend.freshStore()
        let tenant = try await store.createTenant(named: "acme")
        let alice = try await store.createUser(in: tenant.id, email: "alice@acme.test", name: "Alice", roles: ["admin"])
        let bob = try await store.createUser(in: tenant.id, email: "bob@acme.test", name: "Bob", roles: [])
        let team = try await store.createTeam(in: tenant.id, name: "Support")
        let key = APIKeySecret.generate()
        try await store.addAPIKey(key, named: "test", for: alice.id, in: tenant.id)
        let other = try await store.createTenant(named: "globex")
        let eve = try await store.createUser(in: other.id, email: "eve@globex.test", name: "Eve", roles: [])
        let strangerKey = APIKeySecret.generate()
        try await store.addAPIKey(strangerKey, named: "test", for: eve.id, in: other.id)
        let strangerTask = try await store.create(
            TaskCreation(tenantID: other.id, content: TaskContent(title: "Globex secret"), actor: Actor(userID: eve.id, name: eve.email, surface: "test"))
        )
        let rollout = try await RolloutCredentials.mint(for: Principal(tenantID: tenant.id, user: alice), in: store, lifetime: 600)
        let strangerRollout = try await RolloutCredentials.mint(for: Principal(tenantID: other.id, user: eve), in: store, lifetime: 600)
        return Harness(
            store: store, tenant: tenant, alice: alice, bob: bob, team: team, key: key.plaintext,
            strangerKey: strangerKey.plaintext, strangerTask: strangerTask,
            rolloutToken: rollout.token, rolloutCredential: rollout.credential.id.uuidString.lowercased(),
            strangerRolloutToken: strangerRollout.token, strangerRolloutCredential: strangerRollout.credential.id.uuidString.lowercased()
        )
    }

    func run(_ test: @Sendable (NativeClient) async throws -> Void) async throws {
        let app = try await buildApplication(ServerConfiguration(logLevel: .error), store: store)
        try await app.test(.router) { client in try await test(NativeClient(client: client, key: key)) }
    }

    /// Runs `test` against a real server on a loopback port, where the wire format matters.
    func runLive(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = try await buildApplication(ServerConfiguration(port: 0, logLevel: .error), store: store)
        try await app.test(.live) { client in try await test(client) }
    }
}

struct NativeClient: Sendable {
    let client: any TestClientProtocol
    let key: String?

    func send(
        _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil,
        contentType: String = "application/json", headers extra: HTTPFields = [:], key: String? = nil
    ) async throws -> TestResponse {
        var headers = extra
        if let key = key ?? self.key { headers[.authorization] = "Bearer \(key)" }
        if body != nil { headers[.contentType] = contentType }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    func patch(_ uri: String, _ body: String, ifMatch: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let ifMatch { headers[.ifMatch] = ifMatch }
        return try await send(.patch, uri, body, contentType: "application/merge-patch+json", headers: headers)
    }

    /// Creates a task and returns its JSON.
    func create(_ body: String = #"{"title":"Call Acme"}"#) async throws -> [String: Any] {
        let response = try await send(.post, "/v1/tasks", body)
        #expect(response.status == .created)
        return try response.object()
    }
}

extension TestResponse {
    func object() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
    }

    /// Asserts an RFC 9457 problem with this status, and returns its `detail`.
    @discardableResult
    func problem(_ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        #expect(self.status == status, sourceLocation: sourceLocation)
        #expect(headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let problem = try object()
        #expect(problem["status"] as? Int == Int(status.code), sourceLocation: sourceLocation)
        #expect(problem["title"] is String, sourceLocation: sourceLocation)
        return problem["detail"] as? String ?? ""
    }
}

