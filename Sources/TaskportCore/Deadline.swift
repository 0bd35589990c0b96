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
                let watchdog = Task {
                    let started = ContinuousClock.now
                    while !outcome.isSettled {
                        try await Task.sleep(for: interval)
                        if let error = giveUp(ContinuousClock.now - started) {
                            outcome.settle(.failure(error))
                            work.cancel()
                            return
                        }
                    }
                }
                outcome.onSettle { watchdog.cancel() }
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

        var isSettled: Bool { state.withLock { $0.settled } }

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
}
