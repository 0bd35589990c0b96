import Foundation
import TaskportPostgres

/// The PostgreSQL server the tests may use: `TASKPORT_TEST_POSTGRES`, a `postgres://` URL
/// (`scripts/test` starts a throwaway cluster and sets it).
public enum TestPostgres {
    public static let url = ProcessInfo.processInfo.environment["TASKPORT_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String { "TASKPORT_TEST_POSTGRES names no PostgreSQL server" }
    }

    /// The URL of a new schema of its own, so that tests running at once never see each other's rows.
    public static func freshURL() throws -> String {
        guard let url else { throw Missing() }
        let schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return url + (url.contains("?") ? "&" : "?") + "schema=" + schema
    }

    /// A store in a new schema.
    public static func freshStore() async throws -> PostgresStore {
        try await PostgresStore.connect(url: try freshURL(), maximumConnections: 4)
    }
}
