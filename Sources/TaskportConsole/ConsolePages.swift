import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import TaskportCore

/// The console's templates, loaded once from the binary's resources, and the HTML answers
/// made from them. Mustache escapes every value it shows: a task titled `<script>` is text.
struct ConsolePages: Sendable {
    let library: MustacheLibrary
    let stylesheet: String

    static let templates = ["layout", "sign-in", "error", "tasks", "task-form", "new", "task", "conflict", "delete", "admin", "user", "journal", "journal-entry"]

    enum LoadError: Error, CustomStringConvertible {
        case missing(String)
        var description: String {
            switch self {
            case .missing(let name): "the console resource \(name) is missing from the binary"
            }
        }
    }

    static func load() throws -> ConsolePages {
        var library = MustacheLibrary()
        for name in templates {
            guard let url = Bundle.module.url(forResource: name, withExtension: "mustache", subdirectory: "Resources/templates") else {
                throw LoadError.missing("\(name).mustache")
            }
            try library.register(String(contentsOf: url, encoding: .utf8), named: name)
        }
        guard let css = Bundle.module.url(forResource: "console", withExtension: "css", subdirectory: "Resources/static") else {
            throw LoadError.missing("console.css")
        }
        return ConsolePages(library: library, stylesheet: try String(contentsOf: css, encoding: .utf8))
    }

    /// A page for the signed-in `session` (nil on the sign-in form). A value that is nil is left
    /// out, so that the template's section for it does not show.
    func page(_ template: String, _ values: [String: Any?], session: ConsoleSession?, status: HTTPResponse.Status = .ok) -> Response {
        var context = values.compactMapValues { $0 }
        if let session {
            context["user"] = [
                "name": session.principal.user.name, "email": session.principal.user.email,
                "admin": session.principal.user.roles.contains("admin"), "csrf": session.csrfToken,
            ] as [String: Any]
            context["csrf"] = session.csrfToken
        }
        let html = library.render(context, withTemplate: template) ?? "<!doctype html><title>Taskport</title><p>The page could not be made.</p>"
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    func error(_ status: HTTPResponse.Status, _ message: String, session: ConsoleSession?) -> Response {
        page("error", ["heading": status.reasonPhrase, "message": message], session: session, status: status)
    }

    /// The answer to a form that worked: back to a page, as a GET (post/redirect/get).
    static func seeOther(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}
