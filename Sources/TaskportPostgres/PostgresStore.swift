import CoreMetrics
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import ServiceLifecycle
import Synchronization
import TaskportCore

/// Taskport's shared store: one PostgreSQL database that any number of Taskport servers use at
/// once. Versions are checked by the database and outbox messages are leased in it. The one thing
/// a server keeps in memory is its `DirectoryCache` of keys, users and catalog records: its own
/// changes empty it at once, and another server's within the cache's lifetime (sooner, when the
/// store listens for the database's notices of them: `followDirectoryChanges`).
///
/// The store owns a `PostgresClient` (a pool of connections) and runs it from the moment it is
/// opened; as a `Service` it closes the pool when the service group shuts down, so give it to the
/// group before the HTTP server, which then stops first.
public final class PostgresStore: Sendable, Service {
    let client: PostgresClient
    let logger: Logger
    let reachability: Reachability
    let metrics: PostgresMetrics
    let settings: ConnectionSettings
    /// Directory and catalog reads kept between requests.
    let directoryCache: DirectoryCache
    /// The tasks this server last saw, for one-statement changes.
    let recentTasks = RecentTasks()
    private let running: Task<Void, Never>

    /// Connects to the database the URL names and brings its schema up to date.
    ///
    /// `postgres://user:password@host:port/database?sslmode=disable|prefer|require&schema=name`;
    /// `schema` keeps Taskport's tables in that schema (made if missing) instead of `public`.
    /// `metrics` counts the task writes committed and the pool's connections in use and awaited.
    public static func connect(
        url: String, maximumConnections: Int = 20, logger: Logger = Logger(label: "taskport.postgres"),
        metrics: any MetricsFactory = NOOPMetricsHandler.instance, directoryCache: DirectoryCache = DirectoryCache()
    ) async throws -> PostgresStore {
        let settings = try ConnectionSettings(url: url)
        // The pool retries an unreachable server for ever: one plain connection first says what is wrong.
        try await settings.probe(logger: logger)
        var configuration = settings.configuration
        configuration.options.maximumConnections = maximumConnections
        if let schema = settings.schema {
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        // The pool's own log: its failures, not its start-up chatter.
        var poolLogger = logger
        poolLogger.logLevel = max(logger.logLevel, .error)
        let store = PostgresStore(
            client: PostgresClient(configuration: configuration, backgroundLogger: poolLogger), settings: settings, logger: logger,
            metrics: PostgresMetrics(factory: metrics, maximumConnections: maximumConnections), directoryCache: directoryCache
        )
        do {
            if let schema = settings.schema { try await store.createSchema(schema) }
            try await PostgresSchema.migrate(store)
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    private init(
        client: PostgresClient, settings: ConnectionSettings, logger: Logger, metrics: PostgresMetrics, directoryCache: DirectoryCache
    ) {
        self.directoryCache = directoryCache
        self.client = client
        self.logger = logger
        self.metrics = metrics
        self.settings = settings
        reachability = Reachability { await settings.answers(logger: logger) }
        running = Task { await client.run() }
    }

    deinit {
        running.cancel()
    }

    /// Follows other servers' directory changes (`followDirectoryChanges`) until the service
    /// group shuts down, then closes the connections.
    public func run() async throws {
        let following = Task { await followDirectoryChanges() }
        try? await gracefulShutdown()
        // Not waited for: a connection being opened to a database that is down would hold the
        // shutdown for its whole timeout. The listener stops at its next step.
        following.cancel()
        await close()
    }

    /// Closes every connection; the store answers nothing afterwards.
    public func close() async {
        running.cancel()
        await running.value
    }

    private func createSchema(_ name: String) async throws {
        let quoted = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        do {
            try await execute(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(quoted)"))
        } catch TaskportError.conflict {
            // Another server made it at the same moment.
        }
    }
}

// MARK: - Running statements

extension PostgresStore {
    /// Runs `body` in one transaction on one connection: committed if it returns, rolled back if
    /// it throws. A transaction the database aborts for a serialization failure or a deadlock is
    /// run again from the start, a few times.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await retrying {
            try await pooled { [logger] connection in
                try await connection.query("BEGIN", logger: logger)
                do {
                    let result = try await body(connection)
                    try await connection.query("COMMIT", logger: logger)
                    return result
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        }
    }

    /// Runs a statement (or a few) again when the database gave up on it for a serialization
    /// failure or a deadlock, and turns what it refuses into Taskport's errors.
    func retrying<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await translatingErrors(body)
            } catch is PostgresStoreError.Retryable where attempt < 5 {
                attempt += 1
            }
        }
    }

    /// One statement outside a transaction; its rows, read to the end.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await translatingErrors { try await pooled { [logger] connection in try await connection.rows(query, logger) } }
    }

