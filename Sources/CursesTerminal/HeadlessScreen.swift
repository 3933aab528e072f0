import CNcurses
import Glibc
import GateView

/// Curses with no terminal attached: the real drawing code writing a terminal's escape
/// sequences to /dev/null, at a size of our choosing. The benchmark times the blit with it;
/// tests read back what was drawn. Glyphs follow the process's current locale.
public final class HeadlessScreen {
    let screen: Screen
    private let input: UnsafeMutablePointer<FILE>
    private let output: UnsafeMutablePointer<FILE>

    /// Opens a screen of `width` × `height` for the terminal type `terminal`, reading keys
    /// from `input` (a pipe in tests; /dev/null when nil). The screen owns `input`.
    public convenience init(width: Int, height: Int, terminal: String = "xterm-256color") throws {
        try self.init(width: width, height: height, terminal: terminal, input: nil)
    }

    init(width: Int, height: Int, terminal: String, input: UnsafeMutablePointer<FILE>?) throws {
        guard let input = input ?? fopen("/dev/null", "r") else {
            throw TerminalError("cannot open /dev/null for a headless screen")
        }
        guard let output = fopen("/dev/null", "w") else {
            fclose(input)
            throw TerminalError("cannot open /dev/null for a headless screen")
        }
        do {
            screen = try Screen(terminalName: terminal, output: output, input: input,
                                noColor: nil, monochrome: false)
        } catch {
            fclose(input)
            fclose(output)
            throw error
        }
        self.input = input
        self.output = output
        resizeterm(Int32(max(1, height)), Int32(max(1, width)))
        // resizeterm queues a KEY_RESIZE, which is no input of ours.
        wtimeout(screen.window, 0)
        var code: wint_t = 0
        while wget_wch(screen.window, &code) != ERR {}
    }

    deinit {
        screen.close()
        fclose(input)
        fclose(output)
    }

    public var capabilities: Capabilities { screen.capabilities }

    /// Draws `buffer` exactly as the visualizer does, up to and including the terminal update.
    public func draw(_ buffer: Buffer) { screen.draw(buffer) }
}
