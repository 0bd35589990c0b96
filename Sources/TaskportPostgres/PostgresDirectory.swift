import Foundation
import PostgresNIO
import TaskportCore

extension PostgresStore: DirectoryStore {
    public func createTenant(named name: String) async throws -> Tenant {
        let tenant = Tenant(id: UUID(), name: name, createdAt: .now())
        try await insert(unique: "a tenant named '\(name)' exists already") {
            "INSERT INTO tenants (id, name, created_at) VALUES (\(tenant.id), \(name), \(tenant.createdAt.microseconds))"
        }
        return tenant
    }

    public func tenant(named name: String) async throws -> Tenant? {
        try await rows("SELECT id, name, created_at FROM tenants WHERE name = \(name)").first.map(Self.tenant)
    }

    public func tenants() async throws -> [Tenant] {
        try await rows("SELECT id, name, created_at FROM tenants ORDER BY created_at, id").map(Self.tenant)
    }

    public func createUser(in tenantID: UUID, email: String, name: String, roles: [String]) async throws -> User {
        var user = User(id: UUID(), tenantID: tenantID, email: email, name: name, roles: roles)
        let inserted = try await insert(unique: "a user with email '\(email)' exists already") {
            """
            INSERT INTO users (id, tenant_id, email, name, roles, created_at)
            VALUES (\(user.id), \(tenantID), \(email), \(name), \(try StoredJSON.encode(roles)), \(Timestamp.now().microseconds))
            RETURNING number
            """
        }
        user.number = try Cells(inserted[0])(0)
        return user
    }

    public func user(_ id: UUID, in tenantID: UUID) async throws -> User? {
        try await directoryCache.value(.user(id, tenant: tenantID)) {
            try await fetchUsers("SELECT \(unescaped: Self.userColumns) FROM users WHERE id = \(id) AND tenant_id = \(tenantID)").first
        }
    }

    public func user(email: String, in tenantID: UUID) async throws -> User? {
        try await fetchUsers("SELECT \(unescaped: Self.userColumns) FROM users WHERE email = \(email) AND tenant_id = \(tenantID)").first
    }

    public func user(number: Int64, in tenantID: UUID) async throws -> User? {
        try await directoryCache.value(.userNumber(number, tenant: tenantID)) {
            try await fetchUsers("SELECT \(unescaped: Self.userColumns) FROM users WHERE number = \(number) AND tenant_id = \(tenantID)").first
        }
    }

    public func users(in tenantID: UUID) async throws -> [User] {
        try await fetchUsers("SELECT \(unescaped: Self.userColumns) FROM users WHERE tenant_id = \(tenantID) AND deleted_at IS NULL ORDER BY email")
    }

    public func setPasswordHash(_ hash: String?, for userID: UUID, in tenantID: UUID) async throws {
        defer { directoryCache.invalidate() }
        let logger = logger
        try await transaction { connection in
            let changed = try await connection.rows(
                """
                UPDATE users SET password_hash = \(hash), token_generation = token_generation + 1
                WHERE id = \(userID) AND tenant_id = \(tenantID) AND deleted_at IS NULL RETURNING id
                """,
                logger
            )
            if changed.isEmpty { throw TaskportError.notFound("User not found") }
            try await connection.query("DELETE FROM refresh_tokens WHERE user_id = \(userID)", logger: logger)
        }
    }

    public func setRoles(_ roles: [String], for userID: UUID, in tenantID: UUID) async throws {
        defer { directoryCache.invalidate() }
        let stored = try StoredJSON.encode(roles)
        let changed = try await rows(
            "UPDATE users SET roles = \(stored) WHERE id = \(userID) AND tenant_id = \(tenantID) AND deleted_at IS NULL RETURNING id"
        )
        if changed.isEmpty { throw TaskportError.notFound("User not found") }
    }

    public func setDisabled(_ disabled: Bool, deleting: Bool, user userID: UUID, in tenantID: UUID) async throws {
        defer { directoryCache.invalidate() }
        let logger = logger
        let now = Timestamp.now().microseconds
        try await transaction { connection in
            let changed: [PostgresRow]
            if disabled || deleting {
                changed = try await connection.rows(
                    """
                    UPDATE users SET disabled_at = coalesce(disabled_at, \(now)), token_generation = token_generation + 1,
                        deleted_at = CASE WHEN \(deleting) THEN coalesce(deleted_at, \(now)) ELSE deleted_at END
                    WHERE id = \(userID) AND tenant_id = \(tenantID) AND deleted_at IS NULL RETURNING id
                    """,
                    logger
                )
            } else {
                changed = try await connection.rows(
                    "UPDATE users SET disabled_at = NULL WHERE id = \(userID) AND tenant_id = \(tenantID) AND deleted_at IS NULL RETURNING id",
                    logger
                )
            }
            if changed.isEmpty { throw TaskportError.notFound("User not found") }
            try await connection.query("DELETE FROM refresh_tokens WHERE user_id = \(userID)", logger: logger)
        }
    }

