import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import TaskportCore
@testable import TaskportJournal
import ServiceLifecycle
import TaskportServer
import Testing

/// The request journal over a real socket: every surface's requests with their bodies, credentials
/// never kept, one tenant's entries never shown to another, filters and paging.
@Suite("Request journal")
struct JournalTests {
    /// Runs `test` against a live server with the journal on.
    static func withJournal(
        _ f: NexudusFixture, _ settings: JournalSettings = JournalSettings(), _ test: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let app = try await buildApplication(ServerConfiguration(port: 0, logLevel: .error, journal: settings), store: f.h.store)
        try await app.test(.live) { client in try await test(client) }
    }

    /// The tenant's journal as an admin reads it, once it holds at least `count` entries.
    static func journal(_ client: any TestClientProtocol, key: String, _ query: String = "", atLeast count: Int) async throws -> [[String: Any]] {
        let deadline = Date().addingTimeInterval(20)
        while true {
            let response = try await client.execute(uri: "/v1/journal" + query, method: .get, headers: [.authorization: "Bearer \(key)"])
            #expect(response.status == .ok)
            let items = try response.object()["items"] as? [[String: Any]] ?? []
            if items.count >= count || Date() > deadline { return items }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test func everySurfaceIsJournaledAndNoCredentialIsKept() async throws {
        let f = try await NexudusFixture.make()
        let h = f.h
        let bob = try APIKeySecret.generate()
        try await h.store.addAPIKey(bob, named: "bob", for: h.bob.id, in: h.tenant.id)
        try await Self.withJournal(f, JournalSettings(bodyLimit: 1000)) { client in
            let native = NativeClient(client: client, key: h.key)
            let created = try await native.create(#"{"title":"Journaled"}"#)
            let id = try #require(created["id"] as? String)
            let number = try #require(created["number"] as? Int)
            #expect(try await native.patch("/v1/tasks/\(id)", #"{"notes":"\#(String(repeating: "n", count: 3000))"}"#).status == .ok)
            #expect(try await RolloutClient(client, h).send(.get, "/tasks/\(id)").status == .ok)
            #expect(try await ThenaClient(client: client, key: h.key).send(.get, "/v1/accounts/tasks/\(id)").status == .ok)
            #expect(try await MaxsightClient(client: client, key: h.key).send(.get, "/tasks/\(id)").status == .ok)
            let nexudus = NexudusClient(client: client, token: f.adminToken, native: native)
            #expect(try await nexudus.send(.get, "/api/crm/coworkertasks/\(number)").status == .ok)
            // Not in anyone's journal: a key nobody has, and the console's pages.
            #expect(try await native.send(.get, "/v1/tasks", key: "tpk_notAKeyOfAnyone0123456789").status == .unauthorized)
            #expect(try await client.execute(uri: "/console/sign-in", method: .get).status == .ok)
            // The other tenant's request is in its own journal only.
            #expect(try await native.send(.get, "/v1/tasks/\(h.strangerTask.id)", key: h.strangerKey).status == .ok)

            let entries = try await Self.journal(client, key: h.key, atLeast: 6)
            #expect(entries.count == 6, "\(entries.map { "\($0["method"] ?? "") \($0["path"] ?? "")" })")
            #expect(entries.compactMap { $0["surface"] as? String } == ["nexudus", "maxsight", "thena", "rollout", "native", "native"], "newest first")
            #expect(entries.allSatisfy { ($0["taskId"] as? String) == id }, "each request touched the task")
            let create = try #require(entries.last)
            #expect(create["method"] as? String == "POST" && create["status"] as? Int == 201 && create["route"] as? String == "/v1/tasks")
            let request = try #require(create["request"] as? [String: Any]), response = try #require(create["response"] as? [String: Any])
            #expect(request["body"] as? String == #"{"title":"Journaled"}"#)
            #expect((response["body"] as? String)?.contains(id) == true)
            let headers = try #require(request["headers"] as? [[String: Any]])
            #expect(headers.contains { ($0["name"] as? String)?.lowercased() == "authorization" && $0["value"] as? String == "Bearer ***" })
            #expect((create["credential"] as? String)?.hasPrefix("key:") == true)
            // Past the limit a body is cut, and says how long it was.
            let change = try #require(entries.dropLast().last?["request"] as? [String: Any])
            #expect(change["bodyTruncated"] as? Bool == true && (change["body"] as? String)?.utf8.count == 1000)
            #expect((change["bodyLength"] as? Int ?? 0) > 3000)

            // Written in the same batches as the rest, or the next one: wait for it as for the others.
            var stranger = try await h.store.journal(in: h.strangerTask.tenantID, matching: JournalQuery(limit: 10))
            let deadline = Date().addingTimeInterval(20)
            while stranger.isEmpty && Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))
                stranger = try await h.store.journal(in: h.strangerTask.tenantID, matching: JournalQuery(limit: 10))
            }
            #expect(stranger.count == 1 && stranger.first?.target == "/v1/tasks/\(h.strangerTask.id)")
            let strangerID = try #require(stranger.first?.id)
            // No credential of any surface is kept anywhere in an entry.
            let everything = try await client.execute(uri: "/v1/journal", method: .get, headers: [.authorization: "Bearer \(h.key)"])
            let text = String(buffer: everything.body)
            let strangerText = "\(stranger)"
            for secret in [h.key, h.rolloutToken, f.adminToken, h.strangerKey] {
                #expect(!strangerText.contains(secret))
                #expect(!text.contains(secret))
                #expect(!text.contains(String(secret.suffix(20))))
            }
            #expect(try await native.send(.get, "/v1/journal/\(strangerID)").status == .notFound)
            let oneID = try #require(create["id"] as? Int)
            #expect(try await native.send(.get, "/v1/journal/\(oneID)").object()["path"] as? String == "/v1/tasks")
            // A member may not read it.
            #expect(try await native.send(.get, "/v1/journal", key: bob.plaintext).status == .forbidden)

            // Filters and paging.
            #expect(try await Self.journal(client, key: h.key, "?surface=rollout", atLeast: 1).map { $0["surface"] as? String } == ["rollout"])
            #expect(try await Self.journal(client, key: h.key, "?status=201", atLeast: 1).count == 1)
            #expect(try await Self.journal(client, key: h.key, "?status=2xx", atLeast: 6).count == 6)
            #expect(try await Self.journal(client, key: h.key, "?path=/api/crm/", atLeast: 1).count == 1)
            #expect(try await Self.journal(client, key: h.key, "?taskId=\(number)", atLeast: 6).count == 6)
            let first = try await native.send(.get, "/v1/journal?limit=4").object()
            let cursor = try #require(first["nextCursor"] as? String)
            let second = try await native.send(.get, "/v1/journal?limit=4&cursor=\(cursor)").object()
            let paged = ((first["items"] as? [[String: Any]] ?? []) + (second["items"] as? [[String: Any]] ?? [])).compactMap { $0["id"] as? Int }
            #expect(paged.count >= 6 && paged == paged.sorted(by: >) && Set(paged).count == paged.count)
            let after = try await native.send(.get, "/v1/journal?after=\(oneID)").object()["items"] as? [[String: Any]] ?? []
            let afterIDs = after.compactMap { $0["id"] as? Int }
            #expect(afterIDs.first ?? 0 > oneID && afterIDs == afterIDs.sorted(), "oldest first after an id")
            for bad in ["?status=99", "?status=4x", "?limit=0", "?limit=201", "?cursor=abc", "?cursor=5&after=3", "?taskId=nope", "?surface=console", "?path=", "?path=" + String(repeating: "a", count: 2001)] {
                #expect(try await native.send(.get, "/v1/journal" + bad).status == .badRequest, "\(bad)")
            }
        }
    }

