import GRDB
import Logging
import ServiceLifecycle

/// Copies committed pages from the write-ahead log into the database file on a connection of its
/// own, so that the writer seldom stops for it.
///
/// Left to itself, SQLite checkpoints inside the commit that takes the log past
/// `wal_autocheckpoint` pages, and every write queued behind that commit waits for the copy and
/// its `fsync`: with a million tasks, whose updates touch pages that no two commits share, that
/// cost a quarter of the update rate. Run as a service (`taskport serve` does), the checkpointer is
/// woken by task commits, at most once per `interval`, and copies what has been committed so far
/// without blocking the writer or the readers. The writer's own checkpoint stays as the backstop
/// (at `writerBackstop` pages); by then it has only the last pages to copy before SQLite starts the
/// log again from its beginning.
public final class WALCheckpointer: Service, Sendable {
    static let interval = Duration.milliseconds(10)
    /// The writer's `wal_autocheckpoint` while a checkpointer may run, in pages (16 MiB of log).
    static let writerBackstop = 4000

    private let connection: DatabaseQueue
    private let wakeups: AsyncStream<Void>
    private let waker: AsyncStream<Void>.Continuation
    private let logger = Logger(label: "taskport.sqlite.checkpoint")

    init(path: String, configuration: Configuration, synchronous: String) throws {
        connection = try DatabaseQueue(path: path, configuration: configuration)
        try connection.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        (wakeups, waker) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Called after each commit: the next checkpoint has something to copy.
    func committed() {
        waker.yield()
    }

    public func run() async throws {
        for await _ in wakeups.cancelOnGracefulShutdown() {
            do {
                _ = try await connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                // The writer's backstop checkpoint is running; the next wake-up goes on from where it stops.
            } catch {
                logger.warning("Checkpoint failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: Self.interval)
        }
    }
}
