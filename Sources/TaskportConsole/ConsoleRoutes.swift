import Foundation
import HTTPTypes
import Logging
import NIOCore
public import Hummingbird
public import TaskportCore
public import TaskportHTTP

/// The console: a web interface for people at `/console`, served by the same server as the
/// API surfaces and over the same store. Pages are HTML made from Mustache templates that are
/// resources of the binary; there is no script. Every change goes through the engine as
/// surface `console`, with the version the page was loaded at.
public enum ConsoleSurface {
    public static let name = "console"

    /// Adds the console's routes. `views` are the surfaces whose renderings a task's page shows.
    public static func register<Context: RequestContext>(
        on router: Router<Context>, store: any TaskportStore, views: [TaskView], settings: ConsoleSettings,
        rollout: ConsoleRolloutAccess? = nil, clientAddress: @escaping @Sendable (Context) -> String? = { _ in nil }
    ) throws {
        let pages = try ConsolePages.load()
        let console = Console(store: store, views: views, settings: settings, pages: pages, throttle: SignInThrottle(), rollout: rollout)
        let group = router.group("console")
            .add(middleware: ConsoleSecurityHeaders())
            .add(middleware: ConsoleErrorPages(pages: pages))
            .add(middleware: ConsoleAuthenticator(store: store, settings: settings, pages: pages))
            .add(middleware: ConsoleErrorPages(pages: pages))
        group.get { _, _ in Response.redirect(to: "/console/tasks", type: .found) }
        group.get("static/console.css") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: pages.stylesheet))
            )
        }
        group.get("sign-in") { request, _ in console.signInForm(request) }
        group.post("sign-in") { request, context in try await console.signIn(request, address: clientAddress(context)) }
        group.post("sign-out") { request, _ in try await console.signOut(request) }
        group.get("tasks") { request, _ in try await console.list(request) }
        group.get("tasks/new") { _, _ in try console.newTaskForm() }
        group.post("tasks") { request, _ in try await console.create(request) }
        group.get("tasks/:number") { _, context in try await console.show(try Console.number(context)) }
        group.post("tasks/:number") { request, context in try await console.edit(try Console.number(context), request) }
        group.post("tasks/:number/assignment") { request, context in try await console.assign(try Console.number(context), request) }
        group.get("tasks/:number/delete") { _, context in try await console.confirmDelete(try Console.number(context)) }
        group.post("tasks/:number/delete") { request, context in try await console.delete(try Console.number(context), request) }
        group.get("admin") { request, _ in try await console.admin(request) }
        group.get("journal") { request, _ in try await console.journal(request) }
        group.get("journal/:id") { _, context in try await console.journalEntry(context.parameters.get("id") ?? "") }
        group.post("admin/webhooks") { request, _ in try await console.createWebhook(request) }
        group.post("admin/api-keys") { request, _ in try await console.createAPIKey(request) }
        group.post("admin/rollout") { request, _ in try await console.mintRolloutToken(request) }
        group.post("admin/rollout/:id/revoke") { _, context in try await console.revokeRolloutCredential(context.parameters.get("id") ?? "") }
        group.post("admin/api-keys/:id/revoke") { _, context in try await console.revokeAPIKey(context.parameters.get("id") ?? "") }
        group.post("admin/webhooks/:id/delete") { _, context in try await console.deleteWebhook(context.parameters.get("id") ?? "") }
        group.post("admin/users") { request, _ in try await console.createUser(request) }
        group.get("admin/users/:number") { _, context in try await console.userPage(try Console.number(context)) }
        group.post("admin/users/:number/roles") { request, context in try await console.setRoles(try Console.number(context), request) }
        group.post("admin/users/:number/password") { request, context in try await console.setPassword(try Console.number(context), request) }
        group.post("admin/users/:number/disable") { _, context in try await console.setDisabled(try Console.number(context), true) }
        group.post("admin/users/:number/enable") { _, context in try await console.setDisabled(try Console.number(context), false) }
        group.post("admin/users/:number/teams") { request, context in try await console.joinTeam(try Console.number(context), request) }
        group.post("admin/users/:number/teams/:team/remove") { _, context in
            try await console.leaveTeam(try Console.number(context), team: context.parameters.get("team") ?? "")
        }
        group.post("admin/teams") { request, _ in try await console.createTeam(request) }
        group.post("admin/attributes") { request, _ in try await console.createAttribute(request) }
        group.post("admin/attributes/:id/delete") { _, context in try await console.deleteAttribute(context.parameters.get("id") ?? "") }
        group.post("admin/businesses") { request, _ in try await console.createBusiness(request) }
        group.post("admin/accounts") { request, _ in try await console.createAccount(request) }
        group.post("admin/outbox/:id/retry") { _, context in try await console.retryMessage(context.parameters.get("id") ?? "") }
    }
}

