import ArgumentParser
import Foundation
import TaskportSQLite

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a live SQLite store into a new file, consistent to one moment, while servers go on writing.",
        discussion: """
            The copy holds every write acknowledged before the backup began. Restore it by stopping the \
            servers and putting the copy in the store's place (or serve it with --database). For PostgreSQL, \
            use pg_dump; docs/operations.md says how.
            """
    )

    @OptionGroup var store: DatabaseOptions
    @Option(help: "The file to write; it must not exist.") var output: String

    func run() async throws {
        guard !store.isPostgres else {
            throw ValidationError("For a PostgreSQL store, use pg_dump (docs/operations.md)")
        }
        guard FileManager.default.fileExists(atPath: store.database) else { throw ValidationError("No database at \(store.database)") }
        let database = try SQLiteStore(path: store.database, durability: store.durability)
        let started = ContinuousClock.now
        try await database.backup(to: output)
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        print("Backed up \(store.database) to \(output): \(size) bytes in \(ContinuousClock.now - started).")
    }
}
