import Foundation
import Testing

import TaskportCore

/// `JSONValue(plainJSON:)` reads what `JSONDecoder` reads as a `JSONValue`, wherever it reads
/// anything; and it leaves to the decoder every text outside the plain form.
@Suite struct PlainJSONTests {
    static func plain(_ text: String) -> JSONValue? {
        Array(text.utf8).withUnsafeBufferPointer { JSONValue(plainJSON: $0) }
    }

    static func decoded(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// Texts in the plain form, read the same by both.
    static let plainTexts: [String] = {
        var texts = [
            "{}", "[]", "0", "-0", "7", "-7", "9223372036854775807", "-9223372036854775808", "true", "false", "null", "\"\"",
            #"{"Id":12,"BusinessId":1,"CoworkerId":1,"ResponsibleId":1,"Name":"Bench 12345"}"#,
            " \t\r\n{ \"a\" : [ 1 , -2 , true , false , null , \"x\" , { } , [ ] ] }\n",
            #"{"nested":{"deeper":{"deepest":[[[["bottom"]]]]}},"list":[{"a":1},{"b":[2,3]}]}"#,
            #""\"\\\/\b\f\n\r\t""#, #""\u0000\u001f\u0020\u007F\u00e9\u00E9\u2028\uFFFF""#, #""\ud83d\ude00 and \uD834\uDD1E""#,
            "\"é 日本語 \u{1F600}\"", #"{"é":"e\u0301","e":1}"#, #"{"a/b":"c\/d"}"#,
            #"{"Name":"quote \" and backslash \\ inside"}"#, #"["trailing escape \\"]"#,
        ]
        // Every ASCII character but the quote and backslash, as it is and escaped.
        for byte in 0x20...0x7E where byte != 0x22 && byte != 0x5C {
            texts.append("\"\(Character(Unicode.Scalar(UInt8(byte))))\"")
            texts.append(String(format: "\"\\u%04x\"", byte))
        }
        texts.append(String(repeating: "[", count: JSONValue.plainDepth) + String(repeating: "]", count: JSONValue.plainDepth))
        return texts
    }()

    @Test func plainTextsAreReadAsTheDecoderReadsThem() throws {
        for text in Self.plainTexts {
            let plain = try #require(Self.plain(text), "\(text)")
            #expect(plain == Self.decoded(text), "\(text)")
        }
    }

    /// Texts outside the plain form: numbers with fractions or exponents or past `Int64`, invalid
    /// JSON, a member named twice, lone surrogates, invalid UTF-8, nesting past the limit.
    static let otherTexts: [[UInt8]] = {
        var texts = [
            "1.0", "1e2", "1E2", "-1.5", "9223372036854775808", "-9223372036854775809", "99999999999999999999", "01", "-", "+1", ".5",
            "", " ", "{", "[", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\":1 \"b\":2}", "{a:1}", "'a'", "tru", "nul", "True",
            "{\"a\":1,\"a\":2}", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\x41\"", "\"\\u12\"", "\"\\u12g4\"", "\"unterminated",
            "\"tab\tinside\"", "\"new\nline\"", "1 2", "{} {}", "NaN", "Infinity", "[1.5]", "{\"n\":2.5}",
        ].map { Array($0.utf8) }
        texts.append([0x22, 0xFF, 0x22])
        texts.append([0x22, 0xC3, 0x22])
        texts.append([0x22, 0xED, 0xA0, 0x80, 0x22])
        texts.append(Array((String(repeating: "[", count: JSONValue.plainDepth + 1) + String(repeating: "]", count: JSONValue.plainDepth + 1)).utf8))
        return texts
    }()

    @Test func everyOtherTextIsLeftToTheDecoder() {
        for text in Self.otherTexts {
            #expect(text.withUnsafeBufferPointer { JSONValue(plainJSON: $0) } == nil, "\(String(decoding: text, as: UTF8.self))")
        }
    }

    /// A fixed sequence of pseudo-random numbers, so that every run reads the same texts.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 29)
        }
    }

    static func randomValue(_ random: inout Generator, depth: Int) -> String {
        let pieces = ["0", "-1", "42", "9223372036854775807", "1.5", "1e3", "true", "false", "null", "\"a\"", #""\u00e9\n""#, #""\ud83d\ude00""#]
        switch Int.random(in: 0..<(depth > 3 ? 1 : 4), using: &random) {
        case 0: return pieces.randomElement(using: &random) ?? "0"
        case 1: return "[" + (0..<Int.random(in: 0...3, using: &random)).map { _ in randomValue(&random, depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            let members = (0..<Int.random(in: 0...3, using: &random)).map { index in
                "\"k\(index)\":" + randomValue(&random, depth: depth + 1)
            }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    /// Texts built at random and then damaged a byte at a time: the reader never traps, and where
    /// it reads a value, the decoder reads the same one.
    @Test func randomAndDamagedTextsAreReadAsTheDecoderReadsThemOrLeftToIt() {
        var random = Generator(state: 18)
        var read = 0
        for _ in 0..<3_000 {
            var bytes = Array(Self.randomValue(&random, depth: 0).utf8)
            for _ in 0..<Int.random(in: 0...2, using: &random) where !bytes.isEmpty {
                let position = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.remove(at: position)
                default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: position)
                }
            }
            guard let plain = bytes.withUnsafeBufferPointer({ JSONValue(plainJSON: $0) }) else { continue }
            read += 1
            #expect(plain == (try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))), "\(String(decoding: bytes, as: UTF8.self))")
        }
        // Most texts stay plain; the check above is not vacuous.
        #expect(read > 500)
    }

    /// Strings with every kind of character, written by the encoder and read back both ways.
    @Test func encodedStringsAreReadAsTheDecoderReadsThem() throws {
        var strings = (0..<0x80).map { String(Unicode.Scalar(UInt8($0))) }
        strings += ["é", "e\u{301}", "日本語", "\u{1F600}", "\u{FEFF}", "\u{10FFFF}", "a\u{0}b", String(repeating: "long ", count: 500)]
        let encoder = JSONEncoder()
        for string in strings {
            let text = String(decoding: try encoder.encode(JSONValue.object([string: .array([.string(string), .integer(-1)])])), as: UTF8.self)
            let plain = try #require(Self.plain(text), "\(text)")
            #expect(plain == Self.decoded(text), "\(text)")
        }
    }
}
