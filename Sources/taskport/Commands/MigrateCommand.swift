import ArgumentParser
import Foundation
import TaskportCore

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the database or bring its schema up to date, then exit.")

    @OptionGroup var store: DatabaseOptions

    func run() async throws {
        _ = try await store.open()
        print("Schema of \(store.displayName) is up to date.")
    }
}
