import Foundation
import Logging
import ServiceLifecycle
import TaskportCore

/// Keeps the store from growing for ever: removes sent outbox messages older than
/// `outboxAge` and, when `historyAge` is set, history entries older than that, in small batches
/// with a pause between them, so that task writes queued behind a batch wait for one short
/// transaction at most and pruning takes a small share of the writer. Pending and dead messages
/// are never removed.
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

    /// Runs `remove` until it removes less than a batch. Between batches it waits nineteen times as
    /// long as the last one took (20 ms at least), so that pruning takes a twentieth of the store's
    /// writer at most, however slow the disk.
    private func inBatches(_ remove: () async throws -> Int) async throws -> Int {
        var total = 0
        while true {
            let started = ContinuousClock.now
            let count = try await remove()
            let took = ContinuousClock.now - started
            total += count
            if count < batch { return total }
            try await Task.sleep(for: max(.milliseconds(20), took * 19))
        }
    }
}
