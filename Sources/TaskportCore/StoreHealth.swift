import Foundation

/// What a store can say about itself, for `taskport doctor`: the first thing a person runs when
/// something seems wrong.
public struct StoreHealth: Sendable {
    /// The last schema migration applied, e.g. `v10: the outbox listed in pages`.
    public var schema: String
    /// Every tenant with its number of tasks.
    public var tenants: [(name: String, tasks: Int)]
    /// Messages in the outbox by state, over every tenant.
    public var outbox: [OutboxState: Int]
    /// When the oldest message still waiting to be sent was written.
    public var oldestPending: Timestamp?
    /// The size of SQLite's write-ahead log; nil for PostgreSQL.
    public var logBytes: Int64?
    /// How SQLite runs in this process (its version, memory statistics, connection mutexes); nil for PostgreSQL.
    public var engine: String?

    public init(schema: String, tenants: [(name: String, tasks: Int)], outbox: [OutboxState: Int], oldestPending: Timestamp?, logBytes: Int64?) {
        self.schema = schema
        self.tenants = tenants
        self.outbox = outbox
        self.oldestPending = oldestPending
        self.logBytes = logBytes
    }
}

/// What a store reads out cheaply enough for every metrics scrape: nothing that grows with the
/// number of tasks or of messages sent.
public struct StoreGauges: Sendable {
    /// Messages not yet sent (pending or dead), by channel and state, over every tenant.
    public var unsent: [OutboxMessage.Channel: [OutboxState: Int]]
    /// When the oldest message still waiting to be sent was written.
    public var oldestPending: Timestamp?
    /// The size of SQLite's write-ahead log; nil for PostgreSQL.
    public var logBytes: Int64?
    /// How SQLite runs in this process (its version, memory statistics, connection mutexes); nil for PostgreSQL.
    public var engine: String?

    public init(unsent: [OutboxMessage.Channel: [OutboxState: Int]], oldestPending: Timestamp?, logBytes: Int64?) {
        self.unsent = unsent
        self.oldestPending = oldestPending
        self.logBytes = logBytes
    }
}

public protocol StoreDiagnostics: Sendable {
    /// Everything `taskport doctor` prints, counted exactly.
    func health() async throws -> StoreHealth
    /// The outbox backlog and the log's size, read through indexes, for metrics.
    func gauges() async throws -> StoreGauges
}
