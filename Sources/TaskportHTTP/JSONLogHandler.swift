import Foundation
public import Logging
import Synchronization
import TaskportCore

/// How log lines are written: swift-log's text lines, or one JSON object per line for a log shipper.
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// Writes each record as one JSON object on one line of standard error: `time` (RFC 3339, UTC),
/// `level`, `label`, `message`, `source`, and every metadata member beside them (strings; arrays
/// and objects as JSON).
public struct JSONLogHandler: LogHandler {
    let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// One line at a time, so that lines of concurrent requests never interleave.
    private static let output = Mutex(())

    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit { merged.merge(explicit) { _, new in new } }
        var object: [String: Any] = merged.mapValues(Self.json)
        object["time"] = Timestamp.now().rfc3339
        object["level"] = level.rawValue
        object["label"] = label
        object["message"] = message.description
        object["source"] = source
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(0x0A)
        Self.output.withLock { _ in FileHandle.standardError.write(data) }
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(json)
        case .dictionary(let members): members.mapValues(json)
        }
    }
}

extension RedactingLogHandler {
    /// Makes every logger of the process redact, writing to standard error in `format`.
    public static func bootstrap(_ format: LogFormat) {
        switch format {
        case .text: bootstrap()
        case .json: LoggingSystem.bootstrap { label in RedactingLogHandler(JSONLogHandler(label: label)) }
        }
    }
}
