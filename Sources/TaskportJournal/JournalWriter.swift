import Foundation
public import Logging
public import ServiceLifecycle
public import TaskportCore

/// Writes what the journal's buffer holds to the store every quarter of a second
/// (or off the request path, however many requests came), redacting bodies on the way; and keeps
/// each tenant's journal within its size and age. On shutdown it writes what is left.
public struct JournalWriter: Service {
    let store: any JournalStore
    let buffer: JournalBuffer
    let settings: JournalSettings
    let interval: Duration
    let logger: Logger

    public init(store: any JournalStore, buffer: JournalBuffer, settings: JournalSettings, interval: Duration = .milliseconds(250), logger: Logger) {
        self.store = store
        self.buffer = buffer
        self.settings = settings
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var lastPrune = ContinuousClock.now - .seconds(3600)
        var pruning = false
        // Only the wait gives way to a graceful shutdown: a flush or a step of pruning it stopped
        // would have its store writes cancelled, and the entries it had taken would be lost.
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            await flush()
            if Task.isShuttingDownGracefully { break }
            if pruning || ContinuousClock.now - lastPrune >= .seconds(10) {
                // A step at a time between flushes: a backlog to remove (ten seconds' worth at a
                // high rate, or a lowered size) must not hold up the next flush, whose entries
                // would pile up in memory meanwhile.
                pruning = await prune(for: interval / 2)
                if !pruning { lastPrune = ContinuousClock.now }
            }
        }
        // The server has stopped taking requests: what they left is written before the store closes.
        await flush()
    }

    /// Writes everything waiting; returns how many entries.
    @discardableResult
    public func flush() async -> Int {
        let (entries, dropped) = buffer.take()
        if dropped > 0 { logger.warning("the journal fell behind and dropped entries", metadata: ["dropped": "\(dropped)"]) }
        guard !entries.isEmpty else { return 0 }
        // Batches small enough for one statement on PostgreSQL: 21 values an entry, 21,000 in all,
        // within the 65,535 parameters a statement may have.
        for start in stride(from: 0, to: entries.count, by: 1_000) {
            let batch = entries[start..<min(start + 1_000, entries.count)].map(JournalRedaction.entry)
            do {
                try await store.appendJournal(batch)
            } catch {
                logger.error("could not write the journal", metadata: ["error": "\(error)", "entries": "\(batch.count)"])
            }
        }
        return entries.count
    }

    /// Removes entries past each tenant's size and the age, for up to about `budget`; returns
    /// whether some may be left.
    func prune(for budget: Duration) async -> Bool {
        let before = Timestamp(microseconds: Timestamp.now().microseconds - settings.age.microseconds)
        let started = ContinuousClock.now
        do {
            while try await store.pruneJournal(keep: settings.size, before: before, limit: 1_000) == 1_000 {
                if ContinuousClock.now - started >= budget { return true }
            }
        } catch {
            logger.error("could not prune the journal", metadata: ["error": "\(error)"])
        }
        return false
    }
}