    /// The longest any request waits for a connection and its statements.
    static let operationDeadline: Duration = .seconds(30)
    /// The longest a request waits once a connection to the database has failed and none has
    /// worked since: a database that has gone away is a prompt 503, not a held request.
    static let unreachableDeadline: Duration = .seconds(2)

    /// Runs `body` on a pooled connection. Past the deadline (`operationDeadline`, or
    /// `unreachableDeadline` while the database is unreachable, whenever the wait began) the wait
    /// or the statement is cancelled and the caller is told the store is away.
    func pooled<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let client = client
        let reachability = reachability
        let metrics = metrics
        let wait = metrics.connectionAwaited()
        defer { wait.end() }
        return try await Deadline.run(
            checkingEvery: .milliseconds(250),
            giveUp: { waited in
                // A wait this long may be a database that has gone away without a word: ask it directly.
                if waited >= .seconds(1) { reachability.probeIfDue() }
                guard waited >= Self.operationDeadline || (waited >= Self.unreachableDeadline && reachability.isUnreachable) else { return nil }
                return TaskportError.unavailable("The database does not answer; try again shortly", retryAfter: 2)
            }
        ) {
            do {
                let result = try await client.withConnection { connection in
                    wait.end()
                    metrics.inUse.increment()
                    defer { metrics.inUse.decrement() }
                    return try await body(connection)
                }
                reachability.succeeded()
                return result
            } catch let error as PSQLError where error.serverInfo == nil {
                reachability.failed()
                throw error
            }
        }
    }

    func execute(_ query: PostgresQuery) async throws {
        _ = try await rows(query)
    }

    /// Turns what the database refuses because of the values it was given into Taskport's errors,
    /// so that a client's bad input never reaches it as a server failure.
    func translatingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError {
            throw PostgresStoreError.translate(error)
        }
    }
}

/// The store's own measure of its pool (postgres-nio's pool does not publish one): connections
/// held by a statement or transaction, calls waiting for one, and the pool's size; and the task
/// writes committed.
struct PostgresMetrics: Sendable {
    let inUse: Meter
    let waiting: Meter
    let taskWrites: Counter

    init(factory: any MetricsFactory, maximumConnections: Int) {
        inUse = Meter(label: "taskport_postgres_connections", dimensions: [("state", "in_use")], factory: factory)
        waiting = Meter(label: "taskport_postgres_connections", dimensions: [("state", "waiting")], factory: factory)
        taskWrites = Counter(label: "taskport_task_writes_total", dimensions: [("store", "postgres")], factory: factory)
        Meter(label: "taskport_postgres_connections_max", factory: factory).set(maximumConnections)
    }

    /// Counts a call as waiting for a connection until it gets one or gives up, whichever `end` comes first.
    func connectionAwaited() -> Wait {
        waiting.increment()
        return Wait(waiting: waiting)
    }

    final class Wait: Sendable {
        private let waiting: Meter
        private let ended = Mutex(false)

        init(waiting: Meter) {
            self.waiting = waiting
        }

