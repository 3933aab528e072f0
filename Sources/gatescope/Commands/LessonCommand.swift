import ArgumentParser
import CursesTerminal
import Foundation
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

    @OptionGroup var display: DisplayOptions

    func run() throws {
        let theme = try display.chosenTheme()
        let language = try display.language()
        if name != nil && file != nil { throw GateError("give a lesson's name or --file, not both") }
        guard let lesson = try file.map(Lesson.load(path:)) ?? name.map({ try BuiltinLessons.named($0, in: language) }) else {
            print(try Self.listing(in: language))
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
                                        capabilities: Capabilities(colors: .none, unicode: false), theme: theme,
                                        language: language)
                return try Terminal.run(monochrome: display.noColor, recorder: recorder) { capabilities, width, height in
                    app.opened(capabilities: capabilities, width: width, height: height)
                }
            } catch let error as TerminalError {
                throw GateError(error.message)
            }
        }
        if ending != .quit { throw ExitCode(ending.exitStatus) }
    }

    /// "lstm-gates   The LSTM's three gates …   5 beats", one line per built-in lesson, the
    /// titles in `language` and aligned by display width (a Chinese character takes two columns).
    static func listing(in language: Language) throws -> String {
        let lessons = try BuiltinLessons.all(in: language)
        let nameWidth = lessons.map(\.name.count).max() ?? 0
        let titleWidth = lessons.map(\.title.displayWidth).max() ?? 0
        return lessons.map { lesson in
            lesson.name.padding(toLength: nameWidth + 2, withPad: " ", startingAt: 0)
                + lesson.title + String(repeating: " ", count: titleWidth + 2 - lesson.title.displayWidth)
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
                let scenario = try ScenarioOptions.parse(arguments).makeScenario(heldFor: "the visualizer")
                built[arguments] = scenario
                return scenario
            } catch {
                let message = (error as? GateError)?.message ?? ScenarioOptions.message(for: error)
                throw GateError("\(lesson.source):\(beat.line): beat \(index + 1): \(message)")
            }
        }
    }
}
