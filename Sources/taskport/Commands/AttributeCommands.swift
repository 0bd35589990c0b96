import ArgumentParser
import Foundation
import TaskportCore

extension TaskAttribute.Kind: ExpressibleByArgument {}

struct AttributeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attribute", abstract: "Manage the allowed task types, statuses and priorities of a tenant.",
        subcommands: [Create.self, List.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Allow a value.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "type, status or priority.") var kind: TaskAttribute.Kind
        @Option(help: "The value, unique per kind (case-insensitively).") var value: String
        @Option(help: "A JSON object, e.g. '{\"color\":\"#2e7d32\",\"done\":true}'.") var configuration: String = "{}"

        func run() async throws {
            guard let settings = try? StoredJSON.decode(JSONObject.self, from: configuration) else {
                throw ValidationError("--configuration must be a JSON object")
            }
            let (database, tenantID) = try await tenant.open(store)
            let attribute = try await database.createAttribute(kind, value: value, configuration: settings, in: tenantID)
            print("\(attribute.id.lowercasedText)\t\(attribute.kind.rawValue)\t\(attribute.value)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List allowed values.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "Only this kind.") var kind: TaskAttribute.Kind?

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            for attribute in try await database.attributes(kind, in: tenantID) {
                print("\(attribute.id.lowercasedText)\t\(attribute.kind.rawValue)\t\(attribute.value)\t\(try StoredJSON.encode(attribute.configuration))")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop allowing a value; tasks keep theirs.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Argument(help: "The attribute's id.") var id: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let attributeID = UUID(text: id),
                try await database.deleteAttribute(attributeID, in: tenantID)
            else { throw ValidationError("No attribute \(id) in tenant '\(tenant.tenant)'") }
            print("deleted \(id)")
        }
    }
}
