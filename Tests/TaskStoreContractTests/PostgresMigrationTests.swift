import Foundation
import PostgresNIO
import TaskportCore
@testable import TaskportPostgres
import TaskportTestSupport
import Testing

@Suite("PostgreSQL migrations", .enabled(if: TestPostgres.url != nil))
struct PostgresMigrationTests {
    /// Servers starting together against an empty database all come up, and each migration runs once.
    @Test func serversStartingAtOnceMigrateOnce() async throws {
        let url = try TestPostgres.freshURL()
        let stores = try await withThrowingTaskGroup(of: PostgresStore.self) { group in
            for _ in 0..<6 { group.addTask { try await PostgresStore.connect(url: url, maximumConnections: 2) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(stores.count == 6)
        for store in stores {
            #expect(try await PostgresSchema.applied(store) == Array(1...PostgresSchema.migrations.count))
        }
        // Every server sees the one schema: what one writes, another reads.
        let tenant = try await stores[0].createTenant(named: "shared")
        #expect(try await stores[5].tenant(named: "shared") == tenant)
        for store in stores { await store.close() }
    }
}

@Suite("PostgreSQL connection URLs")
struct PostgresURLTests {
    @Test func theURLsPartsAreRead() throws {
        for url in ["mysql://localhost/db", "postgres://", "postgres://host/db?sslmode=sometimes"] {
            #expect(throws: (any Error).self) { try ConnectionSettings(url: url) }
        }
        let settings = try ConnectionSettings(url: "postgres://u:p%40ss@db.example:6543/tasks?sslmode=disable&schema=tp")
        #expect(settings.configuration.host == "db.example")
        #expect(settings.configuration.port == 6543)
        #expect(settings.configuration.username == "u")
        #expect(settings.configuration.password == "p@ss")
        #expect(settings.configuration.database == "tasks")
        #expect(settings.schema == "tp")
    }

    /// An unreachable server is an error that says so, not a wait that never ends.
    @Test func anUnreachableServerIsReportedAtOnce() async throws {
        do {
            _ = try await PostgresStore.connect(url: "postgres://taskport@127.0.0.1:1/taskport?sslmode=disable")
            Issue.record("connected to nothing")
        } catch {
            #expect("\(error)".hasPrefix("Cannot connect to PostgreSQL at 127.0.0.1:1/taskport:"))
        }
    }
}

@Suite("PostgreSQL plans", .enabled(if: TestPostgres.url != nil))
struct PostgresPlanTests {
    /// The write path's task lookups find the row by its unique key, whatever the planner knows of
    /// the table: here the generic plan of a prepared statement on a table never analyzed, one tenant
    /// owning every task — where the plain `key AND tenant_id` form scanned all of the tenant's tasks.
    @Test(arguments: [(TaskByID.sql, "tasks_id_key", "uuid"), (TaskByNumber.sql, "tasks_pkey", "bigint")])
    func taskLookupsUseTheUniqueKey(sql: String, index: String, keyType: String) async throws {
        let store = try await TestPostgres.freshStore()
        defer { Task { await store.close() } }
        let tenant = try await store.createTenant(named: "plans")
        try await store.execute(PostgresQuery(unsafeSQL: """
            INSERT INTO tasks (id, tenant_id, title, completed, notify_by_email, reminded, visible_to_everyone, version, created_at, updated_at)
            SELECT gen_random_uuid(), '\(tenant.id.uuidString)', 'task ' || g, false, false, false, true, 1, 0, 0 FROM generate_series(1, 2000) AS g
            """))
        let plan = try await store.transaction { connection in
            _ = try await connection.rows(PostgresQuery(unsafeSQL: "SET LOCAL plan_cache_mode = force_generic_plan"), store.logger)
            _ = try await connection.rows(PostgresQuery(unsafeSQL: "PREPARE lookup (\(keyType), uuid) AS \(sql)"), store.logger)
            let rows = try await connection.rows(
                PostgresQuery(unsafeSQL: "EXPLAIN EXECUTE lookup (\(keyType == "uuid" ? "gen_random_uuid()" : "7"), '\(tenant.id.uuidString)')"),
                store.logger
            )
            return try rows.map { try $0.decode(String.self) }.joined(separator: "\n")
        }
        #expect(plan.contains("Index Scan using \(index) on tasks"), "\(plan)")
        #expect(!plan.contains("Index Cond: (tenant_id = $2)"), "\(plan)")
    }
}
