import Crypto
import Foundation

/// An isolated organisation: its users, teams, credentials and tasks are invisible to every other.
public struct Tenant: Sendable, Hashable {
    public var id: UUID
    public var name: String
    public var createdAt: Timestamp

    public init(id: UUID, name: String, createdAt: Timestamp) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// A person in a tenant.
public struct User: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    public var email: String
    public var name: String
    /// Role names, e.g. `admin`; surfaces decide what each one allows.
    public var roles: [String]
    /// A positive integer id, unique in the store, for surfaces that name users by number.
    public var number: Int64
    /// Grows whenever every token issued to the user must stop working (a new password, the
    /// user disabled); a token carries the generation it was issued in.
    public var tokenGeneration: Int64
    /// A disabled (or deleted) user's credentials all fail; their tasks and history stay.
    public var isDisabled: Bool

    public init(
        id: UUID, tenantID: UUID, email: String, name: String, roles: [String], number: Int64 = 0,
        tokenGeneration: Int64 = 0, isDisabled: Bool = false
    ) {
        self.id = id
        self.tenantID = tenantID
        self.email = email
        self.name = name
        self.roles = roles
        self.number = number
        self.tokenGeneration = tokenGeneration
        self.isDisabled = isDisabled
    }

    /// The role that may do everything in its tenant.
    public static let administratorRole = "admin"

    public var isAdministrator: Bool { roles.contains(Self.administratorRole) }
}

/// A named group of users in a tenant; a task can be assigned to it.
public struct Team: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    public var name: String
    public var memberIDs: [UUID]

    public init(id: UUID, tenantID: UUID, name: String, memberIDs: [UUID]) {
        self.id = id
        self.tenantID = tenantID
        self.name = name
        self.memberIDs = memberIDs
    }
}

/// An authenticated caller: one user of one tenant.
public struct Principal: Sendable, Hashable {
    public var tenantID: UUID
    public var user: User

    public init(tenantID: UUID, user: User) {
        self.tenantID = tenantID
        self.user = user
    }

    public func actor(surface: String) -> Actor {
        Actor(userID: user.id, name: user.email, surface: surface, permissions: user.taskPermissions)
    }

    /// Throws `forbidden` unless the user may do `permission` to tasks.
    public func require(_ permission: TaskPermission) throws(TaskportError) {
        guard user.taskPermissions.contains(permission) else { throw permission.refusal }
    }
}

/// What a user may do to a tenant's tasks. One model for every surface, checked by the engine
/// for changes and by `RequestScope` for reads, whichever surface the request came through.
/// The names are Nexudus's role names, the only task roles a vendor documents.
public enum TaskPermission: String, Sendable, Hashable, CaseIterable {
    case list = "CoworkerTask-List"
    case read = "CoworkerTask-Read"
    case create = "CoworkerTask-Create"
    case edit = "CoworkerTask-Edit"
    case delete = "CoworkerTask-Delete"

    var refusal: TaskportError {
        .forbidden("The authenticated user must be a full unrestricted administrator or have the \(rawValue) role")
    }
}

extension User {
    /// An administrator may do everything; a user who holds any task role may do exactly what
    /// those roles name; a user who holds none is a member and may do everything to tasks
    /// (administration, such as webhooks and the outbox, stays with administrators).
    public var taskPermissions: Set<TaskPermission> {
        if isAdministrator { return Set(TaskPermission.allCases) }
        let held = Set(roles.compactMap(TaskPermission.init(rawValue:)))
        return held.isEmpty ? Set(TaskPermission.allCases) : held
    }
}

/// A credential a surface's clients name on each call, e.g. a Rollout connected credential.
public struct Credential: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    /// The surface it belongs to, e.g. `rollout`.
    public var surface: String
    public var name: String

    public init(id: UUID, tenantID: UUID, surface: String, name: String) {
        self.id = id
        self.tenantID = tenantID
        self.surface = surface
        self.name = name
    }
}

