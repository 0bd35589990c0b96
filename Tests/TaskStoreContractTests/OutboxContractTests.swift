import Foundation
import TaskportCore
import Testing

@Suite("Outbox contract")
struct OutboxContractTests {
    func email(_ recipient: String) -> OutboxMessage {
        OutboxMessage(channel: .email, recipient: recipient, event: "task.assigned", payload: ["taskTitle": "x"])
    }

    @Test(arguments: StoreBackend.allCases)
    func claimsLeaseMessagesSoNoTwoWorkersHoldTheSameOne(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let messages = (1...6).map { email("user\($0)@acme.test") }
        _ = try await f.store.create(TaskCreation(tenantID: f.tenant.id, content: TaskContent(title: "Fan out"), actor: f.actor, outbox: messages))
        let now = Timestamp.now()
        let lease = Timestamp(microseconds: now.microseconds + 60_000_000)
        async let first = f.store.claimMessages(channels: [.email], limit: 4, now: now, leaseUntil: lease)
        async let second = f.store.claimMessages(channels: [.email], limit: 4, now: now, leaseUntil: lease)
        let (a, b) = try await (first, second)
        #expect(a.count + b.count == 6)
        #expect(Set(a.map(\.message.id)).isDisjoint(with: b.map(\.message.id)))
        #expect(try await f.store.claimMessages(channels: [.email], limit: 10, now: now, leaseUntil: lease).isEmpty)
        // Once the lease runs out, another worker may take a message the first never finished.
        let later = Timestamp(microseconds: lease.microseconds + 1)
        #expect(try await f.store.claimMessages(channels: [.email], limit: 10, now: later, leaseUntil: later.next).count == 6)
        #expect(try await f.store.claimMessages(channels: [.webhook], limit: 10, now: .now(), leaseUntil: lease).isEmpty)
    }

