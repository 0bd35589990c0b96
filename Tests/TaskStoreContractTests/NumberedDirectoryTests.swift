import Foundation
import TaskportCore
import Testing

/// Integer numbers, businesses, passwords, refresh tokens, ordered and counted lists: what the
/// surfaces that name things by number (Nexudus) need from every store.
@Suite("Numbered directory and catalog contract")
struct NumberedDirectoryTests {
    @Test(arguments: StoreBackend.allCases)
    func usersAccountsAndBusinessesHaveNumbersScopedToTheirTenant(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        #expect(f.alice.number > 0)
        #expect(f.bob.number > f.alice.number)
        #expect(try await f.store.user(number: f.bob.number, in: f.tenant.id)?.id == f.bob.id)
        #expect(try await f.store.user(number: f.stranger.number, in: f.tenant.id) == nil)
        #expect(try await f.store.user(f.alice.id, in: f.tenant.id)?.number == f.alice.number)

        let acme = try await f.store.createAccount(named: "Acme", in: f.tenant.id)
        let initech = try await f.store.createAccount(named: "Initech", in: f.otherTenant.id)
        #expect(initech.number == acme.number + 1)
        #expect(try await f.store.account(number: acme.number, in: f.tenant.id)?.id == acme.id)
        #expect(try await f.store.account(number: initech.number, in: f.tenant.id) == nil)

        let london = try await f.store.createBusiness(named: "London", timeZone: "Europe/London", in: f.tenant.id)
        let york = try await f.store.createBusiness(named: "New York", timeZone: "America/New_York", in: f.otherTenant.id)
        #expect(york.number == london.number + 1)
        #expect(try await f.store.business(number: london.number, in: f.tenant.id) == london)
        #expect(try await f.store.business(london.id, in: f.tenant.id) == london)
        #expect(try await f.store.business(number: york.number, in: f.tenant.id) == nil)
        #expect(try await f.store.businesses(in: f.tenant.id) == [london])
        await #expect(throws: TaskportError.self) {
            try await f.store.createBusiness(named: "London", timeZone: "Europe/Paris", in: f.tenant.id)
        }
        await #expect(throws: TaskportError.self) {
            try await f.store.createBusiness(named: "Atlantis", timeZone: "Atlantic/Atlantis", in: f.tenant.id)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func passwordLoginsListOnlyUsersWithAPassword(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        #expect(try await f.store.passwordLogins(email: f.alice.email).isEmpty)
        let hash = try PasswordHash.make("correct horse battery staple")
        try await f.store.setPasswordHash(hash, for: f.alice.id, in: f.tenant.id)
        let logins = try await f.store.passwordLogins(email: f.alice.email)
        #expect(logins.map(\.principal.user.id) == [f.alice.id])
        #expect(logins.first?.passwordHash == hash)
        await #expect(throws: TaskportError.self) {
            try await f.store.setPasswordHash(hash, for: f.alice.id, in: f.otherTenant.id)
        }
        try await f.store.setPasswordHash(nil, for: f.alice.id, in: f.tenant.id)
        #expect(try await f.store.passwordLogins(email: f.alice.email).isEmpty)
    }

    @Test(arguments: StoreBackend.allCases)
    func aRefreshTokenIsRedeemedOnceAndNotAfterItExpires(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let principal = Principal(tenantID: f.tenant.id, user: f.alice)
        let now = Timestamp.now()
        let later = Timestamp(microseconds: now.microseconds + 60_000_000)
        try await f.store.addRefreshToken(hash: "live", for: principal, expiresAt: later)
        try await f.store.addRefreshToken(hash: "stale", for: principal, expiresAt: now)
        #expect(try await f.store.redeemRefreshToken(hash: "live", at: now)?.user.id == f.alice.id)
        #expect(try await f.store.redeemRefreshToken(hash: "live", at: now) == nil)
        #expect(try await f.store.redeemRefreshToken(hash: "stale", at: now) == nil)
        #expect(try await f.store.redeemRefreshToken(hash: "never issued", at: now) == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func listsComeInTheAskedOrderFromAnOffsetAndAreCounted(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let hour: Int64 = 3_600_000_000
        let base = Timestamp.now().microseconds
        for (index, title) in ["delta", "Alpha", "charlie", "bravo"].enumerated() {
            _ = try await f.create(title) {
                $0.dueAt = Timestamp(microseconds: base + Int64(4 - index) * hour)
                $0.responsibleID = index.isMultiple(of: 2) ? f.bob.id : f.alice.id
            }
        }
        var query = TaskQuery(limit: 2)
        query.order = TaskOrder(.title)
        #expect(try await f.store.tasks(matching: query, in: f.tenant.id).tasks.map(\.content.title) == ["Alpha", "bravo"])
        query.offset = 2
        #expect(try await f.store.tasks(matching: query, in: f.tenant.id).tasks.map(\.content.title) == ["charlie", "delta"])
        query.order = TaskOrder(.dueAt, descending: true)
        query.offset = 0
        #expect(try await f.store.tasks(matching: query, in: f.tenant.id).tasks.map(\.content.title) == ["delta", "Alpha"])
        #expect(try await f.store.count(matching: query, in: f.tenant.id) == 4)

        var filtered = TaskQuery(limit: 10)
        filtered.responsibleID = f.bob.id
        filtered.titleContains = "LT"
        #expect(try await f.store.tasks(matching: filtered, in: f.tenant.id).tasks.map(\.content.title) == ["delta"])
        #expect(try await f.store.count(matching: filtered, in: f.tenant.id) == 1)
        filtered.titleContains = "%"
        #expect(try await f.store.count(matching: filtered, in: f.tenant.id) == 0)
        #expect(try await f.store.count(matching: TaskQuery(), in: f.otherTenant.id) == 0)
    }

    @Test(arguments: StoreBackend.allCases)
    func theLastChangesAuthorAndTheNewFieldsAreKept(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let task = try await f.create { $0.listItemID = "item-7"; $0.externalID = "erp-42" }
        #expect(task.updatedBy == f.alice.email)
        let bob = Actor(userID: f.bob.id, name: f.bob.email, surface: "test")
        let changed = try await f.store.apply(
            TaskMutation(tenantID: f.tenant.id, task: .id(task.id), kind: .patch(TaskPatch([.externalID(nil)])), actor: bob)
        )
        let stored = try #require(try await f.store.task(.id(task.id), in: f.tenant.id))
        #expect(stored == changed)
        #expect(stored.updatedBy == f.bob.email)
        #expect(stored.content.listItemID == "item-7")
        #expect(stored.content.externalID == nil)
        let history = try #require(try await f.store.history(of: .id(task.id), in: f.tenant.id))
        #expect(history.last?.changes == [FieldChange(field: "externalId", from: .string("erp-42"), to: .null)])
    }
}
