import Foundation
import HTTPTypes
public import Hummingbird
import OpenAPIRuntime
public import TaskportCore
public import TaskportHTTP

/// Rollout Universal CRM's tasks API under `/api`, as `openapi.yaml` beside this file describes it.
public enum RolloutSurface {
    public static let name = "rollout"
    static let credentialHeader = HTTPField.Name("X-Rollout-Credential-Id")!

    /// How Rollout shows a task: its UUID and the task record, `originalIds` and `original` filled from `views`.
    public static func view(views: [TaskView]) -> TaskView {
        TaskView.encoding(surface: name) { task in try await RolloutTask.render(task, views: views) }
    }

    /// The OpenAPI document this surface implements, as served at `/openapi/rollout.yaml`.
    public static func openAPIDocument() throws -> String {
        try OpenAPIDocument.text(in: .module)
    }

    /// The media types of each operation's successful answer, as the OpenAPI document lists them
    /// (`AcceptableAnswerMiddleware`).
    public static let answerTypes: [String: [String]] = {
        let task = ["application/json", "multipart/form-data", "text/plain"]
        return [
            Operations.GetTasks.id: ["application/json"],
            Operations.PostTasks.id: task,
            Operations.GetTasksId.id: task,
            Operations.PutTasksId.id: task,
        ]
    }()

    /// The first media type of each operation's request body, as the OpenAPI document lists them
    /// (`FirstMediaTypeMiddleware`).
    public static let requestBodyTypes: [String: String] = [
        Operations.PostTasks.id: "application/json",
        Operations.PutTasksId.id: "application/json",
    ]

    /// Adds the Rollout routes under `/api`. `views` are the other surfaces whose ids and records
    /// fill each task's `originalIds` and `original`.
    public static func register<Context: RequestContext>(
        on router: Router<Context>, store: any TaskStore & DirectoryStore, tokens: TokenAuthority, views: [TaskView]
    ) throws {
        let group = router.group()
            .add(middleware: SurfaceErrorMiddleware(RolloutErrorEnvelope()))
            .add(middleware: GeneratedHeaderDecodingMiddleware([.eTag]))
            .add(middleware: RolloutAuthenticator(directory: store, tokens: tokens))
            .add(middleware: RequestBodyMiddleware(alsoJSON: ["text/plain"]))
            .add(middleware: RolloutNullMembers())
        let api = RolloutAPI(store: store, views: views)
        try api.registerHandlers(
            on: BufferedTransport(group, shortcuts: [api.putTaskShortcut]), serverURL: URL(string: "/api")!,
            configuration: .surfaces,
            middlewares: [AcceptableAnswerMiddleware(answerTypes), FirstMediaTypeMiddleware(requestBodyTypes)]
        )
        group.refuseOtherMethods([
            "/api/tasks": [.get, .post],
            "/api/tasks/:id": [.get, .put, .delete],
        ])
    }
}

/// Rollout's two credentials: a Taskport-signed JWT as `Authorization: Bearer`, and
/// `X-Rollout-Credential-Id` naming a Rollout credential of the token's tenant.
struct RolloutAuthenticator<Context: RequestContext>: RouterMiddleware {
    let directory: any DirectoryStore
    let tokens: TokenAuthority

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = CredentialLocation.bearer.credential(in: request) else {
            throw TaskportError.unauthenticated("Missing bearer token")
        }
        let principal = try await tokens.principal(for: token, on: RolloutSurface.name, in: directory)
        guard let header = request.headers.value(RolloutSurface.credentialHeader) else {
            throw TaskportError.unauthenticated("Missing X-Rollout-Credential-Id")
        }
        guard let id = UUID(text: header.trimmingSpaces()),
            try await directory.credential(id, surface: RolloutSurface.name, in: principal.tenantID) != nil
        else {
            throw TaskportError.unauthenticated("X-Rollout-Credential-Id names no credential of this account")
        }
        try await RequestRecord.admitted(principal, by: "token", request: request)
        return try await Principal.$current.withValue(principal) { try await next(request, context) }
    }
}