    public func passwordLogins(email: String) async throws -> [PasswordLogin] {
        try await rows(
            "SELECT \(unescaped: Self.userColumns), password_hash FROM users WHERE email = \(email) AND password_hash IS NOT NULL AND disabled_at IS NULL ORDER BY number"
        ).map { row in
            let user = try Self.user(row)
            return PasswordLogin(principal: Principal(tenantID: user.tenantID, user: user), passwordHash: try Cells(row)(8))
        }
    }

    public func addRefreshToken(hash: String, for principal: Principal, expiresAt: Timestamp) async throws {
        try await execute(
            """
            INSERT INTO refresh_tokens (token_hash, tenant_id, user_id, expires_at, created_at)
            VALUES (\(hash), \(principal.tenantID), \(principal.user.id), \(expiresAt.microseconds), \(Timestamp.now().microseconds))
            """
        )
    }

    public func redeemRefreshToken(hash: String, at now: Timestamp) async throws -> Principal? {
        let logger = logger
        return try await transaction { connection in
            // Deleting first makes the token's use atomic: of two servers redeeming it at once, one deletes it.
            let used = try await connection.rows(
                "DELETE FROM refresh_tokens WHERE token_hash = \(hash) RETURNING user_id, expires_at", logger
            )
            try await connection.query("DELETE FROM refresh_tokens WHERE expires_at <= \(now.microseconds)", logger: logger)
            guard let row = used.first, try Cells(row)(1, as: Int64.self) > now.microseconds else { return nil }
            let userID = try Cells(row)(0, as: UUID.self)
            let found = try await connection.rows(
                "SELECT \(unescaped: Self.userColumns) FROM users WHERE id = \(userID) AND disabled_at IS NULL", logger
            )
            return try found.first.map(Self.user).map { Principal(tenantID: $0.tenantID, user: $0) }
        }
    }

    public func createTeam(in tenantID: UUID, name: String) async throws -> Team {
        let team = Team(id: UUID(), tenantID: tenantID, name: name, memberIDs: [])
        try await insert(unique: "a team named '\(name)' exists already") {
            "INSERT INTO teams (id, tenant_id, name, created_at) VALUES (\(team.id), \(tenantID), \(name), \(Timestamp.now().microseconds))"
        }
        return team
    }

    public func addMember(_ userID: UUID, toTeam teamID: UUID, in tenantID: UUID) async throws {
        let logger = logger
        try await transaction { connection in
            guard try await !connection.rows("SELECT 1 FROM teams WHERE id = \(teamID) AND tenant_id = \(tenantID)", logger).isEmpty else {
                throw TaskportError.notFound("Team not found")
            }
            guard try await !connection.rows("SELECT 1 FROM users WHERE id = \(userID) AND tenant_id = \(tenantID)", logger).isEmpty else {
                throw TaskportError.notFound("User not found")
            }
            try await connection.query(
                "INSERT INTO team_members (team_id, user_id) VALUES (\(teamID), \(userID)) ON CONFLICT DO NOTHING", logger: logger
            )
        }
    }

    public func removeMember(_ userID: UUID, fromTeam teamID: UUID, in tenantID: UUID) async throws -> Bool {
        try await !rows(
            """
            DELETE FROM team_members WHERE team_id = (SELECT id FROM teams WHERE id = \(teamID) AND tenant_id = \(tenantID))
            AND user_id = \(userID) RETURNING user_id
            """
        ).isEmpty
    }

    public func team(_ id: UUID, in tenantID: UUID) async throws -> Team? {
        try await fetchTeams("SELECT \(unescaped: Self.teamColumns) FROM teams WHERE id = \(id) AND tenant_id = \(tenantID)").first
    }

    public func team(named name: String, in tenantID: UUID) async throws -> Team? {
        try await fetchTeams("SELECT \(unescaped: Self.teamColumns) FROM teams WHERE name = \(name) AND tenant_id = \(tenantID)").first
    }

    public func teams(in tenantID: UUID) async throws -> [Team] {
        try await fetchTeams("SELECT \(unescaped: Self.teamColumns) FROM teams WHERE tenant_id = \(tenantID) ORDER BY name")
    }

    public func addAPIKey(_ key: APIKeySecret, named name: String, for userID: UUID, in tenantID: UUID) async throws {
        let logger = logger
        try await transaction { connection in
            guard try await !connection.rows("SELECT 1 FROM users WHERE id = \(userID) AND tenant_id = \(tenantID)", logger).isEmpty else {
                throw TaskportError.notFound("User not found")
            }
            try await connection.query(
                """
                INSERT INTO api_keys (id, tenant_id, user_id, name, secret_hash, created_at, key_prefix)
                VALUES (\(key.id), \(tenantID), \(userID), \(name), \(key.hash), \(Timestamp.now().microseconds),
                    \(String(key.plaintext.prefix(APIKeyInfo.prefixLength))))
                """,
                logger: logger
            )
        }
    }

