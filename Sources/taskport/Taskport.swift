import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TaskportCore
import TaskportDelivery
import TaskportHTTP
import TaskportPostgres
import TaskportSQLite
import TaskportServer

@main
struct Taskport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A self-hosted task service that speaks the Rollout, Nexudus, Thena and Maxsight task APIs.",
        subcommands: [
            Serve.self, Migrate.self, TenantCommand.self, UserCommand.self, TeamCommand.self, APIKeyCommand.self,
            RolloutCommand.self, AccountCommand.self, CustomerCommand.self, BusinessCommand.self, ActivityCommand.self,
            AttributeCommand.self, WebhookCommand.self, OutboxCommand.self, ExportCommand.self, ImportCommand.self,
        ],
        defaultSubcommand: Serve.self
    )

    /// Every command logs through the redacting handler, so no credential reaches a log line.
    static func main() async {
        RedactingLogHandler.bootstrap()
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Every setting can come from a flag or from the environment variable named in its help.
func environment(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }

struct DatabaseOptions: ParsableArguments {
    @Option(
        help: """
            The SQLite database file, or postgres://user:password@host:port/database?sslmode=disable for a PostgreSQL \
            database that several servers share (TASKPORT_DATABASE).
            """
    )
    var database: String = environment("TASKPORT_DATABASE") ?? "./taskport.sqlite"

    @Option(help: "SQLite only. full: every acknowledged write survives power loss; normal: faster, survives a process crash (TASKPORT_DURABILITY).")
    var durability: SQLiteStore.Durability = environment("TASKPORT_DURABILITY").flatMap(SQLiteStore.Durability.init) ?? .full

    @Option(help: "PostgreSQL only: the most connections this server opens (TASKPORT_DATABASE_CONNECTIONS).")
    var databaseConnections: Int = environment("TASKPORT_DATABASE_CONNECTIONS").flatMap { Int($0) } ?? 20

    var isPostgres: Bool { database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") }

    /// The database as people may see it: a PostgreSQL URL without its password.
    var displayName: String {
        guard isPostgres, var url = URLComponents(string: database), url.password != nil else { return database }
        url.password = "***"
        return url.string ?? database
    }

    /// Opens the store (bringing its schema up to date); a PostgreSQL store keeps its connections
    /// open until the process ends, or, under `serve`, until the server shuts down.
    func open() async throws -> any TaskportStore {
        if isPostgres {
            return try await PostgresStore.connect(url: database, maximumConnections: databaseConnections)
        }
        return try SQLiteStore(path: database, durability: durability)
    }
}

extension SQLiteStore.Durability: ExpressibleByArgument {}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server.")

    @OptionGroup var store: DatabaseOptions

    @Option(help: "The address to listen on (TASKPORT_HOST).")
    var host: String = environment("TASKPORT_HOST") ?? "127.0.0.1"

    @Option(help: "The port to listen on (TASKPORT_PORT).")
    var port: Int = environment("TASKPORT_PORT").flatMap { Int($0) } ?? 8080

    @Option(help: "trace, debug, info, notice, warning, error or critical (TASKPORT_LOG_LEVEL).")
    var logLevel: String = environment("TASKPORT_LOG_LEVEL") ?? "info"

    @Flag(help: "Create the demo tenant if missing and write its credentials to taskport-demo.json beside the database (TASKPORT_DEMO=1).")
    var demo = environment("TASKPORT_DEMO") == "1"

    @OptionGroup var notifications: NotificationOptions

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("Unknown log level '\(logLevel)'")
        }
        let database = try await store.open()
        if demo {
            try await writeDemoCredentials(database)
        }
        let configuration = ServerConfiguration(host: host, port: port, logLevel: level, notifications: try notifications.settings())
        // A PostgreSQL store's connections close, and an SQLite file's checkpointer stops, after the HTTP server has drained.
        let storeServices: [any Service] = switch database {
        case let postgres as PostgresStore: [postgres]
        case let sqlite as SQLiteStore: sqlite.checkpointer.map { [$0] } ?? []
        default: []
        }
        let app = try await buildApplication(configuration, store: database, storeServices: storeServices)
        try await app.runService()
    }

    func writeDemoCredentials(_ database: any TaskportStore) async throws {
        let folder = store.isPostgres ? URL(fileURLWithPath: FileManager.default.currentDirectoryPath) : URL(fileURLWithPath: store.database).deletingLastPathComponent()
        let file = folder.appendingPathComponent("taskport-demo.json")
        let previous = try? JSONDecoder().decode(DemoData.Credentials.self, from: Data(contentsOf: file))
        let credentials = try await DemoData.seed(database, baseURL: "http://\(host):\(port)", previous: previous)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(credentials)
        try json.write(to: file)
        print("Demo tenant '\(DemoData.tenantName)' is ready; credentials in \(file.path):")
        print(String(decoding: json, as: UTF8.self))
    }
}

