import HTTPTypes
import Hummingbird
import TaskportCore
import TaskportHTTP

/// The native API's errors: RFC 9457 problem details.
struct ProblemEnvelope: ErrorEnvelope {
    struct Problem: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String
        var errors: [FieldProblem]?
    }

    func response(for error: TaskportError, to request: Request) -> Response {
        let (status, kind): (HTTPResponse.Status, String) =
            switch error {
            case .notFound: (.notFound, "not-found")
            case .versionMismatch: (.preconditionFailed, "version-mismatch")
            case .invalid: (.badRequest, "invalid")
            case .malformed: (.badRequest, "malformed")
            case .unauthenticated: (.unauthorized, "unauthenticated")
            case .forbidden: (.forbidden, "forbidden")
            case .payloadTooLarge: (.contentTooLarge, "too-large")
            case .unsupportedMediaType: (.unsupportedMediaType, "unsupported-media-type")
            case .conflict: (.conflict, "conflict")
            case .methodNotAllowed: (.methodNotAllowed, "method-not-allowed")
            case .preconditionRequired: (.preconditionRequired, "precondition-required")
            case .unavailable: (.serviceUnavailable, "unavailable")
            case .tooManyRequests: (.tooManyRequests, "too-many-requests")
            case .injected(let status, _, _): (HTTPResponse.Status(code: status), "injected")
            }
        var problems: [FieldProblem]?
        if case .invalid(let list) = error { problems = list }
        var response = problem(status, kind: kind, detail: error.message, errors: problems)
        response.headers.append(contentsOf: error.conventionalHeaders)
        if case .unauthenticated = error { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }

    func serverFaultResponse(to request: Request) -> Response {
        problem(.internalServerError, kind: "server-fault", detail: "The server could not complete the request", errors: nil)
    }

    private func problem(_ status: HTTPResponse.Status, kind: String, detail: String, errors: [FieldProblem]?) -> Response {
        .json(
            status,
            Problem(type: "urn:taskport:problem:\(kind)", title: status.reasonPhrase, status: status.code, detail: detail, errors: errors),
            contentType: "application/problem+json"
        )
    }
}
