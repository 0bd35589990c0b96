/// Hexadecimal digits: the one place Taskport makes them (lower-case: key hashes, signatures,
/// UUIDs and the journal's escapes) and reads them (UUIDs, JSON's `\u` escapes).
public enum Hexadecimal {
    /// The value of one digit, in either case; nil for any other byte.
    @inline(__always) public static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The two digits of `byte`, high first.
    @inline(__always) static func digits(_ byte: UInt8) -> (high: UInt8, low: UInt8) {
        (digit(byte >> 4), digit(byte & 0x0F))
    }

    /// For every byte, its two digits as they lie in memory (high digit first), read as a `UInt16`:
    /// text with many digits in a row (a UUID) is written a byte's pair at a time.
    static let pairs: [UInt16] = (0...255).map { byte in
        let digits = digits(UInt8(byte))
        return UInt16(littleEndian: UInt16(digits.high) | UInt16(digits.low) << 8)
    }

    @inline(__always) private static func digit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}

extension Sequence<UInt8> {
    /// Lower-case hexadecimal, two digits per byte (the form key hashes and signatures are stored and sent in).
    public var hexadecimal: String {
        var text: [UInt8] = []
        text.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            let digits = Hexadecimal.digits(byte)
            text.append(digits.high)
            text.append(digits.low)
        }
        return String(decoding: text, as: UTF8.self)
    }
}
