import CSQLiteSettings
import Foundation
import GRDBSQLite
import Testing
import TaskportCore

@testable import TaskportSQLite

/// The process settings reach SQLite: once a store has opened a database, SQLite has started and
/// refuses them. That SQLite took them in a process whose first database was a store's is checked
/// by `taskport doctor` in a process of its own (`OperationsTests`): here, tests running beside this
/// one may open a database first.
@Suite("SQLite process settings")
struct SQLiteProcessSettingsTests {
    @Test func theSettingsAreRefusedOnceSQLiteHasStarted() async throws {
        // Any database open means SQLite has started.
        let store = try SQLiteStore.inMemory()
        let tenant = try await store.createTenant(named: "Settings")
        #expect(try await store.tenant(named: "Settings")?.id == tenant.id)
        #expect(taskport_sqlite_disable_memory_statistics() == SQLITE_MISUSE)
        #expect(taskport_sqlite_use_multithread_mode() == SQLITE_MISUSE)
        // The store tells how SQLite runs, as `taskport doctor` prints it.
        let engine = try #require(try await store.health().engine)
        #expect(engine.hasPrefix(String(cString: sqlite3_libversion()) + ", memory statistics "))
    }
}
