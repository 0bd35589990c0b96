import Foundation
import GRDB
import Testing

@testable import TaskportSQLite

/// `Statement.execute(values:)` does what `execute(arguments:)` does with the same values: the
/// same rows stored, the same refusal of a wrong count, and transaction observers told.
@Suite("SQLite statement values")
struct StatementValuesTests {
    static let insert = "INSERT INTO t (a, b, c, d, e) VALUES (?, ?, ?, ?, ?)"

    static let rows: [[DatabaseValue]] = [
        [1.databaseValue, "plain".databaseValue, DatabaseValue.null, 2.5.databaseValue, Data([0, 1, 2]).databaseValue],
        [Int64.min.databaseValue, "".databaseValue, "before\u{0}after".databaseValue, "日本語 \u{1F600}".databaseValue, DatabaseValue.null],
        [Int64.max.databaseValue, String(repeating: "long ", count: 2_000).databaseValue, true.databaseValue, 0.databaseValue, "x".databaseValue],
    ]

    /// Each column's type and value, as SQLite holds them.
    static func stored(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT quote(a) || typeof(a) || quote(b) || typeof(b) || quote(c) || typeof(c) || quote(d) || typeof(d) || quote(e) || typeof(e) FROM t ORDER BY rowid")
    }

    @Test func theRowsStoredAreTheOnesArgumentsStore() throws {
        let database = try DatabaseQueue()
        let (byArguments, byValues) = try database.write { db in
            try db.execute(sql: "CREATE TABLE t (a, b, c, d, e)")
            for row in Self.rows { try db.cachedStatement(sql: Self.insert).execute(arguments: StatementArguments(row)) }
            let byArguments = try Self.stored(db)
            try db.execute(sql: "DELETE FROM t")
            // The same cached statement, run again and again: each run stores its own values.
            for row in Self.rows { try db.cachedStatement(sql: Self.insert).execute(values: row) }
            return (byArguments, try Self.stored(db))
        }
        #expect(byArguments.count == Self.rows.count)
        #expect(byValues == byArguments)
        // GRDB copies text up to its first NUL, and so does this.
        #expect(byValues[1].contains("'before'text"))
    }

    @Test func aWrongCountIsRefusedAndStoresNothing() throws {
        let database = try DatabaseQueue()
        try database.write { db in try db.execute(sql: "CREATE TABLE t (a, b, c, d, e)") }
        for count in [0, 4, 6] {
            #expect(throws: DatabaseError.self) {
                try database.write { db in
                    try db.cachedStatement(sql: Self.insert).execute(values: Array(Self.rows[0].prefix(count)) + Array(repeating: .null, count: max(0, count - 5)))
                }
            }
        }
        #expect(try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 0)
        // The statement works after a refusal.
        try database.write { db in try db.cachedStatement(sql: Self.insert).execute(values: Self.rows[0]) }
        #expect(try database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM t") } == 1)
    }

    @Test func transactionObserversAreToldOfTheChange() throws {
        final class Changes: TransactionObserver, @unchecked Sendable {
            var events: [DatabaseEvent.Kind] = []
            var commits = 0
            func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { eventKind.tableName == "t" }
            func databaseDidChange(with event: DatabaseEvent) { events.append(event.kind) }
            func databaseDidCommit(_ db: Database) { commits += 1 }
            func databaseDidRollback(_ db: Database) {}
        }
        let database = try DatabaseQueue()
        try database.write { db in try db.execute(sql: "CREATE TABLE t (a, b, c, d, e)") }
        let changes = Changes()
        database.add(transactionObserver: changes, extent: .databaseLifetime)
        try database.write { db in
            try db.cachedStatement(sql: Self.insert).execute(values: Self.rows[0])
            try db.cachedStatement(sql: "UPDATE t SET b = ? WHERE a = ?").execute(values: ["changed".databaseValue, 1.databaseValue])
        }
        #expect(changes.events == [.insert, .update])
        #expect(changes.commits == 1)
    }
}
