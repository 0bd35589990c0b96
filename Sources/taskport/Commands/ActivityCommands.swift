import ArgumentParser
import Foundation
import TaskportCore

struct ActivityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activity", abstract: "Manage a tenant's activities.", subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an activity, optionally of an account.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The activity's name.") var name: String
        @Option(help: "The id of the account it belongs to.") var account: String?

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            var accountID: UUID?
            if let account {
                guard let id = UUID(text: account) else { throw ValidationError("'\(account)' is not an account id") }
                accountID = id
            }
            let activity = try await database.createActivity(named: name, account: accountID, in: tenantID)
            print("\(activity.id.lowercasedText)\t\(activity.name)")
        }
    }
}
