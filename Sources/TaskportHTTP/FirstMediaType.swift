public import HTTPTypes
public import OpenAPIRuntime

/// Spares the generated server its media-type parsing when a request's body is of the first type
/// its operation takes.
///
/// To choose how to decode a body, the generated code parses the request's `Content-Type` and each
/// type the operation takes (`OpenAPIMIMEType`, splitting by `Character`s: about 30,000
/// instructions each, 5% of a native update), and picks the best match. A request without a
/// `Content-Type`, or with one that does not parse, gets the operation's first type. So when the
/// type a request names (before any `;`) is the first type, byte for byte apart from ASCII case,
/// the choice is already made, and the field is left out of what the generated code sees. Every
/// other request goes through the generated code's own choice, 415 included. What is before
/// the generated code (authentication, `RequestBodyMiddleware`, the journal) sees the request as
/// sent.
///
/// `firstTypes` names, for each operation with a request body, the first media type of that body
/// in the surface's OpenAPI document (a test holds each surface's table to its document). A
/// type whose decoding reads the field's parameters (`multipart/form-data` and its boundary) must
/// not be named.
public struct FirstMediaTypeMiddleware: ServerMiddleware {
    let firstTypes: [String: [UInt8]]

    /// `firstTypes`: operation id → the first media type its request body takes, in lower case.
    public init(_ firstTypes: [String: String]) {
        self.firstTypes = firstTypes.mapValues { Array($0.utf8) }
    }

    public func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard let first = firstTypes[operationID] else { return try await next(request, body, metadata) }
        let sent = request.headerFields[values: .contentType]
        guard sent.count == 1, Self.names(sent[0], first) else { return try await next(request, body, metadata) }
        var request = request
        request.headerFields[.contentType] = nil
        return try await next(request, body, metadata)
    }

    /// Whether `value`, up to its first `;`, is `type` (lower case) apart from ASCII case.
    static func names(_ value: String, _ type: [UInt8]) -> Bool {
        var index = 0
        for byte in value.utf8 {
            if byte == UInt8(ascii: ";") { break }
            guard index < type.count else { return false }
            guard byte.asciiLowercased == type[index] else { return false }
            index += 1
        }
        return index == type.count
    }
}
