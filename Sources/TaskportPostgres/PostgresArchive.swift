import Foundation
import Logging
import PostgresNIO
import TaskportCore

extension PostgresStore: ArchiveStore {
    public func archivedRows(
        of tables: [TenantArchive.Table], tenant: UUID, _ body: @escaping @Sendable (TenantArchive.Table, JSONObject) throws -> Void
    ) async throws {
        let logger = logger
        try await translatingErrors {
            // On a connection of its own and without the store's deadline, which a large tenant's
            // export may outlast: one snapshot of the database for every table, so that the rows
            // fit together.
            try await client.withConnection { connection in
                try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
                do {
                    for table in tables {
                        let query = PostgresQuery(
                            unsafeSQL: """
                                SELECT \(table.columnList) FROM \(table.name) WHERE \(table.scope.replacingOccurrences(of: ":tenant", with: "$1"))
                                ORDER BY \(table.order)
                                """,
                            binds: Filter.binds(tenant)
                        )
                        // Rows stream in as they are read, so a large tenant is never held in memory.
                        for try await row in try await connection.query(query, logger: logger) {
                            let cells = Cells(row)
                            var values: JSONObject = [:]
                            for (index, column) in table.columns.enumerated() {
                                values[column.name] = try Self.archived(cells, index, column.kind)
                            }
                            try body(table, values)
                        }
                    }
                    try await connection.query("COMMIT", logger: logger)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    public func restore(_ rows: [TenantArchive.Row]) async throws {
        defer { directoryCache.invalidate() }
        try await refusingConflicts {
            try await transaction { [logger] connection in
                try await Self.insert(rows, tables: TenantArchive.tables, on: connection, logger)
                try await Self.moveSequences(on: connection, logger)
            }
        }
    }

    public func replaceTenant(_ tenantID: UUID, tables: [TenantArchive.Table], with rows: [TenantArchive.Row]) async throws {
        defer { directoryCache.invalidate() }
        try await refusingConflicts {
            try await transaction { [logger] connection in
                // References are checked at the commit, when every row is back in place.
                try await connection.query("SET CONSTRAINTS ALL DEFERRED", logger: logger)
                for table in tables.reversed() where table.name != "tenants" {
                    try await connection.query(
                        PostgresQuery(
                            unsafeSQL: "DELETE FROM \(table.name) WHERE \(table.scope.replacingOccurrences(of: ":tenant", with: "$1"))",
                            binds: Filter.binds(tenantID)
                        ),
                        logger: logger
                    )
                }
                try await Self.insert(rows.filter { $0.table != "tenants" }, tables: tables, on: connection, logger)
                for dependent in ["console_sessions", "refresh_tokens"] {
                    try await connection.query(
                        PostgresQuery(
                            unsafeSQL: "DELETE FROM \(dependent) WHERE tenant_id = $1 AND user_id NOT IN (SELECT id FROM users WHERE tenant_id = $1)",
                            binds: Filter.binds(tenantID)
                        ),
                        logger: logger
                    )
                }
                try await Self.moveSequences(on: connection, logger)
            }
        }
    }

    /// Inserts the rows in order, a statement for each run of up to 500 rows of one table.
    private static func insert(
        _ rows: [TenantArchive.Row], tables: [TenantArchive.Table], on connection: PostgresConnection, _ logger: Logger
    ) async throws {
        let tables = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })
        var start = rows.startIndex
        while start < rows.endIndex {
            let name = rows[start].table
            var end = start
            while end < rows.endIndex, rows[end].table == name, end - start < 500 { end += 1 }
            defer { start = end }
            guard let table = tables[name] else { continue }
            var binds = PostgresBindings()
            var tuples: [String] = []
            for row in rows[start..<end] {
                let first = binds.count + 1
                for column in table.columns {
                    switch (row.values[column.name] ?? .null, column.kind) {
                    case (.string(let text), .uuid): binds.append(UUID(text: text))
                    case (.string(let text), _): binds.append(text)
                    case (.integer(let number), _): binds.append(number)
                    case (.bool(let flag), _): binds.append(flag)
                    default: binds.appendNull()
                    }
                }
                tuples.append("(" + (first..<first + table.columns.count).map { "$\($0)" }.joined(separator: ", ") + ")")
            }
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO \(table.name) (\(table.columnList)) VALUES \(tuples.joined(separator: ", "))", binds: binds
                ),
                logger: logger
            )
        }
    }

    /// Numbers given out from now on come after the restored ones (and after any given out meanwhile).
    private static func moveSequences(on connection: PostgresConnection, _ logger: Logger) async throws {
        for (table, column) in numbered {
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT setval(s, GREATEST(coalesce(pg_sequence_last_value(s::regclass), 1), (SELECT coalesce(max(\(column)), 1) FROM \(table))))
                        FROM pg_get_serial_sequence('\(table)', '\(column)') AS s
                        """
                ),
                logger: logger
            )
        }
    }

    private func refusingConflicts(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch TaskportError.conflict(let detail) {
            throw TaskportError.conflict("The store holds a row with one of the archive's ids, numbers or names: \(detail)")
        } catch TaskportError.notFound {
            throw TaskportError.malformed("The archive's rows do not fit together: a row refers to one that is not there")
        }
    }

    /// The columns whose values come from a sequence.
    private static let numbered = [
        ("users", "number"), ("accounts", "number"), ("businesses", "number"), ("tasks", "number"), ("audit_entries", "id"),
    ]

    private static func archived(_ cells: Cells, _ index: Int, _ kind: TenantArchive.Kind) throws -> JSONValue {
        switch kind {
        case .uuid: try cells(index, as: UUID?.self).map { .string($0.text) } ?? .null
        case .text: try cells(index, as: String?.self).map(JSONValue.string) ?? .null
        case .integer: try cells(index, as: Int64?.self).map(JSONValue.integer) ?? .null
        case .boolean: try cells(index, as: Bool?.self).map(JSONValue.bool) ?? .null
        }
    }
}

extension PostgresStore: SnapshotStore {
    public func saveSnapshot(_ info: SnapshotInfo, archive: String, in tenantID: UUID) async throws {
        try await execute(
            """
            INSERT INTO snapshots (tenant_id, name, created_at, tasks, archive)
            VALUES (\(tenantID), \(info.name), \(info.createdAt.microseconds), \(Int64(info.tasks)), \(archive))
            ON CONFLICT (tenant_id, name) DO UPDATE SET created_at = excluded.created_at, tasks = excluded.tasks, archive = excluded.archive
            """
        )
    }

    public func snapshots(in tenantID: UUID) async throws -> [SnapshotInfo] {
        try await rows(
            "SELECT name, created_at, tasks, octet_length(archive) FROM snapshots WHERE tenant_id = \(tenantID) ORDER BY name"
        ).map { row in
            let cells = Cells(row)
            return SnapshotInfo(
                name: try cells(0), createdAt: try cells.timestamp(1), tasks: Int(try cells(2, as: Int64.self)), bytes: Int(try cells(3, as: Int32.self))
            )
        }
    }

    public func snapshotArchive(_ name: String, in tenantID: UUID) async throws -> String? {
        try await rows("SELECT archive FROM snapshots WHERE tenant_id = \(tenantID) AND name = \(name)").first.map { try Cells($0)(0) }
    }

    public func deleteSnapshot(_ name: String, in tenantID: UUID) async throws -> Bool {
        try await !rows("DELETE FROM snapshots WHERE tenant_id = \(tenantID) AND name = \(name) RETURNING 1").isEmpty
    }
}
