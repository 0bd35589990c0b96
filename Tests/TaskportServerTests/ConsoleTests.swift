import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TaskportConsole
import TaskportCore
import TaskportServer
import Testing

/// The console's sessions, forms and refusals, over HTTP on every store (the browser test in
/// tests/console/browser.py goes through the pages in Chromium).
@Suite("Console")
struct ConsoleTests {
    static let password = "correct horse battery staple"

    /// A console client: keeps the cookies the server sets, reads CSRF tokens from the pages.
    struct Browser {
        let client: any TestClientProtocol
        var cookies: [String: String] = [:]

        mutating func send(_ method: HTTPRequest.Method, _ path: String, form: [String: String]? = nil) async throws -> TestResponse {
            var headers: HTTPFields = [:]
            if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
            var body: ByteBuffer?
            if let form {
                headers[.contentType] = "application/x-www-form-urlencoded"
                var components = URLComponents()
                components.queryItems = form.map { URLQueryItem(name: $0.key, value: $0.value) }
                body = ByteBuffer(string: (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B"))
            }
            let response = try await client.execute(uri: path, method: method, headers: headers, body: body)
            for header in response.headers[values: .setCookie] {
                let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2 else { continue }
                if header.contains("Max-Age=0") || pair[1].isEmpty { cookies.removeValue(forKey: pair[0]) } else { cookies[pair[0]] = pair[1] }
            }
            return response
        }

        /// The CSRF token a page's forms carry.
        static func csrf(in response: TestResponse) -> String? {
            let html = String(buffer: response.body)
            guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
            return String(html[range.upperBound...].prefix { $0 != "\"" })
        }

        mutating func signIn(_ email: String, _ password: String) async throws -> TestResponse {
            let form = try await send(.get, "/console/sign-in")
            return try await send(.post, "/console/sign-in", form: ["csrf": Self.csrf(in: form) ?? "", "email": email, "password": password])
        }
    }

    func withConsole(_ settings: ConsoleSettings = ConsoleSettings(), _ test: @Sendable (Harness, any TestClientProtocol) async throws -> Void) async throws {
        let h = try await Harness.make()
        try await h.store.setPasswordHash(try PasswordHash.make(Self.password), for: h.alice.id, in: h.tenant.id)
        let app = try await buildApplication(ServerConfiguration(logLevel: .error, console: settings), store: h.store)
        try await app.test(.router) { client in try await test(h, client) }
    }

    @Test func signingInSetsAStrictHttpOnlyCookieAndSigningOutEndsIt() async throws {
        try await withConsole { h, client in
            var browser = Browser(client: client)
            let answer1 = try await browser.send(.get, "/console/tasks")
            #expect(answer1.headers[.location] == "/console/sign-in")
            let signedIn = try await browser.signIn("alice@acme.test", Self.password)
            #expect(signedIn.status == .seeOther)
            let cookie = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("taskport_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/console"))
            #expect(!cookie.contains("Secure"))
            let list = try await browser.send(.get, "/console/tasks")
            #expect(list.status == .ok)
            #expect(list.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'self'") == true)
            let signOut = try await browser.send(.post, "/console/sign-out", form: ["csrf": Browser.csrf(in: list) ?? ""])
            #expect(signOut.status == .seeOther)
            let answer2 = try await browser.send(.get, "/console/tasks")
            #expect(answer2.status == .found)
        }
    }

    @Test func cookiesAreSecureBehindHTTPS() async throws {
        try await withConsole(ConsoleSettings(secureCookies: true)) { _, client in
            var browser = Browser(client: client)
            let signedIn = try await browser.signIn("alice@acme.test", Self.password)
            #expect(signedIn.headers[values: .setCookie].contains { $0.hasPrefix("taskport_session=") && $0.contains("Secure") })
        }
    }