/// Turns what goes wrong in a console request into an HTML page in the console's style:
/// a client's mistake gets its status and message, a fault of the server a 500 that says nothing more.
struct ConsoleErrorPages<Context: RequestContext>: RouterMiddleware {
    let pages: ConsolePages

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let client = error is NIOTooManyBytesError ? .payloadTooLarge(limit: BodyLimit.maximumBytes) : ClientErrors.classify(error)
            if let client {
                var response = pages.error(client.conventionalStatus, client.message, session: ConsoleRequest.session)
                response.headers.append(contentsOf: client.conventionalHeaders)
                return response
            }
            context.logger.error("console request failed", metadata: ["error": "\(ClientErrors.faultSummary(error))"])
            return pages.error(.internalServerError, "Something went wrong on the server. Nothing you did caused it.", session: ConsoleRequest.session)
        }
    }
}

/// The console's handlers.
struct Console: Sendable {
    let store: any TaskportStore
    let views: [TaskView]
    let settings: ConsoleSettings
    let pages: ConsolePages
    let throttle: SignInThrottle
    let rollout: ConsoleRolloutAccess?

    static let pageSize = 50
    /// The list counts matching tasks exactly up to this many, and says "more than" beyond.
    static let countedUpTo = 10_000

    static func number(_ context: some RequestContext) throws -> Int64 {
        guard let text = context.parameters.get("number"), let number = Int64(text), number > 0 else {
            throw TaskportError.notFound("Task not found")
        }
        return number
    }

    var session: ConsoleSession {
        get throws {
            guard let session = ConsoleRequest.session else { throw TaskportError.unauthenticated("Sign in first") }
            return session
        }
    }

    func actor(_ session: ConsoleSession) -> Actor { session.principal.actor(surface: ConsoleSurface.name) }

    // MARK: Signing in and out

    func signInForm(_ request: Request, message: String? = nil, email: String = "", status: HTTPResponse.Status = .ok) -> Response {
        let token = ConsoleCookies.randomToken()
        var response = pages.page("sign-in", ["csrf": token, "email": email, "message": message], session: nil, status: status)
        response.setCookie(ConsoleCookies.cookie(ConsoleCookies.signIn, token, settings: settings))
        return response
    }

    func signIn(_ request: Request, address: String?) async throws -> Response {
        var request = request
        let form = try await ConsoleForm.read(&request)
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        guard let sent = form["csrf"], let expected = request.cookies[ConsoleCookies.signIn]?.value, ConsoleCookies.same(sent, expected) else {
            return signInForm(request, message: "The sign-in form had expired. Try again.", email: email, status: .forbidden)
        }
        let keys = ["email:" + email.lowercased()] + (address.map { ["address:" + $0] } ?? [])
        if let wait = await throttle.wait(for: keys) {
            let seconds = max(1, Int(wait.components.seconds))
            var response = signInForm(request, message: "Too many failed sign-ins. Try again in \(seconds) s.", email: email, status: .tooManyRequests)
            response.headers[.retryAfter] = String(seconds)
            return response
        }
        guard !email.isEmpty, email.count <= 320, let password = form["password"], !password.isEmpty, password.count <= 1024,
            let principal = try await PasswordSignIn.principal(email: email, password: password, in: store)
        else {
            await throttle.failed(keys)
            return signInForm(request, message: "The email or password is not right.", email: email, status: .unauthorized)
        }
        await throttle.succeeded(keys)
        let token = ConsoleCookies.randomToken()
        try await store.addConsoleSession(hash: ConsoleCookies.hash(token), csrfToken: ConsoleCookies.randomToken(), for: principal, at: .now())
        var response = ConsolePages.seeOther("/console/tasks")
        response.setCookie(ConsoleCookies.cookie(ConsoleCookies.session, token, settings: settings))
        response.setCookie(ConsoleCookies.cookie(ConsoleCookies.signIn, "", settings: settings, maxAge: 0))
        return response
    }

