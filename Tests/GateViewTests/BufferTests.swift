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
}
