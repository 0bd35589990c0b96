import Foundation
import PostgresNIO
import TaskportCore

extension PostgresStore: CatalogStore {
    public func createAccount(named name: String, in tenantID: UUID) async throws -> Account {
        var account = Account(id: UUID(), tenantID: tenantID, name: name)
        let inserted = try await insert(unique: "an account named '\(name)' exists already") {
            """
            INSERT INTO accounts (id, tenant_id, name, created_at)
            VALUES (\(account.id), \(tenantID), \(name), \(Timestamp.now().microseconds)) RETURNING number
            """
        }
        account.number = try Cells(inserted[0])(0)
        return account
    }

    public func account(_ id: UUID, in tenantID: UUID) async throws -> Account? {
        try await directoryCache.value(.account(id, tenant: tenantID)) {
            try await fetchAccounts("SELECT id, tenant_id, name, number FROM accounts WHERE id = \(id) AND tenant_id = \(tenantID)").first
        }
    }

    public func account(number: Int64, in tenantID: UUID) async throws -> Account? {
        try await directoryCache.value(.accountNumber(number, tenant: tenantID)) {
            try await fetchAccounts("SELECT id, tenant_id, name, number FROM accounts WHERE number = \(number) AND tenant_id = \(tenantID)").first
        }
    }

    public func accounts(in tenantID: UUID) async throws -> [Account] {
        try await fetchAccounts("SELECT id, tenant_id, name, number FROM accounts WHERE tenant_id = \(tenantID) ORDER BY name")
    }

    private func fetchAccounts(_ query: PostgresQuery) async throws -> [Account] {
        try await rows(query).map { row in
            let cells = Cells(row)
            return Account(id: try cells(0), tenantID: try cells(1), name: try cells(2), number: try cells(3))
        }
    }

    public func createBusiness(named name: String, timeZone: String, in tenantID: UUID) async throws -> Business {
        guard TimeZoneName.zone(timeZone) != nil else {
            throw TaskportError.invalid([FieldProblem("timeZone", "'\(timeZone)' is not an IANA time zone such as Europe/London")])
        }
        let id = UUID()
        let inserted = try await insert(unique: "a business named '\(name)' exists already") {
            """
            INSERT INTO businesses (id, tenant_id, name, time_zone, created_at)
            VALUES (\(id), \(tenantID), \(name), \(timeZone), \(Timestamp.now().microseconds)) RETURNING number
            """
        }
        return Business(id: id, tenantID: tenantID, name: name, timeZone: timeZone, number: try Cells(inserted[0])(0))
    }

    public func business(_ id: UUID, in tenantID: UUID) async throws -> Business? {
        try await directoryCache.value(.business(id, tenant: tenantID)) {
            try await fetchBusinesses("SELECT number, id, tenant_id, name, time_zone FROM businesses WHERE id = \(id) AND tenant_id = \(tenantID)").first
        }
    }

    public func business(number: Int64, in tenantID: UUID) async throws -> Business? {
        try await directoryCache.value(.businessNumber(number, tenant: tenantID)) {
            try await fetchBusinesses(
                "SELECT number, id, tenant_id, name, time_zone FROM businesses WHERE number = \(number) AND tenant_id = \(tenantID)"
            ).first
        }
    }

    public func businesses(in tenantID: UUID) async throws -> [Business] {
        try await fetchBusinesses("SELECT number, id, tenant_id, name, time_zone FROM businesses WHERE tenant_id = \(tenantID) ORDER BY number")
    }

    private func fetchBusinesses(_ query: PostgresQuery) async throws -> [Business] {
        try await rows(query).map { row in
            let cells = Cells(row)
            return Business(id: try cells(1), tenantID: try cells(2), name: try cells(3), timeZone: try cells(4), number: try cells(0))
        }
    }

    public func createActivity(named name: String, account: UUID?, in tenantID: UUID) async throws -> Activity {
        let activity = Activity(id: UUID(), tenantID: tenantID, accountID: account, name: name)
        let logger = logger
        try await transaction { connection in
            if let account, try await connection.rows("SELECT 1 FROM accounts WHERE id = \(account) AND tenant_id = \(tenantID)", logger).isEmpty {
                throw TaskportError.notFound("Account not found")
            }
            try await connection.query(
                """
                INSERT INTO activities (id, tenant_id, account_id, name, created_at)
                VALUES (\(activity.id), \(tenantID), \(account), \(name), \(Timestamp.now().microseconds))
                """,
                logger: logger
            )
        }
        return activity
    }

    public func activity(_ id: UUID, in tenantID: UUID) async throws -> Activity? {
        try await directoryCache.value(.activity(id, tenant: tenantID)) {
            try await rows("SELECT account_id, name FROM activities WHERE id = \(id) AND tenant_id = \(tenantID)").first.map { row in
                Activity(id: id, tenantID: tenantID, accountID: try Cells(row)(0), name: try Cells(row)(1))
            }
        }
    }

    public func createAttribute(
        _ kind: TaskAttribute.Kind, value: String, configuration: JSONObject, in tenantID: UUID
    ) async throws -> TaskAttribute {
        defer { directoryCache.invalidate() }
        let attribute = TaskAttribute(id: UUID(), tenantID: tenantID, kind: kind, value: value, configuration: configuration)
        try await insert(unique: "the \(kind.rawValue) '\(value)' exists already") {
            """
            INSERT INTO task_attributes (id, tenant_id, kind, value, configuration, created_at)
            VALUES (\(attribute.id), \(tenantID), \(kind.rawValue), \(value), \(try StoredJSON.encode(configuration)), \(Timestamp.now().microseconds))
            """
        }
        return attribute
    }

    public func attributes(_ kind: TaskAttribute.Kind?, in tenantID: UUID) async throws -> [TaskAttribute] {
        try await directoryCache.value(.attributes(kind, tenant: tenantID)) { try await readAttributes(kind, in: tenantID) } ?? []
    }

    private func readAttributes(_ kind: TaskAttribute.Kind?, in tenantID: UUID) async throws -> [TaskAttribute] {
        var filter = Filter()
        filter.add("tenant_id = ", tenantID)
        if let kind { filter.add("kind = ", kind.rawValue) }
        return try await rows(
            PostgresQuery(
                unsafeSQL: "SELECT id, kind, value, configuration FROM task_attributes WHERE \(filter.sql) ORDER BY created_at, position",
                binds: filter.binds
            )
        ).map { row in
            let cells = Cells(row)
            return TaskAttribute(
                id: try cells(0), tenantID: tenantID, kind: TaskAttribute.Kind(rawValue: try cells(1)) ?? .type, value: try cells(2),
                configuration: try StoredJSON.decode(JSONObject.self, from: try cells(3))
            )
        }
    }

    public func deleteAttribute(_ id: UUID, in tenantID: UUID) async throws -> Bool {
        defer { directoryCache.invalidate() }
        return try await !rows("DELETE FROM task_attributes WHERE id = \(id) AND tenant_id = \(tenantID) RETURNING id").isEmpty
    }
}
