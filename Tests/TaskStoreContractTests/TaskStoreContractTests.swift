import Foundation
import TaskportCore
import TaskportSQLite
import TaskportTestSupport
import Testing

/// A store under test with a tenant, two users and a team, plus a second tenant to stay out of.
struct Fixture {
    let store: any TaskportStore
    let tenant: Tenant
    let alice: User
    let bob: User
    let team: Team
    let otherTenant: Tenant
    let stranger: User

    var actor: Actor { Actor(userID: alice.id, name: alice.email, surface: "test") }

    static func make(_ backend: StoreBackend) async throws -> Fixture {
        try await make(from: try await backend.open())
    }

    static func make(from store: any TaskportStore) async throws -> Fixture {
        let tenant = try await store.createTenant(named: "acme")
        let alice = try await store.createUser(in: tenant.id, email: "alice@acme.test", name: "Alice", roles: ["admin"])
        let bob = try await store.createUser(in: tenant.id, email: "bob@acme.test", name: "Bob", roles: [])
        let team = try await store.createTeam(in: tenant.id, name: "Support")
        try await store.addMember(alice.id, toTeam: team.id, in: tenant.id)
        try await store.addMember(bob.id, toTeam: team.id, in: tenant.id)
        let otherTenant = try await store.createTenant(named: "globex")
        let stranger = try await store.createUser(in: otherTenant.id, email: "eve@globex.test", name: "Eve", roles: [])
        return Fixture(
            store: store, tenant: tenant, alice: alice, bob: bob,
            team: try #require(try await store.team(team.id, in: tenant.id)),
            otherTenant: otherTenant, stranger: stranger
        )
    }

    func create(_ title: String = "Call the customer", _ edit: (inout TaskContent) -> Void = { _ in }) async throws -> TaskRecord {
        var content = TaskContent(title: title)
        edit(&content)
        return try await store.create(TaskCreation(tenantID: tenant.id, content: content, actor: actor))
    }

    func patch(_ task: TaskRecord, _ edits: [TaskEdit], precondition: TaskPrecondition? = nil, outbox: [OutboxMessage] = []) async throws -> TaskRecord {
        try await store.apply(
            TaskMutation(
                tenantID: tenant.id, task: .id(task.id), kind: .patch(TaskPatch(edits)),
                precondition: precondition, actor: actor, outbox: outbox
            )
        )
    }
}

/// Every backend Taskport ships must pass this suite unchanged.
enum StoreBackend: String, CaseIterable, CustomTestStringConvertible {
    case sqliteInMemory
    case sqliteFile
    /// A fresh schema of the PostgreSQL server `TASKPORT_TEST_POSTGRES` names (`scripts/test` starts one).
    case postgres

    /// The SQLite backends, and PostgreSQL when a server is given.
    static var allCases: [StoreBackend] {
        TestPostgres.url == nil ? [.sqliteInMemory, .sqliteFile] : [.sqliteInMemory, .sqliteFile, .postgres]
    }

    var testDescription: String { rawValue }

    func open() async throws -> any TaskportStore {
        switch self {
        case .sqliteInMemory:
            return try SQLiteStore.inMemory()
        case .sqliteFile:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("taskport-contract-\(UUID())")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            return try SQLiteStore(path: folder.appendingPathComponent("taskport.sqlite").path)
        case .postgres:
            return try await TestPostgres.freshStore()
        }
    }
}

@Suite("TaskStore contract")
struct TaskStoreContractTests {
    @Test(arguments: StoreBackend.allCases)
    func createAssignsIdentityVersionAndCreatedEntry(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let task = try await f.create("Send the contract") { $0.assignee = .team(f.team.id); $0.metadata = ["crm": .integer(7)] }
        #expect(task.version == 1)
        #expect(task.number > 0)
        #expect(task.createdAt == task.updatedAt)
        #expect(task.creatorID == f.alice.id)
        #expect(try await f.store.task(.id(task.id), in: f.tenant.id) == task)
        #expect(try await f.store.task(.number(task.number), in: f.tenant.id) == task)
        let history = try #require(try await f.store.history(of: .id(task.id), in: f.tenant.id))
        #expect(history.count == 1)
        #expect(history[0].action == .created)
        #expect(history[0].actor.userID == f.alice.id)
        #expect(history[0].changes.contains(FieldChange(field: "title", from: .null, to: .string("Send the contract"))))
        #expect(history[0].changes.contains { $0.field == "metadata" && $0.to == .object(["crm": .integer(7)]) })
    }

