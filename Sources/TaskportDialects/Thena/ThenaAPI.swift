import Foundation
import HTTPTypes
public import Hummingbird
import OpenAPIRuntime
public import TaskportCore
public import TaskportHTTP

/// Thena Platform's account-task API, as `openapi.yaml` beside this file describes it.
public enum ThenaSurface {
    public static let name = "thena"

    /// How Thena shows a task: its UUID and the account task, with names and attributes resolved in `store`.
    public static func view(store: any TaskportStore) -> TaskView {
        TaskView.encoding(surface: name) { task in
            ThenaTask(task, context: try await ThenaAPI(store: store).context(for: [task], in: task.tenantID))
        }
    }

    /// The OpenAPI document this surface implements, as served at `/openapi/thena.yaml`.
    public static func openAPIDocument() throws -> String {
        try OpenAPIDocument.text(in: .module)
    }

    /// The media types of each operation's successful answer, as the OpenAPI document lists them
    /// (`AcceptableAnswerMiddleware`).
    public static let answerTypes: [String: [String]] = [
        Operations.PostV1AccountsTasks.id: ["application/json"],
        Operations.GetV1AccountsTasks.id: ["application/json"],
        Operations.GetV1AccountsTasksTaskId.id: ["application/json"],
        Operations.PutV1AccountsTasksTaskId.id: ["application/json"],
    ]

    /// The first media type of each operation's request body, as the OpenAPI document lists them
    /// (`FirstMediaTypeMiddleware`).
    public static let requestBodyTypes: [String: String] = [
        Operations.PostV1AccountsTasks.id: "application/json",
        Operations.PutV1AccountsTasksTaskId.id: "application/json",
    ]

    /// Adds the Thena routes, authenticated by the `x-api-key` header.
    public static func register<Context: RequestContext>(on router: Router<Context>, store: any TaskportStore) throws {
        let group = router.group()
            .add(middleware: SurfaceErrorMiddleware(ThenaErrorEnvelope()))
            .add(middleware: GeneratedHeaderDecodingMiddleware([.eTag]))
            .add(middleware: APIKeyAuthenticator(directory: store, location: .header(HTTPField.Name("x-api-key")!)))
            .add(middleware: ThenaMissingTaskID())
            .add(middleware: RequestBodyMiddleware())
        let api = ThenaAPI(store: store)
        try api.registerHandlers(
            on: BufferedTransport(group, shortcuts: [api.putTaskShortcut]), serverURL: URL(string: "/")!,
            configuration: .surfaces,
            middlewares: [AcceptableAnswerMiddleware(answerTypes), FirstMediaTypeMiddleware(requestBodyTypes)]
        )
        group.refuseOtherMethods([
            "/v1/accounts/tasks": [.get, .post],
            "/v1/accounts/tasks/:taskId": [.get, .put, .delete],
        ])
    }
}

/// `PUT` or `DELETE` of `/v1/accounts/tasks/` (what a client sends for an empty task id) is the
/// vendor's 400 "Task ID is required!", not the collection's 405.
struct ThenaMissingTaskID<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .put || request.method == .delete, request.uri.path.hasPrefix("/v1/accounts/tasks/") {
            let id = request.uri.path.dropFirst("/v1/accounts/tasks/".count)
            if (id.removingPercentEncoding ?? String(id)).trimmingCharacters(in: .whitespaces).isEmpty { throw ThenaAPI.missingTaskID }
        }
        return try await next(request, context)
    }
}

/// The handlers of the Thena surface.
struct ThenaAPI: APIProtocol {
    let store: any TaskportStore

    func getV1AccountsTasks(_ input: Operations.GetV1AccountsTasks.Input) async throws -> Operations.GetV1AccountsTasks.Output {
        let principal = try RequestScope.caller(.list)
        var query = try RequestScope.page(limit: input.query.limit, cursor: input.query.cursor)
        query.subjectID = input.query.accountId?.lowercased()
        let page = try await store.tasks(matching: query, in: principal.tenantID)
        let context = try await context(for: page.tasks, in: principal.tenantID)
        let list = ThenaTaskList(
            page.tasks.map { ThenaTask($0, context: context) }, after: page, itemsMember: "data", cursorMember: "nextCursor"
        )
        return .ok(.init(body: .json(list)))
    }

