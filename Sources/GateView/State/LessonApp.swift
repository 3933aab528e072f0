import Foundation
import GateCore

/// What the visualizer's header, footer and help say in lesson mode.
struct LessonChrome {
    /// "lesson lstm-gates · beat 2/5", in the header where "gatescope" stands otherwise.
    var title: String
    var footerItems: [(String, String, Int)]
    var helpKeys: [(String, String)]
    /// Whether the beat asks for the equations or the diagram: they then come before the
    /// heatmaps in a small window (`placeLessonPanel`).
    var panelFirst = false
}

extension GateScopeApp {
    /// Sets the screen to a beat's scene (the scenario already holds its model, input and
    /// cell). Throws when the scene asks for a layer, step or unit the model does not have;
    /// returns the work the gradient panel needs.
    mutating func apply(_ scene: Scene) throws -> Command {
        guard scene.layer <= trace.layerCount else {
            throw GateError("layer \(scene.layer): the model has \(Wording.count(trace.layerCount, "layer"))")
        }
        layer = scene.layer - 1
        guard scene.step <= trace.steps else {
            throw GateError("step \(scene.step): the input has \(Wording.count(trace.steps, "step"))")
        }
        step = scene.step - 1
        if let target = scene.unit {
            guard target < shownUnits else {
                throw GateError("unit \(target): layer \(scene.layer) has units 0 to \(shownUnits - 1)")
            }
            select(unit: target)
        }
        switch scene.panel {
        case .equations?: sidePanel = .equations
        case .diagram?: sidePanel = .diagram
        case .none?: sidePanel = .none
        case .gradient?: gradientPlot = .dependence
        case nil: break
        }
        highlightedColumns = Set(scene.highlight)
        // The panel the beat talks about may not fit the window: say so rather than hide it.
        if scene.panel == .equations || scene.panel == .diagram, layout().screen == .main, layout().sidePanel == nil {
            status = sidePanel == .diagram ? tr("this beat shows the cell diagram beside the heatmaps: it needs a larger window")
                : tr("this beat shows the equations beside the heatmaps: it needs a larger window")
        }
        return prepareGradients(restoring: nil)
    }
}

extension GateScopeApp {
    /// A beat that asks for the right-hand panel talks about it: when the window has no
    /// room for it beside the table or among the heatmaps (below 120×40), it takes the
    /// heatmaps' place under the table, and the table keeps as many unit rows around the
    /// selected one as leave it room (one at least, then a blank row if it fits).
    func placeLessonPanel(in layout: inout Layout) {
        guard lesson?.panelFirst == true, layout.screen == .main, layout.sidePanel == nil, gradientPlot == nil,
              let side = sidePanelWidget(), side.minimumSize.width <= width, var table = layout.table else { return }
        let rows = layout.footerY - table.firstRowY - side.minimumSize.height
        let gap = rows > 1 ? 1 : 0
        let units = min(table.units.count, rows - gap)
        guard units >= 1 else { return }
        table.units = window(around: unit, preferredStart: scroll, count: units, total: shownUnits)
        let top = table.firstRowY + units + gap
        layout.table = table
        layout.sidePanel = Rect(x: 0, y: top, width: width, height: layout.footerY - top)
        layout.panels = []
        layout.strip = nil
    }
}

/// The visualizer in lesson mode: a beat's scene with its narration in rows of its own
/// under the header. → / n and ← / b move between beats; inside a beat every other key
/// explores as in `show` (h / l step, # toggles the numbers), and Backspace or 0 returns
/// to the beat's scene.
public struct LessonApp: Program {
    public let lesson: Lesson
    /// The model and input of each beat, built by the caller from `Scene.arguments`.
    let scenarios: [Scenario]
    /// Each beat's narration with its placeholders filled from the beat's scene.
    public let narrations: [String]
    /// The beat shown, 0-based.
    public private(set) var beat: Int
    /// The beat's screen, which the student may change freely.
    public private(set) var screen: GateScopeApp
    private(set) var capabilities: Capabilities
    let theme: Theme
    /// The language of the screen's own words (the narration is the lesson's).
    let language: Language
    public private(set) var width: Int
    public private(set) var height: Int
    /// Work the opening beat asks for (its gradient panel's curves), handed to the terminal
    /// at the first tick: `init` cannot return a command.
    var pending: Command?

    /// The most rows the narration takes; a built-in narration fits them at 80 columns.
    public static let narrationRows = 4

