import CNcurses
import Glibc
import GateView
import Testing
@testable import CursesTerminal

/// Real curses, without a terminal: a Screen opened for xterm-256color on a pipe (input)
/// and /dev/null (output). What was drawn is read back from curses' own picture of the
/// screen, and keys are bytes written into the pipe. Curses has one current screen per
/// process, so these run one at a time.
@Suite("curses screen", .serialized)
struct ScreenTests {
    /// A headless screen reading its keys from a pipe the test writes into.
    private final class Headless {
        let headless: HeadlessScreen
        var screen: Screen { headless.screen }
        private let writeEnd: Int32

        init(width: Int = 20, height: Int = 5, terminal: String = "xterm-256color") throws {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0, let input = fdopen(ends[0], "r") else {
                throw TerminalError("cannot make a pipe for the headless screen")
            }
            writeEnd = ends[1]
            setlocale(LC_ALL, "C.UTF-8")
            do {
                headless = try HeadlessScreen(width: width, height: height, terminal: terminal, input: input)
            } catch {
                close(ends[1])
                throw error
            }
        }

        deinit { close(writeEnd) }

        func type(_ bytes: String) {
            _ = bytes.utf8CString.withUnsafeBufferPointer { write(writeEnd, $0.baseAddress, $0.count - 1) }
        }

        /// The next input as the run loop would see it (waits up to a second), a mouse
        /// event read out as its message.
        func nextInput() -> Input? {
            let input = screen.read(milliseconds: 1000)
            if input == .mouse, let message = screen.mouseEvent() { return .message(message) }
            return input
        }

        /// The character, attributes and colours curses holds for one cell.
        func cell(x: Int, y: Int) -> (text: String, attributes: attr_t, foreground: Int16, background: Int16) {
            var stored = cchar_t()
            var characters = [wchar_t](repeating: 0, count: 8)
            var attributes: attr_t = 0
            var pair: Int16 = 0
            mvwin_wch(screen.window, Int32(y), Int32(x), &stored)
            getcchar(&stored, &characters, &attributes, &pair, nil)
            var foreground: Int16 = 0, background: Int16 = 0
            pair_content(pair, &foreground, &background)
            let scalars = characters.prefix { $0 != 0 }.compactMap { Unicode.Scalar(UInt32(bitPattern: $0)) }
            return (String(String.UnicodeScalarView(scalars)), attributes, foreground, background)
        }
    }

    @Test("a buffer is drawn cell for cell with its glyphs, attributes and colours")
    func drawsBuffer() throws {
        let headless = try Headless()
        #expect(headless.screen.capabilities == Capabilities(colors: .full, unicode: true))
        var buffer = Buffer(width: 20, height: 5)
        buffer.put("σ⊙▁█", x: 1, y: 1, style: Style(foreground: .indexed(196), bold: true))
        buffer.put("h", x: 0, y: 2, style: Style(foreground: .indexed(21), background: .indexed(231), underline: true))
        buffer[19, 4] = Cell("X", style: Style(reverse: true))
        headless.screen.draw(buffer)

        let sigma = headless.cell(x: 1, y: 1)
        #expect(sigma.text == "σ")
        #expect(sigma.attributes & gs_a_bold() != 0)
        #expect(sigma.foreground == 196 && sigma.background == -1)
        #expect(headless.cell(x: 4, y: 1).text == "█")
        let h = headless.cell(x: 0, y: 2)
        #expect(h.text == "h" && h.attributes & gs_a_underline() != 0)
        #expect(h.foreground == 21 && h.background == 231)
        // The bottom-right cell, which curses reports as an error to write, is there.
        let corner = headless.cell(x: 19, y: 4)
        #expect(corner.text == "X" && corner.attributes & gs_a_reverse() != 0)
        #expect(headless.cell(x: 0, y: 0).text == " ")
    }