/// Finds the request members sent as `null`, which generated decoding reads as absent. A task
/// shows `null` for a person, user assignee or due time it has none of, and a client sends the
/// record back so: `null` is no value, as `""` is. `name` and `isCompleted` always have one, so
/// `null` there is a 400.
struct RolloutNullMembers<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .put || request.method == .post,
            let type = request.headers.value(.contentType)?.lowercased(),
            type.hasPrefix("application/json") || type.hasPrefix("text/plain")
        else { return try await next(request, context) }
        var request = request
        let body = try await request.collectBody(upTo: BodyLimit.maximumBytes)
        // A body without the word has no `null` member to find: most bodies are read once, by the handler.
        guard Self.mentionsNull(body),
            let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        else {
            return try await next(request, context)
        }
        let nulls = Set(object.keys.filter { RolloutInput.memberNames.contains($0) && object[$0] is NSNull })
        if let member = nulls.sorted().first(where: { $0 == "name" || $0 == "isCompleted" }) {
            let kind = member == "isCompleted" ? "a boolean" : "a string"
            throw TaskportError.malformed("\(member): must be \(kind), not null")
        }
        return try await RolloutInput.$nullMembers.withValue(nulls) { try await next(request, context) }
    }

    /// Whether the bytes `null` occur in `body` (a JSON literal is never escaped). A byte loop: the
    /// standard library's generic `firstRange(of:)` cost about 59,000 instructions a small body.
    static func mentionsNull(_ body: ByteBuffer) -> Bool {
        body.withUnsafeReadableBytes { bytes in
            guard bytes.count >= 4 else { return false }
            for index in 0...(bytes.count - 4) where bytes[index] == UInt8(ascii: "n") {
                if bytes[index + 1] == UInt8(ascii: "u"), bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l") { return true }
            }
            return false
        }
    }
}

/// The handlers of the Rollout surface.
struct RolloutAPI: APIProtocol {
    let store: any TaskStore
    let views: [TaskView]

    func getTasks(_ input: Operations.GetTasks.Input) async throws -> Operations.GetTasks.Output {
        let principal = try RequestScope.caller(.list)
        let parameters = input.query
        var query = try RequestScope.page(limit: parameters.limit, cursor: parameters.cursor)
        query.completed = parameters.isCompleted
        if let person = parameters.personId { query.subjectID = person }
        if let assignee = parameters.assignedUserId {
            guard let id = UUID(text: assignee) else { throw TaskportError.malformed("assignedUserId: is not a user id") }
            query.assigneeID = id
        }
        if let since = parameters.updatedSince {
            guard let timestamp = Timestamp(rfc3339: since) else {
                throw TaskportError.malformed("updatedSince: '\(since)' is not an ISO 8601 date-time")
            }
            query.updatedSince = timestamp
        }
        let page = try await store.tasks(matching: query, in: principal.tenantID)
        var results: [RolloutTask] = []
        for task in page.tasks {
            results.append(try await RolloutTask.render(task, views: views))
        }
        let list = RolloutTaskList(results, after: page, itemsMember: "results", cursorMember: "nextCursor")
        return .ok(.init(body: .json(list)))
    }

    func postTasks(_ input: Operations.PostTasks.Input) async throws -> Operations.PostTasks.Output {
        let principal = try RequestScope.caller()
        let fields: RolloutInput
        switch input.body {
        case .json(let body): fields = RolloutInput(body).withNulls(RolloutInput.nullMembers)
        case .plainText(let text):
            fields = RolloutInput(try await Self.decodeJSONText(text, as: Operations.PostTasks.Input.Body.JsonPayload.self))
                .withNulls(RolloutInput.nullMembers)
        case .multipartForm(let parts): fields = try RolloutInput(form: try await RolloutInput.form(parts, fields: Self.field))
        }
        guard fields.name != nil else { throw TaskportError.invalid([FieldProblem("name", "is a required field")]) }
        let content = try fields.patch().applied(to: TaskContent(title: ""))
        let task = try await RolloutFieldNames.names.renaming {
            try await store.create(TaskCreation(tenantID: principal.tenantID, content: content, actor: principal.actor(surface: RolloutSurface.name)))
        }
        let rendered = try await RolloutTask.render(task, views: views)
        let headers = Operations.PostTasks.Output.Created.Headers(eTag: EntityTag.of(task))
        return .created(.init(headers: headers, body: try .answer(rendered, as: RolloutMediaType.preferred(input.headers.accept))))
    }

