public import HTTPTypes
@_spi(Generated) public import OpenAPIRuntime

/// Refuses a request whose `Accept` admits none of the media types its operation answers in,
/// before the operation runs.
///
/// The generated server checks `Accept` only as it writes the answer, after the handler has run:
/// a write from a client that accepts none of its answer's types was applied, audited and
/// notified, and then answered 400 as if it had failed. This middleware makes the same check, by
/// the runtime's own rule (`Converter.validateAcceptIfPresent`), before the request is decoded, so
/// such a request changes nothing and gets the answer the late check gave: the surface's 400, whose
/// message names the first type the operation answers in and what was accepted. A request the
/// check passes still meets the generated one afterwards, which it passes too.
///
/// `answerTypes` names, for each operation whose successful answer has a body, the media types of
/// that body in the surface's OpenAPI document (a test holds each surface's table to its document).
/// A request without `Accept`, or accepting `*/*` or exactly one of those types, passes without
/// the runtime's parsing: most clients send one of these.
public struct AcceptableAnswerMiddleware: ServerMiddleware {
    let answerTypes: [String: [String]]

    /// The runtime's conversions, for its `Accept` check; its encoders are not used.
    static let converter = Converter(configuration: .surfaces)

    /// `answerTypes`: operation id → the media types of its successful answer's body.
    public init(_ answerTypes: [String: [String]]) {
        self.answerTypes = answerTypes
    }

    public func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        if let types = answerTypes[operationID] {
            try Self.check(request.headerFields, answeringIn: types)
        }
        return try await next(request, body, metadata)
    }

    /// Throws what the generated code would throw writing an answer in the first of `types`,
    /// unless the request accepts one of them.
    static func check(_ headerFields: HTTPFields, answeringIn types: [String]) throws {
        // The value the runtime checks: every `Accept` field, joined.
        guard let accept = headerFields[.accept], accept != "*/*", !types.contains(accept) else { return }
        var refusal: (any Error)?
        for type in types {
            do {
                try converter.validateAcceptIfPresent(type, in: headerFields)
                return
            } catch {
                refusal = refusal ?? error
            }
        }
        if let refusal { throw refusal }
    }
}
