import Foundation
import RolloutDialect
import TaskportCore
import TaskportHTTP

/// Mints what a Rollout client sends: a signed JWT and a Rollout credential id.
public enum RolloutCredentials {
    /// How long demo tokens live: a year.
    public static let demoLifetime: TimeInterval = 365 * 86_400

    /// A new credential of the principal's tenant and a token for the principal.
    public static func mint(
        for principal: Principal, in store: any DirectoryStore, lifetime: TimeInterval, credentialName: String = "taskport"
    ) async throws -> (token: String, credential: Credential) {
        let credential = try await store.createCredential(surface: RolloutSurface.name, name: credentialName, in: principal.tenantID)
        let token = try await TokenAuthority.load(from: store).issue(for: principal, lifetime: lifetime, surface: RolloutSurface.name)
        return (token, credential)
    }

    /// Revokes a Rollout credential of the tenant; false when it has no such live one.
    public static func revoke(_ id: UUID, in tenantID: UUID, of store: any DirectoryStore) async throws -> Bool {
        try await store.revokeCredential(id, surface: RolloutSurface.name, in: tenantID)
    }

    /// Whether a token and credential id still authenticate as the principal.
    static func isValid(_ token: String, _ credentialID: String, for principal: Principal, in store: any DirectoryStore) async throws -> Bool {
        guard let id = UUID(text: credentialID),
            try await store.credential(id, surface: RolloutSurface.name, in: principal.tenantID) != nil,
            let holder = try? await TokenAuthority.load(from: store).principal(for: token, on: RolloutSurface.name, in: store)
        else { return false }
        return holder == principal
    }
}
