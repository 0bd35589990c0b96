import Foundation
import Synchronization

/// A tenant's whole state saved under a name, to bring back between the tests of a suite.
public struct SnapshotInfo: Sendable, Equatable {
    public var name: String
    public var createdAt: Timestamp
    /// The tasks it holds, deleted ones too.
    public var tasks: Int
    /// The length of its archive in bytes.
    public var bytes: Int

    public init(name: String, createdAt: Timestamp, tasks: Int, bytes: Int) {
        self.name = name
        self.createdAt = createdAt
        self.tasks = tasks
        self.bytes = bytes
    }
}

/// Where snapshots are kept: in the store, beside the tenant they belong to.
public protocol SnapshotStore: Sendable {
    /// Keeps the archive under `name`, in place of one by that name.
    func saveSnapshot(_ info: SnapshotInfo, archive: String, in tenantID: UUID) async throws
    func snapshots(in tenantID: UUID) async throws -> [SnapshotInfo]
    func snapshotArchive(_ name: String, in tenantID: UUID) async throws -> String?
    func deleteSnapshot(_ name: String, in tenantID: UUID) async throws -> Bool
}

/// Saves and restores tenants' snapshots and empties their tasks. A snapshot is the tenant's
/// archive (the JSON Lines of `taskport export`, `TenantArchive`) with what an export leaves
/// out because it belongs to this store: the outbox, each message as it stood, and the API
/// keys' prefixes and last use. Restoring replaces every one of those rows of the tenant in one
/// transaction; the journal, fault rules and other snapshots stay as they are.
public enum Snapshots {
    public static let format = "taskport-snapshot"
    public static let version = 1
    /// Snapshots per tenant.
    public static let maximumCount = 50

    /// The archive's tables, the API keys with their prefixes and last use, and the outbox.
    public static let tables: [TenantArchive.Table] =
        TenantArchive.tables.map { table in
            guard table.name == "api_keys" else { return table }
            return TenantArchive.Table(
                table.name, columns: table.columns + [.init(name: "key_prefix", kind: .text), .init(name: "last_used_at", kind: .integer)],
                scope: table.scope, order: table.order
            )
        } + [
            TenantArchive.Table(
                "outbox_messages",
                ["id": .uuid, "tenant_id": .uuid, "task_id": .uuid, "channel": .text, "recipient": .text, "event": .text,
                 "payload": .text, "created_at": .integer, "available_at": .integer, "attempts": .integer, "state": .text,
                 "last_error": .text, "lease_until": .integer, "sent_at": .integer],
                order: "created_at, id"
            )
        ]

    /// The tables `reset` empties: tasks, their history and their messages.
    static let taskTables: Set<String> = ["tasks", "audit_entries", "outbox_messages"]

    /// A snapshot name: 1 to 100 letters, digits, `.`, `_` or `-`.
    public static func isName(_ name: String) -> Bool {
        (1...100).contains(name.count) && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-_".unicodeScalars.contains($0)) }
    }

    /// Saves the tenant's state under `name`, in place of a snapshot by that name.
    @discardableResult
    public static func save(_ name: String, of tenant: Tenant, in store: any ArchiveStore & SnapshotStore) async throws -> SnapshotInfo {
        guard isName(name) else { throw TaskportError.invalid([FieldProblem("name", "must be 1 to 100 letters, digits, '.', '_' or '-'")]) }
        let existing = try await store.snapshots(in: tenant.id)
        if existing.count >= maximumCount, !existing.contains(where: { $0.name == name }) {
            throw TaskportError.conflict("The tenant has \(maximumCount) snapshots; delete one first")
        }
        let lines = LineCollector()
        try lines.add(StoredJSON.encode(["format": .string(format), "version": .integer(Int64(version)), "tenant": .string(tenant.name)] as JSONObject))
        try await store.archivedRows(of: tables, tenant: tenant.id) { table, values in
            if table.name == "tasks" { lines.countTask() }
            try lines.add(StoredJSON.encode(["table": .string(table.name), "row": .object(values)] as JSONObject))
        }
        let (text, tasks) = lines.result
        let info = SnapshotInfo(name: name, createdAt: .now(), tasks: tasks, bytes: text.utf8.count)
        try await store.saveSnapshot(info, archive: text, in: tenant.id)
        return info
    }

    /// Brings the tenant back to the snapshot named `name`: all or nothing.
    public static func restore(_ name: String, of tenant: Tenant, in store: any ArchiveStore & SnapshotStore) async throws {
        guard isName(name), let text = try await store.snapshotArchive(name, in: tenant.id) else {
            throw TaskportError.notFound("No snapshot named '\(name)'")
        }
        let (_, rows) = try TenantArchive.read(lines: text.split(separator: "\n"), format: format, versions: 1...version, tables: tables)
        guard case .string(let id)? = rows.first?.values["id"], id == tenant.id.lowercasedText else {
            throw TaskportError.conflict("The snapshot '\(name)' is of another tenant")
        }
        try await store.replaceTenant(tenant.id, tables: tables, with: rows)
    }

    /// Removes every task of the tenant, with its history and messages, in one transaction; the rest stays.
    public static func emptyTasks(of tenant: Tenant, in store: any ArchiveStore) async throws {
        try await store.replaceTenant(tenant.id, tables: tables.filter { taskTables.contains($0.name) }, with: [])
    }
}

/// Lines gathered while a store reads rows out, and how many were tasks.
private final class LineCollector: Sendable {
    private let state = Mutex((text: "", tasks: 0))

    func add(_ line: String) {
        state.withLock { state in
            state.text += line
            state.text += "\n"
        }
    }

    func countTask() { state.withLock { $0.tasks += 1 } }

    var result: (String, Int) { state.withLock { ($0.text, $0.tasks) } }
}
