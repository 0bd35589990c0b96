import Foundation

/// Encoding calls that reach an encoder's own method for the value's kind. `JSONEncoder` sends a
/// value whose type reaches it as a generic parameter (an `Optional`, a `Timestamp`, a
/// `JSONValue`) through casts and a nested encoder of its own, several thousand instructions a
/// member; a `String`, `Bool` or `Int64` it writes directly. A task's rendering has thirty members,
/// most of them optional, and is written for every answer.
extension KeyedEncodingContainer {
    /// `value`, or `null` when there is none.
    public mutating func encodeOrNull(_ value: String?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    /// `value`, or `null` when there is none.
    public mutating func encodeOrNull(_ value: Bool?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    /// `value`, or `null` when there is none.
    public mutating func encodeOrNull(_ value: Int64?, forKey key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    /// `strings` as an array.
    public mutating func encode(strings: [String], forKey key: Key) throws {
        var array = nestedUnkeyedContainer(forKey: key)
        for string in strings { try array.encode(string) }
    }

    /// `value` with every member and item written by its kind's own method.
    public mutating func encode(json value: JSONValue, forKey key: Key) throws {
        switch value {
        case .null: try encodeNil(forKey: key)
        case .bool(let bool): try encode(bool, forKey: key)
        case .integer(let integer): try encode(integer, forKey: key)
        case .number(let number): try encode(number, forKey: key)
        case .string(let string): try encode(string, forKey: key)
        case .array(let items):
            var array = nestedUnkeyedContainer(forKey: key)
            for item in items { try array.encode(json: item) }
        case .object(let members):
            try encode(json: members, forKey: key)
        }
    }

    /// `object` with every member written by its kind's own method.
    public mutating func encode(json object: JSONObject, forKey key: Key) throws {
        var members = nestedContainer(keyedBy: JSONMemberKey.self, forKey: key)
        for (name, value) in object { try members.encode(json: value, forKey: JSONMemberKey(name)) }
    }
}

extension UnkeyedEncodingContainer {
    mutating func encode(json value: JSONValue) throws {
        switch value {
        case .null: try encodeNil()
        case .bool(let bool): try encode(bool)
        case .integer(let integer): try encode(integer)
        case .number(let number): try encode(number)
        case .string(let string): try encode(string)
        case .array(let items):
            var array = nestedUnkeyedContainer()
            for item in items { try array.encode(json: item) }
        case .object(let object):
            var members = nestedContainer(keyedBy: JSONMemberKey.self)
            for (name, value) in object { try members.encode(json: value, forKey: JSONMemberKey(name)) }
        }
    }
}

/// Any member name of a JSON object.
public struct JSONMemberKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }

    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}
