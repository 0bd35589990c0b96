import Foundation
import NIOPosix
import TaskportCore

/// Signing in with an email and a password, for surfaces whose clients do (OAuth2's password grant).
public enum PasswordSignIn {
    /// The user whose email and password these are. Password hashes are slow on purpose, so they
    /// are checked on NIO's thread pool, never on an event loop or the concurrency pool. An email
    /// that no one signs in with costs one check as well, so timing does not tell which exist.
    public static func principal(email: String, password: String, in directory: any DirectoryStore) async throws -> Principal? {
        let logins = try await directory.passwordLogins(email: email)
        return try await NIOThreadPool.singleton.runIfActive {
            guard !logins.isEmpty else {
                _ = PasswordHash.verify(password, against: decoy)
                return nil
            }
            return logins.first { PasswordHash.verify(password, against: $0.passwordHash) }?.principal
        }
    }

    private static let decoy = (try? PasswordHash.make(UUID().uuidString)) ?? ""
}
