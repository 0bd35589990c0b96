import Foundation
import HTTPTypes
import Hummingbird
import TaskportCore

/// The admin pages for who is in a tenant: users (made with a password, their roles, a new
/// password, disabled and enabled again) and teams with their members.
///
/// Roles the console does not offer (a deployment's own, such as the demo's `agent`) are kept as
/// they are when the offered ones change. An administrator cannot take away their own
/// administrator role nor disable themselves, so a tenant is never left without the person
/// editing it.
extension Console {
    /// The roles offered as boxes to tick: the administrator's, then the task roles (docs/roles.md).
    static let offeredRoles = [User.administratorRole] + TaskPermission.allCases.map(\.rawValue)

    static func roleField(_ role: String) -> String { "role-" + role }

    func userPage(_ number: Int64, notice: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let session = try administrator()
        let tenantID = session.principal.tenantID
        guard let user = try await store.user(number: number, in: tenantID) else {
            throw TaskportError.notFound("No such user in this tenant")
        }
        let teams = try await store.teams(in: tenantID)
        let others = teams.filter { !$0.memberIDs.contains(user.id) }
        let kept = user.roles.filter { !Self.offeredRoles.contains($0) }
        let values: [String: Any?] = [
            "person": [
                "number": user.number, "name": user.name, "email": user.email, "disabled": user.isDisabled,
                "roles": user.roles.isEmpty ? "member" : user.roles.joined(separator: ", "),
                "isSelf": user.id == session.principal.user.id,
            ] as [String: Any],
            "offeredRoles": Self.offeredRoles.map { role in
                ["name": role, "field": Self.roleField(role), "held": user.roles.contains(role)] as [String: Any]
            },
            "keptRoles": kept.isEmpty ? nil : kept.joined(separator: ", "),
            "memberOf": teams.filter { $0.memberIDs.contains(user.id) }.map { ["id": $0.id.lowercasedText, "name": $0.name] },
            "otherTeams": others.map { ["id": $0.id.lowercasedText, "name": $0.name] },
            "canJoin": !others.isEmpty,
            "notice": notice, "problem": problem,
        ]
        return pages.page("user", values, session: session, status: status)
    }

    func createUser(_ request: Request) async throws -> Response {
        let session = try administrator()
        var request = request
        let form = try await ConsoleForm.read(&request)
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = form["password"] ?? ""
        var problems: [String] = []
        if !Self.isEmail(email) { problems.append("an email such as someone@example.com (at most 320 characters)") }
        if !Self.isName(name) { problems.append("a name of 1 to 200 characters") }
        if !password.isEmpty, !(8...1024).contains(password.count) { problems.append("a password of 8 to 1024 characters, or none") }
        guard problems.isEmpty else {
            return try await admin(request, problem: "A user needs \(problems.joined(separator: ", ")). Nothing was made.", status: .badRequest)
        }
        let roles = Self.offeredRoles.filter { form[Self.roleField($0)] != nil }
        let tenantID = session.principal.tenantID
        guard try await store.user(email: email, in: tenantID) == nil else {
            return try await admin(request, problem: "A user with the email \(email) exists already. Nothing was made.", status: .conflict)
        }
        let hash = password.isEmpty ? nil : try PasswordHash.make(password)
        let user = try await store.createUser(in: tenantID, email: email, name: name, roles: roles)
        if let hash { try await store.setPasswordHash(hash, for: user.id, in: tenantID) }
        return ConsolePages.seeOther("/console/admin/users/\(user.number)")
    }

    func setRoles(_ number: Int64, _ request: Request) async throws -> Response {
        let session = try administrator()
        let user = try await person(number, session)
        var request = request
        let form = try await ConsoleForm.read(&request)
        let chosen = Self.offeredRoles.filter { form[Self.roleField($0)] != nil }
        if user.id == session.principal.user.id, user.isAdministrator, !chosen.contains(User.administratorRole) {
            return try await userPage(number, problem: "You cannot take away your own administrator role. Nothing was changed.", status: .badRequest)
        }
        let roles = user.roles.filter { !Self.offeredRoles.contains($0) } + chosen
        try await store.setRoles(roles, for: user.id, in: session.principal.tenantID)
        return try await userPage(number, notice: "Roles of \(user.email): \(roles.isEmpty ? "member" : roles.joined(separator: ", ")).")
    }

