import CoreMetrics
import Foundation
import GRDB
import Synchronization
import TaskportCore

/// Taskport's embedded store: one SQLite file in WAL mode, reached through GRDB.
public final class SQLiteStore: Sendable {
    /// How hard SQLite works to make a commit durable.
    public enum Durability: String, Sendable, CaseIterable {
        /// Every acknowledged commit survives power loss (`synchronous=FULL`).
        case full
        /// Commits survive a crash of the process; the last ones may be lost on power loss (`synchronous=NORMAL`).
        case normal
    }

    let writer: any DatabaseWriter
    /// Task writes go through here, so that writes arriving together share one transaction.
    let taskWrites: GroupCommit
    /// A database file's checkpointer, for the server to run beside it (nil in memory).
    public let checkpointer: WALCheckpointer?
    /// Directory and catalog reads kept between requests; every commit that changes a table they
    /// come from empties it (`DirectoryChanges`).
    let directoryCache: DirectoryCache

    /// Opens (creating if needed) the database file and brings its schema up to date.
    /// `metrics` counts the task writes committed and measures each commit.
    /// `directoryCache` keeps directory and catalog reads between requests.
    public convenience init(
        path: String, durability: Durability = .full, metrics: any MetricsFactory = NOOPMetricsHandler.instance,
        directoryCache: DirectoryCache = DirectoryCache()
    ) throws {
        _ = SQLiteProcessSettings.applied
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: configuration)
        // Opening the pool turns WAL on and sets NORMAL; every write goes through this one writer connection.
        let synchronous = durability == .full ? "FULL" : "NORMAL"
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(WALCheckpointer.writerBackstop)")
        }
        let checkpointer = try WALCheckpointer(path: path, configuration: configuration, synchronous: synchronous)
        try self.init(writer: pool, checkpointer: checkpointer, metrics: metrics, directoryCache: directoryCache)
    }

    /// A private database in memory, for tests.
    public static func inMemory() throws -> SQLiteStore {
        try SQLiteStore(writer: DatabaseQueue(configuration: Configuration()))
    }

    init(
        writer: any DatabaseWriter, checkpointer: WALCheckpointer? = nil, metrics: any MetricsFactory = NOOPMetricsHandler.instance,
        directoryCache: DirectoryCache = DirectoryCache()
    ) throws {
        self.writer = writer
        self.checkpointer = checkpointer
        taskWrites = GroupCommit(writer: writer, metrics: CommitMetrics(factory: metrics)) { checkpointer?.committed(writes: $0) }
        self.directoryCache = directoryCache
        try Schema.migrator.migrate(writer)
        writer.add(transactionObserver: DirectoryChanges(cache: directoryCache), extent: .databaseLifetime)
    }

    /// The `PRAGMA` values in force on the writer connection, for diagnostics and tests.
    public func pragma(_ name: String) async throws -> String? {
        try await writer.write { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }
}

/// Empties the directory cache when a commit on the writer changed a table its entries are read
/// from, whichever store method (or restore, or import) made the change.
final class DirectoryChanges: TransactionObserver {
    static let tables: Set<String> = [
        "tenants", "users", "api_keys", "credentials", "task_attributes", "accounts", "businesses", "activities", "webhooks",
    ]

    let cache: DirectoryCache
    /// Set by a change in the transaction under way; only the writer's queue touches it.
    private let changed = Mutex(false)

    init(cache: DirectoryCache) { self.cache = cache }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        // Writing down when an API key was last used changes nothing an entry holds.
        if case .update(tableName: "api_keys", columnNames: let columns) = eventKind, columns == ["last_used_at"] { return false }
        return Self.tables.contains(eventKind.tableName)
    }

    func databaseDidChange(with event: DatabaseEvent) {
        changed.withLock { $0 = true }
        stopObservingDatabaseChangesUntilNextTransaction()
    }

    func databaseDidChange() { changed.withLock { $0 = true } }

    func databaseDidCommit(_ db: Database) {
        if changed.withLock({ changed in defer { changed = false }; return changed }) { cache.invalidate() }
    }

    func databaseDidRollback(_ db: Database) { changed.withLock { $0 = false } }
}

// MARK: - Tasks

