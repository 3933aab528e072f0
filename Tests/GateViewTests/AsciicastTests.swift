import Foundation
import XCTest
import GateCore
@testable import GateView

/// The asciicast v2 lines a recording is made of, read back with Foundation's JSON parser.
final class AsciicastTests: XCTestCase {
    private func frame(_ rows: [String], width: Int = 12, height: Int = 3, style: Style = .plain) -> Buffer {
        var buffer = Buffer(width: width, height: height)
        for (y, text) in rows.enumerated() { buffer.put(text, x: 0, y: y, style: style) }
        return buffer
    }

    /// Each line of `text` parsed as JSON.
    private func parse(_ text: String) throws -> [Any] {
        try text.split(separator: "\n").map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed])
        }
    }

    /// An event line's time, code and data.
    private func event(_ json: Any) throws -> (time: Double, code: String, data: String) {
        let array = try XCTUnwrap(json as? [Any])
        XCTAssertEqual(array.count, 3)
        return (try XCTUnwrap(array[0] as? Double), try XCTUnwrap(array[1] as? String), try XCTUnwrap(array[2] as? String))
    }

    func testTheFirstFrameComesAfterTheHeader() throws {
        var cast = Asciicast(timestamp: 1_700_000_000, term: "xterm-256color")
        let lines = try parse(cast.lines(for: frame(["step 1/24"]), at: 0.25))
        XCTAssertEqual(lines.count, 2)
        let header = try XCTUnwrap(lines[0] as? [String: Any])
        XCTAssertEqual(header["version"] as? Int, 2)
        XCTAssertEqual(header["width"] as? Int, 12)
        XCTAssertEqual(header["height"] as? Int, 3)
        XCTAssertEqual(header["timestamp"] as? Int, 1_700_000_000)
        XCTAssertEqual(header["env"] as? [String: String], ["TERM": "xterm-256color"])
        let first = try event(lines[1])
        XCTAssertEqual(first.time, 0.25)
        XCTAssertEqual(first.code, "o")
        // Every row from its first column, erased first, then its text.
        XCTAssertEqual(first.data, "\u{1B}[?25l\u{1B}[1;1H\u{1B}[2Kstep 1/24\u{1B}[2;1H\u{1B}[2K\u{1B}[3;1H\u{1B}[2K")
    }

    func testOnlyChangesAreRecordedAndAResizeRedrawsEverything() throws {
        var cast = Asciicast(timestamp: 0, term: nil)
        let header = cast.lines(for: frame(["a", "b", "c"]), at: 0)
        XCTAssertFalse(header.contains("env"))
        XCTAssertEqual(cast.lines(for: frame(["a", "b", "c"]), at: 1), "", "the same frame again")
        let changed = try event(XCTUnwrap(parse(cast.lines(for: frame(["a", "B", "c"]), at: 2)).first))
        XCTAssertEqual(changed.data, "\u{1B}[2;1H\u{1B}[2KB")
        let restyled = try event(XCTUnwrap(parse(cast.lines(for: frame(["a", "B", "c"], style: Style(bold: true)), at: 3)).first))
        XCTAssertEqual(restyled.data.components(separatedBy: "[2K").count, 4, "a style change alone redraws the rows")

        let resized = try parse(cast.lines(for: frame(["a"], width: 5, height: 2), at: 4))
        XCTAssertEqual(resized.count, 2)
        let resize = try event(resized[0]), redraw = try event(resized[1])
        XCTAssertEqual(resize.code, "r")
        XCTAssertEqual(resize.data, "5x2")
        XCTAssertEqual(redraw.code, "o")
        XCTAssertEqual(redraw.data, "\u{1B}[?25l\u{1B}[1;1H\u{1B}[2Ka\u{1B}[2;1H\u{1B}[2K")
        XCTAssertEqual(resize.time, 4)
    }

    func testTimesNeverGoBack() throws {
        var cast = Asciicast(timestamp: 0, term: nil)
        var times: [Double] = []
        for (index, seconds) in [0.5, 0.25, 0.25, 1.5, 1.0].enumerated() {
            for line in try parse(cast.lines(for: frame(["frame \(index)"]), at: seconds)).dropFirst(index == 0 ? 1 : 0) {
                times.append(try event(line).time)
            }
        }
        XCTAssertEqual(times, [0.5, 0.5, 0.5, 1.5, 1.5])
    }

    /// Control characters (the escape of every ANSI sequence), quotes and backslashes are
    /// escaped; non-ASCII text (σ, CJK, an accent) goes through as UTF-8 and reads back the same.
    func testJSONStringsRoundTrip() throws {
        let text = "\u{1B}[0;1m\"q\" \\ \n\r\t\u{7}\u{0}\u{7F} σ 你好 e\u{301} 😀"
        let json = jsonString(text)
        XCTAssertFalse(json.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, json)
        XCTAssertTrue(json.contains("\\u001b[0;1m\\\"q\\\" \\\\ \\n\\r\\t\\u0007\\u0000\\u007f σ 你好"), json)
        XCTAssertEqual(try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]) as? String, text)
        XCTAssertEqual(Asciicast.header(width: 1, height: 1, timestamp: 0, term: "we\"ird"),
                       "{\"version\": 2, \"width\": 1, \"height\": 1, \"timestamp\": 0, \"env\": {\"TERM\": \"we\\\"ird\"}}\n")
    }

    /// A wide character is written once; the terminal moves two columns for it.
    func testWideCharactersAreWrittenOnce() throws {
        var cast = Asciicast(timestamp: 0, term: nil)
        let lines = try parse(cast.lines(for: frame(["你好 x"], height: 1), at: 0))
        XCTAssertEqual(try event(lines[1]).data, "\u{1B}[?25l\u{1B}[1;1H\u{1B}[2K你好 x")
    }
}
