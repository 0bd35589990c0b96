import Foundation
import TaskportCore
import Testing

@testable import TaskportPostgres

/// What a server remembers of tasks stays within its count and its bytes, however large the
/// tasks a client writes.
@Suite("Tasks a PostgreSQL server remembers")
struct RecentTasksTests {
    func task(number: Int64, notes: Int) -> TaskRecord {
        let now = Timestamp.now()
        var content = TaskContent(title: "Task \(number)")
        content.notes = String(repeating: "n", count: notes)
        return TaskRecord(
            id: UUID(), number: number, tenantID: UUID(), creatorID: nil,
            content: content,
            version: 1, createdAt: now, updatedAt: now, updatedBy: nil
        )
    }

    @Test func largeTasksAreForgottenBeforeTheyTakeMoreThanTheBudget() {
        let recent = RecentTasks()
        var kept: [TaskRecord] = []
        // Each of these holds 20,000 characters of notes; the budget holds about 1,600 of them.
        for number in 1...4_000 {
            let record = task(number: Int64(number), notes: 20_000)
            recent.keep(record)
            kept.append(record)
            #expect(recent.heldBytes <= RecentTasks.byteBudget)
        }
        let remembered = kept.filter { recent.record(.id($0.id), in: $0.tenantID) != nil }
        #expect(!remembered.isEmpty)
        #expect(remembered.count < 4_000)
        #expect(recent.record(.id(kept[3_999].id), in: kept[3_999].tenantID) == kept[3_999])
        #expect(recent.record(.number(4_000), in: kept[3_999].tenantID) == kept[3_999])
    }

    @Test func keepingATaskAgainAndForgettingItKeepTheCountRight() {
        let recent = RecentTasks()
        var record = task(number: 7, notes: 1_000)
        recent.keep(record)
        let once = recent.heldBytes
        record.version = 2
        recent.keep(record)
        #expect(recent.heldBytes == once)
        #expect(recent.record(.number(7), in: record.tenantID)?.version == 2)
        recent.forget(record)
        #expect(recent.heldBytes == 0)
        #expect(recent.record(.id(record.id), in: record.tenantID) == nil)
        #expect(recent.record(.number(7), in: record.tenantID) == nil)
    }
}

