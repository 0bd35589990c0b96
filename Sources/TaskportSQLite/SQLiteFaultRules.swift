import Foundation
import GRDB
import TaskportCore

extension SQLiteStore: FaultRuleStore {
    public func faultRules() async throws -> [FaultRule] {
        try await fetchFaultRules(where: "1 = 1", [])
    }

    public func faultRules(in tenantID: UUID) async throws -> [FaultRule] {
        try await fetchFaultRules(where: "tenant_id = ?", [tenantID.text])
    }

    public func addFaultRule(_ rule: FaultRule) async throws {
        let stored = try StoredJSON.encode(rule.stored)
        try await writer.write { db in
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM fault_rules WHERE tenant_id = ?", arguments: [rule.tenantID.text]) ?? 0
            guard count < FaultRule.maximumRules else {
                throw TaskportError.conflict("The tenant has \(FaultRule.maximumRules) fault rules; remove one first")
            }
            try db.execute(
                sql: "INSERT INTO fault_rules (id, tenant_id, created_at, remaining, rule) VALUES (?, ?, ?, ?, ?)",
                arguments: [rule.id.text, rule.tenantID.text, rule.createdAt.microseconds, rule.remaining, stored]
            )
        }
    }

    public func removeFaultRule(_ id: UUID, in tenantID: UUID) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM fault_rules WHERE id = ? AND tenant_id = ?", arguments: [id.text, tenantID.text])
            return db.changesCount > 0
        }
    }

    public func spendFaultRule(_ id: UUID) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE fault_rules SET remaining = remaining - 1 WHERE id = ? AND remaining > 0", arguments: [id.text])
            return db.changesCount > 0
        }
    }

    private func fetchFaultRules(where condition: String, _ arguments: StatementArguments) async throws -> [FaultRule] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, tenant_id, created_at, remaining, rule FROM fault_rules WHERE \(condition) ORDER BY created_at, id",
                arguments: arguments
            ).map { row in
                FaultRule(
                    id: try storedUUID(row["id"]), tenantID: try storedUUID(row["tenant_id"]),
                    stored: try StoredJSON.decode(FaultRule.Stored.self, from: row["rule"]), remaining: row["remaining"],
                    createdAt: Timestamp(microseconds: row["created_at"])
                )
            }
        }
    }
}