    /// A body sent in chunks, without a length, is copied as it streams; one with a length within
    /// the limit is read once, up front; a request with neither has an empty body. The handler
    /// reads each as it was sent.
    @Test func bodiesAreKeptHoweverTheyAreSent() async throws {
        let f = try await NexudusFixture.make()
        let h = f.h
        try await Self.withJournal(f, JournalSettings(bodyLimit: 64)) { client in
            let native = NativeClient(client: client, key: h.key)
            let created = try await native.create(#"{"title":"Sent in pieces"}"#)
            let id = try #require(created["id"] as? String)
            let port = try #require(client.port)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/tasks/\(id)")
            request.method = .PATCH
            request.headers.add(name: "Authorization", value: "Bearer \(h.key)")
            request.headers.add(name: "Content-Type", value: "application/merge-patch+json")
            let pieces = [#"{"notes":"#, #""chunked","#, #""title":"Sent in pieces, "#, String(repeating: "x", count: 80) + #""}"#]
            let stream = AsyncStream<ByteBuffer> { continuation in
                for piece in pieces { continuation.yield(ByteBuffer(string: piece)) }
                continuation.finish()
            }
            request.body = .stream(stream, length: .unknown)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status == .ok)
            let answer = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(answer.contains(#""notes":"chunked""#), "the handler read the whole streamed body")
            #expect(try await native.send(.get, "/v1/tasks/\(id)").status == .ok)

            let entries = try await Self.journal(client, key: h.key, "?taskId=\(id)", atLeast: 3)
            #expect(entries.compactMap { $0["method"] as? String } == ["GET", "PATCH", "POST"])
            let streamed = try #require(entries.dropFirst().first?["request"] as? [String: Any])
            let sent = pieces.joined()
            #expect(streamed["body"] as? String == String(sent.prefix(64)) && streamed["bodyTruncated"] as? Bool == true)
            #expect(streamed["bodyLength"] as? Int == sent.utf8.count)
            #expect((entries.dropFirst().first?["response"] as? [String: Any])?["bodyTruncated"] as? Bool == true)
            let read = try #require(entries.first?["request"] as? [String: Any])
            #expect(read["body"] as? String == "" && read["bodyLength"] as? Int == 0 && read["bodyTruncated"] as? Bool == false)
            #expect((entries.first?["response"] as? [String: Any])?["bodyTruncated"] as? Bool == true)
            let made = try #require(entries.last?["request"] as? [String: Any])
            #expect(made["body"] as? String == #"{"title":"Sent in pieces"}"# && made["bodyTruncated"] as? Bool == false)
        }
    }

    /// An answer the journal keeps whole reaches the client byte for byte, with its length, and the
    /// journal keeps those same bytes; an answer with no body stays without one.
    @Test func anAnswerKeptWholeReachesTheClientUnchanged() async throws {
        let f = try await NexudusFixture.make()
        let h = f.h
        try await Self.withJournal(f) { client in
            let native = NativeClient(client: client, key: h.key)
            let created = try await native.create(#"{"title":"Kept whole"}"#)
            let id = try #require(created["id"] as? String)
            let patched = try await native.patch("/v1/tasks/\(id)", #"{"notes":"é \"quoted\" \u0001"}"#)
            #expect(patched.status == .ok)
            let answer = String(buffer: patched.body)
            #expect(patched.headers[.contentLength] == String(patched.body.readableBytes))
            #expect(answer.hasPrefix("{") && answer.hasSuffix("}") && answer.contains(#""notes":"é \"quoted\" \u0001""#))
            let deleted = try await native.send(.delete, "/v1/tasks/\(id)")
            #expect(deleted.status == .noContent && deleted.body.readableBytes == 0)

            let entries = try await Self.journal(client, key: h.key, "?taskId=\(id)", atLeast: 3)
            #expect(entries.compactMap { $0["method"] as? String } == ["DELETE", "PATCH", "POST"])
            let kept = try #require(entries.dropFirst().first?["response"] as? [String: Any])
            #expect(kept["body"] as? String == answer && kept["bodyLength"] as? Int == patched.body.readableBytes)
            #expect(kept["bodyTruncated"] as? Bool == false)
            let none = try #require(entries.first?["response"] as? [String: Any])
            #expect(none["body"] as? String == "" && none["bodyLength"] as? Int == 0)
        }
    }

    /// Each body's length and whether it was cut are kept apart, in every combination.
    @Test func bodiesKeepTheirOwnLengthsAndCuts() async throws {
        let h = try await Harness.make()
        let combinations = [(false, false), (true, false), (false, true), (true, true)]
        try await h.store.appendJournal(combinations.enumerated().map { index, cut in
            JournalEntry(
                tenantID: h.tenant.id, at: Timestamp.now(), requestID: "r\(index)", surface: "native", method: "PATCH", target: "/v1/tasks/1",
                route: "/v1/tasks/{taskId}", status: 200, latencyMicroseconds: 1, credential: "key:x", userNumber: 1, requestHeaders: [],
                responseHeaders: [], requestBody: .init(text: "in", length: 10 + index, truncated: cut.0),
                responseBody: .init(text: "out", length: 20 + index, truncated: cut.1), taskID: nil
            )
        })
        let kept = try await h.store.journal(in: h.tenant.id, matching: JournalQuery(limit: 10)).reversed()
        #expect(kept.map(\.requestID) == ["r0", "r1", "r2", "r3"])
        #expect(kept.map(\.requestBody.truncated) == combinations.map(\.0))
        #expect(kept.map(\.responseBody.truncated) == combinations.map(\.1))
        #expect(kept.map(\.requestBody.length) == [10, 11, 12, 13] && kept.map(\.responseBody.length) == [20, 21, 22, 23])
        #expect(kept.allSatisfy { $0.requestBody.text == "in" && $0.responseBody.text == "out" && $0.fault == nil })
    }

    @Test func eachTenantKeepsItsNewestEntriesAndNoneOlderThanTheAge() async throws {
        let h = try await Harness.make()
        let now = Timestamp.now()
        let old = Timestamp(microseconds: now.microseconds - 10 * 86_400_000_000)
        try await h.store.appendJournal((0..<3).map { _ in storedEntry(h.tenant.id, at: old) } + (0..<9).map { _ in storedEntry(h.tenant.id, at: now) })
        try await h.store.appendJournal((0..<4).map { _ in storedEntry(h.strangerTask.tenantID, at: now) })
        let before = Timestamp(microseconds: now.microseconds - 7 * 86_400_000_000)
        var removed = 0
        while true {
            let batch = try await h.store.pruneJournal(keep: 5, before: before, limit: 2)
            removed += batch
            if batch < 2 { break }
        }
        #expect(removed == 7, "three too old, then four past the newest five")
        let kept = try await h.store.journal(in: h.tenant.id, matching: JournalQuery(limit: 100))
        #expect(kept.count == 5 && kept.allSatisfy { $0.at == now })
        #expect(try await h.store.journal(in: h.strangerTask.tenantID, matching: JournalQuery(limit: 100)).count == 4, "the other tenant's stay")
    }

    /// A backlog to prune is removed a step at a time, so that the writer's next flush is not held
    /// up behind it: a call stops once its time is spent and says that some are left.
    @Test func aBacklogIsPrunedAStepAtATime() async throws {
        let h = try await Harness.make()
        let entries = (0..<2_500).map { storedEntry(h.tenant.id, requestID: "r\($0)") }
        try await h.store.appendJournal(entries)
        let writer = JournalWriter(store: h.store, buffer: JournalBuffer(), settings: JournalSettings(size: 10), logger: Logger(label: "test"))
        func count() async throws -> Int {
            try await h.store.journal(in: h.tenant.id, matching: JournalQuery(limit: 5_000)).count
        }
        #expect(await writer.prune(for: .zero), "a step with no time to spare leaves the rest")
        #expect(try await count() == 1_500)
        #expect(await writer.prune(for: .seconds(60)) == false, "with time, it finishes and says so")
        let kept = try await h.store.journal(in: h.tenant.id, matching: JournalQuery(limit: 5_000))
        #expect(kept.map(\.requestID) == (2_490..<2_500).reversed().map { "r\($0)" })
        #expect(await writer.prune(for: .zero) == false, "nothing left to remove")
    }

    /// What requests left in the buffer is written when the server shuts down, also when the
    /// shutdown comes while the writer waits for its next flush.
    @Test func aShutdownWritesWhatIsWaiting() async throws {
        let h = try await Harness.make()
        let buffer = JournalBuffer()
        for number in 0..<300 { buffer.add(storedEntry(h.tenant.id, requestID: "r\(number)")) }
        let logger = Logger(label: "test")
        let writer = JournalWriter(store: h.store, buffer: buffer, settings: JournalSettings(), interval: .seconds(30), logger: logger)
        let group = ServiceGroup(configuration: .init(services: [writer], logger: logger))
        async let running: Void = group.run()
        try await Task.sleep(for: .milliseconds(200))
        await group.triggerGracefulShutdown()
        try await running
        let stored = try await h.store.journal(in: h.tenant.id, matching: JournalQuery(limit: 1_000))
        #expect(stored.count == 300)
    }

    /// The buffer holds at most its count and its bytes: entries past either are dropped and counted,
    /// and the next take starts afresh.
    @Test func theBufferIsBoundedByBytesAsWellAsByCount() async throws {
        func entry(body: Int) -> JournalEntry {
            storedEntry(
                UUID(), requestHeaders: [.init(name: "content-type", value: "application/json")],
                requestBody: .init(text: String(repeating: "a", count: body), length: body, truncated: false),
                responseBody: .init(text: String(repeating: "b", count: body), length: body, truncated: false)
            )
        }
        let large = entry(body: 16 * 1024)
        #expect(large.heldBytes > 32 * 1024)
        let buffer = JournalBuffer(capacity: 1_000, byteCapacity: 10 * large.heldBytes)
        for _ in 0..<25 { buffer.add(large) }
        var (taken, dropped) = buffer.take()
        #expect(taken.count == 10 && dropped == 15, "the bytes bound the large entries")
        (taken, dropped) = buffer.take()
        #expect(taken.isEmpty && dropped == 0, "a take starts afresh")
        let small = JournalBuffer(capacity: 100, byteCapacity: 10 * large.heldBytes)
        for _ in 0..<150 { small.add(entry(body: 10)) }
        (taken, dropped) = small.take()
        #expect(taken.count == 100 && dropped == 50, "the count bounds the small ones")
    }

    @Test func withTheJournalOffNothingIsKept() async throws {
        let h = try await Harness.make()
        try await h.runLive { client in
            let native = NativeClient(client: client, key: h.key)
            _ = try await native.create()
            try await Task.sleep(for: .milliseconds(600))
            let items = try await native.send(.get, "/v1/journal").object()["items"] as? [Any]
            #expect(items?.isEmpty == true)
        }
    }
}

/// A journal entry of `tenant` as a store keeps it: a `GET /v1/tasks` with the given id, time,
/// request headers and bodies.
private func storedEntry(
    _ tenant: UUID, requestID: String = "r", at: Timestamp = .now(), requestHeaders: [JournalEntry.Header] = [],
    requestBody: JournalEntry.Body = .empty, responseBody: JournalEntry.Body = .empty
) -> JournalEntry {
    JournalEntry(
        tenantID: tenant, at: at, requestID: requestID, surface: "native", method: "GET", target: "/v1/tasks", route: "/v1/tasks",
        status: 200, latencyMicroseconds: 1, credential: "key:x", userNumber: 1, requestHeaders: requestHeaders, responseHeaders: [],
        requestBody: requestBody, responseBody: responseBody, taskID: nil
    )
}
