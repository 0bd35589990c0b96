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
        } catch let error as DroppedConnection {
            throw error
        } catch TaskportError.injected(500, _, _) {
            // An injected server fault looks like a real one.
            return envelope.serverFaultResponse(to: request)
        } catch {
            if let clientError = ClientErrors.classify(error) {
                return envelope.response(for: clientError, to: request)
            }
            context.logger.error("request failed", metadata: ["error": "\(ClientErrors.faultSummary(error))"])
            return envelope.serverFaultResponse(to: request)
        }
    }
}

/// The largest request body any surface reads.
public enum BodyLimit {
    /// 1 MiB.
    public static let maximumBytes = 1 << 20

    /// The whole body of `request`, kept in it as one buffer: `payloadTooLarge` past
    /// `maximumBytes`, `malformed` when it breaks off. A body already read is not read again.
    public static func read(_ request: inout Request) async throws -> ByteBuffer {
        do {
            return try await request.collectBody(upTo: maximumBytes)
        } catch is NIOTooManyBytesError {
            throw TaskportError.payloadTooLarge(limit: maximumBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw TaskportError.payloadTooLarge(limit: maximumBytes)
        } catch {
            throw TaskportError.malformed("The request body could not be read to its end")
        }
    }
}

/// Reads a request's body once, at the edge, before any handler decodes it: a body over the size
/// limit is `payloadTooLarge` (whether or not it declared its length), one that ends before its
/// `Content-Length` or breaks off is `malformed`, and a JSON body (`application/json`, any
/// `+json` type, and `alsoJSON`) must pass `StrictJSON`, or it is `malformed` naming the place.
public struct RequestBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    let alsoJSON: [String]

    /// `alsoJSON`: further media types whose bodies are JSON texts on this surface (`text/plain`).
    public init(alsoJSON: [String] = []) {
        self.alsoJSON = alsoJSON
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let limit = BodyLimit.maximumBytes
        if let declared = request.headers.value(.contentLength).flatMap({ Int($0) }), declared > limit {
            throw TaskportError.payloadTooLarge(limit: limit)
        }
        var request = request
        let body = try await BodyLimit.read(&request)
        if let declared = request.headers.value(.contentLength).flatMap({ Int($0) }), declared != body.readableBytes {
            throw TaskportError.malformed("The request body is \(body.readableBytes) bytes, not the \(declared) its Content-Length says")
        }
        if body.readableBytes > 0, isJSON(request.headers.value(.contentType)) {
            do {
                try StrictJSON.check(body.readableBytesView)
            } catch {
                throw TaskportError.malformed(error.description)
            }
        }
        return try await next(request, context)
    }

    func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let end = contentType.utf8.firstIndex(of: UInt8(ascii: ";")) ?? contentType.endIndex
        let type = contentType[..<end].trimmingSpaces().lowercased()
        return type == "application/json" || type.hasSuffix("+json") || alsoJSON.contains(type)
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
            if let value = response.headers.value(name), value.contains("%"), let decoded = value.removingPercentEncoding {
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
