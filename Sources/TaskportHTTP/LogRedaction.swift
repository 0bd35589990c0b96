import Foundation
import Logging

/// Keeps credentials out of every log line: API keys, bearer and refresh tokens, JWTs,
/// passwords, cookies, the credential headers of every surface and passwords in URLs are
/// replaced with `***` in the message and in every metadata value, whoever logs them.
///
/// The level and metadata are kept here, not in the handler lines go to, and handed to it with
/// each line: every request sets its id on a copy of the logger, and setting it on the wrapped
/// handler copied that handler's box (about 7,000 instructions a request, at any log level).
public struct RedactingLogHandler: LogHandler {
    private let wrapped: any LogHandler
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata
    public var metadataProvider: Logger.MetadataProvider?

    public init(_ wrapped: any LogHandler) {
        self.wrapped = wrapped
        logLevel = wrapped.logLevel
        metadata = wrapped.metadata
        metadataProvider = wrapped.metadataProvider
    }

    /// Makes every logger of the process redact, writing to standard error as swift-log does by default.
    public static func bootstrap() {
        LoggingSystem.bootstrap { label in RedactingLogHandler(StreamLogHandler.standardError(label: label)) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        // What the line carries, as swift-log ranks it: the line's own metadata, then the provider's, then the logger's.
        var lineMetadata = metadata
        if let provided = metadataProvider?.get() { lineMetadata.merge(provided) { $1 } }
        if let explicit { lineMetadata.merge(explicit) { $1 } }
        wrapped.log(
            level: level, message: "\(LogRedaction.redact(message.description))",
            metadata: LogRedaction.redact(lineMetadata), source: source, file: file, function: function, line: line
        )
    }
}

/// The rules `RedactingLogHandler` applies, usable on any text bound for a log.
public enum LogRedaction {
    /// Words that appear near every credential the rules know; a line with none of them is left as it is.
    private static let triggers = [
        "tpk_", "tpr_", "whsec_", "eyj", "auth", "apikey", "api-key", "api_key", "cookie", "password", "passwd",
        "token", "secret", "credential", "://",
    ]

