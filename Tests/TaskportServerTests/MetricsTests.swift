import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TaskportTestSupport
import Testing

/// `/metrics` of a real server process on its own port: after known traffic, each count moved by
/// exactly what was sent, and what no route matched or no usual method names makes no new series.
@Suite("Metrics", .serialized)
struct MetricsTests {
    @Test(.timeLimit(.minutes(2))) func aScrapeAfterKnownTrafficShowsExactlyThatTraffic() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("taskport-metrics-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = TestBackend.isPostgres ? try TestPostgres.freshURL() : folder.appendingPathComponent("taskport.sqlite").path
        let port = try await ServerProcess.freePort(), metricsPort = try await ServerProcess.freePort()
        // A mail server that is not there: the assignment's email is attempted and fails.
        let closedPort = try await ServerProcess.freePort()
        let server = try await ServerProcess(
            arguments: [
                "--database", database, "--demo", "--metrics-port", String(metricsPort),
                "--smtp-host", "127.0.0.1", "--smtp-port", String(closedPort), "--delivery-retry-seconds", "0.2",
            ],
            port: port, directory: folder
        )
        let demo = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("taskport-demo.json"))) as? [String: Any])
        let key = try #require((demo["native"] as? [String: Any])?["apiKey"] as? String)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        defer { _ = client.shutdown() }
        func send(_ method: HTTPMethod, _ url: String, _ headers: [(String, String)] = [], body: String? = nil) async throws -> (Int, String) {
            var request = HTTPClientRequest(url: url)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            let response = try await client.execute(request, timeout: .seconds(30))
            return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 22)))
        }
        func scrape() async throws -> MetricsPage {
            let (status, text) = try await send(.GET, "http://127.0.0.1:\(metricsPort)/metrics")
            #expect(status == 200)
            return MetricsPage(text)
        }
        let api = "http://127.0.0.1:\(port)"
        let auth = [("Authorization", "Bearer \(key)")]

        let before = try await scrape()
        var ids: [String] = []
        for index in 1...3 {
            let (status, body) = try await send(.POST, api + "/v1/tasks", auth + [("Content-Type", "application/json")], body: #"{"title":"Metered \#(index)"}"#)
            #expect(status == 201)
            ids.append(try #require((try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["id"] as? String))
        }
        let patch = auth + [("Content-Type", "application/merge-patch+json")]
        #expect(try await send(.PATCH, api + "/v1/tasks/\(ids[0])", patch, body: #"{"title":"Once"}"#).0 == 200)
        #expect(try await send(.PATCH, api + "/v1/tasks/\(ids[0])", patch, body: #"{"title":"Twice"}"#).0 == 200)
        #expect(try await send(.PATCH, api + "/v1/tasks/\(ids[0])", patch + [("If-Match", #""1""#)], body: #"{"title":"Stale"}"#).0 == 412)
        #expect(try await send(.GET, api + "/v1/tasks").0 == 401)
        for path in ["/nowhere", "/nowhere/\(UUID())", "/v9/tasks"] {
            #expect(try await send(.GET, api + path).0 == 404)
        }
        #expect(try await send(.RAW(value: "PROPFIND"), api + "/v1/tasks", auth).0 >= 400)
        // On the API's port there is no /metrics when it has its own.
        #expect(try await send(.GET, api + "/metrics").0 == 404)
        try await RestartDeliveryTests.assignTaskOneToBob(port: port, folder: folder)

        // The email is attempted against the closed port and fails, and stays pending for a retry.
        var after = try await scrape()
        let deadline = Date().addingTimeInterval(30)
        while after.sum("taskport_outbox_delivery_failures_total", ["channel": "email"]) - before.sum("taskport_outbox_delivery_failures_total", ["channel": "email"]) < 1,
            Date() < deadline
        {
            try await Task.sleep(for: .milliseconds(200))
            after = try await scrape()
        }
        func moved(_ name: String, _ labels: [String: String] = [:]) -> Double {
            after.sum(name, labels) - before.sum(name, labels)
        }

        let requests = "taskport_http_requests_total"
        #expect(moved(requests, ["surface": "native", "route": "/v1/tasks", "method": "POST", "status": "2xx"]) == 3)
        #expect(moved(requests, ["surface": "native", "method": "PATCH", "status": "2xx"]) == 2)
        #expect(moved(requests, ["surface": "native", "method": "PATCH", "status": "4xx"]) == 1)
        #expect(moved(requests, ["surface": "native", "route": "/v1/tasks", "method": "GET", "status": "4xx"]) == 1)
        // The three paths and /metrics on the API's port.
        #expect(moved(requests, ["surface": "none", "route": "unmatched", "method": "GET", "status": "4xx"]) == 4)
        #expect(moved(requests, ["method": "other"]) == 1)
        #expect(moved(requests, ["surface": "maxsight", "method": "PUT", "status": "2xx"]) == 1)
        let routes = Set(after.series(requests).compactMap { $0.labels["route"] })
        #expect(!routes.contains { $0.contains("nowhere") || $0.contains("v9") }, "\(routes)")
        #expect(routes.contains { $0.hasPrefix("/v1/tasks/") && $0.contains("{") }, "route templates, not paths: \(routes)")
        let duration = "taskport_http_request_duration_seconds_count"
        #expect(moved(duration, ["surface": "native", "route": "/v1/tasks", "method": "POST", "status": "2xx"]) == 3)

        // Three creates, two changes and the assignment; the stale change wrote nothing. Reminders would write too.
        let store = TestBackend.isPostgres ? "postgres" : "sqlite"
        let writes = moved("taskport_task_writes_total", ["store": store]) - moved("taskport_reminders_written_total")
        #expect(writes == 6)
        if TestBackend.isPostgres {
            #expect(after.sum("taskport_postgres_connections_max") == 20)
            #expect(after.series("taskport_postgres_connections").count == 2)
        } else {
            // A batch holds the writes that failed too: here the stale change, if it got that far.
            let failedInBatches = moved("taskport_sqlite_commit_batch_size_sum") - moved("taskport_task_writes_total")
            #expect(failedInBatches == 0 || failedInBatches == 1)
            let commits = moved("taskport_sqlite_commit_batch_size_count")
            #expect(commits >= 1 && commits <= moved("taskport_sqlite_commit_batch_size_sum"), "\(commits) commits")
            #expect(moved("taskport_sqlite_commit_duration_seconds_count") == commits)
            #expect(after.sum("taskport_sqlite_wal_bytes") > 0)
        }
        #expect(moved("taskport_outbox_delivery_attempts_total", ["channel": "email"]) >= 1)
        #expect(moved("taskport_outbox_delivery_failures_total", ["channel": "email"]) >= 1)
        #expect(moved("taskport_outbox_messages", ["channel": "email", "state": "pending"]) == 1)
        #expect(after.sum("taskport_outbox_oldest_pending_seconds") >= 0)
        #expect(after.series("taskport_outbox_oldest_pending_seconds").count == 1)
        #expect(after.sum("taskport_store_up") == 1)
        #expect(after.sum("process_resident_memory_bytes") > 1_000_000)
        #expect(after.sum("process_open_fds") > 3)
        // Every metric the example Grafana dashboard queries is one this server exports.
        let dashboard = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/grafana-dashboard.json"), encoding: .utf8)
        let queried = Set(dashboard.matches(of: /(taskport|process)_[a-z_]+/).map { String($0.output.0) })
        let exported = Set(after.all.map(\.name))
        let otherStore = TestBackend.isPostgres ? "taskport_sqlite_" : "taskport_postgres_"
        let missing = queried.filter { !$0.hasPrefix(otherStore) && !exported.contains($0) }
        #expect(queried.count > 10 && missing.isEmpty, "the dashboard queries what is not exported: \(missing.sorted())")
        #expect(try await server.terminate() == 0)
    }
}

/// A scrape in the Prometheus text format, read back as series.
struct MetricsPage {
    struct Series {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let all: [Series]

    init(_ text: String) {
        all = text.split(separator: "\n").compactMap { line -> Series? in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let head = line[..<space]
            guard let brace = head.firstIndex(of: "{") else { return Series(name: String(head), labels: [:], value: value) }
            var labels: [String: String] = [:]
            // Label values here never hold a quote or a comma: they are Taskport's own names and route templates.
            for pair in head[head.index(after: brace)...].dropLast().split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
            }
            return Series(name: String(head[..<brace]), labels: labels, value: value)
        }
    }

    func series(_ name: String) -> [Series] {
        all.filter { $0.name == name }
    }

    /// The sum over the series of `name` whose labels include `labels`.
    func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        series(name).filter { series in labels.allSatisfy { series.labels[$0.key] == $0.value } }.reduce(0) { $0 + $1.value }
    }
}
