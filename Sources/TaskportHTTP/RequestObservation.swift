import Foundation
public import Hummingbird
public import Logging
import Synchronization
public import TaskportCore

/// What the access log tells of a request besides its method and status: the route it matched
/// and whom it was for, filled in as the request goes through the router and an authenticator.
public final class RequestRecord: Sendable {
    @TaskLocal public static var current: RequestRecord?

    struct Caller {
        var tenantID: UUID
        var userNumber: Int64
        var credential: String
    }

    struct State {
        var route: String?
        var caller: Caller?
    }

    private let state = Mutex(State())

    public init() {}

    /// The request runs as `principal`, by `credential`: a name for it that is never a secret,
    /// such as an API key's first characters or `token`.
    /// With the access log off there is no record, and the name is never made.
    public static func authenticated(_ principal: Principal, by credential: @autoclosure () -> String) {
        guard let record = current else { return }
        let caller = Caller(tenantID: principal.tenantID, userNumber: principal.user.number, credential: credential())
        record.state.withLock { $0.caller = caller }
    }

    static func matched(route: String?) {
        current?.state.withLock { $0.route = route }
    }

    var recorded: State { state.withLock { $0 } }
}

/// Notes the route template a request matched, for the access log.
public struct RouteRecorder<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        RequestRecord.matched(route: context.endpointPath)
        return try await next(request, context)
    }
}

/// One line per request, routed or not: its id, tenant, surface, method, route template (never
/// the raw path or query, which may carry names a client chose; `unmatched` when no route
/// matched), status, bytes, duration and the credential by its public name. Logged at `info`
/// under the logger's label (`taskport.access`), around everything the router does.
public struct AccessLogResponder<Wrapped: HTTPResponder>: HTTPResponder where Wrapped.Context: RequestContext {
    public typealias Context = Wrapped.Context
    let wrapped: Wrapped
    let logger: Logger
    /// The surface a route template belongs to.
    let surface: @Sendable (String) -> String?

    public init(_ wrapped: Wrapped, logger: Logger, surface: @escaping @Sendable (String) -> String?) {
        self.wrapped = wrapped
        self.logger = logger
        self.surface = surface
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        guard logger.logLevel <= .info else { return try await wrapped.respond(to: request, context: context) }
        let record = RequestRecord()
        let started = ContinuousClock.now
        do {
            let response = try await RequestRecord.$current.withValue(record) { try await wrapped.respond(to: request, context: context) }
            log(request, context, record, status: Int(response.status.code), bytes: response.body.contentLength, since: started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            log(request, context, record, status: Int(status), bytes: nil, since: started)
            throw error
        }
    }

    private func log(_ request: Request, _ context: Context, _ record: RequestRecord, status: Int, bytes: Int?, since started: ContinuousClock.Instant) {
        let recorded = record.recorded
        let route = recorded.route ?? "unmatched"
        let (seconds, attoseconds) = (ContinuousClock.now - started).components
        var metadata: Logger.Metadata = [
            "request_id": "\(context.id)", "method": "\(request.method.rawValue)", "route": "\(route)", "status": "\(status)",
            "duration_us": "\(seconds * 1_000_000 + attoseconds / 1_000_000_000_000)",
        ]
        if let bytes { metadata["bytes"] = "\(bytes)" }
        if let name = surface(route) { metadata["surface"] = "\(name)" }
        if let caller = recorded.caller {
            metadata["tenant"] = "\(caller.tenantID.uuidString.lowercased())"
            metadata["user"] = "\(caller.userNumber)"
            metadata["credential"] = "\(caller.credential)"
        }
        logger.info("request", metadata: metadata)
    }
}
