public import HTTPTypes
public import Hummingbird
public import OpenAPIRuntime

/// Serves a surface's generated OpenAPI handlers on a Hummingbird router, handing them bodies
/// that are already in memory as bytes.
///
/// Every surface reads a request's body whole at the edge (`RequestBodyMiddleware`), and the
/// generated code writes each JSON answer whole before returning it. Passing either through an
/// asynchronous stream of chunks, as a general transport must, costs a chain of iterators per
/// request for one chunk: 12,700 instructions of a native update, both ways together
/// (`bench/README.md`). This transport gives the handler the request's buffer as the body, and
/// writes an answer of known length as one buffer. An answer whose length is not known beforehand
/// (a multipart body) is still streamed as the generated code yields it.
///
/// An operation may also have a shortcut (`OperationShortcut`), tried first for each request.
public struct BufferedTransport<Router: RouterMethods>: ServerTransport {
    let router: Router
    let shortcuts: [OperationShortcut]

    public init(_ router: Router, shortcuts: [OperationShortcut] = []) {
        self.router = router
        self.shortcuts = shortcuts
    }

    public func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method,
        path: String
    ) throws {
        let shortcut = shortcuts.first { $0.method == method && $0.path == path }
        router.on(RouterPath(path), method: method) { request, context in
            var request = request
            let bytes = try await BodyLimit.read(&request)
            if let shortcut, let response = try await shortcut.answer(request.head, bytes, context.parameters) {
                return response
            }
            let body = HTTPBody(bytes.readableBytesView)
            let (response, answer) = try await handler(request.head, body, Self.metadata(context.parameters))
            return try await Self.response(response, answer)
        }
    }

    /// The path's parameters by name; of a name given twice, the first.
    static func metadata(_ parameters: Parameters) -> ServerRequestMetadata {
        var byName: [String: Substring] = [:]
        for (name, value) in parameters where byName[String(name)] == nil {
            byName[String(name)] = value
        }
        return ServerRequestMetadata(pathParameters: byName)
    }

    static func response(_ response: HTTPResponse, _ body: HTTPBody?) async throws -> Response {
        guard let body else {
            return Response(status: response.status, headers: response.headerFields, body: ResponseBody(byteBuffer: ByteBuffer()))
        }
        guard case .known(let length) = body.length, let count = Int(exactly: length) else {
            return Response(
                status: response.status, headers: response.headerFields,
                body: ResponseBody(asyncSequence: body.map { ByteBuffer(bytes: $0) })
            )
        }
        let bytes = try await ArraySlice<UInt8>(collecting: body, upTo: count)
        return Response(status: response.status, headers: response.headerFields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// A hand-written way through one operation, for the requests whose answer it can show to be the
/// generated code's: the generated code decodes each request through the OpenAPI runtime's general
/// conversions (URI coding of every parameter, media-type parsing, `Accept` negotiation) and
/// writes each answer with `JSONEncoder`, which builds, sorts and writes a tree of the value.
///
/// `answer` returns nil, before acting on anything, for a request it does not take; that request
/// goes to the generated code as if there were no shortcut. A request it takes must be one the
/// generated code would decode to the same input, and its answer the one the generated code
/// would write for the handler's output: the same status, header fields and bytes.
public struct OperationShortcut: Sendable {
    let method: HTTPRequest.Method
    /// The path as the generated code registers it: the server's prefix and the document's path.
    let path: String
    let answer: @Sendable (HTTPRequest, ByteBuffer, Parameters) async throws -> Response?

    public init(
        _ method: HTTPRequest.Method, _ path: String,
        answer: @escaping @Sendable (_ head: HTTPRequest, _ body: ByteBuffer, _ parameters: Parameters) async throws -> Response?
    ) {
        self.method = method
        self.path = path
        self.answer = answer
    }
}

extension Configuration {
    /// How every surface's generated code writes its JSON answers: members in sorted order (the
    /// same order from every server process) and slashes as they are.
    public static let surfaces = Configuration(jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes])
}
