import Foundation
import Synchronization
import Testing

@testable import TaskportCore

@Suite struct TimestampTests {
    @Test func formatsUTCWithMicroseconds() {
        #expect(Timestamp(microseconds: 0).rfc3339 == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(microseconds: 1_795_425_678_123_456).rfc3339 == "2026-11-23T09:21:18.123456Z")
        #expect(Timestamp(microseconds: -1).rfc3339 == "1969-12-31T23:59:59.999999Z")
        #expect(Timestamp(microseconds: 951_782_400_000_000).formatted(fractionDigits: 0) == "2000-02-29T00:00:00Z")
        #expect(Timestamp(microseconds: 1_500).formatted(fractionDigits: 3, offsetSeconds: -5 * 3600) == "1969-12-31T19:00:00.001-05:00")
        #expect(Timestamp(microseconds: 1_500).formatted(fractionDigits: 6, offsetSeconds: 5 * 3600 + 45 * 60) == "1970-01-01T05:45:00.001500+05:45")
    }

    /// Milliseconds are the first three of the six fractional digits, whatever the fraction.
    @Test(arguments: [0, 1, 999, 1_000, 9_999, 10_000, 123_456, 987_654, 999_999] as [Int64])
    func millisecondsAreTheFirstThreeFractionalDigits(fraction: Int64) {
        let time = Timestamp(microseconds: 1_795_425_678_000_000 + fraction)
        #expect(time.formatted(fractionDigits: 3) == String(time.rfc3339.dropLast(4)) + "Z")
    }

    /// Every second-resolution text agrees with Foundation's ISO 8601 format, and reads back, over
    /// three centuries stepped by an odd number of seconds; years outside 0…9999 still format.
    @Test func formatsAsFoundationDoesAndReadsBack() {
        for seconds in stride(from: Int64(-2_208_988_800), to: 7_258_118_400, by: 7_777_777) {
            let time = Timestamp(microseconds: seconds * 1_000_000 + 123_456)
            #expect(time.formatted(fractionDigits: 0) == Date(timeIntervalSince1970: TimeInterval(seconds)).ISO8601Format())
            #expect(Timestamp(rfc3339: time.rfc3339) == time)
        }
        #expect(Timestamp(microseconds: 253_402_300_800_000_000).formatted(fractionDigits: 0) == "10000-01-01T00:00:00Z")
    }

    @Test(arguments: [
        ("2026-11-23T09:21:18.123456Z", Int64(1_795_425_678_123_456)),
        ("2026-11-23T09:21:18.1234569Z", 1_795_425_678_123_456),
        ("2026-11-23T10:21:18.5+01:00", 1_795_425_678_500_000),
        ("2026-11-23t09:21:18z", 1_795_425_678_000_000),
        ("2024-02-29T00:00:00-00:30", 1_709_166_600_000_000),
    ])
    func parsesRFC3339(_ text: String, _ micros: Int64) {
        #expect(Timestamp(rfc3339: text)?.microseconds == micros)
    }

