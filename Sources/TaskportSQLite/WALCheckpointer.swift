import GRDB
import Logging
import ServiceLifecycle
import Synchronization

/// Copies committed pages from the write-ahead log into the database file on a connection of its
/// own, so that the writer seldom stops for it.
///
/// Left to itself, SQLite checkpoints inside the commit that takes the log past
/// `wal_autocheckpoint` pages, and every write queued behind that commit waits for the copy and
/// its `fsync`: with a million tasks, whose updates touch pages that no two commits share, that
/// cost a quarter of the update rate. Run as a service (`taskport serve` does), the checkpointer is
/// woken once every `writesPerCheckpoint` committed task writes (an update writes up to about six
/// pages: every 300 pages or so) and copies what has been committed so far without blocking the
/// writer or the readers. Measured on two cores: woken after every commit, its `fsync`s of the
/// database file slowed a lone client's updates by a fifth; every 150 writes, the larger copies
/// lengthened the tail at 16 clients (p99 12–15 ms against 9.3). The writer's own checkpoint stays as the
/// backstop (at `writerBackstop` pages); by then it has only the last pages to copy before SQLite
/// starts the log again from its beginning.
public final class WALCheckpointer: Service, Sendable {
    static let writesPerCheckpoint = 50
    /// The writer's `wal_autocheckpoint` while a checkpointer may run, in pages (16 MiB of log).
    static let writerBackstop = 4000

    private let connection: DatabaseQueue
    private let wakeups: AsyncStream<Void>
    private let waker: AsyncStream<Void>.Continuation
    /// Task writes committed since the last wake-up.
    private let uncopiedWrites = Mutex(0)
    private let logger = Logger(label: "taskport.sqlite.checkpoint")

    init(path: String, configuration: Configuration, synchronous: String) throws {
        connection = try DatabaseQueue(path: path, configuration: configuration)
        try connection.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous)") }
        (wakeups, waker) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Called after each commit of `writes` task writes.
    func committed(writes: Int) {
        let due = uncopiedWrites.withLock { count in
            count += writes
            guard count >= Self.writesPerCheckpoint else { return false }
            count = 0
            return true
        }
        if due { waker.yield() }
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
        }
    }
}
