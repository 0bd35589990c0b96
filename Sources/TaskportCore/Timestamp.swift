import Foundation
import Synchronization

/// An instant with microsecond precision, stored as microseconds since the Unix epoch.
///
/// Taskport writes timestamps as RFC 3339 in UTC with six fractional digits
/// (`2026-11-23T08:07:58.123456Z`), so two changes in the same millisecond stay distinct
/// and a timestamp can serve as a version token.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) {
        self.microseconds = microseconds
    }

    public init(_ date: Date) {
        self.microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// The current wall-clock time.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microseconds: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000)
    }

    public var date: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    /// The smallest timestamp later than this one.
    public var next: Timestamp { Timestamp(microseconds: microseconds + 1) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.microseconds < rhs.microseconds }

    public var description: String { rfc3339 }

    // MARK: RFC 3339

    /// UTC, six fractional digits: `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    public var rfc3339: String { formatted(fractionDigits: 6) }

    /// UTC with the given number of fractional digits (0, 3 or 6), e.g. for dialects that show milliseconds.
    public func formatted(fractionDigits: Int, offsetSeconds: Int = 0) -> String {
        String(unsafeUninitializedCapacity: Self.longestText) { buffer in
            guard let start = buffer.baseAddress else { return 0 }
            return write(fractionDigits: fractionDigits, offsetSeconds: offsetSeconds, to: start)
        }
    }

    /// The numbers 0 to 99 as two decimal digits, as they lie in memory, read as a `UInt16`.
    private static let digitPairs: [UInt16] = (0..<100).map { value in
        UInt16(littleEndian: UInt16(UInt8(ascii: "0") + UInt8(value / 10)) | UInt16(UInt8(ascii: "0") + UInt8(value % 10)) << 8)
    }

    /// The most bytes `write` puts down: a year of up to twenty digits, six fractional digits and an offset.
    static let longestText = 48

    /// Writes `formatted(fractionDigits:offsetSeconds:)`'s text at `text` (room for `longestText`
    /// bytes) and returns its length: digits written straight into place, as strings in answers and
    /// into the compact JSON writer's text. Building them from padded pieces cost about 7,500
    /// instructions a timestamp.
    func write(fractionDigits: Int, offsetSeconds: Int, to text: UnsafeMutablePointer<UInt8>) -> Int {
        let local = microseconds + Int64(offsetSeconds) * 1_000_000
        let (days, microsOfDay) = local.floorDivided(by: 86_400_000_000)
        let (year, month, day) = CivilDate.fromDays(days)
        let secondsOfDay = Int(microsOfDay / 1_000_000)
        let fraction = Int(microsOfDay % 1_000_000)
        var end = 0
        let raw = UnsafeMutableRawPointer(text)
        let digitPairs = Self.digitPairs
        // `value` (below 10 to the `width`, `width` even), two digits at a time.
        @inline(__always) func digits(_ value: Int, _ width: Int) {
            var rest = value
            var position = end + width - 2
            while position >= end {
                raw.storeBytes(of: digitPairs[rest % 100], toByteOffset: position, as: UInt16.self)
                rest /= 100
                position -= 2
            }
            end += width
        }
        @inline(__always) func byte(_ character: Unicode.Scalar) {
            text[end] = UInt8(ascii: character)
            end += 1
        }
        if (0...9999).contains(year) {
            digits(year, 4)
        } else {
            // A year outside 0…9999 is written as `String` writes it, padded to four.
            let written = String(year)
            for _ in 0..<max(0, 4 - written.utf8.count) { byte("0") }
            for unit in written.utf8 {
                text[end] = unit
                end += 1
            }
        }
        byte("-"); digits(month, 2); byte("-"); digits(day, 2)
        byte("T"); digits(secondsOfDay / 3600, 2); byte(":"); digits(secondsOfDay / 60 % 60, 2); byte(":"); digits(secondsOfDay % 60, 2)
        switch fractionDigits {
        case 6: byte("."); digits(fraction, 6)
        case 3:
            byte(".")
            digits(fraction / 10_000, 2)
            text[end] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: fraction / 1000 % 10)
            end += 1
        default: break
        }
        if offsetSeconds == 0 {
            byte("Z")
        } else {
            let minutes = abs(offsetSeconds) / 60
            byte(offsetSeconds < 0 ? "-" : "+"); digits(minutes / 60 % 100, 2); byte(":"); digits(minutes % 60, 2)
        }
        return end
    }

    /// Parses an RFC 3339 date-time (`2026-03-29T01:30:00Z`, `…T03:30:00.5+02:00`).
    /// Fractions finer than a microsecond are truncated. Returns nil for anything else.
    public init?(rfc3339 text: some StringProtocol) {
        var scanner = DigitScanner(Array(text.utf8))
        guard let local = scanner.dateTime(), let offset = scanner.zoneOffset(), scanner.isAtEnd else { return nil }
        self.microseconds = local - Int64(offset) * 1_000_000
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "'\(text)' is not an RFC 3339 date-time such as 2026-01-31T09:30:00Z"
            )
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}

// MARK: Wall-clock times in a time zone

/// The time zones Taskport takes: names of the IANA database (`Europe/London`, `UTC`), not the
/// ad-hoc offsets (`GMT+14:01`) Foundation would also make a zone of. A name counts when
/// Foundation knows it and the system's zone database holds it.
public enum TimeZoneName {
    private static let known = Set(TimeZone.knownTimeZoneIdentifiers).union(["UTC", "GMT"])
    private static let database = "/usr/share/zoneinfo/"
    /// Names looked up in the database already; bounded, since clients choose the names.
    private static let seen = Mutex<[String: Bool]>([:])

