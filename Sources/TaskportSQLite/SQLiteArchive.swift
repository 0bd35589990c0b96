import Foundation
import GRDB
import TaskportCore

extension SQLiteStore: ArchiveStore {
    public func archivedRows(
        of tables: [TenantArchive.Table], tenant: UUID, _ body: @escaping @Sendable (TenantArchive.Table, JSONObject) throws -> Void
    ) async throws {
        // One read transaction, one snapshot of the database for every table: the rows fit together.
        try await writer.read { db in
            for table in tables {
                let sql = """
                    SELECT \(table.columnList) FROM \(table.name) WHERE \(table.scope.replacingOccurrences(of: ":tenant", with: "?"))
                    ORDER BY \(table.order)
                    """
                let rows = try Row.fetchCursor(db, sql: sql, arguments: [tenant.text])
                while let row = try rows.next() {
                    var values: JSONObject = [:]
                    for (index, column) in table.columns.enumerated() {
                        values[column.name] = Self.archived(row[index] as DatabaseValue, column.kind)
                    }
                    try body(table, values)
                }
            }
        }
    }

    public func restore(_ rows: [TenantArchive.Row]) async throws {
        try await refusingConflicts {
            try await writer.write { db in try Self.insert(rows, tables: TenantArchive.tables, in: db) }
        }
    }

    public func replaceTenant(_ tenantID: UUID, tables: [TenantArchive.Table], with rows: [TenantArchive.Row]) async throws {
        try await refusingConflicts {
            try await writer.write { db in
                // References are checked at the commit, when every row is back in place.
                try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
                for table in tables.reversed() where table.name != "tenants" {
                    try db.execute(
                        sql: "DELETE FROM \(table.name) WHERE \(table.scope.replacingOccurrences(of: ":tenant", with: "?"))",
                        arguments: [tenantID.text]
                    )
                }
                try Self.insert(rows.filter { $0.table != "tenants" }, tables: tables, in: db)
                for dependent in ["console_sessions", "refresh_tokens"] {
                    try db.execute(
                        sql: "DELETE FROM \(dependent) WHERE tenant_id = ? AND user_id NOT IN (SELECT id FROM users WHERE tenant_id = ?)",
                        arguments: [tenantID.text, tenantID.text]
                    )
                }
            }
        }
    }

    private static func insert(_ rows: [TenantArchive.Row], tables: [TenantArchive.Table], in db: Database) throws {
        let tables = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })
        for row in rows {
            guard let table = tables[row.table] else { continue }
            let placeholders = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
            let values: [(any DatabaseValueConvertible)?] = table.columns.map { column in
                switch row.values[column.name] ?? .null {
                case .string(let text): text
                case .integer(let number): number
                case .bool(let flag): flag
                default: nil
                }
            }
            try db.cachedStatement(sql: "INSERT INTO \(table.name) (\(table.columnList)) VALUES (\(placeholders))")
                .execute(arguments: StatementArguments(values))
        }
    }

    private func refusingConflicts(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
            || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
        {
            throw TaskportError.conflict("The store holds a row with one of the archive's ids, numbers or names: \(error.message ?? "")")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw TaskportError.malformed("The archive's rows do not fit together: \(error.message ?? "constraint failed")")
        }
    }

    private static func archived(_ value: DatabaseValue, _ kind: TenantArchive.Kind) -> JSONValue {
        switch value.storage {
        case .null: .null
        case .int64(let number): kind == .boolean ? .bool(number != 0) : .integer(number)
        case .double(let number): .number(number)
        case .string(let text): .string(text)
        case .blob(let data): .string(data.base64EncodedString())
        }
    }
}

extension SQLiteStore: SnapshotStore {
    public func saveSnapshot(_ info: SnapshotInfo, archive: String, in tenantID: UUID) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO snapshots (tenant_id, name, created_at, tasks, archive) VALUES (?, ?, ?, ?, ?)",
                arguments: [tenantID.text, info.name, info.createdAt.microseconds, info.tasks, archive]
            )
        }
    }

    public func snapshots(in tenantID: UUID) async throws -> [SnapshotInfo] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT name, created_at, tasks, length(CAST(archive AS BLOB)) FROM snapshots WHERE tenant_id = ? ORDER BY name",
                arguments: [tenantID.text]
            ).map { SnapshotInfo(name: $0[0], createdAt: Timestamp(microseconds: $0[1]), tasks: $0[2], bytes: $0[3]) }
        }
    }

    public func snapshotArchive(_ name: String, in tenantID: UUID) async throws -> String? {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT archive FROM snapshots WHERE tenant_id = ? AND name = ?", arguments: [tenantID.text, name])
        }
    }

    public func deleteSnapshot(_ name: String, in tenantID: UUID) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM snapshots WHERE tenant_id = ? AND name = ?", arguments: [tenantID.text, name])
            return db.changesCount > 0
        }
    }
}
