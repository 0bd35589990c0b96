import Foundation
import GRDB
import TaskportCore

extension SQLiteStore: CatalogStore {
    public func createAccount(named name: String, in tenantID: UUID) async throws -> Account {
        let account = Account(id: UUID(), tenantID: tenantID, name: name)
        try await insert(unique: "an account named '\(name)' exists already") { db in
            try db.execute(
                sql: "INSERT INTO accounts (id, tenant_id, name, created_at) VALUES (?, ?, ?, ?)",
                arguments: [account.id.text, tenantID.text, name, Timestamp.now().microseconds]
            )
        }
        return account
    }

    public func account(_ id: UUID, in tenantID: UUID) async throws -> Account? {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT name FROM accounts WHERE id = ? AND tenant_id = ?", arguments: [id.text, tenantID.text])
                .map { Account(id: id, tenantID: tenantID, name: $0) }
        }
    }

    public func accounts(in tenantID: UUID) async throws -> [Account] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM accounts WHERE tenant_id = ? ORDER BY name", arguments: [tenantID.text])
                .map { Account(id: UUID(uuidString: $0["id"])!, tenantID: tenantID, name: $0["name"]) }
        }
    }

    public func createActivity(named name: String, account: UUID?, in tenantID: UUID) async throws -> Activity {
        let activity = Activity(id: UUID(), tenantID: tenantID, accountID: account, name: name)
        try await writer.write { db in
            if let account, try !Self.exists("accounts", account, in: tenantID, db) {
                throw TaskportError.notFound("Account not found")
            }
            try db.execute(
                sql: "INSERT INTO activities (id, tenant_id, account_id, name, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [activity.id.text, tenantID.text, account?.text, name, Timestamp.now().microseconds]
            )
        }
        return activity
    }

    public func activity(_ id: UUID, in tenantID: UUID) async throws -> Activity? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT account_id, name FROM activities WHERE id = ? AND tenant_id = ?", arguments: [id.text, tenantID.text])
                .map { Activity(id: id, tenantID: tenantID, accountID: ($0["account_id"] as String?).flatMap { UUID(uuidString: $0) }, name: $0["name"]) }
        }
    }

    public func createAttribute(
        _ kind: TaskAttribute.Kind, value: String, configuration: JSONObject, in tenantID: UUID
    ) async throws -> TaskAttribute {
        let attribute = TaskAttribute(id: UUID(), tenantID: tenantID, kind: kind, value: value, configuration: configuration)
        try await insert(unique: "the \(kind.rawValue) '\(value)' exists already") { db in
            try db.execute(
                sql: "INSERT INTO task_attributes (id, tenant_id, kind, value, configuration, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [attribute.id.text, tenantID.text, kind.rawValue, value, StoredJSON.encode(configuration), Timestamp.now().microseconds]
            )
        }
        return attribute
    }

    public func attributes(_ kind: TaskAttribute.Kind?, in tenantID: UUID) async throws -> [TaskAttribute] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, kind, value, configuration FROM task_attributes WHERE tenant_id = ? AND (? IS NULL OR kind = ?) ORDER BY created_at, rowid",
                arguments: [tenantID.text, kind?.rawValue, kind?.rawValue]
            ).map { row in
                TaskAttribute(
                    id: UUID(uuidString: row["id"])!, tenantID: tenantID, kind: TaskAttribute.Kind(rawValue: row["kind"]) ?? .type,
                    value: row["value"], configuration: try StoredJSON.decode(JSONObject.self, from: row["configuration"])
                )
            }
        }
    }

    public func deleteAttribute(_ id: UUID, in tenantID: UUID) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM task_attributes WHERE id = ? AND tenant_id = ?", arguments: [id.text, tenantID.text])
            return db.changesCount > 0
        }
    }
}
