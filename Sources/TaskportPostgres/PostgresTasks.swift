import CoreMetrics
import Foundation
import PostgresNIO
import TaskportCore

extension PostgresStore: TaskStore {
    /// Creates a task with one statement that also writes its audit entry and outbox messages.
    public func create(_ creation: TaskCreation) async throws -> TaskRecord {
        let content = try TaskEngine.creationContent(creation)
        let changes = try TaskEngine.creationChanges(content)
        let logger = logger
        let created = try await retrying {
            try await pooled { [self, logger] connection in
                try await Self.checkReferences(of: content, in: creation.tenantID, connection, logger)
                let webhooks = try await connection.rows(TenantWebhooks(tenantID: creation.tenantID), logger).map { try Cells($0)(0, as: UUID.self) }
                let now = Timestamp.now()
                var record = TaskRecord(
                    id: UUID(), number: 0, tenantID: creation.tenantID, creatorID: creation.actor.userID, content: content,
                    version: 1, createdAt: now, updatedAt: now, updatedBy: creation.actor.name
                )
                let commit = TaskCommit(record: record, action: .created, changes: changes)
                let messages = creation.outbox + Self.webhookMessages(for: commit, actor: creation.actor, endpoints: webhooks)
                let inserted = try await connection.rows(try CreateTask(commit: commit, actor: creation.actor, messages: messages), logger)
                guard let row = inserted.first else { throw PostgresStoreError.Unreachable(description: "the database returned no row for a new task") }
                record.number = try Cells(row)(0)
                metrics.taskWrites.increment()
                return record
            }
        }
        remember(created)
        TaskTouch.note(created.id)
        return created
    }

    public func task(_ reference: TaskReference, in tenantID: UUID) async throws -> TaskRecord? {
        let record = try await pooled { [self, logger] connection in
            try await translatingErrors { try await Self.fetchTask(reference, in: tenantID, connection, logger) }
        }
        if let record {
            remember(record)
            TaskTouch.note(record.id)
        }
        return record
    }

    public func tasks(matching query: TaskQuery, in tenantID: UUID) async throws -> TaskPage {
        var filter = Self.filter(query, in: tenantID)
        if let after = query.afterNumber { filter.add("number > ", after) }
        let direction = query.order.descending ? "DESC" : "ASC"
        let order = query.order.key == .number
            ? "number \(direction)" : "\(Self.column(query.order.key)) \(direction), number \(direction)"
        // One row more than asked tells whether there is a next page.
        let limit = filter.bind(query.limit + 1)
        let offset = filter.bind(query.offset)
        let found = try await rows(
            PostgresQuery(
                unsafeSQL: "SELECT \(TaskRow.select) FROM tasks WHERE \(filter.sql) ORDER BY \(order) LIMIT \(limit) OFFSET \(offset)",
                binds: filter.binds
            )
        ).map(TaskRow.record)
        let tasks = Array(found.prefix(query.limit))
        return TaskPage(tasks: tasks, nextAfterNumber: found.count > query.limit ? tasks.last?.number : nil)
    }

    public func count(matching query: TaskQuery, in tenantID: UUID) async throws -> Int {
        let filter = Self.filter(query, in: tenantID)
        let found = try await rows(PostgresQuery(unsafeSQL: "SELECT count(*) FROM tasks WHERE \(filter.sql)", binds: filter.binds))
        return try Cells(found[0])(0, as: Int.self)
    }

    public func count(matching query: TaskQuery, in tenantID: UUID, atMost limit: Int) async throws -> Int {
        var filter = Self.filter(query, in: tenantID)
        let cap = filter.bind(limit)
        let found = try await rows(
            PostgresQuery(unsafeSQL: "SELECT count(*) FROM (SELECT 1 FROM tasks WHERE \(filter.sql) LIMIT \(cap)) AS capped", binds: filter.binds)
        )
        return try Cells(found[0])(0, as: Int.self)
    }

    public func lastSurfaces(of taskIDs: [UUID], in tenantID: UUID) async throws -> [UUID: String] {
        guard !taskIDs.isEmpty else { return [:] }
        var surfaces: [UUID: String] = [:]
        for row in try await rows(
            """
            SELECT tasks.id, (SELECT surface FROM audit_entries WHERE audit_entries.task_id = tasks.id ORDER BY version DESC LIMIT 1)
            FROM tasks WHERE tenant_id = \(tenantID) AND id = ANY(\(taskIDs))
            """
        ) {
            let cells = Cells(row)
            if let surface = try cells(1, as: String?.self) { surfaces[try cells(0, as: UUID.self)] = surface }
        }
        return surfaces
    }

