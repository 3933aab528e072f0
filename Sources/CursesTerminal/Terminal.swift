import CNcurses
import Glibc
import GateView

/// Runs a Program full-screen: the only place gatescope touches the terminal.
public enum Terminal {
    /// How a run ended.
    public enum Ending: Equatable, Sendable {
        /// The program asked to quit.
        case quit
        /// A signal (SIGINT, SIGTERM, SIGHUP) ended the run; the terminal was restored.
        /// A terminal that vanished without a hang-up signal counts as SIGHUP. (SIGQUIT
        /// never returns: see `run`.)
        case signal(Int32)

        /// The process exit status: 0, or 128 + the signal number as shells report it.
        public var exitStatus: Int32 {
            switch self {
            case .quit: return 0
            case .signal(let number): return 128 + number
            }
        }
    }

    /// Opens the terminal, creates the program for its capabilities and size, and feeds it
    /// keys, clicks, resizes and ticks until it quits or a signal ends the run. The terminal
    /// is restored however the run ends, thrown errors included. SIGQUIT restores it too,
    /// then ends the process by SIGQUIT's default action, as a user who sends it expects
    /// (the shell reports "Quit", status 131, a core where enabled): `run` does not return.
    ///
    /// `monochrome` forces a colourless display (the user's choice); `NO_COLOR` does too.
    /// `recorder` is given every frame drawn (`--record`); the caller finishes it.
    ///
    /// With the environment variable `GATESCOPE_EXIT_AFTER_FIRST_FRAME=1` the run ends right
    /// after the first frame is on the terminal: the benchmark times launch to first frame
    /// with it.
    ///
    /// - Throws: `TerminalError` when standard input or output is not a terminal or curses
    ///   does not know $TERM (the terminal is untouched then), or what `makeProgram` throws.
    public static func run<P: Program>(
        monochrome: Bool = false, recorder: CastRecorder? = nil,
        _ makeProgram: (_ capabilities: Capabilities, _ width: Int, _ height: Int) throws -> P
    ) throws -> Ending {
        // A locale that is not installed (LANG=de_DE.UTF-8 where only C.UTF-8 exists) fails
        // the whole call: the character set alone (LC_CTYPE=C.UTF-8) may still be there.
        if setlocale(LC_ALL, "") == nil { setlocale(LC_CTYPE, "") }
        try checkStandardStreams()
        let ending = try runRestoring(monochrome: monochrome, recorder: recorder, makeProgram)
        if ending == .signal(SIGQUIT) {
            // The process is about to die by the signal: a recording is kept as it stands.
            try? recorder?.finish()
            SignalTraps.die(of: SIGQUIT)
        }
        return ending
    }

    /// Throws `TerminalError` unless standard input and output are both a terminal: `run`
    /// checks it too, a caller can check it before slow work.
    public static func checkStandardStreams() throws {
        for (fd, name) in [(STDIN_FILENO, "input"), (STDOUT_FILENO, "output")] where isatty(fd) == 0 {
            throw TerminalError(
                "the visualizer needs a terminal, but standard \(name) is not one; "
                    + "use `gatescope trace` for the numbers or `gatescope render` for a frame as text")
        }
    }

    /// `run` but for SIGQUIT: every exit from here restores the terminal and the signals.
    private static func runRestoring<P: Program>(
        monochrome: Bool, recorder: CastRecorder?,
        _ makeProgram: (_ capabilities: Capabilities, _ width: Int, _ height: Int) throws -> P
    ) throws -> Ending {
        let traps = SignalTraps()
        defer { traps.release() }
        let screen = try Screen(terminalName: environment("TERM") ?? "", output: gs_stdout(), input: gs_stdin(),
                                noColor: environment("NO_COLOR"), monochrome: monochrome)
        defer { screen.close() }
        var program = try makeProgram(screen.capabilities, screen.width, screen.height)
        var loop = RunLoop(screen: screen, traps: traps, recorder: recorder)
        return loop.run(&program, exitAfterFirstFrame: environment("GATESCOPE_EXIT_AFTER_FIRST_FRAME") == "1")
    }

    private static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// The event loop: one message in, one frame out. It blocks on input while the program is
/// idle and wakes for ticks only while it plays or waits for a job.
private struct RunLoop {
    let screen: Screen
    let traps: SignalTraps
    let recorder: CastRecorder?
    private let clock = ContinuousClock()
    /// When the last tick was sent (or ticking began); nil while the program is idle.
    private var lastTick: ContinuousClock.Instant?
    /// The jobs the program asked for that have not ended, each on its own thread.
    private var jobs: [RunningJob] = []

