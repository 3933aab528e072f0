import ArgumentParser
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

    @Option(help: ArgumentHelp(
        "Colours: " + Theme.all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ") + ".",
        valueName: "name"))
    var theme = Theme.standard.name

    @Flag(name: .customLong("no-color"), help: "No colour, as with NO_COLOR=1: shades and glyphs carry the values.")
    var noColor = false

    func run() throws {
        // Every check that can fail on the user's input runs before the terminal is taken.
        guard let theme = Theme.named(theme) else {
            throw GateError("--theme \(theme): expected one of \(Theme.all.map(\.name).joined(separator: ", "))")
        }
        try recording.check(inputs: scenario.inputFiles)
        let scenario = try scenario.makeScenario()
        let pokes = try pokes.pokes(on: scenario)
        let ending = try recording.run { recorder in
            do {
                try Terminal.checkStandardStreams()
                // The trace too, which takes seconds for a large model: until the terminal is
                // taken, the shell's screen stays and Ctrl-C ends the command as any other.
                let app = try GateScopeApp(scenario: scenario, pokes: pokes, capabilities: Capabilities(colors: .none, unicode: false),
                                           theme: theme)
                return try Terminal.run(monochrome: noColor, recorder: recorder) { capabilities, width, height in
                    app.opened(capabilities: capabilities, width: width, height: height)
                }
            } catch let error as TerminalError {
                throw GateError(error.message)
            }
        }
        if ending != .quit { throw ExitCode(ending.exitStatus) }
    }
}