    func signOut(_ request: Request) async throws -> Response {
        if let token = request.cookies[ConsoleCookies.session]?.value {
            try await store.removeConsoleSession(hash: ConsoleCookies.hash(token))
        }
        var response = ConsolePages.seeOther("/console/sign-in")
        response.setCookie(ConsoleCookies.cookie(ConsoleCookies.session, "", settings: settings, maxAge: 0))
        return response
    }

    // MARK: The list

    func list(_ request: Request) async throws -> Response {
        let session = try session
        try session.principal.actor(surface: ConsoleSurface.name).require(.list)
        let tenantID = session.principal.tenantID
        let parameters = request.uri.queryParameters
        func value(_ name: String) -> String { parameters[name[...]].map(String.init) ?? "" }
        var query = TaskQuery(limit: Self.pageSize)
        var problem: String?
        let q = value("q")
        if !q.isEmpty { query.titleContains = String(q.prefix(TaskLimits.titleLength)) }
        switch value("completed") {
        case "yes": query.completed = true
        case "no": query.completed = false
        default: break
        }
        let assignee = value("assignee")
        if let (_, id) = Self.assignee(assignee) { query.assigneeID = id }
        let status = value("status")
        if !status.isEmpty { query.status = String(status.prefix(TaskLimits.attributeLength)) }
        for (name, keyPath) in [("due_after", \TaskQuery.dueAfter), ("due_before", \TaskQuery.dueBefore)] where !value(name).isEmpty {
            guard let day = Timestamp(wallClock: value(name) + "T00:00:00", in: .gmt) else {
                problem = "\(name.replacingOccurrences(of: "_", with: " ")): '\(value(name))' is not a date"
                continue
            }
            query[keyPath: keyPath] = day
        }
        let sort = Self.sorts.first { $0.value == value("sort") } ?? Self.sorts[0]
        query.order = sort.order
        if sort.order == .number {
            // Keyset paging in number order: the same cost on page 1 and page 20,000.
            query.afterNumber = Int64(value("after")).map { max(0, $0) }
        } else {
            query.offset = min(max(0, Int(value("page")) ?? 0), 10_000) * Self.pageSize
        }
        let page = try await store.tasks(matching: query, in: tenantID)
        // Counted up to a bound: a page of a store of millions must not read them all to say how many.
        let count = try await store.count(matching: query, in: tenantID, atMost: Self.countedUpTo + 1)
        let names = try await Names.load(tenantID, store)
        let surfaces = try await store.lastSurfaces(of: page.tasks.map(\.id), in: tenantID)
        let rows: [[String: Any]] = page.tasks.map { task in
            [
                "number": task.number, "title": task.content.title, "completed": task.content.completed,
                "assignee": names.assignee(task.content.assignee), "due": Self.due(task.content), "status": task.content.status ?? "",
                "version": task.version, "updated": Self.shown(task.updatedAt), "surface": surfaces[task.id] ?? "",
            ]
        }
        var next: String?
        var link = URLComponents()
        link.path = "/console/tasks"
        let kept = ["q", "completed", "assignee", "status", "due_after", "due_before", "sort"].filter { !value($0).isEmpty }
        var items = kept.map { URLQueryItem(name: $0, value: value($0)) }
        if sort.order == .number, let after = page.nextAfterNumber {
            items.append(URLQueryItem(name: "after", value: String(after)))
            link.queryItems = items
            next = link.string
        } else if sort.order != .number, page.tasks.count == Self.pageSize, count > Self.countedUpTo || query.offset + page.tasks.count < count {
            items.append(URLQueryItem(name: "page", value: String(query.offset / Self.pageSize + 1)))
            link.queryItems = items
            next = link.string
        }
        return pages.page(
            "tasks",
            [
                "problem": problem, "next": next, "tasks": rows,
                "count": count > Self.countedUpTo ? "more than \(Self.countedUpTo)" : "\(count)", "q": q, "status": status, "dueAfter": value("due_after"), "dueBefore": value("due_before"),
                "completedOptions": [("", "either"), ("yes", "completed"), ("no", "not completed")].map { option in
                    ["value": option.0, "label": option.1, "selected": option.0 == value("completed")] as [String: Any]
                },
                "assignees": names.options(selected: assignee),
                "sortOptions": Self.sorts.map { ["value": $0.value, "label": $0.label, "selected": $0.value == sort.value] as [String: Any] },
            ],
            session: session
        )
    }

