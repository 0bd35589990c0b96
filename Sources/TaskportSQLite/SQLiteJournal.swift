import Foundation
import GRDB
import TaskportCore

extension SQLiteStore: JournalStore {
    static let journalColumns = """
        id, tenant_id, at, request_id, surface, method, target, route, status, latency_us, credential, user_number, task_id,
        request_headers, response_headers, request_body, request_length, request_truncated, response_body, response_length, response_truncated, fault
        """

    /// The most rows one of the journal's transactions writes or removes. The journal shares the
    /// writer with group commit, and a quarter of a second's entries at a few thousand requests a
    /// second, or ten seconds' worth to prune, is tens of milliseconds of work: in transactions of
    /// this size (about a millisecond each), task writes waiting for the writer get it between two
    /// of them instead of after all.
    static let journalTransactionRows = 64

    /// Runs `body` in a transaction of its own on the writer, not synced (`synchronous=NORMAL`).
    /// Journal entries wait in memory for up to a quarter of a second before they are written at
    /// all, so a sync for each of the journal's transactions would only add to what task writes
    /// wait for. The next task commit's sync (`synchronous=FULL`) makes them durable with it; a
    /// crash of the machine before that can lose them, never the store's consistency (WAL). The
    /// connection's own setting is back before the writer takes another write.
    private func journalTransaction<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await writer.writeWithoutTransaction { db in
            let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? 2
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            var result: Result<T, any Error> = .failure(CancellationError())
            do {
                try db.inTransaction {
                    result = .success(try body(db))
                    return .commit
                }
            } catch {
                result = .failure(error)
            }
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            return try result.get()
        }
    }

    public func appendJournal(_ entries: [JournalEntry]) async throws {
        let rows = entries.map { entry -> [DatabaseValue] in
            [
                entry.tenantID.text.databaseValue, entry.at.microseconds.databaseValue, entry.requestID.databaseValue,
                entry.surface.databaseValue, entry.method.databaseValue, entry.target.databaseValue, entry.route.databaseValue,
                entry.status.databaseValue, entry.latencyMicroseconds.databaseValue, entry.credential.databaseValue,
                entry.userNumber.databaseValue, entry.taskID?.text.databaseValue ?? .null,
                JournalEntry.Header.stored(entry.requestHeaders).databaseValue, JournalEntry.Header.stored(entry.responseHeaders).databaseValue,
                entry.requestBody.text.databaseValue, entry.requestBody.length.databaseValue,
                ((entry.requestBody.truncated ? 1 : 0) | (entry.responseBody.truncated ? 2 : 0)).databaseValue,
                entry.responseBody.text.databaseValue, entry.responseBody.length.databaseValue, entry.fault.databaseValue,
            ]
        }
        for start in stride(from: 0, to: rows.count, by: Self.journalTransactionRows) {
            let part = rows[start..<min(start + Self.journalTransactionRows, rows.count)]
            try await journalTransaction { db in
                // Twenty parameters, the two truncation flags sharing one.
                let statement = try db.cachedStatement(
                    sql: """
                        INSERT INTO journal_entries (
                            tenant_id, at, request_id, surface, method, target, route, status, latency_us, credential, user_number, task_id,
                            request_headers, response_headers, request_body, request_length, request_truncated,
                            response_body, response_length, response_truncated, fault)
                        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17 & 1, ?18, ?19, (?17 >> 1) & 1, ?20)
                        """
                )
                for values in part { try statement.execute(values: values) }
            }
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
        var removed = 0
        // Runs `sql`, a `DELETE` of at most the count it is given, a journal transaction at a time,
        // until a transaction removes fewer than that or `limit` rows are gone.
        func removeInSteps(_ sql: String, _ arguments: @escaping @Sendable (Int) -> StatementArguments) async throws {
            while removed < limit {
                let count = min(Self.journalTransactionRows, limit - removed)
                let gone = try await journalTransaction { db in
                    try db.execute(sql: sql, arguments: arguments(count))
                    return db.changesCount
                }
                removed += gone
                if gone < count { return }
            }
        }
        // Entries past their age: old entries come first by id, so only the first few are read.
        try await removeInSteps(
            "DELETE FROM journal_entries WHERE id IN (SELECT id FROM (SELECT id, at FROM journal_entries ORDER BY id LIMIT ?) WHERE at < ?)"
        ) { count in [count, before.microseconds] }
        // Each tenant's entries past its newest `keep`: the newest of those found once, on a reader,
        // then removed with everything before it.
        let cutoffs = try await writer.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM tenants").compactMap { tenant -> (String, Int64)? in
                try Int64.fetchOne(
                    db, sql: "SELECT id FROM journal_entries WHERE tenant_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?", arguments: [tenant, keep]
                ).map { (tenant, $0) }
            }
        }
        for (tenant, last) in cutoffs {
            try await removeInSteps(
                "DELETE FROM journal_entries WHERE id IN (SELECT id FROM journal_entries WHERE tenant_id = ? AND id <= ? ORDER BY id LIMIT ?)"
            ) { count in [tenant, last, count] }
        }
        return removed
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
