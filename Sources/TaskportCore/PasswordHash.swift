import Crypto
import Foundation
import _CryptoExtras

/// Passwords are stored as scrypt hashes (`$scrypt$ln=14,r=8,p=5$<salt>$<hash>`, base64), with
/// the cost written into each hash so that it can be raised later without breaking old ones.
/// At the default cost one hash takes tens of milliseconds and 16 MiB: run it off the event loop.
public enum PasswordHash {
    public struct Cost: Sendable, Hashable {
        /// log2 of scrypt's N.
        public var logRounds: Int
        public var blockSize: Int
        public var parallelism: Int

        public init(logRounds: Int, blockSize: Int, parallelism: Int) {
            self.logRounds = logRounds
            self.blockSize = blockSize
            self.parallelism = parallelism
        }

        /// One of OWASP's recommended scrypt settings (N = 2^14, r = 8, p = 5).
        public static let standard = Cost(logRounds: 14, blockSize: 8, parallelism: 5)
    }

    static let outputBytes = 32

    /// A new hash of `password` with a random 16-byte salt.
    public static func make(_ password: String, cost: Cost = .standard) throws -> String {
        let salt = SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }
        let derived = try derive(password, salt: salt, cost: cost)
        return "$scrypt$ln=\(cost.logRounds),r=\(cost.blockSize),p=\(cost.parallelism)$\(salt.base64EncodedString())$\(derived.base64EncodedString())"
    }

    /// Whether `password` is the one `stored` was made from. False for a hash in another format.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt",
            let cost = Cost(parts[2]), let salt = Data(base64Encoded: String(parts[3])),
            let expected = Data(base64Encoded: String(parts[4])),
            let derived = try? derive(password, salt: salt, cost: cost)
        else { return false }
        // Constant time: every byte is compared whatever the earlier ones were.
        guard derived.count == expected.count else { return false }
        return zip(derived, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func derive(_ password: String, salt: Data, cost: Cost) throws -> Data {
        let key = try KDF.Scrypt.deriveKey(
            from: Data(password.utf8), salt: salt, outputByteCount: outputBytes,
            rounds: 1 << cost.logRounds, blockSize: cost.blockSize, parallelism: cost.parallelism
        )
        return key.withUnsafeBytes { Data($0) }
    }
}

extension PasswordHash.Cost {
    /// Reads `ln=14,r=8,p=5`; nil for anything else or for a cost out of sane bounds.
    init?(_ text: Substring) {
        var values: [Substring: Int] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Int(parts[1]) else { return nil }
            values[parts[0]] = value
        }
        guard let ln = values["ln"], let r = values["r"], let p = values["p"],
            (1...20).contains(ln), (1...32).contains(r), (1...16).contains(p)
        else { return nil }
        self.init(logRounds: ln, blockSize: r, parallelism: p)
    }
}
