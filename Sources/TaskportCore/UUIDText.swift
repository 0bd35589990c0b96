import Foundation

/// UUIDs as Taskport writes and reads them in text: hyphenated, 8-4-4-4-12 hex digits. Written
/// lower-case; read in either case, as Foundation reads them. Foundation's own `uuidString` and
/// `UUID(uuidString:)` go through `snprintf` and `sscanf`, which cost several thousand
/// instructions each: an update wrote or read a dozen of them.
extension UUID {
    /// The canonical text: lower-case and hyphenated.
    public var lowercasedText: String {
        String(unsafeUninitializedCapacity: 36) { text in
            guard let start = text.baseAddress else { return 0 }
            writeLowercased(to: start)
            return 36
        }
    }

    /// Writes `lowercasedText`'s 36 bytes at `text`, each byte's two digits at once.
    func writeLowercased(to text: UnsafeMutablePointer<UInt8>) {
        withUnsafeBytes(of: uuid) { bytes in
            Hexadecimal.pairs.withUnsafeBufferPointer { pairs in
                let raw = UnsafeMutableRawPointer(text)
                var at = 0
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        text[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    raw.storeBytes(of: pairs[Int(bytes[index])], toByteOffset: at, as: UInt16.self)
                    at += 2
                }
            }
        }
    }

    /// Reads `text` as a hyphenated UUID in either case; nil for anything else.
    public init?(text: some StringProtocol) {
        guard let parsed = text.utf8.withContiguousStorageIfAvailable(UUID.parse) ?? Array(text.utf8).withUnsafeBufferPointer(UUID.parse)
        else { return nil }
        self = parsed
    }

    private static func parse(_ text: UnsafeBufferPointer<UInt8>) -> UUID? {
        guard text.count == 36 else { return nil }
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let ok = withUnsafeMutableBytes(of: &bytes) { bytes -> Bool in
            var at = 0
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    guard text[at] == UInt8(ascii: "-") else { return false }
                    at += 1
                }
                guard let high = Hexadecimal.value(text[at]), let low = Hexadecimal.value(text[at + 1]) else { return false }
                bytes[index] = high << 4 | low
                at += 2
            }
            return true
        }
        return ok ? UUID(uuid: bytes) : nil
    }
}