    static func filter(_ query: TaskQuery, in tenantID: UUID) -> Filter {
        var filter = Filter()
        filter.add("tenant_id = ", tenantID)
        filter.add("deleted_at IS NULL")
        if let completed = query.completed { filter.add("completed = ", completed) }
        if let assignee = query.assigneeID {
            let placeholder = filter.bind(assignee)
            filter.add("(assignee_user_id = \(placeholder) OR assignee_team_id = \(placeholder))")
        }
        if let status = query.status { filter.add("upper(status) = upper(\(filter.bind(status)))") }
        if let subject = query.subjectID { filter.add("subject_id = ", subject) }
        if let scope = query.scopeID { filter.add("scope_id = ", scope) }
        if let responsible = query.responsibleID { filter.add("responsible_id = ", responsible) }
        if let text = query.titleContains { filter.add("strpos(lower(title), lower(\(filter.bind(text)))) > 0") }
        if let dueBefore = query.dueBefore { filter.add("due_at < ", dueBefore.microseconds) }
        if let dueAfter = query.dueAfter { filter.add("due_at >= ", dueAfter.microseconds) }
        if let updatedSince = query.updatedSince { filter.add("updated_at >= ", updatedSince.microseconds) }
        return filter
    }

    static func column(_ key: TaskOrder.Key) -> String {
        switch key {
        case .number: "number"
        case .title: "lower(title)"
        case .dueAt: "due_at"
        case .completed: "completed"
        case .createdAt: "created_at"
        case .updatedAt: "updated_at"
        }
    }

    /// Applies a mutation in one round trip when this server knows the task (`RecentTasks`), in
    /// two otherwise: one reads the task (and the tenant's webhooks), one statement writes the new
    /// row with a conditional `UPDATE … WHERE version = n AND updated_at = t` together with its
    /// audit entry and outbox messages. When another server changed the task in between, that
    /// statement writes nothing, and the mutation is tried again on what is there now, so a
    /// precondition is checked against the latest version.
    public func apply(_ mutation: TaskMutation) async throws -> TaskRecord {
        if let known = recentTasks.record(mutation.task, in: mutation.tenantID), let written = try await apply(mutation, toKnown: known) {
            return written
        }
        let logger = logger
        while true {
            let outcome: TaskRecord? = try await retrying {
                try await pooled { [self, logger] connection in
                    guard let row = try await Self.taskRow(mutation.task, in: mutation.tenantID, connection, logger) else {
                        throw TaskportError.notFound("Task not found")
                    }
                    let current = try TaskRow.record(row)
                    guard let commit = try TaskEngine.commit(mutation, to: current, at: .now()) else { return current }
                    try await Self.checkReferences(
                        of: commit.record.content, changedFrom: current.content, in: mutation.tenantID, connection, logger
                    )
                    let webhooks = try Cells(row)(TaskRow.columnCount, as: [UUID].self)
                    let messages = mutation.outbox + Self.webhookMessages(for: commit, actor: mutation.actor, endpoints: webhooks)
                    let written = try await connection.rows(
                        try UpdateTask(commit: commit, expected: current, actor: mutation.actor, comment: mutation.comment, messages: messages),
                        logger
                    )
                    guard !written.isEmpty else { return nil }
                    metrics.taskWrites.increment()
                    return commit.record
                }
            }
            if let outcome {
                remember(outcome, deleted: mutation.kind.isDelete)
                TaskTouch.note(outcome.id)
                return outcome
            }
        }
    }

