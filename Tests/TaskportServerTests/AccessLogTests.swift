import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TaskportTestSupport
import Testing

/// The access log of a real server process in JSON, after a run that used every kind of
/// credential: one line per request with its surface and route template, and no secret anywhere.
@Suite("Access log", .serialized)
struct AccessLogTests {
    @Test(.timeLimit(.minutes(2))) func everyRequestIsOneJSONLineAndNoCredentialIsEverLogged() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("taskport-access-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = TestBackend.isPostgres ? try TestPostgres.freshURL() : folder.appendingPathComponent("taskport.sqlite").path
        let port = try await ServerProcess.freePort()
        let logFile = folder.appendingPathComponent("server.log")
        let server = try await ServerProcess(
            arguments: ["--database", database, "--demo", "--log-format", "json", "--log-level", "info"], port: port, directory: folder, log: logFile
        )
        let demo = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("taskport-demo.json"))) as? [String: Any])
        func credential(_ section: String, _ name: String) throws -> String {
            try #require((demo[section] as? [String: Any])?[name] as? String)
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        defer { _ = client.shutdown() }
        let base = "http://127.0.0.1:\(port)"
        func send(_ path: String, _ headers: [(String, String)] = [], method: HTTPMethod = .GET, body: String? = nil) async throws -> (Int, HTTPHeaders, String) {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(string: body)) }
            let response = try await client.execute(request, timeout: .seconds(30))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 22))
            return (Int(response.status.code), response.headers, text)
        }

        let nativeKey = try credential("native", "apiKey")
        #expect(try await send("/v1/tasks", [("Authorization", "Bearer \(nativeKey)")]).0 == 200)
        #expect(try await send("/v1/tasks", [("Authorization", "Bearer tpk_notAKeyOfAnyone0123456789")]).0 == 401)
        let thenaKey = try credential("thena", "apiKey")
        #expect(try await send("/v1/accounts/tasks", [("x-api-key", thenaKey)]).0 == 200)
        let maxsightKey = try credential("maxsight", "apiKey")
        #expect(try await send("/v5/tasks/1", [("apikey", maxsightKey)]).0 == 200)
        let bearer = try credential("rollout", "bearer"), rolloutCredential = try credential("rollout", "credentialId")
        #expect(try await send("/api/tasks", [("Authorization", "Bearer \(bearer)"), ("X-Rollout-Credential-Id", rolloutCredential)]).0 == 200)
        let password = try credential("nexudus", "password")
        let username = try credential("nexudus", "username").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let granted = try await send("/api/token", [("Content-Type", "application/x-www-form-urlencoded")], method: .POST, body: "grant_type=password&username=\(username)&password=\(password)"
        )
        #expect(granted.0 == 200)
        let tokens = try #require(try JSONSerialization.jsonObject(with: Data(granted.2.utf8)) as? [String: Any])
        let access = try #require(tokens["access_token"] as? String), refresh = try #require(tokens["refresh_token"] as? String)
        #expect(try await send("/api/crm/coworkertasks", [("Authorization", "Bearer \(access)")]).0 == 200)
        let refreshed = try await send("/api/token", [("Content-Type", "application/x-www-form-urlencoded")], method: .POST, body: "grant_type=refresh_token&refresh_token=\(refresh)")
        #expect(refreshed.0 == 200)

        // The console: its sign-in form, a wrong password, the right one, and a page with the session cookie.
        let form = try await send("/console/sign-in")
        let csrf = try #require(form.2.range(of: #"name="csrf" value=""#).map { String(form.2[$0.upperBound...].prefix { $0 != "\"" }) })
        let signInCookie = try #require(form.1["Set-Cookie"].first?.split(separator: ";").first.map(String.init))
        let email = try credential("console", "email").addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let wrong = try await send(
            "/console/sign-in", [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", signInCookie)], method: .POST,
            body: "csrf=\(csrf)&email=\(email)&password=not-the-password-at-all"
        )
        #expect(wrong.0 == 401)
        let signedIn = try await send(
            "/console/sign-in", [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", signInCookie)], method: .POST,
            body: "csrf=\(csrf)&email=\(email)&password=\(try credential("console", "password"))"
        )
        #expect(signedIn.0 == 303)
        let session = try #require(signedIn.1["Set-Cookie"].first { $0.hasPrefix("taskport_session=") }?.split(separator: ";").first.map(String.init))
        #expect(try await send("/console/tasks", [("Cookie", session)]).0 == 200)
        #expect(try await send("/no/such/place?token=tpk_inTheQueryString").0 == 404)
        #expect(try await server.terminate() == 0)

        let log = try String(contentsOf: logFile, encoding: .utf8)
        let lines = log.split(separator: "\n")
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == lines.count, "every line is one JSON object")
        let requests = objects.filter { $0["label"] as? String == "taskport.access" }
        #expect(requests.count >= 12, "\(requests.count) access lines")
        #expect(Set(requests.compactMap { $0["surface"] as? String }) == ["native", "thena", "maxsight", "rollout", "nexudus", "console"])
        let maxsight = try #require(requests.first { $0["surface"] as? String == "maxsight" })
        #expect((maxsight["route"] as? String)?.contains("/v5/tasks/") == true && maxsight["route"] as? String != "/v5/tasks/1", "a template, not the path")
        #expect(maxsight["status"] as? String == "200" && maxsight["tenant"] != nil && maxsight["request_id"] != nil && maxsight["bytes"] != nil)
        let native = requests.filter { $0["surface"] as? String == "native" }
        #expect(native.map { $0["status"] as? String } == ["200", "401"])
        #expect(native.first?["credential"] as? String == "key:" + nativeKey.dropFirst(4).prefix(8))
        #expect(native.last?["credential"] == nil, "a refused key names no caller")
        #expect(requests.contains { $0["surface"] as? String == "console" && $0["credential"] as? String == "session" })
        #expect(requests.contains { $0["route"] as? String == "unmatched" && $0["status"] as? String == "404" })

        let sessionValue = String(session.dropFirst("taskport_session=".count))
        let secrets = [nativeKey, thenaKey, maxsightKey, bearer, rolloutCredential, password, access, refresh, sessionValue, try credential("console", "password"),
                       "not-the-password-at-all", "tpk_notAKeyOfAnyone0123456789", "tpk_inTheQueryString", csrf]
        for secret in secrets {
            #expect(!log.contains(secret), "a credential reached the log: \(secret.prefix(6))…")
        }
    }
}
