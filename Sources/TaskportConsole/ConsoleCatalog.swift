import Foundation
import Hummingbird
import TaskportCore

/// The admin page's forms for what Thena and Nexudus clients refer to: the allowed task types,
/// statuses and priorities (Thena's attributes), businesses with their time zones (Nexudus) and
/// accounts (Thena). An attribute made here has an empty configuration; `taskport attribute
/// create --configuration` sets one.
extension Console {
    func createAttribute(_ request: Request) async throws -> Response {
        let session = try administrator()
        var request = request
        let form = try await ConsoleForm.read(&request)
        let value = (form["value"] ?? "").trimmingCharacters(in: .whitespaces)
        guard let kind = TaskAttribute.Kind(rawValue: form["kind"] ?? ""), Self.isName(value) else {
            return try await admin(
                request, problem: "An attribute needs a kind (type, status or priority) and a value of 1 to 200 characters. Nothing was added.",
                status: .badRequest
            )
        }
        let tenantID = session.principal.tenantID
        if try await store.attributes(kind, in: tenantID).contains(where: { $0.value.caseInsensitiveCompare(value) == .orderedSame }) {
            return try await admin(request, problem: "The \(kind.rawValue) \(value) exists already. Nothing was added.", status: .conflict)
        }
        _ = try await store.createAttribute(kind, value: value, configuration: [:], in: tenantID)
        return try await admin(request, notice: "Thena clients may now set the \(kind.rawValue) \(value).")
    }

    func deleteAttribute(_ id: String) async throws -> Response {
        let session = try administrator()
        guard let id = UUID(text: id), try await store.deleteAttribute(id, in: session.principal.tenantID) else {
            throw TaskportError.notFound("No such attribute in this tenant")
        }
        return ConsolePages.seeOther("/console/admin")
    }

    func createBusiness(_ request: Request) async throws -> Response {
        let session = try administrator()
        var request = request
        let form = try await ConsoleForm.read(&request)
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        let zone = (form["zone"] ?? "").trimmingCharacters(in: .whitespaces)
        guard Self.isName(name), zone.count <= 100, TimeZoneName.zone(zone) != nil else {
            return try await admin(
                request, problem: "A business needs a name of 1 to 200 characters and an IANA time zone such as Europe/London. Nothing was added.",
                status: .badRequest
            )
        }
        let tenantID = session.principal.tenantID
        if try await store.businesses(in: tenantID).contains(where: { $0.name == name }) {
            return try await admin(request, problem: "A business named \(name) exists already. Nothing was added.", status: .conflict)
        }
        let business = try await store.createBusiness(named: name, timeZone: zone, in: tenantID)
        return try await admin(request, notice: "Business \(business.number), \(name), in \(zone).")
    }

    func createAccount(_ request: Request) async throws -> Response {
        let session = try administrator()
        var request = request
        let form = try await ConsoleForm.read(&request)
        let name = (form["name"] ?? "").trimmingCharacters(in: .whitespaces)
        guard Self.isName(name) else {
            return try await admin(request, problem: "An account needs a name of 1 to 200 characters. Nothing was added.", status: .badRequest)
        }
        let tenantID = session.principal.tenantID
        if try await store.accounts(in: tenantID).contains(where: { $0.name == name }) {
            return try await admin(request, problem: "An account named \(name) exists already. Nothing was added.", status: .conflict)
        }
        let account = try await store.createAccount(named: name, in: tenantID)
        return try await admin(request, notice: "Account \(account.number), \(name).")
    }
}
