import Foundation
import HTTPTypes
import Hummingbird
import TaskportCore

/// The console's journal pages, for a tenant's administrators: the newest requests of the
/// tenant's credentials to every surface, filtered by surface and status, each linking to its
/// headers and bodies and to the task it touched.
extension Console {
    static let journalPageSize = 100

    func journal(_ request: Request) async throws -> Response {
        let session = try administrator()
        let tenantID = session.principal.tenantID
        let parameters = request.uri.queryParameters
        var query = JournalQuery(limit: Self.journalPageSize)
        let surface = parameters["surface"].map(String.init) ?? ""
        if !surface.isEmpty { query.surface = surface }
        let status = parameters["status"].map(String.init) ?? ""
        var problem: String?
        if !status.isEmpty, !query.filterStatus(status) { problem = "A status is one such as 412, or a class such as 4xx; every status is shown." }
        if let before = parameters["before"].flatMap({ Int64(String($0)) }), before > 0 { query.before = before }
        let entries = try await store.journal(in: tenantID, matching: query)
        let numbers = try await taskNumbers(of: entries, in: tenantID)
        var values: [String: Any?] = [
            "surfaces": ([""] + ["native", "rollout", "nexudus", "thena", "maxsight"]).map {
                ["value": $0, "label": $0.isEmpty ? "every surface" : $0, "selected": $0 == surface] as [String: Any]
            },
            "status": status,
            "entries": entries.map { entry in
                var row: [String: Any] = [
                    "id": entry.id, "at": Self.shown(entry.at), "surface": entry.surface, "method": entry.method, "path": entry.target,
                    "status": entry.status == 0 ? "none" : String(entry.status), "failed": entry.status == 0 || entry.status >= 400,
                    "latency": String(format: "%.1f ms", Double(entry.latencyMicroseconds) / 1000), "credential": entry.credential,
                ]
                if let fault = entry.fault { row["fault"] = fault }
                if let number = entry.taskID.flatMap({ numbers[$0] }) { row["task"] = number }
                return row
            },
            "problem": problem,
        ]
        if entries.count == Self.journalPageSize, let last = entries.last {
            var next = URLComponents()
            next.queryItems = [("surface", surface), ("status", status)].filter { !$0.1.isEmpty }.map { URLQueryItem(name: $0.0, value: $0.1) }
                + [URLQueryItem(name: "before", value: String(last.id))]
            values["next"] = "/console/journal?" + (next.percentEncodedQuery ?? "")
        }
        return pages.page("journal", values, session: session)
    }

    func journalEntry(_ text: String) async throws -> Response {
        let session = try administrator()
        let tenantID = session.principal.tenantID
        guard let id = Int64(text), let entry = try await store.journalEntry(id, in: tenantID) else {
            throw TaskportError.notFound("No journal entry with this id in this tenant")
        }
        let numbers = try await taskNumbers(of: [entry], in: tenantID)
        func message(_ headers: [JournalEntry.Header], _ body: JournalEntry.Body) -> [String: Any] {
            [
                "headers": headers.map { ["name": $0.name, "value": $0.value] }, "body": body.text, "length": body.length,
                "truncated": body.truncated, "empty": body.length == 0,
            ]
        }
        var values: [String: Any?] = [
            "id": entry.id, "at": Self.shown(entry.at), "surface": entry.surface, "method": entry.method, "path": entry.target,
            "route": entry.route, "status": entry.status == 0 ? "none: the connection was dropped" : String(entry.status),
            "latency": String(format: "%.1f ms", Double(entry.latencyMicroseconds) / 1000), "credential": entry.credential,
            "requestId": entry.requestID, "fault": entry.fault,
            "request": message(entry.requestHeaders, entry.requestBody), "response": message(entry.responseHeaders, entry.responseBody),
        ]
        if let number = entry.taskID.flatMap({ numbers[$0] }) { values["task"] = number }
        return pages.page("journal-entry", values, session: session)
    }

    /// The numbers of the tasks the entries touched that still exist, for links to their pages.
    private func taskNumbers(of entries: [JournalEntry], in tenantID: UUID) async throws -> [UUID: Int64] {
        var numbers: [UUID: Int64] = [:]
        for id in Set(entries.compactMap(\.taskID)) {
            if let task = try await store.task(.id(id), in: tenantID) { numbers[id] = task.number }
        }
        return numbers
    }
}
