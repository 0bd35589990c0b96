import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskportCore
import TaskportHTTP
@testable import TaskportSQLite
import TaskportServer
import Testing

/// The harness plus what a Nexudus client works with: an administrator named as in the seed,
/// businesses in two time zones, customers, and bearer tokens.
struct NexudusFixture {
    let h: Harness
    let admin: User
    let london: Business
    let newYork: Business
    let customer: Account
    let otherCustomer: Account
    let tokens: TokenAuthority
    let adminToken: String
    /// A business, customer and user of the other tenant, by number.
    let strangerBusiness: Business
    let strangerCustomer: Account

    static func make() async throws -> NexudusFixture {
        let h = try await Harness.make()
        let store = h.store
        let admin = try await store.createUser(in: h.tenant.id, email: "admin@example.com", name: "Admin", roles: ["admin"])
        let london = try await store.createBusiness(named: "London", timeZone: "Europe/London", in: h.tenant.id)
        let newYork = try await store.createBusiness(named: "New York", timeZone: "America/New_York", in: h.tenant.id)
        let customer = try await store.createAccount(named: "Acme Corp", in: h.tenant.id)
        let otherCustomer = try await store.createAccount(named: "Globex", in: h.tenant.id)
        let globex = try #require(try await store.tenant(named: "globex"))
        let strangerBusiness = try await store.createBusiness(named: "Berlin", timeZone: "Europe/Berlin", in: globex.id)
        let strangerCustomer = try await store.createAccount(named: "Initech", in: globex.id)
        let tokens = try await TokenAuthority.load(from: store)
        let adminToken = try await tokens.issue(for: Principal(tenantID: h.tenant.id, user: admin), lifetime: 600)
        return NexudusFixture(
            h: h, admin: admin, london: london, newYork: newYork, customer: customer, otherCustomer: otherCustomer,
            tokens: tokens, adminToken: adminToken, strangerBusiness: strangerBusiness, strangerCustomer: strangerCustomer
        )
    }

    func token(for user: User, lifetime: TimeInterval = 600, now: Date = Date()) async throws -> String {
        try await tokens.issue(for: Principal(tenantID: user.tenantID, user: user), lifetime: lifetime, now: now)
    }

    /// The required fields of a valid body, plus `extra` members (JSON text without braces).
    func body(id: Int64? = nil, name: String = "Call the customer", business: Business? = nil, _ extra: String = "") -> String {
        var members = [
            #""BusinessId": \#((business ?? london).number)"#, #""CoworkerId": \#(customer.number)"#,
            #""Name": "\#(name)""#, #""ResponsibleId": \#(admin.number)"#,
        ]
        if let id { members.append(#""Id": \#(id)"#) }
        if !extra.isEmpty { members.append(extra) }
        return "{" + members.joined(separator: ", ") + "}"
    }

    func run(_ test: @Sendable (NexudusClient) async throws -> Void) async throws {
        try await h.run { native in try await test(NexudusClient(client: native.client, token: adminToken, native: native)) }
    }
}

struct NexudusClient: Sendable {
    let client: any TestClientProtocol
    let token: String?
    let native: NativeClient

    func send(
        _ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, token: String? = nil,
        contentType: String = "application/json", headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        // An empty token sends no Authorization header at all.
        if let token = token ?? self.token, !token.isEmpty { headers[.authorization] = "Bearer \(token)" }
        if body != nil { headers[.contentType] = contentType }
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// POSTs a task and returns its new Id.
    func create(_ body: String) async throws -> Int64 {
        let response = try await send(.post, "/api/crm/coworkertasks", body)
        #expect(response.status == .ok)
        let value = try #require(try response.object()["Value"] as? [String: Any])
        return try #require((value["Id"] as? NSNumber)?.int64Value)
    }

    func get(_ id: Int64) async throws -> [String: Any] {
        let response = try await send(.get, "/api/crm/coworkertasks/\(id)")
        #expect(response.status == .ok)
        return try response.object()
    }
}

extension TestResponse {
    /// Asserts the Nexudus error envelope with this status and returns its failing fields as
    /// `Property: message` lines (or the message, when no field is named).
    @discardableResult
    func nexudusError(_ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        #expect(self.status == status, sourceLocation: sourceLocation)
        let object = try self.object()
        #expect(object.keys.sorted() == ["Errors", "Message", "Value", "WasSuccessful"], sourceLocation: sourceLocation)
        #expect(object["Value"] is NSNull, sourceLocation: sourceLocation)
        #expect(object["WasSuccessful"] as? Bool == false, sourceLocation: sourceLocation)
        let message = try #require(object["Message"] as? String, sourceLocation: sourceLocation)
        let errors = try #require(object["Errors"] as? [[String: Any]], sourceLocation: sourceLocation)
        if errors.isEmpty { return [message] }
        let lines = errors.map { "\($0["PropertyName"] as? String ?? "?"): \($0["Message"] as? String ?? "?")" }
        #expect(message == lines.joined(separator: "\n"), sourceLocation: sourceLocation)
        return lines
    }

    func json() throws -> NSDictionary {
        try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? NSDictionary)
    }
}

func jsonObject(_ text: String) throws -> NSDictionary {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSDictionary)
}

@Suite("Nexudus over HTTP")
struct NexudusAPITests {
    static let seedRequest = """
        {
        "BusinessId": 0,
        "CoworkerId": 0,
        "Name": "",
        "ResponsibleId": 0,
        "Id": 87654321
        }
        """

