import Foundation
import Synchronization
import TaskportCore
import Testing

/// The directory cache serves what it holds until it is invalidated or too old, and never keeps
/// a value read across an invalidation or a lookup that found nothing.
@Suite struct DirectoryCacheTests {
    let tenant = UUID()

    /// Counts the loads, answering `value`.
    final class Loads: Sendable {
        let count = Atomic(0)
        func load(_ value: String?) -> String? {
            count.add(1, ordering: .relaxed)
            return value
        }
    }

    @Test func aValueIsReadOnceUntilInvalidated() async throws {
        let cache = DirectoryCache(lifetime: .seconds(60))
        let loads = Loads()
        let key = DirectoryCache.Key.account(UUID(), tenant: tenant)
        #expect(try await cache.value(key) { loads.load("first") } == "first")
        #expect(try await cache.value(key) { loads.load("second") } == "first")
        #expect(loads.count.load(ordering: .relaxed) == 1)
        cache.invalidate()
        #expect(try await cache.value(key) { loads.load("second") } == "second")
        #expect(loads.count.load(ordering: .relaxed) == 2)
    }

    @Test func anEntryIsReadAgainOnceItIsALifetimeOld() async throws {
        let cache = DirectoryCache(lifetime: .milliseconds(50))
        let key = DirectoryCache.Key.user(UUID(), tenant: tenant)
        #expect(try await cache.value(key) { "old" } == "old")
        try await Task.sleep(for: .milliseconds(80))
        #expect(try await cache.value(key) { "new" } == "new")
    }

    @Test func nothingIsKeptForAMissOrWhenTheLifetimeIsZero() async throws {
        let cache = DirectoryCache(lifetime: .seconds(60))
        let key = DirectoryCache.Key.principal(apiKeyHash: "unknown")
        #expect(try await cache.value(key) { nil as String? } == nil)
        #expect(cache.count == 0)
        #expect(try await cache.value(key) { "made since" } == "made since")

        let off = DirectoryCache(lifetime: .zero)
        let loads = Loads()
        for _ in 0..<3 { _ = try await off.value(key) { loads.load("each time") } }
        #expect(loads.count.load(ordering: .relaxed) == 3)
        #expect(off.count == 0)
    }

    @Test func aValueReadWhileAChangeCommittedIsNotKept() async throws {
        let cache = DirectoryCache(lifetime: .seconds(60))
        let key = DirectoryCache.Key.attributes(nil, tenant: tenant)
        let stale = try await cache.value(key) { () -> String? in
            // The change commits (and invalidates) after this read began.
            cache.invalidate()
            return "before the change"
        }
        #expect(stale == "before the change")
        #expect(try await cache.value(key) { "after the change" } == "after the change")
    }

    @Test func keysAreKeptApartByEveryPart() async throws {
        let cache = DirectoryCache(lifetime: .seconds(60))
        let id = UUID()
        _ = try await cache.value(.credential(id, surface: "rollout", tenant: tenant)) { "rollout" }
        #expect(try await cache.value(.credential(id, surface: "nexudus", tenant: tenant)) { "nexudus" } == "nexudus")
        #expect(try await cache.value(.credential(id, surface: "rollout", tenant: UUID())) { "other tenant" } == "other tenant")
        #expect(try await cache.value(.credential(id, surface: "rollout", tenant: tenant)) { "again" } == "rollout")
    }

    @Test func aKeysUseIsClaimedOnceAResolution() {
        let holder = KeyHolder(
            principal: Principal(tenantID: tenant, user: User(id: UUID(), tenantID: tenant, email: "a@b.test", name: "A", roles: [])),
            keyID: UUID(), lastUsedAt: nil
        )
        let now: Int64 = 1_800_000_000_000_000
        #expect(holder.claimUse(at: now))
        #expect(!holder.claimUse(at: now))
        #expect(!holder.claimUse(at: now + APIKeyInfo.lastUseResolution - 1))
        #expect(holder.claimUse(at: now + APIKeyInfo.lastUseResolution))
    }
}
