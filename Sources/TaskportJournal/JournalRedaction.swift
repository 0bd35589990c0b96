import Hummingbird
import TaskportCore
import TaskportHTTP

/// What the journal never keeps: the values of credential headers (the scheme of an
/// `Authorization` stays), and, in bodies, whatever the log's redaction recognises — API keys,
/// tokens, JWTs, passwords, webhook secrets.
enum JournalRedaction {
    static let credentialHeaders: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "apikey",
    ]

    static func headers(_ fields: HTTPFields) -> [JournalEntry.Header] {
        fields.map { field in
            let name = field.name.canonicalName
            guard credentialHeaders.contains(name) else { return JournalEntry.Header(name: field.name.rawName, value: field.value) }
            let scheme = field.value.split(separator: " ", maxSplits: 1).first.map(String.init)
            let redacted = name.hasSuffix("authorization") && field.value.contains(" ") ? "\(scheme ?? "") ***" : "***"
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