/// A newly made API key. The plaintext is shown once; only its hash is stored.
public struct APIKeySecret: Sendable {
    public var id: UUID
    public var plaintext: String
    public var hash: String

    /// A random key: the prefix (`tpk_` for API keys) and 43 characters of base64url (256 bits).
    public static func generate(prefix: String = "tpk_") -> APIKeySecret {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let text = prefix + bytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return APIKeySecret(id: UUID(), plaintext: text, hash: hash(of: text))
    }

    /// The stored form of a key: SHA-256, hex.
    /// What logs may call a key: `key:` and the eight characters after its `tpk_`, as the console
    /// lists it; never enough to use it.
    public static func publicName(of plaintext: String) -> String {
        let body = plaintext.hasPrefix("tpk_") ? plaintext.dropFirst(4) : Substring(plaintext)
        return "key:" + body.prefix(APIKeyInfo.prefixLength - 4)
    }

    public static func hash(of plaintext: String) -> String {
        SHA256.hash(data: Data(plaintext.utf8)).hexadecimal
    }
}

/// Tenants, users, teams and credentials.
public protocol DirectoryStore: Sendable {
    /// Creates a tenant; `.conflict` if the name is taken.
    func createTenant(named name: String) async throws -> Tenant
    func tenant(named name: String) async throws -> Tenant?
    func tenants() async throws -> [Tenant]

    /// Creates a user; `.conflict` if the email is taken in the tenant.
    func createUser(in tenantID: UUID, email: String, name: String, roles: [String]) async throws -> User
    func user(_ id: UUID, in tenantID: UUID) async throws -> User?
    func user(email: String, in tenantID: UUID) async throws -> User?
    func users(in tenantID: UUID) async throws -> [User]

    /// Creates a team; `.conflict` if the name is taken in the tenant.
    func createTeam(in tenantID: UUID, name: String) async throws -> Team
    /// Adds a user of the tenant to a team of the tenant; `.notFound` for either outside it.
    func addMember(_ userID: UUID, toTeam teamID: UUID, in tenantID: UUID) async throws
    /// Takes a user out of a team; false if the user was not in the tenant's team.
    func removeMember(_ userID: UUID, fromTeam teamID: UUID, in tenantID: UUID) async throws -> Bool
    func team(_ id: UUID, in tenantID: UUID) async throws -> Team?
    func team(named name: String, in tenantID: UUID) async throws -> Team?
    func teams(in tenantID: UUID) async throws -> [Team]

    /// Stores a key's hash for a user; the plaintext never reaches the store.
    func addAPIKey(_ key: APIKeySecret, named name: String, for userID: UUID, in tenantID: UUID) async throws
    /// The caller a live (unrevoked) key stands for, found by the key's hash.
    func principal(forAPIKeyHash hash: String) async throws -> Principal?
    /// Revokes a key; returns false if the tenant has no such key.
    func revokeAPIKey(_ id: UUID, in tenantID: UUID) async throws -> Bool
    /// The tenant's keys, revoked ones too, oldest first: never their secrets, only the first
    /// characters of each (for keys made since the store kept them).
    func apiKeys(in tenantID: UUID) async throws -> [APIKeyInfo]

    /// Creates a credential of a surface in a tenant.
    func createCredential(surface: String, name: String, in tenantID: UUID) async throws -> Credential
    /// The tenant's live credential of that surface with this id, if any.
    func credential(_ id: UUID, surface: String, in tenantID: UUID) async throws -> Credential?

    /// Revokes a credential of a surface; returns false if the tenant has no such live credential.
    func revokeCredential(_ id: UUID, surface: String, in tenantID: UUID) async throws -> Bool
    /// The tenant's live credentials of a surface, oldest first.
    func credentials(surface: String, in tenantID: UUID) async throws -> [Credential]

