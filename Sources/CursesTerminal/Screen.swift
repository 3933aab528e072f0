import CNcurses
import Glibc
import GateView

/// A user-facing failure of the terminal layer; the command line prints it after `error: `.
public struct TerminalError: Error, Equatable, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One curses screen in program mode: opened on a pair of streams, drawn a whole Buffer at a
/// time, closed exactly once.
final class Screen {
    let capabilities: Capabilities
    private let screen: OpaquePointer
    let window: UnsafeMutablePointer<WINDOW>
    private var pairs: ColorPairs
    private var isOpen = true
    /// The wide-character string of one cell, reused for every cell: a spacing character,
    /// up to four combining ones, and the terminator.
    private var text = [wchar_t](repeating: 0, count: Int(CCHARW_MAX) + 1)
    /// The last frame drawn and its cells as curses takes them (same layout), so a cell that
    /// has not changed since is neither encoded nor handed to curses again.
    private var drawn = Buffer(width: 0, height: 0)
    private var encoded: [cchar_t] = []
    /// Per cell of `drawn`: a wide character that curses draws in two columns, so the
    /// continuation cell after it is not handed to curses (a wide character the terminal
    /// would not draw in two columns became "?", and its continuation a space).
    private var drawnWide: [Bool] = []
    /// One row's cells without the covered continuations, for rows with wide characters.
    private var rowScratch: [cchar_t] = []
    /// The part of `drawn` that fitted on the terminal.
    private var drawnArea = (columns: 0, rows: 0)
    /// Whether the terminal keeps the shell's screen aside while we draw (terminfo smcup).
    /// Without it (vt100) the last frame would stay under the shell's prompt, so `close`
    /// clears it.
    let hasAlternateScreen: Bool

    /// Opens curses on `output`/`input` for the terminal type `terminalName` ($TERM).
    /// The caller has set the locale, so the codeset says whether wide characters can be
    /// shown. `noColor` is NO_COLOR's value, `monochrome` the user's choice.
    init(terminalName name: String, output: UnsafeMutablePointer<FILE>,
         input: UnsafeMutablePointer<FILE>, noColor: String?, monochrome: Bool) throws {
        let advice = "set TERM to your terminal's type, or use `gatescope trace` for the numbers "
            + "or `gatescope render` for a frame as text"
        guard !name.isEmpty else {
            throw TerminalError("cannot open the terminal: TERM is not set; \(advice)")
        }
        guard let screen = newterm(name, output, input) else {
            throw TerminalError("cannot open the terminal (TERM=\(name)): curses does not know it; \(advice)")
        }
        guard gs_has_string_capability("cup") != 0, let window = gs_stdscr() else {
            endwin()
            delscreen(screen)
            throw TerminalError(
                "cannot open the terminal (TERM=\(name)): it cannot move the cursor; \(advice)")
        }
        self.screen = screen
        self.window = window
        hasAlternateScreen = gs_has_string_capability("smcup") != 0

        raw()
        noecho()
        nonl()
        keypad(window, true)
        curs_set(0)
        // Long enough for an arrow key's bytes to arrive together over SSH, short enough
        // that Esc alone feels immediate.
        set_escdelay(25)
        for (sequence, code) in Input.extraSequences { define_key(sequence, code) }
        // Report presses at once: the default click resolution waits for the release.
        mouseinterval(0)
        mousemask(gs_button1_pressed() | gs_button4_pressed() | gs_button5_pressed(), nil)

        let codeset = nl_langinfo(nl_item(CODESET)).map { String(cString: $0) } ?? ""
        capabilities = Capabilities.detect(
            colorCount: has_colors() ? Int(tigetnum("colors")) : 0,
            noColor: noColor, monochrome: monochrome, codeset: codeset)
        var defaultColors = false
        if capabilities.colors != .none {
            start_color()
            defaultColors = use_default_colors() == OK
        }
        pairs = ColorPairs(depth: capabilities.colors, pairCount: Int(gs_color_pairs()),
                           defaultColors: defaultColors)
    }