    @Test("successive frames: curses ends up holding exactly the last frame")
    func successiveFrames() throws {
        let headless = try Headless()
        func frame(_ rows: [String], _ style: Style) -> Buffer {
            var buffer = Buffer(width: 20, height: 5)
            for (y, text) in rows.enumerated() { buffer.put(text, x: 0, y: y, style: style) }
            return buffer
        }
        func screenText() -> [String] {
            (0..<5).map { y in (0..<20).map { headless.cell(x: $0, y: y).text }.joined() }
        }
        let red = Style(foreground: .indexed(196)), blue = Style(foreground: .indexed(21))
        headless.screen.draw(frame(["step 1/24", "", "abc"], red))
        headless.screen.draw(frame(["step 2/24", "", "abd", "new"], red))
        #expect(screenText().map { $0.trimmingSuffix() } == ["step 2/24", "", "abd", "new", ""])
        // Same characters, new colour: a style change alone must reach curses.
        headless.screen.draw(frame(["step 2/24", "", "abd", "new"], blue))
        #expect(headless.cell(x: 0, y: 0).foreground == 21 && headless.cell(x: 2, y: 3).foreground == 21)
        // Cells cleared since the last frame are cleared on screen.
        headless.screen.draw(frame(["step 3/24"], blue))
        #expect(screenText().map { $0.trimmingSuffix() } == ["step 3/24", "", "", "", ""])
    }

    /// What a screen for `terminal` sends to the terminal from its first frame (which shows
    /// "last frame") to its close, and the terminal's clear-screen string (terminfo "clear",
    /// without its padding), read while the screen was open.
    private func bytesAfterLastFrame(terminal: String) throws -> (sent: [UInt8], clear: [UInt8]) {
        guard let output = tmpfile(), let input = fopen("/dev/null", "r") else {
            throw TerminalError("cannot open the files for a screen")
        }
        defer {
            fclose(output)
            fclose(input)
        }
        setlocale(LC_ALL, "C.UTF-8")
        let screen = try Screen(terminalName: terminal, output: output, input: input, noColor: nil, monochrome: false)
        var buffer = Buffer(width: screen.width, height: screen.height)
        buffer.put("last frame", x: 0, y: 0)
        screen.draw(buffer)
        var clear: [UInt8] = []
        if let capability = tigetstr("clear"), Int(bitPattern: capability) != -1 {
            clear = Array(String(cString: capability).utf8.prefix { $0 != UInt8(ascii: "$") })
        }
        screen.close()
        fflush(output)
        rewind(output)
        var sent: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while case let count = fread(&chunk, 1, chunk.count, output), count > 0 { sent += chunk.prefix(count) }
        let marker = Array("last frame".utf8)
        let end = try #require((0...(sent.count - marker.count)).last { Array(sent[$0..<$0 + marker.count]) == marker })
        return (Array(sent[(end + marker.count)...]), clear)
    }

    @Test("closing a terminal without an alternate screen (vt100) clears it; xterm's own screen comes back untouched")
    func clearsOnCloseWithoutAlternateScreen() throws {
        func contains(_ bytes: [UInt8], _ part: [UInt8]) -> Bool {
            !part.isEmpty && bytes.count >= part.count
                && (0...(bytes.count - part.count)).contains { Array(bytes[$0..<$0 + part.count]) == part }
        }
        let vt100 = try bytesAfterLastFrame(terminal: "vt100")
        #expect(!vt100.clear.isEmpty)
        #expect(contains(vt100.sent, vt100.clear))
        let xterm = try bytesAfterLastFrame(terminal: "xterm-256color")
        #expect(!xterm.clear.isEmpty)
        #expect(!contains(xterm.sent, xterm.clear))
    }

    @Test("an unprintable glyph becomes ?, combining marks stay, a wide character takes two columns")
    func unsafeGlyphs() throws {
        let headless = try Headless()
        var buffer = Buffer(width: 20, height: 5)
        buffer.put("界a\u{7}e\u{301}b", x: 0, y: 0)
        headless.screen.draw(buffer)
        #expect((0..<6).map { headless.cell(x: $0, y: 0).text } == ["界", "界", "a", "?", "e\u{301}", "b"])
    }

    /// The characters curses holds for row `y`, a wide character once (its second column,
    /// which curses reports as the same character, left out).
    private func rowText(_ headless: Headless, y: Int, width: Int) -> String {
        var text = "", x = 0
        while x < width {
            let cell = headless.cell(x: x, y: y).text
            text += cell
            x += cell.unicodeScalars.first.map { wcwidth(wchar_t(bitPattern: $0.value)) == 2 } == true ? 2 : 1
        }
        return text
    }

