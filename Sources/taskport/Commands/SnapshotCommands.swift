import ArgumentParser
import Foundation
import TaskportCore

struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Save a tenant's whole state under a name, and bring it back between tests.",
        subcommands: [List.self, Save.self, Restore.self, Delete.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's snapshots: name, when, tasks, bytes.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            for info in try await database.snapshots(in: tenantID) {
                print([info.name, info.createdAt.rfc3339, "\(info.tasks) tasks", "\(info.bytes) bytes"].joined(separator: "\t"))
            }
        }
    }

    struct Save: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Save the tenant's state, in place of a snapshot of the same name.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Argument(help: "1 to 100 letters, digits, '.', '_' or '-'.") var name: String

        func run() async throws {
            let database = try await store.open()
            let info = try await Snapshots.save(name, of: tenant.resolve(in: database), in: database)
            print("saved \(info.name): \(info.tasks) tasks, \(info.bytes) bytes")
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bring the tenant back to a snapshot, all or nothing.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Argument(help: "The snapshot's name.") var name: String

        func run() async throws {
            let database = try await store.open()
            try await Snapshots.restore(name, of: tenant.resolve(in: database), in: database)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a snapshot.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Argument(help: "The snapshot's name.") var name: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard try await database.deleteSnapshot(name, in: tenantID) else { throw ValidationError("No snapshot named '\(name)'") }
        }
    }
}
