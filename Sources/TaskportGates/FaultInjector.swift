import Foundation
public import Hummingbird
import Logging
import Synchronization
public import TaskportCore
public import TaskportHTTP

/// Acts on the tenants' fault rules: each request of a tenant with rules is checked against
/// them, oldest rule first, once its credential is accepted. Every rule that matches and acts
/// (its window, count and share considered) is marked in the request's journal entry; latency
/// rules wait and let the request go on, and the first status or drop rule ends it.
///
/// The rules are read from the store, all tenants at once, at most every `refreshInterval`
/// (a second), so that rules made through another server act here within that; a change made
/// through this server's API reloads them before it is answered. A counted rule is spent in the
/// store, so several servers together act on it exactly `count` times.
public final class FaultInjector: RequestGate {
    struct State {
        var rules: [UUID: [FaultRule]] = [:]
        var loadedAt: ContinuousClock.Instant?
        var loading = false
        /// Raised by every change made here, so that a reload begun before it does not count as fresh.
        var generation = 0
        /// The generation of the rules held: a read begun earlier that ends later is not kept.
        var heldGeneration = 0
    }

    let store: any FaultRuleStore
    let surface: @Sendable (String) -> String?
    let refreshInterval: Duration
    let logger: Logger
    private let state = Mutex(State())

    public init(
        store: any FaultRuleStore, surface: @escaping @Sendable (String) -> String?, refreshInterval: Duration = .seconds(1), logger: Logger
    ) {
        self.store = store
        self.surface = surface
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// Reads the rules again now: called after this server changed them.
    public func reload() async {
        let generation = state.withLock { state in
            state.generation += 1
            state.loading = true
            return state.generation
        }
        await load(generation)
    }

    /// The native API's routes for testing integrations, which no rule matches: a rule can always
    /// be removed, the journal read, a snapshot restored.
    static let exempt = ["/v1/faults", "/v1/journal", "/v1/snapshots", "/v1/tenant/"]

    public func admit(_ request: Request, route: String, caller: RequestRecord.Caller) async throws {
        let rules = await rules(of: caller.tenantID)
        guard !rules.isEmpty else { return }
        let path = request.uri.path
        guard !Self.exempt.contains(where: { path.hasPrefix($0) }) else { return }
        let surface = surface(route)
        let method = request.method.rawValue
        let now = Timestamp.now()
        for rule in rules where rule.isLive(at: now) && rule.match.matches(surface: surface, method: method, path: path, credential: caller.credential) {
            if rule.share < 1, Double.random(in: 0..<1) >= rule.share { continue }
            if rule.remaining != nil {
                guard (try? await store.spendFaultRule(rule.id)) == true else {
                    spentLocally(rule, caller.tenantID, none: true)
                    continue
                }
                spentLocally(rule, caller.tenantID, none: false)
            }
            RequestRecord.injected("rule \(rule.id.lowercasedText): \(rule.effect.summary)")
            switch rule.effect {
            case .latency(let milliseconds):
                try await Task.sleep(for: .milliseconds(milliseconds))
            case .status(let code, let retryAfter):
                let status = HTTPResponse.Status(code: code)
                throw TaskportError.injected(
                    status: code, "\(status.reasonPhrase) (injected by fault rule \(rule.id.lowercasedText))",
                    retryAfter: retryAfter ?? (code == 429 || code == 503 ? 1 : nil)
                )
            case .drop:
                throw DroppedConnection()
            }
        }
    }

    /// The tenant's rules, read again first when they are older than the refresh interval.
    private func rules(of tenantID: UUID) async -> [FaultRule] {
        let (rules, generation) = state.withLock { state -> ([FaultRule], Int?) in
            let fresh = state.loadedAt.map { ContinuousClock.now - $0 < refreshInterval } ?? false
            guard !fresh, !state.loading else { return (state.rules[tenantID] ?? [], nil) }
            state.loading = true
            return (state.rules[tenantID] ?? [], state.generation)
        }
        guard let generation else { return rules }
        await load(generation)
        return state.withLock { $0.rules[tenantID] ?? [] }
    }

    private func load(_ generation: Int) async {
        let loaded: [FaultRule]?
        do {
            loaded = try await store.faultRules()
        } catch {
            logger.warning("fault rules could not be read; the last ones read stay", metadata: ["error": "\(ClientErrors.faultSummary(error))"])
            loaded = nil
        }
        state.withLock { state in
            if let loaded, generation >= state.heldGeneration {
                state.rules = Dictionary(grouping: loaded, by: \.tenantID)
                state.heldGeneration = generation
            }
            state.loading = false
            // A change made here while this read ran may be missing from it: read again next time.
            if state.generation == generation { state.loadedAt = .now }
        }
    }

    /// Counts a spent request of a counted rule here too, until the next reload.
    private func spentLocally(_ rule: FaultRule, _ tenantID: UUID, none: Bool) {
        state.withLock { state in
            guard let index = state.rules[tenantID]?.firstIndex(where: { $0.id == rule.id }) else { return }
            let left = none ? 0 : max(0, (state.rules[tenantID]?[index].remaining ?? 1) - 1)
            state.rules[tenantID]?[index].remaining = left
        }
    }
}
