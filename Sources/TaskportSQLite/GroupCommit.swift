import GRDB
import Metrics
import Synchronization
import TaskportCore

/// Batches task writes that arrive together into one transaction (group commit).
///
/// While a transaction is being written and made durable, new writes wait in a queue; the next
/// transaction takes all of them. Each write runs in its own savepoint, so it gets its own
/// result, its own version check and its own audit entry, and a write that fails (a stale
/// version, invalid content) rolls back alone. Every caller is answered only after the
/// transaction holding its write has committed, so no answer precedes durability. One commit,
/// and so one `fsync` with `synchronous=FULL`, serves the whole batch.
final class GroupCommit: Sendable {
    typealias Write = @Sendable (Database) throws -> TaskRecord

    private struct Pending: Sendable {
        let write: Write
        let continuation: CheckedContinuation<TaskRecord, any Error>
    }

    private struct Queue: ~Copyable {
        var pending: [Pending] = []
        var draining = false
    }

    /// The most writes one transaction takes, so that one batch cannot hold the writer for long.
    static let maximumBatch = 256

    private let writer: any DatabaseWriter
    private let queue = Mutex(Queue())
    /// Told after each transaction that commits, with the number of writes it held.
    private let committed: @Sendable (Int) -> Void
    private let metrics: CommitMetrics

    init(writer: any DatabaseWriter, metrics: CommitMetrics = CommitMetrics(), committed: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.writer = writer
        self.metrics = metrics
        self.committed = committed
    }

    /// Runs `write` in the next transaction and returns its result once that transaction commits.
    /// The task is noted as the one the request touched (`TaskTouch`).
    func perform(_ write: @escaping Write) async throws -> TaskRecord {
        let record = try await withCheckedThrowingContinuation { continuation in
            let startDrain = queue.withLock { queue in
                queue.pending.append(Pending(write: write, continuation: continuation))
                if queue.draining { return false }
                queue.draining = true
                return true
            }
            if startDrain {
                Task { await self.drain() }
            }
        }
        TaskTouch.note(record.id)
        return record
    }

    /// Writes batches until the queue is empty.
    private func drain() async {
        while true {
            let batch = queue.withLock { queue -> [Pending] in
                let batch = Array(queue.pending.prefix(Self.maximumBatch))
                queue.pending.removeFirst(batch.count)
                if batch.isEmpty { queue.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            await commit(batch)
        }
    }

    private func commit(_ batch: [Pending]) async {
        let writes = batch.map(\.write)
        let started = ContinuousClock.now
        do {
            let results = try await writer.write { db in
                writes.map { write in
                    var outcome: Result<TaskRecord, any Error> = .failure(CancellationError())
                    do {
                        try db.inSavepoint {
                            outcome = .success(try write(db))
                            return .commit
                        }
                    } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                        // Validation should have caught it; the schema's constraints are the last line.
                        outcome = .failure(TaskportError.malformed("A value is not acceptable: \(error.message ?? "constraint failed")"))
                    } catch {
                        outcome = .failure(error)
                    }
                    return outcome
                }
            }
            committed(batch.count)
            metrics.committed(batch: batch.count, succeeded: results.count(where: \.isSuccess), in: ContinuousClock.now - started)
            for (pending, result) in zip(batch, results) {
                pending.continuation.resume(with: result)
            }
        } catch {
            // The transaction itself failed (for example the disk refused the commit): no write of it stands.
            for pending in batch {
                pending.continuation.resume(throwing: error)
            }
        }
    }
}

/// What group commit measures: the task writes that committed, how many writes each transaction
/// held, and how long each took from its start to its durable commit.
struct CommitMetrics: Sendable {
    private let writes: Counter
    private let batchSize: Recorder
    private let duration: Timer

    init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        writes = Counter(label: "taskport_task_writes_total", dimensions: [("store", "sqlite")], factory: factory)
        batchSize = Recorder(label: "taskport_sqlite_commit_batch_size", factory: factory)
        duration = Timer(label: "taskport_sqlite_commit_duration_seconds", factory: factory)
    }

    func committed(batch: Int, succeeded: Int, in elapsed: Duration) {
        writes.increment(by: succeeded)
        batchSize.record(batch)
        duration.record(duration: elapsed)
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { true } else { false }
    }
}
