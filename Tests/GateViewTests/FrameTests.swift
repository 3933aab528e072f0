import GateCore
import XCTest
@testable import GateView

/// Properties every frame must have, checked over many sizes and states.
final class FrameTests: XCTestCase {
    private let kinds: [CellKind] = [.lstm, .gru, .rnn]

    /// With the heatmaps, the gradient flow and the loss's gradient in their place, and
    /// with the text coloured: every widget inside the screen, none over another.
    func testEverySizeFromZeroUpDrawsWithoutTrapping() throws {
        for kind in kinds {
            for panel in ["", "d", "d d", "t", "t d v", "v"] {
                var app = try Fixture.app(kind, hidden: 12)
                try app.press(panel)
                for width in Array(stride(from: 0, through: 120, by: 7)) + [1, 2, 39, 40, 41, 160, 220] {
                    for height in Array(stride(from: 0, through: 40, by: 3)) + [1, 2, 11, 12, 13, 50, 60] {
                        _ = app.update(.resize(width: width, height: height))
                        let frame = app.frame()
                        XCTAssertEqual(frame.cells.count, width * height)
                        assertWidgetsApart(app, "\(kind) \(width)×\(height) after \(panel)")
                        if panel.contains("d"), width >= Layout.minimumWidth, height >= Layout.minimumHeight {
                            XCTAssertNotNil(app.layout().gradient, "\(kind) \(width)×\(height) after \(panel)")
                        }
                    }
                }
            }
        }
    }

    private func assertWidgetsApart(_ app: GateScopeApp, _ context: String) {
        let layout = app.layout()
        guard layout.screen == .main else { return }
        let rects = app.widgets(layout).map(\.1).filter { $0.width > 0 && $0.height > 0 }
        for (index, rect) in rects.enumerated() {
            XCTAssertTrue(rect.x >= 0 && rect.y >= 0 && rect.x + rect.width <= app.width
                          && rect.y + rect.height <= app.height, "\(context): \(rect) outside")
            for other in rects[(index + 1)...] {
                let apart = rect.x + rect.width <= other.x || other.x + other.width <= rect.x
                    || rect.y + rect.height <= other.y || other.y + other.height <= rect.y
                XCTAssertTrue(apart, "\(context): \(rect) and \(other) overlap")
            }
        }
    }

    func testHelpAndKeysAtManySizesDoNotTrap() throws {
        for kind in kinds {
            for (width, height) in [(0, 0), (1, 1), (40, 12), (45, 13), (200, 60)] {
                var app = try Fixture.app(kind, width: width, height: height, hidden: 40, layers: 2)
                try app.press("? pgdn j j pgup esc pgdn pgdn ] G tab n d ] tab d [ d t t t t")
                _ = app.frame()
            }
        }
    }

