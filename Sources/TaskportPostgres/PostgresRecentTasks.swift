import Foundation
import Synchronization
import TaskportCore

/// The tasks this server last read or wrote, as it saw them, so that the next change to one is a
/// single statement instead of a read and a write.
///
/// A task kept here may be stale (another server changed it since); that is never trusted: the
/// change is written only where the task still has the version and update time it was computed
/// from (`UpdateTask`'s `WHERE version = … AND updated_at = …`). When it does not, or the engine
/// refuses the change against the kept task (a precondition, say), the task is forgotten and read
/// as if it had not been kept, so every answer a client gets is computed from the task as stored.
final class RecentTasks: Sendable {
    /// The most tasks kept, and about the most bytes of text they may hold (a task may hold a
    /// few hundred kilobytes); past either, the memory starts over.
    static let capacity = 20_000
    static let byteBudget = 32 << 20

    private struct Key: Hashable {
        var tenantID: UUID
        var reference: TaskReference
    }

    /// A task as kept, with about the bytes its text takes, counted once when it is kept.
    private struct Entry {
        var record: TaskRecord
        var bytes: Int
    }

    private struct State {
        /// Each task under its id and under its number.
        var entries: [Key: Entry] = [:]
        /// The bytes of the tasks under their ids.
        var bytes = 0
    }

    private let state = Mutex(State())

    func record(_ reference: TaskReference, in tenantID: UUID) -> TaskRecord? {
        state.withLock { $0.entries[Key(tenantID: tenantID, reference: reference)]?.record }
    }

    /// Keeps `record` under its id and its number.
    func keep(_ record: TaskRecord) {
        let entry = Entry(record: record, bytes: Self.bytes(of: record))
        let byID = Key(tenantID: record.tenantID, reference: .id(record.id))
        state.withLock { state in
            if let previous = state.entries[byID] { state.bytes -= previous.bytes }
            if state.entries.count >= Self.capacity * 2 || state.bytes + entry.bytes > Self.byteBudget {
                state.entries.removeAll(keepingCapacity: true)
                state.bytes = 0
            }
            state.entries[byID] = entry
            state.entries[Key(tenantID: record.tenantID, reference: .number(record.number))] = entry
            state.bytes += entry.bytes
        }
    }

    /// Forgets `record` under its id and its number.
    func forget(_ record: TaskRecord) {
        let byID = Key(tenantID: record.tenantID, reference: .id(record.id))
        state.withLock { state in
            if let previous = state.entries.removeValue(forKey: byID) { state.bytes -= previous.bytes }
            state.entries[Key(tenantID: record.tenantID, reference: .number(record.number))] = nil
        }
    }

    /// About the bytes the kept tasks' text takes, for tests.
    var heldBytes: Int { state.withLock { $0.bytes } }

    /// About the memory a task's text takes.
    static func bytes(of record: TaskRecord) -> Int {
        let task = record.content
        return 512 + task.title.utf8.count + (task.notes?.utf8.count ?? 0) + task.attachments.reduce(0) { $0 + $1.utf8.count }
            + JSONValue.object(task.metadata).approximateBytes
    }
}
