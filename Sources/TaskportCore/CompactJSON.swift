extension JSONValue {
    /// The compact JSON text of this value, byte for byte what `StoredJSON`'s encoder writes
    /// (members sorted by their UTF-8 bytes, `/` left as it is), or nil when the value holds a
    /// fractional number, whose text only the encoder writes. Every write stores a task's changes
    /// as JSON: through `JSONEncoder` that cost about 35,000 instructions.
    public var compactText: String? {
        compactBytes.map { String(decoding: $0, as: UTF8.self) }
    }

    /// `compactText` as UTF-8 bytes.
    public var compactBytes: [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        guard write(to: &bytes) else { return nil }
        return bytes
    }

    func write(to bytes: inout [UInt8]) -> Bool {
        switch self {
        case .null: JSONText.appendNull(to: &bytes)
        case .bool(let value): JSONText.appendBool(value, to: &bytes)
        case .integer(let value): JSONText.appendInteger(value, to: &bytes)
        case .number: return false
        case .string(let text): JSONText.appendString(text, to: &bytes)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                guard item.write(to: &bytes) else { return false }
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            let sorted = members.sorted { JSONText.precedes($0.key, $1.key) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                JSONText.appendString(member.key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                guard member.value.write(to: &bytes) else { return false }
            }
            bytes.append(UInt8(ascii: "}"))
        }
        return true
    }
}

/// One JSON object written member by member as compact bytes, as `JSONEncoder` with `StoredJSON`'s
/// options writes it, for a shape whose members are known in advance. The encoder sorts members
/// by their names' UTF-8 bytes; the caller gives them in that order, and a test holds each shape
/// written this way to the encoder's text. Nothing is sorted, hashed or built on the way.
public struct CompactJSONObject {
    private var bytes: [UInt8]
    private var empty = true
    /// Set when a member holds what only the encoder writes (a fractional number).
    private var incomplete = false

    public init(capacity: Int = 1_024) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// The object's text, or nil when a member holds what only the encoder writes.
    public consuming func finish() -> [UInt8]? {
        guard !incomplete else { return nil }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// `name` must need no escaping: the shapes written this way name their members in ASCII letters.
    private mutating func key(_ name: StaticString) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// `value`, or `null` when there is none.
    public mutating func member(_ name: StaticString, _ value: String?) {
        key(name)
        if let value { JSONText.appendString(value, to: &bytes) } else { JSONText.appendNull(to: &bytes) }
    }

    public mutating func member(_ name: StaticString, _ value: Int64) {
        key(name)
        JSONText.appendInteger(value, to: &bytes)
    }

    public mutating func member(_ name: StaticString, _ value: Bool) {
        key(name)
        JSONText.appendBool(value, to: &bytes)
    }

    /// `strings` as an array.
    public mutating func member(_ name: StaticString, strings: [String]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, string) in strings.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONText.appendString(string, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// `object` with its members sorted, as the encoder sorts them.
    public mutating func member(_ name: StaticString, json object: JSONObject) {
        key(name)
        if !JSONValue.object(object).write(to: &bytes) { incomplete = true }
    }

    /// `value`, under a name known only at run time (escaped as the encoder escapes it).
    public mutating func member(_ name: String, json value: JSONValue) {
        key(name)
        if !value.write(to: &bytes) { incomplete = true }
    }

    /// JSON text written already (by another `CompactJSONObject`, say).
    public mutating func member(_ name: StaticString, written: [UInt8]) {
        key(name)
        bytes.append(contentsOf: written)
    }

    /// JSON text written already (by another `CompactJSONObject`, say), under a name known only at run time.
    public mutating func member(_ name: String, written: [UInt8]) {
        key(name)
        bytes.append(contentsOf: written)
    }

    /// Whether the member named `a` comes before the one named `b` in the encoder's order.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        JSONText.precedes(a, b)
    }

    private mutating func key(_ name: String) {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
        JSONText.appendString(name, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    /// A nested object, its members written by `members` in the encoder's order.
    public mutating func member(_ name: StaticString, object members: (inout CompactJSONObject) -> Void) {
        key(name)
        var nested = CompactJSONObject(capacity: 128)
        members(&nested)
        guard let text = nested.finish() else {
            incomplete = true
            return
        }
        bytes.append(contentsOf: text)
    }
}

/// A shape that writes its own JSON as `CompactJSONObject` does: byte for byte what the encoder
/// writes for it, or nil when only the encoder can.
public protocol CompactJSONWriting {
    func compactJSON() -> [UInt8]?
}

/// JSON text written as bytes, shared by the compact writer and the journal's headers.
enum JSONText {
    /// Whether `a`'s UTF-8 bytes sort before `b`'s, the order `JSONEncoder`'s `.sortedKeys` writes
    /// members in. The same as `a.utf8.lexicographicallyPrecedes(b.utf8)`, which walks each view
    /// through its generic iterator: about 150 instructions a comparison of two short names, and
    /// an object of n members takes about n²/4 comparisons.
    @inline(__always)
    static func precedes(_ a: String, _ b: String) -> Bool {
        let compared = a.utf8.withContiguousStorageIfAvailable { a in
            b.utf8.withContiguousStorageIfAvailable { b in
                for index in 0..<min(a.count, b.count) where a[index] != b[index] {
                    return a[index] < b[index]
                }
                return a.count < b.count
            }
        }
        if let compared, let compared { return compared }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    static func appendNull(to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "n"))
        bytes.append(UInt8(ascii: "u"))
        bytes.append(UInt8(ascii: "l"))
        bytes.append(UInt8(ascii: "l"))
    }

    static func appendBool(_ value: Bool, to bytes: inout [UInt8]) {
        if value {
            bytes.append(UInt8(ascii: "t"))
            bytes.append(UInt8(ascii: "r"))
            bytes.append(UInt8(ascii: "u"))
            bytes.append(UInt8(ascii: "e"))
        } else {
            bytes.append(UInt8(ascii: "f"))
            bytes.append(UInt8(ascii: "a"))
            bytes.append(UInt8(ascii: "l"))
            bytes.append(UInt8(ascii: "s"))
            bytes.append(UInt8(ascii: "e"))
        }
    }

    /// `value` in decimal, as the encoder writes an integer.
    static func appendInteger(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        // At most 20 digits, written from the end of 24 bytes.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[start...]))
        }
    }

    /// Whether any byte of `utf8` is one `appendString` escapes: a control character, a quote or a
    /// backslash. Eight bytes at a time: for each byte of a word, `(b - n) & ~b & 0x80` is set for
    /// some byte exactly when some byte is below `n` (n ≤ 0x80), and a byte equal to `c` is one
    /// that `b ^ c` makes zero, which is below 1.
    @inline(__always)
    static func needsEscaping(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = utf8.baseAddress else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func below(_ word: UInt64, _ bound: UInt64) -> UInt64 { (word &- ones &* bound) & ~word & highs }
        var index = 0
        while index + 8 <= utf8.count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self))
            if below(word, 0x20) | below(word ^ (ones &* 0x22), 1) | below(word ^ (ones &* 0x5C), 1) != 0 { return true }
            index += 8
        }
        while index < utf8.count {
            let byte = utf8[index]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return true }
            index += 1
        }
        return false
    }

    /// `text` as a JSON string, escaped as `JSONEncoder` escapes it: quotes, backslashes and
    /// control characters (`\b`, `\f`, `\n`, `\r`, `\t`, else `\u00XX`); every other byte of its
    /// UTF-8 as it is, `/` included. A text with nothing to escape is copied whole.
    static func appendString(_ text: String, to bytes: inout [UInt8]) {
        var text = text
        text.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            if !needsEscaping(utf8) {
                bytes.append(contentsOf: utf8)
            } else {
                for byte in utf8 {
                    switch byte {
                    case UInt8(ascii: "\""): bytes.append(contentsOf: #"\""#.utf8)
                    case UInt8(ascii: "\\"): bytes.append(contentsOf: #"\\"#.utf8)
                    case 0x08: bytes.append(contentsOf: #"\b"#.utf8)
                    case 0x0C: bytes.append(contentsOf: #"\f"#.utf8)
                    case 0x0A: bytes.append(contentsOf: #"\n"#.utf8)
                    case 0x0D: bytes.append(contentsOf: #"\r"#.utf8)
                    case 0x09: bytes.append(contentsOf: #"\t"#.utf8)
                    case ..<0x20:
                        let digits = Hexadecimal.digits(byte)
                        bytes.append(contentsOf: #"\u00"#.utf8)
                        bytes.append(digits.high)
                        bytes.append(digits.low)
                    default: bytes.append(byte)
                    }
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }
}
