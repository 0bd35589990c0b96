import Foundation
import Testing

@testable import TaskportCore

/// `compactText` writes exactly what `JSONEncoder` with `StoredJSON`'s options writes.
@Suite struct CompactJSONTests {
    static func encoded(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static let texts: [String] = {
        var texts = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }
        texts += ["", "plain", "a/b", "\"quoted\"", "back\\slash", "\u{7F}", "\u{2028}\u{2029}", "é", "e\u{301}", "日本語", "\u{1F600}", "tab\there\nnew"]
        return texts
    }()

    @Test func everyStringAndKeyIsWrittenAsTheEncoderWritesIt() throws {
        for text in Self.texts {
            let value = JSONValue.object([text: .string(text), "k": .array([.string(text)])])
            #expect(value.compactText == (try Self.encoded(value)), "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func integersAreWrittenInDecimal() {
        var values: [Int64] = [0, 1, -1, 9, 10, -10, 99, 100, Int64.max, Int64.min, Int64.max - 1, Int64.min + 1]
        for power in 0..<19 { values += [Int64(pow(10, Double(power))), -Int64(pow(10, Double(power))) + 1] }
        for value in values {
            var bytes = ByteWriter(capacity: 0)
            JSONText.appendInteger(value, to: &bytes)
            #expect(bytes.string() == String(value))
        }
    }

    /// The writer keeps every byte through each time it grows, whichever way they are written.
    @Test func theWriterKeepsEveryByteAsItGrows() {
        var expected: [UInt8] = []
        var writer = ByteWriter(capacity: 1)
        var generator = PlainJSONTests.Generator(state: 7)
        for round in 0..<2_000 {
            let run = (0..<Int(generator.next() % 40)).map { UInt8(truncatingIfNeeded: $0 &+ round) }
            switch round % 3 {
            case 0:
                run.forEach { writer.append($0) }
            case 1:
                run.withUnsafeBytes { writer.append($0) }
            default:
                writer.append(atMost: run.count + 8) { start in
                    run.withUnsafeBufferPointer { if let base = $0.baseAddress { start.initialize(from: base, count: run.count) } }
                    return run.count
                }
            }
            expected += run
        }
        #expect(writer.count == expected.count)
        #expect(writer.array() == expected)
    }

    /// The word-at-a-time check finds a byte to escape wherever it stands, and nothing else.
    @Test func aByteToEscapeIsFoundAtEveryPosition() {
        func naive(_ bytes: [UInt8]) -> Bool { bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C } }
        for length in 0...19 {
            for position in 0..<max(length, 1) {
                for byte in UInt8.min...UInt8.max {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    if length > 0 { bytes[position] = byte }
                    // Neighbours that a borrow between bytes could confuse: 0x80 and above, 0x20, 0x21, 0x23, 0x5B, 0x5D.
                    if length > 1 { bytes[(position + 1) % length] = [0x80, 0x20, 0x21, 0x23, 0x5B, 0x5D, 0xFF][Int(byte) % 7] }
                    #expect(bytes.withUnsafeBufferPointer(JSONText.needsEscaping) == naive(bytes), "\(bytes)")
                }
            }
        }
    }

    @Test func namesAreOrderedByTheirUTF8Bytes() {
        let names = Self.texts + ["a", "aa", "ab", "B", "b", "_", "é", "e", "z\u{0}", "z", "\u{FFFF}", "\u{10000}", String(repeating: "k", count: 40)]
        for a in names {
            for b in names {
                #expect(JSONText.precedes(a, b) == a.utf8.lexicographicallyPrecedes(b.utf8), "\(Array(a.utf8)) \(Array(b.utf8))")
            }
        }
    }

    @Test func nestedValuesAndMemberOrder() throws {
        let value: JSONValue = .object([
            "b": .integer(Int64.max), "B": .integer(Int64.min), "a": .null, "_": .bool(true), "é": .bool(false), "Z": .array([]),
            "aa": .object([:]), "a\u{0}": .string("nul"), "nested": .array([.object(["y": .integer(0), "x": .array([.null, .integer(-1)])])]),
        ])
        #expect(value.compactText == (try Self.encoded(value)))
        #expect(JSONValue.array([]).compactText == "[]")
    }

    @Test func aFractionalNumberIsLeftToTheEncoder() throws {
        #expect(JSONValue.object(["n": .number(1.5)]).compactText == nil)
        let stored = try StoredJSON.encode(["n": .number(1.5), "s": .string("x")] as JSONObject)
        #expect(stored == (try Self.encoded(.object(["n": .number(1.5), "s": .string("x")]))))
    }

    @Test func changesAreStoredAsTheEncoderStoresThem() throws {
        let changes = [
            FieldChange(field: "notes", from: .null, to: .string("line\nbreak / \"q\"")),
            FieldChange(field: "metadata", from: .object(["b": 1, "a": .array([true])]), to: .object([:])),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(try StoredJSON.encode(changes) == String(decoding: try encoder.encode(changes), as: UTF8.self))
        #expect(try StoredJSON.decode([FieldChange].self, from: StoredJSON.encode(changes)) == changes)
    }
}
