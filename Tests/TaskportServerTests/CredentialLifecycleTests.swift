import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOPosix
import TaskportCore
import TaskportServer
import Testing

/// A password hash, made where slow work belongs (NIO's thread pool), not on the test's own threads.
func hashed(_ password: String) async throws -> String {
    try await NIOThreadPool.singleton.runIfActive { try PasswordHash.make(password) }
}

/// A new password, a disabled or deleted user and a revoked credential end what was issued
/// before, on every surface; the store is the only place this lives, so every server sees it.
@Suite("Credentials end when they should")
struct CredentialLifecycleTests {
    @Test func aNewPasswordEndsEveryTokenIssuedBefore() async throws {
        let f = try await NexudusFixture.make()
        try await f.h.store.setPasswordHash(try await hashed("first-passw0rd"), for: f.admin.id, in: f.h.tenant.id)
        // Setting the password ended the tokens of the user as it was: sign the new one for the user as they are now.
        let admin = try #require(try await f.h.store.user(f.admin.id, in: f.h.tenant.id))
        let rollout = try await RolloutCredentials.mint(for: Principal(tenantID: f.h.tenant.id, user: admin), in: f.h.store, lifetime: 600)
        try await f.run { api in
            func token(_ form: String) async throws -> TestResponse {
                try await api.send(.post, "/api/token", form, token: "", contentType: "application/x-www-form-urlencoded")
            }
            let pair = try await token("grant_type=password&username=admin%40example.com&password=first-passw0rd").object()
            let access = try #require(pair["access_token"] as? String)
            let refresh = try #require(pair["refresh_token"] as? String)
            let rolloutClient = RolloutClient(api.client, token: rollout.token, credential: rollout.credential.id.uuidString.lowercased())
            #expect(try await api.send(.get, "/api/crm/coworkertasks", token: access).status == .ok)
            #expect(try await rolloutClient.send(.get, "/tasks").status == .ok)

            try await f.h.store.setPasswordHash(try await hashed("second-passw0rd"), for: f.admin.id, in: f.h.tenant.id)

            try await api.send(.get, "/api/crm/coworkertasks", token: access).nexudusError(.unauthorized)
            try await rolloutClient.send(.get, "/tasks").rolloutError(.unauthorized)
            let reused = try await token("grant_type=refresh_token&refresh_token=\(refresh)")
            #expect(reused.status == .badRequest)
            #expect(try reused.object()["error"] as? String == "invalid_grant")
            #expect(try await token("grant_type=password&username=admin%40example.com&password=first-passw0rd").status == .badRequest)
            let fresh = try await token("grant_type=password&username=admin%40example.com&password=second-passw0rd").object()
            #expect(try await api.send(.get, "/api/crm/coworkertasks", token: fresh["access_token"] as? String).status == .ok)
        }
    }

