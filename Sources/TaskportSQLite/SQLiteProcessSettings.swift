import CSQLiteSettings
import GRDBSQLite

/// Settings SQLite takes once per process, before it opens its first database.
enum SQLiteProcessSettings {
    /// SQLite's memory statistics are off: with them on, each of the 200 or so allocations and frees
    /// inside SQLite during an update took one process-wide mutex, shared by the writer, the readers,
    /// the checkpointer and the journal's connection. Nothing here reads them
    /// (`sqlite3_memory_used`, a soft heap limit). False when SQLite had started already in this
    /// process (a test that opened a database first, say), and the statistics stay on.
    static let applied: Bool = taskport_sqlite_disable_memory_statistics() == SQLITE_OK
}
