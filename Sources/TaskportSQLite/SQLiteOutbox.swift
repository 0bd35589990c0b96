import Foundation
import GRDB
import TaskportCore

extension SQLiteStore: OutboxStore {
    public func claimMessages(
        channels: Set<OutboxMessage.Channel>, limit: Int, now: Timestamp, leaseUntil: Timestamp
    ) async throws -> [OutboxEntry] {
        let names = channels.map(\.rawValue).sorted()
        guard !names.isEmpty else { return [] }
        let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
        // One writer at a time: selecting and leasing in one write transaction cannot race another claim.
        return try await writer.write { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.outboxColumns) FROM outbox_messages
                    WHERE state = 'pending' AND available_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
                        AND channel IN (\(placeholders))
                    ORDER BY available_at, rowid LIMIT ?
                    """,
                arguments: StatementArguments([now.microseconds, now.microseconds]) + StatementArguments(names) + [limit]
            )
            let entries = try rows.map(Self.outboxEntry)
            for entry in entries {
                try db.execute(
                    sql: "UPDATE outbox_messages SET lease_until = ? WHERE id = ?",
                    arguments: [leaseUntil.microseconds, entry.message.id.text]
                )
            }
            return entries
        }
    }

    public func renewLeases(_ ids: [UUID], until leaseUntil: Timestamp) async throws {
        guard !ids.isEmpty else { return }
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ", ")
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE outbox_messages SET lease_until = ? WHERE state = 'pending' AND lease_until IS NOT NULL AND id IN (\(placeholders))",
                arguments: [leaseUntil.microseconds] + StatementArguments(ids.map(\.text))
            )
        }
    }

    public func markSent(_ id: UUID, at time: Timestamp) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE outbox_messages SET state = 'sent', sent_at = ?, lease_until = NULL WHERE id = ?",
                arguments: [time.microseconds, id.text]
            )
        }
    }

    public func markFailed(_ id: UUID, error: String, retryAt: Timestamp?) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE outbox_messages SET attempts = attempts + 1, last_error = ?, lease_until = NULL,
                        state = CASE WHEN ? IS NULL THEN 'dead' ELSE 'pending' END, available_at = coalesce(?, available_at)
                    WHERE id = ?
                    """,
                arguments: [String(error.prefix(2000)), retryAt?.microseconds, retryAt?.microseconds, id.text]
            )
        }
    }

    public func outboxMessages(in tenantID: UUID, matching query: OutboxQuery) async throws -> [OutboxEntry] {
        // Ids are stored as lower-case text, so text order is the id order PostgreSQL keeps too.
        let after = query.after
        return try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT \(Self.outboxColumns) FROM outbox_messages
                    WHERE tenant_id = ? AND (? IS NULL OR state = ?) AND (? IS NULL OR channel = ?) AND (? IS NULL OR task_id = ?)
                        AND (? IS NULL OR created_at > ? OR (created_at = ? AND id > ?))
                    ORDER BY created_at, id LIMIT ?
                    """,
                arguments: [
                    tenantID.text, query.state?.rawValue, query.state?.rawValue, query.channel?.rawValue, query.channel?.rawValue,
                    query.taskID?.text, query.taskID?.text, after?.createdAt.microseconds, after?.createdAt.microseconds,
                    after?.createdAt.microseconds, after?.id.text, query.limit,
                ]
            ).map(Self.outboxEntry)
        }
    }

    public func removeSentMessages(before: Timestamp, limit: Int) async throws -> Int {
        try await writer.write { db in
            try db.execute(
                sql: """
                    DELETE FROM outbox_messages WHERE rowid IN (
                        SELECT rowid FROM outbox_messages WHERE state = 'sent' AND sent_at < ? ORDER BY sent_at LIMIT ?)
                    """,
                arguments: [before.microseconds, limit]
            )
            return db.changesCount
        }
    }

    public func removeHistory(before: Timestamp, limit: Int) async throws -> Int {
        try await writer.write { db in
            try db.execute(
                // The oldest entries come first by id: only the first `limit` are read, so that a
                // history with nothing old costs one short range read, not a scan.
                sql: """
                    DELETE FROM audit_entries WHERE id IN (
                        SELECT id FROM (SELECT id, at FROM audit_entries ORDER BY id LIMIT ?) WHERE at < ?)
                    """,
                arguments: [limit, before.microseconds]
            )
            return db.changesCount
        }
    }

    public func retryMessage(_ id: UUID, in tenantID: UUID, at time: Timestamp) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE outbox_messages SET state = 'pending', attempts = 0, available_at = ?, lease_until = NULL
                    WHERE id = ? AND tenant_id = ? AND state != 'sent'
                    """,
                arguments: [time.microseconds, id.text, tenantID.text]
            )
            return db.changesCount > 0
        }
    }

    public func tasksOwingReminders(at now: Timestamp, limit: Int) async throws -> [TaskRecord] {
        try await writer.read { db in
            try Array(
                TaskRows(
                    db.makeStatement(
                        sql: """
                            SELECT \(TaskColumns.select) FROM tasks
                            WHERE notify_by_email = 1 AND reminded = 0 AND deleted_at IS NULL AND responsible_id IS NOT NULL AND due_at <= ?
                            ORDER BY due_at LIMIT ?
                            """
                    ),
                    arguments: [now.microseconds, limit]
                )
            )
        }
    }

    public func createWebhook(url: String, secret: String, in tenantID: UUID) async throws -> Webhook {
        let webhook = Webhook(id: UUID(), tenantID: tenantID, url: url, secret: secret, createdAt: .now())
        try await insert(unique: "the webhook exists already") { db in
            try db.execute(
                sql: "INSERT INTO webhooks (id, tenant_id, url, secret, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [webhook.id.text, tenantID.text, url, secret, webhook.createdAt.microseconds]
            )
        }
        return webhook
    }

    public func webhooks(in tenantID: UUID) async throws -> [Webhook] {
        try await fetchWebhooks(where: "tenant_id = ?", [tenantID.text])
    }

    public func webhook(_ id: UUID) async throws -> Webhook? {
        try await fetchWebhooks(where: "id = ?", [id.text]).first
    }

    public func deleteWebhook(_ id: UUID, in tenantID: UUID) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE webhooks SET deleted_at = ? WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL",
                arguments: [Timestamp.now().microseconds, id.text, tenantID.text]
            )
            return db.changesCount > 0
        }
    }

    private func fetchWebhooks(where condition: String, _ arguments: StatementArguments) async throws -> [Webhook] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, tenant_id, url, secret, created_at FROM webhooks WHERE \(condition) AND deleted_at IS NULL ORDER BY created_at, rowid",
                arguments: arguments
            ).map { row in
                Webhook(
                    id: try storedUUID(row["id"]), tenantID: try storedUUID(row["tenant_id"]), url: row["url"],
                    secret: row["secret"], createdAt: Timestamp(microseconds: row["created_at"])
                )
            }
        }
    }

    static let outboxColumns = "id, tenant_id, task_id, channel, recipient, event, payload, state, attempts, last_error, created_at, available_at"

    static func outboxEntry(_ row: Row) throws -> OutboxEntry {
        OutboxEntry(
            message: OutboxMessage(
                id: try storedUUID(row["id"]), channel: OutboxMessage.Channel(rawValue: row["channel"]) ?? .email,
                recipient: row["recipient"], event: row["event"], payload: try StoredJSON.decode(JSONObject.self, from: row["payload"])
            ),
            tenantID: try storedUUID(row["tenant_id"]),
            taskID: (row["task_id"] as String?).flatMap { UUID(text: $0) },
            state: OutboxState(rawValue: row["state"]) ?? .pending,
            attempts: row["attempts"], lastError: row["last_error"],
            createdAt: Timestamp(microseconds: row["created_at"]), availableAt: Timestamp(microseconds: row["available_at"])
        )
    }
}
