import Foundation
import GRDB
import TaskportCore

extension SQLiteStore: CatalogStore {
    public func createAccount(named name: String, in tenantID: UUID) async throws -> Account {
        var account = Account(id: UUID(), tenantID: tenantID, name: name)
        account.number = try await insert(unique: "an account named '\(name)' exists already") { [account] db in
            try db.execute(
                sql: """
                    INSERT INTO accounts (id, tenant_id, name, created_at, number)
                    VALUES (?, ?, ?, ?, (SELECT coalesce(max(number), 0) + 1 FROM accounts))
                    """,
                arguments: [account.id.text, tenantID.text, name, Timestamp.now().microseconds]
            )
            return try Int64.fetchOne(db, sql: "SELECT number FROM accounts WHERE id = ?", arguments: [account.id.text]) ?? 0
        }
        return account
    }

    public func account(_ id: UUID, in tenantID: UUID) async throws -> Account? {
        try await directoryCache.value(.account(id, tenant: tenantID)) {
            try await fetchAccounts(where: "id = ? AND tenant_id = ?", [id.text, tenantID.text]).first
        }
    }

    public func account(number: Int64, in tenantID: UUID) async throws -> Account? {
        try await directoryCache.value(.accountNumber(number, tenant: tenantID)) {
            try await fetchAccounts(where: "number = ? AND tenant_id = ?", [number, tenantID.text]).first
        }
    }

    public func accounts(in tenantID: UUID) async throws -> [Account] {
        try await fetchAccounts(where: "tenant_id = ?", [tenantID.text])
    }

    private func fetchAccounts(where condition: String, _ arguments: StatementArguments) async throws -> [Account] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, tenant_id, name, number FROM accounts WHERE \(condition) ORDER BY name", arguments: arguments)
                .map { Account(id: try storedUUID($0["id"]), tenantID: try storedUUID($0["tenant_id"]), name: $0["name"], number: $0["number"]) }
        }
    }

    public func createBusiness(named name: String, timeZone: String, in tenantID: UUID) async throws -> Business {
        guard TimeZoneName.zone(timeZone) != nil else {
            throw TaskportError.invalid([FieldProblem("timeZone", "'\(timeZone)' is not an IANA time zone such as Europe/London")])
        }
        let id = UUID()
        let number = try await insert(unique: "a business named '\(name)' exists already") { db in
            try db.execute(
                sql: "INSERT INTO businesses (id, tenant_id, name, time_zone, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [id.text, tenantID.text, name, timeZone, Timestamp.now().microseconds]
            )
            return db.lastInsertedRowID
        }
        return Business(id: id, tenantID: tenantID, name: name, timeZone: timeZone, number: number)
    }

    public func business(_ id: UUID, in tenantID: UUID) async throws -> Business? {
        try await directoryCache.value(.business(id, tenant: tenantID)) {
            try await fetchBusinesses(where: "id = ? AND tenant_id = ?", [id.text, tenantID.text]).first
        }
    }

    public func business(number: Int64, in tenantID: UUID) async throws -> Business? {
        try await directoryCache.value(.businessNumber(number, tenant: tenantID)) {
            try await fetchBusinesses(where: "number = ? AND tenant_id = ?", [number, tenantID.text]).first
        }
    }

    public func businesses(in tenantID: UUID) async throws -> [Business] {
        try await fetchBusinesses(where: "tenant_id = ?", [tenantID.text])
    }

    private func fetchBusinesses(where condition: String, _ arguments: StatementArguments) async throws -> [Business] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT number, id, tenant_id, name, time_zone FROM businesses WHERE \(condition) ORDER BY number", arguments: arguments)
                .map { row in
                    Business(
                        id: try storedUUID(row["id"]), tenantID: try storedUUID(row["tenant_id"]), name: row["name"],
                        timeZone: row["time_zone"], number: row["number"]
                    )
                }
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
        try await directoryCache.value(.activity(id, tenant: tenantID)) { try await readActivity(id, in: tenantID) }
    }

    private func readActivity(_ id: UUID, in tenantID: UUID) async throws -> Activity? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT account_id, name FROM activities WHERE id = ? AND tenant_id = ?", arguments: [id.text, tenantID.text])
                .map { Activity(id: id, tenantID: tenantID, accountID: ($0["account_id"] as String?).flatMap { UUID(text: $0) }, name: $0["name"]) }
        }
    }

    public func createAttribute(
        _ kind: TaskAttribute.Kind, value: String, configuration: JSONObject, in tenantID: UUID
    ) async throws -> TaskAttribute {
        let attribute = TaskAttribute(id: UUID(), tenantID: tenantID, kind: kind, value: value, configuration: configuration)
        try await insert(unique: "the \(kind.rawValue) '\(value)' exists already") { db in
            try db.execute(
                sql: "INSERT INTO task_attributes (id, tenant_id, kind, value, configuration, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [attribute.id.text, tenantID.text, kind.rawValue, value, try StoredJSON.encode(configuration), Timestamp.now().microseconds]
            )
        }
        return attribute
    }

    public func attributes(_ kind: TaskAttribute.Kind?, in tenantID: UUID) async throws -> [TaskAttribute] {
        try await directoryCache.value(.attributes(kind, tenant: tenantID)) { try await readAttributes(kind, in: tenantID) } ?? []
    }

    private func readAttributes(_ kind: TaskAttribute.Kind?, in tenantID: UUID) async throws -> [TaskAttribute] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, kind, value, configuration FROM task_attributes WHERE tenant_id = ? AND (? IS NULL OR kind = ?) ORDER BY created_at, rowid",
                arguments: [tenantID.text, kind?.rawValue, kind?.rawValue]
            ).map { row in
                TaskAttribute(
                    id: try storedUUID(row["id"]), tenantID: tenantID, kind: TaskAttribute.Kind(rawValue: row["kind"]) ?? .type,
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
