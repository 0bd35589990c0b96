import Foundation
public import TaskportCore

/// The emails an assignment sends, the same whichever surface (or the console) makes it.
public enum AssignmentNotices {
    /// One `task.assigned` email per recipient: the assigned user, or every member of the
    /// assigned team. Written to the outbox with the change that makes the assignment.
    public static func messages(
        of assignee: Assignee, by assigner: UUID, comment: String?, task current: TaskRecord, in store: any DirectoryStore
    ) async throws -> [OutboxMessage] {
        let tenantID = current.tenantID
        let recipients: [User]
        let assigneeName: String
        switch assignee.kind {
        case .user:
            guard let user = try await store.user(assignee.id, in: tenantID) else { return [] }
            recipients = [user]
            assigneeName = user.name
        case .team:
            guard let team = try await store.team(assignee.id, in: tenantID) else { return [] }
            var members: [User] = []
            for id in team.memberIDs {
                if let user = try await store.user(id, in: tenantID) { members.append(user) }
            }
            recipients = members
            assigneeName = team.name
        }
        let assignerName = try await store.user(assigner, in: tenantID)?.name
        return recipients.map { recipient in
            OutboxMessage(
                channel: .email, recipient: recipient.email, event: "task.assigned",
                payload: [
                    "taskId": .string(current.id.lowercasedText),
                    "taskTitle": .string(current.content.title),
                    "assigneeType": .string(assignee.kind == .user ? "USER" : "TEAM"),
                    "assigneeId": .string(assignee.id.lowercasedText),
                    "assigneeName": .string(assigneeName),
                    "assignedById": .string(assigner.lowercasedText),
                    "assignedByName": JSONValue(assignerName),
                    "comment": JSONValue(comment),
                    "recipientName": .string(recipient.name),
                ]
            )
        }
    }
}
