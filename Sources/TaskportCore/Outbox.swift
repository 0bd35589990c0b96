import Foundation

/// Where a message in the outbox stands.
public enum OutboxState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Waiting for its first delivery or its next retry.
    case pending
    case sent
    /// Retried up to the limit without success; kept with its last error until someone retries it.
    case dead
}

/// A message in the outbox, as the delivery worker and the operators see it.
public struct OutboxEntry: Sendable, Hashable {
    public var message: OutboxMessage
    public var tenantID: UUID
    public var taskID: UUID?
    public var state: OutboxState
    /// Failed attempts so far.
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Timestamp
    /// When it is next due (for a pending message).
    public var availableAt: Timestamp

    public init(
        message: OutboxMessage, tenantID: UUID, taskID: UUID?, state: OutboxState, attempts: Int, lastError: String?,
        createdAt: Timestamp, availableAt: Timestamp
    ) {
        self.message = message
        self.tenantID = tenantID
        self.taskID = taskID
        self.state = state
        self.attempts = attempts
        self.lastError = lastError
        self.createdAt = createdAt
        self.availableAt = availableAt
    }
}

/// Which of a tenant's outbox messages to list: filters, and a keyset page after a cursor.
public struct OutboxQuery: Sendable, Hashable {
    public var state: OutboxState?
    public var channel: OutboxMessage.Channel?
    public var taskID: UUID?
    /// Only messages after this one in the list's order.
    public var after: OutboxCursor?
    public var limit: Int

    public init(state: OutboxState? = nil, channel: OutboxMessage.Channel? = nil, taskID: UUID? = nil, after: OutboxCursor? = nil, limit: Int = 100) {
        self.state = state
        self.channel = channel
        self.taskID = taskID
        self.after = after
        self.limit = limit
    }
}

/// A place in the outbox's order: the last message of a page. As text, `createdAt.id`.
public struct OutboxCursor: Sendable, Hashable {
    public var createdAt: Timestamp
    public var id: UUID

    public init(createdAt: Timestamp, id: UUID) {
        self.createdAt = createdAt
        self.id = id
    }

    public init(after entry: OutboxEntry) {
        self.init(createdAt: entry.createdAt, id: entry.message.id)
    }

    /// Reads the text form; nil for anything else.
    public init?(text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count <= 20, let micros = Int64(parts[0]), micros >= 0, let id = UUID(text: parts[1]) else {
            return nil
        }
        self.init(createdAt: Timestamp(microseconds: micros), id: id)
    }

    public var text: String { "\(createdAt.microseconds).\(id.lowercasedText)" }
}

extension OutboxStore {
    /// The tenant's first `limit` messages in one state (or all), oldest first.
    public func outboxMessages(in tenantID: UUID, state: OutboxState?, limit: Int) async throws -> [OutboxEntry] {
        try await outboxMessages(in: tenantID, matching: OutboxQuery(state: state, limit: limit))
    }
}

/// An endpoint a tenant registered to receive task events, signed with its secret.
public struct Webhook: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    public var url: String
    /// The HMAC-SHA256 key deliveries are signed with.
    public var secret: String
    public var createdAt: Timestamp

    public init(id: UUID, tenantID: UUID, url: String, secret: String, createdAt: Timestamp) {
        self.id = id
        self.tenantID = tenantID
        self.url = url
        self.secret = secret
        self.createdAt = createdAt
    }
}

/// Delivery of what task changes wrote to the outbox, and the webhooks they fan out to.
/// Every task write also writes one webhook message per endpoint of its tenant, in its transaction.
public protocol OutboxStore: Sendable {
    /// Takes up to `limit` pending messages of these channels, due at `now`, that no worker holds,
    /// and holds them until `leaseUntil`; two workers never hold the same message at once.
    func claimMessages(
        channels: Set<OutboxMessage.Channel>, limit: Int, now: Timestamp, leaseUntil: Timestamp
    ) async throws -> [OutboxEntry]
    /// Holds messages this worker still has (pending, leased) until `leaseUntil`: a worker renews its
    /// short leases while it sends, so that the batch of one that died comes free soon after.
    func renewLeases(_ ids: [UUID], until leaseUntil: Timestamp) async throws
    /// The message was delivered.
    func markSent(_ id: UUID, at time: Timestamp) async throws
    /// An attempt failed: the message is due again at `retryAt`, or dead when that is nil.
    func markFailed(_ id: UUID, error: String, retryAt: Timestamp?) async throws
    /// One page of the tenant's messages that match, oldest first (by creation, then id).
    func outboxMessages(in tenantID: UUID, matching query: OutboxQuery) async throws -> [OutboxEntry]
    /// Removes up to `limit` messages sent before `before`, oldest first; returns how many.
    func removeSentMessages(before: Timestamp, limit: Int) async throws -> Int
    /// Of the `limit` history entries stored first, removes those written before `before`; returns
    /// how many. (Entries are stored in the order they are written, so this reads `limit` rows at
    /// most; an old entry imported after newer ones goes once those before it have.)
    func removeHistory(before: Timestamp, limit: Int) async throws -> Int
    /// Makes a dead (or pending) message due now with a fresh count of attempts; false if the
    /// tenant has no such message or it was sent.
    func retryMessage(_ id: UUID, in tenantID: UUID, at time: Timestamp) async throws -> Bool

    /// Tasks of any tenant whose due-date reminder is owed at `now`: due by then, `notifyByEmail`
    /// set, not `reminded` yet, with a responsible user; earliest due first.
    func tasksOwingReminders(at now: Timestamp, limit: Int) async throws -> [TaskRecord]

    func createWebhook(url: String, secret: String, in tenantID: UUID) async throws -> Webhook
    func webhooks(in tenantID: UUID) async throws -> [Webhook]
    /// A live webhook by id, whatever its tenant (the delivery worker's view).
    func webhook(_ id: UUID) async throws -> Webhook?
    /// Stops deliveries to the endpoint; false if the tenant has no such webhook.
    func deleteWebhook(_ id: UUID, in tenantID: UUID) async throws -> Bool
}

extension URL {
    /// Whether this is an absolute http or https URL with a host, as webhook endpoints must be.
    public var isWebEndpoint: Bool {
        guard let scheme = scheme?.lowercased(), scheme == "http" || scheme == "https", let host, !host.isEmpty else { return false }
        return true
    }
}

/// What a webhook delivery says happened to a task.
public struct TaskEvent {
    /// `task.created`, `task.assigned` (the assignee changed), `task.updated` or `task.deleted`.
    public let name: String

    public init(_ commit: TaskCommit) {
        switch commit.action {
        case .created: name = "task.created"
        case .deleted: name = "task.deleted"
        case .updated: name = commit.changes.contains { $0.field == TaskField.assignee.rawValue } ? "task.assigned" : "task.updated"
        }
    }

    /// The JSON a webhook receives: the delivery id, the event, the task, who acted and the changed fields.
    public static func payload(id: UUID, event: String, commit: TaskCommit, actor: Actor) -> JSONObject {
        let record = commit.record
        return [
            "id": JSONValue(id),
            "type": .string(event),
            "occurredAt": JSONValue(record.updatedAt),
            "tenantId": JSONValue(record.tenantID),
            "task": .object(["id": JSONValue(record.id), "number": .integer(record.number), "version": .integer(record.version)]),
            "actor": .object(["id": JSONValue(actor.userID), "name": .string(actor.name), "surface": .string(actor.surface)]),
            "changes": .array(commit.changes.map { .object(["field": .string($0.field), "from": $0.from, "to": $0.to]) }),
        ]
    }
}