    init(screen: Screen, traps: SignalTraps, recorder: CastRecorder?) {
        self.screen = screen
        self.traps = traps
        self.recorder = recorder
    }

    mutating func run<P: Program>(_ program: inout P, exitAfterFirstFrame: Bool) -> Terminal.Ending {
        draw(program)
        if exitAfterFirstFrame { return .quit }
        // However the run ends, no job goes on computing for nobody.
        defer { for job in jobs { job.cancel() } }
        while true {
            if let signal = traps.takePending() {
                if signal != SIGTSTP { return .signal(signal) }
                suspend(program)
                continue
            }
            if deliverJobMessages(&program) { return .quit }
            let interval = Self.validInterval(program.tickInterval)
            let message: Message?
            switch screen.read(milliseconds: waitMilliseconds(interval)) {
            case nil:
                let now = clock.now
                if let interval, let last = lastTick, now - last >= .seconds(interval) {
                    message = .tick(seconds: (now - last) / .seconds(1))
                    lastTick = now
                } else if Self.inputIsGone() {
                    return .signal(SIGHUP)
                } else {
                    // Interrupted early (a signal is checked at the top): wait again.
                    message = nil
                }
            case .message(let keyOrClick):
                message = keyOrClick
            case .resize:
                // Repaint in full: terminals reflow or clear on a resize. The program hears
                // of it only if the size really changed (curses also reports KEY_RESIZE
                // after a resume, when nothing did).
                screen.invalidate()
                let resized = (width: screen.width, height: screen.height)
                if resized == screen.drawnSize {
                    draw(program)
                    message = nil
                } else {
                    message = .resize(width: resized.width, height: resized.height)
                }
            case .mouse:
                message = screen.mouseEvent()
            case .suspend:
                suspend(program)
                message = nil
            case .ignored:
                message = nil
            }
            guard let message else { continue }
            if perform(program.update(message)) { return .quit }
            draw(program)
        }
    }

    /// Does what an update asked for; true to quit.
    private mutating func perform(_ command: Command) -> Bool {
        switch command {
        case .none:
            return false
        case .quit:
            return true
        case .start(let job):
            jobs.append(job.start())
            return false
        case .cancel(let id):
            for job in jobs where job.id == id { job.cancel() }
            jobs.removeAll { $0.id == id }
            return false
        }
    }

    /// Passes the jobs' progress and results to the program, and draws if there was any;
    /// true to quit. (The loop wakes at least every tick while the program waits for a job.)
    private mutating func deliverJobMessages<P: Program>(_ program: inout P) -> Bool {
        var heard = false
        for job in jobs {
            guard let message = job.poll() else { continue }
            if case .finished = message { jobs.removeAll { $0 === job } }
            heard = true
            if perform(program.update(message)) { return true }
        }
        if heard { draw(program) }
        return false
    }

    private func draw<P: Program>(_ program: P) {
        var buffer = Buffer(width: screen.width, height: screen.height)
        program.view(into: &buffer)
        screen.draw(buffer)
        recorder?.record(buffer)
    }

    /// Ctrl-Z or SIGTSTP: give the shell its terminal back, stop, and on `fg` repaint.
    private func suspend<P: Program>(_ program: P) {
        screen.suspend()
        traps.stopUntilContinued()
        // The window may have changed size while stopped, unseen (SIGWINCH goes to the
        // foreground job): let curses look again, which queues KEY_RESIZE if it did.
        raise(SIGWINCH)
        screen.invalidate()
        draw(program)
    }

    /// How long wget_wch may block: forever while idle (no CPU used), else until the next
    /// tick is due, rounded up so a timeout means the tick is due.
    private mutating func waitMilliseconds(_ interval: Double?) -> Int32 {
        guard let interval else {
            lastTick = nil
            return -1
        }
        let now = clock.now
        let last = lastTick ?? now
        lastTick = last
        let remaining = (last + .seconds(interval) - now) / .seconds(1)
        return Int32(max(0, min(remaining * 1000, 60_000)).rounded(.up))
    }

    /// The program's tick interval if it is one a clock can honour (beyond a day, or not a
    /// positive number, it means no ticks).
    private static func validInterval(_ interval: Double?) -> Double? {
        guard let interval, interval > 0, interval <= 86_400 else { return nil }
        return interval
    }

    /// Whether standard input has hung up or failed, so reading would fail for ever.
    private static func inputIsGone() -> Bool {
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) >= 0 else { return errno != EINTR }
        return descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0
    }
}