    static let sorts: [(value: String, label: String, order: TaskOrder)] = [
        ("", "number", .number), ("-updated", "last change, newest first", TaskOrder(.updatedAt, descending: true)),
        ("due", "due, soonest first", TaskOrder(.dueAt)), ("title", "title", TaskOrder(.title)),
    ]

    // MARK: One task

    func show(_ number: Int64, notice: String? = nil) async throws -> Response {
        let session = try session
        let task = try await found(number, session)
        return try await taskPage(task, form: TaskFormValues(task.content, version: task.version), errors: [:], notice: notice, session: session)
    }

    func taskPage(
        _ task: TaskRecord, form: TaskFormValues, errors: [String: String], notice: String? = nil, problem: String? = nil,
        session: ConsoleSession, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let tenantID = session.principal.tenantID
        let names = try await Names.load(tenantID, store)
        let history = try await store.history(of: .id(task.id), in: tenantID) ?? []
        var renderings: [[String: Any]] = []
        for (index, view) in views.enumerated() {
            let record = try await view.record(task)
            renderings.append(["surface": view.surface, "json": Self.pretty(try record.json()), "open": index == 0])
        }
        let current = task.content.assignee.map { "\($0.kind.rawValue):\($0.id.lowercasedText)" } ?? ""
        return pages.page(
            "task",
            [
                "notice": notice, "problem": problem,
                "task": ["number": task.number, "title": task.content.title, "version": task.version, "fields": Self.fields(task, names)] as [String: Any],
                "form": form.context, "errors": errors,
                "assignees": names.options(selected: current),
                "history": history.reversed().map { entry in
                    var item: [String: Any] = [
                        "action": entry.action.rawValue, "version": entry.version, "at": Self.shown(entry.at), "actor": entry.actor.name,
                        "surface": entry.actor.surface,
                        "changes": entry.changes.map { ["field": $0.field, "from": Self.compact($0.from), "to": Self.compact($0.to)] },
                    ]
                    if let comment = entry.comment { item["comment"] = comment }
                    return item
                },
                "renderings": renderings,
            ],
            session: session, status: status
        )
    }

    /// What every form about one task brings: who sends it, its fields, the task as it is now,
    /// and the version the page was loaded at.
    func taskForm(_ number: Int64, _ request: Request) async throws -> (ConsoleSession, ConsoleForm, TaskRecord, version: Int64) {
        let session = try session
        var request = request
        let form = try await ConsoleForm.read(&request)
        let task = try await found(number, session)
        guard let version = Int64(form["version"] ?? "") else { throw TaskportError.malformed("The form has no version") }
        return (session, form, task, version)
    }

    func edit(_ number: Int64, _ request: Request) async throws -> Response {
        let (session, form, task, version) = try await taskForm(number, request)
        let values = TaskFormValues(form)
        let (patch, errors) = values.patch(from: task.content)
        if !errors.isEmpty {
            return try await taskPage(task, form: values, errors: errors, problem: "Nothing was saved: fix the fields marked.", session: session, status: .badRequest)
        }
        do {
            let mutation = TaskMutation(tenantID: task.tenantID, task: .id(task.id), kind: .patch(patch), precondition: .version(version), actor: actor(session))
            return try await apply(mutation, yours: values, number: number, session: session, then: "/console/tasks/\(number)")
        } catch TaskportError.invalid(let problems) {
            return try await taskPage(task, form: values, errors: Self.fieldErrors(problems), problem: "Nothing was saved: fix the fields marked.", session: session, status: .badRequest)
        }
    }

