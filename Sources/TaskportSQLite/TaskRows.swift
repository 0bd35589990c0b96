import GRDB
import GRDBSQLite
import TaskportCore

/// Tasks read from a statement's current row in place, by the SQLite C API. On the update path
/// every request reads its task: a GRDB `Row` over a statement first builds a dictionary of its
/// 31 lower-cased column names (about 38,000 instructions), and its typed reads go through
/// GRDB's generic decoding.
final class TaskRows: DatabaseCursor {
    typealias Element = TaskRecord
    let _statement: Statement
    var _isDone = false

    /// Binds `arguments` to `statement` (which resets it). Read the cursor to its end, or a
    /// statement of the writer is left in progress.
    init(_ statement: Statement, arguments: StatementArguments) throws {
        _statement = statement
        try statement.setArguments(arguments)
    }

    func _element(sqliteStatement: SQLiteStatement) throws -> TaskRecord {
        try TaskColumns.record(StatementColumns(statement: sqliteStatement))
    }
}

/// The current row of a stepped statement, its columns by their position in `TaskColumns.select`.
struct StatementColumns {
    let statement: SQLiteStatement

    func isNull(_ column: TaskColumns.Column) -> Bool {
        sqlite3_column_type(statement, Int32(column.rawValue)) == SQLITE_NULL
    }

    /// The column's text; only asked of a column that is not NULL.
    func text(_ column: TaskColumns.Column) -> String {
        let index = Int32(column.rawValue)
        // The text first, then its length in bytes, as SQLite asks.
        guard let bytes = sqlite3_column_text(statement, index) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, index))), as: UTF8.self)
    }

    /// The column's integer; only asked of a column that is not NULL.
    func integer(_ column: TaskColumns.Column) -> Int64 {
        sqlite3_column_int64(statement, Int32(column.rawValue))
    }
}
