import Foundation
import Logging
import ServiceLifecycle
import TaskportCore

/// Keeps the store from growing for ever: removes sent outbox messages older than
/// `outboxAge` and, when `historyAge` is set, history entries older than that, in small batches
/// with a pause between them, so that task writes queued behind a batch wait for one short
/// transaction at most. Pending and dead messages are never removed.
public struct Retention: Service {
    let store: any OutboxStore
    let outboxAge: Duration?
    let historyAge: Duration?
    let interval: Duration
    let batch: Int
    let logger: Logger

    public init(
        store: any OutboxStore, outboxAge: Duration?, historyAge: Duration?, interval: Duration = .seconds(60), batch: Int = 500,
        logger: Logger
    ) {
        self.store = store
        self.outboxAge = outboxAge
        self.historyAge = historyAge
        self.interval = interval
        self.batch = batch
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await prune()
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("retention failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Removes everything past its age as of `now`; returns how many messages and history entries.
    @discardableResult
    public func prune(now: Timestamp = .now()) async throws -> (messages: Int, history: Int) {
        var removed = (messages: 0, history: 0)
        if let outboxAge {
            let before = Timestamp(microseconds: now.microseconds - outboxAge.microseconds)
            removed.messages = try await inBatches { try await store.removeSentMessages(before: before, limit: batch) }
        }
        if let historyAge {
            let before = Timestamp(microseconds: now.microseconds - historyAge.microseconds)
            removed.history = try await inBatches { try await store.removeHistory(before: before, limit: batch) }
        }
        if removed.messages + removed.history > 0 {
            logger.info("retention removed old rows", metadata: ["messages": "\(removed.messages)", "history": "\(removed.history)"])
        }
        return removed
    }

    private func inBatches(_ remove: () async throws -> Int) async throws -> Int {
        var total = 0
        while true {
            let count = try await remove()
            total += count
            if count < batch { return total }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
