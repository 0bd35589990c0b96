import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TaskportCore
import TaskportDelivery
import TaskportSQLite
import TaskportServer
import Testing

/// A local HTTP endpoint that records what it is sent and answers with the statuses it is told to.
actor WebhookReceiver {
    struct Delivery {
        var headers: HTTPFields
        var body: Data
    }

    private(set) var deliveries: [Delivery] = []
    private var script: [HTTPResponse.Status]

    init(answering script: [HTTPResponse.Status] = []) {
        self.script = script
    }

    func receive(_ headers: HTTPFields, _ body: Data) -> HTTPResponse.Status {
        deliveries.append(Delivery(headers: headers, body: body))
        return script.isEmpty ? .ok : script.removeFirst()
    }

    func answer(_ statuses: [HTTPResponse.Status]) {
        script = statuses
    }

    /// Runs `test` with the receiver listening on a loopback port.
    func serve(_ test: @Sendable (Int) async throws -> Void) async throws {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            return Response(status: await self.receive(request.headers, Data(body.readableBytesView)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await test(try #require(client.port)) }
    }
}

/// The receivers these tests start listen on loopback, which deliveries refuse unless allowed.
let loopback = IPNetwork("127.0.0.0/8")!

@Suite("Webhooks")
struct WebhookDeliveryTests {
    @Test func destinationsThatAreNotPublicAreRefusedByDefault() async throws {
        let destinations = WebhookDestinations()
        for text in ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fd00:ec2::254", "fe80::1", "::ffff:127.0.0.1"] {
            let address = try #require(IPNetwork.Address(text))
            #expect(destinations.refusal(of: address) != nil, "\(text)")
        }
        for text in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            #expect(destinations.refusal(of: try #require(IPNetwork.Address(text))) == nil, "\(text)")
        }
        #expect(WebhookDestinations(allowing: [loopback]).refusal(of: try #require(IPNetwork.Address("127.0.0.1"))) == nil)
        #expect(WebhookDestinations(allowing: [loopback]).refusal(of: try #require(IPNetwork.Address("10.0.0.1"))) != nil)

        // A delivery to a name that resolves to loopback is refused for good, without connecting.
        let h = try await Harness.make()
        let receiver = WebhookReceiver()
        try await receiver.serve { port in
            for host in ["localhost", "127.0.0.1", "[::1]"] {
                let webhook = try await h.store.createWebhook(url: "http://\(host):\(port)/hook", secret: "0123456789abcdef", in: h.tenant.id)
                let message = OutboxMessage(channel: .webhook, recipient: webhook.id.uuidString.lowercased(), event: "task.updated", payload: [:])
                await #expect(throws: WebhookSender.Failure.self) { try await WebhookSender().deliver(message, to: webhook) }
                _ = try await h.store.deleteWebhook(webhook.id, in: h.tenant.id)
            }
            #expect(await receiver.deliveries.isEmpty)
        }
    }

    static func worker(_ store: any OutboxStore, attempts: Int = 10) -> OutboxDelivery {
        OutboxDelivery(
            store: store, smtp: nil, webhooks: WebhookSender(destinations: WebhookDestinations(allowing: [loopback])), policy: RetryPolicy(maxAttempts: attempts, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50)),
            logger: Logger(label: "taskport-test")
        )
    }

    /// Delivers until nothing is due, however far ahead retries were scheduled.
    static func deliverAll(_ worker: OutboxDelivery) async throws {
        let future = Timestamp(microseconds: Timestamp.now().microseconds + 86_400_000_000)
        while try await worker.deliverDue(now: future) > 0 {}
    }

    @Test func eventsAreSignedAndCarryTheChangedFields() async throws {
        let h = try await Harness.make()
        let receiver = WebhookReceiver()
        try await receiver.serve { port in
            try await h.run { native in
                let created = try await native.send(.post, "/v1/webhooks", #"{"url":"http://127.0.0.1:\#(port)/hook","secret":"0123456789abcdef-secret"}"#)
                #expect(created.status == .created)
                let webhook = try created.object()
                #expect(webhook["secret"] as? String == "0123456789abcdef-secret")
                let listed = try await native.send(.get, "/v1/webhooks").object()["items"] as? [[String: Any]]
                #expect(listed?.count == 1)
                #expect(listed?.first?["secret"] == nil, "the secret is shown once")

                let task = try await native.create(#"{"title":"Call Acme"}"#)
                let id = task["id"] as! String
                #expect(try await native.patch("/v1/tasks/\(id)", #"{"title":"Call Acme back","assignee":{"type":"user","id":"\#(h.bob.id)"}}"#).status == .ok)
                #expect(try await native.send(.delete, "/v1/tasks/\(id)").status == .noContent)
                try await Self.deliverAll(Self.worker(h.store))

                let deliveries = await receiver.deliveries
                #expect(deliveries.count == 3)
                let events = try deliveries.map { try #require(try JSONSerialization.jsonObject(with: $0.body) as? [String: Any]) }
                #expect(events.map { $0["type"] as? String } == ["task.created", "task.assigned", "task.deleted"])
                #expect(deliveries.map { $0.headers[HTTPField.Name("Taskport-Event")!] } == ["task.created", "task.assigned", "task.deleted"])
                let assigned = events[1]
                #expect((assigned["task"] as? [String: Any])?["id"] as? String == id)
                let changed = (assigned["changes"] as? [[String: Any]])?.compactMap { $0["field"] as? String }
                #expect(changed?.contains("title") == true && changed?.contains("assignee") == true)
                for (delivery, event) in zip(deliveries, events) {
                    #expect(delivery.headers[HTTPField.Name("Taskport-Delivery")!] == event["id"] as? String)
                    let signature = try #require(delivery.headers[HTTPField.Name("Taskport-Signature")!])
                    let parts = Dictionary(uniqueKeysWithValues: signature.split(separator: ",").map { part in
                        let pair = part.split(separator: "=", maxSplits: 1)
                        return (String(pair[0]), String(pair[1]))
                    })
                    let timestamp = try #require(parts["t"])
                    let expected = HMAC<SHA256>.authenticationCode(
                        for: Data("\(timestamp).".utf8) + delivery.body, using: SymmetricKey(data: Data("0123456789abcdef-secret".utf8))
                    ).map { String(format: "%02x", $0) }.joined()
                    #expect(parts["v1"] == expected)
                    #expect(abs(Double(timestamp)! - Date().timeIntervalSince1970) < 60)
                }
            }
        }
    }

    @Test func failuresAreRetriedThenKeptAsDeadAndCanBeRetried() async throws {
        let h = try await Harness.make()
        let receiver = WebhookReceiver(answering: [.internalServerError, .serviceUnavailable])
        try await receiver.serve { port in
            let webhook = try await h.store.createWebhook(url: "http://127.0.0.1:\(port)/hook", secret: "0123456789abcdef", in: h.tenant.id)
            let actor = Actor(userID: h.alice.id, name: h.alice.email, surface: "test")
            let retried = try await h.store.create(TaskCreation(tenantID: h.tenant.id, content: TaskContent(title: "Retried"), actor: actor))
            try await Self.deliverAll(Self.worker(h.store))
            var deliveries = await receiver.deliveries
            #expect(deliveries.count == 3, "two failures, then success")
            #expect(Set(deliveries.map { $0.headers[HTTPField.Name("Taskport-Delivery")!] }).count == 1, "one delivery id on every attempt")
            let sent = try await h.store.outboxMessages(in: h.tenant.id, state: .sent, limit: 10)
            #expect(sent.count == 1)
            #expect(sent.first?.attempts == 2)

            await receiver.answer(Array(repeating: .internalServerError, count: 10))
            _ = try await h.store.create(TaskCreation(tenantID: h.tenant.id, content: TaskContent(title: "Doomed"), actor: actor))
            try await Self.deliverAll(Self.worker(h.store, attempts: 3))
            deliveries = await receiver.deliveries
            #expect(deliveries.count == 6, "three more attempts, then it gives up")
            try await h.run { native in
                let dead = try await native.send(.get, "/v1/outbox?state=dead").object()["items"] as? [[String: Any]] ?? []
                #expect(dead.count == 1)
                #expect(dead.first?["attempts"] as? Int == 3)
                #expect((dead.first?["lastError"] as? String)?.contains("HTTP 500") == true)
                #expect(dead.first?["recipient"] as? String == webhook.id.uuidString.lowercased())
                let id = try #require(dead.first?["id"] as? String)
                await receiver.answer([])
                #expect(try await native.send(.post, "/v1/outbox/\(id)/retry").status == .noContent)
                try await Self.deliverAll(Self.worker(h.store, attempts: 3))
                #expect((try await native.send(.get, "/v1/outbox?state=dead").object()["items"] as? [[String: Any]])?.isEmpty == true)
                #expect(try await native.send(.post, "/v1/outbox/\(id)/retry").status == .notFound, "sent messages are not retried")
                // Only administrators see the outbox and webhooks.
                let bobKey = APIKeySecret.generate()
                try await h.store.addAPIKey(bobKey, named: "bob", for: h.bob.id, in: h.tenant.id)
                #expect(try await native.send(.get, "/v1/outbox", key: bobKey.plaintext).status == .forbidden)
                // Pages, filters, and what a client cannot send.
                let first = try await native.send(.get, "/v1/outbox?limit=1").object()
                let cursor = try #require(first["nextCursor"] as? String)
                let second = try await native.send(.get, "/v1/outbox?limit=1&cursor=\(cursor)").object()
                #expect((first["items"] as? [[String: Any]])?.first?["id"] as? String != (second["items"] as? [[String: Any]])?.first?["id"] as? String)
                #expect((try await native.send(.get, "/v1/outbox?limit=500").object()["nextCursor"]) == nil)
                let byTask = try await native.send(.get, "/v1/outbox?taskId=\(retried.number)&channel=webhook").object()["items"] as? [[String: Any]] ?? []
                #expect(byTask.count == 1 && byTask.first?["channel"] as? String == "webhook")
                #expect((try await native.send(.get, "/v1/outbox?taskId=99999").object()["items"] as? [[String: Any]])?.isEmpty == true)
                for bad in ["cursor=nope", "cursor=1.2.3", "taskId=-4", "taskId=abc", "channel=sms", "limit=0", "limit=501"] {
                    #expect(try await native.send(.get, "/v1/outbox?\(bad)").status == .badRequest, "\(bad)")
                }
                #expect(try await native.send(.post, "/v1/webhooks", #"{"url":"http://127.0.0.1/x"}"#, key: bobKey.plaintext).status == .forbidden)
                #expect(try await native.send(.post, "/v1/webhooks", #"{"url":"ftp://127.0.0.1/x"}"#).status == .badRequest)
                #expect(try await native.send(.delete, "/v1/webhooks/\(webhook.id)").status == .noContent)
            }
            #expect(await receiver.deliveries.count == 7)
        }
    }
}
