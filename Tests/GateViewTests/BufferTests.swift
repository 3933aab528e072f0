import XCTest
@testable import GateView

final class BufferTests: XCTestCase {
    func testPutClipsAtTheRightEdgeAndReturnsTheNextColumn() {
        var buffer = Buffer(width: 5, height: 2)
        let end = buffer.put("abcdefgh", x: 2, y: 0)
        XCTAssertEqual(end, 5)
        XCTAssertEqual(buffer.plainText, "  abc\n")
    }

    func testPutOutsideTheBufferWritesNothing() {
        var buffer = Buffer(width: 4, height: 2)
        buffer.put("xy", x: -5, y: 0)
        buffer.put("xy", x: 0, y: -1)
        buffer.put("xy", x: 0, y: 2)
        buffer.put("xy", x: 9, y: 1)
        XCTAssertEqual(buffer, Buffer(width: 4, height: 2))
    }

    func testPutStartingLeftOfTheEdgeKeepsTheVisiblePart() {
        var buffer = Buffer(width: 4, height: 1)
        buffer.put("abcdef", x: -2, y: 0)
        XCTAssertEqual(buffer.plainText, "cdef")
    }

    func testMaxWidthLimitsAPut() {
        var buffer = Buffer(width: 10, height: 1)
        buffer.put("abcdef", x: 1, y: 0, maxWidth: 3)
        XCTAssertEqual(buffer.plainText, " abc")
    }

    func testFillIsClippedAndSubscriptOutsideReadsBlank() {
        var buffer = Buffer(width: 3, height: 3)
        buffer.fill(x: -1, y: 1, width: 10, height: 10, with: Cell("#"))
        XCTAssertEqual(buffer.plainText, "\n###\n###")
        XCTAssertEqual(buffer[7, 7], Cell())
        buffer[-1, 0] = Cell("x")
        XCTAssertEqual(buffer.plainText, "\n###\n###")
    }

    func testZeroAndNegativeSizesMakeAnEmptyBuffer() {
        var buffer = Buffer(width: -3, height: 0)
        buffer.put("abc", x: 0, y: 0)
        buffer.fill(x: 0, y: 0, width: 5, height: 5)
        XCTAssertEqual(buffer.width, 0)
        XCTAssertEqual(buffer.cells.count, 0)
        XCTAssertEqual(buffer.ansiText, "")
    }

    func testANSITextSetsEachStyleAndResetsAtLineEnd() {
        var buffer = Buffer(width: 6, height: 2)
        buffer.put("ab", x: 0, y: 0, style: Style(foreground: .indexed(1), bold: true))
        buffer.put("c", x: 2, y: 0, style: Style(foreground: .indexed(200), background: .indexed(9)))
        buffer.put("d", x: 0, y: 1, style: Style(reverse: true, underline: true))
        buffer.put("e", x: 1, y: 1)
        let esc = "\u{1B}["
        XCTAssertEqual(buffer.ansiText,
                       "\(esc)0;1;31mab\(esc)0;38;5;200;101mc\(esc)0m\n\(esc)0;4;7md\(esc)0me")
    }

    func testANSITextKeepsTrailingStyledSpaces() {
        var buffer = Buffer(width: 4, height: 1)
        buffer.fill(x: 0, y: 0, width: 3, height: 1, with: Cell(" ", style: Style(reverse: true)))
        XCTAssertEqual(buffer.ansiText, "\u{1B}[0;7m   \u{1B}[0m")
    }

    // MARK: Wide characters

    func testAWideCharacterTakesTwoCellsAndTheRenderersDrawItOnce() {
        var buffer = Buffer(width: 8, height: 1)
        let end = buffer.put("a你b", x: 0, y: 0, style: Style(bold: true))
        XCTAssertEqual(end, 4)
        XCTAssertEqual(buffer[1, 0].symbol, "你")
        XCTAssertTrue(buffer[2, 0].isContinuation)
        XCTAssertEqual(buffer[3, 0].symbol, "b")
        XCTAssertEqual(buffer.plainText, "a你b")
        XCTAssertEqual(buffer.ansiText, "\u{1B}[0;1ma你b\u{1B}[0m")
    }

