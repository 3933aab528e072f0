import Foundation
import Yams

/// A guided lesson: a sequence of beats, each setting the scene on screen and saying a few
/// lines about it. Lessons are YAML files (docs/lessons.md) so that a teacher can copy, edit
/// and translate one without touching Swift.
public struct Lesson: Sendable, Equatable {
    public var name: String
    public var title: String
    /// Where the lesson came from, for messages: a path, or "built-in NAME.yaml".
    public var source: String
    /// The folder relative model and input paths are read from; nil for a built-in lesson.
    public var folder: URL?
    public var beats: [Beat]
}

/// One step of a lesson: the scene it sets and what it says about it.
public struct Beat: Sendable, Equatable {
    /// The beat's full scene: what it sets, over what the beats before it set.
    public var scene: Scene
    /// The narration as written, placeholders such as `{f}` still in it (`Narration.fill`).
    public var narration: String
    /// The line of the beat in its file, for messages about it.
    public var line: Int
}

/// What the screen shows at a beat. Every field carries over from the beat before unless
/// the beat sets it (the first beat starts from these defaults).
public struct Scene: Sendable, Equatable {
    /// A trained demo as `KIND-TASK` (lstm-delay, gru-text, …), a demo as `--demo` names it
    /// (delay, text, random), or a model file relative to the lesson.
    public var model = "lstm-delay"
    /// The cell kind as `--cell` spells it, nil for the model's own.
    public var cell: String?
    /// Input options as the command line spells them, e.g. ["--text", "xaxx?"].
    public var input: [String] = []
    /// 1-based, as on screen.
    public var layer = 1
    /// 1-based, as on screen.
    public var step = 1
    /// The selected unit as the table numbers it; nil for the demo's own watched unit.
    public var unit: Int?
    /// nil: the visualizer's own (the equations when there is room), said nothing of.
    public var panel: Panel?
    /// Column symbols to mark in the table (i, f, g, o, r, z, n, c, h, a).
    public var highlight: [String] = []
    /// The beat's what-ifs. The one key that does not carry over: a beat's pokes are its own.
    public var pokes = ScenePokes()

    /// The right-hand side of the screen a beat asks for.
    public enum Panel: String, CaseIterable, Sendable {
        case equations, diagram, gradient, none
    }

    public init() {}
}

/// A beat's pokes as the poke options spell them (`--set-input`, `--clamp`, `--nudge`,
/// `--poke-layer`): checked for their spelling when the lesson is read, against the model
/// when the beat opens.
public struct ScenePokes: Sendable, Equatable {
    public var setInput: [String] = []
    public var clamp: [String] = []
    public var nudge: [String] = []
    /// The layer clamps and nudges act on, from 1.
    public var layer = 1
    /// The line of `pokes:` in the lesson, for messages about them.
    public var line = 1

    /// The keys of `pokes:`, as the options are named without their dashes.
    static let keys = ["set-input", "clamp", "nudge", "layer"]

    public var isEmpty: Bool { setInput.isEmpty && clamp.isEmpty && nudge.isEmpty }

    /// The pokes on `scenario`, each checked against its model and sequence.
    public func pokes(on scenario: Scenario) throws -> [Poke] {
        try PokeSpelling.pokes(setInput: setInput, clamp: clamp, nudge: nudge, layer: layer - 1,
                               on: scenario, prefix: "pokes: ")
    }
}

extension Lesson {
    /// The keys a lesson file may have, and those of a beat (docs/lessons.md).
    static let lessonKeys = ["name", "title", "beats"]
    static let beatKeys = ["model", "cell", "input", "layer", "step", "unit", "panel", "highlight", "pokes", "say"]
    /// The column symbols `highlight` accepts.
    public static let columnSymbols = ["i", "f", "g", "o", "r", "z", "n", "c", "h", "a"]

