import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import Hummingbird
import HummingbirdCore
import Logging
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// How long a connection may take over each part of its life, and how it stops.
public struct ConnectionLimits: Sendable {
    /// A connection with no request in progress, or one still sending its request's head, is
    /// closed after this long (a client trickling header bytes gets no further).
    public var idleTimeout: TimeAmount
    /// A request's body must arrive whole within this long of its head.
    public var bodyTimeout: TimeAmount
    /// On shutdown, an idle connection is kept this long more, so that a request already on its
    /// way is answered (with `Connection: close`) instead of being cut off.
    public var drainGrace: TimeAmount

    public init(idleTimeout: TimeAmount = .seconds(30), bodyTimeout: TimeAmount = .seconds(30), drainGrace: TimeAmount = .seconds(1)) {
        self.idleTimeout = idleTimeout
        self.bodyTimeout = bodyTimeout
        self.drainGrace = drainGrace
    }
}

/// Sits between the HTTP codec and the server on every connection:
/// - a request that cannot be parsed as HTTP/1.1 (oversized or malformed headers, a bad
///   `Content-Length`) is answered with a problem document instead of an empty 400, and the
///   connection closed; a parse error in the middle of a body fails that request's body, which
///   the surface answers in its own format;
/// - a body that does not arrive within `bodyTimeout` closes the connection;
/// - on shutdown (`ChannelShouldQuiesceEvent`) every answer says `Connection: close`, the
///   connection closes after the answer in progress (the server's own connection handling does
///   the closing), and an idle one waits `drainGrace` for a request already sent before it closes.
///   An answer whose head went out before the stop began (without `Connection: close`) counts as
///   the last of an idle connection: the grace starts when it ends, since the client, told the
///   connection stays open, may send its next request at once.
final class ConnectionPolicy: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let limits: ConnectionLimits
    /// Requests whose head has been read and whose answer has not ended.
    private var inFlight = 0
    /// Whether the answer in progress has sent its head without `Connection: close`, so that
    /// the client may send another request once it ends.
    private var answerKeepsConnection = false
    private var draining = false
    private var quiesceForwarded = false
    private var bodyDeadline: Scheduled<Void>?
    private var drainTimer: Scheduled<Void>?

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head) where refusing || (inFlight == 0 && Self.hasSecondHost(head)):
            // RFC 9112 §3.2: a request with more than one Host is refused. Its body, if any, is not read.
            refuse(context, detail: "The request names more than one Host", status: .badRequest)
            return
        case .body where refusing, .end where refusing:
            return
        case .head:
            inFlight += 1
            drainTimer?.cancel()
            drainTimer = nil
            bodyDeadline?.cancel()
            bodyDeadline = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: limits.bodyTimeout) {
                context.close(promise: nil)
            }
            context.fireChannelRead(data)
            // A request that arrived while stopping: the server closes the connection after answering it.
            if draining { forwardQuiesce(context) }
            return
        case .body:
            break
        case .end:
            bodyDeadline?.cancel()
            bodyDeadline = nil
        }
        context.fireChannelRead(data)
    }

    /// The codec turns the first `Host` into the request's authority and keeps any other as a field.
    static func hasSecondHost(_ head: HTTPRequest) -> Bool {
        HTTPField.Name("Host").map { head.headerFields.contains($0) } ?? false
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where draining:
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .head(let head):
            if head.status.kind != .informational { answerKeepsConnection = true }
            context.write(data, promise: promise)
        case .end:
            inFlight = max(0, inFlight - 1)
            let keptConnection = answerKeepsConnection
            answerKeepsConnection = false
            context.write(data, promise: promise)
            // Stopping began after this answer's head had told the client to keep the connection:
            // its next request may already be on the way, so the connection waits as an idle one does.
            if draining && keptConnection && inFlight == 0 && !quiesceForwarded { startDrainGrace(context) }
        default:
            context.write(data, promise: promise)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if inFlight > 0 {
            // The request's body fails with the error; the surface answers it, then the connection closes.
            draining = true
            forwardQuiesce(context)
            context.fireErrorCaught(error)
            return
        }
        let status: HTTPResponse.Status = parseError == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
        let detail =
            parseError == .headerOverflow
            ? "The request's header fields are larger than the server accepts"
            : "The request is not valid HTTP/1.1 (\(parseError)): check its request line, header fields and Content-Length"
        refuse(context, detail: detail, status: status)
    }

    /// Whether the connection answered a request it refused before routing and is closing.
    private var refusing = false

    /// Answers with a problem document and closes the connection, without passing the request on.
    private func refuse(_ context: ChannelHandlerContext, detail: String, status: HTTPResponse.Status) {
        guard !refusing else { return }
        refusing = true
        let body = #"{"detail":"\#(detail)","status":\#(status.code),"title":"\#(status.reasonPhrase)","type":"urn:taskport:problem:bad-request"}"#
        var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
        buffer.writeString(body)
        let head = HTTPResponse(
            status: status,
            headerFields: [.contentType: "application/problem+json", .contentLength: String(buffer.readableBytes), .connection: "close"]
        )
        inFlight += 1
        draining = true
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(buffer)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        draining = true
        if inFlight == 0 {
            startDrainGrace(context)
        } else if !answerKeepsConnection {
            // The answer in progress will say `Connection: close`; the connection closes after it.
            forwardQuiesce(context)
        }
        // Otherwise the answer in progress has already said the connection stays open: the
        // grace starts when it ends.
    }

    /// Idle while stopping: a request may be on its way already; answer it if it comes soon, then close.
    private func startDrainGrace(_ context: ChannelHandlerContext) {
        drainTimer?.cancel()
        drainTimer = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: limits.drainGrace) { [self] in
            drainTimer = nil
            if inFlight == 0 { forwardQuiesce(context) }
        }
    }

    private func forwardQuiesce(_ context: ChannelHandlerContext) {
        guard !quiesceForwarded else { return }
        quiesceForwarded = true
        context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        bodyDeadline?.cancel()
        drainTimer?.cancel()
    }
}

/// Taskport's HTTP/1.1 connections: the pipeline Hummingbird's `HTTP1Channel` builds, with
/// `ConnectionPolicy` between the codec and the server. One thing differs: a connection accepted
/// just as the server stops listening, which the server never takes up, is closed when it is
/// dropped, instead of stopping the process (`NIOAsyncChannel` otherwise traps when a connection
/// it wraps is dropped unused).
struct TaskportHTTP1Channel: HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let limits: ConnectionLimits

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: .init()
            )
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(ConnectionPolicy(limits: limits))
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: .nanoseconds(limits.idleTimeout.nanoseconds), logger: logger))
            // The initializer that closes the connection on deinit (deprecated in favour of scoped teardown,
            // which the server does use for every connection it takes up).
            return try NIOAsyncChannel(synchronouslyWrapping: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}
