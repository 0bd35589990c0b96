import Foundation
import GRDB
import TaskportCore
import Testing

@testable import TaskportSQLite

@Suite("WAL checkpointer")
struct WALCheckpointerTests {
    /// Committed tasks reach the database file itself while the checkpointer runs, and not before:
    /// fewer log pages than the writer's own checkpoint waits for are left in the log by the writer.
    /// The checkpointer is woken once enough writes have been committed.
    @Test func copiesCommittedPagesIntoTheDatabaseFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("taskport-checkpoint-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("taskport.sqlite").path
        let store = try SQLiteStore(path: path)
        let checkpointer = try #require(store.checkpointer)
        let f = try await Fixture.make(from: store)
        let early = WALCheckpointer.writesPerCheckpoint / 2
        for index in 0..<early { _ = try await f.create("Task \(index)") }
        #expect(try tasksInTheFileAlone(path, folder) == 0)

        let copied = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await checkpointer.run() }
            // With those before, the last of these reaches the count that wakes the checkpointer.
            for index in early..<WALCheckpointer.writesPerCheckpoint { _ = try await f.create("Task \(index)") }
            var count = 0
            for _ in 0..<100 where count < WALCheckpointer.writesPerCheckpoint {
                try await Task.sleep(for: .milliseconds(50))
                count = try tasksInTheFileAlone(path, folder)
            }
            group.cancelAll()
            return count
        }
        #expect(copied == WALCheckpointer.writesPerCheckpoint)
        #expect(try await store.pragma("wal_autocheckpoint") == "\(WALCheckpointer.writerBackstop)")
    }

    /// How many tasks a copy of the database file, without its log, holds.
    private func tasksInTheFileAlone(_ path: String, _ folder: URL) throws -> Int {
        let copy = folder.appendingPathComponent("copy-\(UUID()).sqlite")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: path), to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        do {
            let database = try DatabaseQueue(path: copy.path)
            return try database.read { db in
                // Until the first checkpoint even the schema is only in the log.
                guard try db.tableExists("tasks") else { return 0 }
                return try Int.fetchOne(db, sql: "SELECT count(*) FROM tasks") ?? 0
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
            // Copied while the checkpointer was writing into the file: a torn copy; the caller looks again.
            return 0
        }
    }
}
