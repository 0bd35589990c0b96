import Foundation
import PostgresNIO
import TaskportCore

extension PostgresStore: StoreDiagnostics {
    public func health() async throws -> StoreHealth {
        // Each migration's name starts with its version, e.g. `v5: the outbox listed in pages`.
        let schema = try await rows("SELECT name FROM taskport_migrations ORDER BY version DESC LIMIT 1").first.map { row in
            try Cells(row)(0, as: String.self)
        } ?? "none"
        let tenants = try await rows(
            """
            SELECT tenants.name, (SELECT count(*) FROM tasks WHERE tasks.tenant_id = tenants.id AND tasks.deleted_at IS NULL)
            FROM tenants ORDER BY tenants.name
            """
        ).map { row in
            let cells = Cells(row)
            return (name: try cells(0, as: String.self), tasks: Int(try cells(1, as: Int64.self)))
        }
        var outbox: [OutboxState: Int] = [:]
        for row in try await rows("SELECT state, count(*) FROM outbox_messages GROUP BY state") {
            let cells = Cells(row)
            if let state = OutboxState(rawValue: try cells(0, as: String.self)) { outbox[state] = Int(try cells(1, as: Int64.self)) }
        }
        let oldest = try await rows("SELECT min(created_at) FROM outbox_messages WHERE state = 'pending'").first.flatMap { row in
            try Cells(row)(0, as: Int64?.self)
        }
        return StoreHealth(schema: schema, tenants: tenants, outbox: outbox, oldestPending: oldest.map(Timestamp.init(microseconds:)), logBytes: nil)
    }

    public func gauges() async throws -> StoreGauges {
        var gauges = StoreGauges(unsent: [:], oldestPending: nil, logBytes: nil)
        // Pending messages are few and indexed (`outbox_due`); dead ones are found tenant by tenant (`outbox_by_tenant`).
        let rows = try await rows(
            """
            SELECT channel, 'pending', count(*), min(created_at) FROM outbox_messages WHERE state = 'pending' GROUP BY channel
            UNION ALL
            SELECT channel, 'dead', count(*), NULL FROM outbox_messages
            WHERE tenant_id IN (SELECT id FROM tenants) AND state = 'dead' GROUP BY channel
            """
        )
        for row in rows {
            let cells = Cells(row)
            guard let channel = OutboxMessage.Channel(rawValue: try cells(0, as: String.self)),
                let state = OutboxState(rawValue: try cells(1, as: String.self))
            else { continue }
            gauges.unsent[channel, default: [:]][state] = Int(try cells(2, as: Int64.self))
            if let oldest = try cells(3, as: Int64?.self) {
                gauges.oldestPending = Timestamp(microseconds: min(oldest, gauges.oldestPending?.microseconds ?? .max))
            }
        }
        return gauges
    }
}
