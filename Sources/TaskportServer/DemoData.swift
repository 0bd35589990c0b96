import Foundation
import TaskportCore

/// The demo tenant that `taskport serve --demo` creates: a few users, a team, some tasks and a
/// credential for every surface, written to `taskport-demo.json`.
public enum DemoData {
    public static let tenantName = "demo"

    /// What a client needs to call the demo tenant. Each surface adds its own section.
    public struct Credentials: Codable, Sendable, Equatable {
        public struct Native: Codable, Sendable, Equatable {
            public var apiKey: String
        }

        public struct Rollout: Codable, Sendable, Equatable {
            public var bearer: String
            public var credentialId: String
        }

        public struct Maxsight: Codable, Sendable, Equatable {
            public var apiKey: String
            /// A user to assign tasks to.
            public var userId: String
            /// A team to assign tasks to.
            public var teamId: String
        }

        public struct Thena: Codable, Sendable, Equatable {
            public var apiKey: String
            /// An account to create tasks for.
            public var accountId: String
        }

        public struct Nexudus: Codable, Sendable, Equatable {
            /// For `POST /api/token` with `grant_type=password`.
            public var username: String
            public var password: String
            /// A business, a customer and an admin user to name in a CoworkerTask.
            public var businessId: Int64
            public var coworkerId: Int64
            public var responsibleId: Int64
        }

        /// The console, signed in to with the demo administrator's email and password.
        public struct Console: Codable, Sendable, Equatable {
            public var url: String
            public var email: String
            public var password: String
        }

        public var baseURL: String
        public var tenantId: String
        public var console: Console?
        public var native: Native
        public var rollout: Rollout?
        public var maxsight: Maxsight?
        public var thena: Thena?
        public var nexudus: Nexudus?
    }

    /// Creates the demo tenant if it is missing and returns its credentials. Run again with the
    /// previous credentials file, it creates nothing and returns the same, still-valid credentials.
    public static func seed(
        _ store: any TaskportStore, baseURL: String, previous: Credentials?
    ) async throws -> Credentials {
        let tenant: Tenant
        if let existing = try await store.tenant(named: tenantName) {
            tenant = existing
        } else {
            tenant = try await createTenant(store)
        }
        guard let demoAdmin = try await store.user(email: "alice@demo.taskport.test", in: tenant.id) else {
            throw TaskportError.notFound("The demo tenant exists but its user alice@demo.taskport.test does not")
        }
        // A new password ends the tokens issued before it, so the password comes before the Rollout token.
        let nexudusPassword = try await reuseOrSetPassword(previous?.nexudus?.password, for: demoAdmin, in: store)
        guard let alice = try await store.user(demoAdmin.id, in: tenant.id) else {
            throw TaskportError.notFound("The demo user alice@demo.taskport.test went away")
        }
        let apiKey = try await reuseOrMakeKey(previous?.native.apiKey, named: "demo", for: alice, in: store)
        let principal = Principal(tenantID: tenant.id, user: alice)
        var rollout = previous?.rollout
        if let current = rollout, try await !RolloutCredentials.isValid(current.bearer, current.credentialId, for: principal, in: store) {
            rollout = nil
        }
        if rollout == nil {
            let minted = try await RolloutCredentials.mint(for: principal, in: store, lifetime: RolloutCredentials.demoLifetime)
            rollout = Credentials.Rollout(bearer: minted.token, credentialId: minted.credential.id.lowercasedText)
        }
        guard let bob = try await store.user(email: "bob@demo.taskport.test", in: tenant.id),
            let support = try await store.team(named: "Support", in: tenant.id)
        else { throw TaskportError.notFound("The demo tenant exists but its user bob or team Support does not") }
        let maxsight = Credentials.Maxsight(
            apiKey: try await reuseOrMakeKey(previous?.maxsight?.apiKey, named: "demo-maxsight", for: alice, in: store),
            userId: bob.id.lowercasedText, teamId: support.id.lowercasedText
        )
        guard let acme = try await store.accounts(in: tenant.id).first(where: { $0.name == "Acme Corp" }) else {
            throw TaskportError.notFound("The demo tenant exists but its account Acme Corp does not")
        }
        let thena = Credentials.Thena(
            apiKey: try await reuseOrMakeKey(previous?.thena?.apiKey, named: "demo-thena", for: alice, in: store),
            accountId: acme.id.lowercasedText
        )
        var business = try await store.businesses(in: tenant.id).first(where: { $0.name == businessName })
        if business == nil {
            business = try await store.createBusiness(named: businessName, timeZone: "Europe/London", in: tenant.id)
        }
        guard let business else { throw TaskportError.notFound("The demo business \(businessName) does not exist") }
        let nexudus = Credentials.Nexudus(
            username: alice.email, password: nexudusPassword,
            businessId: business.number, coworkerId: acme.number, responsibleId: alice.number
        )
        return Credentials(
            baseURL: baseURL, tenantId: tenant.id.lowercasedText,
            console: Credentials.Console(url: baseURL + "/console", email: alice.email, password: nexudusPassword),
            native: .init(apiKey: apiKey), rollout: rollout,
            maxsight: maxsight, thena: thena, nexudus: nexudus
        )
    }