    deinit { close() }

    /// Leaves program mode: the terminal gets back its settings, cursor and main screen, or
    /// a clear screen when it has no main screen of its own.
    func close() {
        guard isOpen else { return }
        isOpen = false
        if !hasAlternateScreen {
            wclear(window)
            wrefresh(window)
        }
        endwin()
        delscreen(screen)
    }

    /// Leaves program mode for a while (Ctrl-Z); the next draw re-enters it.
    func suspend() { endwin() }

    var width: Int { Int(gs_cols()) }
    var height: Int { Int(gs_lines()) }
    /// The size of the last frame drawn.
    var drawnSize: (width: Int, height: Int) { (drawn.width, drawn.height) }

    /// Copies `buffer` into curses' picture of the screen and sends the difference to the
    /// terminal in one update, so nothing flickers. Only the cells that changed since the
    /// last frame are encoded, and each row's changed span goes in with wadd_wchnstr, which
    /// neither moves the cursor nor wraps: the bottom-right cell is safe. A wide character
    /// goes in as one cchar_t that curses spreads over two columns, so its continuation cell
    /// is left out of the span.
    func draw(_ buffer: Buffer) {
        let rows = min(buffer.height, height), columns = min(buffer.width, width)
        let area = (columns: columns, rows: rows)
        let sameShape = drawn.width == buffer.width && drawn.height == buffer.height && drawnArea == area
        if !sameShape {
            encoded = [cchar_t](repeating: cchar_t(), count: buffer.cells.count)
            drawnWide = [Bool](repeating: false, count: buffer.cells.count)
            rowScratch = [cchar_t](repeating: cchar_t(), count: buffer.width)
        }
        var lastStyle: Style?
        var attributes = gs_a_normal(), pair: Int16 = 0
        buffer.cells.withUnsafeBufferPointer { cells in
            drawn.cells.withUnsafeBufferPointer { previous in
                encoded.withUnsafeMutableBufferPointer { encoded in
                    text.withUnsafeMutableBufferPointer { text in
                        for y in 0..<rows {
                            let start = y * buffer.width
                            var first = -1, last = -1, hasWide = false
                            for x in 0..<columns {
                                let cell = cells[start + x]
                                if sameShape && previous[start + x] == cell {
                                    hasWide = hasWide || drawnWide[start + x]
                                    continue
                                }
                                if cell.style != lastStyle {
                                    lastStyle = cell.style
                                    (attributes, pair) = rendition(of: cell.style)
                                }
                                // A wide character needs its second column on the terminal.
                                let wide = cell.columns == 2 && x + 1 < columns
                                drawnWide[start + x] = Self.encode(cell, wide: wide, into: text)
                                hasWide = hasWide || drawnWide[start + x]
                                gs_set_cell(&encoded[start + x], text.baseAddress, attributes, pair)
                                if first < 0 { first = x }
                                last = x
                            }
                            guard first >= 0, let base = encoded.baseAddress else { continue }
                            // A span starting on a covered continuation starts at its character.
                            if first > 0, drawnWide[start + first - 1] { first -= 1 }
                            guard hasWide else {
                                mvwadd_wchnstr(window, Int32(y), Int32(first), base + start + first,
                                               Int32(last - first + 1))
                                continue
                            }
                            var count = 0
                            for x in first...last where x == first || !drawnWide[start + x - 1] {
                                rowScratch[count] = encoded[start + x]
                                count += 1
                            }
                            mvwadd_wchnstr(window, Int32(y), Int32(first), rowScratch, Int32(count))
                        }
                    }
                }
            }
        }
        drawn = buffer
        drawnArea = area
        wnoutrefresh(window)
        doupdate()
    }

