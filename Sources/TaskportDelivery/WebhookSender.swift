import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import TaskportCore

/// Posts webhook events: the JSON body, signed with the endpoint's secret.
///
/// `Taskport-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`; receivers
/// recompute it and may refuse old `t` values. `Taskport-Delivery` is the outbox message id,
/// the same on every retry, so receivers can drop duplicates.
public struct WebhookSender: Sendable {
    let destinations: WebhookDestinations
    let timeout: TimeAmount

    public init(destinations: WebhookDestinations = WebhookDestinations(), timeout: TimeAmount = .seconds(10)) {
        self.destinations = destinations
        self.timeout = timeout
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        /// Trying again cannot help (a destination that is not allowed).
        public var permanent = false
    }

    public func deliver(_ message: OutboxMessage, to webhook: Webhook, at now: Date = Date()) async throws {
        let body = Data(try StoredJSON.encode(message.payload).utf8)
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Taskport-Webhooks")
        request.headers.add(name: "Taskport-Delivery", value: message.id.lowercasedText)
        request.headers.add(name: "Taskport-Event", value: message.event)
        request.headers.add(name: "Taskport-Signature", value: Self.signature(body: body, secret: webhook.secret, at: now))
        request.body = .bytes(ByteBuffer(bytes: body))
        guard let url = URL(string: webhook.url), let host = url.host, !host.isEmpty else {
            throw Failure(description: "\(webhook.url) is not a URL with a host", permanent: true)
        }
        let port = url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
        let address = try await destinations.vettedAddress(of: host, port: port)
        // The connection goes to the address just checked, whatever the name resolves to next;
        // TLS still checks the certificate against the name. Redirects are not followed: a
        // receiver cannot send the delivery on to an address that was never checked.
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.dnsOverride = [host: address.description]
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let status: UInt
        do {
            status = try await client.execute(request, timeout: timeout).status.code
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
        guard (200..<300).contains(status) else {
            throw Failure(description: "\(webhook.url) answered HTTP \(status)")
        }
    }

    /// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
    public static func signature(body: Data, secret: String, at time: Date) -> String {
        let seconds = Int(time.timeIntervalSince1970)
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(seconds).".utf8) + body, using: SymmetricKey(data: Data(secret.utf8))
        )
        return "t=\(seconds),v1=" + mac.hexadecimal
    }
}