    /// Mixed text cut at every width, by the buffer's edge and by maxWidth: no line is wider
    /// than its limit, a wide character that does not fit whole becomes a space, and the
    /// column after a field is the same on every row.
    func testMixedTextAtEveryClipWidthKeepsColumnsAligned() {
        let names = ["gate", "遗忘门", "a门b", "输入 gate", "x"]
        for limit in 0...12 {
            var clipped = Buffer(width: limit, height: names.count)
            for (y, name) in names.enumerated() { clipped.put(name + "|" + name, x: 0, y: y) }
            for line in clipped.plainText.split(separator: "\n", omittingEmptySubsequences: false) {
                XCTAssertLessThanOrEqual(line.displayWidth, limit, "width \(limit): \(line)")
            }
            for y in names.indices {
                XCTAssertFalse(clipped[0, y].isContinuation)
                if limit > 0 { XCTAssertFalse(clipped[limit - 1, y].columns == 2, "width \(limit) row \(y)") }
            }

            var table = Buffer(width: 30, height: names.count)
            for (y, name) in names.enumerated() {
                let end = table.put(name, x: 1, y: y, maxWidth: limit)
                XCTAssertLessThanOrEqual(end, 1 + limit)
                table.put("|", x: 1 + limit, y: y)
            }
            for (y, line) in table.plainText.split(separator: "\n").enumerated() {
                XCTAssertEqual(table[1 + limit, y].symbol, "|", "maxWidth \(limit) row \(y)")
                XCTAssertEqual(line.prefix(columns: 1 + limit).displayWidth, 1 + limit, "maxWidth \(limit): \(line)")
            }
        }
        var cut = Buffer(width: 6, height: 1)
        cut.put("ab你好", x: 0, y: 0, maxWidth: 5)
        XCTAssertEqual(cut.plainText, "ab你")
        cut.put("ab你好", x: 1, y: 0, maxWidth: 3)
        XCTAssertEqual(cut.plainText, "aab")
    }

    func testAWideCharacterStraddlingAnEdgeBecomesASpace() {
        var buffer = Buffer(width: 5, height: 2)
        buffer.put("你好", x: -1, y: 0)
        XCTAssertEqual(buffer[0, 0], Cell(" "))
        XCTAssertEqual(buffer[1, 0].symbol, "好")
        XCTAssertEqual(buffer.put("abcd你", x: 0, y: 1), 5)
        XCTAssertEqual(buffer.plainText, " 好\nabcd")
        buffer[4, 1] = Cell("界")
        XCTAssertEqual(buffer[4, 1], Cell(" "))
    }

    func testOverwritingHalfAWideCharacterLeavesASpaceInTheOtherHalf() {
        let style = Style(reverse: true)
        var buffer = Buffer(width: 6, height: 1)
        buffer.put("你好", x: 0, y: 0, style: style)
        buffer[1, 0] = Cell("x")
        XCTAssertEqual(buffer[0, 0], Cell(" ", style: style))
        buffer[2, 0] = Cell("y")
        XCTAssertEqual(buffer[3, 0], Cell(" ", style: style))
        XCTAssertEqual(buffer.plainText, " xy")
        buffer.put("世", x: 3, y: 0)
        buffer.put("界", x: 2, y: 0)
        XCTAssertEqual(buffer.plainText, " x界")
        XCTAssertEqual(buffer.cells.filter(\.isContinuation).count, 1)
        // Copying cells one by one, continuations included, copies the frame.
        var copy = Buffer(width: 6, height: 1)
        for x in 0..<6 { copy[x, 0] = buffer[x, 0] }
        XCTAssertEqual(copy, buffer)
    }

    /// A fill copies narrow cells straight in: the wide characters its edges cut must still
    /// leave their outer halves as spaces of their style, as cell-by-cell writes do.
    func testAFillCuttingWideCharactersLeavesSpacesOutside() {
        let style = Style(bold: true)
        var buffer = Buffer(width: 8, height: 2)
        for row in 0..<2 { buffer.put("你好世界", x: 0, y: row, style: style) }
        buffer.fill(x: 1, y: 0, width: 4, height: 1, with: Cell("-"))
        var cellByCell = Buffer(width: 8, height: 1)
        cellByCell.put("你好世界", x: 0, y: 0, style: style)
        for x in 1..<5 { cellByCell[x, 0] = Cell("-") }
        XCTAssertEqual(Array(buffer.cells.prefix(8)), cellByCell.cells)
        XCTAssertEqual(buffer.plainText, " ---- 界\n你好世界")
        XCTAssertEqual(buffer[5, 0], Cell(" ", style: style))
        XCTAssertEqual(buffer.cells.filter(\.isContinuation).count, 5)
    }

