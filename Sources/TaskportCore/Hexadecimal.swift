/// Lower-case hexadecimal digits, the one place Taskport makes them: key hashes, signatures,
/// UUIDs and the journal's escapes.
enum Hexadecimal {
    /// The two digits of `byte`, high first.
    @inline(__always) static func digits(_ byte: UInt8) -> (high: UInt8, low: UInt8) {
        (digit(byte >> 4), digit(byte & 0x0F))
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
