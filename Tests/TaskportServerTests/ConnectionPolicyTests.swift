import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import TaskportServer

/// How a connection stops: the events `ConnectionPolicy` passes on to the server's own
/// connection handling, driven on an embedded channel so that every ordering is exact.
@Suite("Connections while stopping")
struct ConnectionPolicyTests {
    /// Records the quiesce events that reach the server's connection handling.
    final class QuiesceRecorder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPRequestPart
        var forwarded = 0
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is ChannelShouldQuiesceEvent { forwarded += 1 }
        }
    }

    static let grace = TimeAmount.seconds(1)

    func channel() throws -> (EmbeddedChannel, QuiesceRecorder) {
        let recorder = QuiesceRecorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ConnectionPolicy(limits: .init(drainGrace: Self.grace)))
        try channel.pipeline.syncOperations.addHandler(recorder)
        return (channel, recorder)
    }

    func request(_ channel: EmbeddedChannel) throws {
        try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .get, scheme: nil, authority: "x", path: "/v1/tasks/1")))
        try channel.writeInbound(HTTPRequestPart.end(nil))
    }

    /// Writes a 200's head and returns its `Connection` field as the client sees it.
    func answerHead(_ channel: EmbeddedChannel) throws -> String? {
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        guard case .head(let head) = try channel.readOutbound(as: HTTPResponsePart.self) else {
            Issue.record("no response head was written")
            return nil
        }
        return head.headerFields[.connection]
    }

    func answerEnd(_ channel: EmbeddedChannel) throws {
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        _ = try channel.readOutbound(as: HTTPResponsePart.self)
    }

    @Test func anIdleConnectionWaitsTheGraceThenStops() throws {
        let (channel, recorder) = try channel()
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(recorder.forwarded == 0)
        channel.embeddedEventLoop.advanceTime(by: Self.grace)
        #expect(recorder.forwarded == 1)
        _ = try channel.finish()
    }

    @Test func aRequestInTheGraceIsAnsweredWithClose() throws {
        let (channel, recorder) = try channel()
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try request(channel)
        #expect(recorder.forwarded == 1)
        #expect(try answerHead(channel) == "close")
        try answerEnd(channel)
        _ = try channel.finish()
    }

    @Test func anAnswerNotYetStartedSaysClose() throws {
        let (channel, recorder) = try channel()
        try request(channel)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(recorder.forwarded == 1)
        #expect(try answerHead(channel) == "close")
        _ = try channel.finish()
    }

    /// The stop begins after the answer's head told the client the connection stays open: the
    /// client's next request, sent as soon as the answer ends, is answered too (with close),
    /// instead of finding the connection closed under it.
    @Test func anAnswerWhoseHeadKeptTheConnectionIsFollowedByTheGrace() throws {
        let (channel, recorder) = try channel()
        try request(channel)
        #expect(try answerHead(channel) == nil)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(recorder.forwarded == 0)
        try answerEnd(channel)
        #expect(recorder.forwarded == 0)
        try request(channel)
        #expect(recorder.forwarded == 1)
        #expect(try answerHead(channel) == "close")
        try answerEnd(channel)
        _ = try channel.finish()
    }

    @Test func anAnswerWhoseHeadKeptTheConnectionStopsAfterTheGraceWithNoRequest() throws {
        let (channel, recorder) = try channel()
        try request(channel)
        _ = try answerHead(channel)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try answerEnd(channel)
        channel.embeddedEventLoop.advanceTime(by: Self.grace)
        #expect(recorder.forwarded == 1)
        _ = try channel.finish()
    }
}
