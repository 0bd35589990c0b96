import Foundation
import Synchronization
import TaskportCore
import TaskportTestSupport
import Testing

@Suite("Tenant export and import")
struct TenantArchiveTests {
    /// A tenant with something in every table an archive holds, and another tenant beside it.
    static func populate(_ store: any TaskportStore) async throws {
        let f = try await Fixture.make(from: store)
        try await store.setPasswordHash(try PasswordHash.make("correct horse"), for: f.alice.id, in: f.tenant.id)
        let key = APIKeySecret.generate()
        try await store.addAPIKey(key, named: "ci", for: f.alice.id, in: f.tenant.id)
        let revoked = APIKeySecret.generate()
        try await store.addAPIKey(revoked, named: "old", for: f.bob.id, in: f.tenant.id)
        _ = try await store.revokeAPIKey(revoked.id, in: f.tenant.id)
        _ = try await store.createCredential(surface: "rollout", name: "crm", in: f.tenant.id)
        let account = try await store.createAccount(named: "Acme Ltd", in: f.tenant.id)
        let activity = try await store.createActivity(named: "Kick-off call", account: account.id, in: f.tenant.id)
        _ = try await store.createAttribute(.status, value: "Done", configuration: ["done": true, "color": "#2e7d32"], in: f.tenant.id)
        let business = try await store.createBusiness(named: "Downtown", timeZone: "Europe/London", in: f.tenant.id)
        _ = try await store.createWebhook(url: "https://hooks.acme.test/a", secret: "s1", in: f.tenant.id)
        let gone = try await store.createWebhook(url: "https://hooks.acme.test/b", secret: "s2", in: f.tenant.id)
        _ = try await store.deleteWebhook(gone.id, in: f.tenant.id)

        let task = try await f.create("Renew the contract") {
            $0.assignee = .team(f.team.id)
            $0.activityID = activity.id
            $0.subjectID = account.subjectID
            $0.scopeID = business.scopeID
            $0.metadata = ["crm": .integer(7), "tags": .array(["a", "b"])]
        }
        _ = try await f.patch(task, [.dueAt(Timestamp(microseconds: 1_800_000_000_123_456)), .assignee(.user(f.bob.id))])
        _ = try await f.patch(try #require(try await store.task(.id(task.id), in: f.tenant.id)), [.completed(true), .notes("Signed")])
        let deleted = try await f.create("Scrap this")
        _ = try await store.apply(TaskMutation(tenantID: f.tenant.id, task: .id(deleted.id), kind: .delete, actor: f.actor))
        _ = try await store.create(
            TaskCreation(tenantID: f.otherTenant.id, content: TaskContent(title: "Globex only"), actor: Actor(userID: f.stranger.id, name: "eve", surface: "test"))
        )
    }

    static func export(_ tenant: String, from store: any TaskportStore) async throws -> [String] {
        let lines = Lines()
        try await TenantArchive.export(tenantNamed: tenant, from: store) { line in lines.append(line) }
        return lines.all
    }

    @Test(arguments: StoreBackend.allCases)
    func anExportImportedIntoAnEmptyStoreExportsTheSame(_ backend: StoreBackend) async throws {
        let source = try await backend.open()
        try await Self.populate(source)
        let exported = try await Self.export("acme", from: source)
        #expect(exported.first?.contains(#""format":"taskport-tenant""#) == true)
        #expect(!exported.contains { $0.contains("Globex") || $0.contains("globex") })
        for table in ["users", "team_members", "api_keys", "credentials", "accounts", "activities", "task_attributes", "businesses", "webhooks"] {
            #expect(exported.contains { $0.contains(#""table":"\#(table)""#) }, "no \(table) row")
        }
        #expect(exported.filter { $0.contains(#""table":"tasks""#) }.count == 2)
        #expect(exported.filter { $0.contains(#""table":"audit_entries""#) }.count == 5)

        let target = try await backend.open()
        #expect(try await TenantArchive.import(lines: exported.map { Substring($0) }, into: target) == "acme")
        #expect(try await Self.export("acme", from: target) == exported)

        // What was moved works: the same task by the same number, its history, the next number after it.
        let tenant = try #require(try await target.tenant(named: "acme"))
        let page = try await target.tasks(matching: TaskQuery(), in: tenant.id)
        let task = try #require(page.tasks.first)
        #expect(task.content.completed && task.content.notes == "Signed" && task.version == 3)
        #expect(try await target.history(of: .number(task.number), in: tenant.id)?.count == 3)
        let next = try await target.create(TaskCreation(tenantID: tenant.id, content: TaskContent(title: "After the move"), actor: Actor(userID: nil, name: "cli", surface: "cli")))
        #expect(next.number > task.number + 1)
    }

    @Test(.enabled(if: TestPostgres.url != nil))
    func sqliteToPostgresAndBackIsLossless() async throws {
        let sqlite = try await StoreBackend.sqliteFile.open()
        try await Self.populate(sqlite)
        let fromSQLite = try await Self.export("acme", from: sqlite)

        let postgres = try await StoreBackend.postgres.open()
        try await TenantArchive.import(lines: fromSQLite.map { Substring($0) }, into: postgres)
        let fromPostgres = try await Self.export("acme", from: postgres)
        #expect(fromPostgres == fromSQLite)

        let back = try await StoreBackend.sqliteInMemory.open()
        try await TenantArchive.import(lines: fromPostgres.map { Substring($0) }, into: back)
        #expect(try await Self.export("acme", from: back) == fromSQLite)
    }

    @Test(arguments: StoreBackend.allCases)
    func anImportThatCannotLandChangesNothing(_ backend: StoreBackend) async throws {
        let store = try await backend.open()
        try await Self.populate(store)
        let exported = try await Self.export("acme", from: store)
        let tenantsBefore = try await store.tenants()

        // The same ids and name again: refused as a whole.
        await #expect(throws: TaskportError.self) { try await TenantArchive.import(lines: exported.map { Substring($0) }, into: store) }
        // A row that breaks the format, after good rows: refused before anything is written.
        let fresh = try await backend.open()
        var broken = exported
        broken[broken.count - 1] = broken[broken.count - 1].replacingOccurrences(of: #""version":"#, with: #""version":"three","x":"#)
        await #expect(throws: TaskportError.self) { try await TenantArchive.import(lines: broken.map { Substring($0) }, into: fresh) }
        #expect(try await fresh.tenants().isEmpty)
        // Rows that are well formed but do not fit (an audit entry of a task that is not there): rolled back.
        let orphan = exported.filter { !$0.contains(#""table":"tasks""#) }
        await #expect(throws: TaskportError.self) { try await TenantArchive.import(lines: orphan.map { Substring($0) }, into: fresh) }
        #expect(try await fresh.tenants().isEmpty)
        #expect(try await store.tenants() == tenantsBefore)
    }
}

/// The lines an export writes, gathered from the store's read.
final class Lines: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    var all: [String] { lines.withLock { $0 } }
}
