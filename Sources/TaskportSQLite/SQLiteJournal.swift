import Foundation
import GRDB
import TaskportCore

extension SQLiteStore: JournalStore {
    static let journalColumns = """
        id, tenant_id, at, request_id, surface, method, target, route, status, latency_us, credential, user_number, task_id,
        request_headers, response_headers, request_body, request_length, request_truncated, response_body, response_length, response_truncated, fault
        """

    public func appendJournal(_ entries: [JournalEntry]) async throws {
        guard !entries.isEmpty else { return }
        let rows = entries.map { entry -> StatementArguments in
            [
                entry.tenantID.text, entry.at.microseconds, entry.requestID, entry.surface, entry.method, entry.target, entry.route, entry.status,
                entry.latencyMicroseconds, entry.credential, entry.userNumber, entry.taskID?.text,
                JournalEntry.Header.stored(entry.requestHeaders), JournalEntry.Header.stored(entry.responseHeaders),
                entry.requestBody.text, entry.requestBody.length, (entry.requestBody.truncated ? 1 : 0) | (entry.responseBody.truncated ? 2 : 0),
                entry.responseBody.text, entry.responseBody.length, entry.fault,
            ]
        }
        try await writer.write { db in
            // Twenty parameters, the two truncation flags sharing one: GRDB binds up to twenty values
            // in place, and past that copies every string, the bodies most of all.
            let statement = try db.cachedStatement(
                sql: """
                    INSERT INTO journal_entries (
                        tenant_id, at, request_id, surface, method, target, route, status, latency_us, credential, user_number, task_id,
                        request_headers, response_headers, request_body, request_length, request_truncated,
                        response_body, response_length, response_truncated, fault)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17 & 1, ?18, ?19, (?17 >> 1) & 1, ?20)
                    """
            )
            for arguments in rows { try statement.execute(arguments: arguments) }
        }
    }

    public func journal(in tenantID: UUID, matching query: JournalQuery) async throws -> [JournalEntry] {
        var conditions = ["tenant_id = ?"]
        var arguments: StatementArguments = [tenantID.text]
        func add(_ condition: String, _ value: some DatabaseValueConvertible) {
            conditions.append(condition)
            arguments += [value]
        }
        if let surface = query.surface { add("surface = ?", surface) }
        if let status = query.status { add("status = ?", status) }
        if let statusClass = query.statusClass { add("status / 100 = ?", statusClass) }
        if let prefix = query.pathPrefix { add("instr(target, ?) = 1", prefix) }
        if let since = query.since { add("at >= ?", since.microseconds) }
        if let until = query.until { add("at < ?", until.microseconds) }
        if let taskID = query.taskID { add("task_id = ?", taskID.text) }
        if let before = query.before { add("id < ?", before) }
        if let after = query.after { add("id > ?", after) }
        let order = query.after == nil ? "DESC" : "ASC"
        return try await writer.read { [arguments, conditions] db in
            try Row.fetchAll(
                db,
                sql: "SELECT \(Self.journalColumns) FROM journal_entries WHERE \(conditions.joined(separator: " AND ")) ORDER BY id \(order) LIMIT ?",
                arguments: arguments + [query.limit]
            ).map(Self.journalEntry)
        }
    }

    public func journalEntry(_ id: Int64, in tenantID: UUID) async throws -> JournalEntry? {
        try await writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT \(Self.journalColumns) FROM journal_entries WHERE id = ? AND tenant_id = ?", arguments: [id, tenantID.text]
            ).map(Self.journalEntry)
        }
    }

    public func pruneJournal(keep: Int, before: Timestamp, limit: Int) async throws -> Int {
        try await writer.write { db in
            // Old entries come first by id: only the first `limit` are read.
            try db.execute(
                sql: """
                    DELETE FROM journal_entries WHERE id IN (
                        SELECT id FROM (SELECT id, at FROM journal_entries ORDER BY id LIMIT ?) WHERE at < ?)
                    """,
                arguments: [limit, before.microseconds]
            )
            var removed = db.changesCount
            for tenant in try String.fetchAll(db, sql: "SELECT id FROM tenants") where removed < limit {
                // The newest entry past the tenant's `keep`, and everything before it.
                guard let last = try Int64.fetchOne(
                    db, sql: "SELECT id FROM journal_entries WHERE tenant_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?", arguments: [tenant, keep]
                ) else { continue }
                try db.execute(
                    sql: """
                        DELETE FROM journal_entries WHERE id IN (
                            SELECT id FROM journal_entries WHERE tenant_id = ? AND id <= ? ORDER BY id LIMIT ?)
                        """,
                    arguments: [tenant, last, limit - removed]
                )
                removed += db.changesCount
            }
            return removed
        }
    }

    static func journalEntry(_ row: Row) throws -> JournalEntry {
        JournalEntry(
            id: row["id"], tenantID: try storedUUID(row["tenant_id"]), at: Timestamp(microseconds: row["at"]), requestID: row["request_id"],
            surface: row["surface"], method: row["method"], target: row["target"], route: row["route"], status: row["status"],
            latencyMicroseconds: row["latency_us"], credential: row["credential"], userNumber: row["user_number"],
            requestHeaders: try StoredJSON.decode([JournalEntry.Header].self, from: row["request_headers"]),
            responseHeaders: try StoredJSON.decode([JournalEntry.Header].self, from: row["response_headers"]),
            requestBody: JournalEntry.Body(text: row["request_body"], length: row["request_length"], truncated: row["request_truncated"]),
            responseBody: JournalEntry.Body(text: row["response_body"], length: row["response_length"], truncated: row["response_truncated"]),
            taskID: (row["task_id"] as String?).flatMap { UUID(uuidString: $0) }, fault: row["fault"]
        )
    }
}
