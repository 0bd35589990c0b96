import Hummingbird
import TaskportCore
import TaskportHTTP

/// What the journal never keeps: the values of credential headers (the scheme of an
/// `Authorization` stays), and, in bodies, whatever the log's redaction recognises — API keys,
/// tokens, JWTs, passwords, webhook secrets.
enum JournalRedaction {
    /// Whether a header carries a credential, by its lower-case name (compared, not hashed: this
    /// runs for every header of every journaled request and answer).
    static func isCredential(_ canonicalName: String) -> Bool {
        switch canonicalName {
        case "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "apikey": true
        default: false
        }
    }

    static func headers(_ fields: HTTPFields) -> [JournalEntry.Header] {
        fields.map { field in
            let name = field.name.canonicalName
            guard isCredential(name) else { return JournalEntry.Header(name: field.name.rawName, value: field.value) }
            // The scheme (`Bearer`) stays: the first word of a value that has more than one.
            let space = field.value.utf8.firstIndex(of: UInt8(ascii: " "))
            let scheme = space.map { field.value[..<$0] }.flatMap { $0.isEmpty ? nil : $0 }
            let redacted = name.hasSuffix("authorization") && space != nil ? "\(scheme ?? "") ***" : "***"
            return JournalEntry.Header(name: field.name.rawName, value: redacted)
        }
    }

    static func body(_ body: JournalEntry.Body) -> JournalEntry.Body {
        var redacted = body
        redacted.text = LogRedaction.redact(body.text)
        return redacted
    }

    /// An entry as it may be stored.
    static func entry(_ entry: JournalEntry) -> JournalEntry {
        var redacted = entry
        redacted.requestBody = body(entry.requestBody)
        redacted.responseBody = body(entry.responseBody)
        redacted.target = LogRedaction.redact(entry.target)
        return redacted
    }
}