    func postV1AccountsTasks(_ input: Operations.PostV1AccountsTasks.Input) async throws -> Operations.PostV1AccountsTasks.Output {
        let principal = try RequestScope.caller()
        guard case .json(let body) = input.body else { throw TaskportError.unsupportedMediaType("Send application/json") }
        let fields = body.fields
        var problems: [FieldProblem] = []
        var account: Account?
        if let id = fields.accountId.flatMap({ UUID(text: $0) }) {
            account = try await store.account(id, in: principal.tenantID)
        }
        if account == nil { problems.append(FieldProblem("accountId", "no account '\(fields.accountId ?? "")' in this organization")) }
        let patch = try await edits(fields, to: nil, in: principal.tenantID, problems: problems)
        var content = patch.applied(to: TaskContent(title: ""), by: principal.user.id)
        content.subjectID = account?.id.lowercasedText
        let task = try await Self.fieldNames.renaming {
            try await store.create(TaskCreation(tenantID: principal.tenantID, content: content, actor: principal.actor(surface: ThenaSurface.name)))
        }
        return .created(
            .init(
                headers: .init(eTag: EntityTag.of(task)),
                body: .json(ThenaTask(task, context: try await context(for: [task], in: principal.tenantID)))
            )
        )
    }

    func getV1AccountsTasksTaskId(_ input: Operations.GetV1AccountsTasksTaskId.Input) async throws -> Operations.GetV1AccountsTasksTaskId.Output {
        let principal = try RequestScope.caller(.read)
        let task = try await RequestScope.found(
            store.task(Self.task(input.path.taskId), in: principal.tenantID), notFound: Self.notFound
        )
        return .ok(
            .init(
                headers: .init(eTag: EntityTag.of(task)),
                body: .json(ThenaTask(task, context: try await context(for: [task], in: principal.tenantID)))
            )
        )
    }

    func putV1AccountsTasksTaskId(_ input: Operations.PutV1AccountsTasksTaskId.Input) async throws -> Operations.PutV1AccountsTasksTaskId.Output {
        let principal = try RequestScope.caller()
        guard case .json(let body) = input.body else { throw TaskportError.unsupportedMediaType("Send application/json") }
        let reference = try Self.task(input.path.taskId)
        // References and attribute values are worked out against the task as it is (a value sent
        // as the task has it is no edit), so the task is read first when the body names any.
        // `If-Match`, when sent, is checked when the change lands.
        let fields = body.fields
        let comparesValues = [fields.assigneeId, fields.activityId, fields.type, fields.status, fields.priority].contains { $0 != nil }
        let current = comparesValues
            ? try await RequestScope.found(store.task(reference, in: principal.tenantID), notFound: Self.notFound) : nil
        let precondition = input.headers.ifMatch.flatMap { EntityTag.precondition(ifMatch: $0, acceptingTimestamps: true) }
        let patch = try await edits(fields, to: current?.content, in: principal.tenantID, problems: [])
        let task = try await Self.fieldNames.renaming {
            try await store.apply(
                TaskMutation(
                    tenantID: principal.tenantID, task: current.map { .id($0.id) } ?? reference, kind: .patch(patch), precondition: precondition,
                    actor: principal.actor(surface: ThenaSurface.name)
                )
            )
        }
        return .ok(
            .init(
                headers: .init(eTag: EntityTag.of(task)),
                body: .json(ThenaTask(task, context: try await context(for: [task], in: principal.tenantID)))
            )
        )
    }

    func deleteV1AccountsTasksTaskId(_ input: Operations.DeleteV1AccountsTasksTaskId.Input) async throws -> Operations.DeleteV1AccountsTasksTaskId.Output {
        let principal = try RequestScope.caller()
        _ = try await Self.fieldNames.renaming {
            try await store.apply(
                TaskMutation(
                    tenantID: principal.tenantID, task: try Self.task(input.path.taskId), kind: .delete,
                    precondition: input.headers.ifMatch.flatMap { EntityTag.precondition(ifMatch: $0, acceptingTimestamps: true) },
                    actor: principal.actor(surface: ThenaSurface.name)
                )
            )
        }
        return .noContent(.init())
    }

    // MARK: Requests

    static let notFound = "Account task not found"
    static let missingTaskID = TaskportError.malformed("Task ID is required!")

    /// The task a path names; a blank id is the vendor's 400, anything else unknown is 404.
    static func task(_ id: String) throws -> TaskReference {
        if id.trimmingCharacters(in: .whitespaces).isEmpty { throw missingTaskID }
        return try RequestScope.task(id, notFound: notFound)
    }

