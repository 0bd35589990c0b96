import ArgumentParser
import Foundation
import TaskportCore

struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "Manage a tenant's customer accounts.", subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The account's name, unique in the tenant.") var name: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            let account = try await database.createAccount(named: name, in: tenantID)
            print("\(account.id.lowercasedText)\t\(account.number)\t\(account.name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            for account in try await database.accounts(in: tenantID) {
                print("\(account.id.lowercasedText)\t\(account.number)\t\(account.name)")
            }
        }
    }
}

/// Nexudus's customers (coworkers) are a tenant's accounts, named by number.
struct CustomerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "customer", abstract: "Create a customer (an account; Nexudus's CoworkerId is its number).",
        subcommands: [AccountCommand.Create.self, AccountCommand.List.self]
    )
}