    /// Reads a lesson file; a relative model or input path in it is read from its folder.
    public static func load(path: String) throws -> Lesson {
        let url = URL(fileURLWithPath: path)
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw GateError("\(path): cannot read the lesson (\(error.localizedDescription))")
        }
        return try parse(text, source: path, folder: url.deletingLastPathComponent())
    }

    /// Parses a lesson's YAML text. Every mistake is a GateError "SOURCE:LINE: what was
    /// expected", unknown keys included.
    public static func parse(_ text: String, source: String, folder: URL?) throws -> Lesson {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw GateError("\(source):\(Self.line(of: error)): not valid YAML: \(Self.problem(of: error))")
        }
        let reader = Reader(source: source)
        guard let root, let mapping = root.mapping else {
            throw GateError("\(source):1: expected a mapping with name, title and beats")
        }
        let fields = try reader.fields(of: mapping, at: root, allowed: lessonKeys, required: lessonKeys, what: "the lesson")
        let name = try reader.string(fields["name"], "name")
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw GateError("\(reader.at(fields["name"])): name: expected letters, digits, - and _ (it is typed after `gatescope lesson`)")
        }
        let title = try reader.string(fields["title"], "title")
        guard let beatsNode = fields["beats"], let list = beatsNode.sequence, !list.isEmpty else {
            throw GateError("\(reader.at(fields["beats"])): beats: expected a list of at least one beat")
        }
        var scene = Scene()
        var beats: [Beat] = []
        for node in list {
            let beat = try reader.beat(node, after: scene, number: beats.count + 1)
            scene = beat.scene
            beats.append(beat)
        }
        return Lesson(name: name, title: title, source: source, folder: folder, beats: beats)
    }

    private static func line(of error: YamlError) -> Int {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: 1
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
             .composer(let context, let problem, _, _):
            (context.map { $0.text + " " } ?? "") + problem
        default: "\(error)"
        }
    }
}

/// Reads the YAML nodes of one file, naming the file and line in every error.
private struct Reader {
    let source: String

    func at(_ node: Node?) -> String { "\(source):\(node?.mark?.line ?? 1)" }