    /// Applies a change made with the version its page was loaded at: on to `location`, or the
    /// conflict page (what was sent beside the task as it is now) when the task has moved on.
    func apply(_ mutation: TaskMutation, yours: TaskFormValues, number: Int64, session: ConsoleSession, then location: String) async throws -> Response {
        do {
            _ = try await store.apply(mutation)
        } catch TaskportError.versionMismatch {
            return conflict(try await found(number, session), yours: yours, version: yours.version, session: session)
        }
        return ConsolePages.seeOther(location)
    }

    func conflict(_ task: TaskRecord, yours: TaskFormValues, version: Int64, session: ConsoleSession) -> Response {
        let theirs = TaskFormValues(task.content, version: task.version)
        return pages.page(
            "conflict",
            ["task": ["number": task.number, "version": task.version] as [String: Any], "yourVersion": version, "yours": yours.rows, "theirs": theirs.rows],
            session: session, status: .conflict
        )
    }

    func assign(_ number: Int64, _ request: Request) async throws -> Response {
        let (session, form, task, version) = try await taskForm(number, request)
        let chosen = form["assignee"] ?? ""
        var assignee: Assignee?
        if !chosen.isEmpty {
            guard let (kind, id) = Self.assignee(chosen) else { throw TaskportError.invalid([FieldProblem("assignee", "is not a user or team")]) }
            assignee = Assignee(kind, id)
        }
        let comment = (form["comment"] ?? "").isEmpty ? nil : form["comment"]
        // The same change, audit entry and emails as a Maxsight update-assignment.
        let patch = TaskPatch([.assignee(assignee), .assignedByID(session.principal.user.id), .assignmentComment(comment)])
        var outbox: [OutboxMessage] = []
        if let assignee, assignee != task.content.assignee || comment != task.content.assignmentComment {
            outbox = try await AssignmentNotices.messages(of: assignee, by: session.principal.user.id, comment: comment, task: task, in: store)
        }
        let mutation = TaskMutation(
            tenantID: task.tenantID, task: .id(task.id), kind: .patch(assignee == nil && task.content.assignee == nil ? TaskPatch() : patch),
            precondition: .version(version), actor: actor(session), comment: comment, outbox: outbox
        )
        return try await apply(mutation, yours: TaskFormValues(task.content, version: version), number: number, session: session, then: "/console/tasks/\(number)")
    }

    func confirmDelete(_ number: Int64) async throws -> Response {
        let session = try session
        let task = try await found(number, session)
        return pages.page("delete", ["task": ["number": task.number, "title": task.content.title, "version": task.version] as [String: Any]], session: session)
    }

    func delete(_ number: Int64, _ request: Request) async throws -> Response {
        let (session, _, task, version) = try await taskForm(number, request)
        let mutation = TaskMutation(tenantID: task.tenantID, task: .id(task.id), kind: .delete, precondition: .version(version), actor: actor(session))
        return try await apply(mutation, yours: TaskFormValues(task.content, version: version), number: number, session: session, then: "/console/tasks")
    }

    // MARK: A new task

    func newTaskForm() throws -> Response {
        pages.page("new", ["form": TaskFormValues(TaskContent(title: ""), version: 0).context, "errors": [String: String]()], session: try session)
    }

    func create(_ request: Request) async throws -> Response {
        let session = try session
        var request = request
        let form = try await ConsoleForm.read(&request)
        let values = TaskFormValues(form)
        let (patch, errors) = values.patch(from: TaskContent(title: ""))
        func again(_ errors: [String: String]) -> Response {
            pages.page(
                "new", ["form": values.context, "errors": errors, "problem": "Nothing was created: fix the fields marked."],
                session: session, status: .badRequest
            )
        }
        if !errors.isEmpty { return again(errors) }
        do {
            let task = try await store.create(
                TaskCreation(tenantID: session.principal.tenantID, content: patch.applied(to: TaskContent(title: "")), actor: actor(session))
            )
            return ConsolePages.seeOther("/console/tasks/\(task.number)")
        } catch TaskportError.invalid(let problems) {
            return again(Self.fieldErrors(problems))
        }
    }