    public func principal(forAPIKeyHash hash: String) async throws -> Principal? {
        let found = try await directoryCache.value(.principal(apiKeyHash: hash)) { () -> KeyHolder? in
            let found = try await translatingErrors {
                try await pooled { [logger] connection in try await connection.rows(PrincipalByKeyHash(hash: hash), logger) }
            }
            guard let row = found.first else { return nil }
            let cells = Cells(row)
            let user = try Self.user(row)
            return KeyHolder(
                principal: Principal(tenantID: user.tenantID, user: user), keyID: try cells(8), lastUsedAt: try cells(9, as: Int64?.self)
            )
        }
        guard let holder = found else { return nil }
        let now = Timestamp.now().microseconds
        if holder.claimUse(at: now) {
            // Kept to the minute, so the write is rare; a store that cannot take it still authenticates.
            try? await execute(
                """
                UPDATE api_keys SET last_used_at = \(now)
                WHERE id = \(holder.keyID) AND (last_used_at IS NULL OR last_used_at <= \(now - APIKeyInfo.lastUseResolution))
                """
            )
        }
        return holder.principal
    }

    public func apiKeys(in tenantID: UUID) async throws -> [APIKeyInfo] {
        try await rows(
            """
            SELECT id, name, user_id, key_prefix, created_at, last_used_at, revoked_at FROM api_keys
            WHERE tenant_id = \(tenantID) ORDER BY created_at, id
            """
        ).map { row in
            let cells = Cells(row)
            return APIKeyInfo(
                id: try cells(0), name: try cells(1), userID: try cells(2), prefix: try cells(3, as: String?.self),
                createdAt: try cells.timestamp(4), lastUsedAt: try cells(5, as: Int64?.self).map(Timestamp.init(microseconds:)),
                revokedAt: try cells(6, as: Int64?.self).map(Timestamp.init(microseconds:))
            )
        }
    }

    public func revokeAPIKey(_ id: UUID, in tenantID: UUID) async throws -> Bool {
        defer { directoryCache.invalidate() }
        return try await !rows(
            """
            UPDATE api_keys SET revoked_at = \(Timestamp.now().microseconds)
            WHERE id = \(id) AND tenant_id = \(tenantID) AND revoked_at IS NULL RETURNING id
            """
        ).isEmpty
    }

    public func createCredential(surface: String, name: String, in tenantID: UUID) async throws -> Credential {
        let credential = Credential(id: UUID(), tenantID: tenantID, surface: surface, name: name)
        try await insert(unique: "credential exists already") {
            """
            INSERT INTO credentials (id, tenant_id, surface, name, created_at)
            VALUES (\(credential.id), \(tenantID), \(surface), \(name), \(Timestamp.now().microseconds))
            """
        }
        return credential
    }

    public func credential(_ id: UUID, surface: String, in tenantID: UUID) async throws -> Credential? {
        try await directoryCache.value(.credential(id, surface: surface, tenant: tenantID)) {
            try await rows(
                "SELECT name FROM credentials WHERE id = \(id) AND surface = \(surface) AND tenant_id = \(tenantID) AND revoked_at IS NULL"
            ).first.map { Credential(id: id, tenantID: tenantID, surface: surface, name: try Cells($0)(0)) }
        }
    }

    public func credentials(surface: String, in tenantID: UUID) async throws -> [Credential] {
        try await rows(
            """
            SELECT id, name FROM credentials WHERE surface = \(surface) AND tenant_id = \(tenantID) AND revoked_at IS NULL
            ORDER BY created_at, id
            """
        ).map { row in Credential(id: try Cells(row)(0), tenantID: tenantID, surface: surface, name: try Cells(row)(1)) }
    }

    public func revokeCredential(_ id: UUID, surface: String, in tenantID: UUID) async throws -> Bool {
        defer { directoryCache.invalidate() }
        return try await !rows(
            """
            UPDATE credentials SET revoked_at = \(Timestamp.now().microseconds)
            WHERE id = \(id) AND surface = \(surface) AND tenant_id = \(tenantID) AND revoked_at IS NULL RETURNING id
            """
        ).isEmpty
    }

    public func secret(named name: String, orMake make: @Sendable () -> String) async throws -> String {
        try await execute("INSERT INTO secrets (name, value) VALUES (\(name), \(make())) ON CONFLICT (name) DO NOTHING")
        let stored = try await rows("SELECT value FROM secrets WHERE name = \(name)")
        return try stored.first.map { try Cells($0)(0) } ?? ""
    }