/// The mail server and the delivery worker's settings.
struct NotificationOptions: ParsableArguments {
    @Option(help: "The SMTP server to send email through; without it, email waits in the outbox (TASKPORT_SMTP_HOST).")
    var smtpHost: String? = environment("TASKPORT_SMTP_HOST")

    @Option(help: "Its port (TASKPORT_SMTP_PORT).")
    var smtpPort: Int = environment("TASKPORT_SMTP_PORT").flatMap { Int($0) } ?? 25

    @Option(help: "none, or starttls to encrypt before authenticating (TASKPORT_SMTP_SECURITY).")
    var smtpSecurity: SMTPConfiguration.Security = environment("TASKPORT_SMTP_SECURITY").flatMap(SMTPConfiguration.Security.init) ?? .none

    @Option(help: "The user to authenticate as, with AUTH PLAIN or LOGIN (TASKPORT_SMTP_USERNAME).")
    var smtpUsername: String? = environment("TASKPORT_SMTP_USERNAME")

    @Option(help: "Its password; prefer the environment variable (TASKPORT_SMTP_PASSWORD).")
    var smtpPassword: String? = environment("TASKPORT_SMTP_PASSWORD")

    @Option(help: "The sender address (TASKPORT_SMTP_FROM).")
    var smtpFrom: String = environment("TASKPORT_SMTP_FROM") ?? "taskport@localhost"

    @Option(help: "A PEM file of certificate authorities to trust for STARTTLS (TASKPORT_SMTP_CA_FILE).")
    var smtpCAFile: String? = environment("TASKPORT_SMTP_CA_FILE")

    @Option(help: "Delivery attempts before a message is kept as dead (TASKPORT_DELIVERY_ATTEMPTS).")
    var deliveryAttempts: Int = environment("TASKPORT_DELIVERY_ATTEMPTS").flatMap { Int($0) } ?? 8

    @Option(help: "Seconds to wait after a first failed delivery; doubles each time, at most an hour (TASKPORT_DELIVERY_RETRY_SECONDS).")
    var deliveryRetrySeconds: Double = environment("TASKPORT_DELIVERY_RETRY_SECONDS").flatMap { Double($0) } ?? 5

    @Option(help: "Seconds between checks for due-date reminders (TASKPORT_REMINDER_SECONDS).")
    var reminderSeconds: Double = environment("TASKPORT_REMINDER_SECONDS").flatMap { Double($0) } ?? 30

    @Option(
        help: """
            A network webhooks may be delivered to although it is not public, such as 10.0.0.0/8 or 127.0.0.1; \
            repeat for several (TASKPORT_WEBHOOK_ALLOW_NETWORKS, comma-separated). Loopback, private, link-local and \
            cloud-metadata addresses are refused otherwise.
            """
    )
    var webhookAllowNetwork: [String] = environment("TASKPORT_WEBHOOK_ALLOW_NETWORKS")?.split(separator: ",").map(String.init) ?? []

