import Foundation
import Testing
@testable import GateCore

/// The binary carries the built-in lessons (LessonFiles.swift); they must be the committed
/// files. Regenerate with `python3 Tools/embed_lessons.py`.
@Test func embeddedLessonsAreTheCommittedFiles() throws {
    let lessons = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/GateCore/Lessons")
    for language in Language.allCases {
        let folder = lessons.appendingPathComponent(language.code)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        let embedded = LessonFiles.base64.filter { $0.language == language.code }
        #expect(names == embedded.map(\.name), "\(language.code)")
        for file in embedded {
            let onDisk = try Data(contentsOf: folder.appendingPathComponent(file.name))
            #expect(Data(base64Encoded: file.text) == onDisk, "\(language.code)/\(file.name) differs: run Tools/embed_lessons.py")
        }
    }
}

/// Every built-in lesson parses, is named as its file, and has 3 to 7 beats.
@Test func builtinLessonsParse() throws {
    let lessons = try BuiltinLessons.all(in: .english)
    #expect(lessons.count == 8)
    for (lesson, file) in zip(lessons, LessonFiles.base64.filter { $0.language == "en" }) {
        #expect(file.name.hasSuffix("-\(lesson.name).yaml"), "\(file.name) holds \(lesson.name)")
        #expect((3...7).contains(lesson.beats.count), "\(lesson.name)")
    }
    #expect(Set(lessons.map(\.name)).count == lessons.count)
    #expect(try BuiltinLessons.named("cost", in: .english).title.contains("cost"))
    #expect(throws: GateError.self) { try BuiltinLessons.named("nope", in: .english) }
}

/// A beat's scene carries over what the beats before it set.
@Test func scenesCarryOver() throws {
    let lesson = try Lesson.parse("""
        name: t
        title: T
        beats:
          - model: gru-delay
            step: 5
            unit: 3
            panel: diagram
            highlight: [z]
            say: one
          - step: 6
            say: two
          - model: lstm-delay
            cell: gru
            input: [--text, "axx?"]
            say: three
        """, source: "t.yaml", folder: nil)
    let second = lesson.beats[1].scene
    #expect(second.model == "gru-delay" && second.step == 6 && second.unit == 3 && second.panel == .diagram)
    #expect(second.highlight == ["z"])
    #expect(lesson.beats[1].line == 10)
    #expect(second.arguments(folder: nil) == ["--demo", "delay", "--cell", "gru"])
    #expect(lesson.beats[2].scene.arguments(folder: nil) == ["--demo", "delay", "--cell", "gru", "--text", "axx?"])
    var file = Scene()
    file.model = "m.pt"
    file.input = ["--input", "x.csv"]
    #expect(file.arguments(folder: URL(fileURLWithPath: "/l")) == ["--model", "/l/m.pt", "--input", "/l/x.csv"])
}

