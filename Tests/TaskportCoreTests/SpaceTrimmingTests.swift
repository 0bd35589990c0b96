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
