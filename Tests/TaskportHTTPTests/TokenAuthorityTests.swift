import Crypto
import Foundation
import TaskportCore
import TaskportHTTP
import TaskportSQLite
import Testing

@Suite("Signed access tokens")
struct TokenAuthorityTests {
    struct Fixture {
        let store: SQLiteStore
        let principal: Principal
        let authority: TokenAuthority

        static func make() async throws -> Fixture {
            let store = try SQLiteStore.inMemory()
            let tenant = try await store.createTenant(named: "acme")
            let user = try await store.createUser(in: tenant.id, email: "alice@acme.test", name: "Alice", roles: [])
            return Fixture(store: store, principal: Principal(tenantID: tenant.id, user: user), authority: try await TokenAuthority.load(from: store))
        }
    }

    /// A token with the given header and claims, signed with HMAC-SHA256 under `secret`.
    func forge(header: String, claims: String, secret: String) -> String {
        func base64URL(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let input = base64URL(Data(header.utf8)) + "." + base64URL(Data(claims.utf8))
        return input + "." + base64URL(Data(HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(secret.utf8)))))
    }

    @Test func issuedTokensVerifyToTheirPrincipal() async throws {
        let f = try await Fixture.make()
        let token = try await f.authority.issue(for: f.principal, lifetime: 60)
        let claims = try await f.authority.verify(token)
        #expect(claims.userID == f.principal.user.id.uuidString.lowercased())
        #expect(claims.tid == f.principal.tenantID.uuidString.lowercased())
        #expect(try await f.authority.principal(for: token, on: "test", in: f.store) == f.principal)
    }

    @Test func theKeyIsSharedThroughTheStore() async throws {
        let f = try await Fixture.make()
        let token = try await f.authority.issue(for: f.principal, lifetime: 60)
        let second = try await TokenAuthority.load(from: f.store)
        #expect(try await second.principal(for: token, on: "test", in: f.store) == f.principal)
    }

    @Test func expiredTokensAreRefused() async throws {
        let f = try await Fixture.make()
        let token = try await f.authority.issue(for: f.principal, lifetime: 60, now: Date().addingTimeInterval(-3600))
        await #expect(throws: TaskportError.unauthenticated("The token has expired or was not issued by Taskport")) {
            try await f.authority.verify(token)
        }
    }

    /// A verified token is remembered, so its signature is not checked again; its expiry still is.
    @Test func aTokenThatVerifiedIsRefusedOnceItExpires() async throws {
        let f = try await Fixture.make()
        let token = try await f.authority.issue(for: f.principal, lifetime: 2)
        #expect(try await f.authority.verify(token).userID == f.principal.user.id.lowercasedText)
        #expect(try await f.authority.verify(token).userID == f.principal.user.id.lowercasedText)
        try await Task.sleep(for: .milliseconds(2_200))
        await #expect(throws: TaskportError.unauthenticated("The token has expired or was not issued by Taskport")) {
            try await f.authority.verify(token)
        }
        // A token altered from one that verified is checked in full.
        let fresh = try await f.authority.issue(for: f.principal, lifetime: 60)
        _ = try await f.authority.verify(fresh)
        var characters = Array(fresh)
        let inSignature = characters.count - 10
        characters[inSignature] = characters[inSignature] == "A" ? "B" : "A"
        let tampered = String(characters)
        await #expect(throws: TaskportError.self) { try await f.authority.verify(tampered) }
    }

    @Test func tokensOfAnotherKeyOrAlgorithmAreRefused() async throws {
        let f = try await Fixture.make()
        let other = try await TokenAuthority(key: SymmetricKey(size: .bits256))
        let foreign = try await other.issue(for: f.principal, lifetime: 60)
        await #expect(throws: TaskportError.self) { try await f.authority.verify(foreign) }

        let exp = Int(Date().timeIntervalSince1970) + 600
        let claims = #"{"sub":"\#(f.principal.user.id)","tid":"\#(f.principal.tenantID)","iss":"taskport","iat":0,"exp":\#(exp)}"#
        let unsigned = forge(header: #"{"alg":"none","typ":"JWT"}"#, claims: claims, secret: "").split(separator: ".").prefix(2).joined(separator: ".") + "."
        await #expect(throws: TaskportError.unauthenticated("The token is not a Taskport HS256 token")) {
            try await f.authority.verify(unsigned)
        }
        let hs512 = forge(header: #"{"alg":"HS512","typ":"JWT"}"#, claims: claims, secret: "x")
        await #expect(throws: TaskportError.unauthenticated("The token is not a Taskport HS256 token")) {
            try await f.authority.verify(hs512)
        }
        await #expect(throws: TaskportError.self) { try await f.authority.verify("not.a.token") }
        await #expect(throws: TaskportError.self) { try await f.authority.verify("") }
    }

    @Test func shortKeysAreRefused() async {
        await #expect(throws: TaskportError.self) { try await TokenAuthority(key: SymmetricKey(size: .bits128)) }
    }

    @Test func tokensForUsersThatDoNotExistAreRefused() async throws {
        let f = try await Fixture.make()
        let ghost = Principal(tenantID: f.principal.tenantID, user: User(id: UUID(), tenantID: f.principal.tenantID, email: "ghost@acme.test", name: "Ghost", roles: []))
        let token = try await f.authority.issue(for: ghost, lifetime: 60)
        await #expect(throws: TaskportError.unauthenticated("The token's user does not exist")) {
            try await f.authority.principal(for: token, on: "test", in: f.store)
        }
    }
}

@Suite struct TokenAudienceTests {
    @Test func aTokenIssuedForOneSurfaceIsRefusedByAnother() async throws {
        let store = try SQLiteStore.inMemory()
        let tenant = try await store.createTenant(named: "t")
        let user = try await store.createUser(in: tenant.id, email: "u@t.test", name: "U", roles: [])
        let authority = try await TokenAuthority(key: .init(size: .bits256))
        let principal = Principal(tenantID: tenant.id, user: user)
        let rollout = try await authority.issue(for: principal, lifetime: 60, surface: "rollout")
        #expect(try await authority.principal(for: rollout, on: "rollout", in: store) == principal)
        await #expect(throws: TaskportError.self) { try await authority.principal(for: rollout, on: "nexudus", in: store) }
        // A token that names no surface (issued before they were named) works on any.
        let unnamed = try await authority.issue(for: principal, lifetime: 60)
        #expect(try await authority.principal(for: unnamed, on: "nexudus", in: store) == principal)
    }
}
