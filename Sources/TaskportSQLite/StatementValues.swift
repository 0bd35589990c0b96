import Foundation
import GRDB
import GRDBSQLite

extension Statement {
    /// Runs the statement with `values` for its `?` parameters, in order: the same as
    /// `execute(arguments: StatementArguments(values))`, without making the arguments. GRDB makes
    /// them in a generic `map` it does not specialize, about 1,100 instructions a value: a task
    /// update binds 27 values and its audit entry 10, a journal entry 20.
    ///
    /// Each value is bound as GRDB binds it (`DatabaseValue.bind`: text copied up to its first NUL,
    /// by SQLite), but text straight from its UTF-8, where GRDB first copies it into a C string
    /// (about 600 of the 1,300 instructions a text took). The statement is run by GRDB, which
    /// tells transaction observers of it. Throws when the count is not the statement's, as GRDB's
    /// check does.
    func execute(values: [DatabaseValue]) throws {
        let expected = Int(sqlite3_bind_parameter_count(sqliteStatement))
        guard values.count == expected else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE, message: "wrong number of statement arguments: \(values.count), expected \(expected)", sql: sql
            )
        }
        // Resets the statement and clears what an earlier run bound; GRDB then runs it with what is bound.
        setUncheckedArguments(StatementArguments())
        for (index, value) in values.enumerated() {
            let code = Self.bind(value, to: sqliteStatement, at: CInt(index + 1))
            guard code == SQLITE_OK else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(sqliteStatement))), sql: sql)
            }
        }
        try execute()
    }
}

extension Statement {
    /// SQLite copies what it is given with this destructor before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func bind(_ value: DatabaseValue, to statement: SQLiteStatement, at index: CInt) -> CInt {
        switch value.storage {
        case .null: sqlite3_bind_null(statement, index)
        case .int64(let integer): sqlite3_bind_int64(statement, index, integer)
        case .double(let double): sqlite3_bind_double(statement, index, double)
        case .string(var text):
            text.withUTF8 { utf8 in
                guard let start = utf8.baseAddress else { return sqlite3_bind_text(statement, index, "", 0, transient) }
                // Up to the first NUL, as a C string ends there.
                let length = memchr(start, 0, utf8.count).map { UnsafeRawPointer($0) - UnsafeRawPointer(start) } ?? utf8.count
                return start.withMemoryRebound(to: CChar.self, capacity: length) { sqlite3_bind_text(statement, index, $0, CInt(clamping: length), transient) }
            }
        case .blob: value.bind(to: statement, at: index)
        }
    }
}
