import Foundation
import PostgresNIO
import TaskportCore

extension PostgresStore: OutboxStore {
    /// Leases due messages with `FOR UPDATE SKIP LOCKED`: workers on other servers claiming at the
    /// same moment pass over the rows this one is taking instead of waiting for them, and a lease
    /// another worker committed is seen before a row is taken.
    public func claimMessages(
        channels: Set<OutboxMessage.Channel>, limit: Int, now: Timestamp, leaseUntil: Timestamp
    ) async throws -> [OutboxEntry] {
        let names = channels.map(\.rawValue).sorted()
        guard !names.isEmpty else { return [] }
        let claimed = try await rows(
            """
            UPDATE outbox_messages SET lease_until = \(leaseUntil.microseconds) WHERE id IN (
                SELECT id FROM outbox_messages
                WHERE state = 'pending' AND available_at <= \(now.microseconds)
                    AND (lease_until IS NULL OR lease_until <= \(now.microseconds)) AND channel = ANY(\(names))
                ORDER BY available_at, position LIMIT \(limit)
                FOR UPDATE SKIP LOCKED
            )
            RETURNING \(unescaped: Self.outboxColumns), position
            """
        )
        return try claimed
            .map { (entry: try Self.outboxEntry($0), position: try Cells($0)(12, as: Int64.self)) }
            .sorted { ($0.entry.availableAt, $0.position) < ($1.entry.availableAt, $1.position) }
            .map(\.entry)
    }

    public func renewLeases(_ ids: [UUID], until leaseUntil: Timestamp) async throws {
        guard !ids.isEmpty else { return }
        try await execute(
            "UPDATE outbox_messages SET lease_until = \(leaseUntil.microseconds) WHERE state = 'pending' AND lease_until IS NOT NULL AND id = ANY(\(ids))"
        )
    }

    public func markSent(_ id: UUID, at time: Timestamp) async throws {
        try await execute("UPDATE outbox_messages SET state = 'sent', sent_at = \(time.microseconds), lease_until = NULL WHERE id = \(id)")
    }

    public func markFailed(_ id: UUID, error: String, retryAt: Timestamp?) async throws {
        let message = String(error.prefix(2000))
        if let retryAt {
            try await execute(
                """
                UPDATE outbox_messages SET attempts = attempts + 1, last_error = \(message), lease_until = NULL,
                    available_at = \(retryAt.microseconds)
                WHERE id = \(id)
                """
            )
        } else {
            try await execute(
                """
                UPDATE outbox_messages SET attempts = attempts + 1, last_error = \(message), lease_until = NULL, state = 'dead'
                WHERE id = \(id)
                """
            )
        }
    }

    public func outboxMessages(in tenantID: UUID, matching query: OutboxQuery) async throws -> [OutboxEntry] {
        var filter = Filter()
        filter.add("tenant_id = ", tenantID)
        if let state = query.state { filter.add("state = ", state.rawValue) }
        if let channel = query.channel { filter.add("channel = ", channel.rawValue) }
        if let taskID = query.taskID { filter.add("task_id = ", taskID) }
        if let after = query.after {
            let createdAt = filter.bind(after.createdAt.microseconds)
            let id = filter.bind(after.id)
            filter.add("(created_at, id) > (\(createdAt), \(id))")
        }
        let limit = filter.bind(query.limit)
        return try await rows(
            PostgresQuery(
                unsafeSQL: "SELECT \(Self.outboxColumns) FROM outbox_messages WHERE \(filter.sql) ORDER BY created_at, id LIMIT \(limit)",
                binds: filter.binds
            )
        ).map(Self.outboxEntry)
    }

    public func removeSentMessages(before: Timestamp, limit: Int) async throws -> Int {
        try await rows(
            """
            DELETE FROM outbox_messages WHERE id IN (
                SELECT id FROM outbox_messages WHERE state = 'sent' AND sent_at < \(before.microseconds) ORDER BY sent_at LIMIT \(limit))
            RETURNING 1
            """
        ).count
    }

