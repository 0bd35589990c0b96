import Foundation
import TaskportCore

/// A CoworkerTask body, read and checked in the vendor's two rounds: first each field's shape
/// (present when required, of the right type, a date that parses), then, only if every field
/// passed, the businesses, customers and users its ids name. Each round reports every failing
/// field at once.
struct NexudusForm: Sendable {
    /// A field that may be absent (nil), sent as `null` (`.some(nil)`) or sent with a value.
    typealias Sent<T> = T??

    var id: Int64?
    var businessID: Int64?
    var coworkerID: Int64?
    var responsibleID: Int64?
    var name: String?
    var notes: Sent<String> = nil
    var listItemID: Sent<String> = nil
    var systemID: Sent<String> = nil
    var completed: Bool?
    var reminded: Bool?
    var notifyByEmail: Bool?
    var displayToEveryone: Bool?
    var dueDate: Sent<Timestamp> = nil
    /// The wall-clock text, kept until the business's time zone is known.
    var dueDateLocal: Sent<String> = nil
    /// The `UpdatedOn` the client read, when it sent one back.
    var updatedOn: Timestamp?

    private(set) var problems: [NexudusFieldError] = []
    private let members: JSONObject

    /// Round one. `requireID` for an update, whose body names the record by `Id`.
    init(_ body: NexudusTaskBody, requireID: Bool) {
        members = body.members
        if requireID { id = requiredInteger("Id") }
        businessID = requiredInteger("BusinessId")
        coworkerID = requiredInteger("CoworkerId")
        name = requiredText("Name")
        responsibleID = requiredInteger("ResponsibleId")
        notes = optionalText("Notes")
        listItemID = optionalText("TaskItemUniqueId")
        completed = flag("Completed")
        dueDate = optional("DueDate", "is not a date-time such as 2025-01-15T10:30:00Z", Self.utc)
        reminded = flag("Reminded")
        notifyByEmail = flag("NotifyByEmail")
        displayToEveryone = flag("DisplayToEveryone")
        dueDateLocal = optional("DueDateLocal", "is not a local date-time such as 2025-01-15T10:30:00") { text in
            Timestamp(wallClock: text, in: Self.utcZone) == nil ? nil : text
        }
        systemID = optionalText("SystemId")
        if let sent = members["UpdatedOn"], sent != .null {
            if case .string(let text) = sent, let time = Self.utc(text) {
                updatedOn = time
            } else {
                problems.append(NexudusFieldError("UpdatedOn", "is not a date-time as the record showed it", attempted: sent))
            }
        }
    }

    // MARK: Round two

    /// What the ids name in the tenant, looked up once round one has passed. An id of `0` is
    /// what a record shows for a task without a business, customer or responsible user (made
    /// through another surface): sent back, it keeps what the task has, and the field stays nil.
    struct Resolved: Sendable {
        var business: Business?
        var customer: Account?
        var responsible: User?
    }

    /// The due date refused: `DueDate` and `DueDateLocal` both changed and disagree.
    struct Refusal: Error {
        let result: NexudusValidationResult
    }

    /// The edits cannot be worked out from the stored task alone: what it shows (an id sent back
    /// as `0`, or the zone it was shown in before it moves to another business) must be looked up.
    struct NeedsShownTask: Error {}

    /// Whether the body sends back an id as `0`, which only the task's record can settle.
    var keepsAShownID: Bool { [businessID, coworkerID, responsibleID].contains(0) }

    /// Looks up the business, customer and responsible user. `shown` is the task's record as the
    /// client read it; without it, no id may be `0`. Returns every problem found, or the result.
    func resolve(in tenantID: UUID, shown: NexudusTask?, store: any DirectoryStore & CatalogStore) async throws -> Result<Resolved, NexudusValidationResult> {
        var problems: [NexudusFieldError] = []
        func kept(_ sent: Int64?, _ shownID: Int64?) -> Bool { sent == 0 && shownID == 0 }
        var resolved = Resolved()
        if !kept(businessID, shown?.shownBusinessID) {
            resolved.business = try await store.business(number: businessID ?? 0, in: tenantID)
            if resolved.business == nil {
                problems.append(NexudusFieldError("BusinessId", "does not name a business", attempted: JSONValue(businessID)))
            }
        }
        if !kept(coworkerID, shown?.shownCoworkerID) {
            resolved.customer = try await store.account(number: coworkerID ?? 0, in: tenantID)
            if resolved.customer == nil {
                problems.append(NexudusFieldError("CoworkerId", "does not name a customer", attempted: JSONValue(coworkerID)))
            }
        }
        if !kept(responsibleID, shown?.shownResponsibleID) {
            resolved.responsible = try await store.user(number: responsibleID ?? 0, in: tenantID)
            if resolved.responsible == nil {
                problems.append(NexudusFieldError("ResponsibleId", "does not name an admin user", attempted: JSONValue(responsibleID)))
            }
        }
        return problems.isEmpty ? .success(resolved) : .failure(NexudusValidationResult(problems))
    }

