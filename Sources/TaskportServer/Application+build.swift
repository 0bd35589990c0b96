import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import MaxsightDialect
import NativeDialect
import NexudusDialect
import RolloutDialect
import ThenaDialect
import NIOCore
import ServiceLifecycle
import TaskportConsole
import TaskportCore
import TaskportDelivery
import TaskportGates
import TaskportHTTP
import TaskportJournal
import TaskportMetrics
import CoreMetrics

/// Where and how the server listens, and whether it delivers notifications.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var logLevel: Logger.Level
    /// Runs the outbox delivery worker and the due-date reminders; nil runs neither.
    public var notifications: NotificationSettings?
    /// Timeouts for idle connections and slow requests, and how shutdown drains.
    public var connections: ConnectionLimits
    /// How the console's sessions live.
    public var console: ConsoleSettings
    /// How old sent outbox messages and history entries get before they are removed; nil keeps them.
    public var outboxRetention: Duration?
    public var historyRetention: Duration?
    /// Serves `/metrics`; nil records nothing.
    public var metrics: MetricsSettings?
    /// Keeps the request journal; nil keeps none.
    public var journal: JournalSettings?
    /// Acts on the tenants' fault rules (made through `/v1/faults`). Off, a rule cannot be made
    /// through the API, so that nothing a client sends can make the server fail on purpose.
    public var faultInjection: Bool
    /// Each surface's limit per credential; a surface without one has none.
    public var rateLimits: [String: RateLimit]

    public init(
        host: String = "127.0.0.1", port: Int = 8080, logLevel: Logger.Level = .info, notifications: NotificationSettings? = nil,
        connections: ConnectionLimits = ConnectionLimits(), console: ConsoleSettings = ConsoleSettings(),
        outboxRetention: Duration? = nil, historyRetention: Duration? = nil, metrics: MetricsSettings? = nil,
        journal: JournalSettings? = nil, faultInjection: Bool = false, rateLimits: [String: RateLimit] = [:]
    ) {
        self.faultInjection = faultInjection
        self.rateLimits = rateLimits
        self.metrics = metrics
        self.journal = journal
        self.outboxRetention = outboxRetention
        self.historyRetention = historyRetention
        self.host = host
        self.port = port
        self.logLevel = logLevel
        self.notifications = notifications
        self.connections = connections
        self.console = console
    }
}

/// Where the metrics are served and what records them.
public struct MetricsSettings: Sendable {
    /// The exporter whose factory the store was opened with, so that its writes are counted too.
    public var exporter: MetricsExporter
    /// Serves `/metrics` on this port of the same host instead of the API's, so that it need not be public.
    public var port: Int?

    public init(exporter: MetricsExporter, port: Int? = nil) {
        self.exporter = exporter
        self.port = port
    }
}

/// How the server delivers what changes write to the outbox.
public struct NotificationSettings: Sendable {
    /// The mail server; without one, email waits in the outbox.
    public var smtp: SMTPConfiguration?
    public var retry: RetryPolicy
    /// How long the worker waits when nothing is due.
    public var pollInterval: Duration
    /// How often due dates are checked for reminders.
    public var reminderInterval: Duration
    /// Where webhooks may be delivered: public addresses, and the networks this allows.
    public var webhookDestinations: WebhookDestinations

    public init(
        smtp: SMTPConfiguration? = nil, retry: RetryPolicy = RetryPolicy(), pollInterval: Duration = .seconds(1),
        reminderInterval: Duration = .seconds(30), webhookDestinations: WebhookDestinations = WebhookDestinations()
    ) {
        self.smtp = smtp
        self.retry = retry
        self.pollInterval = pollInterval
        self.reminderInterval = reminderInterval
        self.webhookDestinations = webhookDestinations
    }
}

/// Builds the whole HTTP application over one store: every surface, health checks and the
/// OpenAPI documents. The CLI and the tests both start Taskport through this.
/// `storeServices` run first and stop last: a store's connection pool, for one.
public func buildApplication(
    _ configuration: ServerConfiguration, store: any TaskportStore, storeServices: [any Service] = []
) async throws -> some ApplicationProtocol {
    var logger = Logger(label: "taskport")
    logger.logLevel = configuration.logLevel
    var access = Logger(label: "taskport.access")
    access.logLevel = configuration.logLevel
    var gates: [any RequestGate] = []
    if !configuration.rateLimits.isEmpty { gates.append(RateLimiter(limits: configuration.rateLimits, surface: surface(ofRoute:))) }
    let faults = configuration.faultInjection ? FaultInjector(store: store, surface: surface(ofRoute:), logger: logger) : nil
    if let faults { gates.append(faults) }
    let testing = NativeSurface.TestingHooks(
        faultInjection: faults != nil,
        faultRulesChanged: { await faults?.reload() },
        resetToDemo: { tenant in try await DemoData.resetTasks(of: tenant, store) }
    )
    let router = try buildRouter(
        store: store, tokens: try await TokenAuthority.load(from: store), console: configuration.console, testing: testing
    )
    var services = storeServices
    let factory = configuration.metrics?.exporter.factory ?? NOOPMetricsHandler.instance
    if let notifications = configuration.notifications {
        services.append(
            OutboxDelivery(
                store: store, smtp: notifications.smtp.map(SMTPClient.init),
                webhooks: WebhookSender(destinations: notifications.webhookDestinations), policy: notifications.retry,
                pollInterval: notifications.pollInterval, logger: logger, metrics: factory
            )
        )
        services.append(DueDateReminders(store: store, interval: notifications.reminderInterval, logger: logger, metrics: factory))
    }
    if configuration.outboxRetention != nil || configuration.historyRetention != nil {
        services.append(Retention(store: store, outboxAge: configuration.outboxRetention, historyAge: configuration.historyRetention, logger: logger))
    }
    var observers: [any RequestObserver] = access.logLevel <= .info ? [AccessLog(logger: access)] : []
    if let metrics = configuration.metrics {
        observers.append(HTTPMetrics(factory: metrics.exporter.factory))
        let diagnostics = store as? any StoreDiagnostics
        if let port = metrics.port {
            // Its own small server, stopped with the rest.
            let metricsRouter = Router()
            metrics.exporter.register(on: metricsRouter, store: diagnostics)
            services.append(
                Application(
                    router: metricsRouter, configuration: .init(address: .hostname(configuration.host, port: port), serverName: "Taskport"),
                    logger: logger
                )
            )
        } else {
            metrics.exporter.register(on: router, store: diagnostics)
        }
    }
    let limits = configuration.connections
    let journal = configuration.journal.map { settings in (settings: settings, buffer: JournalBuffer()) }
    if let journal {
        // Before the HTTP server in the group, so that it stops after the server and writes what the last requests left.
        services.append(JournalWriter(store: store, buffer: journal.buffer, settings: journal.settings, logger: logger))
    }
    let journaled = JournalResponder(
        router.buildResponder(), buffer: journal?.buffer, bodyLimit: journal?.settings.bodyLimit ?? 0, surface: surface(ofRoute:)
    )
    return Application(
        responder: DroppingResponder(ObservingResponder(journaled, observers: observers, gates: gates, surface: surface(ofRoute:))),
        server: HTTPServerBuilder { responder in TaskportHTTP1Channel(responder: responder, limits: limits) },
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Taskport"),
        services: services,
        logger: logger
    )
}

