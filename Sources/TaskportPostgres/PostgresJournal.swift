import Foundation
import PostgresNIO
import TaskportCore

extension PostgresStore: JournalStore {
    static let journalColumns = """
        id, tenant_id, at, request_id, surface, method, target, route, status, latency_us, credential, user_number, task_id,
        request_headers, response_headers, request_body, request_length, request_truncated, response_body, response_length, response_truncated, fault
        """

    /// One statement for the whole batch: a row of placeholders per entry.
    public func appendJournal(_ entries: [JournalEntry]) async throws {
        guard !entries.isEmpty else { return }
        var binds = PostgresBindings()
        var rows: [String] = []
        for entry in entries {
            let first = binds.count + 1
            binds.append(entry.tenantID)
            binds.append(entry.at.microseconds)
            binds.append(entry.requestID)
            binds.append(entry.surface)
            binds.append(entry.method)
            binds.append(entry.target)
            binds.append(entry.route)
            binds.append(Int64(entry.status))
            binds.append(entry.latencyMicroseconds)
            binds.append(entry.credential)
            binds.append(entry.userNumber)
            binds.append(entry.taskID)
            binds.append(JournalEntry.Header.stored(entry.requestHeaders))
            binds.append(JournalEntry.Header.stored(entry.responseHeaders))
            binds.append(entry.requestBody.text)
            binds.append(Int64(entry.requestBody.length))
            binds.append(entry.requestBody.truncated)
            binds.append(entry.responseBody.text)
            binds.append(Int64(entry.responseBody.length))
            binds.append(entry.responseBody.truncated)
            binds.append(entry.fault)
            rows.append("(" + (first..<first + 21).map { "$\($0)" }.joined(separator: ", ") + ")")
        }
        try await execute(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO journal_entries (
                        tenant_id, at, request_id, surface, method, target, route, status, latency_us, credential, user_number, task_id,
                        request_headers, response_headers, request_body, request_length, request_truncated,
                        response_body, response_length, response_truncated, fault)
                    VALUES \(rows.joined(separator: ", "))
                    """,
                binds: binds
            )
        )
    }

    public func journal(in tenantID: UUID, matching query: JournalQuery) async throws -> [JournalEntry] {
        var filter = Filter()
        filter.add("tenant_id = ", tenantID)
        if let surface = query.surface { filter.add("surface = ", surface) }
        if let status = query.status { filter.add("status = ", Int64(status)) }
        if let statusClass = query.statusClass { filter.add("status / 100 = ", Int64(statusClass)) }
        if let prefix = query.pathPrefix { filter.add("starts_with(target, \(filter.bind(prefix)))") }
        if let since = query.since { filter.add("at >= ", since.microseconds) }
        if let until = query.until { filter.add("at < ", until.microseconds) }
        if let taskID = query.taskID { filter.add("task_id = ", taskID) }
        if let before = query.before { filter.add("id < ", before) }
        if let after = query.after { filter.add("id > ", after) }
        let order = query.after == nil ? "DESC" : "ASC"
        return try await rows(
            PostgresQuery(
                unsafeSQL: "SELECT \(Self.journalColumns) FROM journal_entries WHERE \(filter.sql) ORDER BY id \(order) LIMIT \(max(query.limit, 0))",
                binds: filter.binds
            )
        ).map(Self.journalEntry)
    }

    public func journalEntry(_ id: Int64, in tenantID: UUID) async throws -> JournalEntry? {
        try await rows(
            "SELECT \(unescaped: Self.journalColumns) FROM journal_entries WHERE id = \(id) AND tenant_id = \(tenantID)"
        ).first.map(Self.journalEntry)
    }

    public func pruneJournal(keep: Int, before: Timestamp, limit: Int) async throws -> Int {
        // Old entries come first by id: only the first `limit` are read.
        var removed = try await rows(
            """
            DELETE FROM journal_entries WHERE id IN (
                SELECT id FROM (SELECT id, at FROM journal_entries ORDER BY id LIMIT \(limit)) AS oldest WHERE at < \(before.microseconds))
            RETURNING 1
            """
        ).count
        for row in try await rows("SELECT id FROM tenants") where removed < limit {
            let tenant = try Cells(row)(0, as: UUID.self)
            // The newest entry past the tenant's `keep`, and everything before it.
            guard let last = try await rows(
                "SELECT id FROM journal_entries WHERE tenant_id = \(tenant) ORDER BY id DESC LIMIT 1 OFFSET \(keep)"
            ).first.map({ try Cells($0)(0, as: Int64.self) }) else { continue }
            removed += try await rows(
                """
                DELETE FROM journal_entries WHERE id IN (
                    SELECT id FROM journal_entries WHERE tenant_id = \(tenant) AND id <= \(last) ORDER BY id LIMIT \(limit - removed))
                RETURNING 1
                """
            ).count
        }
        return removed
    }

    static func journalEntry(_ row: PostgresRow) throws -> JournalEntry {
        let cells = Cells(row)
        return JournalEntry(
            id: try cells(0), tenantID: try cells(1), at: Timestamp(microseconds: try cells(2)), requestID: try cells(3),
            surface: try cells(4), method: try cells(5), target: try cells(6), route: try cells(7), status: Int(try cells(8, as: Int64.self)),
            latencyMicroseconds: try cells(9), credential: try cells(10), userNumber: try cells(11),
            requestHeaders: try StoredJSON.decode([JournalEntry.Header].self, from: try cells(13)),
            responseHeaders: try StoredJSON.decode([JournalEntry.Header].self, from: try cells(14)),
            requestBody: JournalEntry.Body(text: try cells(15), length: Int(try cells(16, as: Int64.self)), truncated: try cells(17)),
            responseBody: JournalEntry.Body(text: try cells(18), length: Int(try cells(19, as: Int64.self)), truncated: try cells(20)),
            taskID: try cells(12), fault: try cells(21)
        )
    }
}
