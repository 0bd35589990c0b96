import Foundation
import HTTPTypes
import HummingbirdTesting
import MaxsightDialect
import NIOCore
import NativeDialect
import NexudusDialect
@_spi(Generated) import OpenAPIRuntime
import RolloutDialect
import TaskportCore
import TaskportHTTP
import Testing
import ThenaDialect
import Yams

/// A request whose `Accept` admits none of its operation's answer types is refused before the
/// operation runs (`AcceptableAnswerMiddleware`): on a write, nothing changes.
struct AcceptableAnswerTests {
    /// Each surface's table, by the names `FirstMediaTypeTests` gives the surfaces' documents.
    static let tables: [String: [String: [String]]] = [
        "native": NativeSurface.answerTypes, "rollout": RolloutSurface.answerTypes, "thena": ThenaSurface.answerTypes,
        "nexudus": NexudusSurface.answerTypes, "maxsight": MaxsightSurface.answerTypes,
    ]

    /// Operation id → the media types of its 2xx answers' bodies, in the document's order; an
    /// operation whose successful answers have no body is left out.
    static func answerTypes(in document: String) throws -> [String: [String]] {
        let root = try #require(try Yams.compose(yaml: document))
        let paths = try #require(root["paths"]?.mapping)
        let shared = root["components"]?["responses"]
        var types: [String: [String]] = [:]
        for (path, item) in paths {
            for (method, operation) in try #require(item.mapping) {
                guard let method = method.string, ["get", "put", "post", "delete", "patch"].contains(method) else { continue }
                let id = try operation["operationId"]?.string ?? "\(method)\(#require(path.string))"
                for (status, answer) in try #require(operation["responses"]?.mapping) where status.string?.hasPrefix("2") == true {
                    var answer = answer
                    if let reference = answer["$ref"]?.string {
                        answer = try #require(shared?[String(reference.split(separator: "/").last ?? "")])
                    }
                    for type in answer["content"]?.mapping?.keys.compactMap(\.string) ?? [] where types[id]?.contains(type) != true {
                        types[id, default: []].append(type)
                    }
                }
            }
        }
        return types
    }

    @Test(arguments: FirstMediaTypeTests.surfaces.map(\.name))
    func eachTableNamesTheAnswerTypesOfEveryOperation(_ name: String) throws {
        let document = try #require(FirstMediaTypeTests.surfaces.first { $0.name == name }?.document)
        let table = try #require(Self.tables[name])
        let documented = try Self.answerTypes(in: document)
        #expect(!documented.isEmpty)
        #expect(Set(table.keys) == Set(documented.keys), "\(name)")
        for (operation, types) in documented {
            #expect(table[operation] == types, "\(name) \(operation)")
        }
    }

    /// Whether the middleware lets the request through, against whether the runtime's own check
    /// passes for some type: the middleware's shortcuts must never decide otherwise.
    @Test func theMiddlewareDecidesAsTheRuntimeDoes() async throws {
        let converter = Converter(configuration: .surfaces)
        let typeLists = [["application/json"], ["application/json", "multipart/form-data", "text/plain"]]
        let accepts: [[String]] = [
            [], ["*/*"], ["application/json"], ["Application/JSON"], ["application/*"], ["text/html"], ["text/*"], ["text/plain"],
            ["multipart/form-data"], ["application/xml, text/csv;q=0.5"], ["text/html", "application/json"], ["application/json;q=0"],
            ["application/jsonx"], [" application/json "], ["application/json;charset=utf-8"], ["*/*;q=0.1"], [";;"], [","],
            ["application"], ["image/png, */*"], ["application/problem+json"], [""],
        ]
        for types in typeLists {
            for accept in accepts {
                var request = HTTPRequest(method: .put, scheme: nil, authority: nil, path: "/tasks/1")
                for value in accept { request.headerFields.append(HTTPField(name: .accept, value: value)) }
                let runtime = types.contains { (try? converter.validateAcceptIfPresent($0, in: request.headerFields)) != nil }
                let middleware = AcceptableAnswerMiddleware(["op": types])
                let passed = (try? await middleware.intercept(request, body: nil, metadata: ServerRequestMetadata(), operationID: "op") { _, _, _ in
                    (HTTPResponse(status: .ok), nil)
                }) != nil
                #expect(passed == runtime, "\(types) with Accept \(accept)")
            }
        }
        // Two values the runtime refuses and one it takes, so the comparison above has both sides.
        #expect((try? converter.validateAcceptIfPresent("application/json", in: [.accept: "text/html"])) == nil)
        #expect((try? converter.validateAcceptIfPresent("text/plain", in: [.accept: "text/*"])) != nil)
    }

    /// Every write of every surface, from a client that accepts none of its answer's types: the
    /// surface's 400, and no task created, changed or deleted. The same writes accepting an answer
    /// type then succeed, so the refusals were for `Accept` alone.
    @Test func aWriteWhoseAnswerCannotBeAcceptedChangesNothing() async throws {
        let f = try await NexudusFixture.make()
        try await f.run { nexudus in
            let native = nexudus.native
            let task = try await native.create()
            let id = try #require(task["id"] as? String)
            let number = try #require(task["number"] as? Int)
            let bearer = { (token: String) in "Bearer \(token)" }
            let rollout: HTTPFields = [
                .authorization: bearer(f.h.rolloutToken), HTTPField.Name("X-Rollout-Credential-Id")!: f.h.rolloutCredential,
                .contentType: "application/json",
            ]
            let thenaKey: HTTPFields = [HTTPField.Name("x-api-key")!: f.h.key, .contentType: "application/json"]
            let nexudusToken: HTTPFields = [.authorization: bearer(f.adminToken), .contentType: "application/json"]
            let account = f.customer.id.uuidString.lowercased()
            let writes: [(HTTPRequest.Method, String, HTTPFields, String?)] = [
                (.patch, "/v1/tasks/\(id)", [.authorization: bearer(f.h.key), .contentType: "application/merge-patch+json"], #"{"title":"Changed"}"#),
                (.post, "/v1/tasks", [.authorization: bearer(f.h.key), .contentType: "application/json"], #"{"title":"New"}"#),
                (.put, "/api/tasks/\(id)", rollout, #"{"name":"Changed"}"#),
                (.post, "/api/tasks", rollout, #"{"name":"New"}"#),
                (.put, "/v1/accounts/tasks/\(id)", thenaKey, #"{"title":"Changed"}"#),
                (.post, "/v1/accounts/tasks", thenaKey, #"{"accountId":"\#(account)","title":"New"}"#),
                (
                    .put, "/v5/tasks/\(id)/update-assignment", [HTTPField.Name("apikey")!: f.h.key, .contentType: "application/json", .ifMatch: "*"],
                    #"{"update":{"assigned_by_id":"\#(f.h.alice.id)","assigned_to_id":"\#(f.h.bob.id)","assigned_to_type":"USER"}}"#
                ),
                (.put, "/api/crm/coworkertasks", nexudusToken, f.body(id: Int64(number), name: "Changed")),
                (.post, "/api/crm/coworkertasks", nexudusToken, f.body(name: "New")),
                (.delete, "/api/crm/coworkertasks/\(number)", nexudusToken, nil),
            ]
            let before = try await native.send(.get, "/v1/tasks").object()["items"] as? [Any]
            for accept in [["text/html"], ["application/xml, text/csv;q=0.5"], ["image/png", "text/html"]] {
                for (method, uri, base, body) in writes {
                    var headers = base
                    for value in accept { headers.append(HTTPField(name: .accept, value: value)) }
                    let response = try await native.client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                    #expect(response.status == .badRequest, "\(method) \(uri) with Accept \(accept): \(response.status)")
                    let text = response.body.getString(at: 0, length: response.body.readableBytes) ?? ""
                    #expect(text.contains("not acceptable"), "\(method) \(uri): \(text)")
                }
            }
            let after = try await native.send(.get, "/v1/tasks/\(id)").object()
            #expect(after["version"] as? Int == 1)
            #expect(after["title"] as? String == task["title"] as? String)
            let history = try await native.send(.get, "/v1/tasks/\(id)/history").object()["items"] as? [Any]
            #expect(history?.count == 1)
            #expect((try await native.send(.get, "/v1/tasks").object()["items"] as? [Any])?.count == before?.count)

            // Accepting the answer's type, a range of it, or anything: each write goes through.
            for (index, (method, uri, base, body)) in writes.enumerated() {
                var headers = base
                headers[.accept] = ["application/json", "*/*", "application/*;q=0.5", "text/html, application/json;q=0.1"][index % 4]
                if uri.hasPrefix("/v5/") {
                    let current = try await MaxsightClient(client: native.client, key: f.h.key).send(.get, "/tasks/\(id)").object()
                    headers[.ifMatch] = try #require(current["updated_at"] as? String)
                }
                let response = try await native.client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                #expect((200..<300).contains(response.status.code), "\(method) \(uri): \(response.status) \(response.body.getString(at: 0, length: response.body.readableBytes) ?? "")")
            }
            #expect(try await native.send(.get, "/v1/tasks/\(id)").status == .notFound)
        }
    }
}
