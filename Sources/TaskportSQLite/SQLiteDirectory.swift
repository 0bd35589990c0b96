import Foundation
import GRDB
import TaskportCore

extension SQLiteStore: DirectoryStore {
    public func createTenant(named name: String) async throws -> Tenant {
        let tenant = Tenant(id: UUID(), name: name, createdAt: .now())
        try await insert(unique: "a tenant named '\(name)' exists already") { db in
            try db.execute(
                sql: "INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)",
                arguments: [tenant.id.text, name, tenant.createdAt.microseconds]
            )
        }
        return tenant
    }

    public func tenant(named name: String) async throws -> Tenant? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT id, name, created_at FROM tenants WHERE name = ?", arguments: [name])
                .map(Self.tenant)
        }
    }

    public func tenants() async throws -> [Tenant] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, created_at FROM tenants ORDER BY created_at").map(Self.tenant)
        }
    }

    public func createUser(in tenantID: UUID, email: String, name: String, roles: [String]) async throws -> User {
        var user = User(id: UUID(), tenantID: tenantID, email: email, name: name, roles: roles)
        user.number = try await insert(unique: "a user with email '\(email)' exists already") { [user] db in
            try db.execute(
                sql: """
                    INSERT INTO users (id, tenant_id, email, name, roles, created_at, number)
                    VALUES (?, ?, ?, ?, ?, ?, (SELECT coalesce(max(number), 0) + 1 FROM users))
                    """,
                arguments: [user.id.text, tenantID.text, email, name, try StoredJSON.encode(roles), Timestamp.now().microseconds]
            )
            return try Int64.fetchOne(db, sql: "SELECT number FROM users WHERE id = ?", arguments: [user.id.text]) ?? 0
        }
        return user
    }

    public func user(number: Int64, in tenantID: UUID) async throws -> User? {
        try await directoryCache.value(.userNumber(number, tenant: tenantID)) {
            try await fetchUsers(where: "number = ? AND tenant_id = ?", [number, tenantID.text]).first
        }
    }

    public func setPasswordHash(_ hash: String?, for userID: UUID, in tenantID: UUID) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE users SET password_hash = ?, token_generation = token_generation + 1 WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL",
                arguments: [hash, userID.text, tenantID.text]
            )
            if db.changesCount == 0 { throw TaskportError.notFound("User not found") }
            try db.execute(sql: "DELETE FROM refresh_tokens WHERE user_id = ?", arguments: [userID.text])
        }
    }

    public func setDisabled(_ disabled: Bool, deleting: Bool, user userID: UUID, in tenantID: UUID) async throws {
        let now = Timestamp.now().microseconds
        try await writer.write { db in
            if disabled || deleting {
                try db.execute(
                    sql: """
                        UPDATE users SET disabled_at = coalesce(disabled_at, ?), token_generation = token_generation + 1,
                            deleted_at = CASE WHEN ? THEN coalesce(deleted_at, ?) ELSE deleted_at END
                        WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL
                        """,
                    arguments: [now, deleting, now, userID.text, tenantID.text]
                )
            } else {
                try db.execute(
                    sql: "UPDATE users SET disabled_at = NULL WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL",
                    arguments: [userID.text, tenantID.text]
                )
            }
            if db.changesCount == 0 { throw TaskportError.notFound("User not found") }
            try db.execute(sql: "DELETE FROM refresh_tokens WHERE user_id = ?", arguments: [userID.text])
        }
    }

    public func setRoles(_ roles: [String], for userID: UUID, in tenantID: UUID) async throws {
        let stored = try StoredJSON.encode(roles)
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE users SET roles = ? WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL",
                arguments: [stored, userID.text, tenantID.text]
            )
            if db.changesCount == 0 { throw TaskportError.notFound("User not found") }
        }
    }

    public func passwordLogins(email: String) async throws -> [PasswordLogin] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT \(Self.userColumns), password_hash FROM users WHERE email = ? AND password_hash IS NOT NULL AND disabled_at IS NULL ORDER BY number",
                arguments: [email]
            ).map { row in
                let user = try Self.user(row)
                return PasswordLogin(principal: Principal(tenantID: user.tenantID, user: user), passwordHash: row["password_hash"])
            }
        }
    }

    public func addRefreshToken(hash: String, for principal: Principal, expiresAt: Timestamp) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO refresh_tokens (token_hash, tenant_id, user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [hash, principal.tenantID.text, principal.user.id.text, expiresAt.microseconds, Timestamp.now().microseconds]
            )
        }
    }

    public func redeemRefreshToken(hash: String, at now: Timestamp) async throws -> Principal? {
        try await writer.write { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT \(Self.userColumnList(of: "u")), t.expires_at
                    FROM refresh_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND u.disabled_at IS NULL
                    """,
                arguments: [hash]
            )
            try db.execute(sql: "DELETE FROM refresh_tokens WHERE token_hash = ? OR expires_at <= ?", arguments: [hash, now.microseconds])
            guard let row, (row["expires_at"] as Int64) > now.microseconds else { return nil }
            let user = try Self.user(row)
            return Principal(tenantID: user.tenantID, user: user)
        }
    }

    public func user(_ id: UUID, in tenantID: UUID) async throws -> User? {
        try await directoryCache.value(.user(id, tenant: tenantID)) {
            try await fetchUsers(where: "id = ? AND tenant_id = ?", [id.text, tenantID.text]).first
        }
    }

    public func user(email: String, in tenantID: UUID) async throws -> User? {
        try await fetchUsers(where: "email = ? AND tenant_id = ?", [email, tenantID.text]).first
    }

    public func users(in tenantID: UUID) async throws -> [User] {
        try await fetchUsers(where: "tenant_id = ? AND deleted_at IS NULL", [tenantID.text])
    }

    public func createTeam(in tenantID: UUID, name: String) async throws -> Team {
        let team = Team(id: UUID(), tenantID: tenantID, name: name, memberIDs: [])
        try await insert(unique: "a team named '\(name)' exists already") { db in
            try db.execute(
                sql: "INSERT INTO teams (id, tenant_id, name, created_at) VALUES (?, ?, ?, ?)",
                arguments: [team.id.text, tenantID.text, name, Timestamp.now().microseconds]
            )
        }
        return team
    }

    public func addMember(_ userID: UUID, toTeam teamID: UUID, in tenantID: UUID) async throws {
        try await writer.write { db in
            guard try Self.exists("teams", teamID, in: tenantID, db) else { throw TaskportError.notFound("Team not found") }
            guard try Self.exists("users", userID, in: tenantID, db) else { throw TaskportError.notFound("User not found") }
            try db.execute(
                sql: "INSERT INTO team_members (team_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                arguments: [teamID.text, userID.text]
            )
        }
    }

    public func removeMember(_ userID: UUID, fromTeam teamID: UUID, in tenantID: UUID) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: "DELETE FROM team_members WHERE team_id = (SELECT id FROM teams WHERE id = ? AND tenant_id = ?) AND user_id = ?",
                arguments: [teamID.text, tenantID.text, userID.text]
            )
            return db.changesCount > 0
        }
    }

    public func team(_ id: UUID, in tenantID: UUID) async throws -> Team? {
        try await fetchTeams(where: "id = ? AND tenant_id = ?", [id.text, tenantID.text]).first
    }

    public func team(named name: String, in tenantID: UUID) async throws -> Team? {
        try await fetchTeams(where: "name = ? AND tenant_id = ?", [name, tenantID.text]).first
    }

    public func teams(in tenantID: UUID) async throws -> [Team] {
        try await fetchTeams(where: "tenant_id = ?", [tenantID.text])
    }

    public func addAPIKey(_ key: APIKeySecret, named name: String, for userID: UUID, in tenantID: UUID) async throws {
        try await writer.write { db in
            guard try Self.exists("users", userID, in: tenantID, db) else { throw TaskportError.notFound("User not found") }
            try db.execute(
                sql: "INSERT INTO api_keys (id, tenant_id, user_id, name, secret_hash, created_at, key_prefix) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    key.id.text, tenantID.text, userID.text, name, key.hash, Timestamp.now().microseconds,
                    String(key.plaintext.prefix(APIKeyInfo.prefixLength)),
                ]
            )
        }
    }

    public func principal(forAPIKeyHash hash: String) async throws -> Principal? {
        guard let holder = try await directoryCache.value(.principal(apiKeyHash: hash), load: { try await keyHolder(hash) }) else {
            return nil
        }
        let now = Timestamp.now().microseconds
        if holder.claimUse(at: now) {
            // Kept to the minute, so the write is rare, and made beside the request, which never
            // waits for it: a store that cannot take it still authenticates at once.
            let writer = writer
            let keyID = holder.keyID.text
            Task.detached {
                try? await writer.write { db in
                    try db.execute(sql: "UPDATE api_keys SET last_used_at = ? WHERE id = ?", arguments: [now, keyID])
                }
            }
        }
        return holder.principal
    }

    private func keyHolder(_ hash: String) async throws -> KeyHolder? {
        // Everything is read out of the row inside the read: a row of a cached statement is not
        // the caller's to keep.
        try await writer.read { db -> KeyHolder? in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT \(Self.userColumnList(of: "u")), k.id AS key_id, k.last_used_at
                            FROM api_keys k JOIN users u ON u.id = k.user_id
                            WHERE k.secret_hash = ? AND k.revoked_at IS NULL AND u.disabled_at IS NULL
                            """
                    ),
                    arguments: [hash]
                )
            else { return nil }
            let user = try Self.user(row)
            return KeyHolder(
                principal: Principal(tenantID: user.tenantID, user: user), keyID: try storedUUID(row[Self.userColumnCount]),
                lastUsedAt: row[Self.userColumnCount + 1]
            )
        }
    }

    public func apiKeys(in tenantID: UUID) async throws -> [APIKeyInfo] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, name, user_id, key_prefix, created_at, last_used_at, revoked_at FROM api_keys
                    WHERE tenant_id = ? ORDER BY created_at, id
                    """,
                arguments: [tenantID.text]
            ).map { row in
                APIKeyInfo(
                    id: try storedUUID(row["id"]), name: row["name"], userID: try storedUUID(row["user_id"]), prefix: row["key_prefix"],
                    createdAt: Timestamp(microseconds: row["created_at"]),
                    lastUsedAt: (row["last_used_at"] as Int64?).map(Timestamp.init(microseconds:)),
                    revokedAt: (row["revoked_at"] as Int64?).map(Timestamp.init(microseconds:))
                )
            }
        }
    }

    public func revokeAPIKey(_ id: UUID, in tenantID: UUID) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL",
                arguments: [Timestamp.now().microseconds, id.text, tenantID.text]
            )
            return db.changesCount > 0
        }
    }

    public func createCredential(surface: String, name: String, in tenantID: UUID) async throws -> Credential {
        let credential = Credential(id: UUID(), tenantID: tenantID, surface: surface, name: name)
        try await insert(unique: "credential exists already") { db in
            try db.execute(
                sql: "INSERT INTO credentials (id, tenant_id, surface, name, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [credential.id.text, tenantID.text, surface, name, Timestamp.now().microseconds]
            )
        }
        return credential
    }

    public func credential(_ id: UUID, surface: String, in tenantID: UUID) async throws -> Credential? {
        try await directoryCache.value(.credential(id, surface: surface, tenant: tenantID)) { try await readCredential(id, surface: surface, in: tenantID) }
    }

    private func readCredential(_ id: UUID, surface: String, in tenantID: UUID) async throws -> Credential? {
        try await writer.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT name FROM credentials WHERE id = ? AND surface = ? AND tenant_id = ? AND revoked_at IS NULL",
                arguments: [id.text, surface, tenantID.text]
            ).map { Credential(id: id, tenantID: tenantID, surface: surface, name: $0["name"]) }
        }
    }

    public func credentials(surface: String, in tenantID: UUID) async throws -> [Credential] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, name FROM credentials WHERE surface = ? AND tenant_id = ? AND revoked_at IS NULL ORDER BY created_at, id",
                arguments: [surface, tenantID.text]
            ).map { Credential(id: try storedUUID($0["id"]), tenantID: tenantID, surface: surface, name: $0["name"]) }
        }
    }

    public func revokeCredential(_ id: UUID, surface: String, in tenantID: UUID) async throws -> Bool {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE credentials SET revoked_at = ? WHERE id = ? AND surface = ? AND tenant_id = ? AND revoked_at IS NULL",
                arguments: [Timestamp.now().microseconds, id.text, surface, tenantID.text]
            )
            return db.changesCount > 0
        }
    }

    public func secret(named name: String, orMake make: @Sendable () -> String) async throws -> String {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                arguments: [name, make()]
            )
            return try String.fetchOne(db, sql: "SELECT value FROM secrets WHERE name = ?", arguments: [name]) ?? ""
        }
    }

    // MARK: Console sessions

    public func addConsoleSession(hash: String, csrfToken: String, for principal: Principal, at now: Timestamp) async throws {
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO console_sessions (session_hash, tenant_id, user_id, token_generation, csrf_token, created_at, last_seen_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    hash, principal.tenantID.text, principal.user.id.text, principal.user.tokenGeneration, csrfToken,
                    now.microseconds, now.microseconds,
                ]
            )
        }
    }

    public func consoleSession(hash: String, idleSince: Timestamp, madeSince: Timestamp, now: Timestamp) async throws -> ConsoleSession? {
        let row = try await writer.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT \(Self.userColumnList(of: "u")), s.csrf_token, s.created_at, s.last_seen_at
                    FROM console_sessions s JOIN users u ON u.id = s.user_id
                    WHERE s.session_hash = ? AND s.last_seen_at >= ? AND s.created_at >= ?
                        AND u.disabled_at IS NULL AND u.token_generation = s.token_generation
                    """,
                arguments: [hash, idleSince.microseconds, madeSince.microseconds]
            )
        }
        guard let row else { return nil }
        let lastSeen: Int64 = row["last_seen_at"]
        if now.microseconds - lastSeen > 60_000_000 {
            try await writer.write { db in
                try db.execute(sql: "UPDATE console_sessions SET last_seen_at = ? WHERE session_hash = ?", arguments: [now.microseconds, hash])
                try db.execute(sql: "DELETE FROM console_sessions WHERE last_seen_at < ? OR created_at < ?", arguments: [idleSince.microseconds, madeSince.microseconds])
            }
        }
        let user = try Self.user(row)
        return ConsoleSession(principal: Principal(tenantID: user.tenantID, user: user), csrfToken: row["csrf_token"], createdAt: Timestamp(microseconds: row["created_at"]))
    }

    public func removeConsoleSession(hash: String) async throws {
        try await writer.write { db in
            try db.execute(sql: "DELETE FROM console_sessions WHERE session_hash = ?", arguments: [hash])
        }
    }

    // MARK: Rows

    func insert<T: Sendable>(unique message: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await writer.write(body)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw TaskportError.conflict(message)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
            throw TaskportError.notFound("Tenant not found")
        }
    }

    private func fetchUsers(where condition: String, _ arguments: StatementArguments) async throws -> [User] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT \(Self.userColumns) FROM users WHERE \(condition) ORDER BY email",
                arguments: arguments
            ).map(Self.user)
        }
    }

    private func fetchTeams(where condition: String, _ arguments: StatementArguments) async throws -> [Team] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, tenant_id, name FROM teams WHERE \(condition) ORDER BY name", arguments: arguments
            ).map { row in
                let id: String = row["id"]
                let members = try String.fetchAll(
                    db, sql: "SELECT user_id FROM team_members WHERE team_id = ? ORDER BY user_id", arguments: [id]
                )
                return Team(
                    id: try storedUUID(id), tenantID: try storedUUID(row["tenant_id"]), name: row["name"],
                    memberIDs: members.compactMap { UUID(text: $0) }
                )
            }
        }
    }

    private static func tenant(_ row: Row) throws -> Tenant {
        Tenant(id: try storedUUID(row["id"]), name: row["name"], createdAt: Timestamp(microseconds: row["created_at"]))
    }

    static let userColumns = userColumnList(of: "users")

    /// The columns `user(_:)` reads, of the users table under this name: the first
    /// `userColumnCount` of every query that reads a user, in this order.
    static func userColumnList(of table: String) -> String {
        ["id", "tenant_id", "email", "name", "roles", "number", "token_generation"].map { "\(table).\($0)" }.joined(separator: ", ")
            + ", \(table).disabled_at IS NOT NULL AS disabled"
    }

    static let userColumnCount = 8

    /// Read by position (a name is lower-cased and looked up for each column read by name, which
    /// was a fifth of what authenticating an API key cost).
    private static func user(_ row: Row) throws -> User {
        User(
            id: try storedUUID(row[0]), tenantID: try storedUUID(row[1]), email: row[2], name: row[3],
            roles: try StoredJSON.decode([String].self, from: row[4]), number: row[5], tokenGeneration: row[6], isDisabled: row[7]
        )
    }
}