        func end() {
            guard !ended.withLock({ ended in defer { ended = true }; return ended }) else { return }
            waiting.decrement()
        }
    }
}

enum PostgresStoreError {
    /// A transaction the database gave up on that can simply be run again.
    struct Retryable: Error {}

    struct Unreachable: Error, CustomStringConvertible {
        var description: String
        /// The server answered, with an error (a wrong password, too many connections), and is
        /// not starting up or shutting down.
        var answered = false
        /// The connection did not open in time.
        var timedOut = false
    }

    static func translate(_ error: PSQLError) -> any Error {
        guard let state = error.serverInfo?[.sqlState] else { return error }
        let message = error.serverInfo?[.message] ?? "constraint failed"
        switch state {
        case "40001", "40P01": return Retryable()
        // A unique key taken, or a schema object made by another server at the same moment.
        case "23505", "42710", "42P06", "42P07": return TaskportError.conflict("exists already: \(message)")
        case "23503": return TaskportError.notFound("A referenced record does not exist")
        case _ where state.hasPrefix("22") || state.hasPrefix("23"):
            // Data exceptions (text PostgreSQL cannot store, such as U+0000) and other constraints.
            return TaskportError.malformed("A value is not acceptable: \(message)")
        default: return error
        }
    }
}

extension PostgresConnection {
    /// Runs a statement in the store's transaction and reads its rows to the end.
    func rows(_ query: PostgresQuery, _ logger: Logger) async throws -> [PostgresRow] {
        try await self.query(query, logger: logger).collect()
    }

    /// Runs a prepared statement and reads its rows to the end.
    func rows(_ statement: some RowsStatement, _ logger: Logger) async throws -> [PostgresRow] {
        var rows: [PostgresRow] = []
        for try await row in try await execute(statement, logger: logger) { rows.append(row) }
        return rows
    }
}

/// A prepared statement whose rows are read by position afterwards (`Cells`).
protocol RowsStatement: PostgresPreparedStatement where Row == PostgresRow {}

extension RowsStatement {
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

/// Reads a row's columns by position.
struct Cells {
    private let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) {
        self.row = row.makeRandomAccess()
    }

    func callAsFunction<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        try row[index].decode(T.self)
    }

    func timestamp(_ index: Int) throws -> Timestamp {
        Timestamp(microseconds: try self(index, as: Int64.self))
    }
}

/// What a `postgres://` URL says.
struct ConnectionSettings: Sendable {
    var configuration: PostgresClient.Configuration
    var schema: String?
    var tlsMode: TLSMode

    /// What `sslmode` asks for, read once; the pool and the probe connection each take it in their own type.
    enum TLSMode {
        case disable, prefer, require
    }

