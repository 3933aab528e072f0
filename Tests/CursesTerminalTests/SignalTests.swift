import CTerminalSignals
import Glibc
import Testing
@testable import CursesTerminal

/// The signal flag is one variable however the code that installs the handler and the code
/// that reads the flag are split across object files and modules. (With the flag `static`
/// in a header, the handler SignalTraps installs wrote Signals.swift's copy and this file
/// read its own, which stayed 0: the release visualizer ignored SIGTERM that way.)
@Suite("signal traps", .serialized)
struct SignalTests {
    @Test("a SIGTSTP the trap records is read from another module, once")
    func oneFlagAcrossModules() {
        // The test runner's threads block signals: this one takes SIGTSTP for the test.
        var tstp = sigset_t(), previousMask = sigset_t()
        sigemptyset(&tstp)
        sigaddset(&tstp, SIGTSTP)
        pthread_sigmask(SIG_UNBLOCK, &tstp, &previousMask)
        defer { pthread_sigmask(SIG_SETMASK, &previousMask, nil) }
        let traps = SignalTraps()
        defer { traps.release() }
        // SIGTSTP, because an ending signal is never consumed and would stay recorded for
        // the rest of the test process.
        raise(SIGTSTP)
        #expect(gs_take_pending_signal() == SIGTSTP)
        #expect(gs_take_pending_signal() == 0)
        raise(SIGTSTP)
        #expect(traps.takePending() == SIGTSTP)
        #expect(traps.takePending() == nil)
    }

    @Test("SIGQUIT is among the signals that end the run with the terminal restored")
    func quitIsTrapped() {
        #expect(SignalTraps.ending.contains(SIGQUIT))
        for signal in [SIGINT, SIGTERM, SIGHUP] { #expect(SignalTraps.ending.contains(signal)) }
    }
}