    func setPassword(_ number: Int64, _ request: Request) async throws -> Response {
        let session = try administrator()
        let user = try await person(number, session)
        var request = request
        let form = try await ConsoleForm.read(&request)
        let password = form["password"] ?? ""
        guard (8...1024).contains(password.count) else {
            return try await userPage(number, problem: "A password has 8 to 1024 characters. Nothing was changed.", status: .badRequest)
        }
        try await store.setPasswordHash(try PasswordHash.make(password), for: user.id, in: session.principal.tenantID)
        // The store ends the user's sessions with a new password; one's own, too: sign in again.
        if user.id == session.principal.user.id { return ConsolePages.seeOther("/console/sign-in") }
        return try await userPage(number, notice: "New password set for \(user.email); their sessions and tokens have ended.")
    }

    func setDisabled(_ number: Int64, _ disabled: Bool) async throws -> Response {
        let session = try administrator()
        let user = try await person(number, session)
        if disabled, user.id == session.principal.user.id {
            return try await userPage(number, problem: "You cannot disable yourself. Nothing was changed.", status: .badRequest)
        }
        try await store.setDisabled(disabled, deleting: false, user: user.id, in: session.principal.tenantID)
        return try await userPage(
            number,
            notice: disabled
                ? "\(user.email) is disabled: none of their keys, tokens or passwords work."
                : "\(user.email) is enabled again: their keys and password work; tokens issued before stay ended."
        )
    }

    func joinTeam(_ number: Int64, _ request: Request) async throws -> Response {
        let session = try administrator()
        let user = try await person(number, session)
        var request = request
        let form = try await ConsoleForm.read(&request)
        let tenantID = session.principal.tenantID
        guard let teamID = UUID(text: form["team"] ?? ""), let team = try await store.team(teamID, in: tenantID) else {
            return try await userPage(number, problem: "Choose a team of this tenant. Nothing was changed.", status: .badRequest)
        }
        try await store.addMember(user.id, toTeam: team.id, in: tenantID)
        return try await userPage(number, notice: "\(user.email) is a member of \(team.name).")
    }

    func leaveTeam(_ number: Int64, team: String) async throws -> Response {
        let session = try administrator()
        let user = try await person(number, session)
        let tenantID = session.principal.tenantID
        guard let teamID = UUID(text: team), try await store.removeMember(user.id, fromTeam: teamID, in: tenantID) else {
            throw TaskportError.notFound("The user is not a member of such a team")
        }
        return try await userPage(number, notice: "\(user.email) has left the team; its tasks stay with the team.")
    }

    func createTeam(_ request: Request) async throws -> Response {
        let session = try administrator()
        var request = request
        let form = try await ConsoleForm.read(&request)
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        guard Self.isName(name) else {
            return try await admin(request, problem: "A team needs a name of 1 to 200 characters. Nothing was made.", status: .badRequest)
        }
        let tenantID = session.principal.tenantID
        guard try await store.team(named: name, in: tenantID) == nil else {
            return try await admin(request, problem: "A team named \(name) exists already. Nothing was made.", status: .conflict)
        }
        _ = try await store.createTeam(in: tenantID, name: name)
        return try await admin(request, notice: "Team \(name) made; add members from a user's page.")
    }

    /// A user of the administrator's tenant, by number.
    private func person(_ number: Int64, _ session: ConsoleSession) async throws -> User {
        guard let user = try await store.user(number: number, in: session.principal.tenantID) else {
            throw TaskportError.notFound("No such user in this tenant")
        }
        return user
    }

    /// A name as people type them: 1 to 200 characters, none of them control characters.
    static func isName(_ text: String) -> Bool {
        (1...200).contains(text.count) && !text.unicodeScalars.contains { CharacterSet.controlCharacters.contains($0) }
    }

    /// An address with one `@` between a local part and a domain, no spaces or control characters.
    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return (3...320).contains(text.count) && parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !text.unicodeScalars.contains { CharacterSet.whitespacesAndNewlines.contains($0) || CharacterSet.controlCharacters.contains($0) }
    }
}