    /// Opens `beat` (0-based) of `lesson`, one scenario per beat. Every beat's scene is
    /// set up once here, so that a mistake in any beat is reported before the screen opens,
    /// as "SOURCE:LINE: beat N: …".
    public init(lesson: Lesson, scenarios: [Scenario], beat: Int = 0, capabilities: Capabilities,
                theme: Theme = .standard, language: Language = .english, width: Int = 80, height: Int = 24) throws {
        guard scenarios.count == lesson.beats.count, lesson.beats.indices.contains(beat) else {
            throw GateError("\(lesson.source): beat \(beat + 1): the lesson has \(Wording.count(lesson.beats.count, "beat"))")
        }
        self.lesson = lesson
        self.scenarios = scenarios
        self.capabilities = capabilities
        self.theme = theme
        self.language = language
        self.width = max(0, width)
        self.height = max(0, height)
        self.beat = beat
        var narrations: [String] = []
        for index in lesson.beats.indices {
            let opened = try Self.open(lesson, scenarios: scenarios, beat: index, capabilities: capabilities,
                                       theme: theme, language: language, width: width, height: height)
            let app = opened.app
            do {
                narrations.append(try Narration.fill(lesson.beats[index].narration, scenario: app.scenario,
                                                     trace: app.trace.held, t: app.step, layer: app.layer, unit: app.unit))
            } catch let error as GateError {
                throw GateError("\(Self.place(lesson, index)): \(error.message)")
            }
        }
        self.narrations = narrations
        let rows = Self.narrationLines(narrations[beat], width: width, height: height).count
        let opened = try Self.open(lesson, scenarios: scenarios, beat: beat, capabilities: capabilities, theme: theme,
                                   language: language, width: width, height: max(0, height - rows))
        pending = opened.command == .none ? nil : opened.command
        screen = opened.app
    }

    /// "FILE:LINE: beat N", where messages about a beat point.
    static func place(_ lesson: Lesson, _ index: Int) -> String {
        "\(lesson.source):\(lesson.beats[index].line): beat \(index + 1)"
    }

    /// The screen of beat `index` at its scene, and the work its gradient panel needs.
    private static func open(_ lesson: Lesson, scenarios: [Scenario], beat index: Int, capabilities: Capabilities,
                             theme: Theme, language: Language, width: Int, height: Int) throws -> (app: GateScopeApp, command: Command) {
        let scene = lesson.beats[index].scene
        let pokes: [Poke]
        do {
            pokes = try scene.pokes.pokes(on: scenarios[index])
        } catch let error as GateError {
            throw GateError("\(lesson.source):\(scene.pokes.line): beat \(index + 1): \(error.message)")
        }
        do {
            var app = try GateScopeApp(scenario: scenarios[index], pokes: pokes, capabilities: capabilities, theme: theme,
                                       language: language, width: width, height: height)
            app.lesson = chrome(lesson, beat: index, unicode: capabilities.unicode, catalogue: app.catalogue)
            let command = try app.apply(scene)
            return (app, command)
        } catch let error as GateError {
            throw GateError("\(place(lesson, index)): \(error.message)")
        }
    }

    /// What the header, footer and help say of beat `index`, in the terminal's glyphs.
    private static func chrome(_ lesson: Lesson, beat index: Int, unicode: Bool, catalogue: Catalogue) -> LessonChrome {
        LessonChrome(
            title: catalogue.tr("lesson {1}", lesson.name) + Glyphs(unicode: unicode).separator
                + catalogue.tr("beat {1}/{2}", index + 1, lesson.beats.count),
            footerItems: [(unicode ? "←→" : "b n", catalogue.tr("beat"), 0), ("0", catalogue.tr("scene"), 2)],
            helpKeys: [(unicode ? "→ ← n b" : "n b", catalogue.tr("next/prev beat")), ("0 Bksp", catalogue.tr("the beat's scene"))],
            panelFirst: [.equations, .diagram].contains(lesson.beats[index].scene.panel))
    }

    /// The same lesson for a terminal with these capabilities and size (see
    /// `GateScopeApp.opened`); the beats opened later take the same capabilities.
    public func opened(capabilities: Capabilities, width: Int, height: Int) -> LessonApp {
        var opened = self
        opened.capabilities = capabilities
        opened.width = max(0, width)
        opened.height = max(0, height)
        opened.screen = screen.opened(capabilities: capabilities, width: width, height: opened.screenHeight)
        opened.screen.lesson = Self.chrome(lesson, beat: beat, unicode: capabilities.unicode, catalogue: opened.screen.catalogue)
        return opened
    }

    /// The narration in lines as wide as the frame, at most `narrationRows` of them.
    var narrationLines: [String] { Self.narrationLines(narrations[beat], width: width, height: height) }