    @Test("wide characters: each in two columns, the columns after them where the buffer has them, frame after frame")
    func wideCharacters() throws {
        let headless = try Headless()
        var buffer = Buffer(width: 20, height: 5)
        buffer.put("你好 world", x: 0, y: 0, style: Style(foreground: .indexed(196)))
        buffer.put("x世界y", x: 3, y: 1)
        buffer.put("|", x: 19, y: 1)
        buffer.put("abcdefghijklmnopqrs世", x: 0, y: 2)  // the wide one would straddle the edge
        buffer.put("界", x: 18, y: 4)  // the bottom-right corner
        headless.screen.draw(buffer)
        #expect(rowText(headless, y: 0, width: 20) == "你好 world          ")
        #expect(headless.cell(x: 5, y: 0).text == "w")
        #expect(headless.cell(x: 0, y: 0).foreground == 196)
        #expect(headless.cell(x: 4, y: 1).text == "世" && headless.cell(x: 8, y: 1).text == "y")
        #expect(headless.cell(x: 19, y: 1).text == "|")
        #expect(rowText(headless, y: 2, width: 20) == "abcdefghijklmnopqrs ")
        #expect(headless.cell(x: 18, y: 4).text == "界")

        // Next frame: a wide character replaced by narrow ones and narrow ones by a wide one,
        // each changed span handed over on its own.
        var next = buffer
        next.put("ab", x: 0, y: 0)
        next.put("中", x: 6, y: 0)
        next.put("文", x: 4, y: 1)
        headless.screen.draw(next)
        #expect(rowText(headless, y: 0, width: 20) == "ab好 w中ld          ")
        #expect(headless.cell(x: 8, y: 0).text == "l")
        #expect(rowText(headless, y: 1, width: 20) == "   x文界y          |")
    }

    @Test("8-colour terminal: colours are reduced to the basic eight")
    func eightColours() throws {
        let headless = try Headless(terminal: "xterm")
        #expect(headless.screen.capabilities.colors == .eight)
        var buffer = Buffer(width: 20, height: 5)
        buffer[0, 0] = Cell("r", style: Style(foreground: .indexed(196), background: .indexed(244)))
        headless.screen.draw(buffer)
        let red = headless.cell(x: 0, y: 0)
        #expect(red.foreground == 1 && red.background == 7)
    }

    @Test("key sequences arrive as keys: arrows, Home/End in their other forms, Esc alone, clicks; unknown sequences are dropped")
    func keySequences() throws {
        let headless = try Headless()
        let expected: [(String, Input)] = [
            ("\u{1B}OD", .message(.key(.left))),  // xterm keypad-mode left arrow
            ("\u{1B}[1~", .message(.key(.home))),  // tmux's Home
            ("\u{1B}[4~", .message(.key(.end))),  // tmux's End
            ("\u{1B}[H", .message(.key(.home))),
            ("\u{1B}[F", .message(.key(.end))),
            ("\u{1B}[5~", .message(.key(.pageUp))),
            ("\u{1B}[Z", .message(.key(.backTab))),
            ("\u{1B}", .message(.key(.escape))),
            ("\u{1B}[<0;3;4M", .message(.click(x: 2, y: 3))),  // SGR mouse press (kmous)
            ("\u{1B}[99Q", .ignored),  // a sequence curses does not know: not an Esc
            ("\u{1B}x", .ignored),  // Alt-x
            ("q", .message(.key(.character("q")))),
            ("é", .message(.key(.character("é")))),
        ]
        for (bytes, input) in expected {
            headless.type(bytes)
            #expect(headless.nextInput() == input, "\(bytes.debugDescription)")
        }
    }

    @Test("an unknown TERM is an error naming it; a terminal without cursor movement too")
    func unusableTerminals() {
        #expect(throws: TerminalError.self) { try Headless(terminal: "no-such-terminal-type") }
        do {
            _ = try Headless(terminal: "no-such-terminal-type")
        } catch let error as TerminalError {
            #expect(error.message.contains("TERM=no-such-terminal-type"))
            #expect(error.message.contains("gatescope render"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(throws: TerminalError.self) { try Headless(terminal: "dumb") }
        #expect(throws: TerminalError.self) { try Headless(terminal: "") }
    }
}

extension String {
    fileprivate func trimmingSuffix() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
