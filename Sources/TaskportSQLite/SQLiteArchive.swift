import Foundation
import GRDB
import TaskportCore

extension SQLiteStore: ArchiveStore {
    public func archivedRows(
        of table: TenantArchive.Table, tenant: UUID, _ body: @Sendable (JSONObject) throws -> Void
    ) async throws {
        let sql = """
            SELECT \(table.columnList) FROM \(table.name) WHERE \(table.scope.replacingOccurrences(of: ":tenant", with: "?"))
            ORDER BY \(table.order)
            """
        try await writer.read { db in
            let rows = try Row.fetchCursor(db, sql: sql, arguments: [tenant.text])
            while let row = try rows.next() {
                var values: JSONObject = [:]
                for (index, column) in table.columns.enumerated() {
                    values[column.name] = Self.archived(row[index] as DatabaseValue, column.kind)
                }
                try body(values)
            }
        }
    }

    public func restore(_ rows: [TenantArchive.Row]) async throws {
        let tables = Dictionary(uniqueKeysWithValues: TenantArchive.tables.map { ($0.name, $0) })
        do {
            try await writer.write { db in
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
