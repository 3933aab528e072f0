import GateCore
import XCTest
@testable import GateView

/// Side by side (`s`) and the heatmaps' difference from the unpoked run (`D`): the keys as
/// pure updates, the numbers against each kind's own trace, and the frames.
final class SideBySideTests: XCTestCase {
    // MARK: s

    /// s asks a job for the kinds not traced yet and shows their columns as "tracing"
    /// meanwhile; once done the columns hold the runs; s again goes back to the table.
    func testSTracesTheMissingKindsByAJobThenTogglesBack() throws {
        var app = try Fixture.delayDemo()
        guard case .start(let job) = app.update(.key(.character("s"))) else { return XCTFail("s asked for no job") }
        XCTAssertTrue(app.showsSideBySide)
        XCTAssertEqual(app.working?.title, "tracing GRU, RNN for side by side")
        XCTAssertTrue(app.frame().plainText.contains("tracing…"), app.frame().plainText)
        // Until traced, a column does not say whether its weights are trained.
        XCTAssertFalse(app.frame().plainText.contains("GRU ("), app.frame().plainText)
        XCTAssertEqual(app.layout().sideBySide, Rect(x: 0, y: 2, width: 80, height: 21))
        XCTAssertNil(app.layout().table)
        _ = app.update(job.run())
        XCTAssertNil(app.working)
        XCTAssertEqual(app.sideBySideWidget().columns.map { $0.run?.cell }, [.lstm, .gru, .rnn])
        XCTAssertEqual(app.cell, .lstm, "the kind on screen stays")
        // Everything is traced now: s off and on again needs no job.
        XCTAssertEqual(app.update(.key(.character("s"))), .none)
        XCTAssertFalse(app.showsSideBySide)
        XCTAssertNotNil(app.layout().table)
        XCTAssertEqual(app.update(.key(.character("s"))), .none)
        XCTAssertTrue(app.showsSideBySide)
    }


    /// A translation's longer role words widen the label column instead of being cut:
    /// German "schreibt" and Spanish "conserva" are whole at 80×24, and the columns still
    /// hold four units each.
    func testTranslatedRoleLabelsAreWholeAt80Columns() throws {
        let scenario = try Demos.scenario(kind: .lstm, task: .delay)
        for (language, words) in [(Language.german, ["behält", "schreibt", "Einheit"]), (.spanish, ["conserva", "escribe"])] {
            let frame = try GateScopeApp.renderFrame(scenario: scenario, width: 80, height: 24, keys: [.character("s")],
                                                     capabilities: Capabilities(colors: .none, unicode: true),
                                                     language: language)
            let rows = frame.plainText.split(separator: "\n").map(String.init)
            for word in words {
                XCTAssertTrue(rows.contains { $0.hasPrefix(word + " ") }, "\(language): \(word)\n\(frame.plainText)")
            }
            let unitRow = try XCTUnwrap(rows.first { $0.contains("▸0") || $0.contains("  3 ") })
            XCTAssertTrue(unitRow.contains(" 3 "), "four units per kind:\n\(frame.plainText)")
        }
    }
    /// Esc while the kinds are traced stops the job and leaves side by side.
    func testEscWhileTracingLeavesSideBySide() throws {
        var app = try Fixture.delayDemo()
        guard case .start(let job) = app.update(.key(.character("s"))) else { return XCTFail("s asked for no job") }
        XCTAssertEqual(app.update(.key(.escape)), .cancel(job: job.id))
        XCTAssertFalse(app.showsSideBySide)
        XCTAssertNil(app.working)
    }