    public func removeHistory(before: Timestamp, limit: Int) async throws -> Int {
        try await rows(
            """
            DELETE FROM audit_entries WHERE id IN (
                SELECT id FROM (SELECT id, at FROM audit_entries ORDER BY id LIMIT \(limit)) AS oldest WHERE at < \(before.microseconds))
            RETURNING 1
            """
        ).count
    }

    public func retryMessage(_ id: UUID, in tenantID: UUID, at time: Timestamp) async throws -> Bool {
        try await !rows(
            """
            UPDATE outbox_messages SET state = 'pending', attempts = 0, available_at = \(time.microseconds), lease_until = NULL
            WHERE id = \(id) AND tenant_id = \(tenantID) AND state <> 'sent' RETURNING id
            """
        ).isEmpty
    }

    public func tasksOwingReminders(at now: Timestamp, limit: Int) async throws -> [TaskRecord] {
        try await rows(
            """
            SELECT \(unescaped: TaskRow.select) FROM tasks
            WHERE notify_by_email AND NOT reminded AND deleted_at IS NULL AND responsible_id IS NOT NULL AND due_at <= \(now.microseconds)
            ORDER BY due_at LIMIT \(limit)
            """
        ).map(TaskRow.record)
    }

    public func createWebhook(url: String, secret: String, in tenantID: UUID) async throws -> Webhook {
        defer { directoryCache.invalidate() }
        let webhook = Webhook(id: UUID(), tenantID: tenantID, url: url, secret: secret, createdAt: .now())
        try await insert(unique: "the webhook exists already") {
            """
            INSERT INTO webhooks (id, tenant_id, url, secret, created_at)
            VALUES (\(webhook.id), \(tenantID), \(url), \(secret), \(webhook.createdAt.microseconds))
            """
        }
        return webhook
    }

    public func webhooks(in tenantID: UUID) async throws -> [Webhook] {
        try await fetchWebhooks("SELECT \(unescaped: Self.webhookColumns) FROM webhooks WHERE tenant_id = \(tenantID) AND deleted_at IS NULL ORDER BY position")
    }

    public func webhook(_ id: UUID) async throws -> Webhook? {
        try await fetchWebhooks("SELECT \(unescaped: Self.webhookColumns) FROM webhooks WHERE id = \(id) AND deleted_at IS NULL").first
    }

    public func deleteWebhook(_ id: UUID, in tenantID: UUID) async throws -> Bool {
        defer { directoryCache.invalidate() }
        return try await !rows(
            """
            UPDATE webhooks SET deleted_at = \(Timestamp.now().microseconds)
            WHERE id = \(id) AND tenant_id = \(tenantID) AND deleted_at IS NULL RETURNING id
            """
        ).isEmpty
    }

    private static let webhookColumns = "id, tenant_id, url, secret, created_at"

    private func fetchWebhooks(_ query: PostgresQuery) async throws -> [Webhook] {
        try await rows(query).map { row in
            let cells = Cells(row)
            return Webhook(id: try cells(0), tenantID: try cells(1), url: try cells(2), secret: try cells(3), createdAt: try cells.timestamp(4))
        }
    }

    static let outboxColumns = "id, tenant_id, task_id, channel, recipient, event, payload, state, attempts, last_error, created_at, available_at"

    static func outboxEntry(_ row: PostgresRow) throws -> OutboxEntry {
        let cells = Cells(row)
        return OutboxEntry(
            message: OutboxMessage(
                id: try cells(0), channel: OutboxMessage.Channel(rawValue: try cells(3)) ?? .email, recipient: try cells(4),
                event: try cells(5), payload: try StoredJSON.decode(JSONObject.self, from: try cells(6))
            ),
            tenantID: try cells(1), taskID: try cells(2), state: OutboxState(rawValue: try cells(7)) ?? .pending,
            attempts: try cells(8), lastError: try cells(9), createdAt: try cells.timestamp(10), availableAt: try cells.timestamp(11)
        )
    }
}
