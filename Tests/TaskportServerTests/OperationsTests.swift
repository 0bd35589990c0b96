import AsyncHTTPClient
import Foundation
import GRDB
import NIOCore
import NIOHTTP1
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

        /// Creates tasks one after another until `stop`; returns the titles the server acknowledged, and when.
        @Sendable func write(_ writer: Int, until stop: ContinuousClock.Instant) async throws -> [(String, ContinuousClock.Instant)] {
            var acknowledged: [(String, ContinuousClock.Instant)] = []
            var index = 0
            while ContinuousClock.now < stop {
                index += 1
                let title = "w\(writer)-\(index)"
                var create = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/tasks")
                create.method = .POST
                create.headers.add(name: "Authorization", value: "Bearer \(key)")
                create.headers.add(name: "Content-Type", value: "application/json")
                create.body = .bytes(ByteBuffer(string: #"{"title":"\#(title)"}"#))
                let response = try await HTTPClient.shared.execute(create, timeout: .seconds(30))
                if response.status == .created { acknowledged.append((title, ContinuousClock.now)) }
            }
            return acknowledged
        }
        let stop = ContinuousClock.now + .seconds(4)
        async let first = write(1, until: stop)
        async let second = write(2, until: stop)
        try await Task.sleep(for: .seconds(1.5))
        let copy = folder.appendingPathComponent("copy.sqlite").path
        let began = ContinuousClock.now
        let (status, printed) = try Self.taskport(["backup", "--database", database, "--output", copy])
        #expect(status == 0, "\(printed)")
        let acknowledged = try await first + second
        #expect(try await server.terminate() == 0)

        let before = acknowledged.filter { $0.1 < began }.map(\.0)
        let after = acknowledged.filter { $0.1 >= began }.count
        #expect(before.count > 10, "writes acknowledged before the backup began")
        #expect(after > 0, "writes went on while it ran")
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
        let port = try await ServerProcess.freePort()
        let server = try await ServerProcess(arguments: ["--database", database, "--demo"], port: port, directory: folder)
        try await RestartDeliveryTests.assignTaskOneToBob(port: port, folder: folder)  // one email waits: no mail server
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let (status, printed) = try Self.taskport(["doctor", "--database", database, "--smtp-host", "127.0.0.1", "--smtp-port", String(sink.port)])
        #expect(status == 0, "\(printed)")
        #expect(printed.contains(TestBackend.isPostgres ? "store:   PostgreSQL" : "store:   SQLite"))
        #expect(printed.contains(TestBackend.isPostgres ? "schema:  v5: the outbox listed in pages" : "schema:  v10: the outbox listed in pages"), "\(printed)")
        #expect(printed.range(of: #"tenant:  demo, \d+ tasks"#, options: .regularExpression) != nil, "\(printed)")
        #expect(printed.range(of: #"outbox:  1 pending, 0 sent, 0 dead; oldest pending written \d+ s ago"#, options: .regularExpression) != nil, "\(printed)")
        #expect(printed.contains("smtp:    127.0.0.1:\(sink.port) answers"), "\(printed)")
        #expect(TestBackend.isPostgres || printed.contains("log:     write-ahead log"))
        #expect(try sink.messages().isEmpty, "doctor sends nothing")
        sink.stop()
        let down = try Self.taskport(["doctor", "--database", database, "--smtp-host", "127.0.0.1", "--smtp-port", String(sink.port)])
        #expect(down.0 == 2 && down.1.contains("does not answer"), "\(down.1)")
        #expect(try await server.terminate() == 0)
    }
}
