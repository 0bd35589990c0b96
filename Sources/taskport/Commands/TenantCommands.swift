import ArgumentParser
import Foundation
import TaskportCore
import TaskportServer

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Manage tenants.", subcommands: [Create.self, List.self, Reset.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant.")
        @OptionGroup var store: DatabaseOptions
        @Argument(help: "The tenant's unique name.") var name: String

        func run() async throws {
            let tenant = try await store.open().createTenant(named: name)
            print("\(tenant.id.lowercasedText)\t\(tenant.name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")
        @OptionGroup var store: DatabaseOptions

        func run() async throws {
            for tenant in try await store.open().tenants() {
                print("\(tenant.id.lowercasedText)\t\(tenant.name)")
            }
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove every task of a tenant, with its history and messages; --to demo makes the demo's tasks again."
        )
        @OptionGroup var store: DatabaseOptions
        @Argument(help: "The tenant's name.") var name: String
        @Option(help: "empty, or demo (the demo tenant only).") var to: String = "empty"

        func run() async throws {
            guard to == "empty" || to == "demo" else { throw ValidationError("--to is empty or demo") }
            let database = try await store.open()
            guard let tenant = try await database.tenant(named: name) else { throw ValidationError("No tenant named '\(name)'") }
            if to == "demo" {
                try await DemoData.resetTasks(of: tenant, database)
            } else {
                try await Snapshots.emptyTasks(of: tenant, in: database)
            }
        }
    }
}
