import Foundation

/// Any JSON value. Free-form task metadata and the before/after values of audit entries use it.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // The likeliest kinds first: each kind tried and refused costs a thrown DecodingError, and
        // stored rows (archives, snapshots, audit values) are mostly strings and numbers.
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode(JSONObject.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        // Items and members are written by their kinds' own methods (`ConcreteEncoding`), not
        // each through the encoder's generic path.
        switch self {
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(json: item) }
        case .object(let members):
            var container = encoder.container(keyedBy: JSONMemberKey.self)
            for (name, value) in members { try container.encode(json: value, forKey: JSONMemberKey(name)) }
        case .null, .bool, .integer, .number, .string:
            var container = encoder.singleValueContainer()
            switch self {
            case .bool(let value): try container.encode(value)
            case .integer(let value): try container.encode(value)
            case .number(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            default: try container.encodeNil()
            }
        }
    }

    public var isNull: Bool { self == .null }

    /// Applies a JSON Merge Patch (RFC 7396) to this value.
    public func merging(patch: JSONValue) -> JSONValue {
        guard case .object(let patchObject) = patch else { return patch }
        var target: JSONObject
        if case .object(let object) = self { target = object } else { target = [:] }
        for (key, value) in patchObject {
            if value == .null {
                target.removeValue(forKey: key)
            } else {
                target[key] = (target[key] ?? .null).merging(patch: value)
            }
        }
        return .object(target)
    }
}

/// A JSON object.
public typealias JSONObject = [String: JSONValue]

extension JSONObject {
    /// This object without its `null` members, at every level of nested objects (arrays are
    /// values, kept as they are). What a JSON Merge Patch of it would leave: `null` there means
    /// "no such member", so task metadata never holds one and every surface can send it back.
    public var withoutNullMembers: JSONObject {
        // Most metadata has none: then the object is kept as it is, without a copy.
        guard hasNullMembers else { return self }
        var result: JSONObject = [:]
        for (key, value) in self {
            switch value {
            case .null: continue
            case .object(let object): result[key] = .object(object.withoutNullMembers)
            default: result[key] = value
            }
        }
        return result
    }

    /// Whether a `null` member stands in this object or in one of its nested objects.
    var hasNullMembers: Bool {
        values.contains { value in
            switch value {
            case .null: true
            case .object(let object): object.hasNullMembers
            default: false
            }
        }
    }
}

extension JSONValue {
    public init(_ value: String?) { self = value.map(JSONValue.string) ?? .null }
    public init(_ value: Bool) { self = .bool(value) }
    public init(_ value: Int64?) { self = value.map(JSONValue.integer) ?? .null }
    public init(_ value: UUID?) { self = value.map { .string($0.lowercasedText) } ?? .null }
    public init(_ value: Timestamp?) { self = value.map { .string($0.rfc3339) } ?? .null }
    public init(_ value: [String]) { self = .array(value.map(JSONValue.string)) }
}

/// The one JSON encoding Taskport stores: compact, keys sorted, slashes unescaped.
public enum StoredJSON {
    /// One encoder for every write: making one per value costs more than the encoding of small values.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The stored text of `value`. Values that passed validation encode; anything else throws.
    public static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The stored text of `value` as UTF-8 bytes.
    public static func bytes(_ value: some Encodable) throws -> [UInt8] {
        Array(try encoder.encode(value))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    // Most tasks have no attachments and no metadata: their empty texts are written and read
    // without a JSON encoder or decoder (about 10,000 instructions each way).

    public static func encode(_ strings: [String]) throws -> String {
        strings.isEmpty ? "[]" : String(decoding: try encoder.encode(strings), as: UTF8.self)
    }

    public static func encode(_ object: JSONObject) throws -> String {
        if object.isEmpty { return "{}" }
        return try JSONValue.object(object).compactText ?? String(decoding: encoder.encode(object), as: UTF8.self)
    }

    /// A change's fields, as `JSONEncoder` writes `[FieldChange]`.
    public static func encode(_ changes: [FieldChange]) throws -> String {
        let value = JSONValue.array(changes.map { .object(["field": .string($0.field), "from": $0.from, "to": $0.to]) })
        return try value.compactText ?? String(decoding: encoder.encode(changes), as: UTF8.self)
    }

    public static func decode(_ type: [String].Type, from text: String) throws -> [String] {
        text == "[]" ? [] : try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    public static func decode(_ type: JSONObject.Type, from text: String) throws -> JSONObject {
        text == "{}" ? [:] : try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(nilLiteral: ()) { self = .null }
}
