import GRDB
import ServiceLifecycle
import TaskportCore

/// Hears of commits that another process makes to the database file (a `taskport apikey revoke`
/// or `user disable` while the server runs) and empties the directory cache when one has, and once
/// at its first reading, for what was cached before it began to watch.
///
/// SQLite's `PRAGMA data_version`, read on a connection, changes only when another connection has
/// committed. Every write of this server goes through its one writer connection, and the
/// checkpointer's copies are not commits, so on the writer the value changes only for another
/// process's commits. It is read there every `interval`: another process's change to a key, a
/// user or the catalog reaches this server within that time, far inside the cache's own lifetime.
public struct OtherProcessChanges: Service {
    public static let interval: Duration = .milliseconds(20)

    let writer: any DatabaseWriter
    let cache: DirectoryCache

    public func run() async throws {
        var seen: Int?
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            if let version = try? await writer.writeWithoutTransaction({ db in try Int.fetchOne(db, sql: "PRAGMA data_version") }) {
                // Entries read before the first reading may predate a commit made before it.
                if version != seen { cache.invalidate() }
                seen = version
            }
            try? await Task.sleep(for: Self.interval)
        }
    }
}

extension SQLiteStore {
    /// The service that empties this store's directory cache when another process commits.
    public var otherProcessChanges: OtherProcessChanges { OtherProcessChanges(writer: writer, cache: directoryCache) }
}
