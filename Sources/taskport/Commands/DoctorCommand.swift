import ArgumentParser
import Foundation
import TaskportCore
import TaskportDelivery
import TaskportServer

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say how a store stands: schema, tasks per tenant, the outbox, the log, and whether the mail server answers.",
        discussion: "Reads only; safe beside running servers. Exits non-zero when the mail server given does not answer."
    )

    @OptionGroup var store: DatabaseOptions
    @OptionGroup var notifications: NotificationOptions

    func run() async throws {
        let database = try await store.open()
        guard let diagnostics = database as? any StoreDiagnostics else { throw ValidationError("This store cannot describe itself") }
        let health = try await diagnostics.health()
        print("store:   \(store.isPostgres ? "PostgreSQL" : "SQLite") \(store.displayName)")
        print("schema:  \(health.schema)")
        for tenant in health.tenants { print("tenant:  \(tenant.name), \(tenant.tasks) task\(tenant.tasks == 1 ? "" : "s")") }
        if health.tenants.isEmpty { print("tenant:  none (taskport tenant create NAME, or serve --demo)") }
        let counts = OutboxState.allCases.map { "\(health.outbox[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
        var backlog = "outbox:  \(counts)"
        if let oldest = health.oldestPending {
            let age = max(0, Timestamp.now().microseconds - oldest.microseconds) / 1_000_000
            backlog += "; oldest pending written \(age) s ago"
        }
        print(backlog)
        if let bytes = health.logBytes { print("log:     write-ahead log \(bytes / 1024) KiB") }
        if let engine = health.engine { print("sqlite:  \(engine)") }
        let settings = try notifications.settings()
        guard let smtp = settings.smtp else {
            print("smtp:    not configured (--smtp-host); email waits in the outbox")
            return
        }
        do {
            let offered = try await SMTPClient(smtp).check()
            print("smtp:    \(smtp.host):\(smtp.port) answers (\(offered.dropFirst().prefix(6).joined(separator: ", ")))")
        } catch {
            print("smtp:    \(smtp.host):\(smtp.port) does not answer: \(error)")
            throw ExitCode(2)
        }
    }
}
