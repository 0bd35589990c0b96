import Foundation

/// What a tenant is made of in a store, table by table, so that it can be written out as JSON
/// Lines from one store and read into another: SQLite and PostgreSQL keep the same tables under
/// the same names, and each column has one of a few kinds both can hold exactly.
///
/// Moved: the tenant, its users (with password hashes), teams, API keys (hashes only),
/// connected credentials, accounts, activities, task attributes, businesses, webhooks, every
/// task (deleted ones too) and every audit entry, with their ids and numbers unchanged.
/// Not moved: the outbox (deliveries belong to the server that made them), refresh tokens, and
/// the server-wide token-signing secret, so tokens signed by the old store must be issued again.
public enum TenantArchive {
    public static let format = "taskport-tenant"
    public static let version = 2
    /// Columns added since version 1, with the value a version 1 row stands for.
    static let addedSinceVersion1: [String: JSONObject] = [
        "users": ["token_generation": .integer(0), "disabled_at": .null, "deleted_at": .null]
    ]

    public enum Kind: Sendable {
        case uuid, text, integer, boolean
    }

    public struct Table: Sendable {
        public let name: String
        public let columns: [Column]
        /// SQL that picks the tenant's rows, with `:tenant` where its id goes.
        public let scope: String
        /// SQL that orders them, the same in every store.
        public let order: String

        public struct Column: Sendable {
            public let name: String
            public let kind: Kind
        }

        init(_ name: String, columns: [Column], scope: String, order: String) {
            self.name = name
            self.columns = columns
            self.scope = scope
            self.order = order
        }

        init(_ name: String, _ columns: KeyValuePairs<String, Kind>, scope: String = "tenant_id = :tenant", order: String) {
            self.name = name
            self.columns = columns.map { Column(name: $0.key, kind: $0.value) }
            self.scope = scope
            self.order = order
        }

        public var columnList: String { columns.map(\.name).joined(separator: ", ") }
    }

    /// In the order rows are restored, so that every reference points at a row already there.
    public static let tables: [Table] = [
        Table("tenants", ["id": .uuid, "name": .text, "created_at": .integer], scope: "id = :tenant", order: "id"),
        Table(
            "users",
            ["id": .uuid, "tenant_id": .uuid, "email": .text, "name": .text, "roles": .text, "created_at": .integer,
             "number": .integer, "password_hash": .text, "token_generation": .integer, "disabled_at": .integer,
             "deleted_at": .integer],
            order: "number"
        ),
        Table("teams", ["id": .uuid, "tenant_id": .uuid, "name": .text, "created_at": .integer], order: "created_at, id"),
        Table(
            "team_members", ["team_id": .uuid, "user_id": .uuid],
            scope: "team_id IN (SELECT id FROM teams WHERE tenant_id = :tenant)", order: "team_id, user_id"
        ),
        Table(
            "api_keys",
            ["id": .uuid, "tenant_id": .uuid, "user_id": .uuid, "name": .text, "secret_hash": .text, "created_at": .integer,
             "revoked_at": .integer],
            order: "created_at, id"
        ),
        Table(
            "credentials",
            ["id": .uuid, "tenant_id": .uuid, "surface": .text, "name": .text, "created_at": .integer, "revoked_at": .integer],
            order: "created_at, id"
        ),
        Table("accounts", ["id": .uuid, "tenant_id": .uuid, "name": .text, "created_at": .integer, "number": .integer], order: "number"),
        Table(
            "activities", ["id": .uuid, "tenant_id": .uuid, "account_id": .uuid, "name": .text, "created_at": .integer],
            order: "created_at, id"
        ),
        Table(
            "task_attributes",
            ["id": .uuid, "tenant_id": .uuid, "kind": .text, "value": .text, "configuration": .text, "created_at": .integer],
            order: "created_at, id"
        ),
        Table(
            "businesses",
            ["number": .integer, "id": .uuid, "tenant_id": .uuid, "name": .text, "time_zone": .text, "created_at": .integer],
            order: "number"
        ),
        Table(
            "webhooks",
            ["id": .uuid, "tenant_id": .uuid, "url": .text, "secret": .text, "created_at": .integer, "deleted_at": .integer],
            order: "created_at, id"
        ),
        Table(
            "tasks",
            ["number": .integer, "id": .uuid, "tenant_id": .uuid, "title": .text, "notes": .text, "type": .text, "status": .text,
             "priority": .text, "completed": .boolean, "due_at": .integer, "time_zone": .text, "subject_id": .text,
             "scope_id": .text, "assignee_user_id": .uuid, "assignee_team_id": .uuid, "responsible_id": .uuid,
             "creator_id": .uuid, "attachments": .text, "metadata": .text, "notify_by_email": .boolean, "reminded": .boolean,
             "visible_to_everyone": .boolean, "version": .integer, "created_at": .integer, "updated_at": .integer,
             "deleted_at": .integer, "assigned_by_id": .uuid, "assignment_comment": .text, "activity_id": .uuid,
             "updated_by": .text, "list_item_id": .text, "external_id": .text],
            order: "number"
        ),
        Table(
            "audit_entries",
            ["id": .integer, "tenant_id": .uuid, "task_id": .uuid, "version": .integer, "action": .text, "at": .integer,
             "actor_id": .uuid, "actor_name": .text, "surface": .text, "changes": .text, "comment": .text],
            order: "id"
        ),
    ]

