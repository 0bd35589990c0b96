import Foundation
import TaskportCore
import Testing

@testable import TaskportSQLite

/// What a server keeps in its directory cache follows another process's commits to the same
/// SQLite file (a `taskport` command while it serves) within `OtherProcessChanges.interval`.
@Suite("SQLite changes made by another process")
struct OtherProcessChangesTests {
    /// The first time `condition` holds, within five seconds (the cache below keeps entries for
    /// sixty); nil when it never does.
    static func firstTime(_ condition: () async throws -> Bool) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(5) {
            if try await condition() { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(5))
        }
        return nil
    }

    /// With the watcher running before the other process commits (its change is heard), and with
    /// the watcher started only after it (what was cached before its first reading is dropped).
    @Test(arguments: [true, false])
    func aWebhookAnotherProcessAddsCountsWithoutWaitingForTheCache(watcherFirst: Bool) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("taskport-other-process-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("taskport.sqlite").path
        // A cache that would keep the webhook list for a minute: only the other process's commit can empty it.
        let server = try SQLiteStore(path: path, directoryCache: DirectoryCache(lifetime: .seconds(60)))
        let f = try await Fixture.make(from: server)
        let task = try await f.create("Watched from elsewhere")
        var notes = 0
        func write() async throws {
            notes += 1
            _ = try await server.apply(TaskMutation(tenantID: f.tenant.id, task: .id(task.id), kind: .patch(TaskPatch([.notes("n\(notes)")])), actor: f.actor))
        }
        func webhookMessages() async throws -> Int {
            try await server.outboxMessages(in: f.tenant.id, matching: OutboxQuery(channel: .webhook, limit: 100)).count
        }
        try await write()
        #expect(try await webhookMessages() == 0)

        try await withThrowingTaskGroup(of: Void.self) { group in
            let command = try SQLiteStore(path: path)
            if watcherFirst {
                group.addTask { try await server.otherProcessChanges.run() }
                try await Task.sleep(for: OtherProcessChanges.interval * 5)
            }
            _ = try await command.createWebhook(url: "https://hooks.acme.test/elsewhere", secret: "0123456789abcdef", in: f.tenant.id)
            if !watcherFirst { group.addTask { try await server.otherProcessChanges.run() } }
            let seen = try await Self.firstTime {
                try await write()
                return try await webhookMessages() > 0
            }
            group.cancelAll()
            #expect(seen != nil, "the webhook never counted")
        }
    }
}
