import Foundation
public import Hummingbird
public import Logging
import Synchronization
public import TaskportCore

/// What a request turned out to be besides its method and status: the route it matched and whom
/// it was for, filled in as the request goes through the router and an authenticator.
public final class RequestRecord: Sendable {
    @TaskLocal public static var current: RequestRecord?

    public struct Caller: Sendable {
        public var tenantID: UUID
        public var userNumber: Int64
        /// A name for the credential that is never a secret: an API key's first characters, `token`, `session`.
        public var credential: String
    }

    struct State {
        var route: String?
        var caller: Caller?
        var fault: String?
    }

    private let state = Mutex(State())
    /// What decides, once the caller is known, whether the request goes on.
    let gates: [any RequestGate]

    public init(gates: [any RequestGate] = []) {
        self.gates = gates
    }

    /// The request runs as `principal`, by `credential`: a name for it that is never a secret,
    /// such as an API key's first characters or `token`.
    /// With nothing observing requests there is no record, and the name is never made.
    public static func authenticated(_ principal: Principal, by credential: @autoclosure () -> String) {
        guard let record = current else { return }
        let caller = Caller(tenantID: principal.tenantID, userNumber: principal.user.number, credential: credential())
        record.state.withLock { $0.caller = caller }
    }

    /// The request runs as `principal`, by `credential`, and goes on if every gate lets it: a
    /// gate may hold it (added latency) or answer in its place by throwing (a rate limit, an
    /// injected fault). The API surfaces call this; the console, which people use, calls
    /// `authenticated` and is never held.
    public static func admitted(_ principal: Principal, by credential: @autoclosure () -> String, request: Request) async throws {
        authenticated(principal, by: credential())
        guard let record = current, !record.gates.isEmpty, let caller = record.caller else { return }
        let route = record.route ?? "unmatched"
        for gate in record.gates {
            try await gate.admit(request, route: route, caller: caller)
        }
    }

    /// Notes what a fault rule did to the request, for its journal entry.
    public static func injected(_ fault: String) {
        current?.state.withLock { state in
            state.fault = state.fault.map { $0 + "; " + fault } ?? fault
        }
    }

    static func matched(route: String?) {
        current?.state.withLock { $0.route = route }
    }

    var recorded: State { state.withLock { $0 } }

    /// Whom the request was for, once an authenticator accepted its credential.
    public var caller: Caller? { state.withLock { $0.caller } }
    /// The route template it matched.
    public var route: String? { state.withLock { $0.route } }
    /// What fault rules did to it, if any did.
    public var fault: String? { state.withLock { $0.fault } }
}

/// Decides whether a request whose caller is known goes on: a rate limit, fault injection.
public protocol RequestGate: Sendable {
    /// Returns to let the request go on (perhaps after a wait), or throws the error to answer
    /// with, or `DroppedConnection` to close the connection without an answer.
    func admit(_ request: Request, route: String, caller: RequestRecord.Caller) async throws
}

/// Thrown to close the request's connection without answering it.
public struct DroppedConnection: Error, Sendable {
    public init() {}
}

/// Notes the route template a request matched, for whatever observes requests.
public struct RouteRecorder<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        RequestRecord.matched(route: context.endpointPath)
        return try await next(request, context)
    }
}

/// One request as it ended, for the access log and the metrics.
public struct ObservedRequest: Sendable {
    public var id: String
    public var method: HTTPRequest.Method
    /// The route template (never the raw path, which may carry names a client chose); `unmatched` when no route matched.
    public var route: String
    /// The surface the route belongs to; nil for health checks, documents and unmatched paths.
    public var surface: String?
    public var status: Int
    /// The body's length when it was known before it was sent.
    public var bytes: Int?
    public var duration: Duration
    public var caller: RequestRecord.Caller?
}

/// Something told of every request once its answer is ready.
public protocol RequestObserver: Sendable {
    /// Called once per request, routed or not, after the response (or the error) is known.
    func observe(_ request: ObservedRequest)
}

/// Runs around everything the router does and tells each observer of each request. With no
/// observers it adds nothing to a request.
public struct ObservingResponder<Wrapped: HTTPResponder>: HTTPResponder where Wrapped.Context: RequestContext {
    public typealias Context = Wrapped.Context
    let wrapped: Wrapped
    let observers: [any RequestObserver]
    let gates: [any RequestGate]
    /// The surface a route template belongs to.
    let surface: @Sendable (String) -> String?

    public init(
        _ wrapped: Wrapped, observers: [any RequestObserver], gates: [any RequestGate] = [], surface: @escaping @Sendable (String) -> String?
    ) {
        self.wrapped = wrapped
        self.observers = observers
        self.gates = gates
        self.surface = surface
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        guard !observers.isEmpty || !gates.isEmpty else { return try await wrapped.respond(to: request, context: context) }
        let record = RequestRecord(gates: gates)
        let started = ContinuousClock.now
        do {
            let response = try await RequestRecord.$current.withValue(record) { try await wrapped.respond(to: request, context: context) }
            tell(request, context, record, status: Int(response.status.code), bytes: response.body.contentLength, since: started)
            return response
        } catch {
            // A dropped connection has no status; it is told as 0.
            let status = error is DroppedConnection ? 0 : (error as? any HTTPResponseError)?.status.code ?? 500
            tell(request, context, record, status: Int(status), bytes: nil, since: started)
            throw error
        }
    }

    private func tell(_ request: Request, _ context: Context, _ record: RequestRecord, status: Int, bytes: Int?, since started: ContinuousClock.Instant) {
        let recorded = record.recorded
        let route = recorded.route ?? "unmatched"
        let observed = ObservedRequest(
            id: context.id, method: request.method, route: route, surface: surface(route), status: status, bytes: bytes,
            duration: ContinuousClock.now - started, caller: recorded.caller
        )
        for observer in observers { observer.observe(observed) }
    }
}

/// One line per request: its id, tenant, surface, method, route template, status, bytes,
/// duration and the credential by its public name. Logged at `info` under the logger's label
/// (`taskport.access`).
public struct AccessLog: RequestObserver {
    let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func observe(_ request: ObservedRequest) {
        let (seconds, attoseconds) = request.duration.components
        var metadata: Logger.Metadata = [
            "request_id": "\(request.id)", "method": "\(request.method.rawValue)", "route": "\(request.route)", "status": "\(request.status)",
            "duration_us": "\(seconds * 1_000_000 + attoseconds / 1_000_000_000_000)",
        ]
        if let bytes = request.bytes { metadata["bytes"] = "\(bytes)" }
        if let surface = request.surface { metadata["surface"] = "\(surface)" }
        if let caller = request.caller {
            metadata["tenant"] = "\(caller.tenantID.lowercasedText)"
            metadata["user"] = "\(caller.userNumber)"
            metadata["credential"] = "\(caller.credential)"
        }
        logger.info("request", metadata: metadata)
    }
}