    // MARK: Console sessions

    public func addConsoleSession(hash: String, csrfToken: String, for principal: Principal, at now: Timestamp) async throws {
        try await execute(
            """
            INSERT INTO console_sessions (session_hash, tenant_id, user_id, token_generation, csrf_token, created_at, last_seen_at)
            VALUES (\(hash), \(principal.tenantID), \(principal.user.id), \(principal.user.tokenGeneration), \(csrfToken),
                \(now.microseconds), \(now.microseconds))
            """
        )
    }

    public func consoleSession(hash: String, idleSince: Timestamp, madeSince: Timestamp, now: Timestamp) async throws -> ConsoleSession? {
        let found = try await rows(
            """
            SELECT \(unescaped: Self.userColumns(of: "u")), s.csrf_token, s.created_at, s.last_seen_at
            FROM console_sessions s JOIN users u ON u.id = s.user_id
            WHERE s.session_hash = \(hash) AND s.last_seen_at >= \(idleSince.microseconds) AND s.created_at >= \(madeSince.microseconds)
                AND u.disabled_at IS NULL AND u.token_generation = s.token_generation
            """
        )
        guard let row = found.first else { return nil }
        let cells = Cells(row)
        let lastSeen = try cells(10, as: Int64.self)
        if now.microseconds - lastSeen > 60_000_000 {
            try await execute("UPDATE console_sessions SET last_seen_at = \(now.microseconds) WHERE session_hash = \(hash)")
            try await execute(
                "DELETE FROM console_sessions WHERE last_seen_at < \(idleSince.microseconds) OR created_at < \(madeSince.microseconds)"
            )
        }
        let user = try Self.user(row)
        return ConsoleSession(
            principal: Principal(tenantID: user.tenantID, user: user), csrfToken: try cells(8),
            createdAt: Timestamp(microseconds: try cells(9, as: Int64.self))
        )
    }

    public func removeConsoleSession(hash: String) async throws {
        try await execute("DELETE FROM console_sessions WHERE session_hash = \(hash)")
    }

    // MARK: Rows

    /// Runs an insert; a unique key it would break is a `.conflict` with `message`, a tenant
    /// that does not exist is `.notFound`.
    @discardableResult
    func insert(unique message: String, _ query: () throws -> PostgresQuery) async throws -> [PostgresRow] {
        do {
            return try await rows(try query())
        } catch TaskportError.conflict {
            throw TaskportError.conflict(message)
        } catch TaskportError.notFound {
            throw TaskportError.notFound("Tenant not found")
        }
    }

    private func fetchUsers(_ query: PostgresQuery) async throws -> [User] {
        try await rows(query).map(Self.user)
    }

    /// Teams with their members, read in the same statement (`teamColumns`).
    private func fetchTeams(_ query: PostgresQuery) async throws -> [Team] {
        try await rows(query).map { row in
            let cells = Cells(row)
            return Team(id: try cells(0), tenantID: try cells(1), name: try cells(2), memberIDs: try cells(3))
        }
    }

    static let teamColumns = "id, tenant_id, name, ARRAY(SELECT m.user_id FROM team_members m WHERE m.team_id = teams.id ORDER BY m.user_id)"

    private static func tenant(_ row: PostgresRow) throws -> Tenant {
        let cells = Cells(row)
        return Tenant(id: try cells(0), name: try cells(1), createdAt: try cells.timestamp(2))
    }

    static let userColumns = "id, tenant_id, email, name, roles, number, token_generation, disabled_at IS NOT NULL"

    /// `userColumns`, of the table (or alias) `table` in a join.
    static func userColumns(of table: String) -> String {
        ["id", "tenant_id", "email", "name", "roles", "number", "token_generation", "disabled_at IS NOT NULL"]
            .map { "\(table).\($0)" }.joined(separator: ", ")
    }

    static func user(_ row: PostgresRow) throws -> User {
        let cells = Cells(row)
        return User(
            id: try cells(0), tenantID: try cells(1), email: try cells(2), name: try cells(3),
            roles: try StoredJSON.decode([String].self, from: try cells(4)), number: try cells(5),
            tokenGeneration: try cells(6), isDisabled: try cells(7)
        )
    }
}

struct PrincipalByKeyHash: RowsStatement {
    static let sql = """
        SELECT u.id, u.tenant_id, u.email, u.name, u.roles, u.number, u.token_generation, u.disabled_at IS NOT NULL,
            k.id, k.last_used_at
        FROM api_keys k JOIN users u ON u.id = k.user_id
        WHERE k.secret_hash = $1 AND k.revoked_at IS NULL AND u.disabled_at IS NULL
        """
    var hash: String
    func makeBindings() -> PostgresBindings { Filter.binds(hash) }
}