    @Test(arguments: [
        "", "2026-11-24", "2026-11-24T09:21Z", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-11-24T24:00:00Z", "2026-11-23T09:21:18", "2026-11-23T09:21:18.Z", "2026-11-23T09:21:18+0100",
        "not a date", "2026-11-23T09:21:18Z trailing", "0000-01-01T00:00:00Z", "0000-02-29T12:00:00+01:00",
    ])
    func rejectsWhatIsNotRFC3339(_ text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func roundTripsThroughText() {
        for micros: Int64 in [0, 1, 999_999, 1_700_000_000_000_001, 4_102_444_799_999_999] {
            let stamp = Timestamp(microseconds: micros)
            #expect(Timestamp(rfc3339: stamp.rfc3339) == stamp)
        }
    }
}

@Suite struct MergePatchTests {
    // The examples of RFC 7396, appendix A.
    @Test func followsRFC7396() throws {
        func json(_ text: String) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
        let cases: [(String, String, String)] = [
            (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
            (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
            (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
            (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
            (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
            (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
            (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
            (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
            (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
            (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
            (#"{"a":"foo"}"#, "null", "null"),
            (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
            (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
            (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
            (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
        ]
        for (target, patch, result) in cases {
            #expect(try json(target).merging(patch: try json(patch)) == (try json(result)), "\(target) + \(patch)")
        }
    }
}

@Suite struct TaskEngineTests {
    let tenant = UUID()
    let actor = Actor(userID: UUID(), name: "alice@acme.test", surface: "test")

    func record(_ edit: (inout TaskContent) -> Void = { _ in }) -> TaskRecord {
        var content = TaskContent(title: "Call back")
        edit(&content)
        let created = Timestamp(microseconds: 1_000_000)
        return TaskRecord(id: UUID(), number: 1, tenantID: tenant, creatorID: nil, content: content, version: 3, createdAt: created, updatedAt: created)
    }

    func mutation(_ edits: [TaskEdit], _ precondition: TaskPrecondition? = nil) -> TaskMutation {
        TaskMutation(tenantID: tenant, task: .number(1), kind: .patch(TaskPatch(edits)), precondition: precondition, actor: actor)
    }

    @Test func appliesEditsBumpsVersionAndListsChanges() throws {
        let current = record()
        let commit = try #require(try TaskEngine.commit(mutation([.status("open"), .completed(true)], .version(3)), to: current, at: Timestamp(microseconds: 5_000_000)))
        #expect(commit.record.version == 4)
        #expect(commit.record.updatedAt == Timestamp(microseconds: 5_000_000))
        #expect(commit.changes.map(\.field) == ["status", "completed"])
        #expect(commit.changes[0] == FieldChange(field: "status", from: .null, to: .string("open")))
    }

    @Test func updatedAtMovesForwardEvenWhenTheClockDoesNot() throws {
        let current = record()
        let commit = try #require(try TaskEngine.commit(mutation([.title("Again")]), to: current, at: Timestamp(microseconds: 10)))
        #expect(commit.record.updatedAt == current.updatedAt.next)
    }

    @Test func refusesAStalePreconditionAndAnInvalidPatchFirst() {
        let current = record()
        #expect(throws: TaskportError.versionMismatch(current: 3)) {
            try TaskEngine.commit(mutation([.title("Fine")], .version(2)), to: current, at: .now())
        }
        #expect(throws: TaskportError.versionMismatch(current: 3)) {
            try TaskEngine.commit(mutation([.title("Call back")], .version(2)), to: current, at: .now())
        }
        #expect(throws: TaskportError.invalid([FieldProblem(.title, "is a required field")])) {
            try TaskEngine.commit(mutation([.title("")], .version(2)), to: current, at: .now())
        }
        #expect(throws: TaskportError.versionMismatch(current: 3)) {
            try TaskEngine.commit(mutation([.title("x")], .updatedAt(current.updatedAt.next)), to: current, at: .now())
        }
    }

    @Test func aPatchThatChangesNothingCommitsNothing() throws {
        #expect(try TaskEngine.commit(mutation([.title("Call back"), .notes(nil)]), to: record(), at: .now()) == nil)
    }

    @Test func validatesTheResult() {
        #expect(throws: TaskportError.invalid([FieldProblem(.title, "is a required field")])) {
            try TaskEngine.commit(mutation([.title("   ")]), to: record(), at: .now())
        }
    }

    @Test func movingTheDueTimeRearmsTheReminder() throws {
        let current = record { $0.dueAt = Timestamp(microseconds: 0); $0.reminded = true; $0.notifyByEmail = true }
        let moved = try #require(try TaskEngine.commit(mutation([.dueAt(Timestamp(microseconds: 99))]), to: current, at: .now()))
        #expect(moved.record.content.reminded == false)
        // A whole record written back, `reminded` unchanged: the new due time still re-arms it.
        let resent = try #require(try TaskEngine.commit(mutation([.dueAt(nil), .reminded(true)]), to: current, at: .now()))
        #expect(resent.record.content.reminded == false)
        // A patch that changes `reminded` itself keeps what it says.
        let quiet = record { $0.dueAt = Timestamp(microseconds: 0); $0.notifyByEmail = true }
        let explicit = try #require(try TaskEngine.commit(mutation([.dueAt(nil), .reminded(true)]), to: quiet, at: .now()))
        #expect(explicit.record.content.reminded == true)
    }

    @Test func aNewAssigneeRecordsWhoAssignedAndDropsTheOldComment() throws {
        let current = record { $0.assignee = .user(UUID()); $0.assignmentComment = "old"; $0.assignedByID = UUID() }
        let team = UUID()
        let reassigned = try #require(try TaskEngine.commit(mutation([.assignee(.team(team))]), to: current, at: .now()))
        #expect(reassigned.record.content.assignedByID == actor.userID)
        #expect(reassigned.record.content.assignmentComment == nil)
        let other = UUID()
        let explicit = try #require(try TaskEngine.commit(mutation([.assignee(nil), .assignedByID(other), .assignmentComment("bye")]), to: current, at: .now()))
        #expect(explicit.record.content.assignedByID == other)
        #expect(explicit.record.content.assignmentComment == "bye")
        let untouched = try #require(try TaskEngine.commit(mutation([.title("New title")]), to: current, at: .now()))
        #expect(untouched.record.content.assignedByID == current.content.assignedByID)
        #expect(untouched.record.content.assignmentComment == "old")
    }

    @Test func mergesMetadataAndReplacesItWhole() {
        let content = record { $0.metadata = ["a": .integer(1), "b": .object(["c": .bool(true)])] }.content
        let merged = TaskPatch([.mergeMetadata(["a": .null, "b": .object(["d": .string("x")])])]).applied(to: content)
        #expect(merged.metadata == ["b": .object(["c": .bool(true), "d": .string("x")])])
        // `null` members are never stored, at any level of objects: a merge patch of the metadata
        // as shown would remove them. Arrays are values and keep theirs.
        let replaced = TaskPatch([.metadata(["z": .null, "y": .object(["n": .null, "k": 1]), "a": .array([.null])])]).applied(to: content)
        #expect(replaced.normalized().metadata == ["y": .object(["k": 1]), "a": .array([.null])])
    }

    @Test func creationRecordsEverySetFieldFromNull() throws {
        var content = TaskContent(title: "New")
        content.priority = "high"
        let changes = try TaskEngine.creationChanges(content)
        #expect(changes == [FieldChange(field: "title", from: .null, to: .string("New")), FieldChange(field: "priority", from: .null, to: .string("high"))])
    }
}

@Suite struct ValidationTests {
    @Test func listsEveryProblem() {
        var content = TaskContent(title: String(repeating: "x", count: 501))
        content.timeZone = "Europe/Nowhere"
        content.attachments = ["https://example.com/a.pdf", "/relative"]
        content.subjectID = ""
        #expect(content.problems().map(\.field) == ["title", "timeZone", "subjectId", "attachments"])
    }

    @Test func refusesTheNULCharacter() {
        var content = TaskContent(title: "a\u{0}b")
        content.notes = "\u{0}"
        #expect(content.problems() == [
            FieldProblem(.title, "must not contain the NUL character"), FieldProblem(.notes, "must not contain the NUL character"),
        ])
    }

    @Test func acceptsAFullTask() {
        var content = TaskContent(title: "Renew")
        content.timeZone = "America/New_York"
        content.attachments = ["https://example.com/a.pdf", "http://files.example.org/b"]
        #expect(content.problems().isEmpty)
    }
}

@Suite struct ReferenceAndCursorTests {
    @Test func readsPathSegments() {
        let id = UUID()
        #expect(TaskReference("42") == .number(42))
        #expect(TaskReference(id.uuidString.lowercased()) == .id(id))
        #expect(TaskReference("0") == nil)
        #expect(TaskReference("-3") == nil)
        #expect(TaskReference("abc") == nil)
    }

    @Test func cursorsRoundTripAndRejectForgeries() {
        #expect(TaskCursor.decode(TaskCursor.encode(afterNumber: 1234)) == 1234)
        #expect(TaskCursor.decode("bm90IGEgY3Vyc29y") == nil)
        #expect(TaskCursor.decode("%%%") == nil)
    }

    @Test func apiKeysAreRandomAndHashed() {
        let a = APIKeySecret.generate()
        let b = APIKeySecret.generate()
        #expect(a.plaintext != b.plaintext)
        #expect(a.plaintext.hasPrefix("tpk_"))
        #expect(a.hash == APIKeySecret.hash(of: a.plaintext))
        #expect(a.hash.count == 64)
        #expect(!a.hash.contains(a.plaintext))
    }

    @Test func keyHashesAreLowerCaseHexSHA256() {
        // FIPS 180-2's "abc" example: hashes stored by earlier versions must keep matching.
        #expect(APIKeySecret.hash(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect([0x00, 0x0F, 0xA0, 0xFF].hexadecimal == "000fa0ff")
    }
}

@Suite struct InputLimitTests {
    @Test func timeZonesAreIANANames() {
        for name in ["Europe/London", "America/New_York", "UTC", "Asia/Kolkata"] {
            #expect(TimeZoneName.zone(name) != nil, "\(name)")
        }
        for name in ["GMT+14:01", "GMT+5", "UTC+01:00", "+0100", "Mars/Olympus", "", "europe/london"] {
            #expect(TimeZoneName.zone(name) == nil, "\(name)")
        }
        var content = TaskContent(title: "t")
        content.timeZone = "GMT+14:01"
        #expect(content.problems().map(\.field) == ["timeZone"])
    }

    /// `metadata` as deep as the limit allows is accepted; one level more, or more bytes, is not.
    @Test func metadataHasADepthAndASize() {
        func nested(_ levels: Int) -> JSONObject {
            var value: JSONObject = [:]
            for _ in 1..<levels { value = ["a": .object(value)] }
            return value
        }
        var content = TaskContent(title: "t")
        content.metadata = nested(TaskLimits.metadataDepth)
        #expect(content.problems().isEmpty)
        content.metadata = nested(TaskLimits.metadataDepth + 1)
        #expect(content.problems().map(\.field) == ["metadata"])
        content.metadata = ["list": .array([.array([])])]
        #expect(content.problems().isEmpty)
        content.metadata = ["big": .string(String(repeating: "x", count: TaskLimits.metadataBytes))]
        #expect(content.problems().map(\.field) == ["metadata"])
        content.metadata = ["big": .string(String(repeating: "x", count: TaskLimits.metadataBytes - 100))]
        #expect(content.problems().isEmpty)
    }

    /// Whatever validation lets through encodes, and decodes back, with room to spare for the
    /// records and audit entries that wrap it.
    @Test func acceptedMetadataEncodesInsideEveryWrapper() throws {
        var value: JSONValue = .string("leaf")
        for level in 1..<TaskLimits.metadataDepth {
            value = level.isMultiple(of: 2) ? .array([value]) : .object(["k": value])
        }
        var content = TaskContent(title: "t")
        guard case .object(let object) = JSONValue.object(["root": value]) else { return }
        content.metadata = object
        #expect(content.problems().isEmpty)
        var wrapped: JSONValue = .object(content.metadata)
        for _ in 0..<10 { wrapped = .object(["changes": .array([.object(["from": .null, "to": wrapped])])]) }
        let text = try StoredJSON.encode(wrapped)
        #expect(try StoredJSON.decode(JSONValue.self, from: text) == wrapped)
    }
}

@Suite struct DeadlineTests {
    /// A call that ignores cancellation and runs until it is released.
    final class Stubborn: Sendable {
        let released = Mutex(false)
        let finished = Mutex(false)

        func run() async -> Int {
            while !released.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(5)) }
            finished.withLock { $0 = true }
            return 1
        }
    }

    @Test func aCallThatIgnoresCancellationIsStillAnsweredAtTheDeadline() async throws {
        let call = Stubborn()
        let answer = try await Deadline.result(within: .milliseconds(50)) { await call.run() }
        #expect(answer == nil)
        #expect(call.finished.withLock { $0 } == false, "answered before the call finished")
        call.released.withLock { $0 = true }
        #expect(try await Deadline.result(within: .seconds(60)) { 7 } == 7)

        let other = Stubborn()
        await #expect(throws: TaskportError.self) {
            try await Deadline.run(checkingEvery: .milliseconds(10), giveUp: { $0 > .milliseconds(20) ? TaskportError.unavailable("away", retryAfter: 1) : nil }) {
                await other.run()
            }
        }
        #expect(other.finished.withLock { $0 } == false)
        other.released.withLock { $0 = true }
    }

    /// A call that ignores cancellation without running: it waits, suspended, until opened.
    final class Gate: Sendable {
        private let state = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

        func wait() async {
            await withCheckedContinuation { continuation in
                let open = state.withLock { state in
                    if !state.open { state.waiting.append(continuation) }
                    return state.open
                }
                if open { continuation.resume() }
            }
        }

        func open() {
            let waiting = state.withLock { state in
                state.open = true
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume() }
        }
    }

    /// Waits with one interval share one watch: among many at once, each call that does not
    /// finish is given up on, each prompt one answered with its own value, and a wait that began
    /// after the others ended (when the watch has stopped ticking) is still given up on.
    @Test func waitsThatShareAWatchAreEachAnsweredOrGivenUpOn() async throws {
        let gate = Gate()
        let outcomes = await withTaskGroup(of: (Int, Int?).self) { group in
            for index in 0..<100 {
                group.addTask {
                    let answer = try? await Deadline.result(within: .milliseconds(500)) {
                        if index.isMultiple(of: 2) {
                            await gate.wait()
                            return -index
                        }
                        try await Task.sleep(for: .milliseconds(index % 7))
                        return index
                    }
                    return (index, answer)
                }
            }
            var outcomes: [Int: Int?] = [:]
            for await (index, answer) in group { outcomes[index] = answer }
            return outcomes
        }
        for index in 0..<100 {
            #expect(outcomes[index] == (index.isMultiple(of: 2) ? .some(nil) : .some(index)), "wait \(index)")
        }
        try await Task.sleep(for: .milliseconds(600))
        #expect(try await Deadline.result(within: .milliseconds(500)) { await gate.wait() } == nil)
        gate.open()
    }
}

@Suite struct JournalHeaderTests {
    /// The headers' stored text reads back, with the JSON decoder every reader uses, as the headers written.
    @Test func storedHeadersReadBackAsTheyWere() throws {
        let headers = [
            JournalEntry.Header(name: "Content-Type", value: "application/json"),
            JournalEntry.Header(name: "X-Quote", value: #"say "hi" \ back/slash"#),
            JournalEntry.Header(name: "X-Control", value: "a\u{0}b\u{1f}c\td\ne\rf"),
            JournalEntry.Header(name: "X-Unicode", value: "café 🚀 \u{2028}"),
        ]
        let stored = JournalEntry.Header.stored(headers)
        #expect(try StoredJSON.decode([JournalEntry.Header].self, from: stored) == headers)
        #expect(JournalEntry.Header.stored([]) == "[]")
        #expect(stored.hasPrefix(#"[{"name":"Content-Type","value":"application/json"}"#))
    }
}

@Suite struct UUIDTextTests {
    /// Written as Foundation writes it, lower-cased; read back whatever the case.
    @Test func writesAndReadsAsFoundationDoes() throws {
        for _ in 0..<2_000 {
            let id = UUID()
            #expect(id.lowercasedText == id.uuidString.lowercased())
            #expect(UUID(text: id.lowercasedText) == id)
            #expect(UUID(text: id.uuidString) == id)
            #expect(UUID(text: id.uuidString[...]) == id)
        }
        #expect(UUID(text: "00000000-0000-0000-0000-000000000000")?.lowercasedText == "00000000-0000-0000-0000-000000000000")
        #expect(UUID(text: "FFFFFFFF-ffff-FfFf-0123-456789abcdef")?.lowercasedText == "ffffffff-ffff-ffff-0123-456789abcdef")
    }

    /// Anything but the hyphenated form with 32 hex digits is no UUID (Foundation's `sscanf` lets a
    /// sign or a space stand in a pair of digits; this does not).
    @Test func refusesWhatFoundationRefuses() {
        let id = UUID().lowercasedText
        let refused = [
            "", "1", String(id.dropLast()), id + "0", id.replacingOccurrences(of: "-", with: ""), "{\(id)}",
            " " + String(id.dropFirst()), String(id.dropLast()) + "g", String(id.dropLast()) + "é",
            "0000000-00000-0000-0000-000000000000", "00000000-0000-0000-0000-00000000000\u{0}", "00000000+0000-0000-0000-000000000000",
            "0000000000000-0000-0000-000000000000", "+0000000-0000-0000-0000-000000000000",
        ]
        for text in refused {
            #expect(UUID(text: text) == nil, "\(text)")
        }
    }
}