    /// The mapping's values by key; an unknown or repeated key, or a missing required one,
    /// is an error.
    func fields(of mapping: Node.Mapping, at node: Node, allowed: [String], required: [String],
                what: String) throws -> [String: Node] {
        var fields: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string, allowed.contains(name) else {
                throw GateError("\(at(key)): unknown key '\(key.string ?? "?")' in \(what): expected one of \(allowed.joined(separator: ", "))")
            }
            guard fields[name] == nil else { throw GateError("\(at(key)): '\(name)' is given twice in \(what)") }
            fields[name] = value
        }
        for name in required where fields[name] == nil {
            throw GateError("\(at(node)): \(what) needs '\(name)'")
        }
        return fields
    }

    func string(_ node: Node?, _ key: String) throws -> String {
        guard let scalar = node?.scalar else { throw GateError("\(at(node)): \(key): expected text") }
        return scalar.string
    }

    func positive(_ node: Node?, _ key: String, least: Int) throws -> Int {
        guard let text = node?.scalar?.string, let value = Int(text), value >= least else {
            throw GateError("\(at(node)): \(key): expected a whole number of at least \(least)")
        }
        return value
    }

    func strings(_ node: Node?, _ key: String) throws -> [String] {
        if let scalar = node?.scalar { return [scalar.string] }
        guard let list = node?.sequence else { throw GateError("\(at(node)): \(key): expected a list of text") }
        return try list.map { item in
            guard let scalar = item.scalar else { throw GateError("\(at(item)): \(key): expected text in the list") }
            return scalar.string
        }
    }

    func beat(_ node: Node, after previous: Scene, number: Int) throws -> Beat {
        guard let mapping = node.mapping else {
            throw GateError("\(at(node)): beat \(number): expected a mapping with 'say' and the scene's keys")
        }
        let what = "beat \(number)"
        let fields = try self.fields(of: mapping, at: node, allowed: Lesson.beatKeys, required: ["say"], what: what)
        var scene = previous
        scene.pokes = try fields["pokes"].map(pokes) ?? ScenePokes()
        if let model = fields["model"] { scene.model = try string(model, "model") }
        if let cell = fields["cell"] {
            let spelling = try string(cell, "cell")
            // KIND+KIND is a hybrid stack of the random demo, bottom layer first.
            guard spelling.split(separator: "+", omittingEmptySubsequences: false)
                .allSatisfy({ CellKind(spelling: String($0)) != nil }) else {
                throw GateError("\(at(cell)): cell: expected one of \(CellKind.allCases.map(\.rawValue).joined(separator: ", "))"
                    + ", or kinds joined by + for a hybrid stack of the random demo (gru+lstm)")
            }
            scene.cell = spelling
        }
        if let input = fields["input"] {
            scene.input = try strings(input, "input")
            guard scene.input.first.map({ $0.hasPrefix("--") }) ?? true else {
                throw GateError("\(at(input)): input: expected options as the command line spells them, e.g. [--text, \"xaxx?\"]")
            }
        }
        if let layer = fields["layer"] { scene.layer = try positive(layer, "layer", least: 1) }
        if let step = fields["step"] { scene.step = try positive(step, "step", least: 1) }
        if let unit = fields["unit"] { scene.unit = try positive(unit, "unit", least: 0) }
        if let panel = fields["panel"] {
            let name = try string(panel, "panel")
            guard let value = Scene.Panel(rawValue: name) else {
                throw GateError("\(at(panel)): panel: expected one of \(Scene.Panel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            scene.panel = value
        }
        if let highlight = fields["highlight"] {
            scene.highlight = try strings(highlight, "highlight")
            if let wrong = scene.highlight.first(where: { !Lesson.columnSymbols.contains($0) }) {
                throw GateError("\(at(highlight)): highlight: '\(wrong)' is not a column; expected some of \(Lesson.columnSymbols.joined(separator: ", "))")
            }
        }
        let say = try string(fields["say"], "say").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !say.isEmpty else { throw GateError("\(at(fields["say"])): say: expected the beat's narration") }
        if let problem = Narration.check(say) {
            throw GateError("\(at(fields["say"])): say: \(problem)")
        }
        return Beat(scene: scene, narration: say, line: node.mark?.line ?? 1)
    }

    /// `pokes:`, a mapping of the poke options without their dashes to a text or a list.
    func pokes(_ node: Node) throws -> ScenePokes {
        guard let mapping = node.mapping else {
            throw GateError("\(at(node)): pokes: expected a mapping of \(ScenePokes.keys.joined(separator: ", ")),"
                + " such as {clamp: \"forget:2=0@2-\"}")
        }
        let fields = try self.fields(of: mapping, at: node, allowed: ScenePokes.keys, required: [], what: "pokes")
        var pokes = ScenePokes()
        pokes.line = node.mark?.line ?? 1
        let lists: [(String, WritableKeyPath<ScenePokes, [String]>)] =
            [("set-input", \.setInput), ("clamp", \.clamp), ("nudge", \.nudge)]
        for (key, list) in lists {
            guard let value = fields[key] else { continue }
            let texts = try strings(value, "pokes: \(key)")
            for text in texts {
                if let problem = PokeSpelling.spellingProblem(key, text) {
                    throw GateError("\(at(value)): pokes: \(key) '\(text)': \(problem)")
                }
            }
            pokes[keyPath: list] = texts
        }
        if let layer = fields["layer"] {
            pokes.layer = try positive(layer, "pokes: layer", least: 1)
            guard !pokes.clamp.isEmpty || !pokes.nudge.isEmpty else {
                throw GateError("\(at(layer)): pokes: layer says where clamp and nudge act; give one of them too")
            }
        }
        guard !pokes.isEmpty else {
            throw GateError("\(at(node)): pokes: expected at least one of set-input, clamp or nudge")
        }
        return pokes
    }
}

extension Scene {
    /// The command-line options that open this scene's model and input (`ScenarioOptions`
    /// reads them), with relative paths made relative to `folder`.
    public func arguments(folder: URL?) -> [String] {
        func resolved(_ path: String) -> String {
            guard let folder, !path.hasPrefix("/") else { return path }
            return folder.appendingPathComponent(path).path
        }
        var arguments: [String]
        let parts = model.split(separator: "-", maxSplits: 1).map(String.init)
        if parts.count == 2, CellKind(spelling: parts[0]) != nil, Demos.Task(rawValue: parts[1]) != nil {
            arguments = ["--demo", parts[1], "--cell", cell ?? parts[0]]
        } else if Demos.Task(rawValue: model) != nil || model == "random" {
            arguments = ["--demo", model] + (cell.map { ["--cell", $0] } ?? [])
        } else {
            arguments = ["--model", resolved(model)] + (cell.map { ["--cell", $0] } ?? [])
        }
        // The options that name files read them beside the lesson.
        var previous = ""
        for option in input {
            arguments.append(["--input", "--vocab"].contains(previous) ? resolved(option) : option)
            previous = option
        }
        return arguments
    }
}
