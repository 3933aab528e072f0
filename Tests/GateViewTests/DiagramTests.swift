import Foundation
import GateCore
import XCTest
@testable import GateView

/// The cell diagram's numbers are the trace's: each label's number, read back from the
/// frame, equals the value computed from the trace at the selected unit and step.
final class DiagramTests: XCTestCase {
    /// Step 7, unit 1, the diagram on.
    private let keys = "l l l l l l j v"

    func testLSTMWiresCarryTheTraceValues() throws {
        try assertLabels(.lstm) { trace, t, u in
            let i = Self.at(trace.gate(.input, t: t, layer: 0), u), f = Self.at(trace.gate(.forget, t: t, layer: 0), u)
            let g = Self.at(trace.gate(.candidate, t: t, layer: 0), u), o = Self.at(trace.gate(.output, t: t, layer: 0), u)
            let c = Self.at(trace.cellState(t: t, layer: 0), u)
            return [
                ("c₋₁", Self.at(trace.previousCellState(t: t, layer: 0), u)), ("f", f), ("i", i), ("g", g), ("o", o),
                ("i·g", i * g), ("c", c), ("tanh", Float(Foundation.tanh(Double(c)))),
                ("h", Self.at(trace.hidden(t: t, layer: 0), u)), ("h₋₁", Self.at(trace.previousHidden(t: t, layer: 0), u)),
            ]
        }
    }

    func testGRUWiresCarryTheTraceValues() throws {
        for kind in [CellKind.gru, .gruResetBefore] {
            try assertLabels(kind) { trace, t, u in
                let r = Self.at(trace.gate(.reset, t: t, layer: 0), u), z = Self.at(trace.gate(.update, t: t, layer: 0), u)
                let n = Self.at(trace.gate(.candidate, t: t, layer: 0), u)
                let recurrent = Self.at(trace.candidateRecurrentPart(t: t, layer: 0), u)
                let pre = Self.at(trace.preactivation(.candidate, t: t, layer: 0), u)
                var labels: [(String, Float)] = [
                    ("z", z), ("r", r), ("n", n), ("1-z", 1 - z), ("(1-z)·n", (1 - z) * n),
                    ("h", Self.at(trace.hidden(t: t, layer: 0), u)), ("h₋₁", Self.at(trace.previousHidden(t: t, layer: 0), u)),
                ]
                if kind == .gru {
                    labels += [("U h₋₁+b_hn", recurrent), ("r·(U h₋₁+b_hn)", r * recurrent), ("W x+b_in", pre - r * recurrent)]
                } else {
                    labels += [("U(r⊙h₋₁)+b_hn", recurrent), ("W x+b_in", pre - recurrent)]
                }
                return labels
            }
        }
    }

    func testRNNWiresCarryTheTraceValues() throws {
        try assertLabels(.rnn) { trace, t, u in
            let h = Self.at(trace.hidden(t: t, layer: 0), u)
            let start = (t * trace.layerCount) * trace.hiddenSize
            return [("a", trace.preactivations[start + u]), ("h", h), ("1-h² =", 1 - h * h),
                    ("h₋₁", Self.at(trace.previousHidden(t: t, layer: 0), u))]
        }
    }

    /// The two GRU forms are drawn differently: the reset's × comes after U in PyTorch's
    /// form, before it in Cho's.
    func testTheResetActsAfterOrBeforeTheProduct() throws {
        for (kind, resetFirst) in [(CellKind.gru, false), (.gruResetBefore, true)] {
            let lines = try panelLines(kind)
            let times = try XCTUnwrap(lines.lastIndex { $0.contains("r 0.") && $0.contains("(×)") })
            let product = try XCTUnwrap(lines.firstIndex { $0.contains(" U ") || $0.hasSuffix(" U") || $0.contains("U(r⊙") })
            XCTAssertEqual(times > product, resetFirst, "\(kind): \n" + lines.joined(separator: "\n"))
        }
    }

    func testASCIIDiagramHasNoOtherCharacters() throws {
        for kind in [CellKind.lstm, .gru, .gruResetBefore, .rnn] {
            var app = try Fixture.app(kind, width: 100, height: 30, unicode: false)
            try app.press(keys)
            XCTAssertNotNil(app.layout().sidePanel)
            XCTAssertTrue(app.frame().plainText.allSatisfy(\.isASCII), "\(kind)")
        }
    }

    /// The memory path is thick in Unicode: the wire between c₋₁ and the × is heavy.
    func testTheMemoryPathIsThick() throws {
        let lines = try panelLines(.lstm)
        let memory = try XCTUnwrap(lines.first { $0.hasPrefix("c₋₁") })
        XCTAssertTrue(memory.contains("━▶(×)━"), memory)
        let bus = try XCTUnwrap(lines.first { $0.hasPrefix("h₋₁") })
        XCTAssertFalse(bus.contains("━"), bus)
    }

