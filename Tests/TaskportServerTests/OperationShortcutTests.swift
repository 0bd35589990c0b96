import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import MaxsightDialect
@testable import NativeDialect
@testable import NexudusDialect
@testable import RolloutDialect
import NIOCore
@_spi(Generated) import OpenAPIRuntime
import TaskportCore
import TaskportHTTP
import Testing
@testable import ThenaDialect

/// A shortcut answers exactly as the generated code would: it reads each part of a request as the
/// runtime reads it, writes the answer's bytes as the encoder writes them, and leaves every
/// request it does not take to the generated code.
struct OperationShortcutTests {
    static let texts: [String] = {
        var texts = (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }
        texts += ["", "plain", "a/b", "\"quoted\"", "back\\slash", "\u{7F}", "\u{2028}\u{2029}", "é", "日本語", "\u{1F600}", "tab\there\nnew"]
        return texts
    }()

    /// What the generated code writes for `task`: the runtime's conversion, with the surfaces' options.
    static func encoded(_ task: NativeTask) async throws -> [UInt8] {
        var fields = HTTPFields()
        let body = try Converter(configuration: .surfaces).setResponseBodyAsJSON(task, headerFields: &fields, contentType: "application/json; charset=utf-8")
        return Array(try await ArraySlice<UInt8>(collecting: body, upTo: .max))
    }

    static func record(_ content: TaskContent, number: Int64 = 7, version: Int64 = 3) -> TaskRecord {
        TaskRecord(
            id: UUID(), number: number, tenantID: UUID(), creatorID: nil, content: content, version: version,
            createdAt: Timestamp(microseconds: 1_796_000_000_123_456), updatedAt: Timestamp(microseconds: 1_796_000_100_000_001)
        )
    }

    @Test func aNativeTaskIsWrittenByteForByteAsTheEncoderWritesIt() async throws {
        var records = [Self.record(TaskContent(title: "Only a title"))]
        for (index, text) in Self.texts.enumerated() {
            var content = TaskContent(title: text)
            content.notes = text
            content.type = "Call"
            content.status = text
            content.priority = index % 2 == 0 ? nil : "High"
            content.completed = index % 3 == 0
            content.dueAt = Timestamp(microseconds: Int64(index) * 86_400_000_000)
            content.timeZone = "Europe/London"
            content.subjectID = text
            content.scopeID = "scope/\(index)"
            content.activityID = UUID()
            content.assignee = Assignee(index % 2 == 0 ? .user : .team, UUID())
            content.assignedByID = UUID()
            content.assignmentComment = text
            content.responsibleID = UUID()
            content.attachments = [text, "https://example.com/a/b", ""]
            content.metadata = [
                text: .string(text), "B": .integer(Int64.min), "b": .array([.null, .bool(true), .object(["z": .integer(1), "Z": .string(text)])]),
                "nested": .object(["k": .object([:]), "a": .array([])]),
            ]
            content.notifyByEmail = index % 2 == 1
            content.reminded = index % 5 == 0
            content.visibleToEveryone = true
            content.listItemID = text
            content.externalID = "ext-\(index)"
            records.append(Self.record(content, number: Int64(index + 1) * 1_000_003, version: Int64(index)))
        }
        for record in records {
            let task = NativeTask(record)
            let written = try #require(task.compactJSON())
            #expect(written == (try await Self.encoded(task)), "\(String(decoding: written, as: UTF8.self))")
        }
        // A fractional number only the encoder writes: the shortcut leaves the answer to it.
        var fractional = TaskContent(title: "x")
        fractional.metadata = ["n": .number(1.5)]
        #expect(NativeTask(Self.record(fractional)).compactJSON() == nil)
    }

