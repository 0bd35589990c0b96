import Foundation
import TaskportCore

/// What every surface's handlers need to resolve a request against its caller's tenant.
public enum RequestScope {
    /// The authenticated caller; authentication middleware has set it before any handler runs.
    public static func caller() throws -> Principal {
        guard let principal = Principal.current else { throw TaskportError.unauthenticated("Authentication required") }
        return principal
    }

    /// The authenticated caller, if they may do `permission` to tasks; `forbidden` otherwise.
    /// Reads are checked here; changes are checked again by the engine.
    public static func caller(_ permission: TaskPermission) throws -> Principal {
        let principal = try caller()
        try principal.require(permission)
        return principal
    }

    /// A task named in a path: a UUID or a positive integer. Anything else names no task (404).
    public static func task(_ text: String, notFound message: String = "Task not found") throws -> TaskReference {
        guard let reference = TaskReference(text) else { throw TaskportError.notFound(message) }
        return reference
    }

    /// The value, or `notFound` when the store has none in the caller's tenant.
    public static func found<T>(_ value: T?, notFound message: String = "Task not found") throws -> T {
        guard let value else { throw TaskportError.notFound(message) }
        return value
    }
}

/// How one surface shows a task, for the unified record other surfaces (Rollout's
/// `originalIds` and `original`) present of it.
public struct TaskView: Sendable {
    /// The surface's name, e.g. `native`.
    public var surface: String
    /// The id the surface gives the task.
    public var id: @Sendable (TaskRecord) -> JSONValue
    /// The task as the surface shows it.
    public var record: @Sendable (TaskRecord) async throws -> TaskRendering

    public init(
        surface: String, id: @escaping @Sendable (TaskRecord) -> JSONValue,
        record: @escaping @Sendable (TaskRecord) async throws -> TaskRendering
    ) {
        self.surface = surface
        self.id = id
        self.record = record
    }

    /// A view that names the task by its UUID and shows it as `render`'s result.
    public static func encoding<Shape: Encodable & Hashable & Sendable & CompactJSONWriting>(
        surface: String, render: @escaping @Sendable (TaskRecord) async throws -> Shape
    ) -> TaskView {
        TaskView(surface: surface, id: { .string($0.id.lowercasedText) }, record: { task in TaskRendering(try await render(task)) })
    }
}

/// A task as one surface shows it: that surface's own shape, encoded only where it is written.
/// Inside another answer (Rollout's `original`) it goes straight into that answer's encoder, not
/// through a `JSONValue` tree first: a tree of four renderings cost Rollout about 200,000
/// instructions an answer.
public struct TaskRendering: Encodable, Hashable, Sendable {
    /// Every surface's shape writes its own JSON, and its type says so: asking a value at run time
    /// whether it does (`as? any CompactJSONWriting`) cost about 2,000 instructions a rendering.
    private let shape: any Encodable & Hashable & Sendable & CompactJSONWriting

    public init(_ shape: some Encodable & Hashable & Sendable & CompactJSONWriting) {
        self.shape = shape
    }

    public func encode(to encoder: any Encoder) throws {
        try shape.encode(to: encoder)
    }

    /// The rendering's compact JSON text, as `JSONEncoder` with the surfaces' options writes it,
    /// written by the shape itself; nil when only the encoder can write it (which then also meets
    /// any error encoding it).
    public func compactJSON() -> [UInt8]? {
        shape.compactJSON()
    }

    /// The rendering as a JSON value, as `JSONEncoder` would write it.
    public func json() throws -> JSONValue {
        try JSONValue.encoding(shape)
    }

    public static func == (lhs: TaskRendering, rhs: TaskRendering) -> Bool {
        AnyHashable(lhs.shape) == AnyHashable(rhs.shape)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(AnyHashable(shape))
    }
}
