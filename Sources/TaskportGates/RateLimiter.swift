import Foundation
public import Hummingbird
import Synchronization
public import TaskportCore
public import TaskportHTTP

/// A limit like a vendor's: so many requests per period, for each credential.
public struct RateLimit: Sendable, Equatable {
    public var requests: Int
    public var seconds: Int

    public init(requests: Int, seconds: Int) {
        self.requests = requests
        self.seconds = seconds
    }

    /// `surface=requests/seconds`, as `--rate-limit` takes it: `rollout=100/10`.
    public static func parse(_ text: String) -> (surface: String, limit: RateLimit)? {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2, ["native", "rollout", "nexudus", "thena", "maxsight"].contains(String(parts[0])) else { return nil }
        let numbers = parts[1].split(separator: "/", maxSplits: 1)
        guard numbers.count == 2, let requests = Int(numbers[0]), let seconds = Int(numbers[1]), (1...1_000_000).contains(requests),
            (1...86_400).contains(seconds)
        else { return nil }
        return (String(parts[0]), RateLimit(requests: requests, seconds: seconds))
    }
}

/// Holds each credential of each user to its surface's limit with a token bucket: it starts full
/// with `requests` tokens, each request takes one, and tokens come back at `requests/seconds` a
/// second. A request that finds none is answered 429 in the surface's own envelope, with
/// `Retry-After` and `X-RateLimit-Limit`/`-Remaining`/`-Reset`. API keys are counted each on
/// their own; every token of a user on one surface shares one bucket. The buckets live in each
/// server's memory: with several servers, each allows the limit.
public final class RateLimiter: RequestGate {
    struct Key: Hashable {
        var tenantID: UUID
        var userNumber: Int64
        var credential: String
        var surface: String
    }

    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let limits: [String: RateLimit]
    let surface: @Sendable (String) -> String?
    private let buckets = Mutex([Key: Bucket]())
    /// Buckets kept before full ones (idle credentials) are forgotten.
    static let remembered = 10_000

    public init(limits: [String: RateLimit], surface: @escaping @Sendable (String) -> String?) {
        self.limits = limits
        self.surface = surface
    }

    public func admit(_ request: Request, route: String, caller: RequestRecord.Caller) async throws {
        guard let surface = surface(route), let limit = limits[surface] else { return }
        if let wait = take(Key(tenantID: caller.tenantID, userNumber: caller.userNumber, credential: caller.credential, surface: surface), limit, at: .now) {
            throw TaskportError.tooManyRequests(
                "Rate limit exceeded: \(limit.requests) requests per \(limit.seconds) seconds; retry after \(wait) seconds",
                retryAfter: wait, limit: limit.requests
            )
        }
    }

    /// Takes a token from the key's bucket; nil when there was one, else the whole seconds until there is.
    func take(_ key: Key, _ limit: RateLimit, at now: ContinuousClock.Instant) -> Int? {
        let rate = Double(limit.requests) / Double(limit.seconds)
        let capacity = Double(limit.requests)
        return buckets.withLock { buckets in
            if buckets.count >= Self.remembered { forgetFull(&buckets, now: now) }
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + Self.seconds(now - bucket.updated) * rate)
            bucket.updated = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }

    /// Forgets the buckets that have filled up again: a new one starts full anyway.
    private func forgetFull(_ buckets: inout [Key: Bucket], now: ContinuousClock.Instant) {
        buckets = buckets.filter { key, bucket in
            guard let limit = limits[key.surface] else { return false }
            return bucket.tokens + Self.seconds(now - bucket.updated) * Double(limit.requests) / Double(limit.seconds) < Double(limit.requests)
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
