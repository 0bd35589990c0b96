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
public struct BufferedTransport<Router: RouterMethods>: ServerTransport {
    let router: Router

    public init(_ router: Router) {
        self.router = router
    }

    public func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method,
        path: String
    ) throws {
        router.on(RouterPath(path), method: method) { request, context in
            var request = request
            let bytes = try await BodyLimit.read(&request)
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

extension Configuration {
    /// How every surface's generated code writes its JSON answers: members in sorted order (the
    /// same order from every server process) and slashes as they are.
    public static let surfaces = Configuration(jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes])
}
