import Foundation
import GateCore
import XCTest
@testable import GateView

/// Lesson mode: the narration's rows, the header, the keys between beats and back to a
/// beat's scene, and golden frames of a built-in beat.
final class LessonModeTests: XCTestCase {
    /// Two beats on the trained delay demos (the command line builds the scenarios from
    /// `Scene.arguments`; these lessons name KIND-TASK demos, or the random demo with the
    /// command line's default sizes).
    let twoBeats = """
        name: two
        title: Two beats
        beats:
          - model: lstm-delay
            step: 4
            unit: 2
            highlight: [f]
            say: Step {step}, unit {unit}, f = {f}.
          - model: gru-delay
            step: 6
            unit: 0
            panel: diagram
            say: The GRU at step {step}, z = {z}.
        """

    func scenarios(_ lesson: Lesson) throws -> [Scenario] {
        try lesson.beats.map { beat in
            if beat.scene.model == "random" {
                let cells = try (beat.scene.cell ?? "lstm").split(separator: "+").map { try XCTUnwrap(CellKind(spelling: String($0))) }
                return BuiltinDemo.scenario(cells: cells, hidden: 8, seed: 0)
            }
            let parts = beat.scene.model.split(separator: "-").map(String.init)
            let kind = try XCTUnwrap(CellKind(spelling: parts[0]))
            return try Demos.scenario(kind: kind, task: try XCTUnwrap(Demos.Task(rawValue: parts[1])))
        }
    }

    private func app(_ text: String? = nil, builtin: String? = nil, language: Language = .english, beat: Int = 0,
                     width: Int = 80, height: Int = 24) throws -> LessonApp {
        let lesson = try builtin.map { try BuiltinLessons.named($0, in: language) } ?? Lesson.parse(text ?? twoBeats, source: "two.yaml", folder: nil)
        return try LessonApp(lesson: lesson, scenarios: scenarios(lesson), beat: beat,
                             capabilities: Capabilities(colors: .none, unicode: true), width: width, height: height)
    }

    func lines(_ app: LessonApp) -> [String] {
        var buffer = Buffer(width: app.width, height: app.height)
        app.view(into: &buffer)
        return buffer.plainText.components(separatedBy: "\n")
    }

    func press(_ app: inout LessonApp, _ script: String) throws {
        for key in try KeyScript.parse(script) { _ = app.updateFinishingWork(.key(key)) }
    }

    /// The header names the lesson and beat; the narration has its own rows under it, with
    /// the live value, and the screen below starts with the input line.
    func testHeaderAndNarrationRows() throws {
        let app = try app()
        let frame = lines(app)
        XCTAssertTrue(frame[0].hasPrefix(" lesson two · beat 1/2"), frame[0])
        let f = app.screen.trace.gate(.forget, t: 3, layer: 0)
        XCTAssertEqual(frame[1], "┃ Step 4, unit 2, f = \(String(format: "%.3f", Double(f[f.startIndex + 2]))).")
        XCTAssertTrue(frame[2].hasPrefix(" x₄ = "), frame[2])
        XCTAssertEqual(app.screen.step, 3)
        XCTAssertEqual(app.screen.unit, 2)
        XCTAssertEqual(app.screen.highlightedColumns, ["f"])
        XCTAssertTrue(frame.contains { $0.contains("▸forget f") }, "the highlighted column is marked")
        XCTAssertTrue(frame[23].contains("←→ beat"), frame[23])
    }

    /// → and n go to the next beat, ← and b back; past either end the status says so.
    func testArrowsAndLettersMoveBetweenBeats() throws {
        var app = try app()
        try press(&app, "right")
        XCTAssertEqual(app.beat, 1)
        XCTAssertEqual(app.screen.cell, .gru)
        XCTAssertEqual(app.screen.step, 5)
        XCTAssertEqual(app.screen.sidePanel, .diagram)
        try press(&app, "n")
        XCTAssertEqual(app.beat, 1)
        XCTAssertEqual(app.screen.status, "this is the last beat · q quits")
        try press(&app, "b")
        XCTAssertEqual(app.beat, 0)
        try press(&app, "n left")
        XCTAssertEqual(app.beat, 0)
        try press(&app, "left")
        XCTAssertEqual(app.screen.status, "this is the first beat")
    }