    /// The mutation written in one statement, computed from the task as this server last saw it;
    /// nil, with the task forgotten, when the engine refuses it or makes no change there (the
    /// answer must come from the task as stored) or the task is no longer as it was seen.
    private func apply(_ mutation: TaskMutation, toKnown known: TaskRecord) async throws -> TaskRecord? {
        guard let commit = (try? TaskEngine.commit(mutation, to: known, at: .now())) ?? nil else {
            recentTasks.forget(known)
            return nil
        }
        let logger = logger
        let tenantID = mutation.tenantID
        let webhooks = try await directoryCache.value(.webhooks(tenant: tenantID)) { [self] in
            try await translatingErrors {
                try await pooled { connection in
                    try await connection.rows(TenantWebhooks(tenantID: tenantID), logger).map { try Cells($0)(0, as: UUID.self) }
                }
            }
        } ?? []
        let messages = mutation.outbox + Self.webhookMessages(for: commit, actor: mutation.actor, endpoints: webhooks)
        let statement = try UpdateTask(commit: commit, expected: known, actor: mutation.actor, comment: mutation.comment, messages: messages)
        let written = try await retrying {
            try await pooled { [logger] connection in
                try await Self.checkReferences(of: commit.record.content, changedFrom: known.content, in: tenantID, connection, logger)
                return try await connection.rows(statement, logger)
            }
        }
        guard !written.isEmpty else {
            recentTasks.forget(known)
            return nil
        }
        metrics.taskWrites.increment()
        remember(commit.record, deleted: mutation.kind.isDelete)
        TaskTouch.note(commit.record.id)
        return commit.record
    }

    /// Keeps a task this server has just seen as stored, or forgets it once it is deleted.
    func remember(_ record: TaskRecord, deleted: Bool = false) {
        if deleted { recentTasks.forget(record) } else { recentTasks.keep(record) }
    }

    public func history(of reference: TaskReference, in tenantID: UUID) async throws -> [AuditEntry]? {
        try await pooled { [self, logger] connection in
            try await translatingErrors {
                guard let task = try await Self.fetchTask(reference, in: tenantID, connection, logger) else { return nil }
                return try await connection.rows(
                    """
                    SELECT id, version, action, at, actor_id, actor_name, surface, changes, comment
                    FROM audit_entries WHERE task_id = \(task.id) ORDER BY version
                    """,
                    logger
                ).map { row in
                    let cells = Cells(row)
                    return AuditEntry(
                        id: try cells(0), taskID: task.id, version: try cells(1),
                        action: AuditAction(rawValue: try cells(2)) ?? .updated, at: try cells.timestamp(3),
                        actor: Actor(userID: try cells(4), name: try cells(5), surface: try cells(6)),
                        changes: try StoredJSON.decode([FieldChange].self, from: try cells(7)), comment: try cells(8)
                    )
                }
            }
        }
    }

    /// Whether the database answers a query within two seconds.
    public func isReady() async -> Bool {
        let answered = try? await Deadline.result(within: .seconds(2)) { [self] in
            try await rows("SELECT 1").first.map { try Cells($0)(0, as: Int.self) }
        }
        return answered == 1
    }

    // MARK: Inside a transaction

