import Foundation
import NIOPosix
import Testing

/// The repository's root, found from this file's place in it.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A real SMTP server on loopback (aiosmtpd, `tests/notifications/smtp_sink.py`, installed into
/// `.venv` by the test command) that spools every message it accepts to a folder.
final class SMTPSink: @unchecked Sendable {
    let port: Int
    let spool: URL
    private let process: Process

    private init(port: Int, spool: URL, process: Process) {
        self.port = port
        self.spool = spool
        self.process = process
    }

    /// Starts a sink on `port` (a free one when 0), optionally requiring `AUTH` as `user:password`.
    /// Spawning and waiting for it block, so they run on NIO's thread pool, not the concurrency pool.
    static func start(port: Int = 0, spool: URL? = nil, auth: String? = nil, options: [String] = []) async throws -> SMTPSink {
        // A port given back a moment ago may still be in use: try again for a while.
        var attempt = 0
        while true {
            do {
                return try await NIOThreadPool.singleton.runIfActive { try spawn(port: port, spool: spool, auth: auth, options: options) }
            } catch is SinkError where port != 0 && attempt < 40 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    private static func spawn(port: Int, spool: URL?, auth: String?, options: [String]) throws -> SMTPSink {
        let folder = spool ?? FileManager.default.temporaryDirectory.appendingPathComponent("taskport-smtp-\(UUID())")
        let process = Process()
        process.executableURL = repositoryRoot.appendingPathComponent(".venv/bin/python")
        process.arguments = ["-W", "ignore", repositoryRoot.appendingPathComponent("tests/notifications/smtp_sink.py").path,
                             "--port", String(port), "--spool", folder.path] + (auth.map { ["--auth", $0] } ?? []) + options
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw SinkError(reason: "the SMTP sink exited before it was ready") }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("ready "), let bound = Int(text.dropFirst(6)) else { throw SinkError(reason: "unexpected: \(text)") }
        return SMTPSink(port: bound, spool: folder, process: process)
    }

    /// Asks the sink to stop, without waiting for it.
    func stop() {
        if process.isRunning { process.terminate() }
    }

    /// Stops the sink and waits until it has let go of its port.
    func stopAndWait() async throws {
        stop()
        try await exited(process)
    }

    deinit { stop() }

    /// Every message received so far, in order.
    func messages() throws -> [ReceivedEmail] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []
        let count = names.filter { $0.hasSuffix(".eml") }.count
        return try (0..<count).map { index in
            let envelope = try JSONSerialization.jsonObject(with: Data(contentsOf: spool.appendingPathComponent("\(index + 1).json"))) as? [String: Any]
            let raw = try String(contentsOf: spool.appendingPathComponent("\(index + 1).eml"), encoding: .utf8)
            return ReceivedEmail(raw: raw, recipients: envelope?["rcpt_tos"] as? [String] ?? [], sender: envelope?["mail_from"] as? String ?? "")
        }
    }

    /// Waits until `count` messages have arrived (or fails after `seconds`).
    func waitForMessages(_ count: Int, seconds: Double = 20) async throws -> [ReceivedEmail] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let received = try messages()
            if received.count >= count { return received }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SinkError(reason: "\(try messages().count) of \(count) messages arrived in \(seconds) s")
    }

    struct SinkError: Error, CustomStringConvertible {
        var reason: String
        var description: String { reason }
    }
}

/// A message as the SMTP server received it: headers unfolded, RFC 2047 words and the base64 body decoded.
struct ReceivedEmail {
    let raw: String
    let recipients: [String]
    let sender: String

    var headers: [String: String] {
        let head = raw.components(separatedBy: "\r\n\r\n").first ?? ""
        var result: [String: String] = [:]
        var lastName: String?
        for line in head.components(separatedBy: "\r\n") {
            if line.hasPrefix(" ") || line.hasPrefix("\t"), let name = lastName {
                result[name, default: ""] += line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                let name = String(line[..<colon]).lowercased()
                result[name] = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                lastName = name
            }
        }
        return result
    }

    /// A header with its encoded words decoded.
    func header(_ name: String) -> String? {
        guard let value = headers[name.lowercased()] else { return nil }
        guard value.contains("=?UTF-8?B?") else { return value }
        return value.components(separatedBy: "?=").compactMap { part -> String? in
            guard let start = part.range(of: "=?UTF-8?B?") else { return nil }
            return Data(base64Encoded: String(part[start.upperBound...])).map { String(decoding: $0, as: UTF8.self) }
        }.joined()
    }

    var body: String {
        let encoded = raw.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            .replacingOccurrences(of: "\r\n", with: "")
        return Data(base64Encoded: encoded).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

/// Waits for a child process to end. (Foundation's `waitUntilExit` can hang when it is called
/// off the thread that started the process; its monitor thread keeps `isRunning` current.)
func exited(_ process: Process, seconds: Double = 20) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning {
        guard Date() < deadline else { throw SMTPSink.SinkError(reason: "process \(process.processIdentifier) did not exit") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

