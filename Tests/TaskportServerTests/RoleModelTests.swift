import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TaskportCore
import TaskportServer
import Testing

/// One role model for every surface: a user who may only read tasks reads them everywhere and
/// changes them nowhere, whatever credential and surface they use.
@Suite("Roles hold on every surface")
struct RoleModelTests {
    @Test func aReadOnlyUserCanReadEverywhereAndChangeNothingAnywhere() async throws {
        let f = try await NexudusFixture.make()
        let h = f.h
        let reader = try await h.store.createUser(
            in: h.tenant.id, email: "reader@acme.test", name: "Reader", roles: ["CoworkerTask-List", "CoworkerTask-Read"]
        )
        let key = APIKeySecret.generate()
        try await h.store.addAPIKey(key, named: "reader", for: reader.id, in: h.tenant.id)
        let nexudusToken = try await f.token(for: reader)
        let rolloutCredentials = try await RolloutCredentials.mint(for: Principal(tenantID: h.tenant.id, user: reader), in: h.store, lifetime: 600)
        try await f.run { api in
            let native = NativeClient(client: api.client, key: key.plaintext)
            let task = try await api.native.create()
            let id = try #require(task["id"] as? String)
            let number = try #require(task["number"] as? Int)
            let rollout = RolloutClient(api.client, token: rolloutCredentials.token, credential: rolloutCredentials.credential.id.uuidString.lowercased())
            let thena = ThenaClient(client: api.client, key: key.plaintext)
            let maxsight = MaxsightClient(client: api.client, key: key.plaintext)

            for read in [
                try await native.send(.get, "/v1/tasks"), try await native.send(.get, "/v1/tasks/\(id)"),
                try await native.send(.get, "/v1/tasks/\(id)/history"), try await rollout.send(.get, "/tasks/\(id)"),
                try await thena.send(.get, "/v1/accounts/tasks/\(id)"), try await maxsight.send(.get, "/tasks/\(id)"),
                try await api.send(.get, "/api/crm/coworkertasks/\(number)", token: nexudusToken),
            ] {
                #expect(read.status == .ok)
            }

            try await native.patch("/v1/tasks/\(id)", #"{"title":"Changed"}"#).problem(.forbidden)
            try await native.send(.delete, "/v1/tasks/\(id)").problem(.forbidden)
            try await native.send(.post, "/v1/tasks", #"{"title":"New"}"#).problem(.forbidden)
            try await rollout.send(.put, "/tasks/\(id)", #"{"name":"Changed"}"#).rolloutError(.forbidden)
            try await rollout.send(.delete, "/tasks/\(id)").rolloutError(.forbidden)
            try await rollout.send(.post, "/tasks", #"{"name":"New"}"#).rolloutError(.forbidden)
            try await thena.send(.put, "/v1/accounts/tasks/\(id)", #"{"title":"Changed"}"#).thenaError(.forbidden)
            try await thena.send(.delete, "/v1/accounts/tasks/\(id)").thenaError(.forbidden)
            let assignment = #"{"update":{"assigned_by_id":"\#(reader.id)","assigned_to_id":"\#(h.bob.id)","assigned_to_type":"USER"}}"#
            try await maxsight.send(.put, "/tasks/\(id)/update-assignment", assignment, ifMatch: "*").maxsightError(.forbidden)
            try await api.send(.put, "/api/crm/coworkertasks", f.body(id: Int64(number), name: "Changed"), token: nexudusToken)
                .nexudusError(.forbidden)
            try await api.send(.delete, "/api/crm/coworkertasks/\(number)", token: nexudusToken).nexudusError(.forbidden)

            let after = try await api.native.send(.get, "/v1/tasks/\(id)").object()
            #expect(after["version"] as? Int == 1)
            #expect(try await api.native.send(.get, "/v1/tasks").object()["items"] as? [Any] != nil)
            #expect((try await api.native.send(.get, "/v1/tasks").object()["items"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test func theModel() {
        func user(_ roles: [String]) -> User { User(id: UUID(), tenantID: UUID(), email: "u@x.test", name: "U", roles: roles) }
        #expect(user(["admin"]).taskPermissions == Set(TaskPermission.allCases))
        #expect(user([]).taskPermissions == Set(TaskPermission.allCases))
        #expect(user(["agent"]).taskPermissions == Set(TaskPermission.allCases))
        #expect(user(["agent", "CoworkerTask-Read"]).taskPermissions == [.read])
        #expect(user(["admin", "CoworkerTask-Read"]).taskPermissions == Set(TaskPermission.allCases))
    }
}