    private static let rules: [(NSRegularExpression, String)] = [
        // Credential headers, as `name: value` or `name=value`, quoted or not.
        (#"(?i)\b(authorization|proxy-authorization|apikey|x-api-key|api[-_]key|cookie|set-cookie|x-rollout-credential-id)(["']?\s*[:=]\s*["']?)(?:(?:bearer|basic)\s+)?[^"',;\]\)\s]+"#, "$1$2***"),
        // Form and query members and JSON members that carry a secret.
        (#"(?i)\b(password|passwd|refresh_token|access_token|client_secret|secret|token)(["']?\s*[:=]\s*["']?)[^"'&,;\]\)\s]+"#, "$1$2***"),
        // `Bearer <token>` wherever it stands.
        (#"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"#, "$1 ***"),
        // Taskport's own secrets by their prefixes.
        (#"\b(tpk_|tpr_|whsec_)[A-Za-z0-9_-]+"#, "$1***"),
        // Any JWT.
        (#"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"#, "***"),
        // Passwords in URLs.
        (#"(://[^/\s:@]*):[^@/\s]*@"#, "$1:***@"),
    ].compactMap { pattern, template in
        (try? NSRegularExpression(pattern: pattern)).map { ($0, template) }
    }

    /// A trigger as bytes, with where in it the pair of bytes that leads to it stands (0 or 1).
    private struct Candidate {
        var bytes: [UInt8]
        var offset: Int
    }

    /// The triggers' candidates, grouped by a pair of neighbouring bytes they hold, and a table from
    /// every pair of bytes, in any case, to the group it stands for (0 for none). A text is scanned
    /// once, looking at the pairs that start at even positions: every trigger is at least three
    /// bytes long, so its first pair or its second starts at an even position, and each trigger is
    /// entered under both. Only a group's candidates are compared, ASCII letters without case (the
    /// triggers are lower-case ASCII). A pair is the two bytes read as a little-endian `UInt16`.
    private static let candidateGroups: [[Candidate]] = Dictionary(
        grouping: triggers.flatMap { trigger -> [Candidate] in
            let bytes = Array(trigger.utf8)
            return [Candidate(bytes: bytes, offset: 0), Candidate(bytes: bytes, offset: 1)]
        },
        by: { [$0.bytes[$0.offset], $0.bytes[$0.offset + 1]] }
    ).sorted { $0.key.lexicographicallyPrecedes($1.key) }.map(\.value)
    private static let groupOfPair: [UInt8] = {
        func cases(_ byte: UInt8) -> [UInt8] { byte >= 0x61 && byte <= 0x7A ? [byte, byte - 0x20] : [byte] }
        var table = [UInt8](repeating: 0, count: 1 << 16)
        for (index, group) in candidateGroups.enumerated() {
            let pair = group[0].bytes[group[0].offset...].prefix(2)
            for first in cases(pair[pair.startIndex]) {
                for second in cases(pair[pair.startIndex + 1]) { table[Int(second) << 8 | Int(first)] = UInt8(index + 1) }
            }
        }
        return table
    }()
    /// `groupOfPair` as one bit a pair, 8 KB, which the scan reads: the byte table is 64 KB, more
    /// than a core's first-level cache, and is read only for the few pairs that lead to a trigger.
    private static let pairBits: [UInt64] = {
        var bits = [UInt64](repeating: 0, count: (1 << 16) / 64)
        for (pair, group) in groupOfPair.enumerated() where group != 0 { bits[pair >> 6] |= 1 << UInt64(pair & 63) }
        return bits
    }()

    /// Whether `text` holds any trigger, in any case. Eight bytes are read at a time, and their
    /// four pairs looked up in `pairBits` together; about 3 instructions a byte, where a pair read
    /// and looked up one at a time in the byte table cost 6 (a JSON answer is mostly pairs that
    /// lead to nothing).
    static func hasTrigger(_ text: String) -> Bool {
        var text = text
        let pairBits = Self.pairBits
        return text.withUTF8 { bytes in
            pairBits.withUnsafeBufferPointer { pairBits in
                guard let base = bytes.baseAddress else { return false }
                @inline(__always) func leads(_ pair: UInt64) -> UInt64 { pairBits[Int(pair >> 6)] >> (pair & 63) & 1 }
                var pairStart = 0
                while pairStart + 8 <= bytes.count {
                    let word = UInt64(littleEndian: UnsafeRawPointer(base + pairStart).loadUnaligned(as: UInt64.self))
                    let pairs = leads(word & 0xFFFF) | leads(word >> 16 & 0xFFFF) | leads(word >> 32 & 0xFFFF) | leads(word >> 48)
                    if pairs != 0 {
                        for pair in stride(from: pairStart, to: pairStart + 8, by: 2) where startsTrigger(bytes, pairAt: pair) { return true }
                    }
                    pairStart += 8
                }
                while pairStart + 1 < bytes.count {
                    if startsTrigger(bytes, pairAt: pairStart) { return true }
                    pairStart += 2
                }
                return false
            }
        }
    }

    /// Whether the pair of bytes at `pairStart` is the first or second pair of a trigger that `bytes` holds there.
    private static func startsTrigger(_ bytes: UnsafeBufferPointer<UInt8>, pairAt pairStart: Int) -> Bool {
        let group = groupOfPair[Int(bytes[pairStart + 1]) << 8 | Int(bytes[pairStart])]
        guard group != 0 else { return false }
        for candidate in candidateGroups[Int(group) - 1] {
            let start = pairStart - candidate.offset
            guard start >= 0, start + candidate.bytes.count <= bytes.count else { continue }
            var matched = true
            for (offset, byte) in candidate.bytes.enumerated() where bytes[start + offset].asciiLowercased != byte {
                matched = false
                break
            }
            if matched { return true }
        }
        return false
    }

    /// `text` with every credential the rules recognise replaced.
    public static func redact(_ text: String) -> String {
        guard hasTrigger(text) else { return text }
        var result = text
        for (expression, template) in rules {
            let range = NSRange(result.startIndex..., in: result)
            result = expression.stringByReplacingMatches(in: result, range: range, withTemplate: template)
        }
        return result
    }

    /// Metadata values are redacted; a value under a credential's name is hidden whole.
    static func redact(_ metadata: Logger.Metadata) -> Logger.Metadata {
        var result = Logger.Metadata()
        for (key, value) in metadata {
            let name = key.lowercased()
            let secret = ["authorization", "apikey", "api-key", "api_key", "cookie", "password", "token", "secret"]
                .contains { name.contains($0) }
            result[key] = secret ? "***" : redact(value)
        }
        return result
    }

    static func redact(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(redact(text))
        case .stringConvertible(let convertible): .string(redact(convertible.description))
        case .array(let values): .array(values.map(redact))
        case .dictionary(let values): .dictionary(redact(values))
        }
    }
}