    @Test func aFormWithoutItsTokenChangesNothing() async throws {
        try await withConsole { h, client in
            let task = try await h.store.create(
                TaskCreation(tenantID: h.tenant.id, content: TaskContent(title: "Keep me"), actor: Actor(userID: h.alice.id, name: "alice", surface: "test"))
            )
            var browser = Browser(client: client)
            _ = try await browser.signIn("alice@acme.test", Self.password)
            for token in [nil, "", "not-the-token"] as [String?] {
                var form = ["title": "Forged", "version": "1"]
                form["csrf"] = token
                let answer3 = try await browser.send(.post, "/console/tasks/\(task.number)", form: form)
                #expect(answer3.status == .forbidden)
                let answer4 = try await browser.send(.post, "/console/tasks/\(task.number)/delete", form: form)
                #expect(answer4.status == .forbidden)
            }
            let after = try #require(try await h.store.task(.id(task.id), in: h.tenant.id))
            #expect(after.version == 1 && after.content.title == "Keep me")
            // Signing in needs the form's own token too.
            var other = Browser(client: client)
            let refused = try await other.send(.post, "/console/sign-in", form: ["email": "alice@acme.test", "password": Self.password])
            #expect(refused.status == .forbidden)
            #expect(other.cookies["taskport_session"] == nil)
        }
    }

    @Test func sessionsEndWhenIdleAndWhenThePasswordChanges() async throws {
        try await withConsole(ConsoleSettings(idleTimeout: .zero)) { _, client in
            var browser = Browser(client: client)
            let answer5 = try await browser.signIn("alice@acme.test", Self.password)
            #expect(answer5.status == .seeOther)
            let answer6 = try await browser.send(.get, "/console/tasks")
            #expect(answer6.headers[.location] == "/console/sign-in")
        }
        try await withConsole(ConsoleSettings(absoluteTimeout: .zero)) { _, client in
            var browser = Browser(client: client)
            let answer7 = try await browser.signIn("alice@acme.test", Self.password)
            #expect(answer7.status == .seeOther)
            let answer8 = try await browser.send(.get, "/console/tasks")
            #expect(answer8.headers[.location] == "/console/sign-in")
        }
        try await withConsole { h, client in
            var browser = Browser(client: client)
            let answer9 = try await browser.signIn("alice@acme.test", Self.password)
            #expect(answer9.status == .seeOther)
            let answer10 = try await browser.send(.get, "/console/tasks")
            #expect(answer10.status == .ok)
            try await h.store.setPasswordHash(try PasswordHash.make("a new one"), for: h.alice.id, in: h.tenant.id)
            let answer11 = try await browser.send(.get, "/console/tasks")
            #expect(answer11.headers[.location] == "/console/sign-in")
            let answer12 = try await browser.signIn("alice@acme.test", "a new one")
            #expect(answer12.status == .seeOther)
            try await h.store.setDisabled(true, deleting: false, user: h.alice.id, in: h.tenant.id)
            let answer13 = try await browser.send(.get, "/console/tasks")
            #expect(answer13.headers[.location] == "/console/sign-in")
        }
    }

    @Test func repeatedWrongPasswordsSlowDown() async throws {
        try await withConsole { _, client in
            var browser = Browser(client: client)
            for _ in 0..<5 {
                let answer14 = try await browser.signIn("alice@acme.test", "wrong")
                #expect(answer14.status == .unauthorized)
            }
            // Now even the right password must wait.
            let throttled = try await browser.signIn("alice@acme.test", Self.password)
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.headers[.retryAfter] != nil)
            #expect(browser.cookies["taskport_session"] == nil)
            // Another account is not held up.
            let answer15 = try await browser.signIn("bob@acme.test", "wrong")
            #expect(answer15.status == .unauthorized)
        }
    }

    @Test func editsCarryTheirVersionAndFieldErrorsChangeNothing() async throws {
        try await withConsole { h, client in
            let task = try await h.store.create(
                TaskCreation(tenantID: h.tenant.id, content: TaskContent(title: "<b>Edit</b> me"), actor: Actor(userID: h.alice.id, name: "alice", surface: "test"))
            )
            var browser = Browser(client: client)
            _ = try await browser.signIn("alice@acme.test", Self.password)
            let page = try await browser.send(.get, "/console/tasks/\(task.number)")
            let html = String(buffer: page.body)
            #expect(html.contains("&lt;b&gt;Edit&lt;/b&gt; me") && !html.contains("<b>Edit</b>"))
            let csrf = try #require(Browser.csrf(in: page))
            let bad = try await browser.send(.post, "/console/tasks/\(task.number)", form: ["csrf": csrf, "version": "1", "title": "x", "time_zone": "Mars/Olympus"])
            #expect(bad.status == .badRequest)
            #expect(String(buffer: bad.body).contains("field-error"))
            let saved = try await browser.send(.post, "/console/tasks/\(task.number)", form: ["csrf": csrf, "version": "1", "title": "Edited", "notes": "a+b & c"])
            #expect(saved.status == .seeOther)
            let stale = try await browser.send(.post, "/console/tasks/\(task.number)", form: ["csrf": csrf, "version": "1", "title": "Stale"])
            #expect(stale.status == .conflict)
            let after = try #require(try await h.store.task(.id(task.id), in: h.tenant.id))
            #expect(after.version == 2 && after.content.title == "Edited" && after.content.notes == "a+b & c")
            let history = try #require(try await h.store.history(of: .id(task.id), in: h.tenant.id))
            #expect(history.last?.actor.surface == "console")
        }
    }

