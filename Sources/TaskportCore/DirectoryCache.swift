import Foundation
import Synchronization

/// Directory and catalog records a request reads on its way to a task (an API key's principal, a
/// token's user, a tenant's attributes, the names a rendering shows) kept in memory, so an update
/// does not read them from the store each time.
///
/// Nothing is served stale past one of two limits:
/// - a change this process makes is seen at once: the store calls `invalidate()` when it commits
///   one, which drops every entry;
/// - a change another process makes (another server on the same PostgreSQL database, a `taskport`
///   command on the same SQLite file) is seen within `lifetime`: an entry is read again once it is
///   that old.
///
/// Only what was found is kept: an unknown key or id is looked up each time, so something made
/// anywhere works at once, and nothing a client invents takes room here.
public final class DirectoryCache: Sendable {
    /// What an entry holds; each case names the store read it stands for.
    public enum Key: Hashable, Sendable {
        case principal(apiKeyHash: String)
        case user(UUID, tenant: UUID)
        case userNumber(Int64, tenant: UUID)
        case credential(UUID, surface: String, tenant: UUID)
        case attributes(TaskAttribute.Kind?, tenant: UUID)
        case account(UUID, tenant: UUID)
        case accountNumber(Int64, tenant: UUID)
        case business(UUID, tenant: UUID)
        case businessNumber(Int64, tenant: UUID)
        case activity(UUID, tenant: UUID)
        /// The ids of a tenant's live webhooks.
        case webhooks(tenant: UUID)
    }

    /// How long an entry is trusted when nothing this process did says it changed.
    public static let defaultLifetime: Duration = .seconds(1)
    /// The most entries kept; past this the cache starts over.
    static let capacity = 50_000

    private struct Entry {
        var value: any Sendable
        var readAt: ContinuousClock.Instant
    }

    private struct State {
        var generation: UInt64 = 0
        var entries: [Key: Entry] = [:]
    }

    private let state = Mutex(State())
    public let lifetime: Duration

    /// A cache whose entries last `lifetime`; `.zero` keeps nothing.
    public init(lifetime: Duration = DirectoryCache.defaultLifetime) {
        self.lifetime = lifetime
    }

    /// The value `key` holds, read with `load` when no fresh entry has it. A value read while
    /// something was invalidated is returned but not kept: it may be from before the change.
    public func value<Value: Sendable>(_ key: Key, load: () async throws -> Value?) async throws -> Value? {
        guard lifetime > .zero else { return try await load() }
        let now = ContinuousClock.now
        let (cached, generation): (Value?, UInt64) = entry(key, at: now)
        if let cached { return cached }
        guard let value = try await load() else { return nil }
        keep(value, under: key, readAt: now, generation: generation)
        return value
    }

    /// `value(_:load:)` for a load that does not wait: one made inside a store's transaction.
    public func value<Value: Sendable>(_ key: Key, reading load: () throws -> Value?) throws -> Value? {
        guard lifetime > .zero else { return try load() }
        let now = ContinuousClock.now
        let (cached, generation): (Value?, UInt64) = entry(key, at: now)
        if let cached { return cached }
        guard let value = try load() else { return nil }
        keep(value, under: key, readAt: now, generation: generation)
        return value
    }

    /// The fresh value `key` holds, if any, and the generation it was looked up in.
    private func entry<Value: Sendable>(_ key: Key, at now: ContinuousClock.Instant) -> (Value?, UInt64) {
        state.withLock { state -> (Value?, UInt64) in
            guard let entry = state.entries[key], now - entry.readAt < lifetime else { return (nil, state.generation) }
            return (entry.value as? Value, state.generation)
        }
    }

    /// Keeps `value`, unless something was invalidated since `generation`.
    private func keep(_ value: some Sendable, under key: Key, readAt now: ContinuousClock.Instant, generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= Self.capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[key] = Entry(value: value, readAt: now)
        }
    }

    /// Forgets every entry: the store committed a change to something entries are read from.
    public func invalidate() {
        state.withLock { state in
            state.generation &+= 1
            state.entries.removeAll(keepingCapacity: true)
        }
    }

    /// How many entries are held, for tests.
    public var count: Int { state.withLock { $0.entries.count } }
}

/// An API key's principal as the cache keeps it, with the key's id and the last use written for
/// it, so the use is still written about once a `APIKeyInfo.lastUseResolution` however often the
/// key is read from the cache.
public final class KeyHolder: Sendable {
    public let principal: Principal
    public let keyID: UUID
    private let useWritten: Atomic<Int64>

    public init(principal: Principal, keyID: UUID, lastUsedAt: Int64?) {
        self.principal = principal
        self.keyID = keyID
        useWritten = Atomic(lastUsedAt ?? Int64.min / 2)
    }

    /// Whether the key's use at `now` (microseconds) is to be written: the last one written is
    /// a resolution old. One caller in a resolution gets true.
    public func claimUse(at now: Int64) -> Bool {
        let written = useWritten.load(ordering: .relaxed)
        guard now - written >= APIKeyInfo.lastUseResolution else { return false }
        return useWritten.compareExchange(expected: written, desired: now, ordering: .relaxed).exchanged
    }
}
