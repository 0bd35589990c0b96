import CSQLiteSettings
import GRDBSQLite

/// Settings SQLite takes once per process, before it opens its first database. They are made
/// before a store opens its first database; when SQLite had started already in this process (a
/// test that opened a database first, say), they are not taken and SQLite keeps its defaults.
enum SQLiteProcessSettings {
    /// Whether both settings were taken:
    /// - Memory statistics off. With them on, each of the 200 or so allocations and frees inside
    ///   SQLite during an update took one process-wide mutex, shared by the writer, the readers, the
    ///   checkpointer and the journal's connection. Nothing here reads them (`sqlite3_memory_used`,
    ///   a soft heap limit).
    /// - Connections without a mutex of their own (multi-thread mode). GRDB uses each connection
    ///   from one thread at a time, through its serial queue, and supports only this mode; with
    ///   Debian's default (serialized), every call into SQLite locked the connection's mutex, about
    ///   120 times an update.
    static let applied: Bool =
        taskport_sqlite_disable_memory_statistics() == SQLITE_OK && taskport_sqlite_use_multithread_mode() == SQLITE_OK
}
