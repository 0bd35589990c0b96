import Foundation

/// A rule that makes some of a tenant's requests slow or failing on purpose, so that people can
/// see how their client code copes: added latency, an error status in the surface's own
/// envelope, or a connection dropped without an answer. A rule acts once a request's credential
/// is accepted and before the surface handles it, so an injected failure changes nothing.
public struct FaultRule: Sendable, Equatable {
    public var id: UUID
    public var tenantID: UUID
    public var match: Match
    public var effect: Effect
    /// How many more requests it acts on; nil for every one that matches.
    public var remaining: Int?
    /// The share of matching requests it acts on, above 0 and at most 1.
    public var share: Double
    /// It acts from this instant (nil: at once) until that one (nil: until removed).
    public var startsAt: Timestamp?
    public var endsAt: Timestamp?
    public var createdAt: Timestamp

    /// Which requests: every condition given must hold.
    public struct Match: Sendable, Equatable, Codable {
        /// `native`, `rollout`, `nexudus`, `thena` or `maxsight`.
        public var surface: String?
        /// An HTTP method, upper case.
        public var method: String?
        /// The request's path (without its query); `*` stands for any run of characters.
        public var path: String?
        /// A credential's public name as the journal shows it (`key:tp_…`, `token`).
        public var credential: String?

        public init(surface: String? = nil, method: String? = nil, path: String? = nil, credential: String? = nil) {
            self.surface = surface
            self.method = method
            self.path = path
            self.credential = credential
        }

        public func matches(surface: String?, method: String, path: String, credential: String) -> Bool {
            (self.surface == nil || self.surface == surface) && (self.method == nil || self.method == method)
                && (self.credential == nil || self.credential == credential)
                && (self.path.map { FaultRule.glob($0, matches: path) } ?? true)
        }
    }

    public enum Effect: Sendable, Equatable, Codable {
        /// Waits this long, then handles the request as usual.
        case latency(milliseconds: Int)
        /// Answers with this status in the surface's envelope; `Retry-After` when given.
        case status(code: Int, retryAfter: Int?)
        /// Closes the connection without an answer.
        case drop

        public var summary: String {
            switch self {
            case .latency(let milliseconds): "latency \(milliseconds) ms"
            case .status(let code, _): "status \(code)"
            case .drop: "dropped"
            }
        }
    }

    /// The statuses a rule may answer with.
    public static let statuses: Set<Int> = [429, 500, 502, 503, 504]
    /// The longest added latency, so that a request waiting on it stays inside the server's body timeout.
    public static let maximumLatency = 20_000
    /// Rules per tenant.
    public static let maximumRules = 100

    public init(
        id: UUID = UUID(), tenantID: UUID, match: Match, effect: Effect, remaining: Int? = nil, share: Double = 1,
        startsAt: Timestamp? = nil, endsAt: Timestamp? = nil, createdAt: Timestamp = .now()
    ) {
        self.id = id
        self.tenantID = tenantID
        self.match = match
        self.effect = effect
        self.remaining = remaining
        self.share = share
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.createdAt = createdAt
    }

