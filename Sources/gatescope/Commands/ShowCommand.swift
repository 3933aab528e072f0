import ArgumentParser
import Foundation
import CursesTerminal
import GateCore
import GateView

/// `gatescope show`, the default command: the visualizer, full-screen.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Step the cell through the sequence full-screen and watch its gates.",
        discussion: """
            Press ? on the screen for the keys. Needs a terminal: for the numbers use \
            `gatescope trace`, for the frame as text `gatescope render`. NO_COLOR is respected.
            """)

    @OptionGroup var scenario: ScenarioOptions

    @OptionGroup var recording: RecordOptions

    @OptionGroup(title: "What if") var pokes: PokeOptions

    @OptionGroup var display: DisplayOptions

    func run() throws {
        // Every check that can fail on the user's input runs before the terminal is taken.
        let theme = try display.chosenTheme()
        let language = try display.language()
        try recording.check(inputs: scenario.inputFiles)
        let scenario = try scenario.makeScenario(heldFor: "the visualizer")
        let pokes = try pokes.pokes(on: scenario)
        let ending = try recording.run { recorder in
            do {
                try Terminal.checkStandardStreams()
                // The trace too, which takes seconds for a large model: until the terminal is
                // taken, the shell's screen stays and Ctrl-C ends the command as any other.
                let app = try TraceProgressLine.showing(Catalogue.builtin(language).tr("tracing the model")) { progress in
                    try GateScopeApp(scenario: scenario, pokes: pokes, capabilities: Capabilities(colors: .none, unicode: false),
                                     theme: theme, language: language, progress: progress)
                }
                return try Terminal.run(monochrome: display.noColor, recorder: recorder) { capabilities, width, height in
                    app.opened(capabilities: capabilities, width: width, height: height)
                }
            } catch let error as TerminalError {
                throw GateError(error.message)
            }
        }
        if ending != .quit { throw ExitCode(ending.exitStatus) }
    }
}

/// A line on standard error that says how far a slow computation before the screen opens
/// has come ("tracing the model… 40%"), so that a large model's first trace is not a silent
/// pause. It appears only after a moment, only on a terminal, and is erased when done.
enum TraceProgressLine {
    static func showing<T>(_ title: String, _ work: (WorkProgress) throws -> T) rethrows -> T {
        let progress = WorkProgress(parts: 1)
        guard isatty(STDERR_FILENO) == 1 else { return try work(progress) }
        let reporter = Reporter(title: title, progress: progress)
        Thread { reporter.run() }.start()
        defer { reporter.finish() }
        return try work(progress)
    }

    /// The reporting thread: it waits a moment, then redraws the line ten times a second
    /// until `finish`, which returns once the line is erased.
    private final class Reporter: @unchecked Sendable {
        private let title: String
        private let progress: WorkProgress
        private let wake = NSCondition()
        private var finished = false
        private let exited = DispatchSemaphore(value: 0)

        init(title: String, progress: WorkProgress) {
            self.title = title
            self.progress = progress
        }

        func run() {
            wake.lock()
            var drawn = false
            var wait = 0.15
            while !finished {
                if wake.wait(until: Date(timeIntervalSinceNow: wait)) || finished { break }
                writeError("\r\u{1B}[K\(title)… \(Int(progress.fraction * 100))%  (Ctrl-C stops)")
                drawn = true
                wait = 0.1
            }
            wake.unlock()
            if drawn { writeError("\r\u{1B}[K") }
            exited.signal()
        }

        func finish() {
            wake.lock()
            finished = true
            wake.signal()
            wake.unlock()
            exited.wait()
        }
    }
}
