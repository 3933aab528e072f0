import CTerminalSignals
import Glibc

/// The signals a full-screen program must not die of with the terminal in raw mode.
/// Installed before curses starts, so curses leaves them alone. The flag the handler sets is
/// defined once, in the CTerminalSignals C target.
struct SignalTraps {
    /// Signals that end the run: the loop restores the terminal, then the process exits
    /// with 128 + the signal number (SIGQUIT: dies of it, see `Terminal.run`).
    static let ending: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    private let trapped: [Int32]

    /// Traps the ending signals and SIGTSTP, except those already ignored (under nohup a
    /// hang-up must stay harmless).
    init() {
        trapped = (Self.ending + [SIGTSTP]).filter { gs_signal_is_ignored($0) == 0 }
        for signal in trapped { gs_set_signal_trap(signal, 1) }
    }

    /// Puts back the default actions.
    func release() {
        for signal in trapped { gs_set_signal_trap(signal, 0) }
    }

    /// The signal that arrived since the last call, if any.
    func takePending() -> Int32? {
        let signal = gs_take_pending_signal()
        return signal == 0 ? nil : signal
    }

    /// Stops the process as the default SIGTSTP would (the shell sees a suspended job) and
    /// returns once it is continued (`fg`). The caller has left curses mode.
    func stopUntilContinued() {
        guard trapped.contains(SIGTSTP) else { return }
        gs_set_signal_trap(SIGTSTP, 0)
        raise(SIGTSTP)
        gs_set_signal_trap(SIGTSTP, 1)
    }

    /// Ends the process by `signal`'s default action (SIGQUIT: the shell reports "Quit",
    /// and a core is dumped where the user enabled that). Called once the terminal is restored.
    static func die(of signal: Int32) -> Never {
        gs_set_signal_trap(signal, 0)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        raise(signal)
        // Only reached if the default action did not end the process.
        exit(128 + signal)
    }
}