    // MARK: Helpers

    /// A refusal's problems by field, as the form shows them beside each field.
    static func fieldErrors(_ problems: [FieldProblem]) -> [String: String] {
        Dictionary(problems.map { ($0.field, $0.message) }, uniquingKeysWith: { first, _ in first })
    }

    func found(_ number: Int64, _ session: ConsoleSession) async throws -> TaskRecord {
        try session.principal.actor(surface: ConsoleSurface.name).require(.read)
        guard let task = try await store.task(.number(number), in: session.principal.tenantID) else {
            throw TaskportError.notFound("Task #\(number) does not exist in this tenant")
        }
        return task
    }

    /// `user:<uuid>` or `team:<uuid>`, as the assignee menus send them.
    static func assignee(_ text: String) -> (Assignee.Kind, UUID)? {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let kind = Assignee.Kind(rawValue: String(parts[0])), let id = UUID(text: String(parts[1])) else { return nil }
        return (kind, id)
    }

    /// The due time on the task's own clock, with its zone.
    static func due(_ task: TaskContent) -> String {
        guard let due = task.dueAt else { return "" }
        let zone = task.timeZone.flatMap(TimeZoneName.zone) ?? .gmt
        return due.wallClock(in: zone).replacingOccurrences(of: "T", with: " ").prefix(16) + " " + (task.timeZone ?? "UTC")
    }

    static func shown(_ time: Timestamp) -> String {
        String(time.rfc3339Compact.prefix(19).replacingOccurrences(of: "T", with: " ")) + " UTC"
    }

    static func compact(_ value: JSONValue) -> String {
        (try? StoredJSON.encode(value)) ?? ""
    }

    static func pretty(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    static func fields(_ task: TaskRecord, _ names: Names) -> [[String: String]] {
        let content = task.content
        let rows: [(String, String)] = [
            ("Id", task.id.lowercasedText), ("Number", String(task.number)), ("Title", content.title),
            ("Notes", content.notes ?? ""), ("Type", content.type ?? ""), ("Status", content.status ?? ""),
            ("Priority", content.priority ?? ""), ("Completed", content.completed ? "yes" : "no"), ("Due", due(content)),
            ("Time zone", content.timeZone ?? ""), ("Assignee", names.assignee(content.assignee)),
            ("Assigned by", content.assignedByID.map { names.users[$0] ?? $0.lowercasedText } ?? ""),
            ("Assignment comment", content.assignmentComment ?? ""),
            ("Responsible", content.responsibleID.map { names.users[$0] ?? $0.lowercasedText } ?? ""),
            ("Subject", content.subjectID ?? ""), ("Scope", content.scopeID ?? ""),
            ("Activity", content.activityID?.lowercasedText ?? ""), ("Attachments", content.attachments.joined(separator: "\n")),
            ("Metadata", content.metadata.isEmpty ? "" : pretty(.object(content.metadata))),
            ("Notify by email", content.notifyByEmail ? "yes" : "no"), ("Reminded", content.reminded ? "yes" : "no"),
            ("Visible to everyone", content.visibleToEveryone ? "yes" : "no"), ("List item", content.listItemID ?? ""),
            ("External id", content.externalID ?? ""), ("Version", String(task.version)), ("Created", shown(task.createdAt)),
            ("Last change", shown(task.updatedAt) + (task.updatedBy.map { " by \($0)" } ?? "")),
        ]
        return rows.map { ["name": $0.0, "value": $0.1] }
    }
}

/// The tenant's users and teams by id, for showing assignees and offering them in menus.
struct Names {
    var users: [UUID: String] = [:]
    var teams: [UUID: String] = [:]
    var menu: [(value: String, label: String)] = []