    @Test func aDisabledUserCanDoNothingAndEnablingDoesNotRaiseOldTokens() async throws {
        let f = try await NexudusFixture.make()
        let h = f.h
        let bobKey = APIKeySecret.generate()
        try await h.store.addAPIKey(bobKey, named: "bob", for: h.bob.id, in: h.tenant.id)
        try await h.store.setPasswordHash(try await hashed("bobs-passw0rd"), for: h.bob.id, in: h.tenant.id)
        let bob = try #require(try await h.store.user(h.bob.id, in: h.tenant.id))
        let bobToken = try await f.token(for: bob)
        let rollout = try await RolloutCredentials.mint(for: Principal(tenantID: h.tenant.id, user: bob), in: h.store, lifetime: 600)
        try await f.run { api in
            let native = api.native
            let rolloutClient = RolloutClient(api.client, token: rollout.token, credential: rollout.credential.id.uuidString.lowercased())
            #expect(try await native.send(.get, "/v1/tasks", key: bobKey.plaintext).status == .ok)
            #expect(try await rolloutClient.send(.get, "/tasks").status == .ok)

            try await h.store.setDisabled(true, deleting: false, user: h.bob.id, in: h.tenant.id)
            try await native.send(.get, "/v1/tasks", key: bobKey.plaintext).problem(.unauthorized)
            try await MaxsightClient(client: api.client, key: bobKey.plaintext).send(.get, "/tasks").maxsightError(.unauthorized)
            try await ThenaClient(client: api.client, key: bobKey.plaintext).send(.get, "/v1/accounts/tasks").thenaError(.unauthorized)
            try await rolloutClient.send(.get, "/tasks").rolloutError(.unauthorized)
            try await api.send(.get, "/api/crm/coworkertasks", token: bobToken).nexudusError(.unauthorized)
            let signIn = try await api.send(
                .post, "/api/token", "grant_type=password&username=bob%40acme.test&password=bobs-passw0rd", token: "",
                contentType: "application/x-www-form-urlencoded"
            )
            #expect(signIn.status == .badRequest)

            try await h.store.setDisabled(false, deleting: false, user: h.bob.id, in: h.tenant.id)
            #expect(try await native.send(.get, "/v1/tasks", key: bobKey.plaintext).status == .ok)
            try await rolloutClient.send(.get, "/tasks").rolloutError(.unauthorized)

            try await h.store.setDisabled(true, deleting: true, user: h.bob.id, in: h.tenant.id)
            try await native.send(.get, "/v1/tasks", key: bobKey.plaintext).problem(.unauthorized)
            #expect(try await h.store.users(in: h.tenant.id).map(\.email) == ["admin@example.com", "alice@acme.test"])
            await #expect(throws: TaskportError.self) {
                try await h.store.setDisabled(false, deleting: false, user: h.bob.id, in: h.tenant.id)
            }
        }
    }

    @Test func aRevokedRolloutCredentialIsRefused() async throws {
        let h = try await Harness.make()
        try await h.run { native in
            let rollout = RolloutClient(native.client, h)
            #expect(try await rollout.send(.get, "/tasks").status == .ok)
            let id = try #require(UUID(uuidString: h.rolloutCredential))
            #expect(try await RolloutCredentials.revoke(id, in: h.tenant.id, of: h.store))
            #expect(try await !RolloutCredentials.revoke(id, in: h.tenant.id, of: h.store))
            try await rollout.send(.get, "/tasks").rolloutError(.unauthorized)
        }
    }

    /// The store keeps keys, users and attributes in memory between requests (`DirectoryCache`);
    /// a change made on this server is still seen by the very next request, not a second later.
    @Test func aChangeIsSeenByTheNextRequestThoughTheDirectoryIsCached() async throws {
        let h = try await Harness.make()
        let carol = try await h.store.createUser(in: h.tenant.id, email: "carol@acme.test", name: "Carol", roles: ["admin"])
        let key = APIKeySecret.generate()
        try await h.store.addAPIKey(key, named: "carol", for: carol.id, in: h.tenant.id)
        try await h.run { native in
            let carolNative = NativeClient(client: native.client, key: key.plaintext)
            let thena = ThenaClient(client: native.client, key: key.plaintext)
            let id = try #require(try await carolNative.create()["id"] as? String)
            // Read twice, so what the next requests check is held in memory.
            for _ in 0..<2 {
                #expect(try await carolNative.patch("/v1/tasks/\(id)", #"{"notes":"warm"}"#).status == .ok)
                try await thena.send(.put, "/v1/accounts/tasks/\(id)", #"{"status":"Waiting"}"#).thenaError(.badRequest)
            }

            _ = try await h.store.createAttribute(.status, value: "Waiting", configuration: [:], in: h.tenant.id)
            #expect(try await thena.send(.put, "/v1/accounts/tasks/\(id)", #"{"status":"Waiting"}"#).status == .ok)

            try await h.store.setRoles(["CoworkerTask-List", "CoworkerTask-Read"], for: carol.id, in: h.tenant.id)
            try await carolNative.patch("/v1/tasks/\(id)", #"{"notes":"read only now"}"#).problem(.forbidden)
            #expect(try await carolNative.send(.get, "/v1/tasks/\(id)").status == .ok)

            let keyID = try #require(try await h.store.apiKeys(in: h.tenant.id).first { $0.name == "carol" }?.id)
            #expect(try await h.store.revokeAPIKey(keyID, in: h.tenant.id))
            try await carolNative.send(.get, "/v1/tasks/\(id)").problem(.unauthorized)
            try await thena.send(.get, "/v1/accounts/tasks/\(id)").thenaError(.unauthorized)
        }
    }
}
