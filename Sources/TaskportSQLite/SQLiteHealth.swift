import Foundation
import GRDB
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
            return StoreHealth(schema: schema, tenants: tenants, outbox: outbox, oldestPending: oldest.map(Timestamp.init(microseconds:)), logBytes: nil)
        }
        let path = writer.path + "-wal"
        if let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber { health.logBytes = size.int64Value }
        return health
    }
}
