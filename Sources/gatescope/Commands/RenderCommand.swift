import ArgumentParser
import Foundation
import GateCore
import GateView

/// `gatescope render`: the exact frame the visualizer would show, printed as text, for
/// tests, documentation and handouts.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print the frame the visualizer would show, as text.",
        discussion: """
            Plain text by default (what a monochrome terminal shows: shades and glyphs carry \
            the values); --color adds 256-colour ANSI escapes. --keys presses keys first, \
            space-separated: single characters stand for themselves (l h j k g G n d v p u U s D + - [ ] ? q), \
            and space tab esc enter left right up down home end pgup pgdn name the others. \
            Example: gatescope render --cell gru --step 7 --keys "j j tab".
            """)

    @OptionGroup var scenario: ScenarioOptions

    @OptionGroup(title: "What if") var pokes: PokeOptions

    @Option(parsing: .unconditional, help: "Columns of the frame.")
    var width = 80

    @Option(parsing: .unconditional, help: "Rows of the frame.")
    var height = 24

    @Option(parsing: .unconditional, help: "Open at this step, counted from 1 as on screen (default: 1).")
    var step: Int?

    // `.unconditional`: "-" (zoom out) is a key, not the start of an option.
    @Option(parsing: .unconditional, help: ArgumentHelp("Keys to press before drawing, e.g. \"l l tab ?\".", valueName: "keys"))
    var keys = ""

    @Option(help: ArgumentHelp("A lesson (a built-in name or a lesson file): print the frame of its --beat. It sets the model and input itself.",
                               valueName: "name|file.yaml"))
    var lesson: String?

    @Option(parsing: .unconditional, help: "With --lesson: the beat, counted from 1 (default: 1).")
    var beat: Int?

    @Flag(name: .customLong("side-by-side"), help: "LSTM | GRU (| RNN when there is room) on the same input at the same step, as the s key shows them.")
    var sideBySide = false

    @Flag(name: .customLong("heatmap-diff"), help: "With a poke: the heatmaps show the poked run minus the unpoked one, as the D key does.")
    var heatmapDiff = false

    @Flag(help: "Colour the frame with ANSI escapes (256 colours, bold, reverse).")
    var color = false

    @Flag(help: "Only ASCII characters, as on a terminal without UTF-8.")
    var ascii = false

    @OptionGroup var display: DisplayOptions

    func run() throws {
        // The cheap checks first, so that a typo is reported before a model is loaded.
        let theme = try display.chosenTheme()
        let language = try display.language()
        if color && display.noColor { throw GateError("give --color or --no-color, not both") }
        try GateScopeApp.checkRenderSize(width: width, height: height)
        let keys = try KeyScript.parse(keys)
        let capabilities = Capabilities(colors: color ? .full : .none, unicode: !ascii)
        if let lesson {
            guard step == nil, scenario.isEmpty else {
                throw GateError("--lesson sets the model, input and step of each beat; leave out --step and the model and input options")
            }
            let opened = try BuiltinLessons.open(lesson, in: language)
            let frame = try LessonApp.renderFrame(
                lesson: opened, scenarios: LessonScenes.scenarios(for: opened), beat: beat ?? 1,
                width: width, height: height, keys: keys, capabilities: capabilities, theme: theme,
                language: language)
            print(color ? frame.ansiText : frame.plainText)
            return
        }
        if beat != nil { throw GateError("--beat needs --lesson") }
        let scenario = try scenario.makeScenario(heldFor: "the visualizer")
        let pokes = try pokes.pokes(on: scenario)
        if sideBySide, scenario.makeVariant == nil {
            throw GateError("--side-by-side: \(scenario.modelName) has no other cell kind to set beside its \(scenario.model.cell.displayName)")
        }
        if heatmapDiff, pokes.isEmpty {
            throw GateError("--heatmap-diff shows the difference from the unpoked run: add a poke (--clamp, --nudge or --set-input)")
        }
        // The view options are the keys that turn them on, pressed before --keys.
        let viewKeys: [Key] = (sideBySide ? [.character("s")] : []) + (heatmapDiff ? [.character("D")] : [])
        let frame = try GateScopeApp.renderFrame(
            scenario: scenario, pokes: pokes, width: width, height: height, step: step, keys: viewKeys + keys,
            capabilities: capabilities, theme: theme, language: language)
        print(color ? frame.ansiText : frame.plainText)
    }
}
