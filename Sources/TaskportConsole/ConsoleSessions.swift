import Foundation
import HTTPTypes
public import Hummingbird
import TaskportCore
import TaskportHTTP

/// What the console's admin page does with Rollout's credentials; the application gives it the
/// surface's own minting and revoking, so that the console and the CLI make the same ones.
public struct ConsoleRolloutAccess: Sendable {
    public var surface: String
    /// A new credential of the principal's tenant and a token for the principal, living `lifetime` seconds.
    public var mint: @Sendable (Principal, TimeInterval) async throws -> (token: String, credential: Credential)
    public var revoke: @Sendable (UUID, UUID) async throws -> Bool

    public init(
        surface: String, mint: @escaping @Sendable (Principal, TimeInterval) async throws -> (token: String, credential: Credential),
        revoke: @escaping @Sendable (UUID, UUID) async throws -> Bool
    ) {
        self.surface = surface
        self.mint = mint
        self.revoke = revoke
    }
}

/// How console sessions live: cookies marked `Secure` when the console is served over https,
/// an idle and an absolute expiry.
public struct ConsoleSettings: Sendable {
    /// Set when `--public-url` is https: cookies are then sent over https only.
    public var secureCookies: Bool
    /// A session unused this long ends.
    public var idleTimeout: Duration
    /// A session ends this long after sign-in, used or not.
    public var absoluteTimeout: Duration

    public init(secureCookies: Bool = false, idleTimeout: Duration = .seconds(30 * 60), absoluteTimeout: Duration = .seconds(12 * 3600)) {
        self.secureCookies = secureCookies
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
    }
}

/// The console's cookies and tokens. The session cookie holds 256 random bits; the store keeps
/// only its SHA-256, so a copy of the store signs nobody in.
enum ConsoleCookies {
    static let session = "taskport_session"
    /// The sign-in form's CSRF token, before there is a session (double submit).
    static let signIn = "taskport_sign_in"

    /// 256 random bits as base64url, made as API keys are.
    static func randomToken() -> String { APIKeySecret.generate(prefix: "").plaintext }

    /// The stored form of a session cookie: the same SHA-256 as an API key's.
    static func hash(_ token: String) -> String { APIKeySecret.hash(of: token) }

    /// Compares two secrets in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func cookie(_ name: String, _ value: String, settings: ConsoleSettings, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/console", secure: settings.secureCookies, httpOnly: true, sameSite: .strict)
    }
}

/// The signed-in user of the request being handled, with the session's CSRF token.
enum ConsoleRequest {
    @TaskLocal static var session: ConsoleSession?
}

/// Security headers on every console answer: a Content-Security-Policy that allows only the
/// console's own styles (no script at all, inline or not), no framing, no caching, no sniffing.
struct ConsoleSecurityHeaders<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

/// Finds the session the cookie names and runs the request as its user; without one, a page
/// is a redirect to the sign-in form. Every POST must carry the session's CSRF token, or it is
/// refused (403) and changes nothing.
struct ConsoleAuthenticator<Context: RequestContext>: RouterMiddleware {
    let store: any DirectoryStore
    let settings: ConsoleSettings
    let pages: ConsolePages

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path == "/console/sign-in" || path.hasPrefix("/console/static/") { return try await next(request, context) }
        let now = Timestamp.now()
        var session: ConsoleSession?
        if let token = request.cookies[ConsoleCookies.session]?.value, !token.isEmpty, token.count <= 100 {
            session = try await store.consoleSession(
                hash: ConsoleCookies.hash(token),
                idleSince: Timestamp(microseconds: now.microseconds - settings.idleTimeout.microseconds),
                madeSince: Timestamp(microseconds: now.microseconds - settings.absoluteTimeout.microseconds), now: now
            )
        }
        guard let session else {
            if request.method == .get || request.method == .head { return .redirect(to: "/console/sign-in", type: .found) }
            return pages.error(.unauthorized, "Your session has ended. Sign in again.", session: nil)
        }
        var request = request
        if request.method == .post {
            let form = try await ConsoleForm.read(&request)
            guard let sent = form["csrf"], ConsoleCookies.same(sent, session.csrfToken) else {
                return pages.error(.forbidden, "This form is out of date or did not come from the console (no valid CSRF token). Nothing was changed.", session: session)
            }
        }
        RequestRecord.authenticated(session.principal, by: "session")
        return try await ConsoleRequest.$session.withValue(session) { try await next(request, context) }
    }
}

/// Slows repeated wrong passwords down, per account and per client address: after five
/// failures in fifteen minutes, each further attempt must wait twice as long as the one before
/// (up to five minutes), and an attempt made too soon is refused without checking the password.
/// Kept in each server's memory: behind several servers each counts on its own.
actor SignInThrottle {
    struct Failures {
        var count: Int
        var last: ContinuousClock.Instant
    }

    static let free = 5
    static let window: Duration = .seconds(15 * 60)
    static let longestWait: Duration = .seconds(300)

    private var failures: [String: Failures] = [:]

    /// How long the keys must still wait before another attempt; nil when they may try now.
    func wait(for keys: [String], at now: ContinuousClock.Instant = .now) -> Duration? {
        let waits = keys.compactMap { key -> Duration? in
            guard let entry = failures[key], now - entry.last < Self.window, entry.count >= Self.free else { return nil }
            let exponent = min(entry.count - Self.free, 8)
            let required = min(Duration.seconds(1 << exponent), Self.longestWait)
            let waited = now - entry.last
            return waited < required ? required - waited : nil
        }
        return waits.max()
    }

    func failed(_ keys: [String], at now: ContinuousClock.Instant = .now) {
        for key in keys {
            var entry = failures[key] ?? Failures(count: 0, last: now)
            if now - entry.last >= Self.window { entry.count = 0 }
            entry.count += 1
            entry.last = now
            failures[key] = entry
        }
        if failures.count > 100_000 { failures = failures.filter { now - $0.value.last < Self.window } }
    }

    func succeeded(_ keys: [String]) {
        for key in keys { failures.removeValue(forKey: key) }
    }
}

/// An `application/x-www-form-urlencoded` body, as the console's forms send it.
struct ConsoleForm: Sendable {
    var fields: [String: String]

    subscript(_ name: String) -> String? { fields[name] }

    /// Reads the body once and leaves it in the request for the handler to read again.
    static func read(_ request: inout Request) async throws -> ConsoleForm {
        let body = try await request.collectBody(upTo: BodyLimit.maximumBytes)
        return ConsoleForm(text: String(buffer: body))
    }

    init(text: String) {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let name = decode(parts[0])
            // The first of a repeated field wins, as browsers send one of each.
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        self.fields = fields
    }
}