/// Each request's context: Hummingbird's, plus the address the connection came from and the
/// connection itself, for a fault rule that drops it.
public struct TaskportRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }
}

/// Closes the connection of a request a fault rule dropped, before anything is written to it.
struct DroppingResponder<Wrapped: HTTPResponder>: HTTPResponder where Wrapped.Context == TaskportRequestContext {
    typealias Context = TaskportRequestContext
    let wrapped: Wrapped

    init(_ wrapped: Wrapped) {
        self.wrapped = wrapped
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        do {
            return try await wrapped.respond(to: request, context: context)
        } catch let error as DroppedConnection {
            try? await context.channel.close(mode: .all)
            throw error
        }
    }
}

func buildRouter(
    store: any TaskportStore, tokens: TokenAuthority, console: ConsoleSettings, testing: NativeSurface.TestingHooks = .init()
) throws -> Router<TaskportRequestContext> {
    let router = Router(context: TaskportRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: RouteRecorder())
    router.get("/healthz") { _, _ in "ok\n" }
    router.get("/readyz") { _, _ -> Response in
        if await store.isReady() {
            return Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
        }
        return .json(.serviceUnavailable, ["type": "urn:taskport:problem:not-ready", "title": "Service Unavailable", "detail": "The store does not answer"], contentType: "application/problem+json")
    }
    let documents = [
        "native.yaml": try NativeSurface.openAPIDocument(),
        "rollout.yaml": try RolloutSurface.openAPIDocument(),
        "maxsight.yaml": try MaxsightSurface.openAPIDocument(),
        "thena.yaml": try ThenaSurface.openAPIDocument(),
        "nexudus.yaml": try NexudusSurface.openAPIDocument(),
    ]
    router.get("/openapi/:document") { _, context -> Response in
        guard let name = context.parameters.get("document"), let text = documents[name] else {
            throw HTTPError(.notFound)
        }
        return Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
    try NativeSurface.register(on: router, store: store, testing: testing)
    let views = [NativeSurface.view, MaxsightSurface.view, ThenaSurface.view(store: store), NexudusSurface.view(store: store)]
    try RolloutSurface.register(on: router, store: store, tokens: tokens, views: views)
    try MaxsightSurface.register(on: router, store: store)
    try ThenaSurface.register(on: router, store: store)
    try NexudusSurface.register(on: router, store: store, tokens: tokens)
    let renderings = [NativeSurface.view, RolloutSurface.view(views: views)] + views.dropFirst()
    let rollout = ConsoleRolloutAccess(
        surface: RolloutSurface.name,
        mint: { principal, lifetime in try await RolloutCredentials.mint(for: principal, in: store, lifetime: lifetime, credentialName: "console") },
        revoke: { id, tenantID in try await RolloutCredentials.revoke(id, in: tenantID, of: store) }
    )
    try ConsoleSurface.register(
        on: router, store: store, views: renderings, settings: console, rollout: rollout, clientAddress: { $0.remoteAddress?.ipAddress }
    )
    return router
}

/// The surface a route template belongs to, for the access log; nil for health checks, the
/// OpenAPI documents and paths no route matches.
func surface(ofRoute route: String) -> String? {
    if route.hasPrefix("/v1/accounts/tasks") { return ThenaSurface.name }
    if route.hasPrefix("/v1/") { return "native" }
    if route.hasPrefix("/api/crm/") || route == "/api/token" { return NexudusSurface.name }
    if route.hasPrefix("/api/tasks") { return RolloutSurface.name }
    if route.hasPrefix("/v5/") { return MaxsightSurface.name }
    if route == "/console" || route.hasPrefix("/console/") { return ConsoleSurface.name }
    return nil
}

/// Echoes the request id that every log line of the request carries as `X-Request-Id`.
struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.init("X-Request-Id")!] = context.id
        return response
    }
}
