import Foundation
import GRDB
import TaskportCore
import Testing

@testable import TaskportSQLite

/// Counts the commits of a database.
final class CommitCounter: TransactionObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var commits = 0

    var count: Int { lock.withLock { commits } }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseDidCommit(_ db: Database) { lock.withLock { commits += 1 } }
    func databaseDidRollback(_ db: Database) {}
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

@Suite("Group commit")
struct GroupCommitTests {
    @Test func concurrentWritesShareTransactionsAndEachGetsItsOwnResult() async throws {
        let f = try await Fixture.make(.sqliteFile)
        let store = try #require(f.store as? SQLiteStore)
        var tasks: [TaskRecord] = []
        for index in 0..<100 { tasks.append(try await f.create("Task \(index)")) }

        let counter = CommitCounter()
        try await store.writer.write { db in db.add(transactionObserver: counter, extent: .databaseLifetime) }
        let before = counter.count
        // Every task gets one good write; every other task also gets a stale one, in the same rush.
        let outcomes = await withTaskGroup(of: (Int, Bool).self) { group in
            for (index, task) in tasks.enumerated() {
                group.addTask { (index, (try? await f.patch(task, [.notes("good \(index)")], precondition: .version(1))) != nil) }
                if index.isMultiple(of: 2) {
                    group.addTask { (-1, (try? await f.patch(task, [.notes("stale")], precondition: .version(7))) != nil) }
                }
            }
            return await group.reduce(into: [(Int, Bool)]()) { $0.append($1) }
        }
        let goodWrites = outcomes.filter { $0.0 >= 0 }.map(\.1)
        let staleWrites = outcomes.filter { $0.0 < 0 }.map(\.1)
        #expect(goodWrites.count == 100 && !goodWrites.contains(false))
        #expect(staleWrites.count == 50 && !staleWrites.contains(true))
        let commits = counter.count - before
        #expect(commits >= 1)
        #expect(commits < 150, "150 writes took \(commits) transactions")
        for (index, task) in tasks.enumerated() {
            let stored = try #require(try await f.store.task(.id(task.id), in: f.tenant.id))
            #expect(stored.version == 2)
            #expect(stored.content.notes == "good \(index)")
            #expect(try await f.store.history(of: .id(task.id), in: f.tenant.id)?.count == 2)
        }
    }

    @Test func aWriteThatFailsRollsBackAloneInItsBatch() async throws {
        let f = try await Fixture.make(.sqliteInMemory)
        let task = try await f.create()
        async let good = f.patch(task, [.title("Kept")])
        async let bad = Result(catching: { try await f.patch(task, [.assignee(.user(f.stranger.id))]) })
        async let created = f.create("Also kept")
        let kept = try await good
        let refused = await bad
        let also = try await created
        #expect(kept.content.title == "Kept")
        #expect(throws: TaskportError.self) { try refused.get() }
        #expect(also.version == 1)
        #expect(try await f.store.task(.id(task.id), in: f.tenant.id)?.content.assignee == nil)
    }
}
