import Foundation
import PostgresNIO
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
