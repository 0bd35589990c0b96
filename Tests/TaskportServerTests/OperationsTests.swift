import AsyncHTTPClient
import Foundation
import GRDB
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import TaskportCore
import TaskportDelivery
import TaskportTestSupport
import Testing

/// The operator's commands against a live store, as cron or a person runs them: `taskport backup`
/// copying a SQLite file while a real server process takes writes, and `taskport doctor`.
@Suite("Backup and doctor", .serialized)
struct OperationsTests {
    /// Runs the taskport binary; returns its exit status and what it printed.
    static func taskport(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = ServerProcess.binary
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: printed, as: UTF8.self))
    }

    @Test(.timeLimit(.minutes(2)), .enabled(if: !TestBackend.isPostgres)) func aBackupTakenUnderWriteLoadHoldsEveryWriteAcknowledgedBeforeIt() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("taskport-backup-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("taskport.sqlite").path
        let port = try await ServerProcess.freePort()
        let server = try await ServerProcess(arguments: ["--database", database, "--demo"], port: port, directory: folder)
        let demo = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("taskport-demo.json"))) as? [String: Any]
        let key = try #require((demo?["native"] as? [String: Any])?["apiKey"] as? String)

        let writes = Writes()
        @Sendable func write(_ writer: Int) async throws {
            var index = 0
            while !writes.stop.load(ordering: .relaxed) {
                index += 1
                let title = "w\(writer)-\(index)"
                var create = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/tasks")
                create.method = .POST
                create.headers.add(name: "Authorization", value: "Bearer \(key)")
                create.headers.add(name: "Content-Type", value: "application/json")
                create.body = .bytes(ByteBuffer(string: #"{"title":"\#(title)"}"#))
                let response = try await HTTPClient.shared.execute(create, timeout: .seconds(30))
                if response.status == .created { writes.acknowledged.withLock { $0.append((title, ContinuousClock.now)) } }
            }
        }
        async let first: Void = write(1)
        async let second: Void = write(2)
        // Some writes acknowledged first, however slow the machine; the backup runs while they go on.
        for _ in 0..<600 where writes.acknowledged.withLock({ $0.count }) < 20 { try await Task.sleep(for: .milliseconds(50)) }
        let copy = folder.appendingPathComponent("copy.sqlite").path
        let began = ContinuousClock.now
        let backup = Process()
        backup.executableURL = ServerProcess.binary
        backup.arguments = ["backup", "--database", database, "--output", copy]
        backup.standardOutput = FileHandle.nullDevice
        try backup.run()
        while backup.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        #expect(backup.terminationStatus == 0)
        let ended = writes.acknowledged.withLock { $0.count }
        for _ in 0..<600 where writes.acknowledged.withLock({ $0.count }) <= ended { try await Task.sleep(for: .milliseconds(50)) }
        writes.stop.store(true, ordering: .relaxed)
        try await first
        try await second
        #expect(try await server.terminate() == 0)

        let done = writes.acknowledged.withLock { $0 }
        let before = done.filter { $0.1 < began }.map(\.0)
        #expect(before.count >= 20, "writes acknowledged before the backup began")
        #expect(done.count > ended, "the server took writes after it")
        let copied = try DatabaseQueue(path: copy)
        let integrity = try await copied.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        #expect(integrity == ["ok"])
        let titles = Set(try await copied.read { db in try String.fetchAll(db, sql: "SELECT title FROM tasks") })
        let missing = before.filter { !titles.contains($0) }
        #expect(missing.isEmpty, "acknowledged before the backup but not in it: \(missing.prefix(5))")

        // A second backup to the same file is refused and leaves the first as it was.
        #expect(try Self.taskport(["backup", "--database", database, "--output", copy]).0 != 0)
        #expect(try await copied.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") } == ["ok"])
    }

    @Test func doctorSaysHowTheStoreStandsAndWhetherTheMailServerAnswers() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("taskport-doctor-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = TestBackend.isPostgres ? try TestPostgres.freshURL() : folder.appendingPathComponent("taskport.sqlite").path
        // The mail server first: a test that fails to start it has no server process to leave behind.
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let port = try await ServerProcess.freePort()
        let server = try await ServerProcess(arguments: ["--database", database, "--demo"], port: port, directory: folder)
        try await RestartDeliveryTests.assignTaskOneToBob(port: port, folder: folder)  // one email waits: the server has no mail server
        let (status, printed) = try Self.taskport(["doctor", "--database", database, "--smtp-host", "127.0.0.1", "--smtp-port", String(sink.port)])
        #expect(status == 0, "\(printed)")
        #expect(printed.contains(TestBackend.isPostgres ? "store:   PostgreSQL" : "store:   SQLite"))
        #expect(printed.contains(TestBackend.isPostgres ? "schema:  v9: notices of directory changes" : "schema:  v13: fault rules, snapshots, faults in the journal"), "\(printed)")
        #expect(printed.range(of: #"tenant:  demo, \d+ tasks"#, options: .regularExpression) != nil, "\(printed)")
        #expect(printed.range(of: #"outbox:  1 pending, 0 sent, 0 dead; oldest pending written \d+ s ago"#, options: .regularExpression) != nil, "\(printed)")
        #expect(printed.contains("smtp:    127.0.0.1:\(sink.port) answers"), "\(printed)")
        #expect(TestBackend.isPostgres || printed.contains("log:     write-ahead log"))
        // A new process opens its store first: SQLite takes the process settings there.
        #expect(TestBackend.isPostgres || printed.contains(", memory statistics off, no connection mutex"), "\(printed)")
        #expect(try sink.messages().isEmpty, "doctor sends nothing")
        sink.stop()
        let down = try Self.taskport(["doctor", "--database", database, "--smtp-host", "127.0.0.1", "--smtp-port", String(sink.port)])
        #expect(down.0 == 2 && down.1.contains("does not answer"), "\(down.1)")
        #expect(try await server.terminate() == 0)
    }

    /// Sent messages past their age go, in batches; pending and dead ones stay whatever their age,
    /// and history goes only when asked.
    @Test func retentionRemovesOldSentMessagesAndOnlyAskedForHistory() async throws {
        let h = try await Harness.make()
        let actor = Actor(userID: h.alice.id, name: "alice", surface: "test")
        var sent: [UUID] = []
        for index in 0..<7 {
            let message = OutboxMessage(channel: .email, recipient: "bob@acme.test", event: "task.assigned", payload: ["taskTitle": .string("T\(index)")])
            _ = try await h.store.create(TaskCreation(tenantID: h.tenant.id, content: TaskContent(title: "T\(index)"), actor: actor, outbox: [message]))
            sent.append(message.id)
        }
        let stillPending = OutboxMessage(channel: .email, recipient: "bob@acme.test", event: "task.assigned", payload: ["taskTitle": "P"])
        let task = try await h.store.create(TaskCreation(tenantID: h.tenant.id, content: TaskContent(title: "Pending"), actor: actor, outbox: [stillPending]))
        let dead = OutboxMessage(channel: .email, recipient: "nobody@acme.test", event: "task.assigned", payload: ["taskTitle": "D"])
        _ = try await h.store.create(TaskCreation(tenantID: h.tenant.id, content: TaskContent(title: "Dead"), actor: actor, outbox: [dead]))
        try await h.store.markFailed(dead.id, error: "550 no such user", retryAt: nil)
        let old = Timestamp(microseconds: Timestamp.now().microseconds - 10 * 86_400_000_000)
        for id in sent.prefix(5) { try await h.store.markSent(id, at: old) }
        for id in sent.suffix(2) { try await h.store.markSent(id, at: .now()) }

        let retention = Retention(store: h.store, outboxAge: .seconds(7 * 86_400), historyAge: nil, batch: 2, logger: Logger(label: "test"))
        let removed = try await retention.prune()
        #expect(removed.messages == 5 && removed.history == 0)
        let left = try await h.store.outboxMessages(in: h.tenant.id, matching: OutboxQuery(limit: 100))
        #expect(Set(left.map(\.message.id)) == Set(sent.suffix(2) + [stillPending.id, dead.id]))
        #expect(try await h.store.history(of: .id(task.id), in: h.tenant.id)?.count == 1)

        // History older than a day: everything written so far is younger, so nothing goes; then, as of later, all of it.
        let history = Retention(store: h.store, outboxAge: nil, historyAge: .seconds(86_400), batch: 3, logger: Logger(label: "test"))
        #expect(try await history.prune().history == 0)
        let later = Timestamp(microseconds: Timestamp.now().microseconds + 2 * 86_400_000_000)
        #expect(try await history.prune(now: later).history == 10, "this tenant's nine and the other tenant's one")
        #expect(try await h.store.history(of: .id(task.id), in: h.tenant.id)?.isEmpty == true)
        #expect(try await h.store.task(.id(task.id), in: h.tenant.id)?.content.title == "Pending", "tasks stay")
        #expect(try await h.store.outboxMessages(in: h.tenant.id, matching: OutboxQuery(limit: 100)).count == 4)
    }
}

/// Tasks two clients created, with when each was acknowledged, and the signal to stop.
final class Writes: Sendable {
    let acknowledged = Mutex<[(String, ContinuousClock.Instant)]>([])
    let stop = Atomic<Bool>(false)
}
