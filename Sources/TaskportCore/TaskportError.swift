/// A problem with one field of a request.
public struct FieldProblem: Sendable, Hashable, Codable {
    /// The canonical field name (a `TaskField` raw value) or the surface's own name for it.
    public var field: String
    public var message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public init(_ field: TaskField, _ message: String) {
        self.init(field.rawValue, message)
    }
}

/// Everything that can go wrong for a client. Each surface maps these to its own status codes
/// and error envelope; anything thrown that is not a `TaskportError` is a server fault.
public enum TaskportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No such task (or other object) in the caller's tenant; another tenant's objects are absent too.
    case notFound(String)
    /// The caller's version token is not the task's current one; nothing was changed.
    case versionMismatch(current: Int64)
    /// The request is well-formed but some values are not acceptable.
    case invalid([FieldProblem])
    /// The request cannot be read at all (malformed body, bad parameter).
    case malformed(String)
    /// No credential, or one that is unknown, expired or revoked.
    case unauthenticated(String)
    /// The credential is good but lacks the permission.
    case forbidden(String)
    /// The body is over the size limit.
    case payloadTooLarge(limit: Int)
    /// The body's media type is not one the operation takes.
    case unsupportedMediaType(String)
    /// The request conflicts with the state of the store, e.g. a name that is taken.
    case conflict(String)
    /// The path exists but does not take this method; lists the methods it takes.
    case methodNotAllowed(allowed: [String])
    /// The surface requires a version precondition (`If-Match`) and the request has none.
    case preconditionRequired(String)
    /// The store does not answer (unreachable, or cannot write); nothing was changed, and the
    /// same request may be sent again after `retryAfter` seconds.
    case unavailable(String, retryAfter: Int)
    /// The credential sent more requests than its rate limit allows; the same request may be sent
    /// again after `retryAfter` seconds. `limit` is the requests the limit allows in its period.
    case tooManyRequests(String, retryAfter: Int, limit: Int?)
    /// A fault rule answered in place of the surface (429, 500, 502, 503, 504); nothing was changed.
    case injected(status: Int, String, retryAfter: Int?)

    /// A one-line, human-readable summary.
    public var message: String {
        switch self {
        case .notFound(let message), .malformed(let message), .unauthenticated(let message),
            .forbidden(let message), .unsupportedMediaType(let message), .conflict(let message),
            .preconditionRequired(let message), .unavailable(let message, _), .tooManyRequests(let message, _, _),
            .injected(_, let message, _):
            message
        case .versionMismatch(let current):
            "Version mismatch: the task is at version \(current)"
        case .invalid(let problems):
            problems.map { "\($0.field): \($0.message)" }.joined(separator: "\n")
        case .payloadTooLarge(let limit):
            "The request body is larger than \(limit) bytes"
        case .methodNotAllowed(let allowed):
            "This resource only takes \(allowed.joined(separator: ", "))"
        }
    }
}

extension TaskportError {
    /// What went wrong, as a person reads it (the CLI prints this).
    public var description: String { message }
}

/// A store's own error that stands for a client-facing `TaskportError`: a full disk or an
/// unreachable database server is `.unavailable`, answered 503 with `Retry-After`, not a fault.
public protocol TaskportErrorConvertible: Error {
    /// The error a client is told, or nil when this one is a fault of the server.
    var taskportError: TaskportError? { get }
}
