import ArgumentParser
import Foundation
import TaskportCore

struct BusinessCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "business", abstract: "Manage a tenant's businesses (locations, with their time zones).",
        subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a business; prints its id, number and name.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The business's name, unique in the tenant.") var name: String
        @Option(help: "Its IANA time zone, e.g. Europe/London.") var timeZone: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            let business = try await database.createBusiness(named: name, timeZone: timeZone, in: tenantID)
            print("\(business.id.lowercasedText)\t\(business.number)\t\(business.name)\t\(business.timeZone)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List businesses.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            for business in try await database.businesses(in: tenantID) {
                print("\(business.id.lowercasedText)\t\(business.number)\t\(business.name)\t\(business.timeZone)")
            }
        }
    }
}