    init(url text: String) throws {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
            let host = url.host, !host.isEmpty
        else {
            throw TaskportError.malformed("The database URL must look like postgres://user:password@host:5432/database")
        }
        let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        switch query["sslmode"] ?? "prefer" {
        case "disable": tlsMode = .disable
        case "prefer", "allow": tlsMode = .prefer
        case "require", "verify-ca", "verify-full": tlsMode = .require
        case let mode: throw TaskportError.malformed("sslmode '\(mode)' is not one of disable, prefer, require")
        }
        let tls: PostgresClient.Configuration.TLS = switch tlsMode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        configuration = PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: url.user?.removingPercentEncoding ?? "postgres",
            password: url.password?.removingPercentEncoding, database: database.isEmpty ? nil : database, tls: tls
        )
        schema = query["schema"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Opens one connection and closes it; throws what stood in the way, within ten seconds.
    /// Whether the server answers at all: false only when a connection is refused or breaks before
    /// the server says anything. A server that answers with an error (too many connections, say)
    /// is there, and a connection that is merely slow to open proves nothing either way.
    func answers(logger: Logger) async -> Bool {
        do {
            try await probe(logger: logger, connectTimeout: .seconds(3))
            return true
        } catch let error as PostgresStoreError.Unreachable {
            return error.answered || error.timedOut
        } catch {
            return true
        }
    }

    /// One connection of its own, outside the pool, opened within `connectTimeout`.
    func connect(logger: Logger, connectTimeout: Duration) async throws -> PostgresConnection {
        let tls: PostgresConnection.Configuration.TLS = switch tlsMode {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var single = PostgresConnection.Configuration(
            host: configuration.host ?? "localhost", port: configuration.port ?? 5432, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: tls
        )
        single.options.connectTimeout = .init(connectTimeout)
        return try await PostgresConnection.connect(configuration: single, id: 0, logger: logger)
    }

    func probe(logger: Logger, connectTimeout: Duration = .seconds(10)) async throws {
        let place = "\(configuration.host ?? "?"):\(configuration.port ?? 5432)/\(configuration.database ?? "")"
        let started = ContinuousClock.now
        do {
            let connection = try await connect(logger: logger, connectTimeout: connectTimeout)
            try? await connection.close()
        } catch let error as PSQLError {
            let reason = error.serverInfo?[.message] ?? error.underlying.map { "\($0)" } ?? "\(error.code)"
            // A connect that ran out of time proves nothing: a loaded machine or a stalled disk
            // makes one too. NIO reports it as a ChannelError or inside a NIOConnectionError, so
            // the time it took decides as well.
            let timedOut = ContinuousClock.now - started >= connectTimeout * 0.9
                || (error.underlying as? ChannelError).map { if case .connectTimeout = $0 { true } else { false } } ?? false
                || (error.underlying as? NIOConnectionError).map { failure in
                    failure.connectionErrors.contains { attempt in
                        (attempt.error as? ChannelError).map { if case .connectTimeout = $0 { true } else { false } } ?? false
                    }
                } ?? false
            throw PostgresStoreError.Unreachable(
                description: "Cannot connect to PostgreSQL at \(place): \(reason)",
                answered: error.serverInfo != nil && error.serverInfo?[.sqlState]?.hasPrefix("57P") != true, timedOut: timedOut
            )
        }
    }
}

extension PSQLError: TaskportErrorConvertible {
    /// An error of the connection rather than of a statement (the server unreachable, gone away,
    /// shutting down or out of connections) is `.unavailable`.
    public var taskportError: TaskportError? {
        guard let state = serverInfo?[.sqlState] else {
            return .unavailable("The database does not answer; try again shortly", retryAfter: 2)
        }
        if state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P") {
            return .unavailable("The database does not answer; try again shortly", retryAfter: 2)
        }
        return nil
    }
}

/// Whether the database is unreachable: a connection failed at the connection itself, or a
/// probe (one plain connection, at most one a second, made when a wait grows long) could not
/// connect. Any success clears it.
final class Reachability: Sendable {
    private struct State {
        var unreachable = false
        var probing = false
        var lastProbe: ContinuousClock.Instant?
    }
    private let state = Mutex(State())
    private let probe: @Sendable () async -> Bool

    /// `probe` answers whether a new connection to the database can be made.
    init(probe: @escaping @Sendable () async -> Bool) {
        self.probe = probe
    }

    var isUnreachable: Bool { state.withLock { $0.unreachable } }

    func failed() { state.withLock { $0.unreachable = true } }

    func succeeded() {
        state.withLock { state in
            if state.unreachable { state.unreachable = false }
        }
    }

    /// Starts a probe unless one is running or one started less than a second ago.
    func probeIfDue() {
        let now = ContinuousClock.now
        let due = state.withLock { state -> Bool in
            guard !state.probing, state.lastProbe.map({ now - $0 >= .seconds(1) }) ?? true else { return false }
            state.probing = true
            state.lastProbe = now
            return true
        }
        guard due else { return }
        Task {
            let reachable = await probe()
            state.withLock { state in
                state.probing = false
                state.unreachable = !reachable
            }
        }
    }
}
