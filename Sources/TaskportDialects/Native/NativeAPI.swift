import Foundation
public import Hummingbird
import OpenAPIRuntime
public import TaskportCore
public import TaskportHTTP

/// Taskport's own API under `/v1`, as `openapi.yaml` beside this file describes it.
public enum NativeSurface {
    static let name = "native"

    /// How the native API shows a task: its UUID and its native JSON.
    public static let view = TaskView.encoding(surface: name) { NativeTask($0) }

    /// The OpenAPI document this surface implements, as served at `/openapi/native.yaml`.
    public static func openAPIDocument() throws -> String {
        try OpenAPIDocument.text(in: .module)
    }

    /// The media types of each operation's successful answer, as the OpenAPI document lists them
    /// (`AcceptableAnswerMiddleware`).
    public static let answerTypes: [String: [String]] = [
        Operations.ListTasks.id: ["application/json"],
        Operations.CreateTask.id: ["application/json"],
        Operations.GetTask.id: ["application/json"],
        Operations.PatchTask.id: ["application/json"],
        Operations.GetTaskHistory.id: ["application/json"],
        Operations.ListTaskAttributes.id: ["application/json"],
        Operations.CreateTaskAttribute.id: ["application/json"],
        Operations.ListWebhooks.id: ["application/json"],
        Operations.CreateWebhook.id: ["application/json"],
        Operations.ListOutbox.id: ["application/json"],
        Operations.ListJournal.id: ["application/json"],
        Operations.GetJournalEntry.id: ["application/json"],
        Operations.ListFaultRules.id: ["application/json"],
        Operations.CreateFaultRule.id: ["application/json"],
        Operations.ListSnapshots.id: ["application/json"],
        Operations.CreateSnapshot.id: ["application/json"],
    ]

    /// The first media type of each operation's request body, as the OpenAPI document lists them
    /// (`FirstMediaTypeMiddleware`).
    public static let requestBodyTypes: [String: String] = [
        Operations.CreateTask.id: "application/json",
        Operations.PatchTask.id: "application/merge-patch+json",
        Operations.CreateTaskAttribute.id: "application/json",
        Operations.CreateWebhook.id: "application/json",
        Operations.CreateFaultRule.id: "application/json",
        Operations.CreateSnapshot.id: "application/json",
    ]

    /// What the native API's routes for testing integrations need from the application around it.
    public struct TestingHooks: Sendable {
        /// Whether this server acts on fault rules; when it does not, none can be made here.
        public var faultInjection: Bool
        /// Called once fault rules have changed, before the change is answered.
        public var faultRulesChanged: @Sendable () async -> Void
        /// Takes a tenant back to the demo's tasks; `.conflict`, with nothing changed, for one that is not the demo.
        public var resetToDemo: @Sendable (Tenant) async throws -> Void

        public init(
            faultInjection: Bool = false, faultRulesChanged: @escaping @Sendable () async -> Void = {},
            resetToDemo: @escaping @Sendable (Tenant) async throws -> Void = { _ in throw TaskportError.conflict("There is no demo data") }
        ) {
            self.faultInjection = faultInjection
            self.faultRulesChanged = faultRulesChanged
            self.resetToDemo = resetToDemo
        }
    }

    /// Adds the native routes, with their error format, body limit and API-key authentication.
    public static func register<Context: RequestContext>(
        on router: Router<Context>, store: any TaskportStore, testing: TestingHooks = TestingHooks()
    ) throws {
        let group = router.group()
            .add(middleware: SurfaceErrorMiddleware(ProblemEnvelope()))
            .add(middleware: GeneratedHeaderDecodingMiddleware([.eTag, .location]))
            .add(middleware: APIKeyAuthenticator(directory: store, location: .bearer))
            .add(middleware: RequestBodyMiddleware())
        let api = NativeAPI(store: store, testing: testing)
        try api.registerHandlers(
            on: BufferedTransport(group, shortcuts: [api.patchTaskShortcut]), serverURL: Servers.Server1.url(),
            configuration: .surfaces,
            middlewares: [AcceptableAnswerMiddleware(answerTypes), FirstMediaTypeMiddleware(requestBodyTypes)]
        )
        group.refuseOtherMethods([
            "/v1/tasks": [.get, .post],
            "/v1/tasks/:taskId": [.get, .patch, .delete],
            "/v1/tasks/:taskId/history": [.get],
            "/v1/task-attributes": [.get, .post],
            "/v1/task-attributes/:attributeId": [.delete],
            "/v1/webhooks": [.get, .post],
            "/v1/webhooks/:webhookId": [.delete],
            "/v1/outbox": [.get],
            "/v1/outbox/:messageId/retry": [.post],
            "/v1/journal": [.get],
            "/v1/journal/:entryId": [.get],
            "/v1/faults": [.get, .post],
            "/v1/faults/:ruleId": [.delete],
            "/v1/snapshots": [.get, .post],
            "/v1/snapshots/:name": [.delete],
            "/v1/snapshots/:name/restore": [.post],
            "/v1/tenant/reset": [.post],
        ])
    }
}