    static let businessName = "Downtown"

    /// The previous password if it still signs `user` in, else a new random one.
    static func reuseOrSetPassword(_ previous: String?, for user: User, in store: any DirectoryStore) async throws -> String {
        if let previous, try await store.passwordLogins(email: user.email)
            .contains(where: { $0.principal.user.id == user.id && PasswordHash.verify(previous, against: $0.passwordHash) })
        {
            return previous
        }
        let password = String(APIKeySecret.generate(prefix: "").plaintext.prefix(20))
        try await store.setPasswordHash(try PasswordHash.make(password), for: user.id, in: user.tenantID)
        return password
    }

    /// The previous key if it still authenticates as `user`, else a new one.
    static func reuseOrMakeKey(_ previous: String?, named name: String, for user: User, in store: any DirectoryStore) async throws -> String {
        if let previous, try await store.principal(forAPIKeyHash: APIKeySecret.hash(of: previous))?.user.id == user.id {
            return previous
        }
        let key = APIKeySecret.generate()
        try await store.addAPIKey(key, named: name, for: user.id, in: user.tenantID)
        return key.plaintext
    }

    static func createTenant(_ store: any TaskportStore) async throws -> Tenant {
        let tenant = try await store.createTenant(named: tenantName)
        _ = try await store.createUser(in: tenant.id, email: "alice@demo.taskport.test", name: "Alice Admin", roles: ["admin"])
        let bob = try await store.createUser(in: tenant.id, email: "bob@demo.taskport.test", name: "Bob Agent", roles: ["agent"])
        let carol = try await store.createUser(in: tenant.id, email: "carol@demo.taskport.test", name: "Carol Agent", roles: ["agent"])
        let support = try await store.createTeam(in: tenant.id, name: "Support")
        try await store.addMember(bob.id, toTeam: support.id, in: tenant.id)
        try await store.addMember(carol.id, toTeam: support.id, in: tenant.id)
        let acme = try await store.createAccount(named: "Acme Corp", in: tenant.id)
        _ = try await store.createAccount(named: "Globex", in: tenant.id)
        _ = try await store.createActivity(named: "Renewal call", account: acme.id, in: tenant.id)
        let attributes: [(TaskAttribute.Kind, String, JSONObject)] = [
            (.type, "Call", ["color": "#1565c0"]), (.type, "Email", ["color": "#6a1b9a"]), (.type, "Meeting", ["color": "#00838f"]),
            (.status, "Open", ["order": 1, "done": false]), (.status, "In Progress", ["order": 2, "done": false]),
            (.status, "Done", ["order": 3, "done": true]),
            (.priority, "Low", ["order": 1]), (.priority, "Medium", ["order": 2]), (.priority, "High", ["order": 3]),
        ]
        for (kind, value, configuration) in attributes {
            _ = try await store.createAttribute(kind, value: value, configuration: configuration, in: tenant.id)
        }
        try await createTasks(in: tenant, store)
        return tenant
    }

    /// Removes every task of the demo tenant and makes the demo's three again; refused, with
    /// nothing removed, for any other tenant.
    public static func resetTasks(of tenant: Tenant, _ store: any TaskportStore) async throws {
        guard tenant.name == tenantName else { throw TaskportError.conflict("Only the demo tenant goes back to the demo's tasks") }
        try await Snapshots.emptyTasks(of: tenant, in: store)
        try await createTasks(in: tenant, store)
    }

    /// Makes the demo's three tasks in the demo tenant, as it first had them (due dates from now).
    public static func createTasks(in tenant: Tenant, _ store: any TaskportStore) async throws {
        guard tenant.name == tenantName, let alice = try await store.user(email: "alice@demo.taskport.test", in: tenant.id),
            let bob = try await store.user(email: "bob@demo.taskport.test", in: tenant.id),
            let support = try await store.team(named: "Support", in: tenant.id),
            let acme = try await store.accounts(in: tenant.id).first(where: { $0.name == "Acme Corp" })
        else { throw TaskportError.conflict("Only the demo tenant, with its users alice and bob, team Support and account Acme Corp, has demo tasks") }
        let actor = Actor(userID: alice.id, name: alice.email, surface: "cli")
        let now = Timestamp.now()
        let day: Int64 = 86_400_000_000
        var renewal = TaskContent(title: "Call Acme about the renewal")
        renewal.dueAt = Timestamp(microseconds: now.microseconds + day)
        renewal.timeZone = "Europe/London"
        renewal.assignee = .user(bob.id)
        renewal.responsibleID = alice.id
        renewal.priority = "High"
        renewal.type = "Call"
        renewal.status = "Open"
        renewal.subjectID = acme.id.lowercasedText
        var invoices = TaskContent(title: "Reconcile October invoices")
        invoices.assignee = .team(support.id)
        invoices.dueAt = Timestamp(microseconds: now.microseconds + 3 * day)
        invoices.timeZone = "America/New_York"
        var welcome = TaskContent(title: "Send the welcome pack")
        welcome.completed = true
        welcome.notes = "Sent by post and by email."
        for content in [renewal, invoices, welcome] {
            _ = try await store.create(TaskCreation(tenantID: tenant.id, content: content, actor: actor))
        }
    }
}
