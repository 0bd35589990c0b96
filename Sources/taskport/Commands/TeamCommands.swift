import ArgumentParser
import Foundation
import TaskportCore

struct TeamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "team", abstract: "Manage a tenant's teams.", subcommands: [Create.self, AddMember.self, RemoveMember.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a team.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The team's name, unique in the tenant.") var name: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            let team = try await database.createTeam(in: tenantID, name: name)
            print("\(team.id.lowercasedText)\t\(team.name)")
        }
    }

    struct AddMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-member", abstract: "Add a user to a team.")
        @OptionGroup var membership: Membership

        func run() async throws {
            let (database, tenantID, team, user) = try await membership.open()
            try await database.addMember(user.id, toTeam: team.id, in: tenantID)
        }
    }

    struct RemoveMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove-member", abstract: "Take a user out of a team; tasks assigned to the team stay with it."
        )
        @OptionGroup var membership: Membership

        func run() async throws {
            let (database, tenantID, team, user) = try await membership.open()
            guard try await database.removeMember(user.id, fromTeam: team.id, in: tenantID) else {
                throw ValidationError("'\(user.email)' is not a member of '\(team.name)'")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List teams and their members.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            for team in try await database.teams(in: tenantID) {
                print("\(team.id.lowercasedText)\t\(team.name)\t\(team.memberIDs.map { $0.lowercasedText }.joined(separator: ","))")
            }
        }
    }
}

/// The database, the tenant, and the team and user that name one membership.
struct Membership: ParsableArguments {
    @OptionGroup var store: DatabaseOptions
    @OptionGroup var tenant: TenantOption
    @Option(help: "The team's name.") var team: String
    @Option(help: "The user's email.") var email: String

    func open() async throws -> (any TaskportStore, UUID, Team, User) {
        let (database, tenantID) = try await tenant.open(store)
        guard let found = try await database.team(named: team, in: tenantID) else { throw ValidationError("No team named '\(team)'") }
        guard let user = try await database.user(email: email, in: tenantID) else { throw ValidationError("No user '\(email)'") }
        return (database, tenantID, found, user)
    }
}