/// The handlers of the native API. Authentication has run before them; errors are thrown
/// as `TaskportError` and written as problem details by `ProblemEnvelope`.
package struct NativeAPI: APIProtocol {
    let store: any TaskportStore
    let testing: NativeSurface.TestingHooks

    package init(store: any TaskportStore, testing: NativeSurface.TestingHooks) {
        self.store = store
        self.testing = testing
    }

    package func listTasks(_ input: Operations.ListTasks.Input) async throws -> Operations.ListTasks.Output {
        let principal = try RequestScope.caller(.list)
        let parameters = input.query
        var query = try RequestScope.page(limit: parameters.limit, cursor: parameters.cursor)
        query.completed = parameters.completed
        query.dueBefore = parameters.dueBefore
        query.dueAfter = parameters.dueAfter
        query.updatedSince = parameters.updatedSince
        if let assignee = parameters.assigneeId {
            guard let id = UUID(text: assignee) else { throw TaskportError.malformed("assigneeId: is not a UUID") }
            query.assigneeID = id
        }
        let page = try await store.tasks(matching: query, in: principal.tenantID)
        return .ok(.init(body: .json(NativeTaskPage(page.tasks.map(NativeTask.init), after: page, itemsMember: "items", cursorMember: "nextCursor"))))
    }

    package func createTask(_ input: Operations.CreateTask.Input) async throws -> Operations.CreateTask.Output {
        let principal = try RequestScope.caller()
        guard case .json(let body) = input.body else { throw TaskportError.unsupportedMediaType("Send application/json") }
        let task = try await store.create(
            TaskCreation(tenantID: principal.tenantID, content: body.content, actor: principal.actor(surface: NativeSurface.name))
        )
        return .created(
            .init(
                headers: .init(eTag: EntityTag.of(task), location: "/v1/tasks/\(task.id.lowercasedText)"),
                body: .json(NativeTask(task))
            )
        )
    }

    package func getTask(_ input: Operations.GetTask.Input) async throws -> Operations.GetTask.Output {
        let principal = try RequestScope.caller(.read)
        let task = try await RequestScope.found(store.task(RequestScope.task(input.path.taskId), in: principal.tenantID))
        return .ok(.init(headers: .init(eTag: EntityTag.of(task)), body: .json(NativeTask(task))))
    }

    package func patchTask(_ input: Operations.PatchTask.Input) async throws -> Operations.PatchTask.Output {
        let principal = try RequestScope.caller()
        guard case .applicationMergePatchJson(let body) = input.body else {
            throw TaskportError.unsupportedMediaType("Send application/merge-patch+json")
        }
        let reference = try RequestScope.task(input.path.taskId)
        var precondition = input.headers.ifMatch.flatMap { EntityTag.precondition(ifMatch: $0) }
        if !body.readOnly.isEmpty {
            // The task as read, sent back: its read-only members must still be what it holds, and
            // the version it carries guards the write as If-Match does.
            let current = try await RequestScope.found(store.task(reference, in: principal.tenantID))
            try body.readOnly.check(against: current)
            precondition = TaskPrecondition.all(of: [precondition, body.readOnly.precondition])
        }
        let task = try await store.apply(
            TaskMutation(
                tenantID: principal.tenantID, task: reference, kind: .patch(body.patch),
                precondition: precondition, actor: principal.actor(surface: NativeSurface.name)
            )
        )
        return .ok(.init(headers: .init(eTag: EntityTag.of(task)), body: .json(NativeTask(task))))
    }

    package func deleteTask(_ input: Operations.DeleteTask.Input) async throws -> Operations.DeleteTask.Output {
        let principal = try RequestScope.caller()
        _ = try await store.apply(
            TaskMutation(
                tenantID: principal.tenantID, task: try RequestScope.task(input.path.taskId), kind: .delete,
                precondition: input.headers.ifMatch.flatMap { EntityTag.precondition(ifMatch: $0) }, actor: principal.actor(surface: NativeSurface.name)
            )
        )
        return .noContent(.init())
    }

    package func getTaskHistory(_ input: Operations.GetTaskHistory.Input) async throws -> Operations.GetTaskHistory.Output {
        let principal = try RequestScope.caller(.read)
        let entries = try await RequestScope.found(store.history(of: RequestScope.task(input.path.taskId), in: principal.tenantID))
        return .ok(.init(body: .json(NativeHistory(entries))))
    }

    package func listTaskAttributes(_ input: Operations.ListTaskAttributes.Input) async throws -> Operations.ListTaskAttributes.Output {
        let principal = try RequestScope.caller()
        let kind = input.query.kind.flatMap { TaskAttribute.Kind(rawValue: $0.rawValue) }
        let attributes = try await store.attributes(kind, in: principal.tenantID)
        return .ok(.init(body: .json(.init(items: attributes.map(Components.Schemas.TaskAttribute.init)))))
    }

    package func createTaskAttribute(_ input: Operations.CreateTaskAttribute.Input) async throws -> Operations.CreateTaskAttribute.Output {
        let principal = try RequestScope.caller()
        guard case .json(let body) = input.body else { throw TaskportError.unsupportedMediaType("Send application/json") }
        let value = body.value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...TaskLimits.attributeLength).contains(value.count), !value.contains("\u{0}") else {
            throw TaskportError.invalid([FieldProblem("value", "must be 1 to \(TaskLimits.attributeLength) characters, none of them NUL")])
        }
        let kind = TaskAttribute.Kind(rawValue: body.kind.rawValue) ?? .type
        var configuration: JSONObject = [:]
        if let settings = body.configuration?.additionalProperties {
            configuration = try JSONDecoder().decode(JSONObject.self, from: JSONEncoder().encode(settings))
        }
        if let problem = JSONValue.object(configuration).limitProblem() {
            throw TaskportError.invalid([FieldProblem("configuration", problem)])
        }
        let attribute = try await store.createAttribute(kind, value: value, configuration: configuration, in: principal.tenantID)
        return .created(.init(body: .json(.init(attribute))))
    }

    package func deleteTaskAttribute(_ input: Operations.DeleteTaskAttribute.Input) async throws -> Operations.DeleteTaskAttribute.Output {
        let principal = try RequestScope.caller()
        guard let id = UUID(text: input.path.attributeId), try await store.deleteAttribute(id, in: principal.tenantID) else {
            throw TaskportError.notFound("Task attribute not found")
        }
        return .noContent(.init())
    }
}

