import Foundation
import PostgresNIO
import TaskportCore

extension PostgresStore: ArchiveStore {
    public func archivedRows(
        of table: TenantArchive.Table, tenant: UUID, _ body: @Sendable (JSONObject) throws -> Void
    ) async throws {
        let query = PostgresQuery(
            unsafeSQL: """
                SELECT \(table.columnList) FROM \(table.name) WHERE \(table.scope.replacingOccurrences(of: ":tenant", with: "$1"))
                ORDER BY \(table.order)
                """,
            binds: Filter.binds(tenant)
        )
        try await translatingErrors {
            // Rows stream in as they are read, so a large tenant is never held in memory.
            for try await row in try await client.query(query, logger: logger) {
                let cells = Cells(row)
                var values: JSONObject = [:]
                for (index, column) in table.columns.enumerated() {
                    values[column.name] = try Self.archived(cells, index, column.kind)
                }
                try body(values)
            }
        }
    }

    public func restore(_ rows: [TenantArchive.Row]) async throws {
        let tables = Dictionary(uniqueKeysWithValues: TenantArchive.tables.map { ($0.name, $0) })
        let logger = logger
        do {
            try await transaction { connection in
                for row in rows {
                    guard let table = tables[row.table] else { continue }
                    var binds = PostgresBindings()
                    for column in table.columns {
                        switch (row.values[column.name] ?? .null, column.kind) {
                        case (.string(let text), .uuid): binds.append(UUID(uuidString: text))
                        case (.string(let text), _): binds.append(text)
                        case (.integer(let number), _): binds.append(number)
                        case (.bool(let flag), _): binds.append(flag)
                        default: binds.appendNull()
                        }
                    }
                    let placeholders = (1...table.columns.count).map { "$\($0)" }.joined(separator: ", ")
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "INSERT INTO \(table.name) (\(table.columnList)) VALUES (\(placeholders))", binds: binds),
                        logger: logger
                    )
                }
                // Numbers given out from now on come after the restored ones (and after any given out meanwhile).
                for (table, column) in Self.numbered {
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
