import CSQLiteSettings
import Foundation
import GRDB
import GRDBSQLite
import Testing
import TaskportCore

@testable import TaskportSQLite

/// SQLite's memory statistics and its connections' own mutexes are turned off before a store opens
/// its first database, where SQLite still takes the settings.
@Suite("SQLite process settings")
struct SQLiteProcessSettingsTests {
    @Test func memoryStatisticsAreOffWhenTheSettingWasTaken() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("settings-\(UUID().lowercasedText)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path)
        let tenant = try await store.createTenant(named: "Settings")
        #expect(try await store.tenant(named: "Settings")?.id == tenant.id)
        // The setting reaches SQLite: now that it has started, SQLite refuses it.
        #expect(taskport_sqlite_disable_memory_statistics() == SQLITE_MISUSE)
        #expect(taskport_sqlite_use_multithread_mode() == SQLITE_MISUSE)
        // Counted only when the statistics are on; a database open and written allocates.
        #expect(SQLiteProcessSettings.applied == (sqlite3_memory_used() == 0))
        // A connection has a mutex of its own only in serialized mode.
        let mutexes = try await store.writer.read { db in sqlite3_db_mutex(db.sqliteConnection) != nil }
        #expect(SQLiteProcessSettings.applied == !mutexes)
    }
}
