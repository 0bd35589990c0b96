import Foundation
import TaskportCore
import TaskportHTTP
import Testing

@Suite struct StrictJSONTests {
    func problem(_ text: String) -> StrictJSON.Problem? {
        do {
            try StrictJSON.check(Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    func problem(bytes: [UInt8]) -> StrictJSON.Problem? {
        do {
            try StrictJSON.check(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        #"{}"#, #"[]"#, #"0"#, #"-0.5e+10"#, #"true"#, #"null"#, #" {"a": [1, 2.5, -3E2, "x", false, null, {}]} "#,
        #"{"a":"\u00e9\ud83d\ude00\n\"\\\/"}"#, "{\"é\": \"ünïcødé ✓ 😀\"}", #"{"a":{"a":{"a":1}}}"#,
    ])
    func acceptsRFC8259(_ text: String) {
        #expect(problem(text) == nil, "\(text)")
    }

    @Test(arguments: [
        #"{"a":1,}"#, #"[1,2,]"#, #"{"a":1 // note"#, #"{'a':1}"#, #"[NaN]"#, #"[Infinity]"#, #"[01]"#, #"[1.]"#,
        #"[.5]"#, #"[+1]"#, #"[1e]"#, #"{"a" 1}"#, #"{a:1}"#, #"[tru]"#, #"{"a":"\x"}"#, #"{"a":"\u12"}"#,
        "{\"a\":\"tab\there\"}", #"{"a":1}{"b":2}"#, #"{"a":1"#, #"["#, "", " ", #""open"#, #"[1 2]"#,
    ])
    func refusesWhatRFC8259Does(_ text: String) {
        #expect(problem(text) != nil, "\(text)")
    }

    @Test func refusesADuplicateMemberAnywhere() throws {
        let top = try #require(problem(#"{"title":"a","title":"b"}"#))
        #expect(top.path == "body")
        #expect(top.message.contains("\"title\" twice"))
        let nested = try #require(problem(#"{"metadata":{"list":[{"k":1,"k":2}]}}"#))
        #expect(nested.path == "metadata.list[0]")
        // The same name spelled with an escape is the same member.
        #expect(problem(#"{"a":1,"\u0061":2}"#) != nil)
        #expect(problem(#"{"a":{"b":1},"b":{"a":1}}"#) == nil)
    }

    @Test func refusesInvalidUTF8AndLoneSurrogates() {
        #expect(problem(bytes: Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8)) != nil)
        #expect(problem(bytes: Array(#"{"a":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8)) != nil, "overlong form")
        #expect(problem(bytes: Array(#"{"a":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8)) != nil, "encoded surrogate")
        #expect(problem(bytes: Array(#"{"a":""#.utf8) + [0xE2, 0x82] + Array(#""}"#.utf8)) != nil, "cut sequence")
        #expect(problem(#"{"a":"\ud83d"}"#) != nil)
        #expect(problem(#"{"a":"\ude00"}"#) != nil)
        #expect(problem(#"{"a":"\ud83d\u0041"}"#) != nil)
    }

    @Test func limitsDepthMembersAndElements() throws {
        let deepest = String(repeating: "[", count: JSONLimits.depth) + String(repeating: "]", count: JSONLimits.depth)
        #expect(problem(deepest) == nil)
        let tooDeep = "[" + deepest + "]"
        #expect(try #require(problem(tooDeep)).message.contains("nested deeper than \(JSONLimits.depth)"))
        // Far past any decoder's own limit: refused, not crashed on.
        #expect(problem(String(repeating: #"{"a":"#, count: 2_000)) != nil)
        let members = (0..<JSONLimits.members).map { #""m\#($0)":0"# }.joined(separator: ",")
        #expect(problem("{\(members)}") == nil)
        #expect(problem("{\(members),\"extra\":0}") != nil)
        let elements = Array(repeating: "0", count: JSONLimits.elements).joined(separator: ",")
        #expect(problem("[\(elements)]") == nil)
        #expect(problem("[\(elements),0]") != nil)
    }
}
