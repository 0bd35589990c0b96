import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import JWTKit
import Synchronization
import TaskportCore

/// Where a surface's clients put their credential.
public enum CredentialLocation: Sendable {
    /// `Authorization: Bearer <credential>`.
    case bearer
    /// A header of its own, e.g. `x-api-key`.
    case header(HTTPField.Name)

    /// The credential the request carries here, if any.
    public func credential(in request: Request) -> String? {
        switch self {
        case .bearer:
            guard let value = request.headers.value(.authorization),
                let space = value.utf8.firstIndex(of: UInt8(ascii: " ")), value[..<space].lowercased() == "bearer"
            else { return nil }
            let token = String(value[value.utf8.index(after: space)...].trimmingSpaces())
            return token.isEmpty ? nil : token
        case .header(let name):
            let value = request.headers.value(name).map { String($0.trimmingSpaces()) }
            return value?.isEmpty == false ? value : nil
        }
    }
}

/// Authenticates a request by API key and runs the rest of it as that key's user.
/// A missing or unknown key is `unauthenticated`; handlers read `Principal.current`.
public struct APIKeyAuthenticator<Context: RequestContext>: RouterMiddleware {
    let directory: any DirectoryStore
    let location: CredentialLocation

    public init(directory: any DirectoryStore, location: CredentialLocation) {
        self.directory = directory
        self.location = location
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let key = location.credential(in: request) else {
            throw TaskportError.unauthenticated("Missing API key")
        }
        guard let principal = try await directory.principal(forAPIKeyHash: APIKeySecret.hash(of: key)) else {
            throw TaskportError.unauthenticated("Invalid API key")
        }
        try await RequestRecord.admitted(principal, by: APIKeySecret.publicName(of: key), request: request)
        return try await Principal.$current.withValue(principal) {
            try await next(request, context)
        }
    }
}

/// The claims of a Taskport access token.
public struct AccessTokenClaims: JWTPayload, Equatable {
    /// The user.
    public var sub: SubjectClaim
    /// The tenant.
    public var tid: String
    public var iss: IssuerClaim
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim
    /// The user's token generation when the token was issued; a token of an earlier one is dead.
    /// Absent in tokens issued before generations existed, which stand for generation 0.
    public var gen: Int64?
    /// The surface the token was issued for (`rollout`, `nexudus`); it works on that one only.
    /// Absent in tokens issued before surfaces were named, which work on any that takes tokens.
    public var aud: String?

    /// The user's id, as the token states it.
    public var userID: String { sub.value }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard iss.value == TokenAuthority.issuer else {
            throw JWTError.claimVerificationFailure(failedClaim: iss, reason: "not issued by Taskport")
        }
    }
}

/// Issues and checks signed access tokens (JWT, HS256 only) with a key shared by every server on the store.
public struct TokenAuthority: Sendable {
    public static let issuer = "taskport"
    static let algorithm = "HS256"
    static let secretName = "jwt-hs256"

    let keys: JWTKeyCollection
    /// Tokens whose signature has verified, by their text: a client sends the same token with
    /// every request, and its signature and claims cannot change. Expiry is checked at each use.
    let verified = VerifiedTokens()

    /// Loads the signing key from the store, making one on first use.
    public static func load(from directory: any DirectoryStore) async throws -> TokenAuthority {
        let secret = try await directory.secret(named: secretName) {
            SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
        }
        guard let bytes = Data(base64Encoded: secret) else {
            throw TaskportError.conflict("The stored signing key '\(secretName)' is not base64")
        }
        return try await TokenAuthority(key: SymmetricKey(data: bytes))
    }

    /// An authority signing with `key`, which must be at least 256 bits long.
    public init(key: SymmetricKey) async throws {
        guard key.bitCount >= 256 else {
            throw TaskportError.conflict("An HS256 signing key must be at least 256 bits long")
        }
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(key: key), digestAlgorithm: .sha256)
    }

    /// A token for the principal that expires after `lifetime` seconds, good on `surface` only.
    public func issue(for principal: Principal, lifetime: TimeInterval, surface: String? = nil, now: Date = Date()) async throws -> String {
        let claims = AccessTokenClaims(
            sub: SubjectClaim(value: principal.user.id.lowercasedText),
            tid: principal.tenantID.lowercasedText,
            iss: IssuerClaim(value: Self.issuer),
            iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: now.addingTimeInterval(lifetime)),
            gen: principal.user.tokenGeneration,
            aud: surface
        )
        return try await keys.sign(claims)
    }

    /// The verified claims of a token: signed by this key with HS256, issued by Taskport and not expired.
    /// Throws `unauthenticated` saying what is wrong otherwise.
    public func verify(_ token: String) async throws(TaskportError) -> AccessTokenClaims {
        if let claims = verified.claims(of: token) {
            guard (try? claims.exp.verifyNotExpired()) != nil else {
                throw .unauthenticated("The token has expired or was not issued by Taskport")
            }
            return claims
        }
        guard Self.headerAlgorithm(of: token) == Self.algorithm else {
            throw .unauthenticated("The token is not a Taskport HS256 token")
        }
        do {
            let claims = try await keys.verify(token, as: AccessTokenClaims.self)
            verified.keep(claims, of: token)
            return claims
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw .unauthenticated("The token has expired or was not issued by Taskport")
        } catch {
            throw .unauthenticated("The token's signature does not verify")
        }
    }

    /// The principal a verified token stands for, if its user still exists in its tenant, is not
    /// disabled, and has not had every earlier token ended since (a new password, say).
    public func principal(for token: String, on surface: String, in directory: any DirectoryStore) async throws -> Principal {
        let claims = try await verify(token)
        if let audience = claims.aud, audience != surface {
            throw TaskportError.unauthenticated("The token was issued for another API (\(audience))")
        }
        guard let tenantID = UUID(text: claims.tid), let userID = UUID(text: claims.userID),
            let user = try await directory.user(userID, in: tenantID)
        else { throw TaskportError.unauthenticated("The token's user does not exist") }
        guard !user.isDisabled else { throw TaskportError.unauthenticated("The token's user is disabled") }
        guard (claims.gen ?? 0) == user.tokenGeneration else {
            throw TaskportError.unauthenticated("The token was issued before the user's credentials changed")
        }
        return Principal(tenantID: tenantID, user: user)
    }

    static func headerAlgorithm(of token: String) -> String? {
        guard let header = token.split(separator: ".", omittingEmptySubsequences: false).first else { return nil }
        var base64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return object["alg"] as? String
    }
}

/// The claims of tokens that verified, by the token's text; at most `capacity` of them, then it
/// starts over. A token that fails is never kept.
final class VerifiedTokens: Sendable {
    static let capacity = 10_000
    private let claims = Mutex<[String: AccessTokenClaims]>([:])

    func claims(of token: String) -> AccessTokenClaims? {
        claims.withLock { $0[token] }
    }

    func keep(_ verified: AccessTokenClaims, of token: String) {
        claims.withLock { claims in
            if claims.count >= Self.capacity { claims.removeAll(keepingCapacity: true) }
            claims[token] = verified
        }
    }
}
