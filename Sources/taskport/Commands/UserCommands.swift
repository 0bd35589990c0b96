import ArgumentParser
import Foundation
import TaskportCore

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage a tenant's users.",
        subcommands: [Create.self, List.self, Roles.self, Password.self, Disable.self, Enable.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The user's email, unique in the tenant.") var email: String
        @Option(help: "The user's display name.") var name: String
        @Option(help: "A role; repeat for several.") var role: [String] = []

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            let user = try await database.createUser(in: tenantID, email: email, name: name, roles: role)
            print("\(user.id.lowercasedText)\t\(user.number)\t\(user.email)")
        }
    }

    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the password a user signs in with (the console and Nexudus's token endpoint), read from the first line of standard input."
        )
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The user's email.") var email: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let user = try await database.user(email: email, in: tenantID) else { throw ValidationError("No user '\(email)'") }
            guard let password = readLine(strippingNewline: true), password.count >= 8 else {
                throw ValidationError("Send a password of at least 8 characters on standard input")
            }
            try await database.setPasswordHash(try PasswordHash.make(password), for: user.id, in: tenantID)
            print("password set for \(user.email)")
        }
    }

    struct Roles: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace a user's roles (none makes a member); they apply to the user's next request. docs/roles.md lists them."
        )
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The user's email.") var email: String
        @Option(help: "A role; repeat for several.") var role: [String] = []

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let user = try await database.user(email: email, in: tenantID) else { throw ValidationError("No user '\(email)'") }
            try await database.setRoles(role, for: user.id, in: tenantID)
            print("\(user.email)\t\(role.joined(separator: ","))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users (a disabled one is marked so).")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            for user in try await database.users(in: tenantID) {
                let state = user.isDisabled ? "\tdisabled" : ""
                print("\(user.id.lowercasedText)\t\(user.number)\t\(user.email)\t\(user.name)\t\(user.roles.joined(separator: ","))\(state)")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a user: every API key, token and password of theirs stops working at once, on every server."
        )
        @OptionGroup var user: UserSelection

        func run() async throws { try await user.set(disabled: true, deleting: false, saying: "disabled") }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enable a disabled user again: their API keys and password work again; tokens issued before stay dead."
        )
        @OptionGroup var user: UserSelection

        func run() async throws { try await user.set(disabled: false, deleting: false, saying: "enabled") }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a user: disabled for good and no longer listed. Their tasks and history stay, naming them."
        )
        @OptionGroup var user: UserSelection

        func run() async throws { try await user.set(disabled: true, deleting: true, saying: "deleted") }
    }
}

/// The database, the tenant and the email that name one user.
struct UserSelection: ParsableArguments {
    @OptionGroup var store: DatabaseOptions
    @OptionGroup var tenant: TenantOption
    @Option(help: "The user's email.") var email: String

    /// Disables, enables or deletes the user, then says so.
    func set(disabled: Bool, deleting: Bool, saying verb: String) async throws {
        let (database, tenantID) = try await tenant.open(store)
        guard let user = try await database.user(email: email, in: tenantID) else { throw ValidationError("No user '\(email)'") }
        try await database.setDisabled(disabled, deleting: deleting, user: user.id, in: tenantID)
        print("\(verb) \(user.email)")
    }
}
