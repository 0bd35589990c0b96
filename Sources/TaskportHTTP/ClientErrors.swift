import Foundation
import HTTPTypes
import Hummingbird
import OpenAPIRuntime
import TaskportCore

/// Turns whatever a request threw into the client error it stands for.
public enum ClientErrors {
    /// The client error behind `error`, or nil when it is a server fault.
    /// Generated code wraps handler errors and its own parsing errors in `ServerError`; this looks
    /// through those wrappers, so every surface maps errors the same way.
    public static func classify(_ error: any Error) -> TaskportError? {
        switch error {
        case let error as TaskportError:
            return error
        case let error as any TaskportErrorConvertible:
            return error.taskportError
        case let error as DecodingError:
            return .malformed(error.clientDescription)
        case let error as ServerError:
            if let inner = classify(error.underlyingError) { return inner }
            switch error.httpStatus.code {
            case 415: return .unsupportedMediaType(error.causeDescription)
            case 400..<500: return .malformed(error.underlyingDescription)
            default:
                // Whatever failed while the request was being read into the operation's input (a
                // query string such as `?&&`, say) is the request's fault; later failures are the server's.
                guard error.operationInput == nil, error.operationOutput == nil else { return nil }
                return .malformed("The request's parameters could not be read (\(error.underlyingDescription))")
            }
        case let error as HTTPError:
            switch error.status.code {
            case 413: return .payloadTooLarge(limit: BodyLimit.maximumBytes)
            case 401: return .unauthenticated(error.body ?? "Authentication required")
            case 404: return .notFound(error.body ?? "Not found")
            case 400..<500: return .malformed(error.body ?? "Bad request")
            default: return nil
            }
        default:
            return nil
        }
    }
}

extension ClientErrors {
    /// What a server fault was, for the log: the error's type and what went wrong, without the
    /// request (its headers carry credentials) or the values involved (whole task records).
    public static func faultSummary(_ error: any Error) -> String {
        switch error {
        case let error as ServerError:
            "\(error.operationID): \(faultSummary(error.underlyingError))"
        case let error as EncodingError:
            switch error {
            case .invalidValue(let value, let context):
                "EncodingError.invalidValue(\(type(of: value)) at \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription))"
            @unknown default:
                "EncodingError"
            }
        case let error as DecodingError:
            "DecodingError: \(error.clientDescription)"
        default:
            LogRedaction.redact(String(describing: type(of: error)) + ": " + String(describing: error))
        }
    }
}

extension ServerError {
    /// What the runtime says went wrong, without the operation boilerplate.
    fileprivate var underlyingDescription: String {
        if let decoding = underlyingError as? DecodingError { return decoding.clientDescription }
        let text = String(describing: underlyingError)
        return text.isEmpty ? causeDescription : text
    }
}

extension DecodingError {
    /// A message that tells a client which member was wrong and how, without Swift type names.
    public var clientDescription: String {
        switch self {
        case .typeMismatch(let type, let context):
            return "\(context.memberPath): expected \(Self.jsonName(of: type))"
        case .valueNotFound(let type, let context):
            return "\(context.memberPath): must be \(Self.jsonName(of: type)), not null"
        case .keyNotFound(let key, let context):
            let path = context.codingPath + [key]
            return "\(DecodingError.Context(codingPath: path, debugDescription: "").memberPath): is a required field"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "The body is not valid JSON"
            }
            return "\(context.memberPath): \(context.debugDescription)"
        @unknown default:
            return "The body could not be read"
        }
    }

    static func jsonName(of type: Any.Type) -> String {
        switch type {
        case is String.Type, is Substring.Type: "a string"
        case is Bool.Type: "a boolean (true or false)"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type: "an array"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}

extension DecodingError.Context {
    /// `assignee.id`, `attachments[2]`, or `body` for the document itself.
    var memberPath: String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue, key.stringValue.hasPrefix("Index") || key.stringValue == String(index) {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return path.isEmpty ? "body" : path
    }
}