    func getTasksId(_ input: Operations.GetTasksId.Input) async throws -> Operations.GetTasksId.Output {
        let principal = try RequestScope.caller(.read)
        let task = try await RequestScope.found(store.task(RequestScope.task(input.path.id), in: principal.tenantID))
        let rendered = try await RolloutTask.render(task, views: views)
        let headers = Operations.GetTasksId.Output.Ok.Headers(eTag: EntityTag.of(task))
        return .ok(.init(headers: headers, body: try .answer(rendered, as: RolloutMediaType.preferred(input.headers.accept))))
    }

    func putTasksId(_ input: Operations.PutTasksId.Input) async throws -> Operations.PutTasksId.Output {
        let principal = try RequestScope.caller()
        let fields: RolloutInput
        switch input.body {
        case .json(let body): fields = RolloutInput(body).withNulls(RolloutInput.nullMembers)
        case .plainText(let text):
            fields = RolloutInput(try await Self.decodeJSONText(text, as: Operations.PutTasksId.Input.Body.JsonPayload.self))
                .withNulls(RolloutInput.nullMembers)
        case .multipartForm(let parts): fields = try RolloutInput(form: try await RolloutInput.form(parts, fields: Self.field))
        }
        let patch = try fields.patch()
        let task = try await RolloutFieldNames.names.renaming {
            try await store.apply(
                TaskMutation(
                    tenantID: principal.tenantID, task: try RequestScope.task(input.path.id), kind: .patch(patch),
                    precondition: input.headers.ifMatch.flatMap { EntityTag.precondition(ifMatch: $0, acceptingTimestamps: true) },
                    actor: principal.actor(surface: RolloutSurface.name)
                )
            )
        }
        let rendered = try await RolloutTask.render(task, views: views)
        let headers = Operations.PutTasksId.Output.Ok.Headers(eTag: EntityTag.of(task))
        return .ok(.init(headers: headers, body: try .answer(rendered, as: RolloutMediaType.preferred(input.headers.accept))))
    }

    func deleteTasksId(_ input: Operations.DeleteTasksId.Input) async throws -> Operations.DeleteTasksId.Output {
        let principal = try RequestScope.caller()
        _ = try await store.apply(
            TaskMutation(
                tenantID: principal.tenantID, task: try RequestScope.task(input.path.id), kind: .delete,
                precondition: input.headers.ifMatch.flatMap { EntityTag.precondition(ifMatch: $0, acceptingTimestamps: true) },
                actor: principal.actor(surface: RolloutSurface.name)
            )
        )
        return .noContent(.init())
    }

    // MARK: Bodies

    /// A `text/plain` body holds the same JSON object an `application/json` one does.
    static func decodeJSONText<T: Decodable>(_ body: HTTPBody, as type: T.Type) async throws -> T {
        let data = try await Data(collecting: body, upTo: BodyLimit.maximumBytes)
        return try JSONDecoder().decode(type, from: data)
    }

    static func field(_ part: Operations.PutTasksId.Input.Body.MultipartFormPayload) -> (name: String?, body: HTTPBody) {
        switch part {
        case .personId(let part): ("personId", part.payload.body)
        case .name(let part): ("name", part.payload.body)
        case ._type(let part): ("type", part.payload.body)
        case .assignedUserId(let part): ("assignedUserId", part.payload.body)
        case .isCompleted(let part): ("isCompleted", part.payload.body)
        case .dueDateTime(let part): ("dueDateTime", part.payload.body)
        case .undocumented(let part): (nil, part.body)
        }
    }

    static func field(_ part: Operations.PostTasks.Input.Body.MultipartFormPayload) -> (name: String?, body: HTTPBody) {
        switch part {
        case .personId(let part): ("personId", part.payload.body)
        case .name(let part): ("name", part.payload.body)
        case ._type(let part): ("type", part.payload.body)
        case .assignedUserId(let part): ("assignedUserId", part.payload.body)
        case .isCompleted(let part): ("isCompleted", part.payload.body)
        case .dueDateTime(let part): ("dueDateTime", part.payload.body)
        case .undocumented(let part): (nil, part.body)
        }
    }
}

extension RolloutInput {
    init(_ body: Operations.PutTasksId.Input.Body.JsonPayload) {
        self.init(
            personId: body.personId, name: body.name, type: body._type, assignedUserId: body.assignedUserId,
            isCompleted: body.isCompleted, dueDateTime: body.dueDateTime
        )
    }