    @Test func aReadOnlyUserCanLookButNotEdit() async throws {
        try await withConsole { h, client in
            let reader = try await h.store.createUser(in: h.tenant.id, email: "reader@acme.test", name: "Reader", roles: ["CoworkerTask-List", "CoworkerTask-Read"])
            try await h.store.setPasswordHash(try PasswordHash.make(Self.password), for: reader.id, in: h.tenant.id)
            let task = try await h.store.create(
                TaskCreation(tenantID: h.tenant.id, content: TaskContent(title: "Look only"), actor: Actor(userID: h.alice.id, name: "alice", surface: "test"))
            )
            var browser = Browser(client: client)
            _ = try await browser.signIn("reader@acme.test", Self.password)
            let page = try await browser.send(.get, "/console/tasks/\(task.number)")
            #expect(page.status == .ok)
            let edit = try await browser.send(.post, "/console/tasks/\(task.number)", form: ["csrf": Browser.csrf(in: page) ?? "", "version": "1", "title": "Nope"])
            #expect(edit.status == .forbidden)
            #expect(try await h.store.task(.id(task.id), in: h.tenant.id)?.version == 1)
        }
    }

    @Test func whateverABrowserSendsIsAPageNeverAFault() async throws {
        try await withConsole { h, client in
            var browser = Browser(client: client)
            _ = try await browser.signIn("alice@acme.test", Self.password)
            let list = try await browser.send(.get, "/console/tasks")
            let csrf = Browser.csrf(in: list) ?? ""
            let paths = [
                "/console/tasks/0", "/console/tasks/-1", "/console/tasks/99999999999999999999", "/console/tasks/abc",
                "/console/tasks?after=-5&page=99999999999&due_after=2026-02-30&due_before=x&assignee=team:nope&sort=zzz&completed=maybe",
                "/console/tasks?q=" + String(repeating: "x", count: 5000), "/console/tasks/1/delete", "/console/nothing-here",
            ]
            for path in paths {
                let response = try await browser.send(.get, path)
                #expect(response.status.code < 500, "\(path) → \(response.status)")
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true || response.status == .notFound, "\(path)")
            }
            let huge = try await browser.send(.post, "/console/tasks", form: ["csrf": csrf, "title": String(repeating: "x", count: 2 << 20)])
            #expect(huge.status == .contentTooLarge)
            let badForm = try await browser.send(.post, "/console/tasks", form: ["csrf": csrf, "title": "", "due": "not a time", "time_zone": "GMT+99"])
            #expect(badForm.status == .badRequest)
            let assign = try await browser.send(.post, "/console/tasks/1/assignment", form: ["csrf": csrf, "version": "x", "assignee": "robot:1"])
            #expect(assign.status.code >= 400 && assign.status.code < 500)
            #expect(try await h.store.count(matching: TaskQuery(), in: h.tenant.id) == 0)
        }
    }

    @Test func theAdminPageIsForAdministratorsAndShowsAWebhookSecretOnce() async throws {
        try await withConsole { h, client in
            try await h.store.setPasswordHash(try PasswordHash.make(Self.password), for: h.bob.id, in: h.tenant.id)
            var member = Browser(client: client)
            _ = try await member.signIn("bob@acme.test", Self.password)
            let refused = try await member.send(.get, "/console/admin")
            #expect(refused.status == .forbidden)
            var admin = Browser(client: client)
            _ = try await admin.signIn("alice@acme.test", Self.password)
            let page = try await admin.send(.get, "/console/admin")
            #expect(page.status == .ok)
            #expect(String(buffer: page.body).contains("bob@acme.test"))
            let csrf = try #require(Browser.csrf(in: page))
            let bad = try await admin.send(.post, "/console/admin/webhooks", form: ["csrf": csrf, "url": "ftp://example.com"])
            #expect(bad.status == .badRequest)
            #expect(try await h.store.webhooks(in: h.tenant.id).isEmpty)
            let made = try await admin.send(.post, "/console/admin/webhooks", form: ["csrf": csrf, "url": "https://example.com/hook"])
            let webhook = try #require(try await h.store.webhooks(in: h.tenant.id).first)
            #expect(String(buffer: made.body).contains(webhook.secret))
            let again = try await admin.send(.get, "/console/admin")
            #expect(String(buffer: again.body).contains("https://example.com/hook") && !String(buffer: again.body).contains(webhook.secret))
            let memberDelete = try await member.send(.post, "/console/admin/webhooks/\(webhook.id.uuidString)/delete", form: ["csrf": Browser.csrf(in: refused) ?? ""])
            #expect(memberDelete.status == .forbidden)
            let deleted = try await admin.send(.post, "/console/admin/webhooks/\(webhook.id.uuidString)/delete", form: ["csrf": csrf])
            #expect(deleted.status == .seeOther)
            #expect(try await h.store.webhooks(in: h.tenant.id).isEmpty)
        }
    }

    @Test func theJournalPageListsRequestsAndLinksEachToItsTask() async throws {
        try await withConsole { h, client in
            let task = try await h.store.create(
                TaskCreation(tenantID: h.tenant.id, content: TaskContent(title: "Journaled"), actor: Actor(userID: h.alice.id, name: "alice", surface: "test"))
            )
            func entry(_ method: String, _ status: Int, task: UUID?, fault: String? = nil, body: String = "") -> JournalEntry {
                JournalEntry(
                    tenantID: h.tenant.id, at: .now(), requestID: "req-\(method)", surface: "rollout", method: method, target: "/api/tasks/\(task?.uuidString.lowercased() ?? "x")",
                    route: "/api/tasks/{id}", status: status, latencyMicroseconds: 1500, credential: "token", userNumber: h.alice.number,
                    requestHeaders: [.init(name: "Authorization", value: "Bearer ***")], responseHeaders: [], requestBody: .init(text: body, length: body.utf8.count, truncated: false),
                    responseBody: .empty, taskID: task, fault: fault
                )
            }
            try await h.store.appendJournal([
                entry("GET", 200, task: task.id), entry("PUT", 503, task: nil, fault: "rule 1: status 503", body: #"{"title":"<b>x</b>"}"#),
            ])
            var admin = Browser(client: client)
            _ = try await admin.signIn("alice@acme.test", Self.password)
            let page = try await admin.send(.get, "/console/journal")
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains(#"href="/console/tasks/\#(task.number)""#), "the entry links to the task it touched")
            #expect(html.contains("rule 1: status 503") && html.contains("GET /api/tasks/"))
            let failed = try await admin.send(.get, "/console/journal?status=5xx")
            #expect(!String(buffer: failed.body).contains(">GET "), "filtered by status")
            let entries = try await h.store.journal(in: h.tenant.id, matching: JournalQuery(limit: 10))
            let put = try #require(entries.first { $0.method == "PUT" })
            let detail = String(buffer: try await admin.send(.get, "/console/journal/\(put.id)").body)
            #expect(detail.contains("Bearer ***") && detail.contains("&lt;b&gt;x&lt;/b&gt;"), "headers and body, escaped")
            #expect(try await admin.send(.get, "/console/journal/\(h.strangerTask.number + 100000)").status == .notFound)
            try await h.store.setPasswordHash(try PasswordHash.make(Self.password), for: h.bob.id, in: h.tenant.id)
            var member = Browser(client: client)
            _ = try await member.signIn("bob@acme.test", Self.password)
            #expect(try await member.send(.get, "/console/journal").status == .forbidden)
        }
    }

    @Test func administratorsManageUsersRolesAndTeamsAndCannotLockThemselvesOut() async throws {
        try await withConsole { h, client in
            var admin = Browser(client: client)
            _ = try await admin.signIn("alice@acme.test", Self.password)
            let csrf = try #require(Browser.csrf(in: try await admin.send(.get, "/console/admin")))
            let bad = try await admin.send(.post, "/console/admin/users", form: ["csrf": csrf, "email": "no at sign", "name": "", "password": "short"])
            #expect(bad.status == .badRequest)
            #expect(try await h.store.users(in: h.tenant.id).count == 2)
            let taken = try await admin.send(.post, "/console/admin/users", form: ["csrf": csrf, "email": "bob@acme.test", "name": "Bob again"])
            #expect(taken.status == .conflict)
            let made = try await admin.send(
                .post, "/console/admin/users", form: ["csrf": csrf, "email": "dana@acme.test", "name": "Dana <b>", "password": Self.password]
            )
            #expect(made.status == .seeOther)
            let dana = try #require(try await h.store.user(email: "dana@acme.test", in: h.tenant.id))
            #expect(made.headers[.location] == "/console/admin/users/\(dana.number)" && dana.roles.isEmpty)

            // Dana is a member: tasks yes, the admin pages and their forms no.
            var member = Browser(client: client)
            #expect(try await member.signIn("dana@acme.test", Self.password).status == .seeOther)
            let memberPage = try await member.send(.get, "/console/tasks")
            let memberCSRF = Browser.csrf(in: memberPage) ?? ""
            #expect(try await member.send(.get, "/console/admin/users/\(dana.number)").status == .forbidden)
            let forged = try await member.send(.post, "/console/admin/users/\(dana.number)/roles", form: ["csrf": memberCSRF, "role-admin": "on"])
            #expect(forged.status == .forbidden)
            #expect(try await member.send(.post, "/console/admin/teams", form: ["csrf": memberCSRF, "name": "Mine"]).status == .forbidden)
            #expect(try await h.store.user(dana.id, in: h.tenant.id)?.roles == [])

            // Made an administrator, her very next page is the admin page.
            let page = try await admin.send(.get, "/console/admin/users/\(dana.number)")
            #expect(page.status == .ok && String(buffer: page.body).contains("Dana &lt;b&gt;"))
            let granted = try await admin.send(.post, "/console/admin/users/\(dana.number)/roles", form: ["csrf": csrf, "role-admin": "on", "role-CoworkerTask-Read": "on"])
            #expect(granted.status == .ok)
            #expect(try await h.store.user(dana.id, in: h.tenant.id)?.roles == ["admin", "CoworkerTask-Read"])
            #expect(try await member.send(.get, "/console/admin").status == .ok)

            // Roles the console does not offer are kept; one's own admin role stays.
            try await h.store.setRoles(["agent"], for: h.bob.id, in: h.tenant.id)
            _ = try await admin.send(.post, "/console/admin/users/\(h.bob.number)/roles", form: ["csrf": csrf, "role-CoworkerTask-List": "on"])
            #expect(try await h.store.user(h.bob.id, in: h.tenant.id)?.roles == ["agent", "CoworkerTask-List"])
            let own = try await admin.send(.post, "/console/admin/users/\(h.alice.number)/roles", form: ["csrf": csrf])
            #expect(own.status == .badRequest)
            #expect(try await h.store.user(h.alice.id, in: h.tenant.id)?.roles == ["admin"])
            #expect(try await admin.send(.post, "/console/admin/users/\(h.alice.number)/disable", form: ["csrf": csrf]).status == .badRequest)

            // Teams: made once, joined and left from the user's page.
            #expect(try await admin.send(.post, "/console/admin/teams", form: ["csrf": csrf, "name": "Night shift"]).status == .ok)
            #expect(try await admin.send(.post, "/console/admin/teams", form: ["csrf": csrf, "name": "Night shift"]).status == .conflict)
            let night = try #require(try await h.store.team(named: "Night shift", in: h.tenant.id))
            let joined = try await admin.send(.post, "/console/admin/users/\(dana.number)/teams", form: ["csrf": csrf, "team": night.id.uuidString])
            #expect(joined.status == .ok)
            #expect(try await h.store.team(night.id, in: h.tenant.id)?.memberIDs == [dana.id])
            #expect(try await admin.send(.post, "/console/admin/users/\(dana.number)/teams", form: ["csrf": csrf, "team": "nope"]).status == .badRequest)
            let left = try await admin.send(.post, "/console/admin/users/\(dana.number)/teams/\(night.id.uuidString)/remove", form: ["csrf": csrf])
            #expect(left.status == .ok)
            #expect(try await h.store.team(night.id, in: h.tenant.id)?.memberIDs == [])

            // A new password or disabling ends her session; enabling lets her password work again.
            #expect(try await admin.send(.post, "/console/admin/users/\(dana.number)/password", form: ["csrf": csrf, "password": "short"]).status == .badRequest)
            #expect(try await member.send(.get, "/console/tasks").status == .ok)
            #expect(try await admin.send(.post, "/console/admin/users/\(dana.number)/disable", form: ["csrf": csrf]).status == .ok)
            #expect(try await member.send(.get, "/console/tasks").status == .found)
            #expect(try await member.signIn("dana@acme.test", Self.password).status == .unauthorized)
            #expect(try await admin.send(.post, "/console/admin/users/\(dana.number)/enable", form: ["csrf": csrf]).status == .ok)
            #expect(try await member.signIn("dana@acme.test", Self.password).status == .seeOther)
            #expect(try await admin.send(.post, "/console/admin/users/\(dana.number)/password", form: ["csrf": csrf, "password": "a new password"]).status == .ok)
            #expect(try await member.send(.get, "/console/tasks").status == .found)
            #expect(try await member.signIn("dana@acme.test", "a new password").status == .seeOther)
        }
    }

    @Test func administratorsAddAttributesBusinessesAndAccounts() async throws {
        try await withConsole { h, client in
            var admin = Browser(client: client)
            _ = try await admin.signIn("alice@acme.test", Self.password)
            let csrf = try #require(Browser.csrf(in: try await admin.send(.get, "/console/admin")))
            #expect(try await admin.send(.post, "/console/admin/attributes", form: ["csrf": csrf, "kind": "colour", "value": "red"]).status == .badRequest)
            #expect(try await admin.send(.post, "/console/admin/attributes", form: ["csrf": csrf, "kind": "status", "value": "Blocked"]).status == .ok)
            #expect(try await admin.send(.post, "/console/admin/attributes", form: ["csrf": csrf, "kind": "status", "value": "blocked"]).status == .conflict)
            let blocked = try #require(try await h.store.attributes(.status, in: h.tenant.id).first { $0.value == "Blocked" })
            #expect(try await admin.send(.post, "/console/admin/attributes/\(blocked.id.uuidString)/delete", form: ["csrf": csrf]).status == .seeOther)
            #expect(try await h.store.attributes(.status, in: h.tenant.id).contains { $0.value == "Blocked" } == false)

            let before = try await h.store.businesses(in: h.tenant.id).count
            for zone in ["Mars/Olympus", "../../etc/passwd", "", String(repeating: "A/", count: 300)] {
                #expect(try await admin.send(.post, "/console/admin/businesses", form: ["csrf": csrf, "name": "Base", "zone": zone]).status == .badRequest)
            }
            #expect(try await admin.send(.post, "/console/admin/businesses", form: ["csrf": csrf, "name": "Lisbon", "zone": "Europe/Lisbon"]).status == .ok)
            #expect(try await admin.send(.post, "/console/admin/businesses", form: ["csrf": csrf, "name": "Lisbon", "zone": "Europe/Lisbon"]).status == .conflict)
            #expect(try await h.store.businesses(in: h.tenant.id).count == before + 1)
            #expect(try await h.store.businesses(in: h.tenant.id).contains { $0.name == "Lisbon" && $0.timeZone == "Europe/Lisbon" })

            #expect(try await admin.send(.post, "/console/admin/accounts", form: ["csrf": csrf, "name": "  "]).status == .badRequest)
            #expect(try await admin.send(.post, "/console/admin/accounts", form: ["csrf": csrf, "name": "Globex"]).status == .ok)
            let page = String(buffer: try await admin.send(.get, "/console/admin").body)
            #expect(page.contains("Lisbon") && page.contains("Globex"))
        }
    }
}
