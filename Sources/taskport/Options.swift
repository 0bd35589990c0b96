import CoreMetrics
import ArgumentParser
import Foundation
import TaskportCore
import TaskportHTTP
import TaskportPostgres
import TaskportSQLite

/// Every setting can come from a flag or from the environment variable named in its help.
func environment(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }

struct DatabaseOptions: ParsableArguments {
    @Option(
        help: """
            The SQLite database file, or postgres://user:password@host:port/database?sslmode=disable for a PostgreSQL \
            database that several servers share (TASKPORT_DATABASE).
            """
    )
    var database: String = environment("TASKPORT_DATABASE") ?? "./taskport.sqlite"

    @Option(help: "SQLite only. full: every acknowledged write survives power loss; normal: faster, survives a process crash (TASKPORT_DURABILITY).")
    var durability: SQLiteStore.Durability = environment("TASKPORT_DURABILITY").flatMap(SQLiteStore.Durability.init) ?? .full

    @Option(help: "PostgreSQL only: the most connections this server opens (TASKPORT_DATABASE_CONNECTIONS).")
    var databaseConnections: Int = environment("TASKPORT_DATABASE_CONNECTIONS").flatMap { Int($0) } ?? 20

    @Option(
        help: """
            Seconds a server trusts the API keys, users and catalog records it keeps in memory when it has not heard \
            they changed: the longest another process's change can take to reach it. 0 keeps nothing \
            (TASKPORT_DIRECTORY_CACHE_SECONDS).
            """
    )
    var directoryCacheSeconds: Double = environment("TASKPORT_DIRECTORY_CACHE_SECONDS").flatMap { Double($0) } ?? 1

    func validate() throws {
        guard directoryCacheSeconds.isFinite, (0...3600).contains(directoryCacheSeconds) else {
            throw ValidationError("--directory-cache-seconds must be between 0 and 3600")
        }
    }

    var isPostgres: Bool { database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") }

    /// The database as people may see it: a PostgreSQL URL without its password.
    var displayName: String {
        guard isPostgres, var url = URLComponents(string: database), url.password != nil else { return database }
        url.password = "***"
        return url.string ?? database
    }

    /// Opens the store (bringing its schema up to date); a PostgreSQL store keeps its connections
    /// open until the process ends, or, under `serve`, until the server shuts down.
    /// Opens the store; `metrics` counts its writes and, on PostgreSQL, its pool.
    func open(metrics: any MetricsFactory = NOOPMetricsHandler.instance) async throws -> any TaskportStore {
        let cache = DirectoryCache(lifetime: .milliseconds(Int64(directoryCacheSeconds * 1000)))
        if isPostgres {
            return try await PostgresStore.connect(
                url: database, maximumConnections: databaseConnections, metrics: metrics, directoryCache: cache
            )
        }
        return try SQLiteStore(path: database, durability: durability, metrics: metrics, directoryCache: cache)
    }
}

extension SQLiteStore.Durability: ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}

/// Options that name a tenant by its name.
struct TenantOption: ParsableArguments {
    @Option(help: "The tenant's name.") var tenant: String

    /// Opens the database and finds the tenant in it.
    func open(_ database: DatabaseOptions) async throws -> (store: any TaskportStore, tenantID: UUID) {
        let store = try await database.open()
        return (store, try await resolve(in: store).id)
    }

    func resolve(in store: any TaskportStore) async throws -> Tenant {
        guard let found = try await store.tenant(named: tenant) else { throw ValidationError("No tenant named '\(tenant)'") }
        return found
    }
}
