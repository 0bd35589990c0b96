import GRDB
import GRDBSQLite

extension Statement {
    /// Runs the statement with `values` for its `?` parameters, in order: the same as
    /// `execute(arguments: StatementArguments(values))`, without making the arguments. GRDB makes
    /// them in a generic `map` it does not specialize, about 1,100 instructions a value: a task
    /// update binds 27 values and its audit entry 10, a journal entry 20.
    ///
    /// Each value is bound by GRDB's own binding (`DatabaseValue.bind`, text copied up to its
    /// first NUL as GRDB copies it), and the statement is run by GRDB, which tells transaction
    /// observers of it. Throws when the count is not the statement's, as GRDB's check does.
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
            let code = value.bind(to: sqliteStatement, at: CInt(index + 1))
            guard code == SQLITE_OK else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(sqliteStatement))), sql: sql)
            }
        }
        try execute()
    }
}
