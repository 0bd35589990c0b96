import Foundation
import HTTPTypes
public import Hummingbird
import OpenAPIRuntime
public import TaskportCore
public import TaskportHTTP

/// Nexudus Spaces' CoworkerTask endpoints and its OAuth2 token endpoint, as `openapi.yaml`
/// beside this file describes them.
public enum NexudusSurface {
    public static let name = "nexudus"
    static let tokenPath = "/api/token"

    /// How Nexudus shows a task: its integer id and the CoworkerTask record.
    public static func view(store: any DirectoryStore & CatalogStore) -> TaskView {
        TaskView(surface: name, id: { .integer($0.number) }) { task in
            let references = try await NexudusReferences.load(for: [task], in: task.tenantID, from: store)
            return TaskRendering(NexudusTask(task, references))
        }
    }

    /// The OpenAPI document this surface implements, as served at `/openapi/nexudus.yaml`.
    public static func openAPIDocument() throws -> String {
        try OpenAPIDocument.text(in: .module)
    }

    /// The media types of each operation's successful answer, as the OpenAPI document lists them
    /// (`AcceptableAnswerMiddleware`).
    public static let answerTypes: [String: [String]] = [
        Operations.IssueToken.id: ["application/json"],
        Operations.ListCoworkerTasks.id: ["application/json"],
        Operations.CreateCoworkerTask.id: ["application/json"],
        Operations.UpdateCoworkerTask.id: ["application/json"],
        Operations.GetCoworkerTask.id: ["application/json"],
        Operations.DeleteCoworkerTask.id: ["application/json"],
    ]

    /// The first media type of each operation's request body, as the OpenAPI document lists them
    /// (`FirstMediaTypeMiddleware`).
    public static let requestBodyTypes: [String: String] = [
        Operations.IssueToken.id: "application/x-www-form-urlencoded",
        Operations.CreateCoworkerTask.id: "application/json",
        Operations.UpdateCoworkerTask.id: "application/json",
    ]

    /// Adds the Nexudus routes, authenticated by bearer tokens that `POST /api/token` issues.
    public static func register<Context: RequestContext>(
        on router: Router<Context>, store: any TaskportStore, tokens: TokenAuthority
    ) throws {
        let group = router.group()
            .add(middleware: SurfaceErrorMiddleware(NexudusErrorEnvelope()))
            .add(middleware: GeneratedHeaderDecodingMiddleware([.eTag]))
            .add(middleware: NexudusAuthenticator(directory: store, tokens: tokens))
            .add(middleware: RequestBodyMiddleware())
        let api = NexudusAPI(store: store, tokens: tokens)
        try api.registerHandlers(
            on: BufferedTransport(group, shortcuts: [api.updateTaskShortcut]), serverURL: URL(string: "/")!,
            configuration: .surfaces,
            middlewares: [AcceptableAnswerMiddleware(answerTypes), FirstMediaTypeMiddleware(requestBodyTypes)]
        )
        group.refuseOtherMethods([
            tokenPath: [.post],
            "/api/crm/coworkertasks": [.get, .post, .put],
            "/api/crm/coworkertasks/:id": [.get, .delete],
        ])
    }
}

/// Runs every request but the token endpoint as the user its bearer token was issued to.
struct NexudusAuthenticator<Context: RequestContext>: RouterMiddleware {
    let directory: any DirectoryStore
    let tokens: TokenAuthority

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == NexudusSurface.tokenPath { return try await next(request, context) }
        guard let token = CredentialLocation.bearer.credential(in: request) else {
            throw TaskportError.unauthenticated("Authorization has been denied for this request: send a bearer token from POST /api/token")
        }
        let principal = try await tokens.principal(for: token, on: NexudusSurface.name, in: directory)
        try await RequestRecord.admitted(principal, by: "token", request: request)
        return try await Principal.$current.withValue(principal) { try await next(request, context) }
    }
}

/// The handlers of the Nexudus surface.
struct NexudusAPI: APIProtocol {
    let store: any TaskportStore
    let tokens: TokenAuthority

    static let notFound = "CoworkerTask not found"
    /// Access tokens live an hour; a refresh token, redeemable once, thirty days.
    static let accessTokenLifetime: TimeInterval = 3600
    static let refreshTokenLifetime: Int64 = 30 * 86_400 * 1_000_000

