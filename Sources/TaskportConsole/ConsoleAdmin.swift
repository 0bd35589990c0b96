import Foundation
import HTTPTypes
import Hummingbird
import TaskportCore

/// The console's admin page, for a tenant's administrators: who is in the tenant, what Thena and
/// Nexudus clients refer to, webhooks (made with the secret shown once, deleted), and the outbox
/// by state with a retry for messages still waiting or given up on.
extension Console {
    func administrator() throws -> ConsoleSession {
        let session = try session
        guard session.principal.user.roles.contains("admin") else {
            throw TaskportError.forbidden("The admin page is for the tenant's administrators")
        }
        return session
    }

    func admin(
        _ request: Request, notice: String? = nil, secret: String? = nil, newKey: String? = nil, newToken: (String, String)? = nil,
        problem: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let session = try administrator()
        let tenantID = session.principal.tenantID
        let users = try await store.users(in: tenantID)
        let names = Dictionary(users.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let state = request.uri.queryParameters["state"].map(String.init) ?? ""
        let after = request.uri.queryParameters["after"].flatMap { OutboxCursor(text: String($0)) }
        let outbox = try await store.outboxMessages(in: tenantID, matching: OutboxQuery(state: OutboxState(rawValue: state), after: after, limit: 100))
        var values: [String: Any?] = [
            "users": users.map {
                [
                    "id": $0.id.lowercasedText, "number": $0.number, "name": $0.name, "email": $0.email,
                    "roles": $0.roles.isEmpty ? "member" : $0.roles.joined(separator: ", "), "disabled": $0.isDisabled,
                ] as [String: Any]
            },
            "apiKeys": try await store.apiKeys(in: tenantID).map { key in
                var item: [String: Any] = [
                    "id": key.id.lowercasedText, "name": key.name, "user": names[key.userID] ?? "",
                    "prefix": key.prefix.map { $0 + "…" } ?? "(made before prefixes were kept)", "created": Self.shown(key.createdAt),
                    "lastUsed": key.lastUsedAt.map(Self.shown) ?? "never",
                ]
                if let revoked = key.revokedAt { item["revoked"] = Self.shown(revoked) }
                return item
            },
            "teams": try await store.teams(in: tenantID).map { team in
                ["name": team.name, "members": team.memberIDs.compactMap { names[$0] }.joined(separator: ", ")]
            },
            "attributes": try await store.attributes(nil, in: tenantID).map { ["kind": $0.kind.rawValue, "value": $0.value, "id": $0.id.lowercasedText] },
            "businesses": try await store.businesses(in: tenantID).map { ["number": $0.number, "name": $0.name, "zone": $0.timeZone] as [String: Any] },
            "accounts": try await store.accounts(in: tenantID).map { ["number": $0.number, "name": $0.name, "id": $0.id.lowercasedText] as [String: Any] },
            "webhooks": try await store.webhooks(in: tenantID).map { ["id": $0.id.lowercasedText, "url": $0.url, "created": Self.shown($0.createdAt)] },
            "states": [("", "every state"), ("pending", "pending"), ("sent", "sent"), ("dead", "dead")].map {
                ["value": $0.0, "label": $0.1, "selected": $0.0 == state] as [String: Any]
            },
            "outbox": outbox.map { entry in
                [
                    "id": entry.message.id.lowercasedText, "event": entry.message.event, "channel": entry.message.channel.rawValue,
                    "recipient": entry.message.recipient, "state": entry.state.rawValue, "attempts": entry.attempts,
                    "lastError": entry.lastError ?? "", "created": Self.shown(entry.createdAt), "retryable": entry.state != .sent,
                ] as [String: Any]
            },
        ]
        if outbox.count == 100, let last = outbox.last {
            var next = URLComponents()
            next.queryItems = (state.isEmpty ? [] : [URLQueryItem(name: "state", value: state)]) + [URLQueryItem(name: "after", value: OutboxCursor(after: last).text)]
            values["outboxNext"] = "/console/admin?" + (next.percentEncodedQuery ?? "") + "#outbox"
        }
        values["notice"] = notice
        values["secret"] = secret
        values["newKey"] = newKey
        values["newToken"] = newToken.map { ["token": $0.0, "credential": $0.1] }
        if let rollout {
            values["rollout"] = [
                "credentials": try await store.credentials(surface: rollout.surface, in: tenantID).map {
                    ["id": $0.id.lowercasedText, "name": $0.name]
                }
            ]
        }
        values["problem"] = problem
        return pages.page("admin", values, session: session, status: status)
    }

    func createWebhook(_ request: Request) async throws -> Response {
        let session = try administrator()
        var request = request
        let form = try await ConsoleForm.read(&request)
        let url = (form["url"] ?? "").trimmingCharacters(in: .whitespaces)
        guard url.count <= 2000, let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
            parsed.host?.isEmpty == false
        else {
            return try await admin(request, problem: "The webhook's URL must be an absolute http or https URL. Nothing was added.", status: .badRequest)
        }
        let given = form["secret"] ?? ""
        if !given.isEmpty, !(16...200).contains(given.count) {
            return try await admin(request, problem: "A webhook's secret must be 16 to 200 characters. Nothing was added.", status: .badRequest)
        }
        let secret = given.isEmpty ? APIKeySecret.generate(prefix: "whsec_").plaintext : given
        _ = try await store.createWebhook(url: url, secret: secret, in: session.principal.tenantID)
        // Shown on this answer only; the list never shows it again.
        return try await admin(request, notice: "Webhook added for \(url).", secret: secret)
    }

    func deleteWebhook(_ id: String) async throws -> Response {
        let session = try administrator()
        guard let id = UUID(text: id), try await store.deleteWebhook(id, in: session.principal.tenantID) else {
            throw TaskportError.notFound("No such webhook in this tenant")
        }
        return ConsolePages.seeOther("/console/admin")
    }

    func retryMessage(_ id: String) async throws -> Response {
        let session = try administrator()
        guard let id = UUID(text: id), try await store.retryMessage(id, in: session.principal.tenantID, at: .now()) else {
            throw TaskportError.notFound("No pending or dead message with this id in this tenant")
        }
        return ConsolePages.seeOther("/console/admin")
    }

    func createAPIKey(_ request: Request) async throws -> Response {
        let session = try administrator()
        var request = request
        let form = try await ConsoleForm.read(&request)
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        guard (1...200).contains(name.count), let userID = UUID(text: form["user"] ?? ""),
            try await store.user(userID, in: session.principal.tenantID) != nil
        else {
            return try await admin(request, problem: "A key needs a name (1 to 200 characters) and a user of this tenant. Nothing was made.", status: .badRequest)
        }
        let key = APIKeySecret.generate()
        try await store.addAPIKey(key, named: name, for: userID, in: session.principal.tenantID)
        return try await admin(request, notice: "API key '\(name)' made.", newKey: key.plaintext)
    }

    func revokeAPIKey(_ id: String) async throws -> Response {
        let session = try administrator()
        guard let id = UUID(text: id), try await store.revokeAPIKey(id, in: session.principal.tenantID) else {
            throw TaskportError.notFound("No live API key with this id in this tenant")
        }
        return ConsolePages.seeOther("/console/admin")
    }

    /// A Rollout credential of the tenant and a bearer token for a user, as `taskport rollout token` makes them.
    func mintRolloutToken(_ request: Request) async throws -> Response {
        let session = try administrator()
        guard let rollout else { throw TaskportError.notFound("Rollout is not served here") }
        var request = request
        let form = try await ConsoleForm.read(&request)
        guard let userID = UUID(text: form["user"] ?? ""), let user = try await store.user(userID, in: session.principal.tenantID),
            let days = Int(form["days"] ?? ""), (1...3650).contains(days)
        else {
            return try await admin(request, problem: "A token needs a user of this tenant and 1 to 3650 days. Nothing was made.", status: .badRequest)
        }
        let minted = try await rollout.mint(Principal(tenantID: session.principal.tenantID, user: user), TimeInterval(days) * 86_400)
        return try await admin(
            request, notice: "Rollout token made for \(user.email), valid \(days) days.",
            newToken: (minted.token, minted.credential.id.lowercasedText)
        )
    }

    func revokeRolloutCredential(_ id: String) async throws -> Response {
        let session = try administrator()
        guard let rollout, let id = UUID(text: id), try await rollout.revoke(id, session.principal.tenantID) else {
            throw TaskportError.notFound("No live Rollout credential with this id in this tenant")
        }
        return ConsolePages.seeOther("/console/admin")
    }
}
