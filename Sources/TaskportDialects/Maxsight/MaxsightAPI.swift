import Foundation
import HTTPTypes
public import Hummingbird
import OpenAPIRuntime
public import TaskportCore
public import TaskportHTTP

/// Maxsight API v5's task endpoints under `/v5`, as `openapi.yaml` beside this file describes them.
public enum MaxsightSurface {
    public static let name = "maxsight"

    /// How Maxsight shows a task: its UUID and the Maxsight task object.
    public static let view = TaskView.encoding(surface: name) { MaxsightTask($0) }

    /// The OpenAPI document this surface implements, as served at `/openapi/maxsight.yaml`.
    public static func openAPIDocument() throws -> String {
        try OpenAPIDocument.text(in: .module)
    }

    /// The media types of each operation's successful answer, as the OpenAPI document lists them
    /// (`AcceptableAnswerMiddleware`).
    public static let answerTypes: [String: [String]] = [
        Operations.ListTasks.id: ["application/json"],
        Operations.GetTask.id: ["application/json"],
        Operations.UpdateTaskAssignment.id: ["application/json"],
    ]

    /// The first media type of each operation's request body, as the OpenAPI document lists them
    /// (`FirstMediaTypeMiddleware`).
    public static let requestBodyTypes: [String: String] = [
        Operations.UpdateTaskAssignment.id: "application/json",
    ]

    /// Adds the Maxsight routes, authenticated by the `apikey` header.
    public static func register<Context: RequestContext>(
        on router: Router<Context>, store: any TaskStore & DirectoryStore
    ) throws {
        let group = router.group()
            .add(middleware: SurfaceErrorMiddleware(MaxsightErrorEnvelope()))
            .add(middleware: APIKeyAuthenticator(directory: store, location: .header(HTTPField.Name("apikey")!)))
            .add(middleware: RequestBodyMiddleware())
        try MaxsightAPI(store: store).registerHandlers(
            on: BufferedTransport(group), serverURL: URL(string: "/v5")!,
            configuration: .surfaces,
            middlewares: [AcceptableAnswerMiddleware(answerTypes), FirstMediaTypeMiddleware(requestBodyTypes)]
        )
        group.refuseOtherMethods([
            "/v5/tasks": [.get],
            "/v5/tasks/:task_id": [.get],
            "/v5/tasks/:task_id/update-assignment": [.put],
        ])
    }
}

/// The handlers of the Maxsight surface.
struct MaxsightAPI: APIProtocol {
    let store: any TaskStore & DirectoryStore

    func listTasks(_ input: Operations.ListTasks.Input) async throws -> Operations.ListTasks.Output {
        let principal = try RequestScope.caller(.list)
        let parameters = input.query
        var query = try RequestScope.page(limit: parameters.limit, cursor: parameters.cursor)
        query.subjectID = parameters.entityId
        switch parameters.status?.uppercased() {
        case nil: break
        case "INCOMPLETE": query.completed = false
        case "COMPLETE": query.completed = true
        case let status?: query.status = status
        }
        if let assignee = parameters.assignedToId {
            guard let id = UUID(text: assignee) else { throw TaskportError.malformed("assigned_to_id: is not a user or team id") }
            query.assigneeID = id
        }
        let page = try await store.tasks(matching: query, in: principal.tenantID)
        let list = MaxsightTaskList(page.tasks.map(MaxsightTask.init), after: page, itemsMember: "data", cursorMember: "next_cursor")
        return .ok(.init(body: .json(list)))
    }

    func getTask(_ input: Operations.GetTask.Input) async throws -> Operations.GetTask.Output {
        let principal = try RequestScope.caller(.read)
        let task = try await RequestScope.found(store.task(RequestScope.task(input.path.taskId), in: principal.tenantID))
        return .ok(.init(body: .json(MaxsightTask(task))))
    }

