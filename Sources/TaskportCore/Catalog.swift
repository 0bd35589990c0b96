import Foundation

/// A customer account of a tenant; tasks can be about one (their subject).
/// Nexudus calls them customers (coworkers) and names them by `number`.
public struct Account: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    public var name: String
    /// A positive integer id, unique in the store.
    public var number: Int64

    public init(id: UUID, tenantID: UUID, name: String, number: Int64 = 0) {
        self.id = id
        self.tenantID = tenantID
        self.name = name
        self.number = number
    }

    /// How a task names its account as subject.
    public var subjectID: String { id.lowercasedText }
}

/// A place a tenant runs (Nexudus's business, a location); tasks can live in one (their scope),
/// and its time zone is the one their local due times are shown in.
public struct Business: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    public var name: String
    /// An IANA time zone, e.g. `Europe/London`.
    public var timeZone: String
    /// A positive integer id, unique in the store.
    public var number: Int64

    public init(id: UUID, tenantID: UUID, name: String, timeZone: String, number: Int64) {
        self.id = id
        self.tenantID = tenantID
        self.name = name
        self.timeZone = timeZone
        self.number = number
    }

    /// How a task names its business as scope.
    public var scopeID: String { id.lowercasedText }
}

/// Something that happened with an account (a call, a meeting); a task can be linked to one.
public struct Activity: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    public var accountID: UUID?
    public var name: String

    public init(id: UUID, tenantID: UUID, accountID: UUID?, name: String) {
        self.id = id
        self.tenantID = tenantID
        self.accountID = accountID
        self.name = name
    }
}

/// One allowed value of a task's type, status or priority, configured per tenant.
public struct TaskAttribute: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable, Codable {
        case type, status, priority
    }

    public var id: UUID
    public var tenantID: UUID
    public var kind: Kind
    /// The display value a task carries, unique per kind in a tenant (case-insensitively).
    public var value: String
    /// Free-form settings, e.g. `{"color": "#2e7d32", "order": 3, "done": true}`.
    public var configuration: JSONObject

    public init(id: UUID, tenantID: UUID, kind: Kind, value: String, configuration: JSONObject) {
        self.id = id
        self.tenantID = tenantID
        self.kind = kind
        self.value = value
        self.configuration = configuration
    }

    /// Whether a status with this configuration means the task is done.
    public var marksDone: Bool { configuration["done"] == .bool(true) }
}

/// The tenant's accounts, activities and configured task attributes.
public protocol CatalogStore: Sendable {
    /// Creates an account; `.conflict` if the name is taken in the tenant.
    func createAccount(named name: String, in tenantID: UUID) async throws -> Account
    func account(_ id: UUID, in tenantID: UUID) async throws -> Account?
    func accounts(in tenantID: UUID) async throws -> [Account]
    func account(number: Int64, in tenantID: UUID) async throws -> Account?

    /// Creates a business; `.conflict` if the name is taken, `.invalid` for an unknown time zone.
    func createBusiness(named name: String, timeZone: String, in tenantID: UUID) async throws -> Business
    func business(_ id: UUID, in tenantID: UUID) async throws -> Business?
    func business(number: Int64, in tenantID: UUID) async throws -> Business?
    func businesses(in tenantID: UUID) async throws -> [Business]

    /// Creates an activity, optionally of an account of the tenant (`.notFound` otherwise).
    func createActivity(named name: String, account: UUID?, in tenantID: UUID) async throws -> Activity
    func activity(_ id: UUID, in tenantID: UUID) async throws -> Activity?

    /// Adds an allowed value; `.conflict` if the kind has it already (case-insensitively).
    func createAttribute(_ kind: TaskAttribute.Kind, value: String, configuration: JSONObject, in tenantID: UUID) async throws -> TaskAttribute
    /// The tenant's allowed values, of one kind or of all, in the order they were made.
    func attributes(_ kind: TaskAttribute.Kind?, in tenantID: UUID) async throws -> [TaskAttribute]
    /// Removes an allowed value; false if the tenant has no such attribute. Tasks keep their value.
    func deleteAttribute(_ id: UUID, in tenantID: UUID) async throws -> Bool
}

/// Everything Taskport keeps: tasks with their history, the directory, the catalog, the outbox,
/// and a way to move a tenant between stores.
public typealias TaskportStore = TaskStore & DirectoryStore & CatalogStore & OutboxStore & ArchiveStore & JournalStore & FaultRuleStore & SnapshotStore
