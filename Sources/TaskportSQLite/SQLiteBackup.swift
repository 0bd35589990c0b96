import Foundation
import GRDB
import TaskportCore

extension SQLiteStore {
    /// Copies the whole store into a new file at `path`, as one consistent snapshot taken in a
    /// read transaction, while servers go on writing (SQLite's online backup, all pages in one
    /// step). Every write committed before the copy began is in it; none that began after. The
    /// copy is a complete store: serve it with `--database`.
    public func backup(to path: String) async throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw TaskportError.conflict("\(path) exists already; a backup never overwrites a file")
        }
        let source = writer
        try await Task.detached {
            let destination = try DatabaseQueue(path: path)
            try source.backup(to: destination)
            try destination.close()
        }.value
    }
}