/// Each mistake in a lesson file is one error naming the file, the line and what was expected.
@Test(arguments: [
    ("name: a\ntitle: b\nbeats: [\n", "t.yaml:4: not valid YAML"),
    ("name: a\ntitle: b\ncolour: red\nbeats:\n  - say: x\n", "t.yaml:3: unknown key 'colour' in the lesson: expected one of name, title, beats"),
    ("name: a\ntitle: b\n", "t.yaml:1: the lesson needs 'beats'"),
    ("- a\n- b\n", "t.yaml:1: expected a mapping with name, title and beats"),
    ("name: a b\ntitle: b\nbeats:\n  - say: x\n", "t.yaml:1: name: expected letters, digits, - and _"),
    ("name: a\ntitle: b\nbeats: []\n", "t.yaml:3: beats: expected a list of at least one beat"),
    ("name: a\ntitle: b\nbeats:\n  - step: 2\n", "t.yaml:4: beat 1 needs 'say'"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n  - say: y\n    stpe: 3\n", "t.yaml:6: unknown key 'stpe' in beat 2: expected one of model, cell"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    step: 0\n", "t.yaml:5: step: expected a whole number of at least 1"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    panel: side\n", "t.yaml:5: panel: expected one of equations, diagram, gradient, none"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    highlight: [f, q]\n", "t.yaml:5: highlight: 'q' is not a column"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    cell: lsmt\n", "t.yaml:5: cell: expected one of lstm, gru"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    input: abc\n", "t.yaml:5: input: expected options as the command line spells them"),
    ("name: a\ntitle: b\nbeats:\n  - say: f is {forget}\n", "t.yaml:4: say: unknown placeholder {forget}"),
    ("name: a\ntitle: b\nbeats:\n  - say: \"f is {f\"\n", "t.yaml:4: say: an unmatched brace"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    cell: gru+lsmt\n", "t.yaml:5: cell: expected one of lstm, gru"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    pokes: [--clamp f=1]\n", "t.yaml:5: pokes: expected a mapping of set-input, clamp, nudge, layer"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    pokes:\n      clmap: forget:2=0@3\n", "t.yaml:6: unknown key 'clmap' in pokes: expected one of set-input, clamp, nudge, layer"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    pokes: {}\n", "t.yaml:5: pokes: expected at least one of set-input, clamp or nudge"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    pokes:\n      clamp: forget:2=0\n", "t.yaml:6: pokes: clamp 'forget:2=0': expected GATE:UNIT=VALUE@STEP"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    pokes:\n      clamp: [forget:2=0@3, forgot:2=0@3]\n", "t.yaml:6: pokes: clamp 'forgot:2=0@3': unknown gate 'forgot': expected input, forget"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    pokes:\n      nudge: forget:x=1\n", "t.yaml:6: pokes: nudge 'forget:x=1': 'x' is not a unit"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    pokes:\n      nudge: forget:2=big\n", "t.yaml:6: pokes: nudge 'forget:2=big': 'big' is not a finite number"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    pokes:\n      set-input: a\n", "t.yaml:6: pokes: set-input 'a': expected STEP=SYMBOL"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    pokes:\n      set-input: [[1]]\n", "t.yaml:6: pokes: set-input: expected text in the list"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    pokes:\n      set-input: 1=a\n      layer: 2\n", "t.yaml:7: pokes: layer says where clamp and nudge act"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    pokes:\n      clamp: forget:2=0@3\n      layer: 0\n", "t.yaml:7: pokes: layer: expected a whole number of at least 1"),
    ("name: a\ntitle: b\nbeats:\n  - say: x\n    say: y\n", "t.yaml:5: 'say' is given twice in beat 1"),
    ("name: a\ntitle: b\nbeats:\n  - 3\n", "t.yaml:4: beat 1: expected a mapping"),
])
func formatErrors(text: String, expected: String) {
    do {
        _ = try Lesson.parse(text, source: "t.yaml", folder: nil)
        Issue.record("no error for \(text)")
    } catch let error as GateError {
        #expect(error.message.hasPrefix(expected), "\(error.message)")
    } catch {
        Issue.record("not a GateError: \(error)")
    }
}

/// A placeholder quotes the trace at the beat's scene; one the cell lacks is an error.
@Test func placeholdersQuoteTheTrace() throws {
    let scenario = try Demos.scenario(kind: .lstm, task: .delay)
    let trace = try scenario.model.trace(scenario.inputs)
    let f = trace.gate(.forget, t: 4, layer: 0)
    let text = try Narration.fill("step {step} unit {unit}: f = {f}, again {f}; {x}", scenario: scenario, trace: trace,
                                  t: 4, layer: 0, unit: 2)
    #expect(text == "step 5 unit 2: f = \(String(format: "%.3f", Double(f[f.startIndex + 2]))), again "
        + "\(String(format: "%.3f", Double(f[f.startIndex + 2]))); \(scenario.stepLabels[4])")
    #expect(throws: GateError.self) {
        try Narration.fill("{z}", scenario: scenario, trace: trace, t: 0, layer: 0, unit: 0)
    }
}

/// The cost placeholders follow G·(H·I + H·H + 2H) (SUBJECT.md) for I = 6, H = 8, and the
/// model's own count is what `inspect` prints as "recurrent".
@Test func costPlaceholdersFollowTheParameterFormula() throws {
    let scenario = try Demos.scenario(kind: .gru, task: .delay)
    let trace = try scenario.model.trace(scenario.inputs)
    let text = try Narration.fill("{recurrent_params} {params_lstm} {params_gru} {params_rnn} {madds_lstm} {madds_gru}",
                                  scenario: scenario, trace: trace, t: 0, layer: 0, unit: 0)
    let (I, H) = (6, 8)
    let parameters = { (G: Int) in G * (H * I + H * H + 2 * H) }
    let multiplyAdds = { (G: Int) in G * (H * I + H * H) }
    #expect(text == "\(parameters(3)) \(parameters(4)) \(parameters(3)) \(parameters(1)) \(multiplyAdds(4)) \(multiplyAdds(3))")
}