    /// The next input, waiting at most `milliseconds` (-1: until there is one); nil when the
    /// wait ended without input (a timeout, a signal, or input that has gone away).
    func read(milliseconds: Int32) -> Input? {
        wtimeout(window, milliseconds)
        var code: wint_t = 0
        let status = wget_wch(window, &code)
        guard status != ERR else { return nil }
        let input = Input(code: code, isKeyCode: status == KEY_CODE_YES)
        if input == .message(.key(.escape)) && discardRestOfSequence() { return .ignored }
        return input
    }

    /// After an Esc: curses has already waited ESCDELAY for a known sequence, so bytes that
    /// are there at once belong to a sequence it does not know (Alt+key, an exotic function
    /// key). They are dropped, with the Esc, rather than read as Esc (quit) and letters. A
    /// key code met on the way is put back.
    private func discardRestOfSequence() -> Bool {
        wtimeout(window, 0)
        var code: wint_t = 0
        var discarded = false
        while true {
            let status = wget_wch(window, &code)
            if status == OK {
                discarded = true
                continue
            }
            if status == KEY_CODE_YES { ungetch(Int32(code)) }
            return discarded
        }
    }

    /// The mouse event behind a KEY_MOUSE, as a message, if it is one the program uses.
    func mouseEvent() -> Message? {
        var x: Int32 = 0, y: Int32 = 0
        var buttons: mmask_t = 0
        guard gs_getmouse(&x, &y, &buttons) == OK,
              case .message(let message) = Input.mouse(x: x, y: y, buttons: buttons) else { return nil }
        return message
    }

    /// Forgets what curses believes is on the terminal, so the next draw repaints everything
    /// (after a resize, or when the screen was disturbed).
    func invalidate() { clearok(window, true) }

    private func rendition(of style: Style) -> (attr_t, Int16) {
        var attributes = gs_a_normal()
        if style.bold { attributes |= gs_a_bold() }
        if style.reverse { attributes |= gs_a_reverse() }
        if style.underline { attributes |= gs_a_underline() }
        let pair = pairs.pair(foreground: style.foreground, background: style.background) {
            init_pair($0, $1, $2)
        }
        return (attributes, pair)
    }

    /// Puts the cell's character (a space for a continuation) into `text` as a
    /// zero-terminated wide string and says whether it is drawn in two columns. `wide` says
    /// how many columns the buffer gave it (two, or one); a symbol the terminal would draw in
    /// another number of columns (an unprintable character, a wide one the C library thinks
    /// narrow, any non-ASCII one in a non-UTF-8 locale) becomes "?", so one bad glyph cannot
    /// shift the rest of the row.
    private static func encode(_ cell: Cell, wide: Bool, into text: UnsafeMutableBufferPointer<wchar_t>) -> Bool {
        guard !cell.isContinuation else { return encode(CollectionOfOne(" "), wide: wide, into: text) }
        // Nearly every cell is one scalar: no Character is made for it.
        if let scalar = cell.singleScalar { return encode(CollectionOfOne(scalar), wide: wide, into: text) }
        return encode(cell.symbol.unicodeScalars, wide: wide, into: text)
    }

    private static func encode<Scalars: Sequence<Unicode.Scalar>>(
        _ scalars: Scalars, wide: Bool, into text: UnsafeMutableBufferPointer<wchar_t>) -> Bool {
        var count = 0
        let spacing: Int32 = wide ? 2 : 1
        for scalar in scalars {
            let character = wchar_t(bitPattern: scalar.value)
            // Printable ASCII, most cells, needs no wcwidth.
            let columns = (32..<127).contains(scalar.value) ? 1 : wcwidth(character)
            // A spacing character first, then combining ones while they fit.
            let fits = count == 0 ? columns == spacing : columns == 0 && count < text.count - 1
            guard fits else { break }
            text[count] = character
            count += 1
        }
        if count == 0 {
            text[0] = wchar_t(UInt8(ascii: "?"))
            text[1] = 0
            return false
        }
        text[count] = 0
        return wide
    }
}