extension Components.Schemas.TaskAttribute {
    init(_ attribute: TaskAttribute) {
        self.init(
            id: attribute.id.lowercasedText, kind: .init(rawValue: attribute.kind.rawValue) ?? ._type,
            value: attribute.value, configuration: attribute.configuration
        )
    }
}

// MARK: - Webhooks and the outbox (administrators)

extension NativeAPI {
    /// The caller, if an administrator of their tenant.
    func administrator() throws -> Principal {
        let principal = try RequestScope.caller()
        guard principal.user.isAdministrator else {
            throw TaskportError.forbidden("Only administrators manage webhooks, the outbox, the journal, fault rules and snapshots")
        }
        return principal
    }

    package func listWebhooks(_ input: Operations.ListWebhooks.Input) async throws -> Operations.ListWebhooks.Output {
        let principal = try administrator()
        let webhooks = try await store.webhooks(in: principal.tenantID)
        return .ok(.init(body: .json(.init(items: webhooks.map { Components.Schemas.Webhook($0, showingSecret: false) }))))
    }

    package func createWebhook(_ input: Operations.CreateWebhook.Input) async throws -> Operations.CreateWebhook.Output {
        let principal = try administrator()
        guard case .json(let body) = input.body else { throw TaskportError.unsupportedMediaType("Send application/json") }
        guard body.url.count <= 2000, let url = URL(string: body.url), url.isWebEndpoint else {
            throw TaskportError.invalid([FieldProblem("url", "must be an absolute http or https URL")])
        }
        if let secret = body.secret, !(16...200).contains(secret.count) {
            throw TaskportError.invalid([FieldProblem("secret", "must be 16 to 200 characters")])
        }
        let secret = body.secret ?? APIKeySecret.generate(prefix: "whsec_").plaintext
        let webhook = try await store.createWebhook(url: body.url, secret: secret, in: principal.tenantID)
        return .created(.init(body: .json(.init(webhook, showingSecret: true))))
    }