    /// `text` wrapped to the frame's width (less the bar), at most `narrationRows` lines, fewer
    /// when the window is so low that the screen under it would be too small.
    static func narrationLines(_ text: String, width: Int, height: Int) -> [String] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            .flatMap { wrap(String($0), width: max(1, width - 3)) }
        return Array(lines.prefix(min(narrationRows, max(0, height - Layout.minimumHeight))))
    }

    /// The rows left to the beat's screen under the narration.
    var screenHeight: Int { max(0, height - narrationLines.count) }

    /// A tick at once (a millisecond) while the opening beat's work waits to be handed over.
    public var tickInterval: Double? { pending == nil ? screen.tickInterval : 0.001 }

    public mutating func update(_ message: Message) -> Command {
        if let command = pending, case .tick = message {
            pending = nil
            return command
        }
        switch message {
        case .resize(let newWidth, let newHeight):
            width = max(0, newWidth)
            height = max(0, newHeight)
            return screen.update(.resize(width: width, height: screenHeight))
        case .click(let x, let y):
            // The narration rows are not part of the screen below them.
            let rows = narrationLines.count
            guard y == 0 || y > rows else { return .none }
            return screen.update(.click(x: x, y: y == 0 ? 0 : y - rows))
        case .key(let key) where !screen.showsHelp && screen.working == nil:
            return press(key)
        default:
            return screen.update(message)
        }
    }

    private mutating func press(_ key: Key) -> Command {
        switch key {
        case .right, .character("n"): return go(to: beat + 1)
        case .left, .character("b"): return go(to: beat - 1)
        case .backspace, .character("0"): return go(to: beat)
        case .character("#"): return screen.update(.key(.character("n")))
        case .character("l"): return screen.update(.key(.right))
        case .character("h"): return screen.update(.key(.left))
        default: return screen.update(.key(key))
        }
    }

    /// Opens beat `target` at its scene (the same beat: back to its scene).
    private mutating func go(to target: Int) -> Command {
        guard lesson.beats.indices.contains(target) else {
            screen.status = target < 0 ? screen.tr("this is the first beat") : screen.tr("this is the last beat · q quits")
            return .none
        }
        beat = target
        // Every beat opened once in `init`, so opening it again cannot fail.
        guard let opened = try? Self.open(lesson, scenarios: scenarios, beat: target, capabilities: capabilities,
                                          theme: theme, language: language, width: width, height: screenHeight) else { return .none }
        screen = opened.app
        return opened.command
    }

    public func view(into buffer: inout Buffer) {
        buffer.fill(x: 0, y: 0, width: buffer.width, height: buffer.height)
        var inner = Buffer(width: width, height: screenHeight)
        screen.view(into: &inner)
        // The help screen has the whole frame; the narration waits under it.
        let lines = screen.showsHelp ? [] : narrationLines
        // The header stays on top; the screen's other rows move down under the narration.
        for y in 0..<inner.height {
            let target = y == 0 ? 0 : y + lines.count
            for x in 0..<inner.width { buffer[x, target] = inner[x, y] }
        }
        let bar = Glyphs(unicode: capabilities.unicode).unicode ? "┃ " : "| "
        for (index, line) in lines.enumerated() {
            let x = buffer.put(bar, x: 0, y: 1 + index, style: theme.keyStyle)
            buffer.put(line, x: x, y: 1 + index, maxWidth: width - x)
        }
    }
}

extension LessonApp {
    /// The frame of beat `beat` (1-based) at `width` × `height` after `keys`, for
    /// `render --lesson` and tests; work a key or the beat asks for is finished first.
    public static func renderFrame(lesson: Lesson, scenarios: [Scenario], beat: Int, width: Int, height: Int,
                                   keys: [Key] = [], capabilities: Capabilities,
                                   theme: Theme = .standard, language: Language = .english) throws -> Buffer {
        try GateScopeApp.checkRenderSize(width: width, height: height)
        guard lesson.beats.indices.contains(beat - 1) else {
            throw GateError("--beat \(beat): the lesson \(lesson.name) has \(Wording.count(lesson.beats.count, "beat")), so it must be between 1 and \(lesson.beats.count)")
        }
        var app = try LessonApp(lesson: lesson, scenarios: scenarios, beat: beat - 1, capabilities: capabilities,
                                theme: theme, language: language, width: width, height: height)
        // The beat's own work (the gradient panel's curves), then each key's.
        _ = app.updateFinishingWork(.tick(seconds: 0))
        for key in keys where app.updateFinishingWork(.key(key)) == .quit { break }
        var buffer = Buffer(width: width, height: height)
        app.view(into: &buffer)
        return buffer
    }
}