    /// The zone with this IANA name, or nil when there is none.
    public static func zone(_ name: String) -> TimeZone? {
        guard isIANAName(name) else { return nil }
        return TimeZone(identifier: name)
    }

    static func isIANAName(_ name: String) -> Bool {
        if known.contains(name) { return true }
        guard (1...64).contains(name.utf8.count), !name.hasPrefix("/"), !name.contains(".."),
            name.utf8.allSatisfy({ $0 < 0x80 && ($0 == 0x2F || $0 == 0x5F || $0 == 0x2D || $0 == 0x2B || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)) })
        else { return false }
        if let answer = seen.withLock({ $0[name] }) { return answer }
        let answer = FileManager.default.fileExists(atPath: database + name) && TimeZone(identifier: name) != nil
        seen.withLock { cache in
            if cache.count < 4_096 { cache[name] = answer }
        }
        return answer
    }
}

extension Timestamp {
    /// UTC, with six fractional digits only when the instant is not a whole second.
    public var rfc3339Compact: String {
        formatted(fractionDigits: compactFractionDigits)
    }

    /// The fractional digits `rfc3339Compact` shows.
    var compactFractionDigits: Int { microseconds % 1_000_000 == 0 ? 0 : 6 }

    /// The wall-clock time in `zone` at this instant, without an offset: `2026-03-29T03:30:00`
    /// (six fractional digits only when the instant is not a whole second).
    public func wallClock(in zone: TimeZone) -> String {
        let local = Timestamp(microseconds: microseconds + Int64(Self.offset(of: zone, at: microseconds)) * 1_000_000)
        return String(local.rfc3339Compact.dropLast())
    }

    /// The instant a wall-clock time in `zone` stands for (`2026-03-29T01:30:00`, no offset, fractions
    /// allowed). A time the clocks skip when they go forward is read with the offset in force before
    /// the change, so it lands as far past the change as it was written past it (01:30 on the day
    /// London skips 01:00–02:00 is 02:30 BST); a time the clocks show twice when they go back is
    /// the first of the two. Nil for text that is not such a time.
    public init?(wallClock text: some StringProtocol, in zone: TimeZone) {
        var scanner = DigitScanner(Array(text.utf8))
        guard let wall = scanner.dateTime(), scanner.isAtEnd else { return nil }
        let aDay: Int64 = 86_400_000_000
        let before = Int64(Self.offset(of: zone, at: wall - aDay)) * 1_000_000
        let after = Int64(Self.offset(of: zone, at: wall + aDay)) * 1_000_000
        let early = wall - before
        let late = wall - after
        let earlyHolds = Int64(Self.offset(of: zone, at: early)) * 1_000_000 == before
        let lateHolds = Int64(Self.offset(of: zone, at: late)) * 1_000_000 == after
        switch (earlyHolds, lateHolds) {
        case (true, true): microseconds = min(early, late)
        case (false, true): microseconds = late
        default: microseconds = early
        }
    }

    /// Seconds east of UTC in `zone` at an instant given in microseconds.
    static func offset(of zone: TimeZone, at microseconds: Int64) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(microseconds.floorDivided(by: 1_000_000).quotient)))
    }
}

/// Proleptic Gregorian calendar arithmetic (Howard Hinnant's days-from-civil algorithm).
enum CivilDate {
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func fromDays(_ days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

private struct DigitScanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { index == bytes.count }

    mutating func number(_ width: Int) -> Int? {
        guard index + width <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[index..<index + width] {
            guard byte >= 48, byte <= 57 else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        index += width
        return value
    }

    mutating func take(_ options: Character...) -> Bool {
        guard index < bytes.count, options.contains(where: { $0.asciiValue == bytes[index] }) else { return false }
        index += 1
        return true
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]`, a real calendar date (years 0001 to 9999), as microseconds since the epoch on
    /// a clock with no offset; what follows it (an offset, or nothing) is the caller's to read.
    mutating func dateTime() -> Int64? {
        guard let year = number(4), year >= 1, take("-"), let month = number(2), take("-"), let day = number(2), take("T", "t"),
            let fields = timeOfDay(),
            (1...12).contains(month), (1...CivilDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        let days = Int64(CivilDate.days(year: year, month: month, day: day))
        let seconds = days * 86_400 + Int64(fields.hour * 3600 + fields.minute * 60 + fields.second)
        return seconds * 1_000_000 + Int64(fields.micros)
    }

    mutating func timeOfDay() -> (hour: Int, minute: Int, second: Int, micros: Int)? {
        guard let hour = number(2), take(":"), let minute = number(2), take(":"), let second = number(2),
            hour < 24, minute < 60, second < 60
        else { return nil }
        var micros = 0
        if take(".") {
            var digits = 0
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                if digits < 6 { micros = micros * 10 + Int(bytes[index] - 48) }
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 6) { micros *= 10 }
        }
        return (hour, minute, second, micros)
    }

    /// `Z` or `±HH:MM`, in seconds east of UTC.
    mutating func zoneOffset() -> Int? {
        if take("Z", "z") { return 0 }
        let sign: Int
        if take("+") { sign = 1 } else if take("-") { sign = -1 } else { return nil }
        guard let hours = number(2), take(":"), let minutes = number(2), hours < 24, minutes < 60 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, with a non-negative remainder.
    func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = self / divisor
        let remainder = self % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }
}

extension Duration {
    /// The whole microseconds of this duration, as timestamps count them.
    public var microseconds: Int64 {
        components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
    }
}
