import Foundation
public import HTTPTypes
public import Hummingbird
public import OpenAPIRuntime
import TaskportCore

/// The parts of a request an `OperationShortcut` reads, each only in a form where the OpenAPI
/// runtime's reading of it is known without running it; nil for any other form, which leaves the
/// request to the generated code. A test holds each of them to the runtime's own reading.
public enum ShortcutRequest {
    /// A path parameter as the generated code decodes it into a `String` (URI decoding), when
    /// that is the text as sent: letters, digits and `-._~`, which URI coding leaves as they are.
    public static func pathText(_ value: String) -> String? {
        guard !value.isEmpty, value.utf8.allSatisfy(isUnreserved) else { return nil }
        return value
    }

    /// An optional header field read as a `String` (URI decoding), when that is the value as sent:
    /// `.some(nil)` without the field; `.some(value)` for one field of letters, digits and
    /// `-._~"*/:`; nil otherwise (two fields, which the runtime joins with a comma, `%`, a comma, a
    /// space, …).
    public static func headerText(_ fields: HTTPFields, _ name: HTTPField.Name) -> String?? {
        let values = fields[values: name]
        guard !values.isEmpty else { return .some(nil) }
        guard values.count == 1, !values[0].isEmpty, values[0].utf8.allSatisfy({ isUnreserved($0) || plainInHeader($0) }) else {
            return nil
        }
        return .some(values[0])
    }

    /// The `Accept` list the generated code hands an operation's handler, when the request sends
    /// no `Accept`, or one field that is exactly `answerType` or `*/*` (which every check of
    /// `Accept` passes for an operation answering in `answerType`); nil otherwise.
    public static func accept<T: AcceptableProtocol>(_ fields: HTTPFields, answeringIn answerType: String) -> [AcceptHeaderContentType<T>]? {
        let values = fields[values: .accept]
        guard !values.isEmpty else { return AcceptHeaderContentType<T>.defaultValues }
        guard values.count == 1, values[0] == answerType || values[0] == "*/*", let accept = AcceptHeaderContentType<T>(rawValue: values[0]) else {
            return nil
        }
        return [accept]
    }

    /// Whether the request names `firstType` as its body's one `Content-Type` (apart from ASCII
    /// case and parameters), so the generated code would decode it as that type
    /// (`FirstMediaTypeMiddleware`).
    public static func names(_ fields: HTTPFields, firstType: String) -> Bool {
        let values = fields[values: .contentType]
        return values.count == 1 && FirstMediaTypeMiddleware.names(values[0], Array(firstType.utf8))
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
        default: false
        }
    }

    static func plainInHeader(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: ":")
    }
}

extension ShortcutRequest {
    /// What an operation whose request body is JSON reads, when every part is in a plain form:
    /// the body names `firstType` (its operation's first media type), `If-Match` is plain or
    /// absent, `Accept` is absent or admits `answerType` alone, and the body decodes as `Body`.
    /// A body that does not decode is left to the generated code, which writes its refusal.
    public static func json<Body: Decodable, Accept: AcceptableProtocol>(
        _ head: HTTPRequest, _ body: ByteBuffer, as _: Body.Type, accepting _: Accept.Type, firstType: String = "application/json",
        answeringIn answerType: String = "application/json"
    ) -> (ifMatch: String?, accept: [AcceptHeaderContentType<Accept>], body: Body)? {
        let fields = head.headerFields
        guard names(fields, firstType: firstType), let ifMatch = headerText(fields, .ifMatch),
            let accept: [AcceptHeaderContentType<Accept>] = self.accept(fields, answeringIn: answerType),
            let decoded = decode(Body.self, from: body)
        else { return nil }
        return (ifMatch, accept, decoded)
    }

    /// The body as `JSONDecoder` decodes it: read from plain JSON by the type itself when it can
    /// (`PlainJSONReadable`), else by the decoder; nil when it does not decode.
    static func decode<Body: Decodable>(_: Body.Type, from body: ByteBuffer) -> Body? {
        if let readable = Body.self as? any PlainJSONReadable.Type,
            let read = body.readableBytesView.withContiguousStorageIfAvailable({ readable.plainJSON($0) }),
            let plain = read as? Body
        {
            return plain
        }
        return try? JSONDecoder().decode(Body.self, from: Data(body.readableBytesView))
    }
}

/// A request body that reads itself from JSON in the plain form (`JSONValue(plainJSON:)`) to the
/// value `JSONDecoder` decodes from the same text, without the decoder.
public protocol PlainJSONReadable: Decodable {
    /// The body `bytes` hold; nil when they are not in the plain form, and the decoder is to read them.
    static func plainJSON(_ bytes: UnsafeBufferPointer<UInt8>) -> Self?
}

/// The answers a shortcut writes, as the generated code writes them.
public enum ShortcutAnswer {
    /// `value` as a JSON answer: the status, `ETag` when there is one, `Content-Type:
    /// application/json; charset=utf-8`, and the bytes the generated code's encoder writes (sorted
    /// members, slashes as they are): written by `JSONValue`'s compact writer, or by the encoder for
    /// what only it writes (a fractional number).
    public static func json(_ status: HTTPResponse.Status, eTag: String? = nil, _ value: some Encodable) throws -> Response {
        answer(status, eTag: eTag, bytes: try JSONValue.encoding(value).compactBytes ?? StoredJSON.bytes(value))
    }

    /// `value` as a JSON answer, as above, written by the value itself.
    public static func json(_ status: HTTPResponse.Status, eTag: String? = nil, _ value: some Encodable & CompactJSONWriting) throws -> Response {
        answer(status, eTag: eTag, bytes: try value.compactJSON() ?? StoredJSON.bytes(value))
    }

    private static func answer(_ status: HTTPResponse.Status, eTag: String?, bytes: [UInt8]) -> Response {
        var headers = HTTPFields()
        if let eTag { headers[.eTag] = eTag }
        headers[.contentType] = "application/json; charset=utf-8"
        // `StoredJSON`'s encoder has the surfaces' options (`Configuration.surfaces`).
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// A handler's output that its shortcut does not write (one the handler never gives for the
/// requests the shortcut takes): a server fault.
public struct UnexpectedOutput: Error {
    public let operation: String

    public init(operation: String) {
        self.operation = operation
    }
}
