import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TaskportCore

/// How one surface writes its errors: its status codes and its error envelope.
public protocol ErrorEnvelope: Sendable {
    /// The response for a client error, in a form the request accepts.
    func response(for error: TaskportError, to request: Request) -> Response
    /// The response for a fault of the server itself; it must not reveal internals.
    func serverFaultResponse(to request: Request) -> Response
}

/// Catches everything a surface's routes throw and answers in that surface's own error format.
/// Client mistakes become 4xx; anything else is logged and becomes a bare 500 in the envelope.
public struct SurfaceErrorMiddleware<Context: RequestContext, Envelope: ErrorEnvelope>: RouterMiddleware {
    let envelope: Envelope

    public init(_ envelope: Envelope) {
        self.envelope = envelope
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let clientError = ClientErrors.classify(error) {
                return envelope.response(for: clientError, to: request)
            }
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return envelope.serverFaultResponse(to: request)
        }
    }
}

/// The largest request body any surface reads.
public enum BodyLimit {
    /// 1 MiB.
    public static let maximumBytes = 1 << 20
}

/// Refuses bodies over the limit with `payloadTooLarge` before any handler reads them.
public struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let limit = BodyLimit.maximumBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw TaskportError.payloadTooLarge(limit: limit)
        }
        var request = request
        do {
            _ = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw TaskportError.payloadTooLarge(limit: limit)
        }
        return try await next(request, context)
    }
}

extension Response {
    /// A JSON response with the given status and content type.
    public static func json(
        _ status: HTTPResponse.Status, _ value: some Encodable, contentType: String = "application/json"
    ) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}

/// Undoes the percent-encoding that generated server code applies to string response headers,
/// so that clients read `ETag: "3"` rather than `ETag: %223%22`. Only the named headers are touched;
/// the values Taskport puts in them (entity tags, paths) never contain a literal `%`.
public struct GeneratedHeaderDecodingMiddleware<Context: RequestContext>: RouterMiddleware {
    let names: [HTTPField.Name]

    public init(_ names: [HTTPField.Name]) {
        self.names = names
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        for name in names {
            if let value = response.headers[name], value.contains("%"), let decoded = value.removingPercentEncoding {
                response.headers[name] = decoded
            }
        }
        return response
    }
}

extension RouterMethods {
    /// Answers `methodNotAllowed` (405, with the allowed methods) for the methods a surface's
    /// paths do not take, instead of a bare 404. `paths` maps each path to the methods it takes.
    public func refuseOtherMethods(_ paths: [String: [HTTPRequest.Method]]) {
        let candidates: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .options, .trace, HTTPRequest.Method("QUERY")!]
        for (path, allowed) in paths {
            let names = allowed.map(\.rawValue)
            for method in candidates where !allowed.contains(method) {
                on(RouterPath(path), method: method) { _, _ -> Response in
                    throw TaskportError.methodNotAllowed(allowed: names)
                }
            }
        }
    }
}