    /// One row: its values by column name, `.null` for SQL NULL.
    public struct Row: Sendable, Hashable {
        public var table: String
        public var values: JSONObject

        public init(table: String, values: JSONObject) {
            self.table = table
            self.values = values
        }
    }

    /// Writes the tenant as JSON Lines: a header line, then one line per row, table by table.
    public static func export(
        tenantNamed name: String, from store: any DirectoryStore & ArchiveStore, to write: @escaping @Sendable (String) throws -> Void
    ) async throws {
        guard let tenant = try await store.tenant(named: name) else { throw TaskportError.notFound("No tenant named '\(name)'") }
        try write(StoredJSON.encode(["format": .string(format), "version": .integer(Int64(version)), "tenant": .string(name)] as JSONObject))
        try await store.archivedRows(of: tables, tenant: tenant.id) { table, values in
            try write(StoredJSON.encode(["table": .string(table.name), "row": .object(values)] as JSONObject))
        }
    }

    /// Reads an archive's lines, checking every row against the tables' columns and kinds, and
    /// restores them in one transaction: the whole tenant or nothing. Ids, numbers and names must
    /// be free in the store (`.conflict` otherwise). Returns the tenant's name.
    @discardableResult
    public static func `import`(lines: some Sequence<Substring>, into store: any ArchiveStore) async throws -> String {
        let (tenantName, rows) = try read(lines: lines, format: format, versions: 1...version, tables: tables)
        try await store.restore(rows)
        return tenantName
    }

    /// The rows of an archive (or a snapshot) of `format`, each checked against its table's
    /// columns and kinds, the tenant's row first; and the tenant's name.
    static func read(
        lines: some Sequence<Substring>, format: String, versions: ClosedRange<Int>, tables: [Table]
    ) throws -> (tenant: String, rows: [Row]) {
        var rows: [Row] = []
        var tenantName: String?
        var archiveVersion = versions.upperBound
        for (index, line) in lines.enumerated() where !line.allSatisfy(\.isWhitespace) {
            func refuse(_ reason: String) -> TaskportError { .malformed("Line \(index + 1): \(reason)") }
            guard let object = try? StoredJSON.decode(JSONObject.self, from: String(line)) else { throw refuse("not a JSON object") }
            if tenantName == nil {
                guard object["format"] == .string(format), case .integer(let read)? = object["version"],
                    versions.contains(Int(clamping: read)), case .string(let name)? = object["tenant"]
                else { throw refuse("not a \(format) archive of version \(versions.lowerBound) to \(versions.upperBound)") }
                tenantName = name
                archiveVersion = Int(read)
                continue
            }
            guard case .string(let name)? = object["table"], let table = tables.first(where: { $0.name == name }),
                case .object(var values)? = object["row"]
            else { throw refuse("a row needs a known `table` and a `row` object") }
            if format == Self.format, archiveVersion == 1 { values.merge(addedSinceVersion1[name] ?? [:]) { sent, _ in sent } }
            guard Set(values.keys) == Set(table.columns.map(\.name)) else {
                throw refuse("a \(name) row has exactly the columns \(table.columnList)")
            }
            for column in table.columns {
                guard let value = values[column.name], value.fits(column.kind) else {
                    throw refuse("\(name).\(column.name) is not \(column.kind)")
                }
            }
            rows.append(Row(table: name, values: values))
        }
        guard let tenantName else { throw TaskportError.malformed("The archive is empty") }
        guard rows.first?.table == "tenants", rows.filter({ $0.table == "tenants" }).count == 1 else {
            throw TaskportError.malformed("The archive must hold exactly one tenant, first")
        }
        return (tenantName, rows)
    }
}

extension JSONValue {
    func fits(_ kind: TenantArchive.Kind) -> Bool {
        switch (self, kind) {
        case (.null, _): true
        case (.string(let text), .uuid): UUID(text: text) != nil && text == text.lowercased()
        case (.string, .text), (.integer, .integer), (.bool, .boolean): true
        default: false
        }
    }
}

/// A store a tenant can be exported from and imported into.
public protocol ArchiveStore: Sendable {
    /// Calls `body` with each of the tenant's rows of each table, table by table, each in its
    /// order, all read from one state of the store (one read transaction), so that they fit together.
    func archivedRows(
        of tables: [TenantArchive.Table], tenant: UUID, _ body: @escaping @Sendable (TenantArchive.Table, JSONObject) throws -> Void
    ) async throws
    /// Inserts the rows, in order, in one transaction, and moves the store's number sequences past them.
    func restore(_ rows: [TenantArchive.Row]) async throws
    /// In one transaction, removes the tenant's rows of every table of `tables` (and what refers
    /// to them: its refresh tokens and console sessions of users that are not among `rows`) and
    /// inserts `rows`, in order, but the tenant's own row, which stays. Nothing changes if it fails.
    func replaceTenant(_ tenantID: UUID, tables: [TenantArchive.Table], with rows: [TenantArchive.Row]) async throws
}
