import Synchronization

/// Waiting with a bound, for calls that may hang while a dependency is away. The caller is
/// answered when the bound is reached even if the call ignores cancellation; the call is
/// cancelled and its late outcome dropped.
public enum Deadline {
    /// `body`'s result, or nil when it has not finished within `limit`.
    public static func result<T: Sendable>(within limit: Duration, of body: @escaping @Sendable () async throws -> T) async throws -> T? {
        do {
            return try await run(checkingEvery: limit, giveUp: { waited in waited >= limit ? DeadlinePassed() : nil }) {
                try await body() as T?
            }
        } catch is DeadlinePassed {
            return nil
        }
    }

    /// `body`'s result; every `interval`, `giveUp` is asked (with the time waited so far) whether
    /// to stop waiting, and the error it returns is thrown at once.
    ///
    /// The waits with one interval share one clock (`Watch`): a call costs a task for `body`, not
    /// also a timer and a task of its own to watch it.
    public static func run<T: Sendable>(
        checkingEvery interval: Duration, giveUp: @escaping @Sendable (Duration) -> (any Error)?,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let outcome = Outcome<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                outcome.wait(continuation)
                let work = Task {
                    do { outcome.settle(.success(try await body())) } catch { outcome.settle(.failure(error)) }
                }
                let watch = Watch.every(interval)
                let waiter = watch.add(
                    Watch.Waiter(started: .now, giveUp: giveUp) { error in
                        outcome.settle(.failure(error))
                        work.cancel()
                    }
                )
                outcome.onSettle { watch.remove(waiter) }
            }
        } onCancel: {
            outcome.settle(.failure(CancellationError()))
        }
    }

    struct DeadlinePassed: Error {}

    /// A continuation resumed once, by whichever side comes first.
    private final class Outcome<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T, any Error>?
            var early: Result<T, any Error>?
            var settled = false
            var onSettle: (@Sendable () -> Void)?
        }
        private let state = Mutex(State())

        func wait(_ continuation: CheckedContinuation<T, any Error>) {
            let early = state.withLock { state -> Result<T, any Error>? in
                if let early = state.early { return early }
                state.continuation = continuation
                return nil
            }
            if let early { continuation.resume(with: early) }
        }

        func onSettle(_ action: @escaping @Sendable () -> Void) {
            let settled = state.withLock { state -> Bool in
                if state.settled { return true }
                state.onSettle = action
                return false
            }
            if settled { action() }
        }

        func settle(_ result: Result<T, any Error>) {
            let (continuation, action) = state.withLock { state -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) in
                guard !state.settled else { return (nil, nil) }
                state.settled = true
                guard let continuation = state.continuation else {
                    state.early = result
                    return (nil, state.onSettle)
                }
                state.continuation = nil
                return (continuation, state.onSettle)
            }
            continuation?.resume(with: result)
            action?()
        }
    }

    /// The waits that share one checking interval, and the one task that asks each of them, every
    /// interval, whether to give up. It ticks only while a wait is in progress.
    private final class Watch: Sendable {
        struct Waiter: Sendable {
            let started: ContinuousClock.Instant
            let giveUp: @Sendable (Duration) -> (any Error)?
            /// Ends the wait with the error `giveUp` returned.
            let stop: @Sendable (any Error) -> Void
        }

        private struct State {
            var waiters: [UInt64: Waiter] = [:]
            var nextID: UInt64 = 0
            var ticking = false
        }

        private static let all = Mutex<[Duration: Watch]>([:])

        /// The watch of every wait checked every `interval`.
        static func every(_ interval: Duration) -> Watch {
            all.withLock { watches in
                if let watch = watches[interval] { return watch }
                let watch = Watch(interval: interval)
                watches[interval] = watch
                return watch
            }
        }

        private let interval: Duration
        private let state = Mutex(State())

        private init(interval: Duration) {
            self.interval = interval
        }

        func add(_ waiter: Waiter) -> UInt64 {
            let (id, start) = state.withLock { state in
                let id = state.nextID
                state.nextID += 1
                state.waiters[id] = waiter
                defer { state.ticking = true }
                return (id, !state.ticking)
            }
            if start { Task.detached { await self.tick() } }
            return id
        }

        func remove(_ id: UInt64) {
            _ = state.withLock { $0.waiters.removeValue(forKey: id) }
        }

        /// Asks every wait, each interval, until a tick finds none left.
        private func tick() async {
            while true {
                try? await Task.sleep(for: interval)
                let waiters = state.withLock { state -> [Waiter] in
                    if state.waiters.isEmpty { state.ticking = false }
                    return Array(state.waiters.values)
                }
                if waiters.isEmpty { return }
                let now = ContinuousClock.now
                for waiter in waiters {
                    if let error = waiter.giveUp(now - waiter.started) { waiter.stop(error) }
                }
            }
        }
    }
}