    /// The user with this number in the tenant.
    func user(number: Int64, in tenantID: UUID) async throws -> User?
    /// Sets (or, with nil, removes) a user's password hash, as `PasswordHash.make` writes it, and
    /// ends every token issued to the user before (access tokens by generation, refresh tokens deleted).
    func setPasswordHash(_ hash: String?, for userID: UUID, in tenantID: UUID) async throws
    /// Disables (or enables again) a user: while disabled, none of their API keys, tokens or
    /// passwords work, and the tokens issued before stay dead when enabled again.
    /// With `deleting`, the user is disabled for good and no longer listed; their tasks and history stay.
    func setDisabled(_ disabled: Bool, deleting: Bool, user userID: UUID, in tenantID: UUID) async throws
    /// Replaces a user's roles; they apply to the user's next request, whatever credential it carries.
    func setRoles(_ roles: [String], for userID: UUID, in tenantID: UUID) async throws
    /// Users of any tenant who sign in with this email and have a password, with their hashes.
    func passwordLogins(email: String) async throws -> [PasswordLogin]

    /// Stores a refresh token's hash; it can be redeemed once, until `expiresAt`.
    func addRefreshToken(hash: String, for principal: Principal, expiresAt: Timestamp) async throws
    /// Uses up a live refresh token and returns whom it was issued to; nil if it is unknown,
    /// used or expired.
    func redeemRefreshToken(hash: String, at now: Timestamp) async throws -> Principal?

    /// A server-wide secret by name, made by `make` on first use and shared by every server on the store.
    func secret(named name: String, orMake make: @Sendable () -> String) async throws -> String

    /// Stores a console session: the SHA-256 `hash` of its cookie, its CSRF token and whom it
    /// is for, in the user's current token generation.
    func addConsoleSession(hash: String, csrfToken: String, for principal: Principal, at now: Timestamp) async throws
    /// The live session with this cookie hash: seen since `idleSince`, made since `madeSince`, of
    /// a user who is still enabled and has not changed password since. Marks it seen at `now`
    /// (at most once a minute). Removes the tenant's dead sessions as it goes.
    func consoleSession(hash: String, idleSince: Timestamp, madeSince: Timestamp, now: Timestamp) async throws -> ConsoleSession?
    /// Ends a session (signing out).
    func removeConsoleSession(hash: String) async throws
}

/// What the store knows of an API key besides its hash. `lastUsedAt` is kept to the minute.
public struct APIKeyInfo: Sendable, Hashable {
    public var id: UUID
    public var name: String
    public var userID: UUID
    /// The key's first characters (`tpk_` and eight more), enough to tell keys apart.
    public var prefix: String?
    public var createdAt: Timestamp
    public var lastUsedAt: Timestamp?
    public var revokedAt: Timestamp?

    public init(id: UUID, name: String, userID: UUID, prefix: String?, createdAt: Timestamp, lastUsedAt: Timestamp?, revokedAt: Timestamp?) {
        self.id = id
        self.name = name
        self.userID = userID
        self.prefix = prefix
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    /// How much of a key's plaintext the store keeps to show it by.
    public static let prefixLength = 12
    /// A key's last use is written at most this often.
    public static let lastUseResolution: Int64 = 60_000_000
}

/// A signed-in console user, as the store keeps the session.
public struct ConsoleSession: Sendable, Hashable {
    public var principal: Principal
    public var csrfToken: String
    public var createdAt: Timestamp

    public init(principal: Principal, csrfToken: String, createdAt: Timestamp) {
        self.principal = principal
        self.csrfToken = csrfToken
        self.createdAt = createdAt
    }
}

/// A user who can sign in with a password, and the stored hash to check it against.
public struct PasswordLogin: Sendable, Hashable {
    public var principal: Principal
    public var passwordHash: String

    public init(principal: Principal, passwordHash: String) {
        self.principal = principal
        self.passwordHash = passwordHash
    }
}
