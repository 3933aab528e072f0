import CNcurses
import GateView
import Testing
@testable import CursesTerminal

/// The translation from wget_wch results to messages. Key codes are curses.h's values
/// (the octal constants of the X/Open curses specification).
@Suite("key translation")
struct InputTests {
    private func function(_ code: Int32) -> Input { Input(code: UInt32(code), isKeyCode: true) }
    private func character(_ code: UInt32) -> Input { Input(code: code, isKeyCode: false) }

    @Test("arrow, paging and tab keys")
    func navigationKeys() {
        #expect(function(0o403) == .message(.key(.up)))
        #expect(function(0o402) == .message(.key(.down)))
        #expect(function(0o404) == .message(.key(.left)))
        #expect(function(0o405) == .message(.key(.right)))
        #expect(function(0o523) == .message(.key(.pageUp)))
        #expect(function(0o522) == .message(.key(.pageDown)))
        #expect(function(0o541) == .message(.key(.backTab)))
        #expect(function(0o527) == .message(.key(.enter)))
        #expect(function(0o407) == .message(.key(.backspace)))
    }

    @Test("Home and End in every form curses reports them")
    func homeAndEnd() {
        // KEY_HOME, keypad upper left (A1), VT220 Find (xterm's ESC [1~).
        for code: Int32 in [0o406, 0o534, 0o552] { #expect(function(code) == .message(.key(.home))) }
        // KEY_END, keypad lower left (C1), VT220 Select (ESC [4~), KEY_LL.
        for code: Int32 in [0o550, 0o537, 0o601, 0o533] { #expect(function(code) == .message(.key(.end))) }
    }

    @Test("resize and mouse codes go to the loop, unknown function keys are ignored")
    func loopEvents() {
        #expect(function(0o632) == .resize)
        #expect(function(0o631) == .mouse)
        #expect(function(0o411) == .ignored)  // F1
        #expect(function(0o512) == .ignored)  // Delete
    }

    @Test("control characters of raw mode")
    func controlCharacters() {
        #expect(character(3) == .message(.key(.interrupt)))  // Ctrl-C
        #expect(character(26) == .suspend)  // Ctrl-Z
        #expect(character(27) == .message(.key(.escape)))
        #expect(character(9) == .message(.key(.tab)))
        #expect(character(13) == .message(.key(.enter)))  // nonl: Enter is CR
        #expect(character(10) == .message(.key(.enter)))
        #expect(character(127) == .message(.key(.backspace)))
        #expect(character(8) == .message(.key(.backspace)))
        #expect(character(0) == .ignored)
        #expect(character(19) == .ignored)  // Ctrl-S: raw mode has no flow control
        #expect(character(0x9B) == .ignored)  // C1 control (CSI)
    }

    @Test("printable characters, ASCII and beyond")
    func printable() {
        #expect(character(UInt32(UInt8(ascii: "l"))) == .message(.key(.character("l"))))
        #expect(character(UInt32(UInt8(ascii: " "))) == .message(.key(.character(" "))))
        #expect(character(UInt32(UInt8(ascii: "?"))) == .message(.key(.character("?"))))
        #expect(character(0xE9) == .message(.key(.character("é"))))
        #expect(character(0x3C3) == .message(.key(.character("σ"))))
        // A surrogate is not a scalar: dropped, not trapped.
        #expect(character(0xD800) == .ignored)
        #expect(character(0x110000) == .ignored)
    }

    @Test("mouse: a left press is a click at its cell, the wheel moves like arrows")
    func mouse() {
        #expect(Input.mouse(x: 12, y: 5, buttons: gs_button1_pressed()) == .message(.click(x: 12, y: 5)))
        #expect(Input.mouse(x: 0, y: 0, buttons: gs_button4_pressed()) == .message(.key(.up)))
        #expect(Input.mouse(x: 0, y: 0, buttons: gs_button5_pressed()) == .message(.key(.down)))
        #expect(Input.mouse(x: 3, y: 3, buttons: 0) == .ignored)
    }
}