extension SQLiteStore: TaskStore {
    public func create(_ creation: TaskCreation) async throws -> TaskRecord {
        let content = try TaskEngine.creationContent(creation)
        let changes = try TaskEngine.creationChanges(content)
        return try await taskWrites.perform { db in
            try Self.checkReferences(of: content, in: creation.tenantID, db)
            let now = Timestamp.now()
            let id = UUID()
            try db.cachedStatement(sql: TaskColumns.insert).execute(
                arguments: [id.text, creation.tenantID.text, creation.actor.userID?.text, now.microseconds, now.microseconds, creation.actor.name]
                    + StatementArguments(try TaskColumns.values(of: content))
            )
            let record = TaskRecord(
                id: id, number: db.lastInsertedRowID, tenantID: creation.tenantID,
                creatorID: creation.actor.userID, content: content, version: 1,
                createdAt: now, updatedAt: now, updatedBy: creation.actor.name
            )
            let commit = TaskCommit(record: record, action: .created, changes: changes)
            try self.record(commit, actor: creation.actor, comment: nil, outbox: creation.outbox, db)
            return record
        }
    }

    public func task(_ reference: TaskReference, in tenantID: UUID) async throws -> TaskRecord? {
        let record = try await writer.read { db in try Self.fetchTask(reference, in: tenantID, db) }
        if let record { TaskTouch.note(record.id) }
        return record
    }

    public func tasks(matching query: TaskQuery, in tenantID: UUID) async throws -> TaskPage {
        var (conditions, arguments) = Self.filters(query, in: tenantID)
        if let after = query.afterNumber {
            conditions.append("number > ?")
            arguments += [after]
        }
        // One row more than asked tells whether there is a next page.
        arguments += [query.limit + 1, query.offset]
        let direction = query.order.descending ? "DESC" : "ASC"
        let order = query.order.key == .number
            ? "number \(direction)" : "\(Self.column(query.order.key)) \(direction), number \(direction)"
        let sql = "SELECT \(TaskColumns.select) FROM tasks WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(order) LIMIT ? OFFSET ?"
        let found = try await writer.read { [arguments] db in
            try Array(TaskRows(db.makeStatement(sql: sql), arguments: arguments))
        }
        let tasks = Array(found.prefix(query.limit))
        return TaskPage(tasks: tasks, nextAfterNumber: found.count > query.limit ? tasks.last?.number : nil)
    }

    public func count(matching query: TaskQuery, in tenantID: UUID) async throws -> Int {
        let (conditions, arguments) = Self.filters(query, in: tenantID)
        let sql = "SELECT count(*) FROM tasks WHERE \(conditions.joined(separator: " AND "))"
        return try await writer.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
    }