    package func deleteWebhook(_ input: Operations.DeleteWebhook.Input) async throws -> Operations.DeleteWebhook.Output {
        let principal = try administrator()
        guard let id = UUID(text: input.path.webhookId), try await store.deleteWebhook(id, in: principal.tenantID) else {
            throw TaskportError.notFound("Webhook not found")
        }
        return .noContent(.init())
    }

    /// A list's `taskId` filter, a task's UUID or its number: the task's id, or nil when no task has that number.
    func taskFilter(_ text: String, in tenantID: UUID) async throws -> UUID? {
        if let id = UUID(text: text) { return id }
        guard let number = Int64(text), number > 0 else { throw TaskportError.malformed("taskId: a task's UUID or its number") }
        return try await store.task(.number(number), in: tenantID)?.id
    }

    package func listOutbox(_ input: Operations.ListOutbox.Input) async throws -> Operations.ListOutbox.Output {
        let principal = try administrator()
        let parameters = input.query
        var query = OutboxQuery(limit: parameters.limit ?? 100)
        guard (1...500).contains(query.limit) else { throw TaskportError.malformed("limit: must be between 1 and 500") }
        query.state = parameters.state.flatMap { OutboxState(rawValue: $0.rawValue) }
        query.channel = parameters.channel.flatMap { OutboxMessage.Channel(rawValue: $0.rawValue) }
        if let cursor = parameters.cursor {
            guard let after = OutboxCursor(text: cursor) else { throw TaskportError.malformed("cursor: not a cursor this list gave") }
            query.after = after
        }
        if let taskID = parameters.taskId {
            guard let id = try await taskFilter(taskID, in: principal.tenantID) else {
                return .ok(.init(body: .json(.init(items: [], nextCursor: nil))))
            }
            query.taskID = id
        }
        let entries = try await store.outboxMessages(in: principal.tenantID, matching: query)
        let next = entries.count == query.limit ? entries.last.map { OutboxCursor(after: $0).text } : nil
        return .ok(.init(body: .json(.init(items: entries.map(Components.Schemas.OutboxMessage.init), nextCursor: next))))
    }

    package func retryOutboxMessage(_ input: Operations.RetryOutboxMessage.Input) async throws -> Operations.RetryOutboxMessage.Output {
        let principal = try administrator()
        guard let id = UUID(text: input.path.messageId), try await store.retryMessage(id, in: principal.tenantID, at: .now()) else {
            throw TaskportError.notFound("No pending or dead message with this id")
        }
        return .noContent(.init())
    }
}

extension Components.Schemas.Webhook {
    init(_ webhook: TaskportCore.Webhook, showingSecret: Bool) {
        self.init(
            id: webhook.id.lowercasedText, url: webhook.url, secret: showingSecret ? webhook.secret : nil,
            createdAt: webhook.createdAt
        )
    }
}

// MARK: - The request journal

