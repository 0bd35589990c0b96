import HTTPTypes
import Hummingbird
import OpenAPIRuntime
import TaskportHTTP

extension ThenaAPI {
    /// `PUT /v1/accounts/tasks/{taskId}`, Thena's update, without the generated code, for requests
    /// in the plain form clients send (`ShortcutRequest.json`): the handler is the generated
    /// code's (`putV1AccountsTasksTaskId`), the answer written straight from the task
    /// (`ThenaTask.compactJSON`).
    /// Any other request goes to the generated code.
    var putTaskShortcut: OperationShortcut {
        OperationShortcut(.put, "/v1/accounts/tasks/{taskId}") { head, body, parameters in
            guard let taskId = parameters.get("taskId").flatMap(ShortcutRequest.pathText),
                let (ifMatch, accept, update) = ShortcutRequest.json(
                    head, body, as: Components.Schemas.UpdateAccountTaskDto.self,
                    accepting: Operations.PutV1AccountsTasksTaskId.AcceptableContentType.self
                )
            else { return nil }
            let input = Operations.PutV1AccountsTasksTaskId.Input(
                path: .init(taskId: taskId), headers: .init(ifMatch: ifMatch, accept: accept), body: .json(update)
            )
            // The handler answers only `ok`, and throws every refusal.
            guard case .ok(let ok) = try await putV1AccountsTasksTaskId(input) else {
                throw UnexpectedOutput(operation: Operations.PutV1AccountsTasksTaskId.id)
            }
            switch ok.body {
            case .json(let task): return try ShortcutAnswer.json(.ok, eTag: ok.headers.eTag, task)
            }
        }
    }
}