    @Test func theSeedsRequestAndBothResponses() async throws {
        let f = try await NexudusFixture.make()
        // The vendor's example names record 87654321: make it the next task number.
        try await TestBackend.setNextTaskNumber(87654321, in: f.h.store)
        try await f.run { api in
            let refused = try await api.send(.put, "/api/crm/coworkertasks", Self.seedRequest)
            #expect(refused.status == .badRequest)
            #expect(try refused.json() == jsonObject(#"""
                {"Message": "Name: is a required field", "Value": null,
                 "Errors": [{"AttemptedValue": null, "Message": "is a required field", "PropertyName": "Name"}],
                 "WasSuccessful": false}
                """#))

            let id = try await api.create(f.body(name: "Call Acme"))
            #expect(id == 87654321)
            let updated = try await api.send(.put, "/api/crm/coworkertasks", f.body(id: id, name: "Call Acme back"))
            #expect(updated.status == .ok)
            let answer = try updated.json()
            let updatedOn = try #require(answer["UpdatedOn"] as? String)
            #expect(answer == (try jsonObject("""
                {"Status": 200, "Message": "CoworkerTask was successfully updated.", "Value": {"Id": 87654321},
                 "OpenInDialog": false, "OpenInWindow": false, "RedirectURL": null, "JavaScript": null,
                 "UpdatedOn": "\(updatedOn)", "UpdatedBy": "admin@example.com", "Errors": null, "WasSuccessful": true}
                """)))
            let record = try await api.get(id)
            #expect(record["UpdatedOn"] as? String == updatedOn)
            #expect(Timestamp(rfc3339: updatedOn) != nil)
            #expect(record["Name"] as? String == "Call Acme back")
        }
    }

    @Test func createAnswersTheCreatedEnvelopeAndTheRecordShowsEveryField() async throws {
        let f = try await NexudusFixture.make()
        try await f.run { api in
            let created = try await api.send(
                .post, "/api/crm/coworkertasks",
                f.body(
                    name: "Welcome pack",
                    #""Notes": "Keys and badge", "TaskItemUniqueId": "onboarding-3", "Completed": false, "DueDate": "2026-01-15T10:30:00Z", "Reminded": false, "NotifyByEmail": true, "DisplayToEveryone": true, "SystemId": "erp-17", "Id": 999"#
                )
            )
            #expect(created.status == .ok)
            let answer = try created.object()
            #expect(answer["Message"] as? String == "CoworkerTask was successfully created.")
            #expect(answer["UpdatedBy"] as? String == "admin@example.com")
            let id = try #require(((answer["Value"] as? [String: Any])?["Id"] as? NSNumber)?.int64Value)
            #expect(id != 999, "Id is generated; a client's Id on create is ignored")
            let record = try await api.get(id)
            #expect(record.keys.sorted() == [
                "BusinessId", "Completed", "CoworkerId", "CreatedOn", "DisplayToEveryone", "DueDate", "DueDateLocal", "Id",
                "Name", "Notes", "NotifyByEmail", "Reminded", "ResponsibleId", "SystemId", "TaskItemUniqueId", "TaskListName",
                "UniqueId", "UpdatedBy", "UpdatedOn",
            ])
            #expect((record["BusinessId"] as? NSNumber)?.int64Value == f.london.number)
            #expect((record["CoworkerId"] as? NSNumber)?.int64Value == f.customer.number)
            #expect((record["ResponsibleId"] as? NSNumber)?.int64Value == f.admin.number)
            #expect(record["Notes"] as? String == "Keys and badge")
            #expect(record["TaskItemUniqueId"] as? String == "onboarding-3")
            #expect(record["SystemId"] as? String == "erp-17")
            #expect(record["NotifyByEmail"] as? Bool == true)
            #expect(record["DisplayToEveryone"] as? Bool == true)
            #expect(record["DueDate"] as? String == "2026-01-15T10:30:00Z")
            #expect(record["DueDateLocal"] as? String == "2026-01-15T10:30:00")
            #expect(record["TaskListName"] is NSNull)
            #expect(record["UpdatedBy"] as? String == "admin@example.com")
        }
    }

    @Test func everyFailingFieldIsListedAndNothingChanges() async throws {
        let f = try await NexudusFixture.make()
        try await f.run { api in
            let id = try await api.create(f.body())
            let before = try await api.get(id)
            let wrong = #"{"Id": \#(id), "BusinessId": "x", "CoworkerId": 1.5, "Name": 7, "Completed": "yes", "DueDate": "tomorrow", "DueDateLocal": "2026-01-15T10:30:00Z", "Notes": ["a"]}"#
            let response = try await api.send(.put, "/api/crm/coworkertasks", wrong)
            #expect(try response.nexudusError(.badRequest) == [
                "BusinessId: must be a whole number", "CoworkerId: must be a whole number", "Name: must be a string",
                "ResponsibleId: is a required field", "Notes: must be a string", "Completed: must be true or false",
                "DueDate: is not a date-time such as 2025-01-15T10:30:00Z",
                "DueDateLocal: is not a local date-time such as 2025-01-15T10:30:00",
            ])
            let errors = try #require(try response.object()["Errors"] as? [[String: Any]])
            #expect(errors[0]["AttemptedValue"] as? String == "x")
            #expect(errors[3]["AttemptedValue"] is NSNull)
            #expect(try await api.send(.put, "/api/crm/coworkertasks", #"{"Name": "x"}"#).nexudusError(.badRequest) == [
                "Id: is a required field", "BusinessId: is a required field", "CoworkerId: is a required field",
                "ResponsibleId: is a required field",
            ])
            #expect(try await api.send(.post, "/api/crm/coworkertasks", f.body(name: String(repeating: "n", count: 501))).nexudusError(.badRequest) == [
                "Name: must be at most 500 characters"
            ])
            let after = try await api.get(id)
            #expect(after["UpdatedOn"] as? String == before["UpdatedOn"] as? String)
            #expect(try await f.h.store.history(of: .number(id), in: f.h.tenant.id)?.count == 1)
        }
    }

    @Test func malformedBodiesAreTheEnvelopeToo() async throws {
        let f = try await NexudusFixture.make()
        try await f.run { api in
            for body in ["", "[1]", "{\"Name\":", "\"text\""] {
                let lines = try await api.send(.put, "/api/crm/coworkertasks", body).nexudusError(.badRequest)
                #expect(!lines.isEmpty && !lines[0].isEmpty, "\(body)")
            }
            try await api.send(.post, "/api/crm/coworkertasks", "Name=x", contentType: "application/x-www-form-urlencoded")
                .nexudusError(.unsupportedMediaType)
            let huge = f.body(#""Notes": "\#(String(repeating: "a", count: BodyLimit.maximumBytes))""#)
            try await api.send(.post, "/api/crm/coworkertasks", huge).nexudusError(.contentTooLarge)
            try await api.send(.patch, "/api/crm/coworkertasks", "{}").nexudusError(.methodNotAllowed)
            #expect(try await f.h.store.count(matching: TaskQuery(), in: f.h.tenant.id) == 0)
        }
    }

    @Test func idsMustNameABusinessCustomerAndUserOfTheTenant() async throws {
        let f = try await NexudusFixture.make()
        try await f.run { api in
            let id = try await api.create(f.body())
            let foreign = #"{"Id": \#(id), "BusinessId": \#(f.strangerBusiness.number), "CoworkerId": \#(f.strangerCustomer.number), "Name": "x", "ResponsibleId": 999999}"#
            let response = try await api.send(.put, "/api/crm/coworkertasks", foreign)
            #expect(try response.nexudusError(.badRequest) == [
                "BusinessId: does not name a business", "CoworkerId: does not name a customer",
                "ResponsibleId: does not name an admin user",
            ])
            let errors = try #require(try response.object()["Errors"] as? [[String: Any]])
            #expect((errors[0]["AttemptedValue"] as? NSNumber)?.int64Value == f.strangerBusiness.number)
            // Unknown and foreign task ids are not found, on every route.
            let stranger = f.h.strangerTask.number
            try await api.send(.put, "/api/crm/coworkertasks", f.body(id: 87654321)).nexudusError(.notFound)
            try await api.send(.put, "/api/crm/coworkertasks", f.body(id: stranger)).nexudusError(.notFound)
            // A task that is not there is not found before the ids it names are checked.
            try await api.send(.put, "/api/crm/coworkertasks", f.body(id: 87654321, business: f.strangerBusiness)).nexudusError(.notFound)
            try await api.send(.get, "/api/crm/coworkertasks/\(stranger)").nexudusError(.notFound)
            try await api.send(.delete, "/api/crm/coworkertasks/\(stranger)").nexudusError(.notFound)
            try await api.send(.get, "/api/crm/coworkertasks/abc").nexudusError(.badRequest)
            #expect(try await f.h.store.task(.number(stranger), in: f.h.strangerTask.tenantID)?.version == 1)
        }
    }

    @Test func optionalFieldsLeftOutKeepTheirValuesAndNullClearsThem() async throws {
        let f = try await NexudusFixture.make()
        try await f.run { api in
            let id = try await api.create(f.body(#""Notes": "Bring the contract", "Completed": true, "SystemId": "erp-1", "DueDate": "2026-05-01T08:00:00Z""#))
            #expect(try await api.send(.put, "/api/crm/coworkertasks", f.body(id: id, name: "Renamed")).status == .ok)
            var record = try await api.get(id)
            #expect(record["Name"] as? String == "Renamed")
            #expect(record["Notes"] as? String == "Bring the contract")
            #expect(record["Completed"] as? Bool == true)
            #expect(record["SystemId"] as? String == "erp-1")
            #expect(record["DueDate"] as? String == "2026-05-01T08:00:00Z")
            #expect(try await api.send(.put, "/api/crm/coworkertasks", f.body(id: id, name: "Renamed", #""Notes": null, "SystemId": "", "DueDate": null"#)).status == .ok)
            record = try await api.get(id)
            #expect(record["Notes"] is NSNull)
            #expect(record["SystemId"] is NSNull)
            #expect(record["DueDate"] is NSNull)
            #expect(record["DueDateLocal"] is NSNull)
            #expect(record["Completed"] as? Bool == true)
        }
    }

    @Test func localDueDatesFollowTheBusinessAcrossDaylightSaving() async throws {
        let f = try await NexudusFixture.make()
        try await f.run { api in
            // 01:30 does not exist in London on 29 March 2026: read with GMT, it is 02:30 BST.
            let gap = try await api.create(f.body(#""DueDateLocal": "2026-03-29T01:30:00""#))
            var record = try await api.get(gap)
            #expect(record["DueDate"] as? String == "2026-03-29T01:30:00Z")
            #expect(record["DueDateLocal"] as? String == "2026-03-29T02:30:00")
            // 01:30 happens twice in London on 25 October 2026: the first, in BST.
            let overlap = try await api.create(f.body(#""DueDateLocal": "2026-10-25T01:30:00""#))
            #expect(try await api.get(overlap)["DueDate"] as? String == "2026-10-25T00:30:00Z")
            // UTC in, local out, on both sides of a change.
            let summer = try await api.create(f.body(#""DueDate": "2026-10-24T12:00:00Z""#))
            #expect(try await api.get(summer)["DueDateLocal"] as? String == "2026-10-24T13:00:00")
            let winter = try await api.create(f.body(#""DueDate": "2026-10-26T12:00:00""#))
            #expect(try await api.get(winter)["DueDateLocal"] as? String == "2026-10-26T12:00:00")

            // Moving to New York keeps the instant and shows it on New York's clock, even when the
            // client sends back the whole record it read.
            record = try await api.get(gap)
            var moved = record
            moved["BusinessId"] = f.newYork.number
            #expect(try await api.send(.put, "/api/crm/coworkertasks", Self.text(moved)).status == .ok)
            record = try await api.get(gap)
            #expect(record["DueDate"] as? String == "2026-03-29T01:30:00Z")
            #expect(record["DueDateLocal"] as? String == "2026-03-28T21:30:00")
            // Changing only DueDateLocal in a whole record moves the due date.
            moved = record
            moved["DueDateLocal"] = "2026-03-29T09:00:00"
            #expect(try await api.send(.put, "/api/crm/coworkertasks", Self.text(moved)).status == .ok)
            record = try await api.get(gap)
            #expect(record["DueDate"] as? String == "2026-03-29T13:00:00Z")
            // Both changed, and they disagree: refused.
            moved = record
            moved["DueDate"] = "2026-04-01T10:00:00Z"
            moved["DueDateLocal"] = "2026-04-01T10:00:00"
            #expect(try await api.send(.put, "/api/crm/coworkertasks", Self.text(moved)).nexudusError(.badRequest) == [
                "DueDateLocal: does not match DueDate in the business's time zone (America/New_York)"
            ])
            #expect(try await api.get(gap)["DueDate"] as? String == "2026-03-29T13:00:00Z")
        }
    }

    @Test func aStaleUpdatedOnIsRefusedAndChangesNothing() async throws {
        let f = try await NexudusFixture.make()
        try await f.run { api in
            let id = try await api.create(f.body())
            let read = try await api.get(id)
            var first = read
            first["Name"] = "First writer"
            #expect(try await api.send(.put, "/api/crm/coworkertasks", Self.text(first)).status == .ok)
            var second = read
            second["Name"] = "Second writer"
            try await api.send(.put, "/api/crm/coworkertasks", Self.text(second)).nexudusError(.conflict)
            #expect(try await api.get(id)["Name"] as? String == "First writer")
            second["UpdatedOn"] = "not a time"
            #expect(try await api.send(.put, "/api/crm/coworkertasks", Self.text(second)).nexudusError(.badRequest) == [
                "UpdatedOn: is not a date-time as the record showed it"
            ])
        }
    }

    @Test func passwordAndRefreshTokenGrants() async throws {
        let f = try await NexudusFixture.make()
        try await f.h.store.setPasswordHash(try await hashed("s3cret-passw0rd"), for: f.admin.id, in: f.h.tenant.id)
        try await f.run { api in
            func token(_ form: String) async throws -> TestResponse {
                try await api.send(.post, "/api/token", form, token: "", contentType: "application/x-www-form-urlencoded")
            }
            let issued = try await token("grant_type=password&username=admin%40example.com&password=s3cret-passw0rd")
            #expect(issued.status == .ok)
            let pair = try issued.object()
            #expect(pair["token_type"] as? String == "bearer")
            #expect(pair["expires_in"] as? Int == 3600)
            let access = try #require(pair["access_token"] as? String)
            let refresh = try #require(pair["refresh_token"] as? String)
            #expect(try await api.send(.get, "/api/crm/coworkertasks", token: access).status == .ok)

            let renewed = try await token("grant_type=refresh_token&refresh_token=\(refresh)")
            #expect(renewed.status == .ok)
            let newAccess = try #require(try renewed.object()["access_token"] as? String)
            #expect(try await api.send(.get, "/api/crm/coworkertasks", token: newAccess).status == .ok)

            func oauthError(_ response: TestResponse) throws -> String? {
                #expect(response.status == .badRequest)
                return try response.object()["error"] as? String
            }
            #expect(try oauthError(try await token("grant_type=refresh_token&refresh_token=\(refresh)")) == "invalid_grant")
            #expect(try oauthError(try await token("grant_type=password&username=admin%40example.com&password=wrong")) == "invalid_grant")
            #expect(try oauthError(try await token("grant_type=password&username=nobody%40example.com&password=x")) == "invalid_grant")
            #expect(try oauthError(try await token("grant_type=password&username=admin%40example.com")) == "invalid_request")
            #expect(try oauthError(try await token("grant_type=client_credentials")) == "unsupported_grant_type")
            #expect(try oauthError(try await token("username=admin%40example.com")) == "invalid_request")
            let json = try await api.send(.post, "/api/token", #"{"grant_type":"password"}"#, token: "")
            #expect(json.status == .unsupportedMediaType)
            #expect(try json.object()["error"] as? String == "invalid_request")
        }
    }

    @Test func missingExpiredAndNeverIssuedTokensAre401() async throws {
        let f = try await NexudusFixture.make()
        let expired = try await f.token(for: f.admin, lifetime: 60, now: Date().addingTimeInterval(-3600))
        let foreignKey = try await TokenAuthority(key: .init(size: .bits256))
        let forged = try await foreignKey.issue(for: Principal(tenantID: f.h.tenant.id, user: f.admin), lifetime: 600)
        try await f.run { api in
            let missing = try await api.send(.get, "/api/crm/coworkertasks", token: "")
            try missing.nexudusError(.unauthorized)
            #expect(missing.headers[.wwwAuthenticate] == "Bearer")
            for token in [expired, forged, "not-a-token"] {
                let refused = try await api.send(.put, "/api/crm/coworkertasks", f.body(id: 1), token: token)
                try refused.nexudusError(.unauthorized)
                #expect(refused.headers[.wwwAuthenticate] == #"Bearer error="invalid_token""#)
            }
        }
    }

    @Test func eachOperationNeedsItsRoleOrFullAdministrator() async throws {
        let f = try await NexudusFixture.make()
        var tokens: [String: String] = [:]
        for role in ["CoworkerTask-List", "CoworkerTask-Read", "CoworkerTask-Create", "CoworkerTask-Edit", "CoworkerTask-Delete"] {
            let user = try await f.h.store.createUser(in: f.h.tenant.id, email: "\(role.lowercased())@example.com", name: role, roles: [role])
            tokens[role] = try await f.token(for: user)
        }
        // A user who holds no task role is a member, who may do everything to tasks (docs/roles.md).
        let member = try await f.h.store.createUser(in: f.h.tenant.id, email: "member@example.com", name: "Member", roles: ["agent"])
        let memberToken = try await f.token(for: member)
        let allTokens = tokens
        try await f.run { api in
            let id = try await api.create(f.body())
            let operations: [(role: String, method: HTTPRequest.Method, path: String, body: String?)] = [
                ("CoworkerTask-List", .get, "/api/crm/coworkertasks", nil),
                ("CoworkerTask-Read", .get, "/api/crm/coworkertasks/\(id)", nil),
                ("CoworkerTask-Create", .post, "/api/crm/coworkertasks", f.body()),
                ("CoworkerTask-Edit", .put, "/api/crm/coworkertasks", f.body(id: id, name: "Edited")),
                ("CoworkerTask-Delete", .delete, "/api/crm/coworkertasks/\(id)", nil),
            ]
            for operation in operations {
                for (role, token) in allTokens where role != operation.role {
                    let refused = try await api.send(operation.method, operation.path, operation.body, token: token)
                    let message = try refused.nexudusError(.forbidden)
                    #expect(message == ["The authenticated user must be a full unrestricted administrator or have the \(operation.role) role"])
                }
                let allowed = try await api.send(operation.method, operation.path, operation.body, token: allTokens[operation.role])
                #expect(allowed.status == .ok, "\(operation.role)")
            }
            try await api.send(.get, "/api/crm/coworkertasks/\(id)").nexudusError(.notFound)
            #expect(try await api.send(.get, "/api/crm/coworkertasks", token: memberToken).status == .ok)
        }
    }

    @Test func listPagesOrdersAndFilters() async throws {
        let f = try await NexudusFixture.make()
        try await f.run { api in
            for (name, day, coworker) in [("Charlie", 3, f.customer), ("alpha", 1, f.otherCustomer), ("Bravo", 2, f.customer)] {
                let body = #"{"BusinessId": \#(f.london.number), "CoworkerId": \#(coworker.number), "Name": "\#(name)", "ResponsibleId": \#(f.admin.number), "DueDate": "2026-02-0\#(day)T09:00:00Z"}"#
                _ = try await api.create(body)
            }
            _ = try await api.native.create(#"{"title":"Made natively"}"#)
            func list(_ query: String) async throws -> [String: Any] {
                let response = try await api.send(.get, "/api/crm/coworkertasks" + query)
                #expect(response.status == .ok)
                return try response.object()
            }
            func names(_ page: [String: Any]) -> [String] {
                (page["Records"] as? [[String: Any]] ?? []).compactMap { $0["Name"] as? String }
            }
            let first = try await list("?size=2&orderby=DueDate&dir=Descending&CoworkerTask_Business=\(f.london.number)")
            #expect(names(first) == ["Charlie", "Bravo"])
            #expect(first["TotalItems"] as? Int == 3)
            #expect(first["TotalPages"] as? Int == 2)
            #expect(first["HasNextPage"] as? Bool == true)
            #expect(first["HasPreviousPage"] as? Bool == false)
            #expect(first["FirstItem"] as? Int == 1)
            #expect(first["LastItem"] as? Int == 2)
            #expect(first["CurrentSortDirection"] as? String == "Descending")
            let second = try await list("?size=2&page=2&orderby=DueDate&dir=Descending&CoworkerTask_Business=\(f.london.number)")
            #expect(names(second) == ["alpha"])
            #expect(second["HasNextPage"] as? Bool == false)
            #expect(second["FirstItem"] as? Int == 3)
            #expect(second["CurrentPageSize"] as? Int == 1)
            #expect(names(try await list("?orderby=Name")) == ["alpha", "Bravo", "Charlie", "Made natively"])
            #expect(names(try await list("?orderby=Name&CoworkerTask_Coworker=\(f.customer.number)")) == ["Bravo", "Charlie"])
            #expect(names(try await list("?CoworkerTask_Name=LPH")) == ["alpha"])
            #expect(names(try await list("?CoworkerTask_Responsible=\(f.admin.number)&CoworkerTask_Completed=false&orderby=Id")) == ["Charlie", "alpha", "Bravo"])
            #expect(names(try await list("?CoworkerTask_Coworker=\(f.strangerCustomer.number)")).isEmpty)
            let defaults = try await list("")
            #expect(defaults["PageSize"] as? Int == 25)
            #expect(defaults["CurrentOrderField"] as? String == "DueDate")
            let beyond = try await list("?page=3&size=2")
            #expect(names(beyond).isEmpty)
            #expect(beyond["FirstItem"] as? Int == 0)
            #expect(beyond["LastItem"] as? Int == 0)
            #expect(beyond["HasPreviousPage"] as? Bool == true)
            try await api.send(.get, "/api/crm/coworkertasks?size=0").nexudusError(.badRequest)
            try await api.send(.get, "/api/crm/coworkertasks?page=1000001").nexudusError(.badRequest)
            try await api.send(.get, "/api/crm/coworkertasks?orderby=Color").nexudusError(.badRequest)
            try await api.send(.get, "/api/crm/coworkertasks?CoworkerTask_Completed=maybe").nexudusError(.badRequest)
        }
    }

    @Test func aTaskMadeInNexudusIsReadAndUpdatedNativelyAndSeenBack() async throws {
        let f = try await NexudusFixture.make()
        try await f.run { api in
            let id = try await api.create(f.body(name: "Cross-surface", #""TaskItemUniqueId": "list-9", "DueDate": "2026-06-01T09:00:00Z""#))
            let native = try await api.native.send(.get, "/v1/tasks/\(id)")
            #expect(native.status == .ok)
            let task = try native.object()
            #expect(task["title"] as? String == "Cross-surface")
            #expect(task["listItemId"] as? String == "list-9")
            #expect(task["scopeId"] as? String == f.london.scopeID)
            #expect(task["subjectId"] as? String == f.customer.subjectID)
            #expect(task["timeZone"] as? String == "Europe/London")
            #expect(task["dueAt"] as? String == "2026-06-01T09:00:00.000000Z")
            let etag = try #require(native.headers[.eTag])
            #expect(try await api.native.patch("/v1/tasks/\(id)", #"{"title":"Renamed natively","completed":true}"#, ifMatch: etag).status == .ok)
            let seen = try await api.get(id)
            #expect(seen["Name"] as? String == "Renamed natively")
            #expect(seen["Completed"] as? Bool == true)
            #expect(seen["UpdatedBy"] as? String == f.h.alice.email)
            #expect(seen["DueDateLocal"] as? String == "2026-06-01T10:00:00")
            let history = try #require(try await f.h.store.history(of: .number(id), in: f.h.tenant.id))
            #expect(history.map(\.actor.surface) == ["nexudus", "native"])
        }
    }

    @Test func deleteRemovesTheTaskEverywhere() async throws {
        let f = try await NexudusFixture.make()
        try await f.run { api in
            let id = try await api.create(f.body())
            let deleted = try await api.send(.delete, "/api/crm/coworkertasks/\(id)")
            #expect(deleted.status == .ok)
            #expect(try deleted.object()["Message"] as? String == "CoworkerTask was successfully deleted.")
            try await api.send(.get, "/api/crm/coworkertasks/\(id)").nexudusError(.notFound)
            try await api.send(.delete, "/api/crm/coworkertasks/\(id)").nexudusError(.notFound)
            #expect(try await api.native.send(.get, "/v1/tasks/\(id)").status == .notFound)
        }
    }

    /// A record read from the API, written back as a PUT body.
    static func text(_ record: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: record), as: UTF8.self)
    }
}