    func testAnInputWithoutStepsSaysSoAndKeysAreHarmless() throws {
        var scenario = Fixture.scenario()
        scenario.inputs = []
        scenario.stepLabels = []
        scenario.makeVariant = nil
        var app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .full, unicode: true))
        try app.press("l G space j pgdn tab n")
        _ = app.update(.tick(seconds: 1))
        _ = app.update(.click(x: 3, y: 5))
        XCTAssertEqual(app.step, 0)
        let text = app.frame().plainText
        XCTAssertTrue(text.contains("nothing to show: the model has no units or the input no steps"), text)
        XCTAssertTrue(text.contains("step 0/0"), text)
    }

    func testNaNAndHugeValuesDrawWithoutTrapping() throws {
        var scenario = Fixture.scenario()
        scenario.makeVariant = nil
        scenario.model.layers[0].forward.biasIH?[0] = .nan
        scenario.model.layers[0].forward.biasIH?[4 * 8 - 1] = 1e30
        scenario.model.layers[0].forward.biasIH?[2 * 8 + 2] = .infinity
        for depth in [Capabilities.ColorDepth.none, .eight, .full] {
            var app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: depth, unicode: true),
                                       width: 160, height: 50)
            try app.press("l l l j j")
            let text = app.frame().plainText
            XCTAssertTrue(text.contains("nan"), text)
            try app.press("d")
            _ = app.frame()
        }
    }

    func testTooSmallNamesTheNeededAndActualSize() throws {
        let app = try Fixture.app(width: 39, height: 20)
        let text = app.frame().plainText
        XCTAssertTrue(text.contains("enlarge the window"))
        XCTAssertTrue(text.contains("need at least 40×12, have 39×20"))
    }

    func testASCIIFramesHaveNoCharacterOutsideASCII() throws {
        for kind in kinds {
            for (width, height) in [(40, 12), (80, 24), (120, 36), (160, 50), (20, 5)] {
                for keys in ["l l l j", "?", "tab", "pgdn space", "l d", "] d d"] {
                    var app = try Fixture.app(kind, width: width, height: height, hidden: 24, layers: 2,
                                              unicode: false)
                    try app.press(keys)
                    let frame = app.frame()
                    let offending = frame.cells.map(\.symbol).filter { !$0.isASCII }
                    XCTAssertEqual(offending, [], "\(kind) \(width)×\(height) after \(keys)")
                }
            }
        }
    }

    func testForeignTextIsMadeSafeForTheGrid() throws {
        var scenario = Fixture.scenario()
        scenario.modelName = "模型\u{7}.safetensors"
        scenario.inputDescription = "tab\there, newline\nthere"
        let ascii = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: false),
                                     width: 120, height: 30)
        let unicode = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true),
                                       width: 120, height: 30)
        // On a UTF-8 terminal the CJK characters stay (two columns each); on an ASCII one
        // they become "?"; a control character is "?" on both.
        for (app, name) in [(ascii, "???.safetensors"), (unicode, "模型?.safetensors")] {
            let text = app.frame().plainText
            XCTAssertTrue(text.contains(name), text)
            XCTAssertTrue(text.contains("tab\\there, newline\\nthere"), text)
        }
        // A joined emoji, drawn in two or four columns depending on the terminal, is "?".
        XCTAssertEqual(unicode.displayable("a\u{1F468}\u{200D}\u{1F469}b\u{2764}\u{FE0F}好e\u{301}"), "a?b?好e\u{301}")
    }

    /// Frames of a model with a Chinese vocabulary and name at every width: no line wider
    /// than the frame, and the right-aligned header and output end in the same column as in
    /// the English frame.
    func testChineseFramesFitEveryWidth() throws {
        for width in 20...130 {
            for keys in ["", "l l l j", "?", "d"] {
                var app = try Fixture.app(.lstm, width: width, height: 24, chinese: true)
                try app.press(keys)
                let lines = app.frame().plainText.split(separator: "\n", omittingEmptySubsequences: false)
                XCTAssertEqual(lines.count, 24)
                for line in lines {
                    XCTAssertLessThanOrEqual(line.displayWidth, width, "width \(width), keys \(keys): \(line)")
                }
                var english = try Fixture.app(.lstm, width: width, height: 24)
                try english.press(keys)
                let englishLines = english.frame().plainText.split(separator: "\n", omittingEmptySubsequences: false)
                // "step 4/24  paused" ends where it ends in English.
                XCTAssertEqual(lines[0].displayWidth, englishLines[0].displayWidth, "width \(width), keys \(keys)")
            }
        }
    }

    /// The numbers on a unit row are the trace's values (read here through Trace's own
    /// accessors), to the two decimals shown.
    func testTableNumbersAreTheTraceValues() throws {
        for kind in kinds + [.gruResetBefore] {
            var app = try Fixture.app(kind, width: 120, height: 36)
            try app.press("l l l l l l l l l")
            let trace = app.trace.held
            let t = 9, layer = 0
            let expected: [[Float]]
            switch kind {
            case .lstm:
                expected = [trace.gate(.input, t: t, layer: layer), trace.gate(.forget, t: t, layer: layer),
                            trace.gate(.output, t: t, layer: layer), trace.gate(.candidate, t: t, layer: layer),
                            trace.cellState(t: t, layer: layer), trace.hidden(t: t, layer: layer)].map(Array.init)
            case .gru, .gruResetBefore:
                expected = [trace.gate(.reset, t: t, layer: layer), trace.gate(.update, t: t, layer: layer),
                            trace.gate(.candidate, t: t, layer: layer), trace.hidden(t: t, layer: layer)]
                    .map(Array.init)
            case .rnn:
                // The column is drawn from Trace.preactivations; it is checked against an
                // independent computation in Double from the weights: W_ih x + b_ih + W_hh h + b_hh.
                let weights = app.scenario.model.layers[layer].forward
                let x = trace.inputs[t], hPrevious = Array(trace.hidden(t: t - 1, layer: layer))
                let H = trace.hiddenSize, I = trace.inputSize
                let preactivation = (0..<H).map { r -> Float in
                    var sum = Double(weights.biasIH?[r] ?? 0) + Double(weights.biasHH?[r] ?? 0)
                    for k in 0..<I { sum += Double(weights.weightIH[r * I + k]) * Double(x[k]) }
                    for k in 0..<H { sum += Double(weights.weightHH[r * H + k]) * Double(hPrevious[k]) }
                    return Float(sum)
                }
                expected = [preactivation, Array(trace.hidden(t: t, layer: layer))]
            }
            // Only the table's columns: the teaching panel may share the line.
            let tableWidth = try XCTUnwrap(app.layout().table?.width)
            let lines = app.frame().plainText.split(separator: "\n").map { $0.prefix(tableWidth) }
            for u in 0..<trace.hiddenSize {
                let label = (u == 0 ? "▸" : " ") + "  \(u) "
                let line = try XCTUnwrap(lines.first { $0.hasPrefix(label) }, "\(kind) unit \(u)")
                let numbers = line.split(separator: " ").compactMap { Float($0) }.dropFirst()
                XCTAssertEqual(numbers.count, expected.count, "\(kind) unit \(u): \(line)")
                for (shown, column) in zip(numbers, expected) {
                    XCTAssertEqual(shown, column[u], accuracy: 0.005 + 1e-5, "\(kind) unit \(u): \(line)")
                }
            }
        }
    }

    func testTeachingPanelRedoesTheStepWithTheTraceNumbers() throws {
        var app = try Fixture.app(.lstm, width: 160, height: 50)
        try app.press("l l l l j j")
        let (t, u) = (4, 2)
        let trace = app.trace.held
        let text = app.frame().plainText
        let f = Array(trace.gate(.forget, t: t, layer: 0))[u], i = Array(trace.gate(.input, t: t, layer: 0))[u]
        let g = Array(trace.gate(.candidate, t: t, layer: 0))[u], c = Array(trace.cellState(t: t, layer: 0))[u]
        let cPrevious = Array(trace.cellState(t: t - 1, layer: 0))[u]
        func shown(_ v: Float, signed: Bool = false) -> String {
            (v < 0 ? "-" : signed ? "+" : "") + String(format: "%.2f", abs(v))
        }
        func factor(_ v: Float) -> String { v < 0 ? "(\(shown(v)))" : shown(v) }
        for line in ["c = f⊙c₋₁ + i⊙g = \(shown(c, signed: true))",
                     "  = \(shown(f))·\(factor(cPrevious)) + \(shown(i))·\(factor(g))"] {
            XCTAssertTrue(text.contains(line), "missing \(line) in\n\(text)")
        }
        XCTAssertTrue(text.contains("unit 2 at step 5"))
    }

    func testTeachingPanelForGRUNamesNgsUpdateGate() throws {
        var app = try Fixture.app(.gru, width: 160, height: 50)
        try app.press("l l l j")
        let (t, u) = (3, 1)
        let trace = app.trace.held
        let z = Array(trace.gate(.update, t: t, layer: 0))[u], n = Array(trace.gate(.candidate, t: t, layer: 0))[u]
        let h = Array(trace.hidden(t: t, layer: 0))[u], hPrevious = Array(trace.hidden(t: t - 1, layer: 0))[u]
        func shown(_ v: Float, signed: Bool = false) -> String {
            (v < 0 ? "-" : signed ? "+" : "") + String(format: "%.2f", abs(v))
        }
        func factor(_ v: Float) -> String { v < 0 ? "(\(shown(v)))" : shown(v) }
        let text = app.frame().plainText
        for line in ["Ng's Γu = 1 - z = \(shown(1 - z))",
                     "h = (1-z)⊙n + z⊙h₋₁ = \(shown(h, signed: true))",
                     "  = \(shown(1 - z))·\(factor(n)) + \(shown(z))·\(factor(hPrevious))"] {
            XCTAssertTrue(text.contains(line), "missing \(line) in\n\(text)")
        }
    }

    /// The candidate's line of numbers splits n's pre-activation as the equation above it
    /// does: W_in x + b_in outside r, the recurrent part (with b_hn) inside. Both parts are
    /// recomputed here in Double from the weights.
    func testTeachingPanelSplitsTheGRUCandidateWithItsInputBias() throws {
        for kind in [CellKind.gru, .gruResetBefore] {
            var app = try Fixture.app(kind, width: 160, height: 50)
            try app.press("l l l j")
            let (t, u) = (3, 1)
            let trace = app.trace.held
            let weights = app.scenario.model.layers[0].forward
            let H = trace.hiddenSize, I = trace.inputSize
            let x = trace.inputs[t], hPrevious = Array(trace.hidden(t: t - 1, layer: 0))
            let r = Array(trace.gate(.reset, t: t, layer: 0))
            let row = 2 * H + u
            var inputPart = Double(weights.biasIH?[row] ?? 0)
            for k in 0..<I { inputPart += Double(weights.weightIH[row * I + k]) * Double(x[k]) }
            var recurrent = Double(weights.biasHH?[row] ?? 0)
            for k in 0..<H {
                let h = kind == .gru ? Double(hPrevious[k]) : Double(r[k]) * Double(hPrevious[k])
                recurrent += Double(weights.weightHH[row * H + k]) * h
            }
            let n = Array(trace.gate(.candidate, t: t, layer: 0))[u]

            let lines = app.frame().plainText.split(separator: "\n").map(String.init)
            let equation = kind == .gru ? "n = tanh(W x + b_in + r⊙(U h₋₁ + b_hn))" : "n = tanh(W x + b_in + U(r⊙h₋₁) + b_hn)"
            let index = try XCTUnwrap(lines.firstIndex { $0.contains(equation) }, "\(kind): no \(equation)")
            let column = try XCTUnwrap(lines[index].range(of: equation)).lowerBound
            let offset = lines[index].distance(from: lines[index].startIndex, to: column)
            let numbers = String(lines[index + 1].dropFirst(offset))
            XCTAssertTrue(numbers.hasPrefix("  = tanh("), "\(kind): \(numbers)")
            // "+0.12", "0.50", "(-0.30)" and "-0.53" in the order shown.
            let values = numbers.split { " =tanh()+·".contains($0) }.compactMap { Double($0) }
            let expected = kind == .gru ? [inputPart, Double(r[u]), recurrent, Double(n)] : [inputPart, recurrent, Double(n)]
            XCTAssertEqual(values.count, expected.count, "\(kind): \(numbers)")
            for (shown, value) in zip(values, expected) {
                XCTAssertEqual(shown, value, accuracy: 0.005 + 1e-5, "\(kind): \(numbers)")
            }
        }
    }

    func testClickOnTheUnitOverTimeSelectsAStep() throws {
        var app = try Fixture.app(width: 120, height: 36)
        let lines = app.frame().plainText.split(separator: "\n", omittingEmptySubsequences: false)
        let row = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("     forget f ") })
        let strip = try XCTUnwrap(app.layout().strip)
        _ = app.update(.click(x: strip.timeX + 10 * strip.cellWidth, y: row))
        XCTAssertEqual(app.step, 10)
        XCTAssertEqual(app.unit, 0)
    }

    func testHeatmapMarksTheCurrentStep() throws {
        var app = try Fixture.app()
        try app.press("l l l l l l l l l l l l")
        let lines = app.frame().plainText.split(separator: "\n")
        let axis = try XCTUnwrap(lines.first { $0.contains("▲") })
        let marker = try XCTUnwrap(axis.firstIndex(of: "▲"))
        // Time starts after the 5-column unit label; step 13 is the 13th column.
        XCTAssertEqual(axis.distance(from: axis.startIndex, to: marker), 5 + 12)
        XCTAssertTrue(axis.contains("▲13"))
    }

    /// The demos end their description with what to watch: from 80×24 up it gets rows of
    /// its own under the input line and is read in full, and the demo opens with the unit
    /// it names selected.
    func testTheDemosWhatToWatchIsReadableFrom80x24() throws {
        for kind in [CellKind.lstm, .gru] {
            let scenario = try Demos.scenario(kind: kind, task: .delay)
            let watch = try XCTUnwrap(scenario.inputDescription.range(of: "watch unit"))
            let hint = String(scenario.inputDescription[watch.lowerBound...])
            let named = try XCTUnwrap(Int(hint.dropFirst("watch unit ".count).prefix { $0.isNumber }))
            for (width, height) in [(80, 24), (100, 30), (200, 60)] {
                var app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true),
                                           width: width, height: height)
                XCTAssertEqual(app.unit, named, "\(kind) \(width)×\(height)")
                try app.press("l l")
                let rows = app.frame().plainText.split(separator: "\n", omittingEmptySubsequences: false)
                // Up to the caption (its memory horizon starts "unit 2:") or the table's titles.
                let description = rows[2...].prefix {
                    let text = $0.trimmingCharacters(in: .whitespaces)
                    return !text.hasPrefix("unit") && !text.isEmpty
                }
                let joined = description.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
                XCTAssertTrue(joined.hasSuffix(hint), "\(kind) \(width)×\(height): \(joined)")
                XCTAssertTrue(joined.hasPrefix("delay task:"), "\(kind) \(width)×\(height): \(joined)")
                XCTAssertTrue(rows.contains { $0.hasPrefix("▸  \(named) ") }, "\(kind) \(width)×\(height)")
            }
        }
    }

    /// Tab to a demo that names its own unit selects that unit.
    func testTabSelectsTheUnitTheNextDemoNames() throws {
        var app = try GateScopeApp(scenario: Demos.scenario(kind: .lstm, task: .delay),
                                   capabilities: Capabilities(colors: .none, unicode: true))
        XCTAssertEqual(app.unit, Demos.lstmDelayMemoryUnit)
        try app.press("tab")
        XCTAssertEqual(app.unit, Demos.gruDelayMemoryUnit)
    }

    /// A key the footer has no room for is never left out silently: "? more" says that
    /// help lists the rest; with room for every key it says "? help".
    func testTheFooterSaysMoreWhenItLeavesOutAKey() throws {
        let scenario = try Demos.scenario(kind: .lstm, task: .delay)
        for (width, expectsMore) in [(80, true), (160, false)] {
            let app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true),
                                       width: width, height: 24)
            let footer = String(app.frame().plainText.split(separator: "\n").last ?? "")
            let allKeys = footer.contains("d gradient flow") && footer.contains("n numbers") && footer.contains("+/- speed")
            XCTAssertEqual(allKeys, !expectsMore, footer)
            XCTAssertEqual(footer.contains("? more"), expectsMore, footer)
            XCTAssertEqual(footer.contains("? help"), !expectsMore, footer)
        }
    }

    /// A short sequence makes narrow heatmaps: each title still says what its shades span
    /// ("c ±1.4", "f 0–1") when the shade ramp has no room.
    func testNarrowHeatmapTitlesKeepTheirScale() throws {
        for unicode in [true, false] {
            let app = try Fixture.app(width: 80, height: 24, steps: 5, unicode: unicode)
            let panels = app.layout().panels
            XCTAssertGreaterThan(panels.count, 2)
            XCTAssertTrue(panels.contains { $0.width < 22 }, "the panels are not narrow")
            let rows = app.frame().plainText.split(separator: "\n", omittingEmptySubsequences: false).map(Array.init)
            for panel in panels where panel.width < 22 {
                let row = rows[panel.y]
                let title = String(row[min(panel.x, row.count)..<min(panel.x + panel.width, row.count)])
                let range = panel.quantity.isSigmoid ? (unicode ? "0–1" : "0-1") : (unicode ? "±" : "+/-")
                XCTAssertTrue(title.contains(range), "'\(title)'")
            }
        }
    }

    func testWrapBreaksAtSpacesAndSplitsLongerWords() throws {
        let app = try Fixture.app()
        XCTAssertEqual(app.wrap("the forget gate  stays", width: 10), ["the forget", "gate stays"])
        XCTAssertEqual(app.wrap("ab abcdefghijkl c", width: 5), ["ab", "abcde", "fghij", "kl c"])
        XCTAssertEqual(app.wrap("", width: 5), [])
    }

    func testHeaderShowsTheInputAndTheHeadsTopPredictions() throws {
        var app = try Fixture.app()
        try app.press("l l")
        let trace = app.trace.held
        let y = Array(trace.output(t: 2))
        let total = y.map { exp(Double($0)) }.reduce(0, +)
        let probabilities = y.map { exp(Double($0)) / total }
        let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] }!
        let text = app.frame().plainText
        XCTAssertTrue(text.contains("x₃ = 'c'"))
        XCTAssertTrue(text.contains("output: '\(Fixture.vocab[best])' \(String(format: "%.2f", probabilities[best]))"), text)
        XCTAssertTrue(text.contains("step 3/24"))
    }
}