    func settings() throws -> NotificationSettings {
        guard deliveryAttempts >= 1, deliveryRetrySeconds > 0, reminderSeconds > 0 else {
            throw ValidationError("Delivery attempts, retry and reminder seconds must be positive")
        }
        let networks = try webhookAllowNetwork.map { text in
            guard let network = IPNetwork(text.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("'\(text)' is not an IP address or network such as 10.0.0.0/8")
            }
            return network
        }
        let smtp = smtpHost.map { host in
            SMTPConfiguration(
                host: host, port: smtpPort, security: smtpSecurity, username: smtpUsername, password: smtpPassword,
                from: smtpFrom, trustedCertificatesFile: smtpCAFile
            )
        }
        return NotificationSettings(
            smtp: smtp, retry: RetryPolicy(maxAttempts: deliveryAttempts, baseDelay: .seconds(deliveryRetrySeconds)),
            pollInterval: .milliseconds(min(1000, Int(deliveryRetrySeconds * 1000))), reminderInterval: .seconds(reminderSeconds),
            webhookDestinations: WebhookDestinations(allowing: networks)
        )
    }
}

extension SMTPConfiguration.Security: ExpressibleByArgument {}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the database or bring its schema up to date, then exit.")

    @OptionGroup var store: DatabaseOptions

    func run() async throws {
        _ = try await store.open()
        print("Schema of \(store.displayName) is up to date.")
    }
}

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

/// Options that name a tenant by its name.
struct TenantOption: ParsableArguments {
    @Option(help: "The tenant's name.") var tenant: String

    /// Opens the database and finds the tenant in it.
    func open(_ database: DatabaseOptions) async throws -> (store: any TaskportStore, tenantID: UUID) {
        let store = try await database.open()
        return (store, try await resolve(in: store).id)
    }

    func resolve(in store: any TaskportStore) async throws -> Tenant {
        guard let found = try await store.tenant(named: tenant) else { throw ValidationError("No tenant named '\(tenant)'") }
        return found
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage a tenant's users.",
        subcommands: [Create.self, List.self, Password.self, Disable.self, Enable.self, Delete.self]
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
            print("\(user.id.uuidString.lowercased())\t\(user.number)\t\(user.email)")
        }
    }

    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the password a user signs in with (Nexudus's token endpoint), read from the first line of standard input."
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

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users (a disabled one is marked so).")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            for user in try await database.users(in: tenantID) {
                let state = user.isDisabled ? "\tdisabled" : ""
                print("\(user.id.uuidString.lowercased())\t\(user.number)\t\(user.email)\t\(user.name)\t\(user.roles.joined(separator: ","))\(state)")
            }
        }
    }

    /// The user of `tenant` with `email`, or a validation error naming what is missing.
    static func find(_ email: String, in tenant: TenantOption, _ store: DatabaseOptions) async throws -> (any TaskportStore, User) {
        let (database, tenantID) = try await tenant.open(store)
        guard let user = try await database.user(email: email, in: tenantID) else { throw ValidationError("No user '\(email)'") }
        return (database, user)
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a user: every API key, token and password of theirs stops working at once, on every server."
        )
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The user's email.") var email: String

        func run() async throws {
            let (database, user) = try await UserCommand.find(email, in: tenant, store)
            try await database.setDisabled(true, deleting: false, user: user.id, in: user.tenantID)
            print("disabled \(user.email)")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enable a disabled user again: their API keys and password work again; tokens issued before stay dead."
        )
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The user's email.") var email: String

        func run() async throws {
            let (database, user) = try await UserCommand.find(email, in: tenant, store)
            try await database.setDisabled(false, deleting: false, user: user.id, in: user.tenantID)
            print("enabled \(user.email)")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a user: disabled for good and no longer listed. Their tasks and history stay, naming them."
        )
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The user's email.") var email: String

        func run() async throws {
            let (database, user) = try await UserCommand.find(email, in: tenant, store)
            try await database.setDisabled(true, deleting: true, user: user.id, in: user.tenantID)
            print("deleted \(user.email)")
        }
    }
}

struct TeamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "team", abstract: "Manage a tenant's teams.", subcommands: [Create.self, AddMember.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a team.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The team's name, unique in the tenant.") var name: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            let team = try await database.createTeam(in: tenantID, name: name)
            print("\(team.id.uuidString.lowercased())\t\(team.name)")
        }
    }

    struct AddMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add-member", abstract: "Add a user to a team.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The team's name.") var team: String
        @Option(help: "The user's email.") var email: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let found = try await database.team(named: team, in: tenantID) else { throw ValidationError("No team named '\(team)'") }
            guard let user = try await database.user(email: email, in: tenantID) else { throw ValidationError("No user '\(email)'") }
            try await database.addMember(user.id, toTeam: found.id, in: tenantID)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List teams and their members.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            for team in try await database.teams(in: tenantID) {
                print("\(team.id.uuidString.lowercased())\t\(team.name)\t\(team.memberIDs.map { $0.uuidString.lowercased() }.joined(separator: ","))")
            }
        }
    }
}