    func updateTaskAssignment(_ input: Operations.UpdateTaskAssignment.Input) async throws -> Operations.UpdateTaskAssignment.Output {
        let principal = try RequestScope.caller()
        let reference = try RequestScope.task(input.path.taskId)
        guard let ifMatch = input.headers.ifMatch else {
            throw TaskportError.preconditionRequired(
                "If-Match is required: send the task's updated_at as GET /v5/tasks/{task_id} returns it"
            )
        }
        guard case .json(let body) = input.body else { throw TaskportError.unsupportedMediaType("Send application/json") }
        let current = try await RequestScope.found(store.task(reference, in: principal.tenantID))
        var patch = TaskPatch()
        var outbox: [OutboxMessage] = []
        var comment: String?
        switch body.change {
        case .assign(let by, let assignee, let note):
            patch = TaskPatch([.assignee(assignee), .assignmentComment(note)])
            if let by { patch.append(.assignedByID(by)) }
            comment = note
            // The assignment the task shows, sent back as it was, changes nothing and tells nobody.
            let unchanged = current.content.assignee == assignee && current.content.assignmentComment == note
                && (by == nil || current.content.assignedByID == by)
            if !unchanged {
                outbox = try await AssignmentNotices.messages(of: assignee, by: by ?? principal.user.id, comment: note, task: current, in: store)
            }
        case .unassign(let by, let note):
            // A task with no assignee stays as it is: there is no assignment to remove.
            if current.content.assignee != nil {
                patch = TaskPatch([.assignee(nil), .assignedByID(by), .assignmentComment(note)])
                comment = note
            }
        }
        let task = try await Self.fieldNames.renaming {
            try await store.apply(
                TaskMutation(
                    tenantID: principal.tenantID, task: reference, kind: .patch(patch),
                    precondition: Self.precondition(ifMatch), actor: principal.actor(surface: MaxsightSurface.name),
                    comment: comment, outbox: outbox
                )
            )
        }
        return .ok(.init(body: .json(MaxsightTask(task))))
    }

    /// `If-Match` holds `updated_at` as returned, bare or quoted; anything else matches no version.
    static func precondition(_ ifMatch: String) -> TaskPrecondition {
        var value = ifMatch.trimmingCharacters(in: .whitespaces)
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
        return Timestamp(rfc3339: value).map(TaskPrecondition.updatedAt) ?? .version(0)
    }

    /// Canonical field names as a Maxsight client spells them.
    static let fieldNames = FieldNames([
        .assignee: "assigned_to_id", .assignedById: "assigned_by_id", .assignmentComment: "assignment_comment",
    ])
}

/// Maxsight's errors: `{"code": "...", "message": "..."}` with the vendor's documented messages.
struct MaxsightErrorEnvelope: ErrorEnvelope {
    func response(for error: TaskportError, to request: Request) -> Response {
        let (status, code, message): (HTTPResponse.Status, String, String) =
            switch error {
            case .notFound: (.notFound, "not_found", "Task not found")
            case .versionMismatch: (.conflict, "version_mismatch", "Version mismatch")
            case .invalid(let problems):
                (.badRequest, "invalid_request", problems.map { "\($0.field): \($0.message)" }.joined(separator: "; "))
            case .malformed(let message): (.badRequest, "invalid_request", message)
            case .unauthenticated(let message): (.unauthorized, "unauthorized", message)
            case .forbidden(let message): (.forbidden, "forbidden", message)
            case .payloadTooLarge: (.contentTooLarge, "payload_too_large", error.message)
            case .unsupportedMediaType(let message): (.unsupportedMediaType, "unsupported_media_type", message)
            case .conflict(let message): (.conflict, "conflict", message)
            case .methodNotAllowed: (.methodNotAllowed, "method_not_allowed", error.message)
            case .preconditionRequired(let message): (.preconditionRequired, "precondition_required", message)
            case .unavailable(let message, _): (.serviceUnavailable, "service_unavailable", message)
            case .tooManyRequests(let message, _, _): (.tooManyRequests, "rate_limited", message)
            case .injected(let status, let message, _):
                (HTTPResponse.Status(code: status), status == 429 ? "rate_limited" : status == 503 ? "service_unavailable" : "upstream_error", message)
            }
        var response = Response.json(status, ["code": code, "message": message])
        response.headers.append(contentsOf: error.conventionalHeaders)
        return response
    }

    func serverFaultResponse(to request: Request) -> Response {
        .json(.internalServerError, ["code": "internal_error", "message": "The server could not complete the request"])
    }
}
