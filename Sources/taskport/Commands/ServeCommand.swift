import ArgumentParser
import CoreMetrics
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TaskportCore
import TaskportDelivery
import TaskportHTTP
import TaskportGates
import TaskportJournal
import TaskportMetrics
import TaskportPostgres
import TaskportSQLite
import TaskportConsole
import TaskportServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server.")

    @OptionGroup var store: DatabaseOptions

    @Option(help: "The address to listen on (TASKPORT_HOST).")
    var host: String = environment("TASKPORT_HOST") ?? "127.0.0.1"

    @Option(help: "The port to listen on (TASKPORT_PORT).")
    var port: Int = environment("TASKPORT_PORT").flatMap { Int($0) } ?? 8080

    @Option(help: "trace, debug, info, notice, warning, error or critical (TASKPORT_LOG_LEVEL).")
    var logLevel: String = environment("TASKPORT_LOG_LEVEL") ?? "info"

    @Option(help: "text, or json: one JSON object per line (TASKPORT_LOG_FORMAT).")
    var logFormat: LogFormat = environment("TASKPORT_LOG_FORMAT").flatMap(LogFormat.init) ?? .text

    @Flag(help: "Create the demo tenant if missing and write its credentials to taskport-demo.json beside the database (TASKPORT_DEMO=1).")
    var demo = environment("TASKPORT_DEMO") == "1"

    @Option(
        help: """
            Seconds a connection may stay idle, or take to send a request's head, and a request's body may take to \
            arrive, before the connection is closed (TASKPORT_CONNECTION_TIMEOUT).
            """
    )
    var connectionTimeout: Double = environment("TASKPORT_CONNECTION_TIMEOUT").flatMap { Double($0) } ?? 30

    @Option(
        help: """
            The address people reach this server at, such as https://tasks.example.com (TASKPORT_PUBLIC_URL). With https, \
            the console's cookies are sent over https only.
            """
    )
    var publicURL: String? = environment("TASKPORT_PUBLIC_URL")

    @Option(help: "Days a sent outbox message is kept; 0 keeps them all (TASKPORT_OUTBOX_RETENTION_DAYS).")
    var outboxRetention: Double = environment("TASKPORT_OUTBOX_RETENTION_DAYS").flatMap { Double($0) } ?? 7

    @Option(help: "Days a history entry is kept; without it, history is kept for ever (TASKPORT_HISTORY_RETENTION_DAYS).")
    var historyRetention: Double? = environment("TASKPORT_HISTORY_RETENTION_DAYS").flatMap { Double($0) }

    @Option(
        help: """
            Serve /metrics (Prometheus) on this port instead of the API's, so that it need not be public \
            (TASKPORT_METRICS_PORT).
            """
    )
    var metricsPort: Int? = environment("TASKPORT_METRICS_PORT").flatMap { Int($0) }

    @Flag(help: "Record no metrics and serve no /metrics (TASKPORT_METRICS=off).")
    var noMetrics = environment("TASKPORT_METRICS") == "off"

    @Option(help: "Journal entries kept per tenant, the oldest going first; 0 keeps no journal (TASKPORT_JOURNAL_SIZE).")
    var journalSize: Int = environment("TASKPORT_JOURNAL_SIZE").flatMap { Int($0) } ?? 10_000

    @Option(help: "Days a journal entry is kept (TASKPORT_JOURNAL_AGE_DAYS).")
    var journalAge: Double = environment("TASKPORT_JOURNAL_AGE_DAYS").flatMap { Double($0) } ?? 7

    @Option(help: "Bytes of each request and answer body a journal entry keeps (TASKPORT_JOURNAL_BODY_BYTES).")
    var journalBodyBytes: Int = environment("TASKPORT_JOURNAL_BODY_BYTES").flatMap { Int($0) } ?? 16 * 1024

    @Option(
        help: """
            A surface's rate limit per credential, as surface=requests/seconds (rollout=100/10); repeat for more surfaces. \
            Over it, the surface's own 429 with Retry-After. Counted by each server on its own.
            """
    )
    var rateLimit: [String] = []

    @Flag(
        help: """
            Act on the tenants' fault rules, and let administrators make them through /v1/faults (TASKPORT_FAULT_INJECTION=on). \
            For servers used to test integrations: without it, nothing a client sends makes the server fail on purpose.
            """
    )
    var faultInjection = environment("TASKPORT_FAULT_INJECTION") == "on"

    @OptionGroup var notifications: NotificationOptions

    func run() async throws {
        if let publicURL {
            guard let url = URL(string: publicURL), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
                throw ValidationError("--public-url must be an http or https URL such as https://tasks.example.com")
            }
        }
        guard connectionTimeout > 0, connectionTimeout <= 3600 else {
            throw ValidationError("--connection-timeout must be more than 0 and at most 3600 seconds")
        }
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("Unknown log level '\(logLevel)'")
        }
        guard (0...36_500).contains(outboxRetention), historyRetention.map({ $0 > 0 && $0 <= 36_500 }) ?? true else {
            throw ValidationError("--outbox-retention is 0 to 36500 days, --history-retention more than 0 and at most 36500")
        }
        if let metricsPort {
            guard (1...65_535).contains(metricsPort), metricsPort != port else {
                throw ValidationError("--metrics-port must be a port from 1 to 65535 other than --port")
            }
            guard !noMetrics else { throw ValidationError("--metrics-port and --no-metrics do not go together") }
        }
        guard (0...1_000_000).contains(journalSize), journalAge > 0, journalAge <= 36_500, (0...1 << 20).contains(journalBodyBytes) else {
            throw ValidationError("--journal-size is 0 to 1000000, --journal-age more than 0 and at most 36500 days, --journal-body-bytes 0 to 1048576")
        }
        var rateLimits: [String: RateLimit] = [:]
        for text in rateLimit {
            guard let (surface, limit) = RateLimit.parse(text), rateLimits[surface] == nil else {
                throw ValidationError(
                    "--rate-limit is surface=requests/seconds, once per surface (native, rollout, nexudus, thena, maxsight), such as rollout=100/10"
                )
            }
            rateLimits[surface] = limit
        }
        let metrics = noMetrics ? nil : MetricsSettings(exporter: MetricsExporter(), port: metricsPort)
        let database = try await store.open(metrics: metrics?.exporter.factory ?? NOOPMetricsHandler.instance)
        if demo {
            try await writeDemoCredentials(database)
        }
        let timeout = TimeAmount.milliseconds(Int64(connectionTimeout * 1000))
        let configuration = ServerConfiguration(
            host: host, port: port, logLevel: level, notifications: try notifications.settings(),
            connections: ConnectionLimits(idleTimeout: timeout, bodyTimeout: timeout),
            console: ConsoleSettings(secureCookies: publicURL?.lowercased().hasPrefix("https://") == true),
            outboxRetention: outboxRetention > 0 ? .seconds(outboxRetention * 86_400) : nil,
            historyRetention: historyRetention.map { .seconds($0 * 86_400) }, metrics: metrics,
            journal: journalSize == 0 ? nil : JournalSettings(size: journalSize, age: .seconds(journalAge * 86_400), bodyLimit: journalBodyBytes),
            faultInjection: faultInjection, rateLimits: rateLimits
        )
        // A PostgreSQL store's connections close, and an SQLite file's checkpointer and watch for other processes' commits
        // stop, after the HTTP server has drained.
        let storeServices: [any Service] = switch database {
        case let postgres as PostgresStore: [postgres]
        case let sqlite as SQLiteStore: (sqlite.checkpointer.map { [$0] } ?? []) + [sqlite.otherProcessChanges]
        default: []
        }
        let app = try await buildApplication(configuration, store: database, storeServices: storeServices)
        try await app.runService()
    }

    func writeDemoCredentials(_ database: any TaskportStore) async throws {
        let folder = store.isPostgres ? URL(fileURLWithPath: FileManager.default.currentDirectoryPath) : URL(fileURLWithPath: store.database).deletingLastPathComponent()
        let file = folder.appendingPathComponent("taskport-demo.json")
        let previous = try? JSONDecoder().decode(DemoData.Credentials.self, from: Data(contentsOf: file))
        let base = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 } ?? "http://\(host):\(port)"
        let credentials = try await DemoData.seed(database, baseURL: base, previous: previous)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(credentials)
        try json.write(to: file)
        print("Demo tenant '\(DemoData.tenantName)' is ready; credentials in \(file.path):")
        print(String(decoding: json, as: UTF8.self))
        if let console = credentials.console {
            print("Console: \(console.url) (sign in as \(console.email) with password \(console.password))")
        }
        fflush(nil)
    }
}