    init(_ body: Operations.PostTasks.Input.Body.JsonPayload) {
        self.init(
            personId: body.personId, name: body.name, type: body._type, assignedUserId: body.assignedUserId,
            isCompleted: body.isCompleted, dueDateTime: body.dueDateTime
        )
    }
}

/// A task answer in any of the three media types: what every generated answer body of a task
/// operation can be, so one function renders them all.
protocol RolloutTaskAnswer {
    associatedtype Part: RolloutAnswerPart
    static func json(_ task: RolloutTask) -> Self
    static func plainText(_ body: HTTPBody) -> Self
    static func multipartForm(_ body: MultipartBody<Part>) -> Self
}

/// A part of a generated multipart answer; Taskport writes every part as a raw one.
protocol RolloutAnswerPart: Sendable, Hashable {
    static func undocumented(_ part: MultipartRawPart) -> Self
}

extension RolloutTaskAnswer {
    /// The task in the media type the client prefers.
    static func answer(_ task: RolloutTask, as type: RolloutMediaType) throws -> Self {
        switch type {
        case .json: .json(task)
        case .text: .plainText(HTTPBody(try task.jsonText()))
        case .multipart: .multipartForm(MultipartBody(try task.multipartParts().map(Part.undocumented)))
        }
    }
}

extension Operations.PostTasks.Output.Created.Body: RolloutTaskAnswer {}
extension Operations.GetTasksId.Output.Ok.Body: RolloutTaskAnswer {}
extension Operations.PutTasksId.Output.Ok.Body: RolloutTaskAnswer {}
extension Operations.PostTasks.Output.Created.Body.MultipartFormPayload: RolloutAnswerPart {}
extension Operations.GetTasksId.Output.Ok.Body.MultipartFormPayload: RolloutAnswerPart {}
extension Operations.PutTasksId.Output.Ok.Body.MultipartFormPayload: RolloutAnswerPart {}

/// The three media types Rollout answers in, chosen by the request's `Accept`.
enum RolloutMediaType {
    case json, multipart, text

    /// The most preferred of the three the client accepts; JSON when it names none of them.
    static func preferred<T: AcceptableProtocol>(_ accept: [AcceptHeaderContentType<T>]) -> RolloutMediaType {
        preferred(accept.sortedByQuality().map(\.contentType.rawValue))
    }

    static func preferred(_ types: [String]) -> RolloutMediaType {
        for type in types {
            switch type.lowercased() {
            case "application/json", "application/*", "*/*": return .json
            case "multipart/form-data", "multipart/*": return .multipart
            case "text/plain", "text/*": return .text
            default: continue
            }
        }
        return .json
    }
}

/// Rollout's errors: `{"errorMessage": "…"}`, in the media type the request accepts.
struct RolloutErrorEnvelope: ErrorEnvelope {
    func response(for error: TaskportError, to request: Request) -> Response {
        var message = error.message
        if case .invalid(let problems) = error {
            message = RolloutFieldNames.names.rename(problems).map { "\($0.field): \($0.message)" }.joined(separator: "; ")
        }
        var response = render(error.conventionalStatus, message, to: request)
        response.headers.append(contentsOf: error.conventionalHeaders)
        return response
    }

    func serverFaultResponse(to request: Request) -> Response {
        render(.internalServerError, "The server could not complete the request", to: request)
    }

    private func render(_ status: HTTPResponse.Status, _ message: String, to request: Request) -> Response {
        let accepted = request.headers[values: .accept].flatMap { $0.split(separator: ",") }
            .map { $0.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces) }
        let json = (try? StoredJSON.encode(["errorMessage": message])) ?? #"{"errorMessage":"The server could not write the error"}"#
        switch RolloutMediaType.preferred(accepted) {
        case .json:
            return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: json)))
        case .text:
            return Response(status: status, headers: [.contentType: "text/plain"], body: .init(byteBuffer: .init(string: json)))
        case .multipart:
            let boundary = "taskport-\(UUID().lowercasedText)"
            let body = "--\(boundary)\r\ncontent-disposition: form-data; name=\"errorMessage\"\r\ncontent-type: text/plain\r\n\r\n\(message)\r\n--\(boundary)--\r\n"
            return Response(
                status: status, headers: [.contentType: "multipart/form-data; boundary=\(boundary)"],
                body: .init(byteBuffer: .init(string: body))
            )
        }
    }
}
