import Foundation

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
        var bytes = ByteWriter(capacity: 128)
        guard write(to: &bytes) else { return nil }
        return bytes.array()
    }

    func write(to bytes: inout ByteWriter) -> Bool {
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
/// written this way to the encoder's text. Nothing is sorted, hashed or built on the way: UUIDs and
/// timestamps are written straight into the text, not made into strings first.
public struct CompactJSONObject: ~Copyable {
    private var bytes: ByteWriter
    private var empty = true
    /// Set when a member holds what only the encoder writes (a fractional number).
    private var incomplete = false

    public init(capacity: Int = 1_024) {
        bytes = ByteWriter(capacity: capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// The object's text, or nil when a member holds what only the encoder writes.
    public consuming func finish() -> [UInt8]? {
        guard !incomplete else { return nil }
        bytes.append(UInt8(ascii: "}"))
        return bytes.array()
    }

    /// `name` must need no escaping: the shapes written this way name their members in ASCII letters.
    private mutating func key(_ name: StaticString) {
        name.withUTF8Buffer { name in
            let first = empty
            empty = false
            bytes.append(atMost: name.count + 4) { text in
                var at = 0
                if !first {
                    text[0] = UInt8(ascii: ",")
                    at = 1
                }
                text[at] = UInt8(ascii: "\"")
                if let start = name.baseAddress { (text + at + 1).initialize(from: start, count: name.count) }
                at += name.count + 1
                text[at] = UInt8(ascii: "\"")
                text[at + 1] = UInt8(ascii: ":")
                return at + 2
            }
        }
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

    /// `uuid` in lower case, as `UUID.lowercasedText` shows it, or `null` when there is none.
    public mutating func member(_ name: StaticString, uuid: UUID?) {
        key(name)
        guard let uuid else { return JSONText.appendNull(to: &bytes) }
        bytes.append(atMost: 38) { text in
            text[0] = UInt8(ascii: "\"")
            uuid.writeLowercased(to: text + 1)
            text[37] = UInt8(ascii: "\"")
            return 38
        }
    }

    /// `timestamp` as `rfc3339` shows it (`compact`: as `rfc3339Compact` does), or `null` when there is none.
    public mutating func member(_ name: StaticString, timestamp: Timestamp?, compact: Bool = false) {
        key(name)
        guard let timestamp else { return JSONText.appendNull(to: &bytes) }
        let digits = compact ? timestamp.compactFractionDigits : 6
        bytes.append(atMost: Timestamp.longestText + 2) { text in
            text[0] = UInt8(ascii: "\"")
            let length = timestamp.write(fractionDigits: digits, offsetSeconds: 0, to: text + 1)
            text[length + 1] = UInt8(ascii: "\"")
            return length + 2
        }
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
        written.withUnsafeBytes { bytes.append($0) }
    }

    /// JSON text written already (by another `CompactJSONObject`, say), under a name known only at run time.
    public mutating func member(_ name: String, written: [UInt8]) {
        key(name)
        written.withUnsafeBytes { bytes.append($0) }
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

    /// A nested object, its members written by `members` in the encoder's order, into the same text.
    public mutating func member(_ name: StaticString, object members: (inout CompactJSONObject) -> Void) {
        key(name)
        bytes.append(UInt8(ascii: "{"))
        empty = true
        members(&self)
        bytes.append(UInt8(ascii: "}"))
        empty = false
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

    static func appendNull(to bytes: inout ByteWriter) {
        bytes.append("null")
    }

    static func appendBool(_ value: Bool, to bytes: inout ByteWriter) {
        bytes.append(value ? "true" : "false")
    }

    /// `value` in decimal, as the encoder writes an integer.
    static func appendInteger(_ value: Int64, to bytes: inout ByteWriter) {
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
            bytes.append(UnsafeRawBufferPointer(rebasing: buffer[start...]))
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
    static func appendString(_ text: String, to bytes: inout ByteWriter) {
        var text = text
        text.withUTF8 { utf8 in
            if !needsEscaping(utf8) {
                bytes.append(atMost: utf8.count + 2) { written in
                    written[0] = UInt8(ascii: "\"")
                    if let start = utf8.baseAddress { (written + 1).initialize(from: start, count: utf8.count) }
                    written[utf8.count + 1] = UInt8(ascii: "\"")
                    return utf8.count + 2
                }
                return
            }
            bytes.append(UInt8(ascii: "\""))
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): bytes.append(#"\""#)
                case UInt8(ascii: "\\"): bytes.append(#"\\"#)
                case 0x08: bytes.append(#"\b"#)
                case 0x0C: bytes.append(#"\f"#)
                case 0x0A: bytes.append(#"\n"#)
                case 0x0D: bytes.append(#"\r"#)
                case 0x09: bytes.append(#"\t"#)
                case ..<0x20:
                    let digits = Hexadecimal.digits(byte)
                    bytes.append(#"\u00"#)
                    bytes.append(digits.high)
                    bytes.append(digits.low)
                default: bytes.append(byte)
                }
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }
}

/// Bytes written through a pointer into storage the writer owns, which doubles when it is full: the
/// text the compact writers build. Appending to an `[UInt8]` checks uniqueness and capacity for
/// every byte and copies every run of bytes through a generic path (about 90 instructions for a
/// member's name); here a run is one capacity check and one copy.
struct ByteWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deallocate()
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(toHold: count + 1) }
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ run: UnsafeRawBufferPointer) {
        guard let start = run.baseAddress, !run.isEmpty else { return }
        if count + run.count > capacity { grow(toHold: count + run.count) }
        UnsafeMutableRawPointer(base + count).copyMemory(from: start, byteCount: run.count)
        count += run.count
    }

    @inline(__always)
    mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { append(UnsafeRawBufferPointer($0)) }
    }

    /// Lets `write` put at most `limit` bytes at the end; it returns how many it wrote.
    @inline(__always)
    mutating func append(atMost limit: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Int) {
        if count + limit > capacity { grow(toHold: count + limit) }
        count += write(base + count)
    }

    @inline(never)
    private mutating func grow(toHold needed: Int) {
        let larger = max(needed, capacity * 2)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        moved.initialize(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = larger
    }

    /// The bytes written, as an array.
    consuming func array() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { array, initialized in
            if let start = array.baseAddress { start.initialize(from: base, count: count) }
            initialized = count
        }
    }

    /// The bytes written, as a string (they are UTF-8: every writer copies whole strings or ASCII).
    consuming func string() -> String {
        String(unsafeUninitializedCapacity: count) { text in
            if let start = text.baseAddress { start.initialize(from: base, count: count) }
            return count
        }
    }
}
