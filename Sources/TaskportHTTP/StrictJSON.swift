import Foundation
import TaskportCore

/// The JSON every surface accepts: RFC 8259 exactly (no trailing commas, comments, `NaN` or
/// single quotes; valid UTF-8; no lone surrogates), no member named twice in one object, and
/// within `JSONLimits`. A body is checked whole before anything decodes it, so a value nothing
/// reads is held to the same rules as the rest.
public enum StrictJSON {
    /// What is wrong with a JSON text, and where.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        /// Where in the document: `body`, `metadata.a[2]`.
        public var path: String
        public var message: String

        public var description: String { "\(path): \(message)" }
    }

    /// Checks `bytes` as one JSON text; throws the first problem found.
    public static func check(_ bytes: some Collection<UInt8>) throws(Problem) {
        let array = Array(bytes)
        try array.withUnsafeBufferPointer { (buffer) throws(Problem) in
            var scanner = Scanner(bytes: buffer)
            try scanner.document()
        }
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        var path: [PathComponent] = []

        enum PathComponent {
            case member(String)
            case element(Int)
        }

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        func fail(_ message: String) -> Problem {
            var text = ""
            for component in path {
                switch component {
                case .member(let name): text += text.isEmpty ? name : "." + name
                case .element(let index): text += "[\(index)]"
                }
            }
            return Problem(path: text.isEmpty ? "body" : text, message: message)
        }

        func syntax(_ expected: String) -> Problem {
            guard index < bytes.count else { return fail("the JSON ends early; expected \(expected)") }
            let byte = bytes[index]
            let found = (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : String(format: "byte 0x%02X", byte)
            return fail("is not valid JSON: expected \(expected) at offset \(index), found \(found)")
        }

        mutating func document() throws(Problem) {
            skipWhitespace()
            try value(depth: 1)
            skipWhitespace()
            guard index == bytes.count else { throw syntax("the end of the body") }
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func value(depth: Int) throws(Problem) {
            guard index < bytes.count else { throw syntax("a value") }
            switch bytes[index] {
            case UInt8(ascii: "{"): try object(depth: depth)
            case UInt8(ascii: "["): try array(depth: depth)
            case UInt8(ascii: "\""): _ = try string(keepingText: false)
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw syntax("a value")
            }
        }

        mutating func literal(_ word: StaticString) throws(Problem) {
            let start = index
            for expected in UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount) {
                guard index < bytes.count, bytes[index] == expected else {
                    index = start
                    throw syntax("a value")
                }
                index += 1
            }
        }

        mutating func number() throws(Problem) {
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw syntax("a digit") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if index < bytes.count, isDigit(bytes[index]) { throw syntax("'.', 'e' or the end of the number") }
            } else {
                digits()
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw syntax("a digit after '.'") }
                digits()
            }
            if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, isDigit(bytes[index]) else { throw syntax("a digit in the exponent") }
                digits()
            }
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

        mutating func digits() {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }

        mutating func object(depth: Int) throws(Problem) {
            guard depth <= JSONLimits.depth else {
                throw fail("is nested deeper than \(JSONLimits.depth) levels of objects and arrays")
            }
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return
            }
            var names = Set<String>()
            while true {
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw syntax("a member name in double quotes") }
                let name = try string(keepingText: true)
                guard names.insert(name).inserted else {
                    throw fail("names the member \"\(name)\" twice")
                }
                guard names.count <= JSONLimits.members else {
                    throw fail("has more than \(JSONLimits.members) members")
                }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw syntax("':'") }
                index += 1
                skipWhitespace()
                path.append(.member(name))
                try value(depth: depth + 1)
                path.removeLast()
                skipWhitespace()
                guard index < bytes.count else { throw syntax("',' or '}'") }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return
                }
                guard bytes[index] == UInt8(ascii: ",") else { throw syntax("',' or '}'") }
                index += 1
                skipWhitespace()
            }
        }

        mutating func array(depth: Int) throws(Problem) {
            guard depth <= JSONLimits.depth else {
                throw fail("is nested deeper than \(JSONLimits.depth) levels of objects and arrays")
            }
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return
            }
            var count = 0
            while true {
                guard count < JSONLimits.elements else {
                    throw fail("has more than \(JSONLimits.elements) elements")
                }
                path.append(.element(count))
                try value(depth: depth + 1)
                path.removeLast()
                count += 1
                skipWhitespace()
                guard index < bytes.count else { throw syntax("',' or ']'") }
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return
                }
                guard bytes[index] == UInt8(ascii: ",") else { throw syntax("',' or ']'") }
                index += 1
                skipWhitespace()
            }
        }

        /// A string starting at the opening quote; its decoded text when `keepingText` (member names).
        mutating func string(keepingText: Bool) throws(Problem) -> String {
            index += 1
            let start = index
            var escaped = false
            var scalars = String.UnicodeScalarView()
            func keep(_ scalar: Unicode.Scalar) {
                if keepingText { scalars.append(scalar) }
            }
            while true {
                guard index < bytes.count else { throw fail("is not valid JSON: a string is not closed") }
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    guard keepingText else { return "" }
                    if !escaped { return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index - 1]), as: UTF8.self) }
                    return String(scalars)
                case UInt8(ascii: "\\"):
                    escaped = true
                    index += 1
                    guard index < bytes.count else { throw fail("is not valid JSON: a string is not closed") }
                    switch bytes[index] {
                    case UInt8(ascii: "\""): keep("\"")
                    case UInt8(ascii: "\\"): keep("\\")
                    case UInt8(ascii: "/"): keep("/")
                    case UInt8(ascii: "b"): keep("\u{8}")
                    case UInt8(ascii: "f"): keep("\u{C}")
                    case UInt8(ascii: "n"): keep("\n")
                    case UInt8(ascii: "r"): keep("\r")
                    case UInt8(ascii: "t"): keep("\t")
                    case UInt8(ascii: "u"):
                        index += 1
                        let unit = try hexUnit()
                        if (0xD800...0xDBFF).contains(unit) {
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw fail("holds a lone UTF-16 surrogate (\\u\(String(unit, radix: 16, uppercase: true)))")
                            }
                            index += 2
                            let low = try hexUnit()
                            guard (0xDC00...0xDFFF).contains(low) else {
                                throw fail("holds a lone UTF-16 surrogate (\\u\(String(unit, radix: 16, uppercase: true)))")
                            }
                            let value = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                            if let scalar = Unicode.Scalar(value) { keep(scalar) }
                        } else if let scalar = Unicode.Scalar(unit) {
                            keep(scalar)
                        } else {
                            throw fail("holds a lone UTF-16 surrogate (\\u\(String(unit, radix: 16, uppercase: true)))")
                        }
                        continue
                    default:
                        throw syntax("an escape such as \\n, \\\" or \\u00e9")
                    }
                    index += 1
                case 0x00..<0x20:
                    throw fail("is not valid JSON: a string holds an unescaped control character (0x\(String(byte, radix: 16)))")
                case 0x20..<0x80:
                    keep(Unicode.Scalar(byte))
                    index += 1
                default:
                    let scalar = try utf8Scalar()
                    keep(scalar)
                }
            }
        }

        /// Four hex digits after `\u`.
        mutating func hexUnit() throws(Problem) -> UInt16 {
            guard index + 4 <= bytes.count else { throw syntax("four hex digits after \\u") }
            var value: UInt16 = 0
            for _ in 0..<4 {
                guard let digit = Hexadecimal.value(bytes[index]) else { throw syntax("four hex digits after \\u") }
                value = value << 4 | UInt16(digit)
                index += 1
            }
            return value
        }

        /// One multi-byte UTF-8 sequence, shortest form, no surrogates (RFC 3629).
        mutating func utf8Scalar() throws(Problem) -> Unicode.Scalar {
            let lead = bytes[index]
            let length: Int
            var value: UInt32
            switch lead {
            case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F)
            case 0xE0...0xEF: length = 3; value = UInt32(lead & 0x0F)
            case 0xF0...0xF4: length = 4; value = UInt32(lead & 0x07)
            default: throw fail("is not valid UTF-8 at offset \(index)")
            }
            guard index + length <= bytes.count else { throw fail("is not valid UTF-8 at offset \(index)") }
            for offset in 1..<length {
                let byte = bytes[index + offset]
                guard byte & 0xC0 == 0x80 else { throw fail("is not valid UTF-8 at offset \(index)") }
                value = value << 6 | UInt32(byte & 0x3F)
            }
            let smallest: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
            guard value >= smallest, value <= 0x10FFFF, !(0xD800...0xDFFF).contains(value), let scalar = Unicode.Scalar(value) else {
                throw fail("is not valid UTF-8 at offset \(index)")
            }
            index += length
            return scalar
        }
    }
}
