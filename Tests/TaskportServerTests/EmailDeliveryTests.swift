import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import TaskportCore
import TaskportDelivery
import TaskportSQLite
import TaskportServer
import Testing

/// Email against a real SMTP server on loopback; the suite's tests each start their own.
@Suite("Email over SMTP")
struct EmailDeliveryTests {
    static let logger = Logger(label: "taskport-test")

    static func smtp(_ sink: SMTPSink, username: String? = nil, password: String? = nil, port: Int? = nil) -> SMTPClient {
        SMTPClient(
            SMTPConfiguration(
                host: "127.0.0.1", port: port ?? sink.port, username: username, password: password, from: "taskport@acme.test",
                timeout: .seconds(30)
            )
        )
    }

    static func worker(_ store: any OutboxStore, _ smtp: SMTPClient?, attempts: Int = 50, base: Duration = .milliseconds(50)) -> OutboxDelivery {
        OutboxDelivery(
            store: store, smtp: smtp, policy: RetryPolicy(maxAttempts: attempts, baseDelay: base, maxDelay: .milliseconds(400)),
            pollInterval: .milliseconds(20), logger: logger
        )
    }

    @Test func anAssignmentArrivesAsExactlyTheExpectedEmail() async throws {
        let h = try await Harness.make()
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await h.run { native in
            let id = try await native.create(#"{"title":"Call Acme"}"#)["id"] as! String
            let api = MaxsightClient(client: native.client, key: h.key)
            let assign = #"{"update":{"assigned_by_id":"\#(h.alice.id)","assigned_to_id":"\#(h.bob.id)","assigned_to_type":"USER","assignment_comment":"They asked for you"}}"#
            #expect(try await api.assign(id, assign).status == .ok)
        }
        let outbox = try await h.store.outboxMessages(in: h.tenant.id, state: .pending, limit: 10)
        #expect(outbox.count == 1)
        let message = try #require(outbox.first?.message)
        #expect(try await Self.worker(h.store, Self.smtp(sink)).deliverDue() == 1)

        let received = try await sink.waitForMessages(1)
        #expect(received.count == 1)
        let email = try #require(received.first)
        #expect(email.sender == "taskport@acme.test")
        #expect(email.recipients == ["bob@acme.test"])
        #expect(email.header("To") == "bob@acme.test")
        #expect(email.header("From") == "taskport@acme.test")
        #expect(email.header("Subject") == "Task assigned: Call Acme")
        #expect(email.header("Message-ID") == "<\(message.id.uuidString.lowercased())@taskport>")
        #expect(email.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(email.header("X-Taskport-Event") == "task.assigned")
        #expect(email.body.replacingOccurrences(of: "\r\n", with: "\n") == """
            Hello Bob,

            Alice assigned the task \u{201C}Call Acme\u{201D} to Bob.

            Comment: They asked for you

            Task \(try #require(outbox.first?.taskID).uuidString.lowercased())
            """)
        let sent = try await h.store.outboxMessages(in: h.tenant.id, state: .sent, limit: 10)
        #expect(sent.map(\.message.id) == [message.id])
        // Sent once: nothing is due any more.
        #expect(try await Self.worker(h.store, Self.smtp(sink)).deliverDue() == 0)
    }

    @Test func utf8SubjectsDotsAndAuthentication() async throws {
        let sink = try await SMTPSink.start(auth: "mailer:s3cret")
        defer { sink.stop() }
        let subject = "Überprüfung der Verträge – ünïcödé, lange genug, um gefaltet zu werden ✓"
        let text = ".starts with a dot\n..two dots\nÅngström\n."
        let email = Email(messageID: "m1@taskport", from: "taskport@acme.test", to: ["bob@acme.test"], subject: subject, text: text)
        try await Self.smtp(sink, username: "mailer", password: "s3cret").send(email)
        let received = try await sink.waitForMessages(1)
        #expect(received.first?.header("Subject") == subject)
        #expect(received.first?.body == text.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(Email.dotStuffed("a\r\n.b\r\n..c") == "a\r\n..b\r\n...c")

        let refused = await #expect(throws: SMTPError.self) {
            try await Self.smtp(sink, username: "mailer", password: "wrong").send(email)
        }
        #expect(refused?.isPermanent == true, "\(String(describing: refused))")
        await #expect(throws: SMTPError.self) {
            try await Self.smtp(sink).send(email)  // the server requires AUTH
        }
        #expect(try sink.messages().count == 1)
    }

    @Test func startTLSThenAuthLogin() async throws {
        let certificates = FileManager.default.temporaryDirectory.appendingPathComponent("taskport-tls-\(UUID())")
        let sink = try await SMTPSink.start(auth: "mailer:s3cret", options: ["--login-only", "--starttls", certificates.path])
        defer { sink.stop() }
        let email = Email(messageID: "tls@taskport", from: "taskport@acme.test", to: ["bob@acme.test"], subject: "Over TLS", text: "Encrypted")
        var configuration = SMTPConfiguration(
            host: "127.0.0.1", port: sink.port, security: .startTLS, username: "mailer", password: "s3cret",
            from: "taskport@acme.test", trustedCertificatesFile: certificates.appendingPathComponent("cert.pem").path, timeout: .seconds(30)
        )
        try await SMTPClient(configuration).send(email)
        #expect(try await sink.waitForMessages(1).first?.header("Subject") == "Over TLS")
        // Without STARTTLS the server refuses to go on; with a certificate nobody vouches for, so does the client.
        configuration.security = .none
        await #expect(throws: SMTPError.self) { try await SMTPClient(configuration).send(email) }
        configuration.security = .startTLS
        configuration.trustedCertificatesFile = nil
        await #expect(throws: (any Error).self) { try await SMTPClient(configuration).send(email) }
        #expect(try sink.messages().count == 1)
    }

    // A server that never answers would hold the send for ever without the timeout; the time limit
    // fails the test in that case, without asserting how fast a loaded machine runs it.
    @Test(.timeLimit(.minutes(1))) func aServerThatNeverAnswersTimesOut() async throws {
        // Accepts connections and says nothing.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let client = SMTPClient(SMTPConfiguration(host: "127.0.0.1", port: silent.localAddress?.port ?? 0, from: "t@acme.test", timeout: .milliseconds(300)))
        let error = await #expect(throws: SMTPError.self) {
            try await client.send(Email(messageID: "m@taskport", from: "t@acme.test", to: ["b@acme.test"], subject: "s", text: "t"))
        }
        #expect(error?.isPermanent == false)
        guard case .connection = error else {
            Issue.record("expected a connection error (no answer in time), got \(String(describing: error))")
            return
        }
    }

    @Test func aMailServerThatIsDownForAWhileLosesNothing() async throws {
        let h = try await Harness.make()
        // Find a port, then leave it closed: the mail server is down.
        let probe = try await SMTPSink.start()
        let port = probe.port
        try await probe.stopAndWait()
        var ids: [UUID] = []
        for index in 1...5 {
            let message = OutboxMessage(
                channel: .email, recipient: "bob@acme.test", event: "task.assigned",
                payload: ["taskTitle": .string("Task \(index)"), "assigneeName": "Bob", "assignedByName": "Alice"]
            )
            ids.append(message.id)
            _ = try await h.store.create(
                TaskCreation(tenantID: h.tenant.id, content: TaskContent(title: "Task \(index)"), actor: Actor(userID: h.alice.id, name: h.alice.email, surface: "test"), outbox: [message])
            )
        }
        // The policy must not give up while the test waits: on a loaded machine the wait below and the
        // sink's start can take longer than 50 quick attempts (refused at once, 400 ms apart at most).
        let worker = Self.worker(
            h.store, SMTPClient(SMTPConfiguration(host: "127.0.0.1", port: port, from: "taskport@acme.test", timeout: .seconds(2))),
            attempts: 100_000
        )
        let running = Task { try await worker.run() }
        defer { running.cancel() }
        // While it is down, attempts fail and are scheduled again; nothing is lost or given up. (The
        // wait ends as soon as every message has failed twice; a loaded machine may take long.)
        let deadline = Date().addingTimeInterval(60)
        var pending: [OutboxEntry] = []
        repeat {
            try await Task.sleep(for: .milliseconds(100))
            pending = try await h.store.outboxMessages(in: h.tenant.id, state: .pending, limit: 10)
        } while pending.contains(where: { $0.attempts < 2 }) && Date() < deadline
        #expect(pending.count == 5)
        // Refused at once, or, on a machine too busy to answer in time, timed out: either way the error is kept.
        #expect(pending.allSatisfy { $0.attempts >= 2 && $0.lastError?.isEmpty == false }, "\(pending.map { ($0.attempts, $0.lastError ?? "") })")

        let sink = try await SMTPSink.start(port: port)
        defer { sink.stop() }
        let received = try await sink.waitForMessages(5, seconds: 60)
        #expect(try await h.store.outboxMessages(in: h.tenant.id, state: .dead, limit: 10).isEmpty)
        let messageIDs = Set(received.compactMap { $0.header("Message-ID") })
        #expect(messageIDs == Set(ids.map { "<\($0.uuidString.lowercased())@taskport>" }))
        #expect(received.count == 5)
        // Marking them sent follows each send; give a busy machine a few seconds for it.
        var sent = 0
        for _ in 0..<50 where sent < 5 {
            try await Task.sleep(for: .milliseconds(100))
            sent = try await h.store.outboxMessages(in: h.tenant.id, state: .sent, limit: 10).count
        }
        #expect(sent == 5)
        #expect(try sink.messages().count == 5, "each message once")
    }

    @Test func aReminderIsSentOnceWhenDueAndAgainOnlyForANewDueDate() async throws {
        let h = try await Harness.make()
        let reminders = DueDateReminders(store: h.store, logger: Self.logger)
        var content = TaskContent(title: "Renew the lease")
        // 01:30 UTC on the day London moves to BST: 02:30 on the business's clock.
        content.dueAt = Timestamp(rfc3339: "2026-03-29T01:30:00Z")
        content.timeZone = "Europe/London"
        content.notifyByEmail = true
        content.responsibleID = h.bob.id
        let actor = Actor(userID: h.alice.id, name: h.alice.email, surface: "test")
        let task = try await h.store.create(TaskCreation(tenantID: h.tenant.id, content: content, actor: actor))
        var later = content
        later.dueAt = Timestamp(microseconds: Timestamp.now().microseconds + 86_400_000_000)
        _ = try await h.store.create(TaskCreation(tenantID: h.tenant.id, content: later, actor: actor))
        var quiet = content
        quiet.notifyByEmail = false
        _ = try await h.store.create(TaskCreation(tenantID: h.tenant.id, content: quiet, actor: actor))

        // Two schedulers (two servers) at once: one reminder.
        async let first = reminders.remind()
        async let second = reminders.remind()
        #expect(try await first + second == 1)
        #expect(try await reminders.remind() == 0)
        let stored = try #require(try await h.store.task(.id(task.id), in: h.tenant.id))
        #expect(stored.content.reminded)
        #expect(try await h.store.history(of: .id(task.id), in: h.tenant.id)?.last?.actor.surface == "reminders")

        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        #expect(try await Self.worker(h.store, Self.smtp(sink)).deliverDue() == 1)
        let email = try #require(try await sink.waitForMessages(1).first)
        #expect(email.recipients == ["bob@acme.test"])
        #expect(email.header("Subject") == "Reminder: Renew the lease is due")
        #expect(email.body.contains("is due 2026-03-29 02:30 (Europe/London)."))

        // A new due date re-arms it, even when the write sends `reminded` back unchanged.
        _ = try await h.store.apply(
            TaskMutation(
                tenantID: h.tenant.id, task: .id(task.id),
                kind: .patch(TaskPatch([.dueAt(Timestamp(rfc3339: "2026-10-25T00:30:00Z")), .reminded(true)])), actor: actor
            )
        )
        #expect(try await reminders.remind() == 1)
        #expect(try await Self.worker(h.store, Self.smtp(sink)).deliverDue() == 1)
        let second2 = try await sink.waitForMessages(2)
        #expect(second2.last?.body.contains("is due 2026-10-25 01:30 (Europe/London).") == true)
    }
}
