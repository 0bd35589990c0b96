import Foundation
import PostgresNIO
import TaskportCore

extension PostgresStore: FaultRuleStore {
    public func faultRules() async throws -> [FaultRule] {
        try await rows("SELECT id, tenant_id, created_at, remaining, rule FROM fault_rules ORDER BY created_at, id").map(Self.faultRule)
    }

    public func faultRules(in tenantID: UUID) async throws -> [FaultRule] {
        try await rows(
            "SELECT id, tenant_id, created_at, remaining, rule FROM fault_rules WHERE tenant_id = \(tenantID) ORDER BY created_at, id"
        ).map(Self.faultRule)
    }

    public func addFaultRule(_ rule: FaultRule) async throws {
        let stored = try StoredJSON.encode(rule.stored)
        let remaining = rule.remaining.map(Int64.init)
        try await transaction { [logger] connection in
            // One rule added at a time per tenant, so that the count holds with several servers. NO KEY
            // UPDATE, so that the tenant's writes elsewhere (whose references lock its row FOR KEY
            // SHARE) never wait for it.
            _ = try await connection.rows("SELECT id FROM tenants WHERE id = \(rule.tenantID) FOR NO KEY UPDATE", logger)
            let count = try await connection.rows("SELECT count(*) FROM fault_rules WHERE tenant_id = \(rule.tenantID)", logger)
                .first.map { try Cells($0)(0, as: Int64.self) } ?? 0
            guard count < FaultRule.maximumRules else {
                throw TaskportError.conflict("The tenant has \(FaultRule.maximumRules) fault rules; remove one first")
            }
            try await connection.query(
                """
                INSERT INTO fault_rules (id, tenant_id, created_at, remaining, rule)
                VALUES (\(rule.id), \(rule.tenantID), \(rule.createdAt.microseconds), \(remaining), \(stored))
                """,
                logger: logger
            )
        }
    }

    public func removeFaultRule(_ id: UUID, in tenantID: UUID) async throws -> Bool {
        try await !rows("DELETE FROM fault_rules WHERE id = \(id) AND tenant_id = \(tenantID) RETURNING 1").isEmpty
    }

    public func spendFaultRule(_ id: UUID) async throws -> Bool {
        try await !rows("UPDATE fault_rules SET remaining = remaining - 1 WHERE id = \(id) AND remaining > 0 RETURNING 1").isEmpty
    }

    static func faultRule(_ row: PostgresRow) throws -> FaultRule {
        let cells = Cells(row)
        return FaultRule(
            id: try cells(0), tenantID: try cells(1), stored: try StoredJSON.decode(FaultRule.Stored.self, from: try cells(4)),
            remaining: try cells(3, as: Int64?.self).map(Int.init), createdAt: try cells.timestamp(2)
        )
    }
}