    @Test(arguments: StoreBackend.allCases)
    func anotherTenantSeesNothing(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let task = try await f.create()
        #expect(try await f.store.task(.id(task.id), in: f.otherTenant.id) == nil)
        #expect(try await f.store.task(.number(task.number), in: f.otherTenant.id) == nil)
        #expect(try await f.store.history(of: .id(task.id), in: f.otherTenant.id) == nil)
        #expect(try await f.store.tasks(matching: TaskQuery(), in: f.otherTenant.id).tasks.isEmpty)
        let mutation = TaskMutation(
            tenantID: f.otherTenant.id, task: .id(task.id), kind: .patch(TaskPatch([.title("Mine now")])),
            actor: Actor(userID: f.stranger.id, name: f.stranger.email, surface: "test")
        )
        await #expect(throws: TaskportError.notFound("Task not found")) { try await f.store.apply(mutation) }
        #expect(try await f.store.task(.id(task.id), in: f.tenant.id)?.content.title == "Call the customer")
    }

    @Test(arguments: StoreBackend.allCases)
    func patchWritesRowAuditAndOutboxTogether(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let task = try await f.create()
        let message = OutboxMessage(channel: .email, recipient: "bob@acme.test", event: "task.assigned", payload: ["task": .string(task.id.uuidString)])
        let updated = try await f.patch(task, [.completed(true), .assignee(.user(f.bob.id))], precondition: .version(1), outbox: [message])
        #expect(updated.version == 2)
        #expect(updated.updatedAt > task.updatedAt)
        #expect(updated.content.completed)
        #expect(updated.content.assignee == .user(f.bob.id))
        #expect(updated.content.assignedByID == f.alice.id)
        #expect(try await f.store.task(.id(task.id), in: f.tenant.id) == updated)
        let history = try #require(try await f.store.history(of: .id(task.id), in: f.tenant.id))
        #expect(history.map(\.version) == [1, 2])
        #expect(history[1].action == .updated)
        #expect(
            history[1].changes == [
                FieldChange(field: "completed", from: .bool(false), to: .bool(true)),
                FieldChange(field: "assignee", from: .null, to: .object(["type": .string("user"), "id": .string(f.bob.id.uuidString.lowercased())])),
                FieldChange(field: "assignedById", from: .null, to: .string(f.alice.id.uuidString.lowercased())),
            ]
        )
        #expect(try await f.store.outboxMessages(in: f.tenant.id, state: .pending, limit: 100).map(\.message) == [message])
    }

    @Test(arguments: StoreBackend.allCases)
    func staleWriteIsRefusedAndChangesNothing(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let task = try await f.create()
        let current = try await f.patch(task, [.title("Second")])
        let message = OutboxMessage(channel: .email, recipient: "bob@acme.test", event: "task.assigned", payload: [:])
        await #expect(throws: TaskportError.versionMismatch(current: 2)) {
            try await f.patch(task, [.title("Lost update")], precondition: .version(1), outbox: [message])
        }
        await #expect(throws: TaskportError.versionMismatch(current: 2)) {
            try await f.patch(task, [.title("Lost update")], precondition: .updatedAt(task.updatedAt))
        }
        #expect(try await f.store.task(.id(task.id), in: f.tenant.id) == current)
        #expect(try await f.store.history(of: .id(task.id), in: f.tenant.id)?.count == 2)
        #expect(try await f.store.outboxMessages(in: f.tenant.id, state: .pending, limit: 100).map(\.message).isEmpty)
        let matched = try await f.patch(current, [.title("Third")], precondition: .updatedAt(current.updatedAt))
        #expect(matched.version == 3)
    }

    @Test(arguments: StoreBackend.allCases)
    func invalidContentIsRefusedWithEveryProblem(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let task = try await f.create()
        do {
            _ = try await f.patch(task, [.title(" "), .timeZone("Mars/Olympus"), .attachments(["ftp://x"])])
            Issue.record("an invalid patch was applied")
        } catch let TaskportError.invalid(problems) {
            #expect(problems.map(\.field) == ["title", "timeZone", "attachments"])
        }
        #expect(try await f.store.task(.id(task.id), in: f.tenant.id) == task)
    }

    @Test(arguments: StoreBackend.allCases)
    func referencesMustStayInsideTheTenant(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let task = try await f.create()
        await #expect(throws: TaskportError.self) { try await f.patch(task, [.assignee(.user(f.stranger.id))]) }
        await #expect(throws: TaskportError.self) { try await f.patch(task, [.assignee(.team(f.alice.id))]) }
        await #expect(throws: TaskportError.self) { try await f.patch(task, [.responsibleID(f.stranger.id)]) }
        await #expect(throws: TaskportError.self) {
            try await f.create { $0.assignee = .user(f.stranger.id) }
        }
        #expect(try await f.store.task(.id(task.id), in: f.tenant.id) == task)
        let assigned = try await f.patch(task, [.assignee(.team(f.team.id)), .responsibleID(f.bob.id)])
        #expect(assigned.content.assignee == .team(f.team.id))
        #expect(assigned.content.responsibleID == f.bob.id)
    }

    @Test(arguments: StoreBackend.allCases)
    func patchThatChangesNothingKeepsTheVersion(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let task = try await f.create()
        let same = try await f.patch(task, [.title(task.content.title), .completed(false)], precondition: .version(1))
        #expect(same == task)
        #expect(try await f.store.history(of: .id(task.id), in: f.tenant.id)?.count == 1)
    }

    @Test(arguments: StoreBackend.allCases)
    func updatedAtStrictlyIncreasesEvenWithinOneMillisecond(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        var task = try await f.create()
        var stamps = [task.updatedAt]
        for round in 1...50 {
            task = try await f.patch(task, [.title("Round \(round)")], precondition: .updatedAt(task.updatedAt))
            stamps.append(task.updatedAt)
        }
        #expect(zip(stamps, stamps.dropFirst()).allSatisfy { $0 < $1 })
        #expect(task.version == 51)
    }

    @Test(arguments: StoreBackend.allCases)
    func concurrentWritersOfOneVersionHaveOneWinner(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let task = try await f.create()
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for writer in 0..<16 {
                group.addTask { (try? await f.patch(task, [.title("Writer \(writer)")], precondition: .version(1))) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        #expect(try await f.store.task(.id(task.id), in: f.tenant.id)?.version == 2)
        #expect(try await f.store.history(of: .id(task.id), in: f.tenant.id)?.count == 2)
    }

    @Test(arguments: StoreBackend.allCases)
    func deleteHidesTheTaskAndNeverReusesItsNumber(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let task = try await f.create()
        await #expect(throws: TaskportError.versionMismatch(current: 1)) {
            try await f.store.apply(TaskMutation(tenantID: f.tenant.id, task: .id(task.id), kind: .delete, precondition: .version(9), actor: f.actor))
        }
        _ = try await f.store.apply(TaskMutation(tenantID: f.tenant.id, task: .id(task.id), kind: .delete, actor: f.actor))
        #expect(try await f.store.task(.id(task.id), in: f.tenant.id) == nil)
        #expect(try await f.store.history(of: .id(task.id), in: f.tenant.id) == nil)
        await #expect(throws: TaskportError.notFound("Task not found")) { try await f.patch(task, [.title("Back")]) }
        let next = try await f.create()
        #expect(next.number > task.number)
    }

    @Test(arguments: StoreBackend.allCases)
    func listFiltersAndPagesStablyUnderInserts(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let base = Timestamp(rfc3339: "2026-06-01T00:00:00Z")!
        var created: [TaskRecord] = []
        for index in 0..<7 {
            created.append(
                try await f.create("Task \(index)") {
                    $0.completed = index.isMultiple(of: 2)
                    $0.dueAt = Timestamp(microseconds: base.microseconds + Int64(index) * 86_400_000_000)
                    $0.assignee = index < 3 ? .user(f.bob.id) : nil
                    $0.subjectID = index == 4 ? "person-4" : nil
                    $0.status = index == 5 ? "In Review" : nil
                }
            )
        }
        _ = try await f.store.create(TaskCreation(tenantID: f.otherTenant.id, content: TaskContent(title: "Theirs"), actor: f.actor))

        var completed = TaskQuery()
        completed.completed = true
        #expect(try await f.store.tasks(matching: completed, in: f.tenant.id).tasks.map(\.content.title) == ["Task 0", "Task 2", "Task 4", "Task 6"])
        var assigned = TaskQuery()
        assigned.assigneeID = f.bob.id
        #expect(try await f.store.tasks(matching: assigned, in: f.tenant.id).tasks.count == 3)
        var subject = TaskQuery()
        subject.subjectID = "person-4"
        #expect(try await f.store.tasks(matching: subject, in: f.tenant.id).tasks.map(\.content.title) == ["Task 4"])
        var status = TaskQuery()
        status.status = "IN REVIEW"
        #expect(try await f.store.tasks(matching: status, in: f.tenant.id).tasks.map(\.content.title) == ["Task 5"])
        var due = TaskQuery()
        due.dueAfter = created[2].content.dueAt
        due.dueBefore = created[5].content.dueAt
        #expect(try await f.store.tasks(matching: due, in: f.tenant.id).tasks.map(\.content.title) == ["Task 2", "Task 3", "Task 4"])
        let changed = try await f.patch(created[1], [.notes("touched")])
        var since = TaskQuery()
        since.updatedSince = changed.updatedAt
        #expect(try await f.store.tasks(matching: since, in: f.tenant.id).tasks.map(\.id) == [created[1].id])

        // Walk pages of 3 while new tasks arrive: every task that existed is seen exactly once.
        var seen: [UUID] = []
        var query = TaskQuery(limit: 3)
        var pages = 0
        repeat {
            let page = try await f.store.tasks(matching: query, in: f.tenant.id)
            seen += page.tasks.map(\.id)
            _ = try await f.create("Arrived during page \(pages)")
            pages += 1
            guard let next = page.nextAfterNumber else { break }
            query.afterNumber = next
        } while pages < 20
        #expect(Set(seen).count == seen.count)
        #expect(Set(created.map(\.id)).isSubset(of: Set(seen)))
    }

    @Test(arguments: StoreBackend.allCases)
    func directoryKeepsNamesUniqueAndKeysHashed(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        await #expect(throws: TaskportError.self) { try await f.store.createTenant(named: "acme") }
        await #expect(throws: TaskportError.self) {
            try await f.store.createUser(in: f.tenant.id, email: "alice@acme.test", name: "Again", roles: [])
        }
        await #expect(throws: TaskportError.self) { try await f.store.createTeam(in: f.tenant.id, name: "Support") }
        await #expect(throws: TaskportError.self) { try await f.store.addMember(f.stranger.id, toTeam: f.team.id, in: f.tenant.id) }
        #expect(Set(f.team.memberIDs) == [f.alice.id, f.bob.id])
        #expect(try await f.store.user(email: "eve@globex.test", in: f.tenant.id) == nil)

        let key = APIKeySecret.generate()
        try await f.store.addAPIKey(key, named: "ci", for: f.bob.id, in: f.tenant.id)
        #expect(try await f.store.principal(forAPIKeyHash: APIKeySecret.hash(of: key.plaintext))?.user == f.bob)
        #expect(try await f.store.principal(forAPIKeyHash: key.plaintext) == nil)
        #expect(try await f.store.revokeAPIKey(key.id, in: f.otherTenant.id) == false)
        #expect(try await f.store.revokeAPIKey(key.id, in: f.tenant.id) == true)
        #expect(try await f.store.principal(forAPIKeyHash: key.hash) == nil)

        let credential = try await f.store.createCredential(surface: "rollout", name: "crm", in: f.tenant.id)
        #expect(try await f.store.credential(credential.id, surface: "rollout", in: f.tenant.id) == credential)
        #expect(try await f.store.credential(credential.id, surface: "rollout", in: f.otherTenant.id) == nil)
        #expect(try await f.store.credential(credential.id, surface: "nexudus", in: f.tenant.id) == nil)
        #expect(try await f.store.credential(UUID(), surface: "rollout", in: f.tenant.id) == nil)

        let first = try await f.store.secret(named: "jwt") { "one" }
        let second = try await f.store.secret(named: "jwt") { "two" }
        #expect(first == "one")
        #expect(second == "one")
    }

    @Test(arguments: StoreBackend.allCases)
    func countsStopAtTheirBoundAndEachTaskNamesTheSurfaceOfItsLastChange(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        var tasks: [TaskRecord] = []
        for index in 0..<4 { tasks.append(try await f.create("Task \(index)")) }
        let theirs = try await f.store.create(TaskCreation(tenantID: f.otherTenant.id, content: TaskContent(title: "Theirs"), actor: f.actor))
        #expect(try await f.store.count(matching: TaskQuery(), in: f.tenant.id, atMost: 2) == 2)
        #expect(try await f.store.count(matching: TaskQuery(), in: f.tenant.id, atMost: 100) == 4)
        var titled = TaskQuery()
        titled.titleContains = "Task 3"
        #expect(try await f.store.count(matching: titled, in: f.tenant.id, atMost: 100) == 1)

        var console = f.actor
        console.surface = "console"
        _ = try await f.store.apply(
            TaskMutation(tenantID: f.tenant.id, task: .id(tasks[1].id), kind: .patch(TaskPatch([.title("Renamed")])), actor: console)
        )
        let surfaces = try await f.store.lastSurfaces(of: tasks.map(\.id) + [theirs.id, UUID()], in: f.tenant.id)
        #expect(surfaces.count == 4, "another tenant's task and an unknown id name nothing")
        #expect(surfaces[tasks[1].id] == "console")
        #expect(surfaces[tasks[0].id] == f.actor.surface)
        #expect(try await f.store.lastSurfaces(of: [], in: f.tenant.id).isEmpty)
    }

    @Test(arguments: StoreBackend.allCases)
    func rolesAndTeamMembershipChangeAtOnceAndOnlyInTheirTenant(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let key = APIKeySecret.generate()
        try await f.store.addAPIKey(key, named: "ci", for: f.bob.id, in: f.tenant.id)
        try await f.store.setRoles(["admin", "agent"], for: f.bob.id, in: f.tenant.id)
        #expect(try await f.store.user(f.bob.id, in: f.tenant.id)?.roles == ["admin", "agent"])
        // The next request's principal carries the new roles: nothing holds the old ones.
        #expect(try await f.store.principal(forAPIKeyHash: key.hash)?.user.roles == ["admin", "agent"])
        try await f.store.setRoles([], for: f.bob.id, in: f.tenant.id)
        #expect(try await f.store.principal(forAPIKeyHash: key.hash)?.user.roles == [])
        await #expect(throws: TaskportError.self) { try await f.store.setRoles(["admin"], for: f.bob.id, in: f.otherTenant.id) }
        await #expect(throws: TaskportError.self) { try await f.store.setRoles(["admin"], for: UUID(), in: f.tenant.id) }
        #expect(try await f.store.user(f.bob.id, in: f.tenant.id)?.roles == [])

        #expect(try await f.store.removeMember(f.bob.id, fromTeam: f.team.id, in: f.otherTenant.id) == false)
        #expect(try await f.store.removeMember(f.bob.id, fromTeam: f.team.id, in: f.tenant.id) == true)
        #expect(try await f.store.removeMember(f.bob.id, fromTeam: f.team.id, in: f.tenant.id) == false)
        #expect(try await f.store.team(f.team.id, in: f.tenant.id)?.memberIDs == [f.alice.id])
        try await f.store.addMember(f.bob.id, toTeam: f.team.id, in: f.tenant.id)
        #expect(Set(try await f.store.team(f.team.id, in: f.tenant.id)?.memberIDs ?? []) == [f.alice.id, f.bob.id])
    }
}

