import Foundation

/// The limits a task's content must respect on every surface.
public enum TaskLimits {
    public static let titleLength = 500
    public static let notesLength = 20_000
    public static let attributeLength = 100
    public static let referenceLength = 200
    public static let attachmentCount = 100
    public static let attachmentLength = 2_000
}

extension TaskContent {
    /// Every way this content breaks the rules, in field order; empty when it is valid.
    /// References to users and teams are checked by the store, inside the write.
    public func problems() -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append(FieldProblem(.title, "is a required field"))
        } else if title.count > TaskLimits.titleLength {
            problems.append(FieldProblem(.title, "must be at most \(TaskLimits.titleLength) characters"))
        }
        for (field, value) in [(TaskField.notes, notes), (.assignmentComment, assignmentComment)] {
            if let value, value.count > TaskLimits.notesLength {
                problems.append(FieldProblem(field, "must be at most \(TaskLimits.notesLength) characters"))
            }
        }
        for (field, value) in [(TaskField.type, type), (.status, status), (.priority, priority)] {
            if let value, value.count > TaskLimits.attributeLength {
                problems.append(FieldProblem(field, "must be at most \(TaskLimits.attributeLength) characters"))
            }
        }
        if let timeZone, TimeZone(identifier: timeZone) == nil {
            problems.append(FieldProblem(.timeZone, "'\(timeZone)' is not an IANA time zone such as Europe/London"))
        }
        for (field, value) in [(TaskField.subjectId, subjectID), (.scopeId, scopeID), (.listItemId, listItemID), (.externalId, externalID)] {
            if let value, value.isEmpty || value.count > TaskLimits.referenceLength {
                problems.append(FieldProblem(field, "must be 1 to \(TaskLimits.referenceLength) characters"))
            }
        }
        let texts: [(TaskField, String?)] = [
            (.title, title), (.notes, notes), (.type, type), (.status, status), (.priority, priority), (.timeZone, timeZone),
            (.subjectId, subjectID), (.scopeId, scopeID), (.assignmentComment, assignmentComment),
            (.listItemId, listItemID), (.externalId, externalID),
        ]
        for (field, value) in texts where value?.contains("\u{0}") == true {
            problems.append(FieldProblem(field, "must not contain the NUL character"))
        }
        if attachments.count > TaskLimits.attachmentCount {
            problems.append(FieldProblem(.attachments, "must hold at most \(TaskLimits.attachmentCount) URLs"))
        } else if let bad = attachments.first(where: { !Self.isWebURL($0) }) {
            problems.append(FieldProblem(.attachments, "'\(bad)' is not an absolute http or https URL"))
        }
        return problems
    }

    /// Throws `TaskportError.invalid` listing every problem, if there are any.
    public func validate() throws(TaskportError) {
        let problems = problems()
        if !problems.isEmpty { throw .invalid(problems) }
    }

    static func isWebURL(_ text: String) -> Bool {
        guard text.count <= TaskLimits.attachmentLength, let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else { return false }
        return true
    }
}
