import Foundation
import GateCore
import XCTest
@testable import GateView

/// The gradient panel (`d`): what it plots comes from GateCore's gradients, it is computed
/// in `update` and kept, and its axis and numbers read right.
final class GradientPanelTests: XCTestCase {
    // MARK: Reading the frame

    /// The plot's rows as (decade label's log10, text right of the axis), top to bottom,
    /// found by the axis tick that ends each label.
    private func plotRows(_ text: String) throws -> [(exponent: Double, row: Substring)] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let tick = GradientLayout.labelWidth - 1
        return try lines.compactMap { line -> (Double, Substring)? in
            let characters = Array(line)
            guard characters.count > tick, characters[tick] == "┤" else { return nil }
            let label = String(characters[0..<tick]).trimmingCharacters(in: .whitespaces)
                .replacingOccurrences(of: "≤", with: "")
            let value = try XCTUnwrap(Double(label), "decade label \(label)")
            return (log10(value), line.dropFirst(tick + 1))
        }
    }

    /// The number after a legend entry such as "G GRU h", at the step on screen.
    private func legendValue(_ text: String, _ entry: String) throws -> Float {
        let line = try XCTUnwrap(text.split(separator: "\n").first { $0.contains(entry) }, "no \(entry) in\n\(text)")
        let after = try XCTUnwrap(line.range(of: entry)).upperBound
        let number = line[after...].split(separator: " ").first.map(String.init) ?? ""
        return try XCTUnwrap(Float(number), "\(entry): \(line)")
    }

    /// The independent reference: the variant's own model traced and differentiated here.
    private func sensitivity(_ kind: CellKind, layers: Int = 1, layer: Int = 0) throws -> GradientFlow {
        let scenario = Fixture.scenario(kind, layers: layers)
        return try scenario.model.sensitivity(scenario.model.trace(scenario.inputs), layer: layer)
    }

    private func assertShown(_ shown: Float, _ expected: Float, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        // Two significant digits.
        XCTAssertEqual(shown, expected, accuracy: abs(expected) * 0.05 + 1e-12, message, file: file, line: line)
    }

    // MARK: What is plotted

    func testLegendShowsEachCellsSensitivityAtTheCurrentStep() throws {
        for layers in [1, 2] {
            var app = try Fixture.app(.gru, width: 100, height: 30, layers: layers)
            let layer = layers - 1
            try app.press((layer > 0 ? "] " : "") + "l l l l d")
            let text = app.frame().plainText
            let t = 4
            let lstm = try sensitivity(.lstm, layers: layers, layer: layer)
            let gru = try sensitivity(.gru, layers: layers, layer: layer)
            let rnn = try sensitivity(.rnn, layers: layers, layer: layer)
            assertShown(try legendValue(text, "L LSTM h"), lstm.hidden[t][layer], "LSTM h, \(layers) layers")
            assertShown(try legendValue(text, "c LSTM c"), lstm.cell[t][layer], "LSTM c, \(layers) layers")
            assertShown(try legendValue(text, "G GRU h"), gru.hidden[t][layer], "GRU h, \(layers) layers")
            assertShown(try legendValue(text, "R RNN h"), rnn.hidden[t][layer], "RNN h, \(layers) layers")
            // The legend names the norm its values are.
            XCTAssertTrue(text.contains("L2 norm, step 5"), text)
        }
    }

    /// Every step's mark sits on the row whose decade is nearest the sensitivity's log10,
    /// read through the printed axis labels.
    func testEachStepsMarkSitsAtItsSensitivitysDecade() throws {
        for kind in [CellKind.rnn, .gru] {
            var scenario = Fixture.scenario(kind)
            scenario.makeVariant = nil
            var app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true),
                                       width: 120, height: 36)
            try app.press("d")
            let rows = try plotRows(app.frame().plainText)
            XCTAssertGreaterThanOrEqual(rows.count, GradientLayout.minimumRows)
            let decadesPerRow = rows[0].exponent - rows[1].exponent
            let panel = try XCTUnwrap(app.layout().gradient)
            XCTAssertEqual(panel.steps, 0..<24, "the test reads every step")
            let expected = try sensitivity(kind).hidden.map { $0[0] }
            let mark: Character = kind == .rnn ? "R" : "G"
            for t in 0..<24 {
                let column = panel.timeX - GradientLayout.labelWidth + t * panel.cellWidth + panel.cellWidth / 2
                let hits = rows.filter { Array($0.row).indices.contains(column) && Array($0.row)[column] == mark }
                XCTAssertEqual(hits.count, 1, "\(kind) step \(t + 1)")
                guard let hit = hits.first, expected[t] > 0 else { continue }
                XCTAssertLessThanOrEqual(abs(hit.exponent - log10(Double(expected[t]))), decadesPerRow / 2 + 1e-9,
                                         "\(kind) step \(t + 1): \(expected[t]) drawn at 1e\(hit.exponent)")
            }
        }
    }

    /// Curves that land on one row at a step never hide each other: side by side in the
    /// step's cell when it has a column for each, else a mark that the legend explains.
    func testCurvesThatMeetStayVisible() throws {
        // Every kind's variant is the same RNN, so the three curves coincide at every step.
        @Sendable func sameRNN() -> Scenario {
            var scenario = Fixture.scenario(.rnn)
            scenario.makeVariant = { _ in sameRNN() }
            return scenario
        }
        let scenario = sameRNN()
        for (width, wide) in [(120, true), (60, false)] {
            var app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true),
                                       width: width, height: 36)
            try app.press("d")
            let panel = try XCTUnwrap(app.layout().gradient)
            XCTAssertEqual(panel.cellWidth >= 3, wide, "cell width \(panel.cellWidth) at \(width) columns")
            let text = app.frame().plainText
            let rows = try plotRows(text).map { Array($0.row) }
            for (index, t) in panel.steps.enumerated() {
                let first = panel.timeX - GradientLayout.labelWidth + index * panel.cellWidth
                let cells = rows.map { String($0[min(first, $0.count)..<min(first + panel.cellWidth, $0.count)]) }
                if wide {
                    XCTAssertEqual(cells.filter { $0.contains("L") && $0.contains("G") && $0.contains("R") }.count, 1,
                                   "step \(t + 1): \(cells)")
                } else {
                    XCTAssertEqual(cells.filter { $0.contains("*") }.count, 1, "step \(t + 1): \(cells)")
                }
            }
            XCTAssertEqual(text.contains("* curves meet"), !wide, text)
        }
    }

    /// Curves computed from random weights say so: a file's other kinds, or all of them in
    /// the random demo; trained variants do not.
    func testComparisonCurvesFromRandomWeightsSaySo() throws {
        let fixture = Fixture.scenario(.lstm)
        let file = Scenario.loaded(fixture.model, name: "m.safetensors",
                                   inputs: InputSequence(values: fixture.inputs, labels: fixture.stepLabels,
                                                         description: fixture.inputDescription), seed: 0)
        let cases: [(Scenario, String?)] = [
            (file, "GRU RNN: random"),
            (BuiltinDemo.scenario(cell: .lstm, hidden: 8, layers: 1, seed: 0), "all random weights"),
            (fixture, nil),
        ]
        for (scenario, note) in cases {
            var app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true),
                                       width: 120, height: 36)
            try app.press("d")
            let text = app.frame().plainText
            if let note {
                XCTAssertTrue(text.contains(note), text)
            } else {
                XCTAssertFalse(text.contains("random"), text)
            }
        }
    }

    func testTheLossPlotShowsTraceGradientsLossFlow() throws {
        var app = try Fixture.app(.lstm, width: 120, height: 36)
        try app.press("l l d d")
        XCTAssertEqual(app.gradientPlot, .loss)
        let text = app.frame().plainText
        XCTAssertTrue(text.contains("how much the loss depends on hₜ"), text)
        let scenario = Fixture.scenario(.lstm)
        let report = try scenario.model.traceGradients(scenario.model.trace(scenario.inputs))
        XCTAssertEqual(report.gradientOf, "loss")
        assertShown(try legendValue(text, "L LSTM h"), report.flow.hidden[2][0], "LSTM h")
        assertShown(try legendValue(text, "c LSTM c"), report.flow.cell[2][0], "LSTM c")
        let gru = Fixture.scenario(.gru)
        let gruReport = try gru.model.traceGradients(gru.model.trace(gru.inputs))
        assertShown(try legendValue(text, "G GRU h"), gruReport.flow.hidden[2][0], "GRU h")
    }

    func testTitleSaysWhatIsPlotted() throws {
        var app = try Fixture.app(.rnn, width: 120, height: 36)
        try app.press("d")
        XCTAssertTrue(app.frame().plainText.contains("how much h₂₄ still depends on hₜ, c₂₄ on cₜ (L2 norm, log scale)"))
        var alone = Fixture.scenario(.rnn)
        alone.makeVariant = nil
        var single = try GateScopeApp(scenario: alone, capabilities: Capabilities(colors: .none, unicode: false),
                                      width: 120, height: 36)
        try single.press("d")
        let text = single.frame().plainText
        XCTAssertTrue(text.contains("how much h[24] still depends on h[t] (L2 norm, log scale)"), text)
        XCTAssertFalse(text.contains("LSTM"), "a scenario without variants plots its own cell only")
    }

    // MARK: State

    func testDCyclesThroughThePlotsAndComputesThemOnce() throws {
        var app = try Fixture.app(.lstm)
        XCTAssertNil(app.gradientPlot)
        XCTAssertNil(app.variants[.lstm]?.curves(.dependence, layer: 0), "nothing computed before it is asked for")
        XCTAssertNil(app.variants[.gru], "no variant traced before it is needed")
        try app.press("d")
        XCTAssertEqual(app.gradientPlot, .dependence)
        for kind in [CellKind.lstm, .gru, .rnn] {
            guard case .success(let curves)? = app.variants[kind]?.curves(.dependence, layer: 0) else {
                return XCTFail("no curves for \(kind)")
            }
            XCTAssertEqual(curves.hidden, try sensitivity(kind).hidden.map { $0[0] })
        }
        XCTAssertNil(app.layout().panels.first, "the plot replaces the heatmaps")
        XCTAssertNotNil(app.layout().gradient)
        // Stepping and switching keep the plot; its curves are read, not recomputed.
        try app.press("l tab")
        XCTAssertEqual(app.gradientPlot, .dependence)
        XCTAssertEqual(app.cell, .gru)
        try app.press("d")
        XCTAssertEqual(app.gradientPlot, .loss, "a text model with a head has a loss to show")
        try app.press("d")
        XCTAssertNil(app.gradientPlot)
        XCTAssertNil(app.layout().gradient)
        XCTAssertFalse(app.layout().panels.isEmpty)
    }

    func testAModelWithoutALossGoesFromTheFlowBackToHeatmaps() throws {
        var scenario = Fixture.scenario(.gru)
        scenario.model.head = nil
        scenario.makeVariant = nil
        var app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true))
        try app.press("d")
        XCTAssertEqual(app.gradientPlot, .dependence)
        XCTAssertTrue(app.frame().plainText.contains("d heatmaps"))
        try app.press("d")
        XCTAssertNil(app.gradientPlot)
    }

    func testLayerKeysComputeTheNewLayersCurves() throws {
        var app = try Fixture.app(.lstm, layers: 2)
        try app.press("d")
        XCTAssertNil(app.variants[.rnn]?.curves(.dependence, layer: 1))
        try app.press("]")
        guard case .success(let curves)? = app.variants[.rnn]?.curves(.dependence, layer: 1) else {
            return XCTFail("no layer-2 curves for the RNN")
        }
        XCTAssertEqual(curves.hidden, try sensitivity(.rnn, layers: 2, layer: 1).hidden.map { $0[1] })
    }

    func testAVariantThatCannotBeBuiltIsNamedInTheLegend() throws {
        var scenario = Fixture.scenario(.lstm)
        let original = scenario.makeVariant
        scenario.makeVariant = { kind in
            if kind == .rnn { throw GateError("no RNN twin for this file") }
            return try original?(kind) ?? Fixture.scenario(kind)
        }
        var app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true),
                                   width: 120, height: 36)
        try app.press("d")
        let text = app.frame().plainText
        XCTAssertTrue(text.contains("RNN: no RNN twin"), text)
        XCTAssertTrue(text.contains("G GRU h"), text)
        try app.press("tab tab")
        XCTAssertEqual(app.status, "RNN: no RNN twin for this file")
    }

    func testAnErrorQuotingForeignTextStaysASCIIOnAnASCIITerminal() throws {
        var scenario = Fixture.scenario(.lstm)
        scenario.makeVariant = { kind in
            if kind == .rnn { throw GateError("no RNN in modèle.safetensors") }
            return Fixture.scenario(kind)
        }
        var app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: false),
                                   width: 120, height: 36)
        try app.press("d")
        let frame = app.frame()
        XCTAssertTrue(frame.plainText.contains("RNN: no RNN in mod?l"), frame.plainText)
        XCTAssertEqual(frame.cells.map(\.symbol).filter { !$0.isASCII }, [])
    }

    func testClickOnThePlotSelectsThatStep() throws {
        var app = try Fixture.app()
        try app.press("d")
        let panel = try XCTUnwrap(app.layout().gradient)
        _ = app.update(.click(x: panel.timeX + 15 * panel.cellWidth, y: panel.plotY + 1))
        XCTAssertEqual(app.step, 15)
        XCTAssertTrue(app.frame().plainText.contains("L2 norm, step 16"))
    }

    func testRenderShowsThePanelAfterD() throws {
        let frame = try GateScopeApp.renderFrame(scenario: Fixture.scenario(), width: 80, height: 24,
                                                 keys: KeyScript.parse("d"),
                                                 capabilities: Capabilities(colors: .none, unicode: true))
        XCTAssertTrue(frame.plainText.contains("how much h₂₄ still depends on hₜ"), frame.plainText)
    }

    // MARK: Axis and numbers

    func testLogAxisPutsEachDecadeOnItsRow() {
        let axis = LogAxis(smallestPositive: 3e-7, largest: 1, hasZero: false, rows: 8)
        XCTAssertEqual(axis.top, 0)
        XCTAssertEqual(axis.decadesPerRow, 1)
        XCTAssertEqual((0..<8).map { axis.label(row: $0, unicode: true) },
                       ["1", "0.1", "0.01", "1e-3", "1e-4", "1e-5", "1e-6", "1e-7"])
        XCTAssertEqual(axis.row(1), 0)
        XCTAssertEqual(axis.row(0.2), 1)     // log10 = -0.7: nearer 0.1 than 1
        XCTAssertEqual(axis.row(3e-7), 7)
        XCTAssertEqual(axis.row(.nan), nil)
        XCTAssertEqual(axis.row(0), 7)
        XCTAssertEqual(axis.row(.infinity), 0)
        // Twenty decades on six rows: four decades a row, the smallest still on the axis.
        let wide = LogAxis(smallestPositive: 2e-20, largest: 5, hasZero: false, rows: 6)
        XCTAssertEqual(wide.top, 1)
        XCTAssertEqual(wide.decadesPerRow, 5)
        XCTAssertEqual(wide.row(2e-20), 4)
        XCTAssertFalse(wide.clipsBottom)
        // A zero cannot sit on a log axis: it joins the bottom row, which says so.
        let zero = LogAxis(smallestPositive: 0.01, largest: 1, hasZero: true, rows: 4)
        XCTAssertEqual(zero.label(row: 3, unicode: true), "≤1e-3")
        XCTAssertEqual(zero.label(row: 3, unicode: false), "<1e-3")
        // Two decades of data on ten rows offered: three rows, no empty decades below.
        XCTAssertEqual(LogAxis(smallestPositive: 0.02, largest: 1, hasZero: false, rows: 10).rows, 3)
        // Nothing to plot still gives an axis.
        let empty = LogAxis(smallestPositive: nil, largest: nil, hasZero: false, rows: 3)
        XCTAssertEqual(empty.label(row: 0, unicode: true), "1")
    }

    func testMagnitudesKeepTwoSignificantDigits() {
        XCTAssertEqual(formatMagnitude(0.41), "0.41")
        XCTAssertEqual(formatMagnitude(0.0412), "0.041")
        XCTAssertEqual(formatMagnitude(1), "1.0")
        XCTAssertEqual(formatMagnitude(12.3), "12")
        XCTAssertEqual(formatMagnitude(9.96), "10")
        XCTAssertEqual(formatMagnitude(4.06e-6), "4.1e-6")
        XCTAssertEqual(formatMagnitude(0.000996), "1.0e-3")
        XCTAssertEqual(formatMagnitude(3e20), "3.0e20")
        XCTAssertEqual(formatMagnitude(0), "0")
        XCTAssertEqual(formatMagnitude(.nan), "nan")
        XCTAssertEqual(formatMagnitude(.infinity), "inf")
        XCTAssertEqual(formatMagnitude(.leastNonzeroMagnitude), "1.4e-45")
    }
}