    // MARK: Tokens

    func issueToken(_ input: Operations.IssueToken.Input) async throws -> Operations.IssueToken.Output {
        guard case .urlEncodedForm(let form) = input.body else {
            throw TaskportError.unsupportedMediaType("Send application/x-www-form-urlencoded")
        }
        let principal: Principal
        switch form.grantType {
        case "password":
            guard let username = form.username, !username.isEmpty, let password = form.password else {
                return Self.tokenError(.invalidRequest, "The password grant needs username and password")
            }
            guard let found = try await PasswordSignIn.principal(email: username, password: password, in: store) else {
                return Self.tokenError(.invalidGrant, "The user name or password is incorrect")
            }
            principal = found
        case "refresh_token":
            guard let refresh = form.refreshToken, !refresh.isEmpty else {
                return Self.tokenError(.invalidRequest, "The refresh_token grant needs refresh_token")
            }
            guard let found = try await store.redeemRefreshToken(hash: APIKeySecret.hash(of: refresh), at: .now()) else {
                return Self.tokenError(.invalidGrant, "The refresh token is unknown, used or expired")
            }
            principal = found
        case nil:
            return Self.tokenError(.invalidRequest, "grant_type is required")
        case let other?:
            return Self.tokenError(.unsupportedGrantType, "grant_type '\(other)' is not supported; use password or refresh_token")
        }
        let access = try await tokens.issue(for: principal, lifetime: Self.accessTokenLifetime, surface: NexudusSurface.name)
        let refresh = APIKeySecret.generate(prefix: "tpr_")
        try await store.addRefreshToken(
            hash: refresh.hash, for: principal, expiresAt: Timestamp(microseconds: Timestamp.now().microseconds + Self.refreshTokenLifetime)
        )
        return .ok(
            .init(
                body: .json(.init(accessToken: access, tokenType: .bearer, expiresIn: Int(Self.accessTokenLifetime), refreshToken: refresh.plaintext))
            )
        )
    }

    static func tokenError(_ code: Components.Schemas.TokenError._ErrorPayload, _ description: String) -> Operations.IssueToken.Output {
        .badRequest(.init(body: .json(.init(error: code, errorDescription: description))))
    }

    // MARK: CoworkerTasks

    func listCoworkerTasks(_ input: Operations.ListCoworkerTasks.Input) async throws -> Operations.ListCoworkerTasks.Output {
        let principal = try RequestScope.caller(.list)
        let parameters = input.query
        let page = parameters.page ?? 1
        let size = parameters.size ?? 25
        guard (1...1_000_000).contains(page) else { throw TaskportError.invalid([FieldProblem("page", "must be between 1 and 1000000")]) }
        guard (1...1000).contains(size) else { throw TaskportError.invalid([FieldProblem("size", "must be between 1 and 1000")]) }
        let orderField = parameters.orderby ?? .dueDate
        let direction = parameters.dir ?? .ascending
        var query = TaskQuery(limit: size)
        query.offset = (page - 1) * size
        query.order = TaskOrder(Self.orderKey(orderField), descending: direction == .descending)
        if let name = parameters.coworkerTaskName, name.count > TaskLimits.titleLength {
            throw TaskportError.invalid([FieldProblem("CoworkerTask_Name", "must be at most \(TaskLimits.titleLength) characters")])
        }
        query.titleContains = parameters.coworkerTaskName
        query.completed = parameters.coworkerTaskCompleted
        var matchesNothing = false
        if let number = parameters.coworkerTaskResponsible {
            query.responsibleID = try await store.user(number: number, in: principal.tenantID)?.id
            matchesNothing = matchesNothing || query.responsibleID == nil
        }
        if let number = parameters.coworkerTaskCoworker {
            query.subjectID = try await store.account(number: number, in: principal.tenantID)?.subjectID
            matchesNothing = matchesNothing || query.subjectID == nil
        }
        if let number = parameters.coworkerTaskBusiness {
            query.scopeID = try await store.business(number: number, in: principal.tenantID)?.scopeID
            matchesNothing = matchesNothing || query.scopeID == nil
        }
        var records: [NexudusTask] = []
        var total = 0
        if !matchesNothing {
            let found = try await store.tasks(matching: query, in: principal.tenantID).tasks
            let references = try await NexudusReferences.load(for: found, in: principal.tenantID, from: store)
            records = found.map { NexudusTask($0, references) }
            total = try await store.count(matching: query, in: principal.tenantID)
        }
        let list = NexudusTaskList(
            records: records, page: page, size: size, orderField: orderField.rawValue, direction: direction.rawValue, total: total
        )
        return .ok(.init(body: .json(list)))
    }