    @Test func aThenaTaskIsWrittenByteForByteAsTheEncoderWritesIt() async throws {
        let tenant = UUID()
        let account = Account(id: UUID(), tenantID: tenant, name: "Acme \"/\" Corp")
        let attributes = [
            TaskAttribute(id: UUID(), tenantID: tenant, kind: .type, value: "Call", configuration: ["color": "#1565c0", "Z": .array([.null])]),
            TaskAttribute(id: UUID(), tenantID: tenant, kind: .status, value: "Open", configuration: [:]),
        ]
        let context = ThenaContext(attributes: attributes, accounts: [account.id: account], creators: [:])
        var tasks: [TaskContent] = [TaskContent(title: "Only a title")]
        for text in Self.texts {
            var content = TaskContent(title: text)
            content.notes = text
            content.type = "call"
            content.status = text
            content.priority = "High"
            content.subjectID = tasks.count % 2 == 0 ? account.id.lowercasedText : text
            content.activityID = UUID()
            content.assignee = Assignee(.team, UUID())
            content.attachments = [text, "https://example.com/a"]
            content.metadata = [text: .string(text), "b": .object(["B": .integer(-1)])]
            tasks.append(content)
        }
        for content in tasks {
            let task = ThenaTask(Self.record(content), context: context)
            let written = try #require(task.compactJSON())
            var fields = HTTPFields()
            let body = try Converter(configuration: .surfaces).setResponseBodyAsJSON(task, headerFields: &fields, contentType: "application/json")
            let encoded = Array(try await ArraySlice<UInt8>(collecting: body, upTo: .max))
            #expect(written == encoded, "\(String(decoding: written, as: UTF8.self))")
        }
        var fractional = TaskContent(title: "x")
        fractional.metadata = ["n": .number(0.5)]
        #expect(ThenaTask(Self.record(fractional), context: context).compactJSON() == nil)
    }

    /// What the runtime's conversion writes for `value`, with the surfaces' options.
    static func converted(_ value: some Encodable) async throws -> [UInt8] {
        var fields = HTTPFields()
        let body = try Converter(configuration: .surfaces).setResponseBodyAsJSON(value, headerFields: &fields, contentType: "application/json")
        return Array(try await ArraySlice<UInt8>(collecting: body, upTo: .max))
    }

    /// Tasks with every member the vendor shapes show, in varied forms, and one with a title alone.
    static var variedRecords: [TaskRecord] {
        var records = [Self.record(TaskContent(title: "Only a title"))]
        for (index, text) in Self.texts.enumerated() {
            var content = TaskContent(title: text)
            content.notes = index % 4 == 0 ? nil : text
            content.status = index % 3 == 0 ? nil : text
            content.completed = index % 2 == 0
            content.dueAt = index % 5 == 0 ? nil : Timestamp(microseconds: Int64(index) * 86_400_000_123)
            content.timeZone = index % 3 == 0 ? "Asia/Kolkata" : nil
            content.subjectID = index % 2 == 0 ? text : nil
            content.scopeID = index % 3 == 1 ? "scope/\(text)" : nil
            content.assignee = index % 3 == 2 ? nil : Assignee(index % 2 == 0 ? .user : .team, UUID())
            content.assignedByID = index % 2 == 0 ? UUID() : nil
            content.assignmentComment = index % 2 == 1 ? text : nil
            content.responsibleID = UUID()
            content.metadata = [text: .string(text), "B": .integer(Int64.max), "b": .array([.null, .bool(false), .object(["y": .integer(0)])])]
            content.notifyByEmail = index % 2 == 1
            content.reminded = index % 5 == 0
            content.visibleToEveryone = index % 3 == 0
            content.listItemID = index % 2 == 0 ? text : nil
            content.externalID = index % 2 == 1 ? "ext-\(text)" : nil
            var record = Self.record(content, number: Int64(index + 1) * 1_000_003, version: Int64(index + 1))
            record.updatedBy = index % 2 == 0 ? text : nil
            records.append(record)
        }
        return records
    }

    @Test func nexudusAndMaxsightShapesAreWrittenByteForByteAsTheEncoderWritesThem() async throws {
        let tenant = UUID()
        var references = NexudusReferences()
        for (index, text) in Self.texts.enumerated() where index % 2 == 0 {
            references.customers[text] = Int64(index) * 77
            let zone = index % 4 == 0 ? "America/New_York" : "Not/AZone"
            references.businesses["scope/\(text)"] = Business(id: UUID(), tenantID: tenant, name: text, timeZone: zone, number: Int64(index + 1))
        }
        for record in Self.variedRecords {
            if let responsible = record.content.responsibleID, record.number % 3 == 0 { references.users[responsible] = record.number }
            let nexudus = NexudusTask(record, references)
            let written = try #require(nexudus.compactJSON())
            #expect(written == (try await Self.converted(nexudus)), "\(String(decoding: written, as: UTF8.self))")
            let maxsight = MaxsightTask(record)
            let maxsightWritten = try #require(maxsight.compactJSON())
            #expect(maxsightWritten == (try await Self.converted(maxsight)), "\(String(decoding: maxsightWritten, as: UTF8.self))")
            let result = NexudusActionResult(message: "Task \"\(record.content.title)\" updated", id: record.number, updatedOn: record.updatedAt, updatedBy: record.updatedBy ?? "")
            let resultWritten = try #require(result.compactJSON())
            #expect(resultWritten == (try await Self.converted(result)), "\(String(decoding: resultWritten, as: UTF8.self))")
        }
        var fractional = TaskContent(title: "x")
        fractional.metadata = ["n": .number(2.25)]
        #expect(MaxsightTask(Self.record(fractional)).compactJSON() == nil)
    }