    /// The edits a Thena body stands for, to `current` (nil for a new task), with references and
    /// attribute values resolved in the tenant. Every problem (with those already found) is
    /// reported at once.
    func edits(_ fields: ThenaFields, to current: TaskContent?, in tenantID: UUID, problems found: [FieldProblem]) async throws -> TaskPatch {
        var problems = found
        var patch = TaskPatch()
        if let title = fields.title { patch.append(.title(title)) }
        if let description = fields.description { patch.append(.notes(description.isEmpty ? nil : description)) }
        if let assignee = fields.assigneeId {
            // A user of the organization, or a team: a task assigned to a team elsewhere shows its id.
            if assignee.isEmpty {
                patch.append(.assignee(nil))
            } else if let id = UUID(text: assignee), let current = current?.assignee, current.id == id {
                patch.append(.assignee(current))
            } else if let id = UUID(text: assignee), try await store.user(id, in: tenantID) != nil {
                patch.append(.assignee(.user(id)))
            } else if let id = UUID(text: assignee), try await store.team(id, in: tenantID) != nil {
                patch.append(.assignee(.team(id)))
            } else {
                problems.append(FieldProblem("assigneeId", "no user or team '\(assignee)' in this organization"))
            }
        }
        if let activity = fields.activityId {
            if activity.isEmpty {
                patch.append(.activityID(nil))
            } else if let id = UUID(text: activity), id == current?.activityID {
                // Unchanged, even if the activity has gone since.
            } else if let id = UUID(text: activity), try await store.activity(id, in: tenantID) != nil {
                patch.append(.activityID(id))
            } else {
                problems.append(FieldProblem("activityId", "no activity '\(activity)' in this organization"))
            }
        }
        let requested = [(TaskAttribute.Kind.type, fields.type), (.status, fields.status), (.priority, fields.priority)]
        if requested.contains(where: { $0.1 != nil }) {
            let attributes = try await store.attributes(nil, in: tenantID)
            for case let (kind, text?) in requested {
                if text.isEmpty {
                    patch.append(Self.edit(kind, nil))
                    continue
                }
                let allowed = attributes.filter { $0.kind == kind }
                let held = current.flatMap { Self.value(kind, of: $0) }
                let heldAttribute = held.flatMap { value in allowed.first { $0.value.caseInsensitiveCompare(value) == .orderedSame } }
                let match = allowed.first(where: { $0.id.uuidString.caseInsensitiveCompare(text) == .orderedSame })
                    ?? allowed.first(where: { $0.value.caseInsensitiveCompare(text) == .orderedSame })
                // The value (or the attribute) the task already has is no change, configured or not.
                if let held, held.caseInsensitiveCompare(text) == .orderedSame || (match != nil && match == heldAttribute) {
                    continue
                }
                guard let match else {
                    let names = allowed.map(\.value).joined(separator: ", ")
                    problems.append(FieldProblem(kind.rawValue, "'\(text)' is not one of the allowed values: \(names.isEmpty ? "none are configured" : names)"))
                    continue
                }
                patch.append(Self.edit(kind, match.value))
                // A new status says whether the task is done.
                if kind == .status { patch.append(.completed(match.marksDone)) }
            }
        }
        if let urls = fields.attachmentUrls { patch.append(.attachments(urls)) }
        if let metadata = fields.metadata { patch.append(.metadata(metadata)) }
        if !problems.isEmpty { throw TaskportError.invalid(problems) }
        return patch
    }

    static func value(_ kind: TaskAttribute.Kind, of task: TaskContent) -> String? {
        switch kind {
        case .type: task.type
        case .status: task.status
        case .priority: task.priority
        }
    }

    static func edit(_ kind: TaskAttribute.Kind, _ value: String?) -> TaskEdit {
        switch kind {
        case .type: .type(value)
        case .status: .status(value)
        case .priority: .priority(value)
        }
    }

    /// The names and configurations the answer for these tasks refers to.
    func context(for tasks: [TaskRecord], in tenantID: UUID) async throws -> ThenaContext {
        var context = ThenaContext(attributes: try await store.attributes(nil, in: tenantID), accounts: [:], creators: [:])
        for id in Set(tasks.compactMap { $0.content.subjectID.flatMap { UUID(text: $0) } }) {
            context.accounts[id] = try await store.account(id, in: tenantID)
        }
        for id in Set(tasks.compactMap(\.creatorID)) {
            context.creators[id] = try await store.user(id, in: tenantID)
        }
        return context
    }

    /// Canonical field names as a Thena client spells them.
    static let fieldNames = FieldNames([
        .notes: "description", .attachments: "attachmentUrls", .assignee: "assigneeId", .subjectId: "accountId",
    ])
}

/// Thena's errors: `{"statusCode": 404, "message": "Account task not found", "error": "Not Found"}`.
struct ThenaErrorEnvelope: ErrorEnvelope {
    func response(for error: TaskportError, to request: Request) -> Response {
        var message = error.message
        if case .invalid(let problems) = error {
            message = problems.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
        }
        if case .notFound = error { message = ThenaAPI.notFound }
        var response = render(error.conventionalStatus, message)
        response.headers.append(contentsOf: error.conventionalHeaders)
        return response
    }

    func serverFaultResponse(to request: Request) -> Response {
        render(.internalServerError, "Something went wrong!")
    }

    private func render(_ status: HTTPResponse.Status, _ message: String) -> Response {
        .json(status, ["statusCode": .integer(Int64(status.code)), "message": .string(message), "error": .string(status.reasonPhrase)] as JSONObject)
    }
}