    static func orderKey(_ field: Operations.ListCoworkerTasks.Input.Query.OrderbyPayload) -> TaskOrder.Key {
        switch field {
        case .id: .number
        case .name: .title
        case .dueDate: .dueAt
        case .completed: .completed
        case .createdOn: .createdAt
        case .updatedOn: .updatedAt
        }
    }

    func getCoworkerTask(_ input: Operations.GetCoworkerTask.Input) async throws -> Operations.GetCoworkerTask.Output {
        let principal = try RequestScope.caller(.read)
        let task = try await RequestScope.found(
            store.task(.number(input.path.id), in: principal.tenantID), notFound: Self.notFound
        )
        let references = try await NexudusReferences.load(for: [task], in: principal.tenantID, from: store)
        return .ok(.init(headers: .init(eTag: EntityTag.of(task)), body: .json(NexudusTask(task, references))))
    }

    func createCoworkerTask(_ input: Operations.CreateCoworkerTask.Input) async throws -> Operations.CreateCoworkerTask.Output {
        let principal = try RequestScope.caller(.create)
        guard case .json(let body) = input.body else { throw TaskportError.unsupportedMediaType("Send application/json") }
        let form = NexudusForm(body, requireID: false)
        guard form.problems.isEmpty else { return .badRequest(.init(body: .json(NexudusValidationResult(form.problems)))) }
        let resolved: NexudusForm.Resolved
        switch try await form.resolve(in: principal.tenantID, shown: nil, store: store) {
        case .success(let value): resolved = value
        case .failure(let result): return .badRequest(.init(body: .json(result)))
        }
        let edits: TaskPatch
        do {
            edits = try form.edits(resolved, to: nil, shown: nil)
        } catch let refusal as NexudusForm.Refusal {
            return .badRequest(.init(body: .json(refusal.result)))
        }
        let content = edits.applied(to: TaskContent(title: ""), by: principal.user.id)
        let task = try await Self.fieldNames.renaming {
            try await store.create(
                TaskCreation(tenantID: principal.tenantID, content: content, actor: principal.actor(surface: NexudusSurface.name))
            )
        }
        return .ok(.init(body: .json(Self.result("created", task, by: principal))))
    }

    func updateCoworkerTask(_ input: Operations.UpdateCoworkerTask.Input) async throws -> Operations.UpdateCoworkerTask.Output {
        let principal = try RequestScope.caller(.edit)
        guard case .json(let body) = input.body else { throw TaskportError.unsupportedMediaType("Send application/json") }
        let form = NexudusForm(body, requireID: true)
        guard form.problems.isEmpty, let id = form.id else {
            return .badRequest(.init(body: .json(NexudusValidationResult(form.problems))))
        }
        // `UpdatedOn` in the body and `If-Match` both say what the client read; each must hold.
        let precondition = TaskPrecondition.all(of: [
            input.headers.ifMatch.flatMap { EntityTag.precondition(ifMatch: $0, acceptingTimestamps: true) },
            form.updatedOn.map(TaskPrecondition.updatedAt),
        ])
        func update(_ kind: TaskMutation.Kind, _ task: TaskReference) async throws -> Operations.UpdateCoworkerTask.Output {
            let task = try await Self.fieldNames.renaming {
                try await store.apply(
                    TaskMutation(
                        tenantID: principal.tenantID, task: task, kind: kind, precondition: precondition,
                        actor: principal.actor(surface: NexudusSurface.name)
                    )
                )
            }
            return .ok(.init(headers: .init(eTag: EntityTag.of(task)), body: .json(Self.result("updated", task, by: principal))))
        }
        // Usually the ids name what they name whatever the task holds, and the edits are worked
        // out inside the write from the task as stored, without reading it first.
        if !form.keepsAShownID, case .success(let resolved) = try await form.resolve(in: principal.tenantID, shown: nil, store: store) {
            do {
                return try await update(.patchOfCurrent { current in try form.edits(resolved, to: current, shown: nil) }, .number(id))
            } catch let refusal as NexudusForm.Refusal {
                return .badRequest(.init(body: .json(refusal.result)))
            } catch is NexudusForm.NeedsShownTask {}
        }
        // Otherwise the task is read first: a `0` keeps what its record shows, a move to another
        // business needs the zone it was shown in, and a missing task is 404 before an unknown id is 400.
        let current = try await RequestScope.found(store.task(.number(id), in: principal.tenantID), notFound: Self.notFound)
        let shown = NexudusTask(current, try await NexudusReferences.load(for: [current], in: principal.tenantID, from: store))
        let resolved: NexudusForm.Resolved
        switch try await form.resolve(in: principal.tenantID, shown: shown, store: store) {
        case .success(let value): resolved = value
        case .failure(let result): return .badRequest(.init(body: .json(result)))
        }
        do {
            return try await update(.patch(try form.edits(resolved, to: current, shown: shown)), .id(current.id))
        } catch let refusal as NexudusForm.Refusal {
            return .badRequest(.init(body: .json(refusal.result)))
        }
    }

