import Logging
import PostgresNIO
import TaskportCore

/// Every server's directory cache hears of every server's changes: triggers on the tables its
/// entries are read from (schema v9) send a notice on `taskport_directory` when a change commits,
/// and each server listens on a connection of its own and empties its cache on each notice.
/// While that connection is down (the database restarting, say), entries still last no longer
/// than the cache's lifetime, and the cache is emptied again once listening resumes.
extension PostgresStore {
    static let directoryChannel = "taskport_directory"

    /// Listens until the task is cancelled, opening the connection again a second after it fails.
    func followDirectoryChanges() async {
        let cache = directoryCache
        while !Task.isCancelled {
            do {
                let connection = try await settings.connect(logger: logger, connectTimeout: .seconds(10))
                do {
                    try await withTaskCancellationHandler {
                        try await connection.listen(on: Self.directoryChannel) { notices in
                            // Whatever changed before the LISTEN took effect was not heard.
                            cache.invalidate()
                            for try await _ in notices { cache.invalidate() }
                        }
                    } onCancel: {
                        connection.close().whenComplete { _ in }
                    }
                } catch {
                    if !Task.isCancelled { logger.warning("Stopped listening for directory changes: \(error)") }
                }
                try? await connection.close()
            } catch {
                logger.debug("Cannot listen for directory changes yet: \(error)")
            }
            cache.invalidate()
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
