public import Foundation
public import HTTPTypes
import Hummingbird
public import TaskportCore

extension TaskportError {
    /// The status most surfaces answer this error with. A surface with other conventions maps
    /// the cases it differs on first (the native API answers a version mismatch with 412).
    public var conventionalStatus: HTTPResponse.Status {
        switch self {
        case .notFound: .notFound
        case .versionMismatch, .conflict: .conflict
        case .invalid, .malformed: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .payloadTooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .methodNotAllowed: .methodNotAllowed
        case .preconditionRequired: .preconditionRequired
        case .unavailable: .serviceUnavailable
        case .tooManyRequests: .tooManyRequests
        case .injected(let status, _, _): HTTPResponse.Status(code: status)
        }
    }

    /// The headers that belong with the error's status (`Allow` for a 405, `Retry-After` for a 503).
    public var conventionalHeaders: HTTPFields {
        switch self {
        case .methodNotAllowed(let allowed): [.allow: allowed.joined(separator: ", ")]
        case .unavailable(_, let seconds), .injected(_, _, let seconds?): [.retryAfter: String(seconds)]
        case .tooManyRequests(_, let seconds, let limit):
            // The de facto rate-limit fields: the limit, none left, and the seconds until the next request may go.
            limit.map { [.retryAfter: String(seconds), .rateLimitLimit: String($0), .rateLimitRemaining: "0", .rateLimitReset: String(seconds)] }
                ?? [.retryAfter: String(seconds)]
        default: [:]
        }
    }
}

extension HTTPField.Name {
    static let rateLimitLimit = HTTPField.Name("X-RateLimit-Limit")!
    static let rateLimitRemaining = HTTPField.Name("X-RateLimit-Remaining")!
    static let rateLimitReset = HTTPField.Name("X-RateLimit-Reset")!
}

/// How a surface spells the canonical field names, so its errors name fields as its clients do.
public struct FieldNames: Sendable {
    let names: [String: String]

    public init(_ names: [TaskField: String]) {
        self.names = Dictionary(uniqueKeysWithValues: names.map { ($0.key.rawValue, $0.value) })
    }

    public func rename(_ problems: [FieldProblem]) -> [FieldProblem] {
        problems.map { FieldProblem(names[$0.field] ?? $0.field, $0.message) }
    }

    /// Runs a store call; its `.invalid` problems come out with this surface's field names.
    public func renaming<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch TaskportError.invalid(let problems) {
            throw TaskportError.invalid(rename(problems))
        }
    }
}

/// Each surface's OpenAPI document ships as a resource of its module.
public enum OpenAPIDocument {
    /// The text of `openapi.yaml` in `bundle`.
    public static func text(in bundle: Bundle) throws -> String {
        guard let url = bundle.url(forResource: "openapi", withExtension: "yaml") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}

extension RequestScope {
    /// A query for one page: `limit` (1…200, 50 when absent) and the position a cursor stands for.
    public static func page(limit: Int?, cursor: String?) throws -> TaskQuery {
        let limit = limit ?? 50
        guard (1...200).contains(limit) else { throw TaskportError.malformed("limit: must be between 1 and 200") }
        var query = TaskQuery(limit: limit)
        if let cursor {
            guard let after = TaskCursor.decode(cursor) else { throw TaskportError.malformed("cursor: is not a cursor Taskport issued") }
            query.afterNumber = after
        }
        return query
    }
}

/// One page of a list and the cursor to the next (`null` on the last), under the member names a
/// surface uses (`items`/`nextCursor`, `data`/`next_cursor`, …).
public struct CursorPage<Item: Encodable & Hashable & Sendable>: Encodable, Hashable, Sendable {
    public let items: [Item]
    public let nextCursor: String?
    let itemsMember: String
    let cursorMember: String

    /// The items of `page`, with the cursor that continues after it.
    public init(_ items: [Item], after page: TaskPage, itemsMember: String, cursorMember: String) {
        self.items = items
        nextCursor = page.nextAfterNumber.map { TaskCursor.encode(afterNumber: $0) }
        self.itemsMember = itemsMember
        self.cursorMember = cursorMember
    }

    struct Member: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Member.self)
        try container.encode(items, forKey: Member(stringValue: itemsMember))
        try container.encode(nextCursor, forKey: Member(stringValue: cursorMember))
    }
}