    static func fetchTask(
        _ reference: TaskReference, in tenantID: UUID, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> TaskRecord? {
        try await taskRow(reference, in: tenantID, connection, logger).map(TaskRow.record)
    }

    /// The task's row, with its tenant's webhooks after its columns.
    static func taskRow(
        _ reference: TaskReference, in tenantID: UUID, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> PostgresRow? {
        switch reference {
        case .id(let id): try await connection.rows(TaskByID(id: id, tenantID: tenantID), logger).first
        case .number(let number): try await connection.rows(TaskByNumber(number: number, tenantID: tenantID), logger).first
        }
    }

    /// Users, teams and activities a task names must belong to its tenant; only references that
    /// differ from `previous` are looked up.
    static func checkReferences(
        of content: TaskContent, changedFrom previous: TaskContent? = nil, in tenantID: UUID,
        _ connection: PostgresConnection, _ logger: Logger
    ) async throws {
        var problems: [FieldProblem] = []
        func exists(_ table: String, _ id: UUID) async throws -> Bool {
            try await !connection.rows(
                PostgresQuery(unsafeSQL: "SELECT 1 FROM \(table) WHERE id = $1 AND tenant_id = $2", binds: Filter.binds(id, tenantID)), logger
            ).isEmpty
        }
        if let assignee = content.assignee, assignee != previous?.assignee,
            try await !exists(assignee.kind == .user ? "users" : "teams", assignee.id)
        {
            problems.append(FieldProblem(.assignee, "no \(assignee.kind.rawValue) \(assignee.id.text) in this tenant"))
        }
        if let responsible = content.responsibleID, responsible != previous?.responsibleID, try await !exists("users", responsible) {
            problems.append(FieldProblem(.responsibleId, "no user \(responsible.text) in this tenant"))
        }
        if let activity = content.activityID, activity != previous?.activityID, try await !exists("activities", activity) {
            problems.append(FieldProblem(.activityId, "no activity \(activity.text) in this tenant"))
        }
        if let assigner = content.assignedByID, assigner != previous?.assignedByID, try await !exists("users", assigner) {
            problems.append(FieldProblem(.assignedById, "no user \(assigner.text) in this tenant"))
        }
        if !problems.isEmpty { throw TaskportError.invalid(problems) }
    }

    /// One message per live webhook of the tenant: the event, the task and its changed fields.
    static func webhookMessages(for commit: TaskCommit, actor: Actor, endpoints: [UUID]) -> [OutboxMessage] {
        guard !endpoints.isEmpty else { return [] }
        let event = TaskEvent(commit).name
        return endpoints.map { endpoint in
            let id = UUID()
            return OutboxMessage(
                id: id, channel: .webhook, recipient: endpoint.text, event: event,
                payload: TaskEvent.payload(id: id, event: event, commit: commit, actor: actor)
            )
        }
    }
}

/// A WHERE clause built one condition at a time, with its bound values.
struct Filter {
    private(set) var conditions: [String] = []
    private(set) var binds = PostgresBindings()

    var sql: String { conditions.joined(separator: " AND ") }

    /// Binds a value and returns its placeholder.
    mutating func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    mutating func add(_ condition: String) {
        conditions.append(condition)
    }

    /// Adds `condition` followed by the placeholder of `value`, as in `add("number > ", 10)`.
    mutating func add(_ condition: String, _ value: some PostgresDynamicTypeEncodable) {
        conditions.append(condition + bind(value))
    }

    static func binds(_ values: any PostgresDynamicTypeEncodable...) -> PostgresBindings {
        var binds = PostgresBindings()
        for value in values { binds.append(value) }
        return binds
    }
}

extension UUID {
    var text: String { lowercasedText }
}

// MARK: - The task row

/// The mapping between `TaskRecord` and a row of `tasks`.
enum TaskRow {
    static let content = [
        "title", "notes", "type", "status", "priority", "completed", "due_at", "time_zone", "subject_id",
        "scope_id", "assignee_user_id", "assignee_team_id", "responsible_id", "attachments", "metadata",
        "notify_by_email", "reminded", "visible_to_everyone", "assigned_by_id", "assignment_comment", "activity_id",
        "list_item_id", "external_id",
    ]
    static let columns = ["number", "id", "tenant_id", "creator_id", "version", "created_at", "updated_at", "updated_by"] + content
    static let select = columns.joined(separator: ", ")
    static var columnCount: Int { columns.count }
    /// `select`, then the ids of the live webhooks of the task's tenant, for the write path.
    private static let selectWithWebhooks = select + ", ARRAY(SELECT w.id FROM webhooks w WHERE w.tenant_id = tasks.tenant_id AND w.deleted_at IS NULL)"

    /// The live task of tenant `$2` whose unique `key` (`id = $1` or `number = $1`) matches, with its
    /// tenant's webhook ids. The key alone finds the row, through its unique index, and the tenant is
    /// checked on that one row: `OFFSET 0` keeps the planner from folding the tenant into the scan.
    /// Folded, a prepared statement's generic plan on a table without statistics yet (after a bulk
    /// load) scanned the tenant's due-date index and filtered every task of the tenant — PATCH at 64
    /// connections went from 2,100/s to 700/s until autovacuum analyzed the table.
    static func liveTask(where key: String) -> String {
        "SELECT \(selectWithWebhooks) FROM (SELECT * FROM tasks WHERE \(key) OFFSET 0) AS tasks WHERE tenant_id = $2 AND deleted_at IS NULL"
    }

    /// Binds the values of `content`'s columns, in order.
    static func bind(_ task: TaskContent, _ documents: WriteDocuments, to binds: inout PostgresBindings) {
        binds.append(task.title)
        binds.append(task.notes)
        binds.append(task.type)
        binds.append(task.status)
        binds.append(task.priority)
        binds.append(task.completed)
        binds.append(task.dueAt?.microseconds)
        binds.append(task.timeZone)
        binds.append(task.subjectID)
        binds.append(task.scopeID)
        binds.append(task.assignee?.kind == .user ? task.assignee?.id : nil)
        binds.append(task.assignee?.kind == .team ? task.assignee?.id : nil)
        binds.append(task.responsibleID)
        binds.append(documents.attachments)
        binds.append(documents.metadata)
        binds.append(task.notifyByEmail)
        binds.append(task.reminded)
        binds.append(task.visibleToEveryone)
        binds.append(task.assignedByID)
        binds.append(task.assignmentComment)
        binds.append(task.activityID)
        binds.append(task.listItemID)
        binds.append(task.externalID)
    }

    /// Reads a row selected with `select`, by position.
    static func record(_ row: PostgresRow) throws -> TaskRecord {
        let cells = Cells(row)
        var content = TaskContent(title: try cells(8))
        content.notes = try cells(9)
        content.type = try cells(10)
        content.status = try cells(11)
        content.priority = try cells(12)
        content.completed = try cells(13)
        content.dueAt = try cells(14, as: Int64?.self).map(Timestamp.init(microseconds:))
        content.timeZone = try cells(15)
        content.subjectID = try cells(16)
        content.scopeID = try cells(17)
        if let user = try cells(18, as: UUID?.self) {
            content.assignee = .user(user)
        } else if let team = try cells(19, as: UUID?.self) {
            content.assignee = .team(team)
        }
        content.responsibleID = try cells(20)
        content.attachments = try StoredJSON.decode([String].self, from: try cells(21))
        content.metadata = try StoredJSON.decode(JSONObject.self, from: try cells(22))
        content.notifyByEmail = try cells(23)
        content.reminded = try cells(24)
        content.visibleToEveryone = try cells(25)
        content.assignedByID = try cells(26)
        content.assignmentComment = try cells(27)
        content.activityID = try cells(28)
        content.listItemID = try cells(29)
        content.externalID = try cells(30)
        return TaskRecord(
            id: try cells(1), number: try cells(0), tenantID: try cells(2), creatorID: try cells(3), content: content,
            version: try cells(4), createdAt: try cells.timestamp(5), updatedAt: try cells.timestamp(6), updatedBy: try cells(7)
        )
    }
}

// MARK: - Prepared statements of the read and write paths

/// A live task by id, with the ids of its tenant's live webhooks after its columns (the write path
/// needs them; a read ignores them).
struct TaskByID: RowsStatement {
    static let sql = TaskRow.liveTask(where: "id = $1")
    var id: UUID
    var tenantID: UUID
    func makeBindings() -> PostgresBindings { Filter.binds(id, tenantID) }
}

/// The same, by number.
struct TaskByNumber: RowsStatement {
    static let sql = TaskRow.liveTask(where: "number = $1")
    var number: Int64
    var tenantID: UUID
    func makeBindings() -> PostgresBindings { Filter.binds(number, tenantID) }
}

struct TenantWebhooks: RowsStatement {
    static let sql = "SELECT id FROM webhooks WHERE tenant_id = $1 AND deleted_at IS NULL"
    var tenantID: UUID
    func makeBindings() -> PostgresBindings { Filter.binds(tenantID) }
}

/// What follows the task row in the one statement that writes a change: its audit entry and its
/// outbox messages, both only if the row was written (the CTE `changed`, returning `id, tenant_id,
/// number`). Thirteen parameters from `first` on.
enum ChangeRecord {
    static func sql(from first: Int) -> String {
        let p = (first..<(first + 13)).map { "$\($0)" }
        return """
            , audit AS (
                INSERT INTO audit_entries (tenant_id, task_id, version, action, at, actor_id, actor_name, surface, changes, comment)
                SELECT tenant_id, id, \(p[0])::bigint, \(p[1])::text, \(p[2])::bigint, \(p[3])::uuid, \(p[4])::text, \(p[5])::text,
                    \(p[6])::text, \(p[7])::text
                FROM changed
            ), outbox AS (
                INSERT INTO outbox_messages (id, tenant_id, task_id, channel, recipient, event, payload, created_at, available_at)
                SELECT m.id, c.tenant_id, c.id, m.channel, m.recipient, m.event, m.payload, \(p[2])::bigint, \(p[2])::bigint
                FROM changed c,
                    unnest(\(p[8])::uuid[], \(p[9])::text[], \(p[10])::text[], \(p[11])::text[], \(p[12])::text[])
                        AS m(id, channel, recipient, event, payload)
            )
            SELECT number FROM changed
            """
    }

    static func bind(
        _ commit: TaskCommit, actor: Actor, comment: String?, messages: [OutboxMessage], _ documents: WriteDocuments, to binds: inout PostgresBindings
    ) {
        let record = commit.record
        binds.append(record.version)
        binds.append(commit.action.rawValue)
        binds.append(record.updatedAt.microseconds)
        binds.append(actor.userID)
        binds.append(actor.name)
        binds.append(actor.surface)
        binds.append(documents.changes)
        binds.append(comment)
        binds.append(messages.map(\.id))
        binds.append(messages.map(\.channel.rawValue))
        binds.append(messages.map(\.recipient))
        binds.append(messages.map(\.event))
        binds.append(documents.payloads)
    }
}

/// Inserts a task with its `created` audit entry and its outbox messages, in one statement.
struct CreateTask: RowsStatement {
    static let sql: String = {
        let placeholders = (7..<(7 + TaskRow.content.count)).map { "$\($0)" }.joined(separator: ", ")
        return """
            WITH changed AS (
                INSERT INTO tasks (id, tenant_id, creator_id, version, created_at, updated_at, updated_by, \(TaskRow.content.joined(separator: ", ")))
                VALUES ($1, $2, $3, 1, $4, $5, $6, \(placeholders)) RETURNING id, tenant_id, number
            )
            """ + ChangeRecord.sql(from: 7 + TaskRow.content.count)
    }()
    var commit: TaskCommit
    var actor: Actor
    var messages: [OutboxMessage]
    let documents: WriteDocuments

    init(commit: TaskCommit, actor: Actor, messages: [OutboxMessage]) throws {
        self.commit = commit
        self.actor = actor
        self.messages = messages
        documents = try WriteDocuments(commit, messages: messages)
    }

    func makeBindings() -> PostgresBindings {
        let record = commit.record
        var binds = Filter.binds(record.id, record.tenantID)
        binds.append(record.creatorID)
        binds.append(record.createdAt.microseconds)
        binds.append(record.updatedAt.microseconds)
        binds.append(record.updatedBy)
        TaskRow.bind(record.content, documents, to: &binds)
        ChangeRecord.bind(commit, actor: actor, comment: nil, messages: messages, documents, to: &binds)
        return binds
    }
}

/// Writes a change only if the task is still at the version it was read at, with its audit entry
/// and outbox messages, in one statement; no row comes back when another writer came first.
struct UpdateTask: RowsStatement {
    static let sql: String = {
        let assignments = TaskRow.content.enumerated().map { "\($1) = $\($0 + 5)" }.joined(separator: ", ")
        let next = TaskRow.content.count + 5
        return """
            WITH changed AS (
                UPDATE tasks SET version = $1, updated_at = $2, deleted_at = $3, updated_by = $4, \(assignments)
                WHERE number = $\(next) AND version = $\(next + 1) AND updated_at = $\(next + 2) RETURNING id, tenant_id, number
            )
            """ + ChangeRecord.sql(from: next + 3)
    }()
    var commit: TaskCommit
    /// The task the change was computed from: it is written only where the row still has that
    /// version and update time (the time tells apart two versions of one number, as a snapshot's
    /// restore can make).
    var expected: TaskRecord
    var actor: Actor
    var comment: String?
    var messages: [OutboxMessage]
    let documents: WriteDocuments

    init(commit: TaskCommit, expected: TaskRecord, actor: Actor, comment: String?, messages: [OutboxMessage]) throws {
        self.commit = commit
        self.expected = expected
        self.actor = actor
        self.comment = comment
        self.messages = messages
        documents = try WriteDocuments(commit, messages: messages)
    }

    func makeBindings() -> PostgresBindings {
        let record = commit.record
        var binds = Filter.binds(record.version, record.updatedAt.microseconds)
        binds.append(commit.action == .deleted ? record.updatedAt.microseconds : nil)
        binds.append(record.updatedBy)
        TaskRow.bind(record.content, documents, to: &binds)
        binds.append(record.number)
        binds.append(expected.version)
        binds.append(expected.updatedAt.microseconds)
        ChangeRecord.bind(commit, actor: actor, comment: comment, messages: messages, documents, to: &binds)
        return binds
    }
}

/// The JSON texts a task write stores, encoded before its statement is bound: encoding can
/// fail, binding cannot.
struct WriteDocuments {
    var attachments: String
    var metadata: String
    var changes: String
    var payloads: [String]

    init(_ commit: TaskCommit, messages: [OutboxMessage]) throws {
        attachments = try StoredJSON.encode(commit.record.content.attachments)
        metadata = try StoredJSON.encode(commit.record.content.metadata)
        changes = try StoredJSON.encode(commit.changes)
        payloads = try messages.map { try StoredJSON.encode($0.payload) }
    }
}