    @Test func aRolloutTaskIsWrittenByteForByteAsTheEncoderWritesIt() async throws {
        let context = ThenaContext(attributes: [], accounts: [:], creators: [:])
        for record in Self.variedRecords {
            let task = RolloutTask(
                record: record,
                originalIDs: ["native": .string(record.id.lowercasedText), "nexudus": .integer(record.number), "thena": .string(record.content.title)],
                original: [
                    "native": TaskRendering(NativeTask(record)), "thena": TaskRendering(ThenaTask(record, context: context)),
                    "nexudus": TaskRendering(NexudusTask(record, NexudusReferences())), "maxsight": TaskRendering(MaxsightTask(record)),
                ]
            )
            let written = try #require(task.compactJSON())
            #expect(written == (try await Self.converted(task)), "\(String(decoding: written, as: UTF8.self))")
        }
    }

    /// Every reading `ShortcutRequest` makes, where it makes one, is the runtime's reading.
    @Test func eachPartOfARequestIsReadAsTheRuntimeReadsIt() throws {
        let converter = Converter(configuration: .surfaces)
        let segments = [
            "1", "42", "0", "-1", "b1d18c33-7af7-4316-805e-3e614e86d644", "B1D18C33-7AF7-4316-805E-3E614E86D644", "a.b_c~d", "%41",
            "a%2Fb", "a,b", "a+b", "a b", "é", "a;b", "a=b", "*", "\"q\"",
        ]
        var taken = 0
        for segment in segments {
            let runtime = try? converter.getPathParameterAsURI(in: ["taskId": Substring(segment)], name: "taskId", as: String.self)
            if let read = ShortcutRequest.pathText(segment) {
                taken += 1
                #expect(read == runtime, "path \(segment)")
            }
        }
        #expect(taken == 7)

        let values: [[String]] = [
            [], [#""3""#], [#"W/"3""#], ["*"], ["2026-12-07T20:00:00.123456Z"], ["2026-12-07T20:00:00+01:00"], [#""3", "4""#],
            [#""3""#, #""4""#], ["%223%22"], ["a b"], ["a+b"], [""], ["a;b"], ["a=b"], ["a&b"], ["é"], ["abc~._-"],
        ]
        taken = 0
        for value in values {
            var fields = HTTPFields()
            for field in value { fields.append(HTTPField(name: .ifMatch, value: field)) }
            let runtime = try? converter.getOptionalHeaderFieldAsURI(in: fields, name: "If-Match", as: String.self)
            if let read = ShortcutRequest.headerText(fields, .ifMatch) {
                taken += 1
                #expect(read == runtime, "If-Match \(value)")
            }
        }
        #expect(taken == 6)

        let accepts: [[String]] = [
            [], ["application/json"], ["*/*"], ["application/json, */*"], ["Application/JSON"], ["application/json;q=0.5"],
            ["application/json", "*/*"], ["text/html"], ["application/*"], [""],
        ]
        taken = 0
        for value in accepts {
            var fields = HTTPFields()
            for field in value { fields.append(HTTPField(name: .accept, value: field)) }
            let runtime: [AcceptHeaderContentType<NativeDialect.Operations.PatchTask.AcceptableContentType>]? = try? converter.extractAcceptHeaderIfPresent(in: fields)
            if let read: [AcceptHeaderContentType<NativeDialect.Operations.PatchTask.AcceptableContentType>] = ShortcutRequest.accept(fields, answeringIn: "application/json") {
                taken += 1
                #expect(read == runtime, "Accept \(value)")
                // And the answer passes the runtime's check of `Accept`.
                #expect((try? converter.validateAcceptIfPresent("application/json", in: fields)) != nil)
            }
        }
        #expect(taken == 3)
    }

    /// The same PATCHes to two tasks made alike: one in the form the shortcut takes, one it leaves
    /// to the generated code (an `Accept` of two ranges, which the handler does not read). Every
    /// answer is the same but for the task's own id, number and times.
    @Test func thePatchShortcutAnswersAsTheGeneratedCodeDoes() async throws {
        let h = try await Harness.make()
        try await h.run { api in
            let body = #"{"title":"Twin","notes":"a/b \"q\"","metadata":{"k":[1,{"Z":null}]}}"#
            let a = try #require(try await api.create(body)["id"] as? String)
            let b = try #require(try await api.create(body)["id"] as? String)
            let cases: [(String, String?)] = [
                (#"{"title":"Changed","completed":true,"priority":"High"}"#, nil),
                (#"{"notes":null,"metadata":{"k":null,"n":2}}"#, #""2""#),
                (#"{"title":"Stale"}"#, #""1""#),
                (#"{"title":5}"#, nil),
                (#"{"nope":1}"#, nil),
                (#"{"title":""}"#, nil),
                (#"{"version":3,"title":"Read back"}"#, nil),
                (#"{"metadata":{"f":1.5}}"#, nil),
                ("", nil),
            ]
            for (patch, ifMatch) in cases {
                var headers: HTTPFields = [.authorization: "Bearer \(h.key)", .contentType: "application/merge-patch+json"]
                if let ifMatch { headers[.ifMatch] = ifMatch }
                let shortcut = try await api.client.execute(uri: "/v1/tasks/\(a)", method: .patch, headers: headers, body: ByteBuffer(string: patch))
                headers[.accept] = "application/json, */*;q=0.1"
                let generated = try await api.client.execute(uri: "/v1/tasks/\(b)", method: .patch, headers: headers, body: ByteBuffer(string: patch))
                #expect(shortcut.status == generated.status, "\(patch)")
                let names = { (response: TestResponse) in response.headers.map(\.name).filter { $0 != .date && $0.canonicalName != "x-request-id" } }
                #expect(names(shortcut) == names(generated), "\(patch)")
                for name in [HTTPField.Name.eTag, .contentType, .contentLength] {
                    #expect(shortcut.headers[name] == generated.headers[name], "\(patch) \(name)")
                }
                #expect(try Self.normalized(shortcut) == (try Self.normalized(generated)), "\(patch)")
            }
            #expect(try await api.send(.get, "/v1/tasks/\(a)").object()["version"] as? Int == 5)
        }
    }

    /// Each vendor's update, sent alike to two tasks made alike: once in the form its shortcut
    /// takes, once in a form it leaves to the generated code (`Accept` of two ranges, which the
    /// handlers read as JSON). The answers are the same but for the two tasks' own ids, numbers
    /// and times, and the shortcut's bytes are the encoder's canonical form.
    @Test func vendorUpdateShortcutsAnswerAsTheGeneratedCodeDoes() async throws {
        let f = try await NexudusFixture.make()
        try await f.run { nexudus in
            let native = nexudus.native
            let twin = #"{"title":"Twin","notes":"a/b","metadata":{"k":[1,{"Z":null}]}}"#
            let a = try await native.create(twin), b = try await native.create(twin)
            let ids = try [a, b].map { try #require($0["id"] as? String) }
            let numbers = try [a, b].map { try #require($0["number"] as? Int) }
            let rollout: HTTPFields = [
                .authorization: "Bearer \(f.h.rolloutToken)", HTTPField.Name("X-Rollout-Credential-Id")!: f.h.rolloutCredential,
                .contentType: "application/json",
            ]
            let thena: HTTPFields = [HTTPField.Name("x-api-key")!: f.h.key, .contentType: "application/json"]
            let nexudusFields: HTTPFields = [.authorization: "Bearer \(f.adminToken)", .contentType: "application/json"]
            // (path for a task, fields, body for a task, If-Match)
            typealias Case = (path: (Int) -> String, fields: HTTPFields, body: (Int) -> String, ifMatch: String?)
            let cases: [Case] = [
                ({ "/api/tasks/\(ids[$0])" }, rollout, { _ in #"{"name":"Changed","isCompleted":true}"# }, nil),
                ({ "/api/tasks/\(ids[$0])" }, rollout, { _ in #"{"name":"Stale"}"# }, #""1""#),
                ({ "/api/tasks/\(ids[$0])" }, rollout, { _ in #"{"name":5}"# }, nil),
                ({ "/api/tasks/\(ids[$0])" }, rollout, { _ in #"{"personId":null,"type":"Call"}"# }, nil),
                ({ "/api/tasks/\(ids[$0])" }, rollout, { _ in "" }, nil),
                ({ "/v1/accounts/tasks/\(ids[$0])" }, thena, { _ in #"{"title":"Thena","description":"d"}"# }, #""3""#),
                ({ "/v1/accounts/tasks/\(ids[$0])" }, thena, { _ in #"{"title":""}"# }, nil),
                ({ "/v1/accounts/tasks/\(ids[$0])" }, thena, { _ in #"{"title":5}"# }, nil),
                ({ "/v1/accounts/tasks/\(ids[$0])" }, thena, { _ in #"{"title":"Stale"}"# }, #""1""#),
                ({ _ in "/api/crm/coworkertasks" }, nexudusFields, { f.body(id: Int64(numbers[$0]), name: "Nexudus") }, nil),
                ({ _ in "/api/crm/coworkertasks" }, nexudusFields, { f.body(id: Int64(numbers[$0]), name: "") }, nil),
                ({ _ in "/api/crm/coworkertasks" }, nexudusFields, { f.body(id: Int64(numbers[$0]), business: f.newYork) }, nil),
                ({ _ in "/api/crm/coworkertasks" }, nexudusFields, { _ in #"{"Id":"x"}"# }, nil),
            ]
            for (path, fields, body, ifMatch) in cases {
                var answers: [TestResponse] = []
                for task in 0..<2 {
                    var headers = fields
                    if let ifMatch { headers[.ifMatch] = ifMatch }
                    if task == 1 { headers[.accept] = "application/json, */*;q=0.1" }
                    answers.append(try await native.client.execute(uri: path(task), method: .put, headers: headers, body: ByteBuffer(string: body(task))))
                }
                let (shortcut, generated) = (answers[0], answers[1])
                let label = "\(path(0)) \(body(0))"
                #expect(shortcut.status == generated.status, "\(label)")
                let names = { (response: TestResponse) in response.headers.map(\.name).filter { $0 != .date && $0.canonicalName != "x-request-id" } }
                #expect(names(shortcut) == names(generated), "\(label)")
                for name in [HTTPField.Name.eTag, .contentType, .contentLength] {
                    #expect(shortcut.headers[name] == generated.headers[name], "\(label) \(name)")
                }
                let texts = [shortcut, generated].map { String(buffer: $0.body) }
                let values = try texts.map { try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
                #expect(values[0].compactText == texts[0], "\(label): not in the encoder's form")
                let neutral = { (value: JSONValue) in Self.neutral(value, ids: ids, numbers: numbers.map(Int64.init)) }
                #expect(neutral(values[0]) == neutral(values[1]), "\(label)\n\(texts[0])\n\(texts[1])")
            }
        }
    }

    /// `value` with the two tasks' ids and numbers, and every time, replaced by placeholders.
    static func neutral(_ value: JSONValue, ids: [String], numbers: [Int64]) -> JSONValue {
        switch value {
        case .string(let text):
            if ids.contains(text.lowercased()) { return .string("ID") }
            if Timestamp(rfc3339: text) != nil { return .string("TIME") }
            return value
        case .integer(let number): return numbers.contains(number) ? .integer(0) : value
        case .array(let items): return .array(items.map { neutral($0, ids: ids, numbers: numbers) })
        case .object(let members): return .object(members.mapValues { neutral($0, ids: ids, numbers: numbers) })
        default: return value
        }
    }

    /// The answer's JSON without what differs between two tasks made alike.
    static func normalized(_ response: TestResponse) throws -> NSDictionary {
        var object = try response.object()
        for member in ["id", "number", "createdAt", "updatedAt"] where object[member] != nil {
            object[member] = "*"
        }
        return object as NSDictionary
    }
}
