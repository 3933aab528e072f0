import Foundation
import Testing
import XCTest
import GateCore
@testable import GateView

/// Every screen in every language at the sizes people use: no line wider than the terminal
/// (counted in display columns, a Chinese character two), nothing cut in half, and the
/// table's columns where the English frame has them.
private let sizes = [(80, 24), (100, 30), (160, 50)]

/// The screens: main, help, poke menu, cell diagram (v from the equations), gradient flow.
private let screens = ["", "?", "p", "v", "d"]

private func app(_ language: Language, width: Int, height: Int, chinese: Bool = false,
                 unicode: Bool = true) throws -> GateScopeApp {
    let scenario = chinese ? Fixture.scenario(chinese: true) : try Demos.scenario(kind: .lstm, task: .delay)
    return try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: unicode),
                            language: language, width: width, height: height)
}

/// Every row of the frame: its text no wider than the frame, and every wide character whole
/// (its right half is the next cell's continuation, and no continuation stands alone).
private func expectFits(_ buffer: Buffer, _ context: String) {
    for (row, line) in buffer.plainText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        #expect(line.displayWidth <= buffer.width, "\(context) row \(row) is \(line.displayWidth) columns: \(line)")
    }
    for y in 0..<buffer.height {
        for x in 0..<buffer.width {
            let cell = buffer[x, y]
            if cell.columns == 2 {
                #expect(buffer[x + 1, y].isContinuation, "\(context): wide \(cell.symbol) at \(x),\(y) without its right half")
            }
            if cell.isContinuation {
                #expect(x > 0 && buffer[x - 1, y].columns == 2, "\(context): a lone continuation at \(x),\(y)")
            }
        }
    }
}

@Test(arguments: Language.allCases)
func everyScreenFitsInEveryLanguage(_ language: Language) throws {
    for (width, height) in sizes {
        for keys in screens {
            for chinese in [false, true] {
                var screen = try app(language, width: width, height: height, chinese: chinese)
                if chinese { screen.step = 5 }
                try screen.press(keys + " l")
                expectFits(screen.frame(), "\(language.code) \(width)x\(height) keys '\(keys)'\(chinese ? " 你好" : "")")
            }
        }
        // A terminal without UTF-8 gets ASCII in every language: accents dropped, Chinese in
        // English (the demo's description has ≈, which `displayable` makes "?").
        for keys in ["", "p", "?"] {
            var ascii = try app(language, width: width, height: height, unicode: false)
            try ascii.press(keys)
            let frame = ascii.frame()
            expectFits(frame, "\(language.code) \(width)x\(height) ascii '\(keys)'")
            let isASCII = frame.plainText.allSatisfy { $0.isASCII }
            #expect(isASCII, "\(language.code) \(width)x\(height) ascii '\(keys)': \(frame.plainText)")
        }
    }
}

/// The table's bars and numbers do not depend on the language, so they must sit in exactly
/// the English frame's cells; each column title starts at its column.
@Test(arguments: Language.allCases.filter { $0 != .english })
func tableColumnsAlignAsInEnglish(_ language: Language) throws {
    for (width, height) in sizes {
        let english = try app(.english, width: width, height: height)
        let translated = try app(language, width: width, height: height)
        guard let table = translated.layout().table, let englishTable = english.layout().table else {
            Issue.record("\(language.code) \(width)x\(height): no table")
            continue
        }
        #expect(table.columns.map(\.x) == englishTable.columns.map(\.x))
        // A longer description may take a row more above the table: row by row from its first.
        let (frame, englishFrame) = (translated.frame(), english.frame())
        for row in 0..<min(table.units.count, englishTable.units.count) {
            for x in 0..<table.width {
                #expect(frame[x, table.firstRowY + row] == englishFrame[x, englishTable.firstRowY + row],
                        "\(language.code) \(width)x\(height): table cell \(x), row \(row)")
            }
        }
        for column in table.columns {
            #expect(frame[column.x, table.titleY].symbol != " ", "\(language.code): title of \(column.quantity) at \(column.x)")
            #expect(!frame[column.x, table.titleY].isContinuation)
        }
    }
}

@Test func theScreenSpeaksTheChosenLanguage() throws {
    let frames = try Dictionary(uniqueKeysWithValues: Language.allCases.map { language in
        (language, try app(language, width: 100, height: 30).frame().plainText)
    })
    #expect(frames[.english]?.contains("forget f") == true)
    #expect(frames[.spanish]?.contains("olvido f") == true)
    #expect(frames[.portuguese]?.contains("esquec. f") == true)
    #expect(frames[.chinese]?.contains("遗忘门 f") == true)
    #expect(frames[.german]?.contains("Forget f") == true)
    // The footer too, and the symbols stay.
    #expect(frames[.german]?.contains("Hilfe") == true || frames[.german]?.contains("mehr") == true)
    #expect(frames[.chinese]?.contains("退出") == true)
}

/// The delay demo at step 12 in Chinese and in Spanish (GATESCOPE_RECORD=1 rewrites them).
final class LanguageGoldenTests: XCTestCase {
    func testChineseAndSpanishAt100x30() throws {
        for language in [Language.chinese, .spanish] {
            var screen = try app(language, width: 100, height: 30)
            screen.step = 11
            try assertMatchesGolden("lang-\(language.code)-100x30", screen.frame().plainText)
        }
    }
}
