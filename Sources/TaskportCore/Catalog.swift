import Foundation

/// A customer account of a tenant; tasks can be about one (their subject).
public struct Account: Sendable, Hashable {
    public var id: UUID
    public var tenantID: UUID
    public var name: String

    public init(id: UUID, tenantID: UUID, name: String) {
        self.id = id
        self.tenantID = tenantID
        self.name = name
    }
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

/// Everything Taskport keeps: tasks with their history and outbox, the directory, the catalog.
public typealias TaskportStore = TaskStore & DirectoryStore & CatalogStore
