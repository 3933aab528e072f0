import CNcurses
import GateView

/// What one wget_wch result means to the run loop.
enum Input: Equatable {
    /// A key or click for the program.
    case message(Message)
    /// KEY_RESIZE: the terminal has a new size.
    case resize
    /// KEY_MOUSE: a mouse event is waiting in getmouse.
    case mouse
    /// Ctrl-Z, which raw mode delivers as a character instead of SIGTSTP.
    case suspend
    /// A key the program has no use for (function keys, stray control characters).
    case ignored

    /// Translates a wget_wch result: `code` is the wide character, or the KEY_* code when
    /// wget_wch returned KEY_CODE_YES (`isKeyCode`).
    init(code: UInt32, isKeyCode: Bool) {
        if isKeyCode {
            self = Input.keyCodes[Int32(truncatingIfNeeded: code)] ?? .ignored
            return
        }
        switch code {
        case 3: self = .message(.key(.interrupt))
        case 8, 127: self = .message(.key(.backspace))
        case 9: self = .message(.key(.tab))
        case 10, 13: self = .message(.key(.enter))
        case 26: self = .suspend
        case 27: self = .message(.key(.escape))
        case 0..<32, 128..<160: self = .ignored
        default:
            guard let scalar = Unicode.Scalar(code) else {
                self = .ignored
                return
            }
            self = .message(.key(.character(Character(scalar))))
        }
    }

    /// Function keys, including the other codes terminals send for the same physical key:
    /// the keypad's corners (A1, C1, A3, C3) and the VT220 Find/Select that xterm-like
    /// terminals report for Home/End.
    private static let keyCodes: [Int32: Input] = [
        KEY_UP: .message(.key(.up)), KEY_DOWN: .message(.key(.down)),
        KEY_LEFT: .message(.key(.left)), KEY_RIGHT: .message(.key(.right)),
        KEY_HOME: .message(.key(.home)), KEY_A1: .message(.key(.home)),
        KEY_FIND: .message(.key(.home)),
        KEY_END: .message(.key(.end)), KEY_C1: .message(.key(.end)),
        KEY_SELECT: .message(.key(.end)), KEY_LL: .message(.key(.end)),
        KEY_PPAGE: .message(.key(.pageUp)), KEY_A3: .message(.key(.pageUp)),
        KEY_NPAGE: .message(.key(.pageDown)), KEY_C3: .message(.key(.pageDown)),
        KEY_BTAB: .message(.key(.backTab)), KEY_ENTER: .message(.key(.enter)),
        KEY_BACKSPACE: .message(.key(.backspace)),
        KEY_RESIZE: .resize, KEY_MOUSE: .mouse,
    ]

    /// Escape sequences for Home and End that some terminals send but their terminfo entry
    /// does not list (tmux, rxvt, the Linux console, xterm outside keypad mode). Without
    /// them curses would pass Esc, '[', '1', '~' through, and the Esc alone would quit.
    static let extraSequences: [(String, Int32)] = [
        ("\u{1B}[1~", KEY_HOME), ("\u{1B}[7~", KEY_HOME), ("\u{1B}[H", KEY_HOME), ("\u{1B}OH", KEY_HOME),
        ("\u{1B}[4~", KEY_END), ("\u{1B}[8~", KEY_END), ("\u{1B}[F", KEY_END), ("\u{1B}OF", KEY_END),
    ]

    /// A mouse event as the program sees it: a left press is a click; the wheel moves
    /// like ↑/↓.
    static func mouse(x: Int32, y: Int32, buttons: mmask_t) -> Input {
        if buttons & gs_button1_pressed() != 0 { return .message(.click(x: Int(x), y: Int(y))) }
        if buttons & gs_button4_pressed() != 0 { return .message(.key(.up)) }
        if buttons & gs_button5_pressed() != 0 { return .message(.key(.down)) }
        return .ignored
    }
}