    @Test(arguments: StoreBackend.allCases)
    func theOutboxIsListedInPagesWithFiltersThatCombine(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        _ = try await f.store.createWebhook(url: "https://hooks.acme.test/taskport", secret: "0123456789abcdef", in: f.tenant.id)
        var tasks: [UUID] = []
        for index in 0..<5 {
            let task = try await f.store.create(
                TaskCreation(tenantID: f.tenant.id, content: TaskContent(title: "T\(index)"), actor: f.actor, outbox: [email("bob@acme.test"), email("alice@acme.test")])
            )
            tasks.append(task.id)
        }
        _ = try await f.store.create(TaskCreation(tenantID: f.otherTenant.id, content: TaskContent(title: "Theirs"), actor: f.actor, outbox: [email("eve@globex.test")]))
        let all = try await f.store.outboxMessages(in: f.tenant.id, matching: OutboxQuery(limit: 500))
        #expect(all.count == 15, "two emails and a webhook message per task")
        #expect(all == all.sorted { ($0.createdAt.microseconds, $0.message.id.uuidString.lowercased()) < ($1.createdAt.microseconds, $1.message.id.uuidString.lowercased()) })
        var paged: [OutboxEntry] = []
        var query = OutboxQuery(limit: 4)
        while true {
            let page = try await f.store.outboxMessages(in: f.tenant.id, matching: query)
            paged += page
            guard page.count == query.limit, let last = page.last else { break }
            query.after = OutboxCursor(text: OutboxCursor(after: last).text)
        }
        #expect(paged.map(\.message.id) == all.map(\.message.id))
        let emails = try await f.store.outboxMessages(in: f.tenant.id, matching: OutboxQuery(channel: .email, limit: 500))
        #expect(emails.count == 10 && emails.allSatisfy { $0.message.channel == .email })
        let aboutOne = try await f.store.outboxMessages(in: f.tenant.id, matching: OutboxQuery(channel: .webhook, taskID: tasks[2], limit: 500))
        #expect(aboutOne.count == 1 && aboutOne.first?.taskID == tasks[2])
        try await f.store.markSent(emails[0].message.id, at: .now())
        let sentEmails = try await f.store.outboxMessages(in: f.tenant.id, matching: OutboxQuery(state: .sent, channel: .email, limit: 500))
        #expect(sentEmails.map(\.message.id) == [emails[0].message.id])
        #expect(try await f.store.outboxMessages(in: f.tenant.id, matching: OutboxQuery(taskID: UUID(), limit: 500)).isEmpty)
        for text in ["", "1", "x.y", "-1.\(UUID())", "99999999999999999999999.\(UUID())", "1.\(UUID()).2"] {
            #expect(OutboxCursor(text: text) == nil, "\(text)")
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aRenewedLeaseKeepsOthersOffAndEndsWithTheMessage(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let messages = [email("bob@acme.test"), email("alice@acme.test")]
        _ = try await f.store.create(TaskCreation(tenantID: f.tenant.id, content: TaskContent(title: "Held"), actor: f.actor, outbox: messages))
        let now = Timestamp.now()
        let lease = Timestamp(microseconds: now.microseconds + 10_000_000)
        let held = try await f.store.claimMessages(channels: [.email], limit: 10, now: now, leaseUntil: lease)
        #expect(held.count == 2)
        let renewed = Timestamp(microseconds: lease.microseconds + 10_000_000)
        try await f.store.renewLeases(held.map(\.message.id), until: renewed)
        let afterFirstLease = Timestamp(microseconds: lease.microseconds + 1)
        #expect(try await f.store.claimMessages(channels: [.email], limit: 10, now: afterFirstLease, leaseUntil: renewed).isEmpty)
        // A message marked sent is no longer held by anyone, and a renewal does not take it back.
        try await f.store.markSent(messages[0].id, at: now)
        try await f.store.renewLeases(held.map(\.message.id), until: Timestamp(microseconds: renewed.microseconds + 60_000_000))
        let afterRenewal = Timestamp(microseconds: renewed.microseconds + 1)
        let freed = try await f.store.claimMessages(channels: [.email], limit: 10, now: afterRenewal, leaseUntil: afterRenewal.next)
        #expect(freed.isEmpty, "the second renewal holds the unsent message")
        let muchLater = Timestamp(microseconds: renewed.microseconds + 60_000_001)
        let free = try await f.store.claimMessages(channels: [.email], limit: 10, now: muchLater, leaseUntil: muchLater.next)
        #expect(free.map(\.message.id) == [messages[1].id])
        try await f.store.renewLeases([], until: muchLater)
    }

    @Test(arguments: StoreBackend.allCases)
    func failuresAreRetriedThenDeadAndRetryableByTheirTenantOnly(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let message = email("bob@acme.test")
        _ = try await f.store.create(TaskCreation(tenantID: f.tenant.id, content: TaskContent(title: "Mail"), actor: f.actor, outbox: [message]))
        let now = Timestamp.now()
        let soon = Timestamp(microseconds: now.microseconds + 1_000_000)
        _ = try await f.store.claimMessages(channels: [.email], limit: 1, now: now, leaseUntil: soon)
        try await f.store.markFailed(message.id, error: "421 try later", retryAt: soon)
        #expect(try await f.store.claimMessages(channels: [.email], limit: 1, now: now, leaseUntil: soon).isEmpty, "not due yet")
        var entry = try #require(try await f.store.outboxMessages(in: f.tenant.id, state: .pending, limit: 10).first)
        #expect(entry.attempts == 1)
        #expect(entry.lastError == "421 try later")
        #expect(try await f.store.claimMessages(channels: [.email], limit: 1, now: soon, leaseUntil: soon.next).count == 1)
        try await f.store.markFailed(message.id, error: "550 no such user", retryAt: nil)
        entry = try #require(try await f.store.outboxMessages(in: f.tenant.id, state: .dead, limit: 10).first)
        #expect(entry.attempts == 2)
        #expect(try await f.store.claimMessages(channels: [.email], limit: 1, now: soon, leaseUntil: soon.next).isEmpty)
        #expect(try await f.store.retryMessage(message.id, in: f.otherTenant.id, at: now) == false)
        #expect(try await f.store.retryMessage(message.id, in: f.tenant.id, at: now))
        #expect(try await f.store.outboxMessages(in: f.tenant.id, state: .pending, limit: 10).first?.attempts == 0)
        try await f.store.markSent(message.id, at: now)
        #expect(try await f.store.outboxMessages(in: f.tenant.id, state: .sent, limit: 10).count == 1)
        #expect(try await f.store.retryMessage(message.id, in: f.tenant.id, at: now) == false)
    }

    @Test(arguments: StoreBackend.allCases)
    func everyTaskWriteFansOutToTheTenantsWebhooks(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let hook = try await f.store.createWebhook(url: "https://hooks.acme.test/taskport", secret: "0123456789abcdef", in: f.tenant.id)
        _ = try await f.store.createWebhook(url: "https://hooks.globex.test/taskport", secret: "0123456789abcdef", in: f.otherTenant.id)
        let task = try await f.create("Watched")
        _ = try await f.store.apply(TaskMutation(tenantID: f.tenant.id, task: .id(task.id), kind: .patch(TaskPatch([.notes("n")])), actor: f.actor))
        _ = try await f.store.apply(TaskMutation(tenantID: f.tenant.id, task: .id(task.id), kind: .patch(TaskPatch([.assignee(.user(f.bob.id))])), actor: f.actor))
        _ = try await f.store.apply(TaskMutation(tenantID: f.tenant.id, task: .id(task.id), kind: .delete, actor: f.actor))
        let messages = try await f.store.outboxMessages(in: f.tenant.id, state: nil, limit: 10).map(\.message)
        #expect(messages.map(\.event) == ["task.created", "task.updated", "task.assigned", "task.deleted"])
        #expect(messages.allSatisfy { $0.channel == .webhook && $0.recipient == hook.id.uuidString.lowercased() })
        #expect(messages[1].payload["changes"] == .array([.object(["field": "notes", "from": .null, "to": "n"])]))
        #expect(messages[1].payload["id"] == JSONValue(messages[1].id))
        #expect(try await f.store.outboxMessages(in: f.otherTenant.id, state: nil, limit: 10).isEmpty)
        #expect(try await f.store.webhook(hook.id) == hook)
        #expect(try await f.store.deleteWebhook(hook.id, in: f.otherTenant.id) == false)
        #expect(try await f.store.deleteWebhook(hook.id, in: f.tenant.id))
        #expect(try await f.store.webhook(hook.id) == nil)
        _ = try await f.create("Unwatched")
        #expect(try await f.store.outboxMessages(in: f.tenant.id, state: nil, limit: 10).count == 4)
    }

    /// The tenant's webhooks are kept in the directory cache between writes; adding or removing
    /// one counts from the very next write all the same.
    @Test(arguments: StoreBackend.allCases)
    func aWebhookAddedOrRemovedCountsFromTheNextWrite(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let task = try await f.create("Watched later")
        func note(_ text: String) async throws {
            _ = try await f.store.apply(TaskMutation(tenantID: f.tenant.id, task: .id(task.id), kind: .patch(TaskPatch([.notes(text)])), actor: f.actor))
        }
        func webhookMessages() async throws -> Int {
            try await f.store.outboxMessages(in: f.tenant.id, matching: OutboxQuery(channel: .webhook, limit: 100)).count
        }
        try await note("before")
        #expect(try await webhookMessages() == 0)
        let hook = try await f.store.createWebhook(url: "https://hooks.acme.test/taskport", secret: "0123456789abcdef", in: f.tenant.id)
        try await note("watched")
        #expect(try await webhookMessages() == 1)
        let second = try await f.store.createWebhook(url: "https://hooks.acme.test/second", secret: "0123456789abcdef", in: f.tenant.id)
        try await note("watched twice")
        #expect(try await webhookMessages() == 3)
        #expect(try await f.store.deleteWebhook(hook.id, in: f.tenant.id))
        #expect(try await f.store.deleteWebhook(second.id, in: f.tenant.id))
        try await note("after")
        #expect(try await webhookMessages() == 3)
    }

    @Test(arguments: StoreBackend.allCases)
    func remindersAreOwedOnlyForDueNotifyingUnremindedTasks(_ backend: StoreBackend) async throws {
        let f = try await Fixture.make(backend)
        let past = Timestamp(microseconds: Timestamp.now().microseconds - 60_000_000)
        let future = Timestamp(microseconds: Timestamp.now().microseconds + 3_600_000_000)
        let owed = try await f.create("Owed") { $0.dueAt = past; $0.notifyByEmail = true; $0.responsibleID = f.bob.id }
        _ = try await f.create("Later") { $0.dueAt = future; $0.notifyByEmail = true; $0.responsibleID = f.bob.id }
        _ = try await f.create("Quiet") { $0.dueAt = past; $0.responsibleID = f.bob.id }
        _ = try await f.create("Done already") { $0.dueAt = past; $0.notifyByEmail = true; $0.reminded = true; $0.responsibleID = f.bob.id }
        _ = try await f.create("Nobody") { $0.dueAt = past; $0.notifyByEmail = true }
        #expect(try await f.store.tasksOwingReminders(at: .now(), limit: 10).map(\.id) == [owed.id])
    }
}