@Suite("CatalogStore contract")
struct CatalogStoreContractTests {
    @Test(arguments: StoreBackend.allCases)
    func accountsActivitiesAndAttributesStayInTheirTenant(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let acme = try await f.store.createAccount(named: "Acme Corp", in: f.tenant.id)
        await #expect(throws: TaskportError.self) { try await f.store.createAccount(named: "Acme Corp", in: f.tenant.id) }
        #expect(try await f.store.account(acme.id, in: f.tenant.id) == acme)
        #expect(try await f.store.account(acme.id, in: f.otherTenant.id) == nil)
        let call = try await f.store.createActivity(named: "Kickoff call", account: acme.id, in: f.tenant.id)
        #expect(try await f.store.activity(call.id, in: f.tenant.id) == call)
        #expect(try await f.store.activity(call.id, in: f.otherTenant.id) == nil)
        await #expect(throws: TaskportError.self) { try await f.store.createActivity(named: "x", account: acme.id, in: f.otherTenant.id) }

        let open = try await f.store.createAttribute(.status, value: "Open", configuration: ["order": .integer(1)], in: f.tenant.id)
        let done = try await f.store.createAttribute(.status, value: "Done", configuration: ["done": .bool(true)], in: f.tenant.id)
        _ = try await f.store.createAttribute(.priority, value: "High", configuration: [:], in: f.tenant.id)
        await #expect(throws: TaskportError.self) { try await f.store.createAttribute(.status, value: "OPEN", configuration: [:], in: f.tenant.id) }
        _ = try await f.store.createAttribute(.status, value: "Open", configuration: [:], in: f.otherTenant.id)
        #expect(try await f.store.attributes(.status, in: f.tenant.id) == [open, done])
        #expect(try await f.store.attributes(nil, in: f.tenant.id).count == 3)
        #expect(done.marksDone && !open.marksDone)
        #expect(try await f.store.deleteAttribute(open.id, in: f.otherTenant.id) == false)
        #expect(try await f.store.deleteAttribute(open.id, in: f.tenant.id) == true)
        #expect(try await f.store.attributes(.status, in: f.tenant.id) == [done])

        // A task links an activity of its own tenant only.
        let task = try await f.create()
        let linked = try await f.patch(task, [.activityID(call.id)])
        #expect(linked.content.activityID == call.id)
        let foreign = try await f.store.createActivity(named: "Theirs", account: nil, in: f.otherTenant.id)
        await #expect(throws: TaskportError.self) { try await f.patch(linked, [.activityID(foreign.id)]) }
    }
}

