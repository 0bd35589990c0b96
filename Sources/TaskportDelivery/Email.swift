import Foundation

/// A plain-text email, rendered as MIME (RFC 5322 headers, UTF-8 body in base64).
public struct Email: Sendable {
    /// The `Message-ID` without angle brackets; stable across retries so receivers can drop duplicates.
    public var messageID: String
    public var from: String
    public var to: [String]
    public var subject: String
    public var text: String
    public var date: Date
    /// Extra headers, e.g. `X-Taskport-Event`.
    public var headers: [(String, String)]

    public init(messageID: String, from: String, to: [String], subject: String, text: String, date: Date = Date(), headers: [(String, String)] = []) {
        self.messageID = messageID
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.date = date
        self.headers = headers
    }

    /// Header and body as they go after DATA, CRLF line ends, before dot-stuffing.
    public func rendered() -> String {
        var lines = [
            "Date: " + Self.rfc5322(date),
            "From: " + Self.clean(from),
            "To: " + to.map(Self.clean).joined(separator: ", "),
            "Subject: " + Self.encodedWords(subject),
            "Message-ID: <" + Self.clean(messageID) + ">",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
        ]
        lines += headers.map { "\(Self.clean($0.0)): \(Self.encodedWords($0.1))" }
        let body = Data(text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n").utf8)
            .base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return lines.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n"
    }

    /// RFC 5321 §4.5.2: a line that starts with a period gets one more.
    public static func dotStuffed(_ data: String) -> String {
        data.components(separatedBy: "\r\n").map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n")
    }

    /// Header text as is when it is printable ASCII, else RFC 2047 encoded words (UTF-8, base64),
    /// each under 76 characters and never splitting a character, folded onto continuation lines.
    static func encodedWords(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if flat.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }), flat.count <= 900 {
            return flat
        }
        var words: [String] = []
        var chunk = ""
        for character in flat {
            if chunk.utf8.count + String(character).utf8.count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?" + Data($0.utf8).base64EncodedString() + "?=" }.joined(separator: "\r\n ")
    }

    /// Removes line breaks, so no value can add a header.
    static func clean(_ text: String) -> String {
        text.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")
    }

    static func rfc5322(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