    func deleteCoworkerTask(_ input: Operations.DeleteCoworkerTask.Input) async throws -> Operations.DeleteCoworkerTask.Output {
        let principal = try RequestScope.caller(.delete)
        let task = try await store.apply(
            TaskMutation(
                tenantID: principal.tenantID, task: .number(input.path.id), kind: .delete,
                precondition: input.headers.ifMatch.flatMap { EntityTag.precondition(ifMatch: $0, acceptingTimestamps: true) },
                actor: principal.actor(surface: NexudusSurface.name)
            )
        )
        return .ok(.init(body: .json(Self.result("deleted", task, by: principal))))
    }

    static func result(_ action: String, _ task: TaskRecord, by principal: Principal) -> NexudusActionResult {
        NexudusActionResult(
            message: "CoworkerTask was successfully \(action).", id: task.number, updatedOn: task.updatedAt,
            updatedBy: principal.user.email
        )
    }

    /// Canonical field names as a Nexudus client spells them.
    static let fieldNames = FieldNames([
        .title: "Name", .notes: "Notes", .completed: "Completed", .dueAt: "DueDate", .timeZone: "BusinessId",
        .subjectId: "CoworkerId", .scopeId: "BusinessId", .responsibleId: "ResponsibleId",
        .notifyByEmail: "NotifyByEmail", .reminded: "Reminded", .visibleToEveryone: "DisplayToEveryone",
        .listItemId: "TaskItemUniqueId", .externalId: "SystemId",
    ])
}

/// Nexudus's errors: the validation envelope for every status, with the failing fields listed.
/// The token endpoint answers as OAuth2 says (`{"error", "error_description"}`).
struct NexudusErrorEnvelope: ErrorEnvelope {
    func response(for error: TaskportError, to request: Request) -> Response {
        if request.uri.path == NexudusSurface.tokenPath {
            var response = Response.json(error.conventionalStatus, ["error": "invalid_request", "error_description": error.message])
            response.headers.append(contentsOf: error.conventionalHeaders)
            return response
        }
        let result: NexudusValidationResult
        switch error {
        case .invalid(let problems): result = NexudusValidationResult(problems.map { NexudusFieldError($0.field, $0.message) })
        case .notFound: result = NexudusValidationResult(message: NexudusAPI.notFound)
        case .versionMismatch:
            result = NexudusValidationResult(
                message: "The CoworkerTask was changed by someone else after UpdatedOn; read it again and retry"
            )
        default: result = NexudusValidationResult(message: error.message)
        }
        var response = Response.json(error.conventionalStatus, result)
        response.headers.append(contentsOf: error.conventionalHeaders)
        if case .unauthenticated = error {
            // RFC 6750: no error code when the request carried no credential at all.
            response.headers[.wwwAuthenticate] = request.headers[.authorization] == nil ? "Bearer" : #"Bearer error="invalid_token""#
        }
        return response
    }

    func serverFaultResponse(to request: Request) -> Response {
        .json(.internalServerError, NexudusValidationResult(message: "An error has occurred."))
    }
}
