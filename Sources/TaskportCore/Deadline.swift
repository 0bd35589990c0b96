import Synchronization

/// Waiting with a bound, for calls that may hang while a dependency is away.
public enum Deadline {
    /// `body`'s result, or nil when it has not finished within `limit`. The caller is answered at
    /// the deadline even if `body` ignores cancellation; `body` is cancelled and its late result dropped.
    public static func result<T: Sendable>(within limit: Duration, of body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T?, any Error>) in
            let outcome = Outcome(continuation)
            let work = Task {
                do { outcome.settle(.success(try await body())) } catch { outcome.settle(.failure(error)) }
            }
            Task {
                try? await Task.sleep(for: limit)
                outcome.settle(.success(nil))
                work.cancel()
            }
        }
    }

    /// A continuation resumed by whichever side comes first.
    private final class Outcome<T: Sendable>: Sendable {
        let continuation: Mutex<CheckedContinuation<T?, any Error>?>

        init(_ continuation: CheckedContinuation<T?, any Error>) {
            self.continuation = Mutex(continuation)
        }

        func settle(_ result: Result<T?, any Error>) {
            continuation.withLock { waiting in
                waiting?.resume(with: result)
                waiting = nil
            }
        }
    }
}
