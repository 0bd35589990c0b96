import Foundation
import HTTPTypes
import MaxsightDialect
import NativeDialect
import NexudusDialect
import OpenAPIRuntime
import RolloutDialect
import TaskportHTTP
import Testing
import ThenaDialect
import Yams

/// `FirstMediaTypeMiddleware` may only take a choice the generated code would make the same way:
/// each surface's table must name, for every operation with a request body, the first media type
/// its OpenAPI document lists, and nothing else.
struct FirstMediaTypeTests {
    static let surfaces: [(name: String, document: String, table: [String: String])] = {
        func surface(_ name: String, _ document: () throws -> String, _ table: [String: String]) -> (String, String, [String: String]) {
            (name, (try? document()) ?? "", table)
        }
        return [
            surface("native", NativeSurface.openAPIDocument, NativeSurface.requestBodyTypes),
            surface("rollout", RolloutSurface.openAPIDocument, RolloutSurface.requestBodyTypes),
            surface("thena", ThenaSurface.openAPIDocument, ThenaSurface.requestBodyTypes),
            surface("nexudus", NexudusSurface.openAPIDocument, NexudusSurface.requestBodyTypes),
            surface("maxsight", MaxsightSurface.openAPIDocument, MaxsightSurface.requestBodyTypes),
        ]
    }()

    /// Operation id → the media types of its request body, in the document's order.
    static func requestBodyTypes(in document: String) throws -> [String: [String]] {
        let root = try #require(try Yams.compose(yaml: document))
        let paths = try #require(root["paths"]?.mapping)
        var types: [String: [String]] = [:]
        for (path, item) in paths {
            for (method, operation) in try #require(item.mapping) {
                guard let method = method.string, ["get", "put", "post", "delete", "patch", "head", "options", "trace"].contains(method),
                    let body = operation["requestBody"]
                else { continue }
                // The generator names an operation without an id by its method and path.
                let id = try operation["operationId"]?.string ?? "\(method)\(#require(path.string))"
                let content = try #require(body["content"]?.mapping, "\(id): the request body is not written inline")
                types[id] = content.map { $0.key.string ?? "" }
            }
        }
        return types
    }

    @Test(arguments: surfaces.map(\.name))
    func eachTableNamesTheFirstTypeOfEveryRequestBody(_ name: String) throws {
        let surface = try #require(Self.surfaces.first { $0.name == name })
        #expect(!surface.document.isEmpty)
        let documented = try Self.requestBodyTypes(in: surface.document)
        #expect(!documented.isEmpty)
        #expect(Set(surface.table.keys) == Set(documented.keys))
        for (operation, types) in documented {
            let first = try #require(types.first)
            #expect(surface.table[operation] == first.lowercased(), "\(name) \(operation)")
            // The first type alone, with no parameters, and not one whose decoding reads them.
            #expect(!first.contains(";") && !first.hasPrefix("multipart/"), "\(name) \(operation): \(first)")
            // No other type of the body is the same type under other parameters.
            #expect(types.dropFirst().allSatisfy { $0.split(separator: ";").first.map(String.init)?.lowercased() != first.lowercased() })
        }
    }

    /// The request the generated code would see, after the middleware.
    func passed(_ contentTypes: [String], operation: String = "patchTask") async throws -> [String] {
        let middleware = FirstMediaTypeMiddleware(["patchTask": "application/merge-patch+json"])
        var request = HTTPRequest(method: .patch, scheme: nil, authority: nil, path: "/v1/tasks/1")
        for type in contentTypes { request.headerFields.append(HTTPField(name: .contentType, value: type)) }
        // The next step answers with the `Content-Type` fields it was given.
        let (response, _) = try await middleware.intercept(request, body: nil, metadata: ServerRequestMetadata(), operationID: operation) {
            request, _, _ in
            var response = HTTPResponse(status: .ok)
            for field in request.headerFields where field.name == .contentType { response.headerFields.append(field) }
            return (response, nil)
        }
        return response.headerFields[values: .contentType]
    }

    @Test func theFirstTypeIsLeftOutAndEveryOtherPassesAsSent() async throws {
        for sent in [
            "application/merge-patch+json", "Application/Merge-Patch+JSON", "application/merge-patch+json; charset=utf-8",
            "application/merge-patch+json;", "APPLICATION/MERGE-PATCH+JSON;charset=UTF-8",
        ] {
            #expect(try await passed([sent]) == [], "\(sent)")
        }
        for sent in [
            "application/json", "application/merge-patch+jsonx", "application/merge-patch+jso", "application/merge-patch +json",
            "application/merge-patch", "", "application/merge-patch\u{130}json",
        ] {
            #expect(try await passed([sent]) == [sent], "\(sent)")
        }
        // Two fields, or an operation the table does not name: the generated code decides.
        #expect(try await passed(["application/merge-patch+json", "application/merge-patch+json"]).count == 2)
        #expect(try await passed(["application/merge-patch+json"], operation: "createTask") == ["application/merge-patch+json"])
        #expect(try await passed([]) == [])
    }
}
