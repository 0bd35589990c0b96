import Foundation
import TaskportCore
import TaskportPostgres
import TaskportTestSupport
import Testing

/// Two stores with pools of their own on one PostgreSQL database, as two servers have.
@Suite("Two servers' stores on one PostgreSQL", .enabled(if: TestPostgres.url != nil))
struct SharedPostgresTests {
    static func pair() async throws -> (PostgresStore, PostgresStore) {
        let url = try TestPostgres.freshURL()
        return (try await PostgresStore.connect(url: url, maximumConnections: 4), try await PostgresStore.connect(url: url, maximumConnections: 4))
    }

    /// Workers of both servers claim in a loop until nothing is due: every message is taken
    /// exactly once.
    @Test func workersOnTwoServersNeverTakeTheSameMessage() async throws {
        let (a, b) = try await Self.pair()
        let f = try await Fixture.make(from: a)
        for batch in 0..<10 {
            let messages = (1...10).map {
                OutboxMessage(channel: .email, recipient: "user\(batch)-\($0)@acme.test", event: "task.assigned", payload: [:])
            }
            _ = try await a.create(TaskCreation(tenantID: f.tenant.id, content: TaskContent(title: "Batch \(batch)"), actor: f.actor, outbox: messages))
        }
        let now = Timestamp.now()
        let lease = Timestamp(microseconds: now.microseconds + 60_000_000)
        let taken = try await withThrowingTaskGroup(of: [UUID].self) { group in
            for store in [a, b, a, b] {
                group.addTask {
                    var mine: [UUID] = []
                    while true {
                        let claimed = try await store.claimMessages(channels: [.email], limit: 3, now: now, leaseUntil: lease)
                        if claimed.isEmpty { return mine }
                        mine += claimed.map(\.message.id)
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let all = taken.flatMap { $0 }
        #expect(all.count == 100)
        #expect(Set(all).count == 100)
    }

    /// Both servers notice the same due task; the reminder is written by one of them only.
    @Test func aDueReminderIsWrittenOnceWhenBothServersSeeIt() async throws {
        let (a, b) = try await Self.pair()
        let f = try await Fixture.make(from: a)
        let task = try await f.create("Renew") {
            $0.dueAt = Timestamp(microseconds: Timestamp.now().microseconds - 1_000_000)
            $0.notifyByEmail = true
            $0.responsibleID = f.bob.id
        }
        let seen = try await (a.tasksOwingReminders(at: .now(), limit: 10), b.tasksOwingReminders(at: .now(), limit: 10))
        #expect(seen.0.map(\.id) == [task.id] && seen.1.map(\.id) == [task.id])
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (store, owed) in [(a, seen.0[0]), (b, seen.1[0])] {
                group.addTask {
                    let reminder = OutboxMessage(channel: .email, recipient: "bob@acme.test", event: "task.reminder", payload: [:])
                    let mutation = TaskMutation(
                        tenantID: owed.tenantID, task: .id(owed.id), kind: .patch(TaskPatch([.reminded(true)])),
                        precondition: .version(owed.version), actor: Actor(userID: nil, name: "reminders", surface: "system"),
                        outbox: [reminder]
                    )
                    do {
                        _ = try await store.apply(mutation)
                        return true
                    } catch TaskportError.versionMismatch {
                        return false
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        let reminders = try await b.outboxMessages(in: f.tenant.id, state: .pending, limit: 10).filter { $0.message.event == "task.reminder" }
        #expect(reminders.count == 1)
        #expect(try await a.tasksOwingReminders(at: .now(), limit: 10).isEmpty)
    }
}