@Suite("SQLite durability settings")
struct SQLiteSettingsTests {
    func open(_ durability: SQLiteStore.Durability) throws -> SQLiteStore {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("taskport-\(UUID()).sqlite").path
        return try SQLiteStore(path: path, durability: durability)
    }

    @Test func fileDatabaseIsWALWithFullSynchronousByDefault() async throws {
        let store = try open(.full)
        #expect(try await store.pragma("journal_mode") == "wal")
        #expect(try await store.pragma("synchronous") == "2")
        #expect(try await store.pragma("foreign_keys") == "1")
    }

    @Test func normalDurabilityLowersSynchronous() async throws {
        #expect(try await open(.normal).pragma("synchronous") == "1")
    }

    /// The journal writes and prunes in transactions of its own, not synced, on the writer task
    /// writes share: every entry lands, in order, and the writer's own setting is back afterwards,
    /// also when a transaction fails.
    @Test(arguments: [SQLiteStore.Durability.full, .normal])
    func journalTransactionsLeaveTheWritersSyncAsItWas(_ durability: SQLiteStore.Durability) async throws {
        let store = try open(durability)
        let setting = try await store.pragma("synchronous")
        let tenant = try await store.createTenant(named: "journaled")
        func entry(_ number: Int, of tenant: UUID) -> JournalEntry {
            JournalEntry(
                tenantID: tenant, at: .now(), requestID: "r\(number)", surface: "native", method: "GET", target: "/v1/tasks/\(number)",
                route: "/v1/tasks/{id}", status: 200, latencyMicroseconds: 1, credential: "key:x", userNumber: 1, requestHeaders: [],
                responseHeaders: [], requestBody: .empty, responseBody: .empty, taskID: nil
            )
        }
        // More entries than one of the journal's transactions holds.
        let count = 3 * 64 + 5
        try await store.appendJournal((0..<count).map { entry($0, of: tenant.id) })
        #expect(try await store.pragma("synchronous") == setting)
        let stored = try await store.journal(in: tenant.id, matching: JournalQuery(limit: 1_000))
        #expect(stored.map(\.requestID) == (0..<count).reversed().map { "r\($0)" }, "every entry, newest first")

        // An entry of no tenant breaks its transaction's foreign key: the call fails, the setting stays.
        await #expect(throws: (any Error).self) { try await store.appendJournal([entry(0, of: UUID())]) }
        #expect(try await store.pragma("synchronous") == setting)

        // Pruning past several transactions keeps the newest ten, and stops at its limit.
        let old = Timestamp(microseconds: 0)
        #expect(try await store.pruneJournal(keep: 10, before: old, limit: 100) == 100)
        #expect(try await store.pruneJournal(keep: 10, before: old, limit: 1_000) == count - 110)
        #expect(try await store.pragma("synchronous") == setting)
        let kept = try await store.journal(in: tenant.id, matching: JournalQuery(limit: 1_000))
        #expect(kept.map(\.requestID) == (count - 10..<count).reversed().map { "r\($0)" })
    }
}