    /// Inside a beat the student explores (h l step, j k unit, # numbers, Tab the cell);
    /// 0 or Backspace returns to the beat's scene.
    func testExploringAndReturningToTheScene() throws {
        var app = try app()
        try press(&app, "l l j #")
        XCTAssertEqual(app.screen.step, 5)
        XCTAssertEqual(app.screen.unit, 3)
        XCTAssertFalse(app.screen.showsNumbers)
        try press(&app, "h")
        XCTAssertEqual(app.screen.step, 4)
        try press(&app, "tab")
        XCTAssertEqual(app.screen.cell, .gru)
        try press(&app, "0")
        XCTAssertEqual(app.beat, 0)
        XCTAssertEqual(app.screen.cell, .lstm)
        XCTAssertEqual(app.screen.step, 3)
        XCTAssertEqual(app.screen.unit, 2)
        XCTAssertTrue(app.screen.showsNumbers)
        try press(&app, "l backspace")
        XCTAssertEqual(app.screen.step, 3)
    }

    /// While the help is open the keys are the help's: → does not change the beat, Esc
    /// closes it; the help lists the lesson's keys.
    func testHelpKeepsItsKeys() throws {
        var app = try app()
        try press(&app, "?")
        XCTAssertTrue(app.screen.showsHelp)
        let help = lines(app)
        XCTAssertTrue(help.joined().contains("next/prev beat"))
        XCTAssertFalse(help.contains { $0.hasPrefix("┃") }, "the narration does not cover the help")
        try press(&app, "right esc")
        XCTAssertEqual(app.beat, 0)
        XCTAssertFalse(app.screen.showsHelp)
    }

    /// A click on the screen below the narration lands where it is drawn: the unit row the
    /// student sees.
    func testClicksBelowTheNarration() throws {
        var app = try app()
        let frame = lines(app)
        let row = try XCTUnwrap(frame.firstIndex { $0.hasPrefix("   5 ") })
        _ = app.update(.click(x: 2, y: row))
        XCTAssertEqual(app.screen.unit, 5)
        _ = app.update(.click(x: 2, y: 1))
        XCTAssertEqual(app.screen.unit, 5, "a click on the narration does nothing")
    }

    /// A beat that asks for more than the model has is an error naming the file, line and beat.
    func testSceneBeyondTheModelIsAnError() throws {
        let text = twoBeats.replacingOccurrences(of: "step: 6", with: "step: 60")
        XCTAssertThrowsError(try app(text)) { error in
            XCTAssertEqual((error as? GateError)?.message, "two.yaml:9: beat 2: step 60: the input has 22 steps")
        }
        let missing = twoBeats.replacingOccurrences(of: "z = {z}", with: "c = {c}")
        XCTAssertThrowsError(try app(missing)) { error in
            XCTAssertEqual((error as? GateError)?.message, "two.yaml:9: beat 2: {c}: the GRU has no cell state c")
        }
    }

    /// A resize keeps the narration's rows and gives the rest to the screen.
    func testResizeGivesTheScreenTheRowsLeft() throws {
        var app = try app()
        _ = app.update(.resize(width: 100, height: 30))
        XCTAssertEqual(app.screen.height, 30 - app.narrationLines.count)
        XCTAssertEqual(app.screen.width, 100)
    }

