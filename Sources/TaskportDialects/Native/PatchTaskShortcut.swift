import HTTPTypes
import Hummingbird
import OpenAPIRuntime
import TaskportHTTP

extension NativeAPI {
    /// `PATCH /v1/tasks/{taskId}`, the native update, without the generated code, for requests in
    /// the plain form clients send (`ShortcutRequest.json`): the handler is the generated code's
    /// (`patchTask`), the answer its bytes written straight from the task
    /// (`NativeTask.compactJSON`). Any other request goes to the generated code.
    var patchTaskShortcut: OperationShortcut {
        OperationShortcut(.patch, "/v1/tasks/{taskId}") { head, body, parameters in
            guard let taskId = parameters.get("taskId").flatMap(ShortcutRequest.pathText),
                let (ifMatch, accept, patch) = ShortcutRequest.json(
                    head, body, as: Components.Schemas.TaskPatch.self, accepting: Operations.PatchTask.AcceptableContentType.self,
                    firstType: "application/merge-patch+json"
                )
            else { return nil }
            let input = Operations.PatchTask.Input(
                path: .init(taskId: taskId), headers: .init(ifMatch: ifMatch, accept: accept), body: .applicationMergePatchJson(patch)
            )
            // The handler answers only `ok`, and throws every refusal.
            guard case .ok(let ok) = try await patchTask(input) else { throw UnexpectedOutput(operation: Operations.PatchTask.id) }
            switch ok.body {
            case .json(let task): return try ShortcutAnswer.json(.ok, eTag: ok.headers.eTag, task)
            }
        }
    }
}
