import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OpenAPIRuntime
import Synchronization
import TaskportCore
import TaskportHTTP
import Testing

/// `BufferedTransport` hands generated handlers the request's body as bytes and writes their
/// answers, over a real connection: what a handler sees and what the client gets.
struct BufferedTransportTests {
    /// What a handler was given, sent back as its answer's body.
    struct Seen: Codable, Equatable {
        var method: String
        var path: String?
        var contentType: String?
        var parameters: [String: String]
        var body: String
    }

    static func live(
        _ register: (BufferedTransport<Router<BasicRequestContext>>) throws -> Void,
        _ test: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let router = Router()
        // A client's mistake as a 4xx, the way each surface's error middleware answers it.
        router.middlewares.add(TaskportErrorStatus())
        try register(BufferedTransport(router))
        try await Application(router: router).test(.live) { client in try await test(client) }
    }

    static func echo(_ request: HTTPRequest, _ body: HTTPBody?, _ metadata: ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?) {
        let bytes = try await [UInt8](collecting: #require(body), upTo: 1 << 21)
        let seen = Seen(
            method: request.method.rawValue, path: request.path, contentType: request.headerFields[.contentType],
            parameters: metadata.pathParameters.mapValues(String.init), body: String(decoding: bytes, as: UTF8.self)
        )
        return (HTTPResponse(status: .ok, headerFields: [.contentType: "application/json"]), HTTPBody(try JSONEncoder().encode(seen)))
    }

    @Test func theHandlerGetsTheWholeBodyAndThePathsParameters() async throws {
        try await Self.live({ try $0.register(Self.echo, method: .put, path: "/things/{thingId}/parts/{partId}") }) { client in
            let sent = String(repeating: "{\"a\":1}", count: 20_000)
            let response = try await client.execute(
                uri: "/things/t-1/parts/p%202?x=1", method: .put, headers: [.contentType: "application/json"], body: ByteBuffer(string: sent)
            )
            #expect(response.status == .ok)
            let seen = try JSONDecoder().decode(Seen.self, from: Data(response.body.readableBytesView))
            #expect(seen == Seen(method: "PUT", path: "/things/t-1/parts/p%202?x=1", contentType: "application/json", parameters: ["thingId": "t-1", "partId": "p%202"], body: sent))
            // An answer of known length is written whole, with its length.
            #expect(response.headers[.contentLength] == String(response.body.readableBytes))
            #expect(response.headers[.transferEncoding] == nil)
        }
    }

    @Test func aRequestWithoutABodyGivesAnEmptyOne() async throws {
        try await Self.live({ try $0.register(Self.echo, method: .get, path: "/things") }) { client in
            let response = try await client.execute(uri: "/things", method: .get)
            let seen = try JSONDecoder().decode(Seen.self, from: Data(response.body.readableBytesView))
            #expect(seen.body == "" && seen.contentType == nil && seen.parameters.isEmpty)
        }
    }

    @Test func anAnswerWithoutABodyIsEmptyAndKeepsItsStatusAndHeaders() async throws {
        try await Self.live({
            try $0.register({ _, _, _ in (HTTPResponse(status: .noContent, headerFields: [.eTag: "\"7\""]), nil) }, method: .delete, path: "/things/{id}")
        }) { client in
            let response = try await client.execute(uri: "/things/1", method: .delete)
            #expect(response.status == .noContent)
            #expect(response.headers[.eTag] == "\"7\"")
            #expect(response.body.readableBytes == 0)
        }
    }

    @Test func anAnswerOfUnknownLengthIsStreamedAsItComes() async throws {
        let parts = ["--b\r\n", "Content-Disposition: form-data; name=\"a\"\r\n\r\n", "one\r\n", "--b--\r\n"]
        try await Self.live({
            try $0.register({ _, _, _ in
                let stream = AsyncStream<ArraySlice<UInt8>> { continuation in
                    for part in parts { continuation.yield(ArraySlice(part.utf8)) }
                    continuation.finish()
                }
                return (HTTPResponse(status: .ok, headerFields: [.contentType: "multipart/form-data; boundary=b"]), HTTPBody(stream, length: .unknown))
            }, method: .get, path: "/form")
        }) { client in
            let response = try await client.execute(uri: "/form", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == parts.joined())
            #expect(response.headers[.contentLength] == nil)
            #expect(response.headers[.transferEncoding] == "chunked")
        }
    }

    @Test func aBodyPastTheLimitIsRefusedBeforeTheHandler() async throws {
        let called = Box()
        try await Self.live({
            try $0.register({ request, body, metadata in
                called.mark()
                return try await Self.echo(request, body, metadata)
            }, method: .post, path: "/things")
        }) { client in
            let response = try await client.execute(
                uri: "/things", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(repeating: UInt8(ascii: " "), count: BodyLimit.maximumBytes + 1)
            )
            #expect(response.status == .contentTooLarge)
        }
        #expect(!called.marked)
    }
}

/// Whether a handler ran.
private final class Box: Sendable {
    private let value = Mutex(false)
    func mark() { value.withLock { $0 = true } }
    var marked: Bool { value.withLock { $0 } }
}

/// `TaskportError.payloadTooLarge` as 413, as a surface's error middleware answers it.
private struct TaskportErrorStatus: RouterMiddleware {
    func handle(_ request: Request, context: BasicRequestContext, next: (Request, BasicRequestContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch TaskportError.payloadTooLarge {
            return Response(status: .contentTooLarge)
        }
    }
}
