import Foundation
import TaskportCore

/// The words of each email Taskport sends, made from what the change wrote to the outbox.
public enum EmailText {
    /// The email for an outbox message, or nil for an event Taskport does not email.
    public static func email(for entry: OutboxEntry, from sender: String) -> Email? {
        let message = entry.message
        let payload = message.payload
        func text(_ key: String) -> String? {
            if case .string(let value)? = payload[key] { return value }
            return nil
        }
        let title = text("taskTitle") ?? "a task"
        let subject: String
        var lines: [String] = []
        switch message.event {
        case "task.assigned":
            let assigner = text("assignedByName") ?? "Someone"
            let assignee = text("assigneeName") ?? "you"
            subject = "Task assigned: \(title)"
            lines.append("Hello \(text("recipientName") ?? ""),".replacingOccurrences(of: " ,", with: ","))
            lines.append("")
            lines.append("\(assigner) assigned the task \u{201C}\(title)\u{201D} to \(assignee).")
            if let comment = text("comment"), !comment.isEmpty {
                lines.append("")
                lines.append("Comment: \(comment)")
            }
        case "task.reminder":
            subject = "Reminder: \(title) is due"
            lines.append("Hello \(text("recipientName") ?? ""),".replacingOccurrences(of: " ,", with: ","))
            lines.append("")
            lines.append("The task \u{201C}\(title)\u{201D} is due \(text("dueLocal") ?? text("dueAt") ?? "now").")
        default:
            return nil
        }
        lines.append("")
        lines.append("Task \(text("taskId") ?? entry.taskID?.lowercasedText ?? "")")
        return Email(
            messageID: "\(message.id.lowercasedText)@taskport", from: sender, to: [message.recipient],
            subject: subject, text: lines.joined(separator: "\n"), headers: [("X-Taskport-Event", message.event)]
        )
    }

    /// A due time as the recipient's business reads it: `2026-03-29 02:30 (Europe/London)`.
    public static func localDueTime(_ due: Timestamp, in zoneName: String?) -> String {
        let zone = zoneName.flatMap(TimeZoneName.zone) ?? TimeZone.gmt
        let wall = due.wallClock(in: zone)
        let minutes = wall.prefix(16).replacingOccurrences(of: "T", with: " ")
        return "\(minutes) (\(zone.identifier))"
    }
}
