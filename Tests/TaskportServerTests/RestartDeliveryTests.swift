import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import TaskportCore
import TaskportPostgres
import TaskportSQLite
import TaskportTestSupport
import Synchronization
import Testing

/// A real `taskport serve` process, as an operator runs it.
final class ServerProcess: @unchecked Sendable {
    let port: Int
    private let process: Process

    static var binary: URL { repositoryRoot.appendingPathComponent(".build/debug/taskport") }

    /// Starts it in `directory` (where `--demo` writes its credentials for a PostgreSQL database),
    /// its log going to `log` when given.
    init(arguments: [String], port: Int, directory: URL? = nil, log: URL? = nil) async throws {
        self.port = port
        process = Process()
        process.executableURL = Self.binary
        process.currentDirectoryURL = directory
        process.arguments = ["serve", "--port", String(port)] + (arguments.contains("--log-level") ? [] : ["--log-level", "warning"]) + arguments
        process.standardOutput = FileHandle.nullDevice
        if let log {
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: log)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try await NIOThreadPool.singleton.runIfActive { [process] in try process.run() }
        for _ in 0..<200 {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(1)),
                response.status == .ok
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SMTPSink.SinkError(reason: "taskport serve did not start")
    }

    /// Ends the process the hard way: no shutdown, nothing flushed.
    func kill() async throws {
        Foundation.kill(process.processIdentifier, SIGKILL)
        try await exited(process)
    }

    /// SIGTERM, and the exit status.
    func terminate() async throws -> Int32 {
        process.terminate()
        try await exited(process)
        return process.terminationStatus
    }

    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }
}

@Suite("Delivery across a server restart", .serialized)
struct RestartDeliveryTests {
    @Test func messagesPendingWhenTheServerIsKilledAreDeliveredAfterItRestarts() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("taskport-restart-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let database = TestBackend.isPostgres ? try TestPostgres.freshURL() : folder.appendingPathComponent("taskport.sqlite").path
        let probe = try await SMTPSink.start()
        let smtpPort = probe.port
        try await probe.stopAndWait()  // the mail server is down while the first server runs
        let port = try await ServerProcess.freePort()
        // A failed attempt waits 2 s before the next: the test kills the server in that wait, with the
        // message pending and held by nobody. (A kill while it holds the message is the next test.)
        let arguments = ["--database", database, "--demo", "--smtp-host", "127.0.0.1", "--smtp-port", String(smtpPort),
                         "--delivery-retry-seconds", "2"]
        let first = try await ServerProcess(arguments: arguments, port: port, directory: folder)

        try await Self.assignTaskOneToBob(port: port, folder: folder)
        let store: any TaskportStore = TestBackend.isPostgres
            ? try await PostgresStore.connect(url: database) : try SQLiteStore(path: database)
        let tenant = try #require(try await store.tenant(named: "demo"))
        // The first attempt fails against the closed port; kill the server while the message waits for the next.
        for _ in 0..<300 {
            if try await store.outboxMessages(in: tenant.id, state: .pending, limit: 10).contains(where: { $0.attempts >= 1 }) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await first.kill()

        let pending = try await store.outboxMessages(in: tenant.id, state: .pending, limit: 10)
        #expect(pending.count == 1)
        #expect((pending.first?.attempts ?? 0) >= 1)
        let id = try #require(pending.first?.message.id)

        let sink = try await SMTPSink.start(port: smtpPort)
        defer { sink.stop() }
        let second = try await ServerProcess(arguments: arguments, port: port, directory: folder)
        let received = try await sink.waitForMessages(1)
        #expect(received.first?.header("Message-ID") == "<\(id.uuidString.lowercased())@taskport>")
        #expect(received.first?.recipients == ["bob@demo.taskport.test"])
        #expect(try await second.terminate() == 0)
        #expect(try await store.outboxMessages(in: tenant.id, state: .sent, limit: 10).map(\.message.id) == [id])
        #expect(try sink.messages().count == 1)
    }

    /// A server killed while it sends holds the message's lease; a restarted one takes it up within
    /// one lease (15 s), not minutes later, and sends it once.
    @Test(.timeLimit(.minutes(2))) func aMessageHeldByAKilledServerIsSentSoonAfterTheRestart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("taskport-lease-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let database = TestBackend.isPostgres ? try TestPostgres.freshURL() : folder.appendingPathComponent("taskport.sqlite").path
        // A mail server that accepts connections and never answers: the first server's send hangs, lease held.
        let accepted = Atomic<Int>(0)
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                accepted.add(1, ordering: .relaxed)
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let smtpPort = try #require(silent.localAddress?.port)
        let port = try await ServerProcess.freePort()
        let arguments = ["--database", database, "--demo", "--smtp-host", "127.0.0.1", "--smtp-port", String(smtpPort)]
        let first = try await ServerProcess(arguments: arguments, port: port, directory: folder)
        try await Self.assignTaskOneToBob(port: port, folder: folder)
        for _ in 0..<500 where accepted.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(accepted.load(ordering: .relaxed) >= 1, "the server should be sending")
        try await first.kill()
        try await silent.close()

        let store: any TaskportStore = TestBackend.isPostgres
            ? try await PostgresStore.connect(url: database) : try SQLiteStore(path: database)
        let tenant = try #require(try await store.tenant(named: "demo"))
        let pending = try await store.outboxMessages(in: tenant.id, state: .pending, limit: 10).filter { $0.message.channel == .email }
        #expect(pending.count == 1)
        let id = try #require(pending.first?.message.id)

        let sink = try await SMTPSink.start(port: smtpPort)
        defer { sink.stop() }
        let second = try await ServerProcess(arguments: arguments, port: port, directory: folder)
        let restarted = ContinuousClock.now
        let received = try await sink.waitForMessages(1)
        let waited = ContinuousClock.now - restarted
        #expect(received.first?.header("Message-ID") == "<\(id.uuidString.lowercased())@taskport>")
        // One lease and a poll, with room for a loaded machine; before, the lease alone was five minutes.
        #expect(waited < .seconds(45), "sent \(waited) after the restart")
        #expect(try await second.terminate() == 0)
        #expect(try sink.messages().count == 1)
    }

    /// Task 1 of the demo assigned to bob through Maxsight's `update-assignment`, which emails him.
    static func assignTaskOneToBob(port: Int, folder: URL) async throws {
        let demo = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("taskport-demo.json"))) as? [String: Any]
        let maxsight = try #require(demo?["maxsight"] as? [String: Any])
        let key = try #require(maxsight["apiKey"] as? String)
        let bob = try #require(maxsight["userId"] as? String)
        var read = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v5/tasks/1")
        read.headers.add(name: "apikey", value: key)
        let task = try JSONSerialization.jsonObject(with: Data(try await HTTPClient.shared.execute(read, timeout: .seconds(30)).body.collect(upTo: 1 << 20).readableBytesView)) as? [String: Any]
        var assign = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v5/tasks/1/update-assignment")
        assign.method = .PUT
        assign.headers.add(name: "apikey", value: key)
        assign.headers.add(name: "If-Match", value: try #require(task?["updated_at"] as? String))
        assign.headers.add(name: "Content-Type", value: "application/json")
        assign.body = .bytes(ByteBuffer(string: #"{"update":{"assigned_by_id":"\#(bob)","assigned_to_id":"\#(bob)","assigned_to_type":"USER"}}"#))
        #expect(try await HTTPClient.shared.execute(assign, timeout: .seconds(30)).status == .ok)
    }
}
