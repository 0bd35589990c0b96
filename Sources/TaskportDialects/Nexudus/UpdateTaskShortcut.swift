import HTTPTypes
import Hummingbird
import OpenAPIRuntime
import TaskportHTTP

extension NexudusAPI {
    /// `PUT /api/crm/coworkertasks`, Nexudus's update, without the generated code, for requests in
    /// the plain form clients send (`ShortcutRequest.json`): the handler is the generated code's
    /// (`updateCoworkerTask`), its result (`ok`, or a validation result as `400`) written by
    /// `JSONValue`'s compact writer. Any other request goes to the generated code.
    var updateTaskShortcut: OperationShortcut {
        OperationShortcut(.put, "/api/crm/coworkertasks") { head, body, _ in
            guard let (ifMatch, accept, update) = ShortcutRequest.json(
                head, body, as: Components.Schemas.CoworkerTaskUpdate.self, accepting: Operations.UpdateCoworkerTask.AcceptableContentType.self
            ) else { return nil }
            let input = Operations.UpdateCoworkerTask.Input(headers: .init(ifMatch: ifMatch, accept: accept), body: .json(update))
            switch try await updateCoworkerTask(input) {
            case .ok(let ok):
                switch ok.body {
                case .json(let result): return try ShortcutAnswer.json(.ok, eTag: ok.headers.eTag, result)
                }
            case .badRequest(let refused):
                switch refused.body {
                case .json(let result): return try ShortcutAnswer.json(.badRequest, result)
                }
            default:
                throw UnexpectedOutput(operation: Operations.UpdateCoworkerTask.id)
            }
        }
    }
}
