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
    /// The most tasks kept; past this the memory starts over.
    static let capacity = 20_000

    private struct Key: Hashable {
        var tenantID: UUID
        var reference: TaskReference
    }

    private let records = Mutex<[Key: TaskRecord]>([:])

    func record(_ reference: TaskReference, in tenantID: UUID) -> TaskRecord? {
        records.withLock { $0[Key(tenantID: tenantID, reference: reference)] }
    }

    /// Keeps `record` under its id and its number.
    func keep(_ record: TaskRecord) {
        records.withLock { records in
            if records.count >= Self.capacity * 2 { records.removeAll(keepingCapacity: true) }
            records[Key(tenantID: record.tenantID, reference: .id(record.id))] = record
            records[Key(tenantID: record.tenantID, reference: .number(record.number))] = record
        }
    }

    /// Forgets `record` under its id and its number.
    func forget(_ record: TaskRecord) {
        records.withLock { records in
            records[Key(tenantID: record.tenantID, reference: .id(record.id))] = nil
            records[Key(tenantID: record.tenantID, reference: .number(record.number))] = nil
        }
    }
}