    func testDisplayWidthCountsColumns() {
        XCTAssertEqual("abc".displayWidth, 3)
        XCTAssertEqual("遗忘门 gate".displayWidth, 11)
        XCTAssertEqual("e\u{301}".displayWidth, 1)
        XCTAssertEqual("σ⊙▁█…×".displayWidth, 6)  // ambiguous width: narrow
        XCTAssertEqual("ｈ한😀".displayWidth, 6)  // fullwidth, Hangul, emoji
        XCTAssertEqual("\u{200B}".displayWidth, 0)
        XCTAssertEqual("你好世界".prefix(columns: 5), "你好")
        XCTAssertEqual("a你".prefix(columns: 2), "a")
        // ASCII is counted by bytes, but "\r\n" is one character.
        XCTAssertEqual("a\r\nb\t".displayWidth, 4)
    }

    /// Text whose scalars are each a character on their own (arrows, Greek, sub- and
    /// superscripts, box drawing) is measured and written scalar by scalar: the same columns
    /// and cells as character by character, also where a scalar joins its neighbour.
    func testTextOfStandAloneScalarsReadsAsItsCharacters() {
        let texts = ["σ⊙▁█…×", " x₇ = 'b'", "0.53²⁴ ≈ 0.00 ± −1", "→ ▸ ◂ ▲ ─│┼ ⌚", "e\u{301}→", "a\r\nb→",
                     "你好→", "Δ forget f", "\u{200B}→\u{200D}←", "ⅷ⃝→"]
        for text in texts {
            XCTAssertEqual(text.displayWidth, text.reduce(0) { $0 + DisplayWidth.columns(of: $1) }, text)
            var buffer = Buffer(width: 30, height: 1), expected = Buffer(width: 30, height: 1)
            let end = buffer.put(text, x: 1, y: 0, style: Style(bold: true))
            var column = 1
            for character in text {
                let cell = Cell(character, style: Style(bold: true))
                if cell.columns > 0 { expected[column, 0] = cell }
                column += cell.columns
            }
            XCTAssertEqual(end, column, text)
            XCTAssertEqual(buffer, expected, text)
        }
    }

    /// A row of cells written at once reads as the same cells written one by one: clipped at
    /// either edge, wide characters it cuts broken, wide cells in it paired.
    func testARowOfCellsIsWrittenAsCellByCell() {
        let style = Style(foreground: .indexed(3))
        let rows: [[Cell]] = [
            Array(repeating: Cell(" ", style: style), count: 4), [Cell("a"), Cell("│"), Cell("b")], [Cell("好"), Cell("c")], [],
        ]
        for row in rows {
            for x in [-9, -2, 0, 1, 3, 7, 8, 12] {
                var buffer = Buffer(width: 8, height: 2), expected = Buffer(width: 8, height: 2)
                for target in [0, 1] {
                    buffer.put("你好世界", x: 0, y: target)
                    expected.put("你好世界", x: 0, y: target)
                }
                buffer.put(row, x: x, y: 1)
                for (offset, cell) in row.enumerated() { expected[x + offset, 1] = cell }
                XCTAssertEqual(buffer, expected, "\(row.map(\.symbol)) at \(x)")
            }
        }
    }

    /// A cell keeps a character of several scalars whole (it is stored apart from the
    /// one-scalar ones): the renderers write every scalar, and equal characters make equal cells.
    func testACharacterOfSeveralScalarsKeepsThemAll() {
        var buffer = Buffer(width: 8, height: 1)
        let accented = "e\u{301}\u{323}x"
        XCTAssertEqual(buffer.put("a" + accented + "好\r\n", x: 0, y: 0), 6)
        XCTAssertEqual(buffer[1, 0].symbol, "e\u{301}\u{323}")
        XCTAssertEqual(Array(buffer[1, 0].symbol.unicodeScalars), Array("e\u{301}\u{323}".unicodeScalars))
        XCTAssertNil(buffer[1, 0].singleScalar)
        XCTAssertEqual(buffer[2, 0].singleScalar, "x")
        XCTAssertEqual(buffer[1, 0], Cell("e\u{301}\u{323}"))
        XCTAssertNotEqual(buffer[1, 0], Cell("e\u{301}"))
        XCTAssertEqual(buffer[1, 0].columns, 1)
        XCTAssertEqual(buffer[3, 0].columns, 2)
        XCTAssertEqual(buffer[5, 0].symbol, "\r\n")
        XCTAssertEqual(buffer.plainText, "a" + accented + "好\r\n")
        XCTAssertEqual(buffer.ansiLine(0), "a" + accented + "好\r\n")
    }
}