    static func load(_ tenantID: UUID, _ store: any DirectoryStore) async throws -> Names {
        var names = Names()
        for user in try await store.users(in: tenantID) {
            names.users[user.id] = user.name
            names.menu.append(("user:\(user.id.lowercasedText)", "\(user.name) <\(user.email)>"))
        }
        for team in try await store.teams(in: tenantID) {
            names.teams[team.id] = team.name
            names.menu.append(("team:\(team.id.lowercasedText)", "\(team.name) (team)"))
        }
        return names
    }

    func assignee(_ assignee: Assignee?) -> String {
        guard let assignee else { return "" }
        switch assignee.kind {
        case .user: return users[assignee.id] ?? assignee.id.lowercasedText
        case .team: return (teams[assignee.id].map { "\($0) (team)" }) ?? assignee.id.lowercasedText
        }
    }

    func options(selected: String) -> [[String: Any]] {
        menu.map { ["value": $0.value, "label": $0.label, "selected": $0.value == selected] }
    }
}

/// The edit form's fields as text, from a task or from what the browser sent.
struct TaskFormValues {
    var title = ""
    var notes = ""
    var due = ""
    var timeZone = ""
    var status = ""
    var priority = ""
    var type = ""
    var completed = false
    var version: Int64 = 0

    init(_ content: TaskContent, version: Int64) {
        title = content.title
        notes = content.notes ?? ""
        timeZone = content.timeZone ?? ""
        let zone = content.timeZone.flatMap(TimeZoneName.zone) ?? .gmt
        due = content.dueAt.map { String($0.wallClock(in: zone).prefix(19)) } ?? ""
        status = content.status ?? ""
        priority = content.priority ?? ""
        type = content.type ?? ""
        completed = content.completed
        self.version = version
    }

    init(_ form: ConsoleForm) {
        title = form["title"] ?? ""
        notes = (form["notes"] ?? "").replacingOccurrences(of: "\r\n", with: "\n")
        due = form["due"] ?? ""
        timeZone = (form["time_zone"] ?? "").trimmingCharacters(in: .whitespaces)
        status = form["status"] ?? ""
        priority = form["priority"] ?? ""
        type = form["type"] ?? ""
        completed = form["completed"] == "true"
        version = Int64(form["version"] ?? "") ?? 0
    }

    var context: [String: Any] {
        [
            "title": title, "notes": notes, "due": due, "timeZone": timeZone, "status": status, "priority": priority,
            "type": type, "completed": completed, "version": version,
        ]
    }

    var rows: [[String: String]] {
        [
            ("Title", title), ("Notes", notes), ("Due", due.isEmpty ? "" : "\(due) \(timeZone.isEmpty ? "UTC" : timeZone)"),
            ("Status", status), ("Priority", priority), ("Type", type), ("Completed", completed ? "yes" : "no"),
        ].map { ["name": $0.0, "value": $0.1] }
    }

    /// The edits these values ask of `current`, or the fields that cannot be read. A due time
    /// left as the form showed it keeps the task's instant exactly (the form shows whole seconds).
    func patch(from current: TaskContent) -> (TaskPatch, [String: String]) {
        var patch = TaskPatch([
            .title(title), .notes(notes), .status(status), .priority(priority), .type(type), .completed(completed),
        ])
        var errors: [String: String] = [:]
        let zoneName: String? = timeZone.isEmpty ? nil : timeZone
        var zone = TimeZone.gmt
        if let zoneName {
            if let found = TimeZoneName.zone(zoneName) { zone = found } else { errors["timeZone"] = "'\(zoneName)' is not an IANA time zone such as Europe/London" }
        }
        patch.append(.timeZone(zoneName))
        let shown = TaskFormValues(current, version: 0)
        // Browsers leave out ":00" seconds.
        let sent = due.count == 16 ? due + ":00" : due
        if sent != shown.due || timeZone != shown.timeZone {
            if due.isEmpty {
                patch.append(.dueAt(nil))
            } else if let instant = Timestamp(wallClock: sent, in: zone) {
                patch.append(.dueAt(instant))
            } else {
                errors["dueAt"] = "'\(due)' is not a date and time"
            }
        }
        return (patch, errors)
    }
}
