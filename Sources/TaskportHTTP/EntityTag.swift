import Foundation
import TaskportCore

/// Versions as HTTP entity tags, the same on every surface that uses them.
public enum EntityTag {
    /// The strong entity tag of a task's version: `"7"`.
    public static func of(_ task: TaskRecord) -> String { "\"\(task.version)\"" }

    /// An `If-Match` value as a precondition. `*` matches any existing task (no precondition);
    /// with `acceptingTimestamps`, a bare RFC 3339 value is taken as the task's `updatedAt`.
    /// Anything else that is not a tag Taskport issued (weak, malformed, a list) names no
    /// version, so it never matches.
    public static func precondition(ifMatch: String, acceptingTimestamps: Bool = false) -> TaskPrecondition? {
        let value = String(ifMatch.trimmingSpaces())
        if value == "*" { return nil }
        if acceptingTimestamps, let timestamp = Timestamp(rfc3339: value) { return .updatedAt(timestamp) }
        guard value.count >= 3, value.hasPrefix("\""), value.hasSuffix("\""),
            let version = Int64(value.dropFirst().dropLast()), version > 0
        else { return .version(0) }
        return .version(version)
    }
}