extension NativeAPI {
    package func listJournal(_ input: Operations.ListJournal.Input) async throws -> Operations.ListJournal.Output {
        let principal = try administrator()
        let parameters = input.query
        var query = JournalQuery(limit: parameters.limit ?? 50)
        guard (1...200).contains(query.limit) else { throw TaskportError.malformed("limit: must be between 1 and 200") }
        query.surface = parameters.surface?.rawValue
        if let status = parameters.status, !query.filterStatus(status) {
            throw TaskportError.malformed("status: a status such as 412, or a class such as 4xx")
        }
        if let path = parameters.path {
            // The document's bounds: the generated server does not check a query string's length.
            guard (1...2000).contains(path.unicodeScalars.count) else { throw TaskportError.malformed("path: 1 to 2000 characters") }
            query.pathPrefix = path
        }
        query.since = parameters.since
        query.until = parameters.until
        if let after = parameters.after {
            guard after >= 0 else { throw TaskportError.malformed("after: an entry's id") }
            query.after = after
        }
        if let cursor = parameters.cursor {
            guard query.after == nil, let before = Int64(cursor), before > 0 else {
                throw TaskportError.malformed(query.after == nil ? "cursor: not a cursor this list gave" : "cursor and after do not go together")
            }
            query.before = before
        }
        if let taskID = parameters.taskId {
            guard let id = try await taskFilter(taskID, in: principal.tenantID) else { return .ok(.init(body: .json(.init(items: [])))) }
            query.taskID = id
        }
        let entries = try await store.journal(in: principal.tenantID, matching: query)
        let next = query.after == nil && entries.count == query.limit ? entries.last.map { String($0.id) } : nil
        return .ok(.init(body: .json(.init(items: entries.map(Components.Schemas.JournalEntry.init), nextCursor: next))))
    }

    package func getJournalEntry(_ input: Operations.GetJournalEntry.Input) async throws -> Operations.GetJournalEntry.Output {
        let principal = try administrator()
        guard let id = Int64(input.path.entryId), let entry = try await store.journalEntry(id, in: principal.tenantID) else {
            throw TaskportError.notFound("No journal entry with this id")
        }
        return .ok(.init(body: .json(.init(entry))))
    }
}

extension Components.Schemas.JournalEntry {
    init(_ entry: TaskportCore.JournalEntry) {
        func message(_ headers: [TaskportCore.JournalEntry.Header], _ body: TaskportCore.JournalEntry.Body) -> Components.Schemas.JournalMessage {
            .init(
                headers: headers.map { .init(name: $0.name, value: $0.value) }, body: body.text, bodyLength: body.length,
                bodyTruncated: body.truncated
            )
        }
        self.init(
            id: entry.id, at: entry.at, requestId: entry.requestID, surface: entry.surface, method: entry.method, path: entry.target,
            route: entry.route, status: entry.status, latencyMs: Double(entry.latencyMicroseconds) / 1000, credential: entry.credential,
            userNumber: entry.userNumber, taskId: entry.taskID?.lowercasedText, fault: entry.fault,
            request: message(entry.requestHeaders, entry.requestBody), response: message(entry.responseHeaders, entry.responseBody)
        )
    }
}

extension Components.Schemas.OutboxMessage {
    init(_ entry: OutboxEntry) {
        let message = entry.message
        self.init(
            id: message.id.lowercasedText, channel: .init(rawValue: message.channel.rawValue) ?? .email,
            recipient: message.recipient, event: message.event, taskId: entry.taskID?.lowercasedText,
            state: .init(rawValue: entry.state.rawValue) ?? .pending, attempts: entry.attempts, lastError: entry.lastError,
            createdAt: entry.createdAt, availableAt: entry.availableAt
        )
    }
}

// MARK: - Fault rules, snapshots and reset (administrators)

extension NativeAPI {
    package func listFaultRules(_ input: Operations.ListFaultRules.Input) async throws -> Operations.ListFaultRules.Output {
        let principal = try administrator()
        let rules = try await store.faultRules(in: principal.tenantID)
        return .ok(.init(body: .json(.init(items: rules.map(Components.Schemas.FaultRule.init)))))
    }

    package func createFaultRule(_ input: Operations.CreateFaultRule.Input) async throws -> Operations.CreateFaultRule.Output {
        let principal = try administrator()
        guard case .json(let body) = input.body else { throw TaskportError.unsupportedMediaType("Send application/json") }
        guard testing.faultInjection else {
            throw TaskportError.conflict("Fault injection is off on this server: start it with --fault-injection to make rules")
        }
        let effect: FaultRule.Effect
        switch body.effect {
        case .latency:
            guard let milliseconds = body.latencyMs else { throw TaskportError.invalid([FieldProblem("latencyMs", "is required for latency")]) }
            effect = .latency(milliseconds: milliseconds)
        case .status:
            guard let status = body.status else { throw TaskportError.invalid([FieldProblem("status", "is required for status")]) }
            effect = .status(code: status.rawValue, retryAfter: body.retryAfter)
        case .drop:
            effect = .drop
        }
        let rule = FaultRule(
            tenantID: principal.tenantID,
            match: .init(surface: body.surface?.rawValue, method: body.method, path: body.path, credential: body.credential),
            effect: effect, remaining: body.count, share: body.share ?? 1, startsAt: body.startsAt, endsAt: body.endsAt
        )
        let problems = rule.problems
        guard problems.isEmpty else { throw TaskportError.invalid(problems) }
        try await store.addFaultRule(rule)
        await testing.faultRulesChanged()
        return .created(.init(body: .json(.init(rule))))
    }