    /// Every beat of every built-in lesson, in every language, renders at both classic sizes:
    /// the narration whole (no placeholder left, no line cut), no row wider than the frame
    /// by display width (a Chinese character takes two columns), and the panel the beat asks
    /// for on screen; the end-to-end tests do the same through `render --lesson` in English.
    func testEveryBuiltinBeatRendersInEveryLanguage() throws {
        for language in Language.allCases {
            for lesson in try BuiltinLessons.all(in: language) {
                for (index, beat) in lesson.beats.enumerated() {
                    for (width, height) in [(80, 24), (100, 30)] {
                        let place = "\(language.code) \(lesson.name) beat \(index + 1) (line \(beat.line)) at \(width)×\(height)"
                        let app = try app(builtin: lesson.name, language: language, beat: index, width: width, height: height)
                        let narration = app.narrationLines.joined(separator: " ")
                        XCTAssertFalse(narration.contains("{"), "\(place): \(narration)")
                        let wrapped = app.narrations[index].split(separator: "\n")
                            .flatMap { app.screen.wrap(String($0), width: width - 3) }
                        XCTAssertEqual(app.narrationLines.count, wrapped.count,
                                       "\(place) needs more than \(LessonApp.narrationRows) rows")
                        let frame = lines(app)
                        XCTAssertEqual(frame.count, height, place)
                        for row in frame { XCTAssertLessThanOrEqual(row.displayWidth, width, "\(place): \(row)") }
                        let layout = app.screen.layout()
                        if beat.scene.panel == .diagram || beat.scene.panel == .equations {
                            XCTAssertNotNil(layout.sidePanel, "\(place): the beat's panel is not on screen")
                            XCTAssertTrue(layout.table?.units.contains(app.screen.unit) ?? false,
                                          "\(place): the selected unit's row is not on screen")
                        } else {
                            XCTAssertTrue(!layout.panels.isEmpty || layout.gradient != nil, "\(place): the heatmaps are not on screen")
                        }
                    }
                }
            }
        }
    }

    func testGoldenBeatAtClassicSize() throws {
        try assertMatchesGolden("lesson-lstm-gates-3-80x24", lines(app(builtin: "lstm-gates", beat: 2)).joined(separator: "\n") + "\n")
    }

    func testGoldenBeatAt100x30() throws {
        try assertMatchesGolden("lesson-lstm-gates-3-100x30",
                                lines(app(builtin: "lstm-gates", beat: 2, width: 100, height: 30)).joined(separator: "\n") + "\n")
    }
}

extension LessonModeTests {
    /// `lesson` builds the app before it knows the terminal: once opened, every beat (the
    /// next one too) speaks in the terminal's glyphs.
    func testOpenedTakesTheTerminalsGlyphsForEveryBeat() throws {
        let lesson = try Lesson.parse(twoBeats, source: "two.yaml", folder: nil)
        var app = try LessonApp(lesson: lesson, scenarios: scenarios(lesson),
                                capabilities: Capabilities(colors: .none, unicode: false))
            .opened(capabilities: Capabilities(colors: .none, unicode: true), width: 80, height: 24)
        XCTAssertTrue(lines(app)[0].hasPrefix(" lesson two · beat 1/2"), lines(app)[0])
        try press(&app, "right")
        XCTAssertTrue(lines(app)[0].hasPrefix(" lesson two · beat 2/2"), lines(app)[0])
        XCTAssertTrue(lines(app)[1].hasPrefix("┃ "), lines(app)[1])
    }
}

extension LessonModeTests {
    /// A first beat with the gradient panel hands its work to the terminal at the first tick
    /// (`init` cannot return a command); a later one with the key that opens it.
    func testTheGradientBeatsWorkIsHandedOver() throws {
        let text = twoBeats.replacingOccurrences(of: "highlight: [f]", with: "panel: gradient")
            .replacingOccurrences(of: "panel: diagram", with: "panel: gradient")
        var app = try app(text)
        XCTAssertNotNil(app.screen.working)
        XCTAssertEqual(app.tickInterval, 0.001)
        guard case .start = app.update(.tick(seconds: 0.001)) else { return XCTFail("no job at the first tick") }
        XCTAssertNotEqual(app.tickInterval, 0.001, "the job is handed over once")
        var next = try self.app(text)
        _ = next.updateFinishingWork(.tick(seconds: 0))
        XCTAssertNil(next.screen.working)
        guard case .start = next.update(.key(.right)) else { return XCTFail("no job for the next beat's panel") }
    }
}

