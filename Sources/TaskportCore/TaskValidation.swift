import Foundation

/// The limits a task's content must respect on every surface.
public enum TaskLimits {
    public static let titleLength = 500
    public static let notesLength = 20_000
    public static let attributeLength = 100
    public static let referenceLength = 200
    public static let attachmentCount = 100
    public static let attachmentLength = 2_000
    /// Levels of objects and arrays in `metadata`, itself the first (and in a task attribute's configuration).
    public static let metadataDepth = 16
    /// The size of `metadata` as compact JSON.
    public static let metadataBytes = 65_536
}

/// The limits on every JSON body a surface reads, checked before anything decodes it.
public enum JSONLimits {
    /// Levels of objects and arrays, the body itself being the first.
    public static let depth = 32
    /// Members of one object.
    public static let members = 1_000
    /// Elements of one array.
    public static let elements = 10_000
}

extension TaskContent {
    /// Every way this content breaks the rules, in field order; empty when it is valid.
    /// References to users and teams are checked by the store, inside the write.
    public func problems() -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if title.isBlank {
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
        if let timeZone, TimeZoneName.zone(timeZone) == nil {
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
        // NUL is the byte 0 in UTF-8, and no other scalar's encoding holds that byte.
        for (field, value) in texts where value?.utf8.contains(0) == true {
            problems.append(FieldProblem(field, "must not contain the NUL character"))
        }
        if let problem = JSONValue.object(metadata).limitProblem() {
            problems.append(FieldProblem(.metadata, problem))
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

extension JSONValue {
    /// Why this free-form value is too large to store, or nil when it is within
    /// `TaskLimits.metadataDepth` and `TaskLimits.metadataBytes`.
    public func limitProblem() -> String? {
        var bytes = 0
        guard measure(depth: 0, bytes: &bytes) else {
            return "must be at most \(TaskLimits.metadataDepth) levels of objects and arrays deep"
        }
        guard bytes <= TaskLimits.metadataBytes else {
            return "must be at most \(TaskLimits.metadataBytes) bytes as JSON"
        }
        return nil
    }

    /// About the size of the compact encoding, counted no further than a little past
    /// `TaskLimits.metadataBytes`.
    public var approximateBytes: Int {
        var bytes = 0
        _ = measure(depth: 0, bytes: &bytes)
        return bytes
    }

    /// Adds about the compact encoding's size to `bytes`; false when deeper than allowed.
    /// Stops early once either limit is passed.
    private func measure(depth: Int, bytes: inout Int) -> Bool {
        switch self {
        case .null, .bool: bytes += 5
        case .integer, .number: bytes += 8
        case .string(let text): bytes += text.utf8.count + 2
        case .array(let elements):
            guard depth < TaskLimits.metadataDepth else { return false }
            bytes += 2 + elements.count
            for element in elements where bytes <= TaskLimits.metadataBytes {
                guard element.measure(depth: depth + 1, bytes: &bytes) else { return false }
            }
        case .object(let members):
            guard depth < TaskLimits.metadataDepth else { return false }
            bytes += 2 + members.count
            for (name, value) in members where bytes <= TaskLimits.metadataBytes {
                bytes += name.utf8.count + 3
                guard value.measure(depth: depth + 1, bytes: &bytes) else { return false }
            }
        }
        return true
    }
}
