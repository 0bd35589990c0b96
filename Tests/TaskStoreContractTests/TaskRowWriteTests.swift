import Foundation
import GRDB
import TaskportCore
import Testing

@testable import TaskportSQLite

/// How an update writes a task's row on SQLite: only the columns an index or a foreign key reads
/// when one of them changes, so that an update of anything else writes no index page it does not change.
@Suite("SQLite task row writes")
struct TaskRowWriteTests {
    /// `TaskColumns.keyed` is every content column the schema's indexes (their keys and their
    /// `WHERE`s) and foreign keys on `tasks` read, and nothing else: an index added later on a
    /// content column fails here until the column is keyed.
    @Test func theKeyedColumnsAreTheOnesTheSchemaReads() throws {
        let database = try DatabaseQueue()
        try Schema.migrator.migrate(database)
        let read = try database.read { db in
            let table = Set(try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('tasks')"))
            var columns = Set<String>()
            for index in try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tasks'") {
                let name: String = index["name"]
                for column in try Row.fetchAll(db, sql: "SELECT name FROM pragma_index_info(?)", arguments: [name]) {
                    if let column = column["name"] as String? { columns.insert(column) }
                }
                // Every column the index's definition names: in an expression of its key, and in a
                // partial index's WHERE (an index SQLite made for a constraint has no definition).
                if let sql = index["sql"] as String?, let key = sql.firstIndex(of: "(") {
                    let words = sql[key...].split { !($0.isLetter || $0 == "_") }.map(String.init)
                    columns.formUnion(words.filter(table.contains))
                }
            }
            for key in try Row.fetchAll(db, sql: "SELECT \"from\" FROM pragma_foreign_key_list('tasks')") {
                columns.insert(key["from"])
            }
            return columns
        }
        let keyed = Set(TaskColumns.keyed.map { TaskColumns.content[$0.rawValue - TaskColumns.Column.title.rawValue] })
        #expect(keyed == read.intersection(TaskColumns.content))
        // The columns outside the content that the narrow update leaves alone are read too.
        #expect(read.contains("deleted_at"))
    }

    /// An update of a column nothing indexes writes fewer pages to the log than one that moves the
    /// due date, and both leave the indexes as a query of the table finds it.
    @Test func anUpdateOfUnkeyedColumnsWritesNoOtherIndex() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("taskport-rows-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("taskport.sqlite").path)
        let f = try await Fixture.make(from: store)
        let due = Timestamp(microseconds: 1_900_000_000_000_000)
        var task = try await f.create("Call the customer") {
            $0.dueAt = due
            $0.responsibleID = f.alice.id
            $0.notifyByEmail = true
        }

        func pagesLogged(_ edits: [TaskEdit]) async throws -> Int {
            _ = try await store.writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
            task = try await f.patch(task, edits)
            return try await store.writer.writeWithoutTransaction { db in
                try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)").map { $0[1] as Int } ?? 0
            }
        }
        let notes = try await pagesLogged([.notes("Asked for a call back"), .status("waiting")])
        let moved = try await pagesLogged([.dueAt(Timestamp(microseconds: due.microseconds + 60_000_000))])
        #expect(notes > 0)
        #expect(notes < moved)

        #expect(task.content.notes == "Asked for a call back")
        #expect(task.version == 3)
        let integrity = try await store.writer.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        #expect(integrity == ["ok"])
        // The due-date index and the reminders' index find the task at its new due date.
        let found = try await store.writer.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT number FROM tasks INDEXED BY tasks_owing_reminders WHERE due_at = ? AND notify_by_email = 1 AND reminded = 0 AND deleted_at IS NULL AND responsible_id IS NOT NULL",
                arguments: [due.microseconds + 60_000_000]
            )
        }
        #expect(found == task.number)
        var query = TaskQuery(limit: 10)
        query.dueAfter = due
        let page = try await store.tasks(matching: query, in: f.tenant.id)
        #expect(page.tasks.map(\.id) == [task.id])
    }
}