/// The mail server and the delivery worker's settings.
struct NotificationOptions: ParsableArguments {
    @Option(help: "The SMTP server to send email through; without it, email waits in the outbox (TASKPORT_SMTP_HOST).")
    var smtpHost: String? = environment("TASKPORT_SMTP_HOST")

    @Option(help: "Its port (TASKPORT_SMTP_PORT).")
    var smtpPort: Int = environment("TASKPORT_SMTP_PORT").flatMap { Int($0) } ?? 25

    @Option(help: "none, or starttls to encrypt before authenticating (TASKPORT_SMTP_SECURITY).")
    var smtpSecurity: SMTPConfiguration.Security = environment("TASKPORT_SMTP_SECURITY").flatMap(SMTPConfiguration.Security.init) ?? .none

    @Option(help: "The user to authenticate as, with AUTH PLAIN or LOGIN (TASKPORT_SMTP_USERNAME).")
    var smtpUsername: String? = environment("TASKPORT_SMTP_USERNAME")

    @Option(help: "Its password; prefer the environment variable (TASKPORT_SMTP_PASSWORD).")
    var smtpPassword: String? = environment("TASKPORT_SMTP_PASSWORD")

    @Option(help: "The sender address (TASKPORT_SMTP_FROM).")
    var smtpFrom: String = environment("TASKPORT_SMTP_FROM") ?? "taskport@localhost"

