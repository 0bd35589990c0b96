import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Where and how Taskport hands email to a mail server.
public struct SMTPConfiguration: Sendable, Hashable {
    public enum Security: String, Sendable, Hashable, CaseIterable {
        /// Plain SMTP (a relay on the same host or network).
        case none
        /// Upgrade with STARTTLS before authenticating; refuse servers that do not offer it.
        case startTLS = "starttls"
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// The envelope sender and `From:` address.
    public var from: String
    /// Extra certificate authorities to trust (PEM), e.g. a private relay's.
    public var trustedCertificatesFile: String?
    /// How long any one step (connect, a reply) may take.
    public var timeout: TimeAmount
    /// The name Taskport greets the server with.
    public var heloName: String

    public init(
        host: String, port: Int = 25, security: Security = .none, username: String? = nil, password: String? = nil,
        from: String, trustedCertificatesFile: String? = nil, timeout: TimeAmount = .seconds(30), heloName: String = "taskport.localhost"
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.from = from
        self.trustedCertificatesFile = trustedCertificatesFile
        self.timeout = timeout
        self.heloName = heloName
    }
}

/// What went wrong talking to the mail server.
public enum SMTPError: Error, CustomStringConvertible, Sendable {
    /// The server answered a command with an error code.
    case rejected(command: String, code: Int, text: String)
    /// The connection failed, closed early or timed out.
    case connection(String)
    /// The configuration asks for something the server does not offer.
    case unsupported(String)

    /// Whether trying again later cannot help (a 5xx answer).
    public var isPermanent: Bool {
        if case .rejected(_, let code, _) = self { return code >= 500 }
        return false
    }

    public var description: String {
        switch self {
        case .rejected(let command, let code, let text): "\(command) answered \(code) \(text)"
        case .connection(let reason): "connection: \(reason)"
        case .unsupported(let reason): reason
        }
    }
}

/// A small SMTP client (RFC 5321) on SwiftNIO: EHLO, optional STARTTLS, AUTH PLAIN or LOGIN,
/// MAIL FROM / RCPT TO / DATA with dot-stuffing, QUIT. One connection per message.
public struct SMTPClient: Sendable {
    public let configuration: SMTPConfiguration

    public init(_ configuration: SMTPConfiguration) {
        self.configuration = configuration
    }

    /// Delivers `email`; returns once the server has accepted it (250 after the data).
    public func send(_ email: Email) async throws {
        let session = try await SMTPSession.connect(configuration)
        do {
            try await session.converse(email, configuration)
            await session.close()
        } catch {
            await session.close()
            throw error
        }
    }

    /// Connects, reads the greeting, says EHLO and QUIT, and returns what the server offers: whether
    /// it answers, without sending anything.
    public func check() async throws -> [String] {
        let session = try await SMTPSession.connect(configuration)
        do {
            let capabilities = try await session.greet(configuration)
            await session.close()
            return capabilities
        } catch {
            await session.close()
            throw error
        }
    }
}

/// One connection to the server: commands go out, replies come back through `SMTPReplyHandler`.
final class SMTPSession: Sendable {
    let channel: any Channel
    let replies: AsyncThrowingStream<SMTPReply, any Error>
    let timeout: TimeAmount

    private init(channel: any Channel, replies: AsyncThrowingStream<SMTPReply, any Error>, timeout: TimeAmount) {
        self.channel = channel
        self.replies = replies
        self.timeout = timeout
    }