/// `pokes:` keeps the options' spellings for the beat that gives them (they do not carry
/// over), with its line; a hybrid `cell` opens the random demo as a stack.
@Test func pokesBelongToTheirBeat() throws {
    let lesson = try Lesson.parse("""
        name: t
        title: T
        beats:
          - say: one
            pokes:
              set-input: 1=b
              clamp: [forget:2=0@2-, input:1=1@3-5]
              nudge: forget:0=0.5
              layer: 1
          - say: two
          - model: random
            cell: gru+lstm
            say: three
        """, source: "t.yaml", folder: nil)
    let pokes = lesson.beats[0].scene.pokes
    #expect(pokes.setInput == ["1=b"] && pokes.clamp == ["forget:2=0@2-", "input:1=1@3-5"] && pokes.nudge == ["forget:0=0.5"])
    #expect(pokes.line == 6)
    #expect(lesson.beats[1].scene.pokes.isEmpty)
    let scenario = try Demos.scenario(kind: .lstm, task: .delay)
    #expect(try pokes.pokes(on: scenario) == PokeSpelling.pokes(setInput: ["1=b"], clamp: ["forget:2=0@2-", "input:1=1@3-5"],
                                                               nudge: ["forget:0=0.5"], layer: 0, on: scenario))
    #expect(lesson.beats[2].scene.arguments(folder: nil) == ["--demo", "random", "--cell", "gru+lstm"])
}

/// {x_unit} reads the layer's input: above layer 1, the h of the layer below (a GRU's h is
/// the LSTM's x in a hybrid stack); {answer} is the head's likeliest class.
@Test func layerInputAndAnswerPlaceholders() throws {
    let hybrid = BuiltinDemo.scenario(cells: [.gru, .lstm], hidden: 8, seed: 0)
    let trace = try hybrid.model.trace(hybrid.inputs)
    #expect(trace.cell(layer: 0) == .gru && trace.cell(layer: 1) == .lstm)
    let h = trace.hidden(t: 2, layer: 0)
    #expect(try Narration.fill("{x_unit}", scenario: hybrid, trace: trace, t: 2, layer: 1, unit: 3)
        == String(format: "%.3f", Double(h[h.startIndex + 3])))
    #expect(try Narration.fill("{x_unit}", scenario: hybrid, trace: trace, t: 2, layer: 0, unit: 0)
        == String(format: "%.3f", Double(hybrid.inputs[2][0])))
    #expect(throws: GateError.self) {
        try Narration.fill("{answer}", scenario: hybrid, trace: trace, t: 0, layer: 0, unit: 0)
    }
    let delay = try Demos.scenario(kind: .lstm, task: .delay)
    let run = try delay.model.trace(delay.inputs)
    let probabilities = HeadOutput.softmax(Array(run.output(t: 21)))
    let best = try #require(probabilities.indices.max { probabilities[$0] < probabilities[$1] })
    let names = delay.outputNames(count: probabilities.count)
    #expect(try Narration.fill("{answer}", scenario: delay, trace: run, t: 21, layer: 0, unit: 0)
        == "\(names[best]) (\(String(format: "%.2f", Double(probabilities[best]))))")
}

/// Every language has every built-in lesson, translated: the same name, the same number of
/// beats, the same scene in each beat (only title and narration differ) and the same
/// placeholders in each narration as English.
@Test(arguments: Language.allCases.filter { $0 != .english })
func everyLessonIsTranslated(into language: Language) throws {
    let english = try BuiltinLessons.all(in: .english)
    let translated = try BuiltinLessons.translated(into: language)
    let files = LessonFiles.base64.filter { $0.language == Language.english.code }.map(\.name)
    #expect(Set(translated.keys) == Set(files), "\(language.code) lacks \(Set(files).subtracting(translated.keys).sorted())")
    for (file, original) in zip(files, english) {
        let lesson = try #require(translated[file], "\(language.code)/\(file)")
        #expect(lesson.name == original.name, "\(language.code)/\(file)")
        #expect(lesson.title != original.title, "\(language.code)/\(file): the title is not translated")
        #expect(lesson.beats.count == original.beats.count, "\(language.code)/\(file)")
        for (index, (beat, source)) in zip(lesson.beats, original.beats).enumerated() {
            var scene = beat.scene, sourceScene = source.scene
            scene.pokes.line = 0
            sourceScene.pokes.line = 0
            #expect(scene == sourceScene, "\(language.code)/\(file) beat \(index + 1): the scene differs from English")
            #expect(Set(Narration.names(in: beat.narration).names) == Set(Narration.names(in: source.narration).names),
                    "\(language.code)/\(file) beat \(index + 1): the placeholders differ from English")
            #expect(beat.narration != source.narration, "\(language.code)/\(file) beat \(index + 1) is not translated")
        }
    }
    #expect(try BuiltinLessons.all(in: language).map(\.title) == files.compactMap { translated[$0]?.title })
}
