import HTTPTypes
import Hummingbird
import OpenAPIRuntime
import TaskportHTTP

extension RolloutAPI {
    /// `PUT /api/tasks/{id}`, Rollout's update, without the generated code, for a JSON body in the
    /// plain form clients send (`ShortcutRequest.json`): the handler is the generated code's
    /// (`putTasksId`), which answers such a request in JSON, written by `RolloutTask.compactJSON`.
    /// Any other request (`text/plain` or `multipart/form-data` bodies, another `Accept`) goes to
    /// the generated code.
    var putTaskShortcut: OperationShortcut {
        OperationShortcut(.put, "/api/tasks/{id}") { head, body, parameters in
            guard let id = parameters.get("id").flatMap(ShortcutRequest.pathText),
                let (ifMatch, accept, payload) = ShortcutRequest.json(
                    head, body, as: Operations.PutTasksId.Input.Body.JsonPayload.self, accepting: Operations.PutTasksId.AcceptableContentType.self
                )
            else { return nil }
            let input = Operations.PutTasksId.Input(path: .init(id: id), headers: .init(ifMatch: ifMatch, accept: accept), body: .json(payload))
            // The handler answers only `ok`, and throws every refusal; for these `Accept` values it answers JSON.
            guard case .ok(let ok) = try await putTasksId(input), case .json(let task) = ok.body else {
                throw UnexpectedOutput(operation: Operations.PutTasksId.id)
            }
            return try ShortcutAnswer.json(.ok, eTag: ok.headers.eTag, task)
        }
    }
}