    package func deleteFaultRule(_ input: Operations.DeleteFaultRule.Input) async throws -> Operations.DeleteFaultRule.Output {
        let principal = try administrator()
        guard let id = UUID(text: input.path.ruleId), try await store.removeFaultRule(id, in: principal.tenantID) else {
            throw TaskportError.notFound("No fault rule with this id")
        }
        await testing.faultRulesChanged()
        return .noContent(.init())
    }

    /// The caller's tenant, for the routes that work on all of it.
    func tenant(of principal: Principal) async throws -> Tenant {
        guard let tenant = try await store.tenants().first(where: { $0.id == principal.tenantID }) else {
            throw TaskportError.notFound("The tenant does not exist")
        }
        return tenant
    }

    package func listSnapshots(_ input: Operations.ListSnapshots.Input) async throws -> Operations.ListSnapshots.Output {
        let principal = try administrator()
        let snapshots = try await store.snapshots(in: principal.tenantID)
        return .ok(.init(body: .json(.init(items: snapshots.map(Components.Schemas.Snapshot.init)))))
    }

    package func createSnapshot(_ input: Operations.CreateSnapshot.Input) async throws -> Operations.CreateSnapshot.Output {
        let principal = try administrator()
        guard case .json(let body) = input.body else { throw TaskportError.unsupportedMediaType("Send application/json") }
        let info = try await Snapshots.save(body.name, of: tenant(of: principal), in: store)
        return .created(.init(body: .json(.init(info))))
    }

    package func deleteSnapshot(_ input: Operations.DeleteSnapshot.Input) async throws -> Operations.DeleteSnapshot.Output {
        let principal = try administrator()
        guard try await store.deleteSnapshot(input.path.name, in: principal.tenantID) else {
            throw TaskportError.notFound("No snapshot named '\(input.path.name)'")
        }
        return .noContent(.init())
    }

    package func restoreSnapshot(_ input: Operations.RestoreSnapshot.Input) async throws -> Operations.RestoreSnapshot.Output {
        let principal = try administrator()
        try await Snapshots.restore(input.path.name, of: tenant(of: principal), in: store)
        return .noContent(.init())
    }

    package func resetTenant(_ input: Operations.ResetTenant.Input) async throws -> Operations.ResetTenant.Output {
        let principal = try administrator()
        let tenant = try await tenant(of: principal)
        if input.query.to == .demo {
            try await testing.resetToDemo(tenant)
        } else {
            try await Snapshots.emptyTasks(of: tenant, in: store)
        }
        return .noContent(.init())
    }
}

extension Components.Schemas.FaultRule {
    init(_ rule: TaskportCore.FaultRule) {
        var latency: Int?
        var status: Int?
        var retryAfter: Int?
        let effect: Components.Schemas.FaultRule.EffectPayload
        switch rule.effect {
        case .latency(let milliseconds):
            effect = .latency
            latency = milliseconds
        case .status(let code, let seconds):
            effect = .status
            status = code
            retryAfter = seconds
        case .drop:
            effect = .drop
        }
        self.init(
            id: rule.id.lowercasedText, surface: rule.match.surface, method: rule.match.method, path: rule.match.path,
            credential: rule.match.credential, effect: effect, latencyMs: latency, status: status, retryAfter: retryAfter,
            count: rule.remaining, share: rule.share, startsAt: rule.startsAt, endsAt: rule.endsAt, createdAt: rule.createdAt
        )
    }
}

extension Components.Schemas.Snapshot {
    init(_ info: SnapshotInfo) {
        self.init(name: info.name, createdAt: info.createdAt, tasks: info.tasks, bytes: info.bytes)
    }
}
