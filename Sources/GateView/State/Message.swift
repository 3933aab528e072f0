/// A key as the view understands it, independent of curses key codes.
public enum Key: Equatable, Hashable, Sendable {
    case character(Character)
    case up, down, left, right
    case home, end, pageUp, pageDown
    case tab, backTab, enter, escape, backspace
    /// Ctrl-C arrives as a key when the terminal is in raw mode.
    case interrupt
}

/// Everything that can happen to the visualizer. `update(state, message)` is pure, so a
/// test drives the program by feeding it messages: no terminal, no clock, no sleeping.
public enum Message: Equatable, Sendable {
    case key(Key)
    /// The terminal now has this many columns and rows.
    case resize(width: Int, height: Int)
    /// Time passed while playing, in seconds since the last tick.
    case tick(seconds: Double)
    /// A mouse click at a cell (0-based column and row).
    case click(x: Int, y: Int)
    /// How far the job with this id has got, from 0 to 1.
    case progress(job: Int, fraction: Double)
    /// A job ended and this is what it computed.
    case finished(JobOutcome)
}
