import XCTest
import GateCore
@testable import GateView

/// The visualizer on a pipeline: Embedding → bidirectional projected LSTM → GRU → head,
/// read through a vocabulary of words.
final class PipelineViewTests: XCTestCase {
    private func app(width: Int = 120, height: Int = 36) throws -> GateScopeApp {
        var model = RecurrentModel.random(cells: [.lstm], inputSize: 3, hiddenSize: 6, bidirectional: true,
                                          projectionSize: 2, seed: 1)
        let top = RecurrentModel.random(cells: [.gru], inputSize: 4, hiddenSize: 5, outputSize: 2, seed: 2)
        model.layers += top.layers
        model.head = top.head
        var rng = SeededGenerator(seed: 3)
        model.embedding = Embedding(vocabularySize: 4, dimension: 3, weight: (0..<12).map { _ in rng.uniform(-1, 1) })
        let vocabulary = Vocabulary(tokens: ["<pad>", "good", "bad", "film"], origin: "words")
        let inputs = try InputSource.text("film good bad good").load(for: model, vocabulary: vocabulary)
        let scenario = Scenario.loaded(model, name: "tagger.safetensors", inputs: inputs, seed: 0)
        return try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true),
                                width: width, height: height)
    }

    func testEachLayerShowsItsOwnKindAndTheProjectedLSTMShowsOTanhC() throws {
        var app = try app()
        var text = app.frame().plainText
        XCTAssertTrue(text.contains("BiLSTM→GRU"), text)
        XCTAssertTrue(text.contains("hidden 6, 5"), "each layer's width: \(text)")
        XCTAssertTrue(text.contains("'film'"), text)
        XCTAssertTrue(text.contains("o*tanh(c)"), text)
        XCTAssertTrue(text.contains("layer 1 of 2 (LSTM)"), text)
        XCTAssertTrue(text.contains("forward pass"), text)
        // The table's values are the trace's: o ⊙ tanh(c) of unit 5, h of unit 1 only (P = 2).
        let trace = try app.scenario.trace()
        XCTAssertEqual(app.current.value(.filtered, t: 0, layer: 0, unit: 5), trace.hiddenBeforeProjection(t: 0, layer: 0)[5])
        XCTAssertTrue(app.current.value(.hidden, t: 0, layer: 0, unit: 5).isNaN)
        try app.press("]")
        text = app.frame().plainText
        XCTAssertTrue(text.contains("layer 2 of 2 (GRU)"), text)
        XCTAssertTrue(text.contains("update z"), text)
        XCTAssertFalse(text.contains("o*tanh"), text)
        try app.press("r")
        XCTAssertEqual(app.direction, .forward)
        XCTAssertTrue(app.frame().plainText.contains("runs forward only"))
        try app.press("tab")
        XCTAssertEqual(app.status, "Tab swaps the kind of a plain stack; this model has an embedding, layers of different kinds, a bidirectional layer, a projection")
    }

    func testTheReversePassStepsFromTheEnd() throws {
        var app = try app()
        try app.press("r")
        XCTAssertEqual(app.direction, .reverse)
        XCTAssertEqual(app.step, 3)
        XCTAssertTrue(app.frame().plainText.contains("reverse pass, from the last step"))
        try app.press("l l")
        XCTAssertEqual(app.step, 1)
        let trace = try app.scenario.trace()
        XCTAssertEqual(app.current.value(.gate(.forget), t: 1, layer: 0, unit: 0, direction: .reverse),
                       trace.gate(.forget, t: 1, layer: 0, direction: .reverse).first)
        try app.press("G")
        XCTAssertEqual(app.step, 0)
        // Playback runs toward step 0 and stops there.
        try app.press("g space")
        _ = app.update(.tick(seconds: 10))
        XCTAssertEqual(app.step, 0)
        XCTAssertFalse(app.isPlaying)
        // Leaving for a one-direction layer goes back to the forward pass.
        try app.press("]")
        XCTAssertEqual(app.direction, .forward)
    }

    /// `d` on the reverse pass plots the reverse direction's sensitivity, from its last
    /// state h₁, and names the layer whose last state it is.
    func testTheGradientPanelFollowsTheShownDirection() throws {
        var app = try app()
        let trace = try app.scenario.trace()
        let model = app.scenario.model
        try app.press("d")
        XCTAssertTrue(app.frame().plainText.contains("how much h₄ of layer 1 still depends on hₜ"), app.frame().plainText)
        try app.press("r")
        let text = app.frame().plainText
        XCTAssertTrue(text.contains("how much h₁ of layer 1 still depends on hₜ"), text)
        let column = model.flowColumn(layer: 0, direction: .reverse)
        let reverse = try model.sensitivity(trace, layer: 0, direction: .reverse)
        guard case .success(let curves)? = app.current.curves(.dependence, layer: 0, direction: .reverse) else {
            return XCTFail("no reverse-pass curves")
        }
        XCTAssertEqual(curves.hidden, reverse.hidden.map { $0[column] })
        XCTAssertEqual(curves.hidden.first ?? 0, 1, accuracy: 1e-6, "the reverse pass's last state is step 0's")
        let forward = try model.sensitivity(trace, layer: 0)
        XCTAssertNotEqual(curves.hidden, forward.hidden.map { $0[model.flowColumn(layer: 0)] })
        // The top layer's title names its layer too: trace --grad's is that one.
        try app.press("]")
        XCTAssertTrue(app.frame().plainText.contains("h₄ of layer 2"), app.frame().plainText)
    }

    /// The diagram of a projected LSTM labels its output wire o ⊙ tanh(c) with that value and
    /// shows the projected h under the drawing, both from the trace.
    func testTheDiagramOfAProjectedLSTMSeparatesOTanhCFromH() throws {
        var app = try app()
        try app.press("v")
        XCTAssertNotNil(app.layout().sidePanel)
        let text = app.frame().plainText
        let trace = try app.scenario.trace()
        let product = try XCTUnwrap(trace.hiddenBeforeProjection(t: 0, layer: 0).first)
        let h = try XCTUnwrap(trace.hidden(t: 0, layer: 0).first)
        XCTAssertNotEqual(formatFixed(product, signed: true), formatFixed(h, signed: true), "the test tells them apart")
        XCTAssertTrue(text.contains("o⊙tanh c"), text)
        XCTAssertTrue(text.contains("(×)───▶ \(formatFixed(product, signed: true))"), text)
        XCTAssertFalse(text.contains("───▶ h "), "the product is not labelled h:\n" + text)
        XCTAssertTrue(text.contains("h = W_hr (o⊙tanh c of all 6 units): h₀ = \(formatFixed(h, signed: true))"), text)
        // h₋₁ is P = 2 values that every gate reads through U, not one per unit.
        XCTAssertTrue(text.contains("h₋₁ (2 values)"), text)
        // Past h's P = 2 units there is no h to show, in the diagram or in the strip.
        try app.press("j j j")
        let past = app.frame().plainText
        XCTAssertTrue(past.contains("of all 6 units): none for this unit"), past)
        XCTAssertFalse(past.contains("nan"), past)
    }

    /// Wide enough but too short for the diagram, the status line asks for a taller window,
    /// not for columns it already has.
    func testNoRoomForTheDiagramNamesWhatIsShort() throws {
        var app = try app(width: 120, height: 14)
        repeat { try app.press("v") } while app.sidePanel != .diagram
        XCTAssertNil(app.layout().sidePanel)
        XCTAssertEqual(app.status, "no room for the cell diagram at 120×14 · it needs a taller window")
        _ = app.update(.resize(width: 90, height: 14))
        XCTAssertEqual(app.status, "no room for the cell diagram at 90×14 · it needs 100 columns or more")
    }

    /// On the reverse pass the equations say so in their title and say what ₋₁ is there;
    /// at 80×24 the caption names the pass short and keeps the memory horizon.
    func testTheReversePassIsNamedInTheEquationsAndKeepsTheHorizon() throws {
        var app = try app()
        XCTAssertEqual(app.sidePanel, .equations)
        try app.press("r l")
        var text = app.frame().plainText
        XCTAssertTrue(text.contains("unit 0 at step 3, layer 1, reverse pass"), text)
        XCTAssertTrue(text.contains("₋₁ = step 4: this pass runs from the end"), text)
        try app.press("r")
        XCTAssertFalse(app.frame().plainText.contains("runs from the end"), "the forward pass needs no note")
        var small = try self.app(width: 80, height: 24)
        try small.press("r")
        text = small.frame().plainText
        let caption = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("layer 1 of 2") }, text)
        XCTAssertTrue(caption.contains("reverse pass"), String(caption))
        XCTAssertTrue(caption.contains("unit 0: f "), "the memory horizon stays: \(caption)")
        // With room, the long form.
        _ = small.update(.resize(width: 200, height: 40))
        XCTAssertTrue(small.frame().plainText.contains("reverse pass, from the last step"))
    }

    /// Help lists r for a model with a bidirectional layer, does not promise a Tab the
    /// pipeline refuses, and still fits 80×24 without scrolling.
    func testHelpListsRAndDescribesTabHonestly() throws {
        var app = try app(width: 80, height: 24)
        try app.press("?")
        let text = app.frame().plainText
        XCTAssertTrue(text.contains("r forward/reverse pass"), text)
        XCTAssertTrue(text.contains("Tab no other kind here"), text)
        XCTAssertFalse(text.contains("GRU → RNN"), text)
        XCTAssertLessThanOrEqual(app.helpLines(width: 80).count, 23, "no scrolling at 80×24")
        XCTAssertFalse(text.contains("scroll"), text)
    }

    func testEverySizeAndKeyDrawsWithoutTrapping() throws {
        for (width, height) in [(0, 0), (1, 1), (40, 12), (60, 20), (80, 24), (200, 60)] {
            var app = try app(width: width, height: height)
            try app.press("j j j j j r l d ] d r [ n pgdn G tab ? esc")
            _ = app.frame()
        }
    }
}
