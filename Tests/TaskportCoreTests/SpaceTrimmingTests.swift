import Foundation
import TaskportCore
import Testing

/// `trimmingSpaces` takes off what `trimmingCharacters(in: .whitespaces)` does, and only that.
@Suite struct SpaceTrimmingTests {
    @Test(arguments: [
        "", " ", "\t \t", "token", "  token", "token\t", " \u{A0}tok en\u{2003} ", "\u{3000}x\u{3000}", "\nline\n",
        " \r\nvalue\r\n ", "é ", " 日本 ", "\u{200B}zero-width\u{200B}", "\u{1F600} ", " a\u{0301} ", "\u{180E}mvs\u{180E}", "\u{FEFF}bom", "\u{85}next\u{85}", "\u{2028}sep", "\u{1680}ogham ",
    ])
    func trimsWhatFoundationTrims(_ text: String) {
        #expect(String(text.trimmingSpaces()) == text.trimmingCharacters(in: .whitespaces))
        #expect(String(text[...].trimmingSpaces()) == text.trimmingCharacters(in: .whitespaces))
    }
}

/// `isBlank` tells what `trimmingCharacters(in: .whitespacesAndNewlines).isEmpty` tells.
@Suite struct BlankTextTests {
    @Test func agreesWithFoundationOnEveryScalarUpToU3000AndTheSpacesBeyond() {
        let beyond: [UInt32] = [0x205F, 0x3000, 0x303F, 0xFEFF, 0xFFFF, 0x1_F600, 0xE_0020]
        for value in Array(0...0x3000) + beyond {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = String(scalar)
            #expect(text.isBlank == text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "U+\(String(value, radix: 16))")
        }
    }

    @Test(arguments: ["", " ", "\t\n\r\n", "title", " \u{0301}", "\u{2028}\u{2029}\u{85}", " x ", "\u{A0}\u{3000}"])
    func agreesWithFoundationOnTexts(_ text: String) {
        #expect(text.isBlank == text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        #expect(text[...].isBlank == text.isBlank)
    }
}
