import Foundation

extension JSONValue {
    /// `value` as a JSON value, encoded straight into one: the value `JSONEncoder` would write
    /// and `JSONDecoder` read back as a `JSONValue`, without the text in between. The console's
    /// view of a task as each surface shows it, and the native record a PUT is compared with,
    /// are made this way.
    /// Throws, as `JSONEncoder` does, for a number JSON cannot hold (NaN, an infinity).
    public static func encoding(_ value: some Encodable) throws -> JSONValue {
        let root = ValueEncoder.Node()
        try ValueEncoder(node: root, parentPath: [], key: nil).encode(value)
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
/// becomes the value at the end. A member or item of a simple kind is stored as its value at
/// once; only objects and arrays get a node (and an encoder) of their own.
private struct ValueEncoder: Encoder {
    /// A member or item: a finished value, or an object or array under construction.
    enum Slot {
        case value(JSONValue)
        case node(Node)

        var value: JSONValue {
            switch self {
            case .value(let value): value
            case .node(let node): node.value
            }
        }
    }

    /// One value under construction.
    final class Node {
        enum Content {
            case empty
            case value(JSONValue)
            case object([String: Slot])
            case array([Slot])
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

        func set(_ slot: Slot, forKey key: String) {
            if case .object(var members) = content {
                content = .empty  // so that `members` is the only reference, changed in place
                members[key] = slot
                content = .object(members)
            } else {
                content = .object([key: slot])
            }
        }

        func append(_ slot: Slot) {
            if case .array(var items) = content {
                content = .empty
                items.append(slot)
                content = .array(items)
            } else {
                content = .array([slot])
            }
        }
    }

    /// The members a keyed container makes room for at once: a task record has up to about thirty.
    static let expectedMembers = 32

    let node: Node
    /// The coding path, kept in two parts so that it is put together only when asked for.
    let parentPath: [any CodingKey]
    let key: (any CodingKey)?
    var codingPath: [any CodingKey] { key.map { parentPath + [$0] } ?? parentPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        // Room for a task's members from the start: grown from empty, the table is rehashed five
        // times on the way to thirty members (about 13,000 instructions an object).
        if case .object = node.content {} else { node.content = .object(Dictionary(minimumCapacity: Self.expectedMembers)) }
        return KeyedEncodingContainer(Keyed<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.content {} else { node.content = .array([]) }
        return Unkeyed(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(encoder: self) }

    /// Writes `value` into this encoder's node: simple kinds directly, anything else through its
    /// own `encode(to:)`.
    func encode<Value: Encodable>(_ value: Value) throws {
        node.content = .value(try slot(value, key: nil).value)
    }

    /// `value` as a member or item: its value when it is of a simple kind, else a node it has
    /// encoded itself into.
    func slot<Value: Encodable>(_ value: Value, key: (any CodingKey)?) throws -> Slot {
        if let simple = try Self.simple(value, at: { codingPath + (key.map { [$0] } ?? []) }) { return .value(simple) }
        let child = ValueEncoder(node: Node(), parentPath: key == nil ? parentPath : codingPath, key: key ?? self.key)
        try value.encode(to: child)
        return .node(child.node)
    }

    /// The nested encoder for a container member or item.
    func nested(key: (any CodingKey)?) -> ValueEncoder {
        ValueEncoder(node: Node(), parentPath: codingPath, key: key)
    }

    /// A value of a simple kind, told apart by comparing types, not by casting: a failed cast
    /// costs more than the rest of the work.
    static func simple<Value: Encodable>(_ value: Value, at path: () -> [any CodingKey]) throws -> JSONValue? {
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

    static func number(_ value: Double, at path: () -> [any CodingKey]) throws -> JSONValue {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: path(), debugDescription: "\(value) is not a JSON number"))
        }
        return .number(value)
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: ValueEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        func set(_ value: JSONValue, _ key: Key) { encoder.node.set(.value(value), forKey: key.stringValue) }

        mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
        mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
        mutating func encode(_ value: Int, forKey key: Key) throws { set(.integer(Int64(value)), key) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { set(.integer(value), key) }
        mutating func encode(_ value: Double, forKey key: Key) throws {
            set(try ValueEncoder.number(value, at: { codingPath + [key] }), key)
        }

        mutating func encode(_ value: some Encodable, forKey key: Key) throws {
            encoder.node.set(try encoder.slot(value, key: key), forKey: key.stringValue)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let nested = encoder.nested(key: key)
            encoder.node.set(.node(nested.node), forKey: key.stringValue)
            return nested.container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let nested = encoder.nested(key: key)
            encoder.node.set(.node(nested.node), forKey: key.stringValue)
            return nested.unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder {
            let nested = encoder.nested(key: nil)
            encoder.node.set(.node(nested.node), forKey: "super")
            return nested
        }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            let nested = encoder.nested(key: key)
            encoder.node.set(.node(nested.node), forKey: key.stringValue)
            return nested
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let encoder: ValueEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }
        var count: Int {
            if case .array(let items) = encoder.node.content { items.count } else { 0 }
        }

        mutating func encodeNil() throws { encoder.node.append(.value(.null)) }
        mutating func encode(_ value: String) throws { encoder.node.append(.value(.string(value))) }
        mutating func encode(_ value: Bool) throws { encoder.node.append(.value(.bool(value))) }
        mutating func encode(_ value: Int64) throws { encoder.node.append(.value(.integer(value))) }
        mutating func encode(_ value: some Encodable) throws { encoder.node.append(try encoder.slot(value, key: nil)) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let nested = encoder.nested(key: nil)
            encoder.node.append(.node(nested.node))
            return nested.container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let nested = encoder.nested(key: nil)
            encoder.node.append(.node(nested.node))
            return nested.unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder {
            let nested = encoder.nested(key: nil)
            encoder.node.append(.node(nested.node))
            return nested
        }
    }

    struct Single: SingleValueEncodingContainer {
        let encoder: ValueEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        mutating func encodeNil() throws { encoder.node.content = .value(.null) }
        mutating func encode(_ value: some Encodable) throws { try encoder.encode(value) }
    }
}
