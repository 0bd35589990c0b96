import Foundation
import GRDB
import GRDBSQLite
import TaskportCore

extension SQLiteStore: StoreDiagnostics {
    public func health() async throws -> StoreHealth {
        var health = try await writer.read { db in
            let schema = try String.fetchOne(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid DESC LIMIT 1") ?? "none"
            let tenants = try Row.fetchAll(
                db,
                sql: """
                    SELECT tenants.name, (SELECT count(*) FROM tasks WHERE tasks.tenant_id = tenants.id AND tasks.deleted_at IS NULL)
                    FROM tenants ORDER BY tenants.name
                    """
            ).map { row in (name: row[0] as String, tasks: row[1] as Int) }
            var outbox: [OutboxState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) FROM outbox_messages GROUP BY state") {
                if let state = OutboxState(rawValue: row[0]) { outbox[state] = row[1] }
            }
            let oldest = try Int64.fetchOne(db, sql: "SELECT min(created_at) FROM outbox_messages WHERE state = 'pending'")
            var health = StoreHealth(schema: schema, tenants: tenants, outbox: outbox, oldestPending: oldest.map(Timestamp.init(microseconds:)), logBytes: nil)
            // Counted only with memory statistics on (a database is open, so something is allocated);
            // a connection has a mutex of its own only in serialized mode (`SQLiteProcessSettings`).
            let statistics = sqlite3_memory_used() == 0 ? "memory statistics off" : "memory statistics on"
            let mutexes = sqlite3_db_mutex(db.sqliteConnection) == nil ? "no connection mutex" : "a mutex per connection"
            health.engine = "\(String(cString: sqlite3_libversion())), \(statistics), \(mutexes)"
            return health
        }
        health.logBytes = logBytes()
        return health
    }

    public func gauges() async throws -> StoreGauges {
        var gauges = try await writer.read { db in
            // Pending messages are few and indexed (`outbox_due`); dead ones are found tenant by tenant (`outbox_by_tenant`).
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT channel, 'pending', count(*), min(created_at) FROM outbox_messages WHERE state = 'pending' GROUP BY channel
                    UNION ALL
                    SELECT channel, 'dead', count(*), NULL FROM outbox_messages
                    WHERE tenant_id IN (SELECT id FROM tenants) AND state = 'dead' GROUP BY channel
                    """
            )
            var gauges = StoreGauges(unsent: [:], oldestPending: nil, logBytes: nil)
            for row in rows {
                guard let channel = OutboxMessage.Channel(rawValue: row[0]), let state = OutboxState(rawValue: row[1]) else { continue }
                gauges.unsent[channel, default: [:]][state] = row[2]
                if let oldest: Int64 = row[3] {
                    gauges.oldestPending = Timestamp(microseconds: min(oldest, gauges.oldestPending?.microseconds ?? .max))
                }
            }
            return gauges
        }
        gauges.logBytes = logBytes()
        return gauges
    }

    private func logBytes() -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: writer.path + "-wal")[.size] as? NSNumber)?.int64Value
    }
}
