import CoreMetrics
import Foundation
import Logging
import ServiceLifecycle
import TaskportCore

/// Sends each task's due-date reminder once: finds tasks that are due, want an email
/// (`notifyByEmail`) and have not been reminded, and in one transaction per task sets
/// `reminded` and writes the email to its responsible user. The write is conditional on the
/// version it read, so of several servers (or a client changing the task meanwhile) exactly one
/// succeeds. Moving the due date re-arms the reminder.
public struct DueDateReminders: Service {
    let store: any TaskportStore
    let interval: Duration
    let logger: Logger
    /// Reminders written to the outbox.
    let written: Counter

    public static let actor = Actor(userID: nil, name: "Taskport reminders", surface: "reminders")

    public init(store: any TaskportStore, interval: Duration = .seconds(30), logger: Logger, metrics: any MetricsFactory = NOOPMetricsHandler.instance) {
        written = Counter(label: "taskport_reminders_written_total", factory: metrics)
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await remind()
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("due-date reminders failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Enqueues the reminders owed at `now`; returns how many this call enqueued.
    @discardableResult
    public func remind(now: Timestamp = .now()) async throws -> Int {
        var sent = 0
        for task in try await store.tasksOwingReminders(at: now, limit: 100) {
            guard let responsibleID = task.content.responsibleID, let dueAt = task.content.dueAt,
                let user = try await store.user(responsibleID, in: task.tenantID)
            else { continue }
            let message = OutboxMessage(
                channel: .email, recipient: user.email, event: "task.reminder",
                payload: [
                    "taskId": JSONValue(task.id), "taskNumber": .integer(task.number), "taskTitle": .string(task.content.title),
                    "dueAt": JSONValue(dueAt), "timeZone": JSONValue(task.content.timeZone),
                    "dueLocal": .string(EmailText.localDueTime(dueAt, in: task.content.timeZone)),
                    "recipientName": .string(user.name),
                ]
            )
            do {
                _ = try await store.apply(
                    TaskMutation(
                        tenantID: task.tenantID, task: .id(task.id), kind: .patch(TaskPatch([.reminded(true)])),
                        precondition: .version(task.version), actor: Self.actor, outbox: [message]
                    )
                )
                sent += 1
                written.increment()
            } catch TaskportError.versionMismatch, TaskportError.notFound {
                // Someone changed or removed the task since it was read; the next round looks again.
                continue
            }
        }
        return sent
    }
}