struct APIKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey", abstract: "Manage API keys.", subcommands: [Create.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key for a user. The key is printed once and stored only as a hash.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The email of the user the key acts as.") var email: String
        @Option(help: "A label for the key.") var name: String = "cli"

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let user = try await database.user(email: email, in: tenantID) else { throw ValidationError("No user '\(email)'") }
            let key = APIKeySecret.generate()
            try await database.addAPIKey(key, named: name, for: user.id, in: tenantID)
            print("id:  \(key.id.uuidString.lowercased())")
            print("key: \(key.plaintext)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key by its id.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Argument(help: "The key's id.") var id: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let keyID = UUID(uuidString: id) else { throw ValidationError("'\(id)' is not a key id") }
            guard try await database.revokeAPIKey(keyID, in: tenantID) else {
                throw ValidationError("No live key \(id) in tenant '\(tenant.tenant)'")
            }
            print("revoked \(id)")
        }
    }
}

struct RolloutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollout", abstract: "Credentials for Rollout clients.", subcommands: [Token.self, Revoke.self]
    )

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a Rollout credential by its id (the X-Rollout-Credential-Id): every call naming it is refused from then on."
        )
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Argument(help: "The credential's id.") var id: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let credentialID = UUID(uuidString: id) else { throw ValidationError("'\(id)' is not a credential id") }
            guard try await RolloutCredentials.revoke(credentialID, in: tenantID, of: database) else {
                throw ValidationError("No live Rollout credential \(id) in tenant '\(tenant.tenant)'")
            }
            print("revoked \(id)")
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a Rollout credential and a signed token for a user: the Authorization bearer and X-Rollout-Credential-Id a client sends."
        )
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "The email of the user the token acts as.") var email: String
        @Option(help: "How many days the token is valid.") var days: Int = 30
        @Option(help: "A label for the credential.") var name: String = "cli"

        func run() async throws {
            guard days > 0 else { throw ValidationError("--days must be positive") }
            let (database, tenantID) = try await tenant.open(store)
            guard let user = try await database.user(email: email, in: tenantID) else { throw ValidationError("No user '\(email)'") }
            let minted = try await RolloutCredentials.mint(
                for: Principal(tenantID: tenantID, user: user), in: database, lifetime: TimeInterval(days) * 86_400, credentialName: name
            )
            print("Authorization: Bearer \(minted.token)")
            print("X-Rollout-Credential-Id: \(minted.credential.id.uuidString.lowercased())")
        }
    }
}

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
            print("\(account.id.uuidString.lowercased())\t\(account.number)\t\(account.name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            for account in try await database.accounts(in: tenantID) {
                print("\(account.id.uuidString.lowercased())\t\(account.number)\t\(account.name)")
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
            print("\(business.id.uuidString.lowercased())\t\(business.number)\t\(business.name)\t\(business.timeZone)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List businesses.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            for business in try await database.businesses(in: tenantID) {
                print("\(business.id.uuidString.lowercased())\t\(business.number)\t\(business.name)\t\(business.timeZone)")
            }
        }
    }
}

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
                guard let id = UUID(uuidString: account) else { throw ValidationError("'\(account)' is not an account id") }
                accountID = id
            }
            let activity = try await database.createActivity(named: name, account: accountID, in: tenantID)
            print("\(activity.id.uuidString.lowercased())\t\(activity.name)")
        }
    }
}

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
            print("\(attribute.id.uuidString.lowercased())\t\(attribute.kind.rawValue)\t\(attribute.value)")
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
                print("\(attribute.id.uuidString.lowercased())\t\(attribute.kind.rawValue)\t\(attribute.value)\t\(try StoredJSON.encode(attribute.configuration))")
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
            guard let attributeID = UUID(uuidString: id),
                try await database.deleteAttribute(attributeID, in: tenantID)
            else { throw ValidationError("No attribute \(id) in tenant '\(tenant.tenant)'") }
            print("deleted \(id)")
        }
    }
}

struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Manage the endpoints a tenant's task events are posted to.",
        subcommands: [Create.self, List.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an endpoint; prints its id and signing secret (shown once).")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "An absolute http or https URL.") var url: String
        @Option(help: "The signing secret (16 to 200 characters); a random one when absent.") var secret: String?

        func run() async throws {
            guard let parsed = URL(string: url), parsed.isWebEndpoint else { throw ValidationError("'\(url)' is not an http or https URL") }
            if let secret, !(16...200).contains(secret.count) { throw ValidationError("The secret must be 16 to 200 characters") }
            let (database, tenantID) = try await tenant.open(store)
            let webhook = try await database.createWebhook(
                url: url, secret: secret ?? APIKeySecret.generate(prefix: "whsec_").plaintext, in: tenantID
            )
            print("\(webhook.id.uuidString.lowercased())\t\(webhook.url)\t\(webhook.secret)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a tenant's endpoints.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            for webhook in try await database.webhooks(in: tenantID) {
                print("\(webhook.id.uuidString.lowercased())\t\(webhook.url)")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop posting to an endpoint.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Argument(help: "The webhook's id.") var id: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let webhookID = UUID(uuidString: id), try await database.deleteWebhook(webhookID, in: tenantID) else {
                throw ValidationError("No webhook \(id) in this tenant")
            }
            print("deleted")
        }
    }
}

struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Inspect the outbox and retry dead messages.", subcommands: [List.self, Retry.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List messages: id, state, attempts, channel, recipient, event, last error.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Option(help: "pending, sent or dead; all when absent.") var state: String?

        func run() async throws {
            var filter: OutboxState?
            if let state {
                guard let parsed = OutboxState(rawValue: state) else { throw ValidationError("state must be pending, sent or dead") }
                filter = parsed
            }
            let (database, tenantID) = try await tenant.open(store)
            for entry in try await database.outboxMessages(in: tenantID, state: filter, limit: 1000) {
                let message = entry.message
                print([message.id.uuidString.lowercased(), entry.state.rawValue, String(entry.attempts), message.channel.rawValue,
                       message.recipient, message.event, entry.lastError ?? ""].joined(separator: "\t"))
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a dead or pending message due now, with a fresh count of attempts.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var tenant: TenantOption
        @Argument(help: "The message's id.") var id: String

        func run() async throws {
            let (database, tenantID) = try await tenant.open(store)
            guard let messageID = UUID(uuidString: id),
                try await database.retryMessage(messageID, in: tenantID, at: .now())
            else { throw ValidationError("No pending or dead message \(id) in this tenant") }
            print("due again")
        }
    }
}


struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a tenant as JSON Lines: its directory, configuration, tasks and their history.",
        discussion: "The file holds password and API-key hashes and webhook secrets: keep it as safe as the database."
    )
    @OptionGroup var store: DatabaseOptions
    @OptionGroup var tenant: TenantOption
    @Option(help: "The file to write; standard output without it.") var output: String?

    func run() async throws {
        let database = try await store.open()
        let file: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil) else { throw ValidationError("Cannot write \(output)") }
            file = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        } else {
            file = FileHandle.standardOutput
        }
        try await TenantArchive.export(tenantNamed: tenant.tenant, from: database) { line in
            try file.write(contentsOf: Data((line + "\n").utf8))
        }
        try file.synchronize()
    }
}

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Read a tenant that `taskport export` wrote into this database, all or nothing.",
        discussion: "Its ids, numbers and name must be free here. Tokens signed by the old store are not valid here: issue new ones."
    )
    @OptionGroup var store: DatabaseOptions
    @Option(help: "The file to read; standard input without it.") var input: String?

    func run() async throws {
        let data = try input.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } ?? FileHandle.standardInput.readToEnd() ?? Data()
        let text = String(decoding: data, as: UTF8.self)
        let name = try await TenantArchive.import(lines: text.split(separator: "\n", omittingEmptySubsequences: false), into: try await store.open())
        print("Imported tenant '\(name)' into \(store.displayName).")
    }
}