extension LessonModeTests {
    /// A beat with pokes shows the poked run: the screen's trace and the narration's values
    /// are the core's trace with the same pokes made, the model's own run kept beside it.
    func testABeatWithPokesShowsThePokedRun() throws {
        let text = """
            name: poked
            title: Poked
            beats:
              - model: lstm-delay
                step: 22
                unit: 2
                pokes:
                  clamp: [forget:2=0@2-, forget:0=0.25@2-21]
                  nudge: input:2=-1
                say: f = {f}, c = {c}, h = {h}.
              - say: Unpoked f = {f}.
            """
        let poked = try app(text)
        let scenario = try Demos.scenario(kind: .lstm, task: .delay)
        let pokes: [Poke] = [.clamp(PokeSite(gate: .forget, unit: 2), value: 0, span: .from(1)),
                             .clamp(PokeSite(gate: .forget, unit: 0), value: 0.25, span: StepSpan(first: 1, last: 20)),
                             .nudge(PokeSite(gate: .input, unit: 2), delta: -1)]
        let expected = try scenario.model.trace(Array(scenario.inputs), tokens: nil, pokes: pokes)
        XCTAssertEqual(poked.screen.pokes, pokes)
        XCTAssertEqual(poked.screen.trace.held.hiddenStates, expected.hiddenStates)
        XCTAssertEqual(poked.screen.trace.held.cellStates, expected.cellStates)
        func value(_ values: ArraySlice<Float>) -> String { String(format: "%.3f", Double(values[values.startIndex + 2])) }
        XCTAssertEqual(poked.narrations[0], "f = 0.000, c = \(value(expected.cellState(t: 21, layer: 0))), "
            + "h = \(value(expected.hidden(t: 21, layer: 0))).")
        XCTAssertNotEqual(expected.cellState(t: 21, layer: 0), try scenario.model.trace(scenario.inputs).cellState(t: 21, layer: 0))
        // The next beat has no pokes: the model's own run.
        let own = try scenario.model.trace(scenario.inputs)
        XCTAssertEqual(poked.narrations[1], "Unpoked f = \(value(own.gate(.forget, t: 21, layer: 0))).")
        var next = poked
        try press(&next, "n")
        XCTAssertEqual(next.screen.pokes, [])
        XCTAssertEqual(next.screen.trace.held.hiddenStates, own.hiddenStates)
        try press(&next, "b")
        XCTAssertEqual(next.screen.trace.held.hiddenStates, expected.hiddenStates, "back to the beat: its pokes again")
    }

    /// A poke that does not fit the beat's model is an error naming the file, the line of
    /// `pokes:`, the beat and what fits.
    func testAPokeTheModelRefusesNamesItsLine() throws {
        let cases = [
            ("clamp: forget:9=0@2", "two.yaml:8: beat 1: pokes: clamp 'forget:9=0@2': unit 9 is outside layer 1's units 0 to 7"),
            ("clamp: reset:1=0@2", "two.yaml:8: beat 1: pokes: clamp 'reset:1=0@2': the LSTM has no reset gate: its gates are input, forget, output"),
            ("clamp: forget:1=0@30-", "two.yaml:8: beat 1: pokes: clamp 'forget:1=0@30-': step 30 is outside the sequence's steps 1 to 22"),
            ("set-input: 2=q", "two.yaml:8: beat 1: pokes: set-input '2=q': 'q' is not an input: expected 6 numbers separated by commas"),
            ("{nudge: forget:1=1, layer: 2}", "two.yaml:7: beat 1: pokes: nudge 'forget:1=1': layer 2 is outside the model's layers 1 to 1"),
        ]
        for (pokes, expected) in cases {
            let text = twoBeats.replacingOccurrences(of: "    highlight: [f]\n", with: "    pokes:\n      \(pokes)\n")
                .replacingOccurrences(of: "    pokes:\n      {", with: "    pokes: {")
            XCTAssertThrowsError(try app(text), pokes) { error in
                XCTAssertTrue((error as? GateError)?.message.hasPrefix(expected) == true, "\(error)")
            }
        }
    }
}
