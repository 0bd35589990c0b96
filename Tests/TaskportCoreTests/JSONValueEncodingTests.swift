import Foundation
import TaskportCore
import Testing

/// `JSONValue.encoding` gives what a trip through JSON text gives (`JSONEncoder`, then
/// `JSONDecoder` into a `JSONValue`), for every kind a rendering holds.
@Suite struct JSONValueEncodingTests {
    struct Assignee: Encodable {
        var type = "user"
        var id = UUID()
    }

    struct Shape: Encodable {
        enum CodingKeys: String, CodingKey {
            case id, title, notes, count, big, ratio, done, when, assignee, nobody, tags, matrix, metadata, empty, nested, url, more
        }

        var id = UUID()
        var title = "Call \"Acme\" / ünïcode ✓"
        var notes: String? = nil
        var count = -42
        var big: UInt64 = 1 << 40
        var ratio = 2.5
        var done = true
        var when = Timestamp(microseconds: 1_796_000_000_123_456)
        var assignee: Assignee? = Assignee()
        var nobody: Assignee? = nil
        var tags = ["a", "b"]
        var matrix = [[1, 2], [], [3]]
        var metadata: JSONObject = ["n": 1, "x": 1.5, "s": "t", "list": .array([true, nil]), "deep": .object(["k": .array(["v"])])]
        var empty: [String: Int] = [:]
        var nested = [["k": 1]]
        var url = URL(string: "https://files.example.com/a b.pdf")

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id.lowercasedText, forKey: .id)
            try container.encode(title, forKey: .title)
            try container.encode(notes, forKey: .notes)
            try container.encode(count, forKey: .count)
            try container.encode(big, forKey: .big)
            try container.encode(ratio, forKey: .ratio)
            try container.encode(done, forKey: .done)
            try container.encode(when, forKey: .when)
            try container.encode(assignee, forKey: .assignee)
            try container.encode(nobody, forKey: .nobody)
            try container.encode(tags, forKey: .tags)
            try container.encode(matrix, forKey: .matrix)
            try container.encode(metadata, forKey: .metadata)
            try container.encode(empty, forKey: .empty)
            try container.encode(nested, forKey: .nested)
            try container.encodeIfPresent(url, forKey: .url)
            var more = container.nestedUnkeyedContainer(forKey: .more)
            try more.encodeNil()
        }
    }

    @Test func anObjectIsWhatATripThroughTextGives() throws {
        let shape = Shape()
        let direct = try JSONValue.object(encoding: shape)
        let trip = try JSONDecoder().decode(JSONObject.self, from: JSONEncoder().encode(shape))
        #expect(direct == trip)
        #expect(direct["notes"] == .null)
        #expect(direct["nobody"] == .null)
        #expect(direct["empty"] == .object([:]))
        #expect(direct["more"] == .array([.null]))
        #expect(direct["big"] == .integer(1 << 40))
        #expect(direct["url"] == .string("https://files.example.com/a%20b.pdf"))
    }

    @Test func simpleValuesStandAlone() throws {
        #expect(try JSONValue.encoding("text") == .string("text"))
        #expect(try JSONValue.encoding(7) == .integer(7))
        #expect(try JSONValue.encoding(UInt64.max) == .number(Double(UInt64.max)))
        #expect(try JSONValue.encoding([String?]([nil, "x"])) == .array([.null, .string("x")]))
        #expect(throws: (any Error).self) { try JSONValue.object(encoding: [1, 2]) }
    }

    @Test func aNumberJSONCannotHoldIsRefusedAsJSONEncoderRefusesIt() {
        #expect(throws: EncodingError.self) { try JSONValue.encoding(["ratio": Double.nan]) }
        #expect(throws: EncodingError.self) { try JSONValue.encoding(Float.infinity) }
        #expect(throws: EncodingError.self) { try JSONEncoder().encode(["ratio": Double.nan]) }
    }

    /// The same members written through `ConcreteEncoding`'s calls and through the generic ones.
    struct Members: Encodable {
        let concrete: Bool
        let metadata: JSONObject = [
            "n": 1, "x": 1.5, "s": "t", "none": nil, "list": .array([true, nil, .array([]), .object(["k": "v"])]),
            "deep": .object(["k": .array(["v", 2])]),
        ]

        enum CodingKeys: String, CodingKey { case notes, due, done, count, tags, metadata, value }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            let notes: String? = nil
            let due: String? = "2026-12-06T10:00:00.000000Z"
            let done: Bool? = nil
            let count: Int64? = 3
            if concrete {
                try container.encodeOrNull(notes, forKey: .notes)
                try container.encodeOrNull(due, forKey: .due)
                try container.encodeOrNull(done, forKey: .done)
                try container.encodeOrNull(count, forKey: .count)
                try container.encode(strings: ["a", "b"], forKey: .tags)
                try container.encode(json: metadata, forKey: .metadata)
                try container.encode(json: .array([.integer(1), .null]), forKey: .value)
            } else {
                try container.encode(notes, forKey: .notes)
                try container.encode(due, forKey: .due)
                try container.encode(done, forKey: .done)
                try container.encode(count, forKey: .count)
                try container.encode(["a", "b"], forKey: .tags)
                try container.encode(metadata, forKey: .metadata)
                try container.encode(JSONValue.array([.integer(1), .null]), forKey: .value)
            }
        }
    }

    @Test func concreteCallsWriteWhatGenericOnesWrite() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let concrete = try encoder.encode(Members(concrete: true))
        #expect(concrete == (try encoder.encode(Members(concrete: false))))
        #expect(String(decoding: concrete, as: UTF8.self).contains(#""notes":null"#))
    }
}