    /// A model with no other kind (a pipeline) has nothing to set beside it.
    func testAModelWithoutOtherKindsSaysSo() throws {
        var scenario = Fixture.scenario(.gru)
        scenario.makeVariant = nil
        var app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true))
        XCTAssertEqual(app.update(.key(.character("s"))), .none)
        XCTAssertFalse(app.showsSideBySide)
        XCTAssertEqual(app.status, "this model is a GRU with no other cell kind to set beside it")
    }

    /// ←/→ move every column: they all read the app's one step.
    func testStepsMoveTogether() throws {
        var app = try Fixture.delayDemo(width: 100, height: 30)
        try app.press("s l l l")
        XCTAssertEqual(app.step, 3)
        let frame = app.frame().plainText
        XCTAssertEqual(frame.components(separatedBy: "▲4").count - 1, 4, "two blocks of strips in two columns, all at step 4:\n\(frame)")
    }

    /// Every number in a column is its kind's own trace at the step: f, i, g, c, h, o of the
    /// LSTM, z, 1 − z, n, h, r of the GRU, h of the RNN, each traced here independently; the
    /// frame prints them to two decimals in the row of their role.
    func testNumbersAreEachKindsTraceAtTheStep() throws {
        var app = try Fixture.delayDemo(width: 160, height: 50)
        try app.press("s l l l l l l l l l l l")
        let t = app.step
        XCTAssertEqual(t, 11)
        let widget = app.sideBySideWidget()
        let columns = widget.shownColumns(width: 160 - widget.labelWidth(160))
        XCTAssertEqual(columns.map(\.kind), [.lstm, .gru, .rnn])
        let expected: [(CellKind, [SideBySide.Role: (Trace) -> [Float]])] = [
            (.lstm, [.keep: { Array($0.gate(.forget, t: t, layer: 0)) }, .write: { Array($0.gate(.input, t: t, layer: 0)) },
                     .candidate: { Array($0.gate(.candidate, t: t, layer: 0)) }, .memory: { Array($0.cellState(t: t, layer: 0)) },
                     .hidden: { Array($0.hidden(t: t, layer: 0)) }, .outputGate: { Array($0.gate(.output, t: t, layer: 0)) }]),
            (.gru, [.keep: { Array($0.gate(.update, t: t, layer: 0)) }, .write: { $0.gate(.update, t: t, layer: 0).map { 1 - $0 } },
                    .candidate: { Array($0.gate(.candidate, t: t, layer: 0)) }, .memory: { Array($0.hidden(t: t, layer: 0)) },
                    .reset: { Array($0.gate(.reset, t: t, layer: 0)) }]),
            (.rnn, [.memory: { Array($0.hidden(t: t, layer: 0)) }]),
        ]
        let lines = app.frame().plainText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let columnWidth = (160 - widget.labelWidth(160) - 2 * SideBySide.separatorWidth) / 3
        for (index, (column, (kind, roles))) in zip(columns, expected).enumerated() {
            let trace = try Demos.scenario(kind: kind, task: .delay).trace()
            let units = column.unitWindow(width: columnWidth)
            XCTAssertGreaterThanOrEqual(units.count, 4)
            let x = widget.labelWidth(160) + index * (columnWidth + SideBySide.separatorWidth)
            for role in SideBySide.Role.allCases {
                guard let values = roles[role]?(trace) else {
                    XCTAssertNil(column.value(role, t: t, unit: 0), "\(kind) has no \(role)")
                    continue
                }
                for u in units { XCTAssertEqual(column.value(role, t: t, unit: u), values[u], "\(kind) \(role) unit \(u)") }
                // The role's row, in this column, prints the same numbers in unit order.
                let row = try XCTUnwrap(lines.first { $0.hasPrefix(SideBySideText(catalogue: .builtin(.english)).role(role, short: false)) })
                let part = String(Array(row).dropFirst(x).prefix(columnWidth))
                let numbers = part.matches(of: /[+-]?[0-9]+\.[0-9]+/).map { String($0.output) }
                XCTAssertEqual(numbers, units.map { column.text(role, values[$0]) }, "\(kind) \(role): \(part)")
            }
        }
        // Each demo's memory unit is named in its column's title.
        XCTAssertEqual(columns.map(\.memoryUnit), [Demos.lstmDelayMemoryUnit, Demos.gruDelayMemoryUnit, nil])
        XCTAssertTrue(lines[2].contains("LSTM (trained) · memory unit 2"), lines[2])
        XCTAssertTrue(lines[2].contains("GRU (trained) · memory unit 0"), lines[2])
    }

    /// A kind built with random weights says so in its column's title, and a deep model's
    /// columns name the layer they show.
    func testRandomKindsAndTheLayerAreNamed() throws {
        var app = try GateScopeApp(scenario: BuiltinDemo.scenario(cell: .lstm, hidden: 4, layers: 2, seed: 3),
                                   capabilities: Capabilities(colors: .none, unicode: true), width: 100, height: 30)
        try app.press("s ]")
        let frame = app.frame().plainText
        XCTAssertTrue(frame.contains("LSTM (random weights) · layer 2 of 2")
                      && frame.contains("GRU (random weights) · layer 2 of 2"), frame)
        let gru = try XCTUnwrap(app.sideBySideWidget().columns.first { $0.kind == .gru })
        let expected = try BuiltinDemo.scenario(cell: .gru, hidden: 4, layers: 2, seed: 3).trace()
        XCTAssertEqual(gru.value(.keep, t: 0, unit: 1), Array(expected.gate(.update, t: 0, layer: 1))[1])
    }

    /// A reset-before GRU file keeps its own GRU column after Tab to another kind; the
    /// other kinds are its random twins.
    func testAFilesOwnGRUFormStaysBesideTheOthers() throws {
        let file = RecurrentModel.random(cell: .gruResetBefore, inputSize: 3, hiddenSize: 4, layers: 1, seed: 5)
        let inputs = try InputSequence.random(steps: 6, width: 3, seed: 1)
        var app = try GateScopeApp(scenario: Scenario.loaded(file, name: "m.safetensors", inputs: inputs, seed: 2),
                                   capabilities: Capabilities(colors: .none, unicode: true), width: 120, height: 30)
        try app.press("tab s")
        XCTAssertEqual(app.cell, .rnn)
        let columns = app.sideBySideWidget().columns
        XCTAssertEqual(columns.map { $0.run?.cell }, [.lstm, .gruResetBefore, .rnn])
        XCTAssertEqual(columns.map { $0.run?.scenario.hasRandomWeights }, [true, false, true])
        XCTAssertEqual(columns[1].value(.keep, t: 2, unit: 3), Array(try file.trace(inputs.values).gate(.update, t: 2, layer: 0))[3])
    }

    // MARK: D

    func testDWithoutPokesSaysThereIsNothingToCompare() throws {
        var app = try Fixture.delayDemo()
        try app.press("D")
        XCTAssertFalse(app.showsHeatmapDifference)
        XCTAssertEqual(app.status, "no pokes: the heatmaps have no unpoked run to differ from · p pokes the selected unit")
    }

    /// With a poke D toggles the heatmaps between the values and poked − unpoked; clearing
    /// the pokes turns the difference off.
    func testDTogglesTheDifferenceWhilePoked() throws {
        var app = try Fixture.delayDemo()
        try app.press("l p f > 0 D")
        XCTAssertTrue(app.showsHeatmapDifference)
        XCTAssertEqual(app.status, "heatmaps: Δ from the unpoked run (poked − unpoked)")
        XCTAssertTrue(app.frame().plainText.contains("Δ f from unpoked  -1 "), app.frame().plainText)
        try app.press("D")
        XCTAssertFalse(app.showsHeatmapDifference)
        try app.press("p D")
        XCTAssertTrue(app.showsHeatmapDifference, "D works in the poke menu too")
        try app.press("esc U")
        XCTAssertFalse(app.showsHeatmapDifference)
    }

    /// The difference's scale is the largest change rounded up to 1, 2 or 5 × 10ᵏ.
    func testDifferenceBound() {
        XCTAssertEqual(differenceBound(0), 1)
        XCTAssertEqual(differenceBound(0.0004), 0.001)
        XCTAssertEqual(differenceBound(0.03), 0.05, accuracy: 1e-6)
        XCTAssertEqual(differenceBound(0.37), 0.5, accuracy: 1e-6)
        XCTAssertEqual(differenceBound(1), 1, accuracy: 1e-6)
        XCTAssertEqual(differenceBound(9.26), 10, accuracy: 1e-5)
        XCTAssertEqual(formatDifferenceBound(0.05), "0.05")
        XCTAssertEqual(formatDifferenceBound(0.5), "0.5")
        XCTAssertEqual(formatDifferenceBound(10), "10")
    }

    // MARK: Frames

    func testGoldenFrames() throws {
        for (width, height) in [(80, 24), (100, 30), (160, 50)] {
            try assertGolden("side-by-side-\(width)x\(height)", Fixture.delayDemo(width: width, height: height),
                             keys: "s l l l l l l l l l l l")
        }
        try assertGolden("side-by-side-ascii-80x24", Fixture.delayDemo(unicode: false), keys: "s l l l l l l l l l l l")
        // Forget of the memory unit clamped to 0 from step 2, the heatmaps as Δ at step 12.
        try assertGolden("heatmap-diff-80x24", Fixture.delayDemo(), keys: "l p f > 0 D l l l l l l l l l l")
        try assertGolden("heatmap-diff-ascii-100x30", Fixture.delayDemo(width: 100, height: 30, unicode: false),
                         keys: "l p f > 0 D l l l l l l l l l l")
    }

    private func assertGolden(_ name: String, _ app: GateScopeApp, keys: String,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        var app = app
        try app.press(keys)
        try assertMatchesGolden(name, app.frame().plainText + "\n", file: file, line: line)
    }
}