    /// The edits the body asks for, worked out against `current` (nil for a new task): the due
    /// date settled in the zone the record showed it in. `shown` is the task's record, when it
    /// was looked up; the store's write calls this without it, and it throws `NeedsShownTask`
    /// when the answer depends on it. Throws `Refusal` when the due dates disagree.
    func edits(_ resolved: Resolved, to current: TaskRecord?, shown: NexudusTask?) throws -> TaskPatch {
        // The record showed local times in its business's zone (or its own); a new business brings its own.
        var shownZone = Self.utcZone
        if let current {
            if let business = resolved.business, business.scopeID == current.content.scopeID {
                shownZone = TimeZoneName.zone(business.timeZone) ?? Self.utcZone
            } else if let shown {
                shownZone = shown.zone
            } else if dueDateLocal != nil {
                throw NeedsShownTask()
            }
        }
        let zone = resolved.business.flatMap { TimeZoneName.zone($0.timeZone) } ?? shownZone
        switch dueAt(in: zone, shownIn: shownZone, current: current?.content) {
        case .success(let dueAt): return patch(resolved, dueAt: dueAt, to: current?.content)
        case .failure(let refusal): throw Refusal(result: refusal)
        }
    }

    /// The due date the client means. A field sent back as the record showed it is unchanged;
    /// the one that changed wins; both changed must agree.
    func dueAt(in zone: TimeZone, shownIn shownZone: TimeZone, current: TaskContent?) -> Result<Sent<Timestamp>, NexudusValidationResult> {
        let local: Sent<Timestamp> = dueDateLocal.map { text in text.flatMap { Timestamp(wallClock: $0, in: zone) } }
        switch (dueDate, local) {
        case (nil, nil): return .success(nil)
        case (let utc?, nil): return .success(utc)
        case (nil, let local?): return .success(local)
        case (let utc?, let local?):
            if utc == local { return .success(utc) }
            let stored = current?.dueAt
            let sentLocal = dueDateLocal ?? nil
            if Self.sameWallClock(sentLocal, stored, shownZone) { return .success(utc) }
            if utc == stored { return .success(local) }
            let problem = NexudusFieldError(
                "DueDateLocal", "does not match DueDate in the business's time zone (\(zone.identifier))",
                attempted: JSONValue(sentLocal)
            )
            return .failure(NexudusValidationResult([problem]))
        }
    }

    /// Whether a sent wall-clock text shows the same time as `stored` does in `zone` (the text may
    /// be written with or without fractional seconds).
    static func sameWallClock(_ text: String?, _ stored: Timestamp?, _ zone: TimeZone) -> Bool {
        guard let text, let stored, let sent = Timestamp(wallClock: text, in: utcZone),
            let shown = Timestamp(wallClock: stored.wallClock(in: zone), in: utcZone)
        else { return text == nil && stored == nil }
        return sent == shown
    }

    /// The edits the body asks for, to `current` (nil for a new task). Optional fields it leaves
    /// out keep their values. A task that moves to a business (or is made in one) takes its time
    /// zone; one that stays keeps its own.
    func patch(_ resolved: Resolved, dueAt: Sent<Timestamp>, to current: TaskContent?) -> TaskPatch {
        var patch = TaskPatch()
        if let name { patch.append(.title(name)) }
        if let business = resolved.business, current == nil || business.scopeID != current?.scopeID {
            patch.append(.scopeID(business.scopeID))
            patch.append(.timeZone(business.timeZone))
        }
        if let customer = resolved.customer { patch.append(.subjectID(customer.subjectID)) }
        if let responsible = resolved.responsible { patch.append(.responsibleID(responsible.id)) }
        if let notes { patch.append(.notes(notes)) }
        if let listItemID { patch.append(.listItemID(listItemID)) }
        if let systemID { patch.append(.externalID(systemID)) }
        if let completed { patch.append(.completed(completed)) }
        if let dueAt { patch.append(.dueAt(dueAt)) }
        if let reminded { patch.append(.reminded(reminded)) }
        if let notifyByEmail { patch.append(.notifyByEmail(notifyByEmail)) }
        if let displayToEveryone { patch.append(.visibleToEveryone(displayToEveryone)) }
        return patch
    }

    // MARK: Reading members

    /// Absent, `null` and `""` count as missing.
    private mutating func required<T>(_ member: String, _ message: String, _ read: (JSONValue) -> T?) -> T? {
        switch members[member] {
        case nil, .null?, .string("")?:
            problems.append(NexudusFieldError(member, "is a required field"))
            return nil
        case let sent?:
            if let value = read(sent) { return value }
            problems.append(NexudusFieldError(member, message, attempted: sent))
            return nil
        }
    }

    private mutating func requiredInteger(_ member: String) -> Int64? {
        required(member, "must be a whole number") { if case .integer(let value) = $0 { value } else { nil } }
    }

    private mutating func requiredText(_ member: String) -> String? {
        required(member, "must be a string") { if case .string(let value) = $0 { value } else { nil } }
    }

    /// An empty string clears the field, as `null` does.
    private mutating func optionalText(_ member: String) -> Sent<String> {
        optional(member, "must be a string") { $0 }.map { $0.flatMap { $0.isEmpty ? nil : $0 } }
    }

    private mutating func optional<T>(_ member: String, _ message: String, _ read: (String) -> T?) -> Sent<T> {
        switch members[member] {
        case nil: return nil
        case .null?: return .some(nil)
        case .string(let text)? where read(text) != nil: return .some(read(text))
        case let sent?:
            problems.append(NexudusFieldError(member, message, attempted: sent))
            return nil
        }
    }

    private mutating func flag(_ member: String) -> Bool? {
        switch members[member] {
        case nil: return nil
        case .bool(let value)?: return value
        case let sent?:
            problems.append(NexudusFieldError(member, "must be true or false", attempted: sent))
            return nil
        }
    }

    static let utcZone = TimeZone.gmt

    /// `DueDate` is UTC: RFC 3339 with an offset, or a date-time without one read as UTC.
    static func utc(_ text: String) -> Timestamp? {
        Timestamp(rfc3339: text) ?? Timestamp(wallClock: text, in: utcZone)
    }
}