    public func count(matching query: TaskQuery, in tenantID: UUID, atMost limit: Int) async throws -> Int {
        let (conditions, arguments) = Self.filters(query, in: tenantID)
        let sql = "SELECT count(*) FROM (SELECT 1 FROM tasks WHERE \(conditions.joined(separator: " AND ")) LIMIT ?)"
        return try await writer.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments + [limit]) ?? 0 }
    }

    public func lastSurfaces(of taskIDs: [UUID], in tenantID: UUID) async throws -> [UUID: String] {
        guard !taskIDs.isEmpty else { return [:] }
        let placeholders = Array(repeating: "?", count: taskIDs.count).joined(separator: ", ")
        return try await writer.read { db in
            var surfaces: [UUID: String] = [:]
            // One range read of (task_id, version) per task, newest version first.
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT tasks.id, (SELECT surface FROM audit_entries WHERE audit_entries.task_id = tasks.id ORDER BY version DESC LIMIT 1)
                    FROM tasks WHERE tenant_id = ? AND id IN (\(placeholders))
                    """,
                arguments: [tenantID.text] + StatementArguments(taskIDs.map(\.text))
            ) {
                if let id = (row[0] as String?).flatMap { UUID(text: $0) }, let surface: String = row[1] { surfaces[id] = surface }
            }
            return surfaces
        }
    }

    /// The WHERE conditions of a query's filters, with their arguments.
    static func filters(_ query: TaskQuery, in tenantID: UUID) -> (conditions: [String], arguments: StatementArguments) {
        var conditions = ["tenant_id = ?", "deleted_at IS NULL"]
        var arguments: StatementArguments = [tenantID.text]
        func add(_ condition: String, _ values: StatementArguments) {
            conditions.append(condition)
            arguments += values
        }
        if let completed = query.completed { add("completed = ?", [completed]) }
        if let assignee = query.assigneeID { add("(assignee_user_id = ? OR assignee_team_id = ?)", [assignee.text, assignee.text]) }
        if let status = query.status { add("upper(status) = upper(?)", [status]) }
        if let subject = query.subjectID { add("subject_id = ?", [subject]) }
        if let scope = query.scopeID { add("scope_id = ?", [scope]) }
        if let responsible = query.responsibleID { add("responsible_id = ?", [responsible.text]) }
        if let text = query.titleContains {
            let pattern = "%" + text.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            add("title LIKE ? ESCAPE '\\'", [pattern])
        }
        if let dueBefore = query.dueBefore { add("due_at < ?", [dueBefore.microseconds]) }
        if let dueAfter = query.dueAfter { add("due_at >= ?", [dueAfter.microseconds]) }
        if let updatedSince = query.updatedSince { add("updated_at >= ?", [updatedSince.microseconds]) }
        return (conditions, arguments)
    }

    static func column(_ key: TaskOrder.Key) -> String {
        switch key {
        case .number: "number"
        case .title: "title COLLATE NOCASE"
        case .dueAt: "due_at"
        case .completed: "completed"
        case .createdAt: "created_at"
        case .updatedAt: "updated_at"
        }
    }

    public func apply(_ mutation: TaskMutation) async throws -> TaskRecord {
        try await taskWrites.perform { db in
            guard let current = try Self.fetchTask(mutation.task, in: mutation.tenantID, db) else {
                throw TaskportError.notFound("Task not found")
            }
            guard let commit = try TaskEngine.commit(mutation, to: current, at: .now()) else { return current }
            let record = commit.record
            try Self.checkReferences(of: record.content, changedFrom: current.content, in: mutation.tenantID, db)
            let content = try TaskColumns.values(of: record.content)
            var values: [DatabaseValue] = [record.version.databaseValue, record.updatedAt.microseconds.databaseValue]
            values.reserveCapacity(content.count + 6)
            let sql: String
            if commit.action != .deleted, try !TaskColumns.changesKeyedColumn(from: current.content, values: content) {
                sql = TaskColumns.updateUnkeyed
                values.append(record.updatedBy.databaseValue)
                for index in TaskColumns.unkeyed { values.append(content[index]) }
            } else {
                sql = TaskColumns.update
                values.append(commit.action == .deleted ? record.updatedAt.microseconds.databaseValue : .null)
                values.append(record.updatedBy.databaseValue)
                values.append(contentsOf: content)
            }
            values.append(record.number.databaseValue)
            values.append(current.version.databaseValue)
            try db.cachedStatement(sql: sql).execute(values: values)
            try self.record(commit, actor: mutation.actor, comment: mutation.comment, outbox: mutation.outbox, db)
            return record
        }
    }

    public func history(of reference: TaskReference, in tenantID: UUID) async throws -> [AuditEntry]? {
        try await writer.read { db in
            guard let task = try Self.fetchTask(reference, in: tenantID, db) else { return nil }
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT id, version, action, at, actor_id, actor_name, surface, changes, comment FROM audit_entries WHERE task_id = ? ORDER BY version",
                arguments: [task.id.text]
            )
            return try rows.map { row in
                AuditEntry(
                    id: row["id"], taskID: task.id, version: row["version"],
                    action: AuditAction(rawValue: row["action"]) ?? .updated,
                    at: Timestamp(microseconds: row["at"]),
                    actor: Actor(userID: (row["actor_id"] as String?).flatMap { UUID(text: $0) }, name: row["actor_name"], surface: row["surface"]),
                    changes: try StoredJSON.decode([FieldChange].self, from: row["changes"]),
                    comment: row["comment"]
                )
            }
        }
    }

    public func isReady() async -> Bool {
        (try? await writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    // MARK: Inside a transaction

    static func fetchTask(_ reference: TaskReference, in tenantID: UUID, _ db: Database) throws -> TaskRecord? {
        let key: any DatabaseValueConvertible
        let sql: String
        switch reference {
        case .id(let id): (sql, key) = (TaskColumns.selectByID, id.text)
        case .number(let number): (sql, key) = (TaskColumns.selectByNumber, number)
        }
        let rows = try TaskRows(db.cachedStatement(sql: sql), arguments: [key, tenantID.text])
        // Numbers and ids are unique: a second step finishes the statement, so this cached
        // statement of the writer is not left in progress, whether the row read or threw.
        defer { _ = try? rows.next() }
        return try rows.next()
    }

    /// Users, teams and activities a task names must belong to its tenant; only references that
    /// differ from `previous` are looked up.
    static func checkReferences(of content: TaskContent, changedFrom previous: TaskContent? = nil, in tenantID: UUID, _ db: Database) throws {
        var problems: [FieldProblem] = []
        if let assignee = content.assignee, assignee != previous?.assignee {
            let table = assignee.kind == .user ? "users" : "teams"
            if try !exists(table, assignee.id, in: tenantID, db) {
                problems.append(FieldProblem(.assignee, "no \(assignee.kind.rawValue) \(assignee.id.text) in this tenant"))
            }
        }
        if let responsible = content.responsibleID, responsible != previous?.responsibleID,
            try !exists("users", responsible, in: tenantID, db)
        {
            problems.append(FieldProblem(.responsibleId, "no user \(responsible.text) in this tenant"))
        }
        if let activity = content.activityID, activity != previous?.activityID,
            try !exists("activities", activity, in: tenantID, db)
        {
            problems.append(FieldProblem(.activityId, "no activity \(activity.text) in this tenant"))
        }
        if let assigner = content.assignedByID, assigner != previous?.assignedByID,
            try !exists("users", assigner, in: tenantID, db)
        {
            problems.append(FieldProblem(.assignedById, "no user \(assigner.text) in this tenant"))
        }
        if !problems.isEmpty { throw TaskportError.invalid(problems) }
    }

    static func exists(_ table: String, _ id: UUID, in tenantID: UUID, _ db: Database) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE id = ? AND tenant_id = ?)"),
            arguments: [id.text, tenantID.text]
        ) ?? false
    }

    /// Writes the audit entry and outbox messages of a change.
    func record(
        _ commit: TaskCommit, actor: Actor, comment: String?, outbox: [OutboxMessage], _ db: Database
    ) throws {
        let record = commit.record
        try db.cachedStatement(
            sql: "INSERT INTO audit_entries (tenant_id, task_id, version, action, at, actor_id, actor_name, surface, changes, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ).execute(
            values: [
                record.tenantID.text.databaseValue, record.id.text.databaseValue, record.version.databaseValue,
                commit.action.rawValue.databaseValue, record.updatedAt.microseconds.databaseValue, actor.userID?.text.databaseValue ?? .null,
                actor.name.databaseValue, actor.surface.databaseValue, try StoredJSON.encode(commit.changes).databaseValue, comment.databaseValue,
            ]
        )
        for message in outbox + (try webhookMessages(for: commit, actor: actor, db)) {
            try db.cachedStatement(
                sql: "INSERT INTO outbox_messages (id, tenant_id, task_id, channel, recipient, event, payload, created_at, available_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            ).execute(
                values: [
                    message.id.text.databaseValue, record.tenantID.text.databaseValue, record.id.text.databaseValue,
                    message.channel.rawValue.databaseValue, message.recipient.databaseValue, message.event.databaseValue,
                    try StoredJSON.encode(message.payload).databaseValue, record.updatedAt.microseconds.databaseValue,
                    record.updatedAt.microseconds.databaseValue,
                ]
            )
        }
    }
}

extension SQLiteStore {
    /// One message per live webhook of the task's tenant: the event, the task and its changed fields.
    /// The tenant's webhook ids come from the directory cache, which a change to `webhooks` empties
    /// when it commits (`DirectoryChanges`), so a webhook added or removed here counts from the next
    /// write; one another process adds counts within `OtherProcessChanges.interval`.
    func webhookMessages(for commit: TaskCommit, actor: Actor, _ db: Database) throws -> [OutboxMessage] {
        let record = commit.record
        let endpoints =
            try directoryCache.value(
                .webhooks(tenant: record.tenantID),
                reading: {
                    try String.fetchAll(
                        db.cachedStatement(sql: "SELECT id FROM webhooks WHERE tenant_id = ? AND deleted_at IS NULL"),
                        arguments: [record.tenantID.text]
                    )
                }
            ) ?? []
        guard !endpoints.isEmpty else { return [] }
        let event = TaskEvent(commit).name
        return endpoints.map { endpoint in
            let id = UUID()
            return OutboxMessage(
                id: id, channel: .webhook, recipient: endpoint, event: event,
                payload: TaskEvent.payload(id: id, event: event, commit: commit, actor: actor)
            )
        }
    }
}

/// The mapping between `TaskRecord` and a row of `tasks`.
enum TaskColumns {
    /// The columns of `TaskContent`, in the order of `Column`'s cases from `title` on.
    static let content = [
        "title", "notes", "type", "status", "priority", "completed", "due_at", "time_zone", "subject_id",
        "scope_id", "assignee_user_id", "assignee_team_id", "responsible_id", "attachments", "metadata",
        "notify_by_email", "reminded", "visible_to_everyone", "assigned_by_id", "assignment_comment", "activity_id",
        "list_item_id", "external_id",
    ]
    static let contentColumns = Column.allCases.filter { $0.rawValue >= Column.title.rawValue }
    static let placeholders = Array(repeating: "?", count: content.count).joined(separator: ", ")
    static let assignments = content.map { "\($0) = ?" }.joined(separator: ", ")
    static let insert = "INSERT INTO tasks (id, tenant_id, creator_id, version, created_at, updated_at, updated_by, \(content.joined(separator: ", "))) VALUES (?, ?, ?, 1, ?, ?, ?, \(placeholders))"
    static let update = "UPDATE tasks SET version = ?, updated_at = ?, deleted_at = ?, updated_by = ?, \(assignments) WHERE number = ? AND version = ?"
    static let select: String = {
        let columns = ["number", "id", "tenant_id", "creator_id", "version", "created_at", "updated_at", "updated_by"] + content
        precondition(columns.count == Column.allCases.count, "TaskColumns.Column must name every selected column, in order")
        return columns.joined(separator: ", ")
    }()

    /// A live task of a tenant, by its id or by its number.
    static let selectByID = "SELECT \(select) FROM tasks WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL"
    static let selectByNumber = "SELECT \(select) FROM tasks WHERE number = ? AND tenant_id = ? AND deleted_at IS NULL"

    /// The content columns that an index of `tasks` (its key or its `WHERE`) or a foreign key reads.
    /// SQLite rewrites an index's entry for every row an `UPDATE` names such a column in, changed
    /// or not (and looks up the parent row of a foreign key): a page of the index written to the
    /// log for each. `deleted_at`, which every index's `WHERE` reads, is outside the content.
    static let keyed: [Column] = [
        .dueAt, .assigneeUser, .assigneeTeam, .responsibleID, .notifyByEmail, .reminded, .assignedByID, .activityID,
    ]
    /// The positions in `content` of the columns not in `keyed`.
    static let unkeyed = contentColumns.indices.filter { !keyed.contains(contentColumns[$0]) }
    /// The update of a task whose keyed columns keep their values and which is not being deleted:
    /// it leaves out `deleted_at` and `keyed`, so only the row's page and the entries of
    /// `updated_at`'s index are written (two pages of the log fewer an update than `update`).
    static let updateUnkeyed =
        "UPDATE tasks SET version = ?, updated_at = ?, updated_by = ?, \(unkeyed.map { "\(content[$0]) = ?" }.joined(separator: ", ")) WHERE number = ? AND version = ?"

    /// The values of `content`'s columns, in order.
    static func values(of task: TaskContent) throws -> [DatabaseValue] {
        try contentColumns.map { try value($0, of: task) }
    }

    /// Whether `values` (of `content`'s columns) gives a column in `keyed` another value than `old` has.
    static func changesKeyedColumn(from old: TaskContent, values: [DatabaseValue]) throws -> Bool {
        try keyed.contains { column in try value(column, of: old) != values[column.rawValue - Column.title.rawValue] }
    }

    /// The stored value of a content column of `task`; NULL for a column outside the content.
    static func value(_ column: Column, of task: TaskContent) throws -> DatabaseValue {
        switch column {
        case .number, .id, .tenantID, .creatorID, .version, .createdAt, .updatedAt, .updatedBy: .null
        case .title: task.title.databaseValue
        case .notes: task.notes.databaseValue
        case .type: task.type.databaseValue
        case .status: task.status.databaseValue
        case .priority: task.priority.databaseValue
        case .completed: task.completed.databaseValue
        case .dueAt: task.dueAt?.microseconds.databaseValue ?? .null
        case .timeZone: task.timeZone.databaseValue
        case .subjectID: task.subjectID.databaseValue
        case .scopeID: task.scopeID.databaseValue
        case .assigneeUser: task.assignee?.kind == .user ? (task.assignee?.id.text).databaseValue : .null
        case .assigneeTeam: task.assignee?.kind == .team ? (task.assignee?.id.text).databaseValue : .null
        case .responsibleID: (task.responsibleID?.text).databaseValue
        case .attachments: try StoredJSON.encode(task.attachments).databaseValue
        case .metadata: try StoredJSON.encode(task.metadata).databaseValue
        case .notifyByEmail: task.notifyByEmail.databaseValue
        case .reminded: task.reminded.databaseValue
        case .visibleToEveryone: task.visibleToEveryone.databaseValue
        case .assignedByID: (task.assignedByID?.text).databaseValue
        case .assignmentComment: task.assignmentComment.databaseValue
        case .activityID: (task.activityID?.text).databaseValue
        case .listItemID: task.listItemID.databaseValue
        case .externalID: task.externalID.databaseValue
        }
    }

    /// The position of each column in `select`, so rows are read by index: reading by name makes
    /// GRDB compare names case-insensitively, which showed up in profiles of the update path.
    enum Column: Int, CaseIterable {
        case number, id, tenantID, creatorID, version, createdAt, updatedAt, updatedBy
        case title, notes, type, status, priority, completed, dueAt, timeZone, subjectID, scopeID
        case assigneeUser, assigneeTeam, responsibleID, attachments, metadata, notifyByEmail, reminded
        case visibleToEveryone, assignedByID, assignmentComment, activityID, listItemID, externalID
    }

    static func record(_ row: StatementColumns) throws -> TaskRecord {
        func text(_ column: Column) -> String? { row.isNull(column) ? nil : row.text(column) }
        func integer(_ column: Column) -> Int64? { row.isNull(column) ? nil : row.integer(column) }
        func flag(_ column: Column) -> Bool { row.integer(column) != 0 }
        func uuid(_ column: Column) -> UUID? { text(column).flatMap { UUID(text: $0) } }
        var content = TaskContent(title: row.text(.title))
        content.notes = text(.notes)
        content.type = text(.type)
        content.status = text(.status)
        content.priority = text(.priority)
        content.completed = flag(.completed)
        content.dueAt = integer(.dueAt).map(Timestamp.init(microseconds:))
        content.timeZone = text(.timeZone)
        content.subjectID = text(.subjectID)
        content.scopeID = text(.scopeID)
        if let user = uuid(.assigneeUser) {
            content.assignee = .user(user)
        } else if let team = uuid(.assigneeTeam) {
            content.assignee = .team(team)
        }
        content.responsibleID = uuid(.responsibleID)
        content.attachments = try StoredJSON.decode([String].self, from: row.text(.attachments))
        content.metadata = try StoredJSON.decode(JSONObject.self, from: row.text(.metadata))
        content.notifyByEmail = flag(.notifyByEmail)
        content.reminded = flag(.reminded)
        content.visibleToEveryone = flag(.visibleToEveryone)
        content.assignedByID = uuid(.assignedByID)
        content.assignmentComment = text(.assignmentComment)
        content.activityID = uuid(.activityID)
        content.listItemID = text(.listItemID)
        content.externalID = text(.externalID)
        return TaskRecord(
            id: try storedUUID(row.text(.id)),
            number: row.integer(.number),
            tenantID: try storedUUID(row.text(.tenantID)),
            creatorID: uuid(.creatorID),
            content: content,
            version: row.integer(.version),
            createdAt: Timestamp(microseconds: row.integer(.createdAt)),
            updatedAt: Timestamp(microseconds: row.integer(.updatedAt)),
            updatedBy: text(.updatedBy)
        )
    }
}

extension UUID {
    /// The stored form: lowercase, hyphenated.
    var text: String { lowercasedText }
}

/// A UUID read back from a text column; one that does not parse is a fault of the file, thrown
/// rather than trapped on, so one bad row cannot stop the server.
func storedUUID(_ text: String) throws -> UUID {
    guard let id = UUID(text: text) else {
        throw StoredValueError(description: "'\(text)' in the database is not a UUID")
    }
    return id
}

/// A value in the database that Taskport could not have written.
struct StoredValueError: Error, CustomStringConvertible {
    var description: String
}

extension DatabaseError: TaskportErrorConvertible {
    /// A file that cannot be written (disk full, read-only, I/O failing) or stays locked is
    /// `.unavailable`: the request changed nothing and may be sent again later.
    public var taskportError: TaskportError? {
        switch resultCode {
        case .SQLITE_FULL: .unavailable("The database's disk is full; nothing was changed", retryAfter: 30)
        case .SQLITE_READONLY, .SQLITE_CANTOPEN, .SQLITE_IOERR, .SQLITE_PERM:
            .unavailable("The database cannot be written just now; nothing was changed", retryAfter: 30)
        case .SQLITE_BUSY, .SQLITE_LOCKED: .unavailable("The database is busy; nothing was changed", retryAfter: 1)
        default: nil
        }
    }
}
