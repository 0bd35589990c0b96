import Foundation

extension JSONValue {
    /// `value` as a JSON value, encoded straight into one: the value `JSONEncoder` would write
    /// and `JSONDecoder` read back as a `JSONValue`, without the text in between. A surface's
    /// rendering of a task shown inside another's (Rollout's `original`) is made this way.
    /// Throws, as `JSONEncoder` does, for a number JSON cannot hold (NaN, an infinity).
    public static func encoding(_ value: some Encodable) throws -> JSONValue {
        let root = ValueEncoder.Node()
        try ValueEncoder(node: root, codingPath: []).encode(value)
        return root.value
    }

    /// `value`, which encodes as a JSON object, as that object.
    public static func object(encoding value: some Encodable) throws -> JSONObject {
        guard case .object(let object) = try encoding(value) else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "\(type(of: value)) does not encode as an object"))
        }
        return object
    }
}

/// The `Encoder` behind `JSONValue.encoding`: each container writes into a node of a tree that
/// becomes the value at the end.
private struct ValueEncoder: Encoder {
    /// One value under construction.
    final class Node {
        enum Content {
            case empty
            case value(JSONValue)
            case object([String: Node])
            case array([Node])
        }

        var content = Content.empty

        var value: JSONValue {
            switch content {
            case .empty: .object([:])
            case .value(let value): value
            case .object(let members): .object(members.mapValues(\.value))
            case .array(let items): .array(items.map(\.value))
            }
        }

        func member(_ key: String) -> Node {
            let node = Node()
            if case .object(var members) = content {
                content = .empty
                members[key] = node
                content = .object(members)
            } else {
                content = .object([key: node])
            }
            return node
        }

        func append() -> Node {
            let node = Node()
            if case .array(var items) = content {
                content = .empty
                items.append(node)
                content = .array(items)
            } else {
                content = .array([node])
            }
            return node
        }
    }

    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.content {} else { node.content = .object([:]) }
        return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.content {} else { node.content = .array([]) }
        return Unkeyed(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(encoder: self) }

    /// Writes `value` into this encoder's node: simple kinds directly, anything else through its
    /// own `encode(to:)`. Kinds are told apart by comparing types, not by casting (a failed cast
    /// costs more than the rest of the work).
    func encode<Value: Encodable>(_ value: Value) throws {
        if let simple = try Self.simple(value, at: codingPath) {
            node.content = .value(simple)
        } else {
            try value.encode(to: self)
        }
    }

    static func simple<Value: Encodable>(_ value: Value, at path: [any CodingKey]) throws -> JSONValue? {
        /// `value` as `Kind` when that is its type: a comparison, and a cast only where it succeeds.
        func exactly<Kind>(_ kind: Kind.Type) -> Kind? { Value.self == kind ? value as? Kind : nil }
        if let string = exactly(String.self) { return .string(string) }
        if let bool = exactly(Bool.self) { return .bool(bool) }
        if let int = exactly(Int.self) { return .integer(Int64(int)) }
        if let int = exactly(Int64.self) { return .integer(int) }
        if let json = exactly(JSONValue.self) { return json }
        if let double = exactly(Double.self) { return try number(double, at: path) }
        if let int = exactly(Int32.self) { return .integer(Int64(int)) }
        if let int = exactly(Int16.self) { return .integer(Int64(int)) }
        if let int = exactly(Int8.self) { return .integer(Int64(int)) }
        if let int = exactly(UInt32.self) { return .integer(Int64(int)) }
        if let int = exactly(UInt16.self) { return .integer(Int64(int)) }
        if let int = exactly(UInt8.self) { return .integer(Int64(int)) }
        if let int = exactly(UInt.self) { return Int64(exactly: int).map(JSONValue.integer) ?? .number(Double(int)) }
        if let int = exactly(UInt64.self) { return Int64(exactly: int).map(JSONValue.integer) ?? .number(Double(int)) }
        if let float = exactly(Float.self) { return try number(Double(float), at: path) }
        if let url = exactly(URL.self) { return .string(url.absoluteString) }
        return nil
    }

    static func number(_ value: Double, at path: [any CodingKey]) throws -> JSONValue {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: path, debugDescription: "\(value) is not a JSON number"))
        }
        return .number(value)
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        let codingPath: [any CodingKey]

        func child(_ key: Key) -> ValueEncoder {
            ValueEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key])
        }

        mutating func encodeNil(forKey key: Key) throws { child(key).node.content = .value(.null) }
        mutating func encode(_ value: some Encodable, forKey key: Key) throws { try child(key).encode(value) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            child(key).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { child(key).unkeyedContainer() }
        mutating func superEncoder() -> any Encoder { ValueEncoder(node: node.member("super"), codingPath: codingPath) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { child(key) }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        let codingPath: [any CodingKey]
        var count: Int {
            if case .array(let items) = node.content { items.count } else { 0 }
        }

        func child() -> ValueEncoder { ValueEncoder(node: node.append(), codingPath: codingPath) }

        mutating func encodeNil() throws { child().node.content = .value(.null) }
        mutating func encode(_ value: some Encodable) throws { try child().encode(value) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            child().container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { child().unkeyedContainer() }
        mutating func superEncoder() -> any Encoder { child() }
    }

    struct Single: SingleValueEncodingContainer {
        let encoder: ValueEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        mutating func encodeNil() throws { encoder.node.content = .value(.null) }
        mutating func encode(_ value: some Encodable) throws { try encoder.encode(value) }
    }
}
