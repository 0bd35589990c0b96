import Foundation
import Synchronization
import Logging
import TaskportCore
@testable import TaskportHTTP
import Testing

@Suite struct LogRedactionTests {
    static let key = APIKeySecret.generate().plaintext
    static let refresh = APIKeySecret.generate(prefix: "tpr_").plaintext
    static let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl"

    @Test(arguments: [
        "authorization: Bearer \(key)", #"["Authorization": "Bearer \#(jwt)"]"#, "apikey: \(key)", "x-api-key=\(key)",
        "Cookie: taskport_session=s3cr3tv4lue", "grant_type=password&username=a%40b.c&password=hunter2-x",
        "grant_type=refresh_token&refresh_token=\(refresh)", #"{"password":"hunter2-x"}"#,
        "postgres://taskport:hunter2-x@db.internal:5432/taskport", "token \(jwt) was refused", "key \(key) unknown",
        "X-Rollout-Credential-Id: 0b7c3f0e-5a8b-4e1d-9a59-111111111111",
    ])
    func credentialsAreReplaced(_ line: String) {
        let redacted = LogRedaction.redact(line)
        for secret in [Self.key, Self.refresh, Self.jwt, "hunter2-x", "s3cr3tv4lue", "0b7c3f0e-5a8b-4e1d-9a59-111111111111"] {
            #expect(!redacted.contains(secret), "\(redacted)")
        }
        #expect(redacted.contains("***"))
    }

    /// The byte scan finds a trigger wherever lower-casing the whole text would have: any case, at
    /// either end, and not in texts that only come close.
    @Test func triggersAreFoundInAnyCaseAndAnywhere() {
        for text in ["AUTHORIZATION: x", "x Authorization", "abc://", "EyJhbG", "my Secret", "PassWD=1", "tPk_abc", "…token…", "abctpk_", "ÀAuTh", "éSECRET", "x:/x://"] {
            #expect(LogRedaction.hasTrigger(text), "\(text)")
        }
        for text in ["", "aut", "PATCH /v1/tasks/12", #"{"title":"Bench 1","notes":"changed"}"#, "tp_k", ":/", "é", "tokn"] {
            #expect(!LogRedaction.hasTrigger(text), "\(text)")
        }
        #expect(LogRedaction.hasTrigger("author"), "auth is a trigger, and author holds it")
        #expect(!LogRedaction.hasTrigger("tp_k :/ aut eyk tokn"))
    }

    /// Every trigger, in mixed case, at every position of texts of every length up to a few bytes
    /// around it, is found; and over texts that come close, the scan agrees with lower-casing the
    /// whole text and searching it.
    @Test func theScanAgreesWithASearchOfTheLowercasedText() {
        let triggers = ["tpk_", "tpr_", "whsec_", "eyj", "auth", "apikey", "api-key", "api_key", "cookie", "password", "passwd", "token", "secret", "credential", "://"]
        for trigger in triggers {
            let mixed = String(trigger.enumerated().map { $0.offset.isMultiple(of: 2) ? Character($0.element.uppercased()) : $0.element })
            for before in 0...3 {
                for after in 0...2 {
                    let text = String(repeating: "x", count: before) + mixed + String(repeating: "é", count: after)
                    #expect(LogRedaction.hasTrigger(text), "\(text)")
                }
            }
        }
        var generator = SystemRandomNumberGenerator()
        let pieces = ["tp", "k_", "pk", "wh", "sec", "ey", "j", "au", "th", "api", "-", "_", "key", "co", "okie", "pass", "wd", "word", "to", "ken", "se", "cret", "cred", "ential", ":", "/", " ", "x", "É", "T"]
        // Short texts, and long ones that the scan reads eight bytes at a time, a trigger at any alignment.
        for pieceCount in Array(repeating: 0...6, count: 2000) + Array(repeating: 7...40, count: 2000) {
            let text = (0..<Int.random(in: pieceCount, using: &generator)).map { _ in pieces.randomElement(using: &generator) ?? "" }.joined()
            let expected = triggers.contains { text.lowercased().contains($0) }
            #expect(LogRedaction.hasTrigger(text) == expected, "\(text)")
        }
    }

    @Test func plainLinesAreLeftAsTheyAre() {
        for line in ["PATCH /v1/tasks/12", "delivered message=5e6c channel=email", "Checkpoint failed: disk I/O error"] {
            #expect(LogRedaction.redact(line) == line)
        }
    }

    @Test func theHandlerRedactsMessagesAndMetadata() {
        let recorded = Recorded()
        var logger = Logger(label: "t") { _ in RedactingLogHandler(recorded) }
        logger.logLevel = .trace
        logger.error("request failed with Bearer \(Self.jwt)", metadata: ["authorization": "\(Self.key)", "error": "apikey: \(Self.key)"])
        let line = recorded.lines.withLock { $0.joined(separator: "\n") }
        #expect(!line.contains(Self.key))
        #expect(!line.contains(Self.jwt))
        #expect(line.contains("request failed with Bearer ***"))
    }

    /// The logger's metadata, set on any copy of it, goes with each line that copy writes, under
    /// the line's own; the level is the logger's; a copy's metadata is not another's.
    @Test func theLoggersMetadataGoesWithEachLine() {
        let recorded = Recorded()
        var logger = Logger(label: "t") { _ in RedactingLogHandler(recorded) }
        logger.logLevel = .info
        logger[metadataKey: "request"] = "r1"
        logger[metadataKey: "shared"] = "logger"
        var copy = logger
        copy[metadataKey: "request"] = "r2"
        copy[metadataKey: "token"] = "\(Self.key)"
        logger.debug("not written")
        logger.info("first", metadata: ["shared": "line"])
        copy.info("second")
        let lines = recorded.lines.withLock { $0 }
        #expect(lines == ["first request=r1 shared=line", "second request=r2 shared=logger token=***"])
        #expect(logger[metadataKey: "request"] == "r1")
    }
}

/// A log handler that keeps what it is given.
final class Recorded: LogHandler, @unchecked Sendable {
    let lines = Mutex<[String]>([])
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let text = "\(message) \((metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))"
        lines.withLock { $0.append(text) }
    }
}