    @Option(help: "A PEM file of certificate authorities to trust for STARTTLS (TASKPORT_SMTP_CA_FILE).")
    var smtpCAFile: String? = environment("TASKPORT_SMTP_CA_FILE")

    @Option(help: "Delivery attempts before a message is kept as dead (TASKPORT_DELIVERY_ATTEMPTS).")
    var deliveryAttempts: Int = environment("TASKPORT_DELIVERY_ATTEMPTS").flatMap { Int($0) } ?? 8

    @Option(help: "Seconds to wait after a first failed delivery; doubles each time, at most an hour (TASKPORT_DELIVERY_RETRY_SECONDS).")
    var deliveryRetrySeconds: Double = environment("TASKPORT_DELIVERY_RETRY_SECONDS").flatMap { Double($0) } ?? 5

    @Option(help: "Seconds between checks for due-date reminders (TASKPORT_REMINDER_SECONDS).")
    var reminderSeconds: Double = environment("TASKPORT_REMINDER_SECONDS").flatMap { Double($0) } ?? 30

    @Option(
        help: """
            A network webhooks may be delivered to although it is not public, such as 10.0.0.0/8 or 127.0.0.1; \
            repeat for several (TASKPORT_WEBHOOK_ALLOW_NETWORKS, comma-separated). Loopback, private, link-local and \
            cloud-metadata addresses are refused otherwise.
            """
    )
    var webhookAllowNetwork: [String] = environment("TASKPORT_WEBHOOK_ALLOW_NETWORKS")?.split(separator: ",").map(String.init) ?? []

    func settings() throws -> NotificationSettings {
        guard deliveryAttempts >= 1, deliveryRetrySeconds > 0, reminderSeconds > 0 else {
            throw ValidationError("Delivery attempts, retry and reminder seconds must be positive")
        }
        let networks = try webhookAllowNetwork.map { text in
            guard let network = IPNetwork(text.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("'\(text)' is not an IP address or network such as 10.0.0.0/8")
            }
            return network
        }
        let smtp = smtpHost.map { host in
            SMTPConfiguration(
                host: host, port: smtpPort, security: smtpSecurity, username: smtpUsername, password: smtpPassword,
                from: smtpFrom, trustedCertificatesFile: smtpCAFile
            )
        }
        return NotificationSettings(
            smtp: smtp, retry: RetryPolicy(maxAttempts: deliveryAttempts, baseDelay: .seconds(deliveryRetrySeconds)),
            pollInterval: .milliseconds(min(1000, Int(deliveryRetrySeconds * 1000))), reminderInterval: .seconds(reminderSeconds),
            webhookDestinations: WebhookDestinations(allowing: networks)
        )
    }
}

extension SMTPConfiguration.Security: ExpressibleByArgument {}
