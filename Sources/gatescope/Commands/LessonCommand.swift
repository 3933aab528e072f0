import ArgumentParser
import CursesTerminal
import GateCore
import GateView

/// `gatescope lesson`: the built-in lessons, or one of them (or a lesson file) in the
/// visualizer's lesson mode.
struct LessonCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesson",
        abstract: "List the guided lessons, or open one in the visualizer.",
        discussion: """
            Without a name: the built-in lessons. With one (or --file): the lesson, beat by \
            beat. → or n: next beat, ← or b: previous, 0 or Backspace: back to the beat's \
            scene; h and l step, and every other key explores as in `show`. The format of a \
            lesson file is in docs/lessons.md.
            """)

    @Argument(help: "A built-in lesson's name.")
    var name: String?

    @Option(help: ArgumentHelp("A lesson file (YAML, see docs/lessons.md).", valueName: "file.yaml"))
    var file: String?

    @Option(parsing: .unconditional, help: "Open at this beat, counted from 1 (default: 1).")
    var beat = 1

    @OptionGroup var recording: RecordOptions

    @Option(help: ArgumentHelp(
        "Colours: " + Theme.all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ") + ".",
        valueName: "name"))
    var theme = Theme.standard.name

    @Flag(name: .customLong("no-color"), help: "No colour, as with NO_COLOR=1: shades and glyphs carry the values.")
    var noColor = false

    func run() throws {
        guard let theme = Theme.named(theme) else {
            throw GateError("--theme \(theme): expected one of \(Theme.all.map(\.name).joined(separator: ", "))")
        }
        if name != nil && file != nil { throw GateError("give a lesson's name or --file, not both") }
        guard let lesson = try file.map(Lesson.load(path:)) ?? name.map(BuiltinLessons.named) else {
            print(try Self.listing())
            return
        }
        let scenarios = try LessonScenes.scenarios(for: lesson)
        guard lesson.beats.indices.contains(beat - 1) else {
            throw GateError("--beat \(beat): the lesson \(lesson.name) has \(lesson.beats.count) beats")
        }
        try recording.check(inputs: file.map { [("--file", $0)] } ?? [])
        let ending = try recording.run { recorder in
            do {
                try Terminal.checkStandardStreams()
                let app = try LessonApp(lesson: lesson, scenarios: scenarios, beat: beat - 1,
                                        capabilities: Capabilities(colors: .none, unicode: false), theme: theme)
                return try Terminal.run(monochrome: noColor, recorder: recorder) { capabilities, width, height in
                    app.opened(capabilities: capabilities, width: width, height: height)
                }
            } catch let error as TerminalError {
                throw GateError(error.message)
            }
        }
        if ending != .quit { throw ExitCode(ending.exitStatus) }
    }

    /// "lstm-gates   The LSTM's three gates …   5 beats", one line per built-in lesson.
    static func listing() throws -> String {
        let lessons = try BuiltinLessons.all()
        let nameWidth = lessons.map(\.name.count).max() ?? 0
        let titleWidth = lessons.map(\.title.count).max() ?? 0
        return lessons.map { lesson in
            lesson.name.padding(toLength: nameWidth + 2, withPad: " ", startingAt: 0)
                + lesson.title.padding(toLength: titleWidth + 2, withPad: " ", startingAt: 0)
                + Wording.count(lesson.beats.count, "beat")
        }.joined(separator: "\n")
    }
}

/// The model and input of every beat, read through the same options as the command line.
enum LessonScenes {
    static func scenarios(for lesson: Lesson) throws -> [Scenario] {
        var built: [[String]: Scenario] = [:]
        return try lesson.beats.enumerated().map { index, beat in
            let arguments = beat.scene.arguments(folder: lesson.folder)
            if let scenario = built[arguments] { return scenario }
            do {
                let scenario = try ScenarioOptions.parse(arguments).makeScenario(wholeTraceFor: "the visualizer")
                built[arguments] = scenario
                return scenario
            } catch {
                let message = (error as? GateError)?.message ?? ScenarioOptions.message(for: error)
                throw GateError("\(lesson.source):\(beat.line): beat \(index + 1): \(message)")
            }
        }
    }
}