    static func connect(_ configuration: SMTPConfiguration) async throws -> SMTPSession {
        let (replies, continuation) = AsyncThrowingStream<SMTPReply, any Error>.makeStream()
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(configuration.timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SMTPReplyHandler(continuation))
                }
            }
        do {
            let channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
            return SMTPSession(channel: channel, replies: replies, timeout: configuration.timeout)
        } catch {
            continuation.finish()
            throw SMTPError.connection("\(configuration.host):\(configuration.port): \(error)")
        }
    }

    func converse(_ email: Email, _ configuration: SMTPConfiguration) async throws {
        var replies = self.replies.makeAsyncIterator()
        try await expect(220, from: &replies, after: "connect")
        var capabilities = try await ehlo(configuration.heloName, &replies)
        if configuration.security == .startTLS {
            guard capabilities.contains("STARTTLS") else { throw SMTPError.unsupported("the server does not offer STARTTLS") }
            try await command("STARTTLS", expecting: 220, &replies)
            try await startTLS(configuration)
            capabilities = try await ehlo(configuration.heloName, &replies)
        }
        if let username = configuration.username {
            let password = configuration.password ?? ""
            let mechanisms = capabilities.first { $0.hasPrefix("AUTH") }?.split(separator: " ").dropFirst().map(String.init) ?? []
            if mechanisms.contains("PLAIN") {
                let token = Data("\0\(username)\0\(password)".utf8).base64EncodedString()
                try await command("AUTH PLAIN \(token)", expecting: 235, &replies, shownAs: "AUTH PLAIN")
            } else if mechanisms.contains("LOGIN") {
                try await command("AUTH LOGIN", expecting: 334, &replies)
                try await command(Data(username.utf8).base64EncodedString(), expecting: 334, &replies, shownAs: "AUTH LOGIN user")
                try await command(Data(password.utf8).base64EncodedString(), expecting: 235, &replies, shownAs: "AUTH LOGIN password")
            } else {
                throw SMTPError.unsupported("the server offers neither AUTH PLAIN nor AUTH LOGIN")
            }
        }
        try await command("MAIL FROM:<\(email.from)>", expecting: 250, &replies)
        for recipient in email.to {
            try await command("RCPT TO:<\(recipient)>", expecting: 250, &replies, alsoAccepting: 251)
        }
        try await command("DATA", expecting: 354, &replies)
        try await write(Email.dotStuffed(email.rendered()) + ".\r\n")
        try await expect(250, from: &replies, after: "DATA")
        try? await command("QUIT", expecting: 221, &replies)
    }

    func greet(_ configuration: SMTPConfiguration) async throws -> [String] {
        var replies = self.replies.makeAsyncIterator()
        try await expect(220, from: &replies, after: "connect")
        let capabilities = try await ehlo(configuration.heloName, &replies)
        try? await command("QUIT", expecting: 221, &replies)
        return capabilities
    }

    func close() async {
        try? await channel.close()
    }

    private func ehlo(_ name: String, _ replies: inout AsyncThrowingStream<SMTPReply, any Error>.AsyncIterator) async throws -> [String] {
        let reply = try await command("EHLO \(name)", expecting: 250, &replies)
        return reply.lines.dropFirst().map { $0.uppercased() }
    }

    private func startTLS(_ configuration: SMTPConfiguration) async throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = configuration.trustedCertificatesFile {
            tls.trustRoots = .file(file)
        }
        let context = try NIOSSLContext(configuration: tls)
        // SNI takes names only; for an IP address NIOSSL checks the certificate against the peer's address.
        let isAddress = (try? SocketAddress(ipAddress: configuration.host, port: 0)) != nil
        let handler = try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : configuration.host)
        try await channel.pipeline.addHandler(handler, position: .first).get()
    }

    @discardableResult
    private func command(
        _ line: String, expecting code: Int, _ replies: inout AsyncThrowingStream<SMTPReply, any Error>.AsyncIterator,
        alsoAccepting other: Int? = nil, shownAs name: String? = nil
    ) async throws -> SMTPReply {
        try await write(line + "\r\n")
        let shown = name ?? line.split(separator: ":").first.map(String.init) ?? line
        return try await expect(code, from: &replies, after: shown, alsoAccepting: other)
    }

    @discardableResult
    private func expect(
        _ code: Int, from replies: inout AsyncThrowingStream<SMTPReply, any Error>.AsyncIterator, after command: String,
        alsoAccepting other: Int? = nil
    ) async throws -> SMTPReply {
        // A reply that does not come in time closes the connection, which ends the stream.
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { [channel] in channel.close(promise: nil) }
        defer { deadline.cancel() }
        guard let reply = try await replies.next() else {
            throw SMTPError.connection("the server closed the connection (or did not answer in time) after \(command)")
        }
        guard reply.code == code || reply.code == other else {
            throw SMTPError.rejected(command: command, code: reply.code, text: reply.lines.joined(separator: " "))
        }
        return reply
    }

    private func write(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }
}

/// One reply: its code and the text of each of its lines.
struct SMTPReply: Sendable {
    var code: Int
    var lines: [String]
}

/// Splits what the server sends into CRLF lines and gathers multi-line replies (`250-…`, `250 …`).
final class SMTPReplyHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation
    // Touched only on the channel's event loop.
    nonisolated(unsafe) private var buffer = ByteBuffer()
    nonisolated(unsafe) private var pending: [String] = []

    init(_ continuation: AsyncThrowingStream<SMTPReply, any Error>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        while let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = end - buffer.readerIndex + 1
            guard var line = buffer.readString(length: length) else { break }
            line = line.trimmingCharacters(in: .newlines)
            guard line.count >= 3, let code = Int(line.prefix(3)) else {
                continuation.finish(throwing: SMTPError.connection("not an SMTP reply: \(line.prefix(100))"))
                context.close(promise: nil)
                return
            }
            let last = line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] != "-"
            pending.append(String(line.dropFirst(4)))
            if last {
                continuation.yield(SMTPReply(code: code, lines: pending))
                pending = []
            }
        }
        buffer.discardReadBytes()
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: SMTPError.connection("\(error)"))
        context.close(promise: nil)
    }
}
