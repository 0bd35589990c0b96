import Foundation
import NIOCore
import NIOPosix

/// Which addresses a webhook delivery may connect to. By default only public ones: loopback,
/// private, link-local (cloud metadata at 169.254.169.254 among them), carrier-grade NAT,
/// multicast and reserved ranges are refused, so a tenant's admin cannot point Taskport at the
/// server's own network. People who self-host on one network allow theirs.
///
/// The check is made on the addresses the URL's host resolves to at delivery, and the
/// connection goes to the address that was checked, so a name that resolves somewhere else
/// later (or in between) is held to the same rule.
public struct WebhookDestinations: Sendable {
    /// Networks allowed even though they are not public.
    public var allowed: [IPNetwork]

    public init(allowing allowed: [IPNetwork] = []) {
        self.allowed = allowed
    }

    /// Why a delivery may not connect to `address`, or nil when it may.
    public func refusal(of address: IPNetwork.Address) -> String? {
        if allowed.contains(where: { $0.contains(address) }) { return nil }
        guard let range = Self.refused.first(where: { $0.network.contains(address) }) else { return nil }
        return "\(address) is \(range.kind); webhooks go to public addresses unless --webhook-allow-network names it"
    }

    /// The address to connect to for `host`: the first it resolves to, if every one is allowed.
    func vettedAddress(of host: String, port: Int) async throws -> IPNetwork.Address {
        let addresses: [IPNetwork.Address]
        if let literal = IPNetwork.Address(host) {
            addresses = [literal]
        } else {
            addresses = try await Self.resolve(host, port: port)
        }
        guard let first = addresses.first else { throw WebhookSender.Failure(description: "\(host) does not resolve", permanent: false) }
        for address in addresses {
            if let refusal = refusal(of: address) {
                throw WebhookSender.Failure(description: "refused: \(host) resolves to \(refusal)", permanent: true)
            }
        }
        return first
    }

    static let refused: [(network: IPNetwork, kind: String)] = [
        ("0.0.0.0/8", "this network"), ("10.0.0.0/8", "private"), ("100.64.0.0/10", "carrier-grade NAT"),
        ("127.0.0.0/8", "loopback"), ("169.254.0.0/16", "link-local (cloud metadata)"), ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"), ("192.0.2.0/24", "documentation"), ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"), ("198.51.100.0/24", "documentation"), ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"), ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"), ("::1/128", "loopback"), ("::ffff:0:0/96", "an IPv4-mapped address"),
        ("64:ff9b::/96", "an IPv4-translated address"), ("100::/64", "discard"), ("2001:db8::/32", "documentation"),
        ("fc00::/7", "unique local (private)"), ("fe80::/10", "link-local"), ("ff00::/8", "multicast"),
    ].compactMap { text, kind in IPNetwork(text).map { ($0, kind) } }

    /// Every address `host` resolves to, by the system resolver, off the event loops.
    static func resolve(_ host: String, port: Int) async throws -> [IPNetwork.Address] {
        try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
                throw WebhookSender.Failure(description: "\(host) does not resolve", permanent: false)
            }
            defer { freeaddrinfo(first) }
            var found: [IPNetwork.Address] = []
            var entry: UnsafeMutablePointer<addrinfo>? = first
            while let current = entry {
                if let address = current.pointee.ai_addr, let parsed = IPNetwork.Address(address) { found.append(parsed) }
                entry = current.pointee.ai_next
            }
            return found
        }
    }
}

/// An IPv4 or IPv6 network: an address and a prefix length (`10.0.0.0/8`, `fd00::/8`, or one address).
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address.
    public struct Address: Sendable, Hashable, CustomStringConvertible {
        public var bytes: [UInt8]

        /// Parses `192.0.2.1` or `2001:db8::1` (brackets allowed).
        public init?(_ text: String) {
            var trimmed = text
            if trimmed.hasPrefix("["), trimmed.hasSuffix("]") { trimmed = String(trimmed.dropFirst().dropLast()) }
            var v4 = in_addr()
            var v6 = in6_addr()
            if inet_pton(AF_INET, trimmed, &v4) == 1 {
                bytes = withUnsafeBytes(of: &v4) { Array($0) }
            } else if inet_pton(AF_INET6, trimmed, &v6) == 1 {
                bytes = withUnsafeBytes(of: &v6) { Array($0) }
            } else {
                return nil
            }
        }

        init?(_ socketAddress: UnsafePointer<sockaddr>) {
            switch Int32(socketAddress.pointee.sa_family) {
            case AF_INET:
                bytes = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                    var address = pointer.pointee.sin_addr
                    return withUnsafeBytes(of: &address) { Array($0) }
                }
            case AF_INET6:
                bytes = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                    var address = pointer.pointee.sin6_addr
                    return withUnsafeBytes(of: &address) { Array($0) }
                }
            default:
                return nil
            }
        }

        public var description: String {
            var text = [CChar](repeating: 0, count: 64)
            let family = bytes.count == 4 ? AF_INET : AF_INET6
            let written = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &text, socklen_t(text.count)) }
            guard written != nil else { return "?" }
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    public var address: Address
    public var prefixLength: Int

    /// Parses `address/prefix`, or a single address.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard let first = parts.first, let address = Address(first) else { return nil }
        let maximum = address.bytes.count * 8
        let length = parts.count == 2 ? Int(parts[1]) : maximum
        guard let length, (0...maximum).contains(length) else { return nil }
        self.address = address
        prefixLength = length
    }

    public func contains(_ other: Address) -> Bool {
        guard other.bytes.count == address.bytes.count else { return false }
        var remaining = prefixLength
        for (mine, theirs) in zip(address.bytes, other.bytes) where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if mine & mask != theirs & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