    /// v: equations → diagram → none → equations; the third press gives the heatmaps back
    /// their width, the fourth the same frame as at the start.
    func testVCyclesTheRightHandPanel() throws {
        var app = try Fixture.app(.lstm, width: 100, height: 30)
        let start = app.frame()
        XCTAssertEqual(app.sidePanel, .equations)
        XCTAssertNotNil(app.layout().sidePanel)
        try app.press("v")
        XCTAssertEqual(app.sidePanel, .diagram)
        XCTAssertNotNil(app.layout().sidePanel)
        try app.press("v")
        XCTAssertEqual(app.sidePanel, SidePanel.none)
        XCTAssertNil(app.layout().sidePanel)
        XCTAssertGreaterThan(app.layout().panels.count, 1)
        try app.press("v")
        XCTAssertEqual(app.frame(), start)
    }

    /// The memory horizon of the selected unit is on screen at 80×24 (on the input line,
    /// when the demo's description takes the caption's row) and at 100×30 (on the caption),
    /// with the half-life computed here from the trace's f by Foundation's log.
    func testTheMemoryHorizonIsOnScreenFrom80x24() throws {
        let scenario = try Demos.scenario(kind: .lstm, task: .delay)
        for (width, height) in [(80, 24), (100, 30)] {
            var app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true),
                                       width: width, height: height)
            try app.press("l l l l l")
            let f = Self.at(app.trace.gate(.forget, t: app.step, layer: 0), app.unit)
            let halfLife = Foundation.log(0.5) / Foundation.log(Double(f))
            // The delay demo's f is near 1: it shows a third decimal rather than 1.00.
            let expected = "f \(String(format: "%.3f", f)) → c halves in \(Int(halfLife.rounded())) steps"
            XCTAssertTrue(app.frame().plainText.contains(expected), "\(width)×\(height): \(expected)\n\(app.frame().plainText)")
        }
    }

    /// A forget gate that rounds to 1.00 without being 1 shows the digits its half-life
    /// depends on, in both places the horizon line prints it.
    func testAGateNearOneShowsTheDigitsItsHalfLifeNeeds() throws {
        var scenario = Fixture.scenario(.lstm)
        scenario.makeVariant = nil
        // Unit 0's forget gate reads only its bias: σ(6.2) ≈ 0.998.
        let (H, I) = (8, Fixture.vocab.count)
        var weights = scenario.model.layers[0].forward
        for j in 0..<I { weights.weightIH[H * I + j] = 0 }
        for j in 0..<H { weights.weightHH[H * H + j] = 0 }
        weights.biasIH?[H] = 6.2
        weights.biasHH?[H] = 0
        scenario.model.layers[0].forward = weights
        let app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true),
                                   width: 100, height: 30)
        let f = Self.at(app.trace.gate(.forget, t: 0, layer: 0), 0)
        XCTAssertEqual(String(format: "%.2f", f), "1.00", "the test needs an f that rounds to 1.00")
        let shown = String(format: "%.3f", f)
        let line = app.memoryHorizonSpans(naming: false).map(\.text).joined()
        XCTAssertTrue(line.hasPrefix("f \(shown) → c halves in"), line)
        XCTAssertTrue(line.contains("\(shown)²⁴ ≈"), line)
        XCTAssertEqual(GateScopeApp.formatRate(1), "1.00")
        XCTAssertEqual(GateScopeApp.formatRate(0.0004), "0.0004")
        XCTAssertEqual(GateScopeApp.formatRate(0.45), "0.45")
    }

    // MARK: -

    private static func at(_ values: ArraySlice<Float>, _ unit: Int) -> Float { values[values.startIndex + unit] }

    private func panelLines(_ kind: CellKind) throws -> [String] {
        var app = try Fixture.app(kind, width: 100, height: 30)
        try app.press(keys)
        let rect = try XCTUnwrap(app.layout().sidePanel)
        let frame = app.frame()
        return (rect.y..<rect.y + rect.height).map { y in
            String((rect.x..<rect.x + rect.width).map { frame[$0, y].symbol })
        }
    }

    /// Every (label, value) pair is printed as "label number" in the panel, and the number
    /// equals the value to the two decimals shown.
    private func assertLabels(_ kind: CellKind, file: StaticString = #filePath, line: UInt = #line,
                              expected: (Trace, Int, Int) -> [(String, Float)]) throws {
        var app = try Fixture.app(kind, width: 100, height: 30)
        try app.press(keys)
        XCTAssertEqual(app.step, 6, file: file, line: line)
        XCTAssertEqual(app.unit, 1, file: file, line: line)
        let text = try panelLines(kind).joined(separator: "\n")
        for (label, value) in expected(app.trace.held, app.step, app.unit) {
            let escaped = NSRegularExpression.escapedPattern(for: label)
            let pattern = "(?:^|(?<=[ ─━│┃▲]))" + escaped + " ([-+]?[0-9]+\\.[0-9]{2})"
            let regex = try NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines])
            let range = NSRange(text.startIndex..., in: text)
            guard let match = regex.firstMatch(in: text, range: range),
                  let numberRange = Range(match.range(at: 1), in: text), let printed = Float(text[numberRange]) else {
                XCTFail("\(kind): no \"\(label) <number>\" in\n\(text)", file: file, line: line)
                continue
            }
            XCTAssertEqual(printed, value, accuracy: 0.005 + 1e-6, "\(kind) \(label)", file: file, line: line)
        }
    }
}