    /// The problems with a rule as a client sent it, by field; empty when it can be kept.
    public var problems: [FieldProblem] {
        var problems: [FieldProblem] = []
        if let surface = match.surface, !["native", "rollout", "nexudus", "thena", "maxsight"].contains(surface) {
            problems.append(FieldProblem("surface", "must be native, rollout, nexudus, thena or maxsight"))
        }
        if let method = match.method, !(1...20).contains(method.count) || !method.allSatisfy({ $0.isASCII && $0.isUppercase }) {
            problems.append(FieldProblem("method", "must be an HTTP method in upper case, such as PUT"))
        }
        if let path = match.path, !(1...2000).contains(path.unicodeScalars.count) || !path.hasPrefix("/") && path != "*" {
            problems.append(FieldProblem("path", "must start with / (or be *) and be at most 2000 characters"))
        }
        if let credential = match.credential, !(1...200).contains(credential.count) {
            problems.append(FieldProblem("credential", "must be 1 to 200 characters"))
        }
        switch effect {
        case .latency(let milliseconds) where !(1...Self.maximumLatency).contains(milliseconds):
            problems.append(FieldProblem("latencyMs", "must be 1 to \(Self.maximumLatency)"))
        case .status(let code, let retryAfter):
            if !Self.statuses.contains(code) { problems.append(FieldProblem("status", "must be 429, 500, 502, 503 or 504")) }
            if let retryAfter, !(0...3600).contains(retryAfter) { problems.append(FieldProblem("retryAfter", "must be 0 to 3600 seconds")) }
        default: break
        }
        if let remaining, !(1...1_000_000).contains(remaining) {
            problems.append(FieldProblem("count", "must be 1 to 1000000"))
        }
        if !(share > 0 && share <= 1) { problems.append(FieldProblem("share", "must be above 0 and at most 1")) }
        if let startsAt, let endsAt, endsAt <= startsAt { problems.append(FieldProblem("endsAt", "must be after startsAt")) }
        return problems
    }

    /// Whether the rule acts at `now`, its window and count considered (not its share).
    public func isLive(at now: Timestamp) -> Bool {
        (remaining ?? 1) > 0 && (startsAt.map { $0 <= now } ?? true) && (endsAt.map { now < $0 } ?? true)
    }

    /// Whether `text` matches `pattern`, where `*` stands for any run of characters (none too).
    public static func glob(_ pattern: String, matches text: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map { Array($0.utf8) }
        let bytes = Array(text.utf8)
        guard parts.count > 1 else { return parts[0] == bytes }
        guard bytes.starts(with: parts[0]), bytes.count >= parts[0].count + parts[parts.count - 1].count,
            bytes.reversed().starts(with: parts[parts.count - 1].reversed())
        else { return false }
        var position = parts[0].count
        let end = bytes.count - parts[parts.count - 1].count
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let found = firstIndex(of: part, in: bytes, from: position, before: end) else { return false }
            position = found + part.count
        }
        return true
    }

    private static func firstIndex(of part: [UInt8], in bytes: [UInt8], from start: Int, before end: Int) -> Int? {
        guard end - start >= part.count else { return nil }
        for index in start...(end - part.count) where bytes[index..<(index + part.count)].elementsEqual(part) {
            return index
        }
        return nil
    }
}

/// Where fault rules are kept, shared by every server on the store.
public protocol FaultRuleStore: Sendable {
    /// Every tenant's rules, oldest first: what each server acts on.
    func faultRules() async throws -> [FaultRule]
    func faultRules(in tenantID: UUID) async throws -> [FaultRule]
    /// Keeps a rule; `.conflict` when the tenant has `FaultRule.maximumRules` already.
    func addFaultRule(_ rule: FaultRule) async throws
    func removeFaultRule(_ id: UUID, in tenantID: UUID) async throws -> Bool
    /// Takes one of a counted rule's remaining requests; false when none was left.
    func spendFaultRule(_ id: UUID) async throws -> Bool
}

extension FaultRule {
    /// What the store keeps of a rule besides its id, tenant, count and creation: one JSON document.
    public struct Stored: Codable, Sendable {
        public var match: Match
        public var effect: Effect
        public var share: Double
        public var startsAt: Int64?
        public var endsAt: Int64?
    }

    public var stored: Stored {
        Stored(match: match, effect: effect, share: share, startsAt: startsAt?.microseconds, endsAt: endsAt?.microseconds)
    }

    public init(id: UUID, tenantID: UUID, stored: Stored, remaining: Int?, createdAt: Timestamp) {
        self.init(
            id: id, tenantID: tenantID, match: stored.match, effect: stored.effect, remaining: remaining, share: stored.share,
            startsAt: stored.startsAt.map(Timestamp.init(microseconds:)), endsAt: stored.endsAt.map(Timestamp.init(microseconds:)),
            createdAt: createdAt
        )
    }
}
