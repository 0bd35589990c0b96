import ArgumentParser
import Foundation
import TaskportCore

struct TenantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Manage tenants.", subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a tenant.")
        @OptionGroup var store: DatabaseOptions
        @Argument(help: "The tenant's unique name.") var name: String

        func run() async throws {
            let tenant = try await store.open().createTenant(named: name)
            print("\(tenant.id.uuidString.lowercased())\t\(tenant.name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tenants.")
        @OptionGroup var store: DatabaseOptions

        func run() async throws {
            for tenant in try await store.open().tenants() {
                print("\(tenant.id.uuidString.lowercased())\t\(tenant.name)")
            }
        }
    }
}
