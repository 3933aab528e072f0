import Foundation
import Testing
@testable import GateCore

/// One case of Tests/Fixtures/gradients/, written by Tools/reference/make_grad_fixtures.py
/// from PyTorch autograd in float64 on float32 weights.
private struct GradientFixture: Decodable {
    struct Head: Decodable {
        var output_size: Int
        var weight: [Float]
        var bias: [Float]?
    }
    struct LossSpec: Decodable {
        var kind: String
        var loss: Loss

        enum CodingKeys: String, CodingKey { case kind, targets }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            kind = try container.decode(String.self, forKey: .kind)
            loss = kind == "ce"
                ? .crossEntropy(targets: try container.decode([Int?].self, forKey: .targets))
                : .meanSquared(targets: try container.decode([[Float]?].self, forKey: .targets))
        }
    }
    struct Expected: Decodable {
        var loss: Double
        var gradients: [String: [Double]]
        var flow_hidden: [[Double]]
        var flow_cell: [[Double]]
    }
    struct Sensitivity: Decodable {
        var layer: Int
        var hidden: [[Double]]
        var cell: [[Double]]?
    }

    var name: String
    var cell: String
    var input_size: Int
    var hidden_size: Int
    var layers: Int
    var bias: Bool
    var weights: [String: [Float]]
    var head: Head?
    var inputs: [[Float]]
    var initial_hidden: [Float]?
    var initial_cell: [Float]?
    var loss: LossSpec?
    var expected: Expected?
    var sensitivity: [Sensitivity]

    func model() throws -> RecurrentModel {
        let kind = try #require(CellKind(rawValue: cell), "\(name): unknown cell \(cell)")
        let stack = try (0..<layers).map { k in
            LayerWeights(inputSize: k == 0 ? input_size : hidden_size, hiddenSize: hidden_size,
                         weightIH: try #require(weights["weight_ih_l\(k)"], "\(name): weight_ih_l\(k)"),
                         weightHH: try #require(weights["weight_hh_l\(k)"], "\(name): weight_hh_l\(k)"),
                         biasIH: weights["bias_ih_l\(k)"], biasHH: weights["bias_hh_l\(k)"])
        }
        let linear = head.map {
            LinearHead(outputSize: $0.output_size, inputSize: hidden_size, weight: $0.weight, bias: $0.bias)
        }
        return RecurrentModel(cell: kind, layers: stack, head: linear)
    }
}

private let gradientFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/gradients")

private let fixtureNames: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: gradientFixtures.path)) ?? [])
    .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()

private func loadFixture(_ name: String) throws -> GradientFixture {
    let data = try Data(contentsOf: gradientFixtures.appendingPathComponent("\(name).json"))
    return try JSONDecoder().decode(GradientFixture.self, from: data)
}

/// Every value within 1e-4 relative of the reference, |a − b| ≤ 1e-4 · max(s, |b|), where s is
/// 1 (the project's rule) or the tensor's largest |b| when that is smaller: float32 rounding
/// scales with the values flowing through, and gradients here are often ~1e-3, where an
/// absolute 1e-4 would let a wrong derivative pass. Measured worst: 7e-7 of s. Reports the
/// worst element by name and index.
private func expectClose(_ actual: [Float], _ expected: [Double], _ what: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    let scale = max(min(1, expected.map(abs).max() ?? 0), 1e-12)
    var worst = (index: 0, ratio: 0.0)
    for (j, (a, b)) in zip(actual, expected).enumerated() {
        let ratio = abs(Double(a) - b) / (1e-4 * max(scale, abs(b)))
        if !(ratio <= worst.ratio) { worst = (j, ratio.isNaN ? .infinity : ratio) }
    }
    #expect(worst.ratio <= 1, "\(what)[\(worst.index)] = \(actual[worst.index]), PyTorch \(expected[worst.index])",
            sourceLocation: sourceLocation)
}

private func expectClose(_ actual: [[Float]], _ expected: [[Double]], _ what: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) steps, expected \(expected.count)",
            sourceLocation: sourceLocation)
    for (t, (a, b)) in zip(actual, expected).enumerated() {
        expectClose(a, b, "\(what)[t=\(t)]", sourceLocation: sourceLocation)
    }
}

/// The backward pass on a fixture's loss, its value checked against PyTorch's; the
/// gradients, the flow, and the fixture's gradients by name.
private func backwardChecked(_ model: RecurrentModel, _ trace: Trace, _ spec: GradientFixture.LossSpec,
                             _ expected: GradientFixture.Expected, _ name: String)
    throws -> (ModelGradients, GradientFlow, (String) throws -> [Double]) {
    let (loss, gradients, flow) = try model.backward(trace, loss: spec.loss)
    #expect(abs(Double(loss) - expected.loss) <= 1e-4 * max(1, abs(expected.loss)),
            "\(name): loss \(loss), PyTorch \(expected.loss)")
    return (gradients, flow, { key in try #require(expected.gradients[key], "\(name): fixture lacks \(key)") })
}

@Suite struct GradientTests {
    @Test func fixturesArePresent() {
        // Four cell kinds × (1 layer, 2 layers, no bias, no head).
        #expect(fixtureNames.count >= 16, "found \(fixtureNames) in \(gradientFixtures.path)")
    }

    @Test(arguments: fixtureNames)
    func matchesAutograd(_ name: String) throws {
        let fixture = try loadFixture(name)
        let model = try fixture.model()
        let trace = try model.trace(fixture.inputs, initialHidden: fixture.initial_hidden,
                                    initialCell: fixture.initial_cell)
        if let spec = fixture.loss, let expected = fixture.expected {
            let (gradients, flow, reference) = try backwardChecked(model, trace, spec, expected, name)
            for (k, layer) in gradients.layers.map(\.forward).enumerated() {
                expectClose(layer.weightIH, try reference("weight_ih_l\(k)"), "\(name) weight_ih_l\(k)")
                expectClose(layer.weightHH, try reference("weight_hh_l\(k)"), "\(name) weight_hh_l\(k)")
                #expect((layer.biasIH == nil) == !fixture.bias && (layer.biasHH == nil) == !fixture.bias)
                if let biasIH = layer.biasIH, let biasHH = layer.biasHH {
                    expectClose(biasIH, try reference("bias_ih_l\(k)"), "\(name) bias_ih_l\(k)")
                    expectClose(biasHH, try reference("bias_hh_l\(k)"), "\(name) bias_hh_l\(k)")
                }
            }
            let head = try #require(gradients.head)
            expectClose(head.weight, try reference("head.weight"), "\(name) head.weight")
            #expect((head.bias == nil) == (expected.gradients["head.bias"] == nil))
            if let bias = head.bias { expectClose(bias, try reference("head.bias"), "\(name) head.bias") }
            expectClose(gradients.inputs.flatMap { $0 }, try reference("inputs"), "\(name) inputs")
            expectClose(gradients.initialHidden, try reference("initial_hidden"), "\(name) initial h")
            if model.cell.hasCellState {
                expectClose(gradients.initialCell, try reference("initial_cell"), "\(name) initial c")
            } else {
                #expect(gradients.initialCell.isEmpty)
            }
            expectClose(flow.hidden, expected.flow_hidden, "\(name) ‖dL/dh‖")
            expectClose(flow.cell, expected.flow_cell, "\(name) ‖dL/dc‖")
        } else {
            #expect(throws: GateError("the model has no head: training needs one")) {
                try model.backward(trace, loss: .crossEntropy(targets: Array(repeating: 0, count: trace.steps)))
            }
        }
        for reference in fixture.sensitivity {
            let flow = try model.sensitivity(trace, layer: reference.layer)
            expectClose(flow.hidden, reference.hidden, "\(name) ‖uᵀ∂h_T/∂h_t‖ from layer \(reference.layer)")
            expectClose(flow.cell, reference.cell ?? [], "\(name) ‖uᵀ∂c_T/∂c_t‖ from layer \(reference.layer)")
        }
    }
}

/// Everything a loss depends on: the model, its inputs and its initial state.
private struct Point {
    var model: RecurrentModel
    var inputs: [[Float]]
    var initialHidden: [Float]
    var initialCell: [Float]

    func loss(_ loss: Loss) throws -> Float {
        let trace = try model.trace(inputs, initialHidden: initialHidden,
                                    initialCell: model.cell.hasCellState ? initialCell : nil)
        return try loss.evaluate(trace.outputs, steps: trace.steps, width: trace.outputSize).0
    }
}

/// One group of scalars the loss depends on: how to nudge its j-th value and where the
/// backward pass put dL/d(that value).
private struct Probe {
    var name: String
    var count: Int
    var nudge: (inout Point, Int, Float) -> Void
    var analytic: (ModelGradients, Int) -> Float

    static func all(for point: Point) -> [Probe] {
        let model = point.model
        var probes: [Probe] = []
        for k in 0..<model.layerCount {
            let layer = model.layers[k].forward
            probes.append(Probe(name: "weight_ih_l\(k)", count: layer.weightIH.count,
                                nudge: { $0.model.layers[k].forward.weightIH[$1] += $2 },
                                analytic: { $0.layers[k].forward.weightIH[$1] }))
            probes.append(Probe(name: "weight_hh_l\(k)", count: layer.weightHH.count,
                                nudge: { $0.model.layers[k].forward.weightHH[$1] += $2 },
                                analytic: { $0.layers[k].forward.weightHH[$1] }))
            probes.append(Probe(name: "bias_ih_l\(k)", count: layer.biasIH?.count ?? 0,
                                nudge: { $0.model.layers[k].forward.biasIH?[$1] += $2 },
                                analytic: { $0.layers[k].forward.biasIH?[$1] ?? .nan }))
            probes.append(Probe(name: "bias_hh_l\(k)", count: layer.biasHH?.count ?? 0,
                                nudge: { $0.model.layers[k].forward.biasHH?[$1] += $2 },
                                analytic: { $0.layers[k].forward.biasHH?[$1] ?? .nan }))
        }
        probes.append(Probe(name: "head.weight", count: model.head?.weight.count ?? 0,
                            nudge: { $0.model.head?.weight[$1] += $2 },
                            analytic: { $0.head?.weight[$1] ?? .nan }))
        probes.append(Probe(name: "head.bias", count: model.head?.bias?.count ?? 0,
                            nudge: { $0.model.head?.bias?[$1] += $2 },
                            analytic: { $0.head?.bias?[$1] ?? .nan }))
        let width = model.inputSize
        probes.append(Probe(name: "inputs", count: point.inputs.count * width,
                            nudge: { $0.inputs[$1 / width][$1 % width] += $2 },
                            analytic: { $0.inputs[$1 / width][$1 % width] }))
        probes.append(Probe(name: "initial h", count: point.initialHidden.count,
                            nudge: { $0.initialHidden[$1] += $2 }, analytic: { $0.initialHidden[$1] }))
        if model.cell.hasCellState {
            probes.append(Probe(name: "initial c", count: point.initialCell.count,
                                nudge: { $0.initialCell[$1] += $2 }, analytic: { $0.initialCell[$1] }))
        }
        return probes
    }
}

@Suite struct FiniteDifferenceTests {
    @Test(arguments: CellKind.allCases, [false, true])
    func backwardMatchesFiniteDifferences(_ cell: CellKind, meanSquared: Bool) throws {
        var rng = SeededGenerator(seed: 7)
        let (inputSize, hiddenSize, outputs, steps) = (4, 6, 3, 8)
        let model = RecurrentModel.random(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, layers: 2,
                                          outputSize: outputs, seed: 11)
        let point = Point(
            model: model,
            inputs: (0..<steps).map { _ in (0..<inputSize).map { _ in rng.uniform(-1, 1) } },
            initialHidden: (0..<2 * hiddenSize).map { _ in rng.uniform(-0.5, 0.5) },
            initialCell: (0..<2 * hiddenSize).map { _ in rng.uniform(-0.5, 0.5) })
        let loss: Loss = meanSquared
            ? .meanSquared(targets: (0..<steps).map { t in t % 3 == 0 ? nil : (0..<outputs).map { _ in rng.uniform(-1, 1) } })
            : .crossEntropy(targets: (0..<steps).map { t in t % 3 == 0 ? nil : Int(rng.next() % UInt64(outputs)) })
        let trace = try model.trace(point.inputs, initialHidden: point.initialHidden,
                                    initialCell: cell.hasCellState ? point.initialCell : nil)
        let gradients = try model.backward(trace, loss: loss).gradients

        // Central differences in Float, Richardson-extrapolated, (4 D(s/2) − D(s)) / 3, so the
        // truncation error is O(s⁴) and s can be large, which keeps the rounding error small:
        // the loss (≈ 1) is evaluated to a few ulps, δ ≈ 5e-7, and the extrapolated quotient
        // carries about 1.5 δ / s ≈ 7.5e-6 of it. Hence 2e-5 absolute, plus 1e-3 relative
        // for what is left of the truncation. Measured worst: 5.5e-6.
        let step: Float = 0.1
        var checked = 0, large = 0
        for probe in Probe.all(for: point) where probe.count > 0 {
            for j in (0..<probe.count).shuffled(using: &rng).prefix(3) {
                func difference(_ step: Float) throws -> Float {
                    var up = point, down = point
                    probe.nudge(&up, j, step)
                    probe.nudge(&down, j, -step)
                    return (try up.loss(loss) - down.loss(loss)) / (2 * step)
                }
                let numeric = (4 * (try difference(step / 2)) - (try difference(step))) / 3
                let analytic = probe.analytic(gradients, j)
                let tolerance = 2e-5 + 1e-3 * abs(analytic)
                #expect(abs(numeric - analytic) <= tolerance,
                        "\(cell.rawValue) \(probe.name)[\(j)]: backward \(analytic), finite difference \(numeric)")
                checked += 1
                if abs(analytic) > 10 * tolerance { large += 1 }
            }
        }
        // The check has teeth only where gradients stand well above the tolerance.
        #expect(large * 2 >= checked, "only \(large) of \(checked) probed gradients exceed 10× the tolerance")
    }
}

@Suite struct GradientFlowTests {
    /// The claim of SUBJECT.md: through a plain RNN the gradient fades exponentially with
    /// distance, through an LSTM whose forget gate is held open (or a GRU whose update gate
    /// keeps h) it survives. Same seed, same inputs, last-state sensitivity of each cell.
    @Test func rnnForgetsFasterThanOpenGates() throws {
        let (inputSize, hiddenSize, steps) = (4, 16, 40)
        var rng = SeededGenerator(seed: 3)
        let inputs = (0..<steps).map { _ in (0..<inputSize).map { _ in rng.uniform(-1, 1) } }
        func model(_ cell: CellKind, openBlock: Int?) -> RecurrentModel {
            var model = RecurrentModel.random(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, seed: 5)
            if let openBlock {
                // A bias of 5 puts the gate at σ(5 ± small) ≈ 0.99 at every step.
                for u in 0..<hiddenSize { model.layers[0].forward.biasIH?[openBlock * hiddenSize + u] = 5 }
            }
            return model
        }
        let rnn = model(.rnn, openBlock: nil)
        let lstm = model(.lstm, openBlock: 1)  // f
        let gru = model(.gru, openBlock: 1)    // z
        let rnnFlow = try rnn.sensitivity(rnn.trace(inputs), layer: 0)
        let lstmFlow = try lstm.sensitivity(lstm.trace(inputs), layer: 0)
        let gruFlow = try gru.sensitivity(gru.trace(inputs), layer: 0)
        // How much of the last state's gradient reaches `distance` steps back.
        func reach(_ curve: [[Float]], _ distance: Int) -> Float { curve[steps - 1 - distance][0] / curve[steps - 1][0] }
        // The seed u has norm 1, so every curve starts at exactly 1 at t = T − 1.
        for curve in [rnnFlow.hidden, lstmFlow.hidden, lstmFlow.cell, gruFlow.hidden] {
            #expect(abs(curve[steps - 1][0] - 1) < 1e-6)
        }
        let distances = [5, 10, 20, steps - 1]
        for (near, far) in zip(distances, distances.dropFirst()) {
            // The RNN's gradient keeps vanishing with distance ...
            #expect(reach(rnnFlow.hidden, far) < reach(rnnFlow.hidden, near), "RNN from \(near) to \(far) steps")
            // ... and loses more over the same stretch than every gated path.
            let rnnLoss = reach(rnnFlow.hidden, far) / reach(rnnFlow.hidden, near)
            for (name, curve) in [("LSTM h", lstmFlow.hidden), ("LSTM c", lstmFlow.cell), ("GRU h", gruFlow.hidden)] {
                #expect(rnnLoss < reach(curve, far) / reach(curve, near), "\(name) from \(near) to \(far) steps")
            }
        }
        for distance in distances {
            for (name, curve) in [("LSTM h", lstmFlow.hidden), ("LSTM c", lstmFlow.cell), ("GRU h", gruFlow.hidden)] {
                #expect(reach(rnnFlow.hidden, distance) < reach(curve, distance), "\(name) at \(distance) steps")
            }
        }
    }
}

@Suite struct BackwardInputTests {
    let model = RecurrentModel.random(cell: .gru, inputSize: 2, hiddenSize: 3, outputSize: 4, seed: 1)
    let inputs: [[Float]] = [[0.5, -1], [1, 0], [0, 0.25]]

    @Test func targetsThatDoNotFitAreNamed() throws {
        let trace = try model.trace(inputs)
        #expect(throws: GateError("the loss has 2 targets for 3 steps")) {
            try model.backward(trace, loss: .crossEntropy(targets: [1, 2]))
        }
        // Messages count steps and layers from 1, as the screen does: targets[1] is step 2.
        #expect(throws: GateError("cross-entropy target 4 at step 2 is not one of the head's 4 outputs")) {
            try model.backward(trace, loss: .crossEntropy(targets: [nil, 4, 0]))
        }
        #expect(throws: GateError("cross-entropy target -1 at step 1 is not one of the head's 4 outputs")) {
            try model.backward(trace, loss: .crossEntropy(targets: [-1, nil, 0]))
        }
        #expect(throws: GateError("mean-squared target at step 3 has 3 values, the head has 4 outputs")) {
            try model.backward(trace, loss: .meanSquared(targets: [nil, [0, 0, 0, 0], [1, 2, 3]]))
        }
        #expect(throws: GateError("the loss has no targets: every step is masked")) {
            try model.backward(trace, loss: .meanSquared(targets: [nil, nil, nil]))
        }
    }

    @Test func traceOfAnotherModelIsRefused() throws {
        let other = RecurrentModel.random(cell: .lstm, inputSize: 2, hiddenSize: 3, outputSize: 4, seed: 1)
        let trace = try other.trace(inputs)
        #expect(throws: GateError.self) { try model.backward(trace, loss: .crossEntropy(targets: [0, 0, 0])) }
        #expect(throws: GateError.self) { try model.sensitivity(trace, layer: 0) }
        #expect(throws: GateError("layer 2 does not exist: the model has 1 layer")) {
            try model.sensitivity(try model.trace(inputs), layer: 1)
        }
    }

    /// Masked steps contribute nothing: the loss and gradients equal those of the sequence
    /// cut after the last scored step (later steps cannot reach earlier outputs).
    @Test func maskedTailChangesNothing() throws {
        let full = try model.backward(model.trace(inputs), loss: .crossEntropy(targets: [2, 1, nil]))
        let cut = try model.backward(model.trace(Array(inputs.prefix(2))), loss: .crossEntropy(targets: [2, 1]))
        #expect(full.loss == cut.loss)
        #expect(full.gradients.layers == cut.gradients.layers)
        #expect(full.gradients.head == cut.gradients.head)
        #expect(full.gradients.inputs[2] == [0, 0])
    }
}

@Suite struct TraceGradientTests {
    @Test func textModelReportsTheNextSymbolLoss() throws {
        var model = RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 4, layers: 2, outputSize: 3, seed: 2)
        model.vocab = ["a", "b", "c"]
        let inputs: [[Float]] = [[1, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0]]
        let trace = try model.trace(inputs)
        let report = try model.traceGradients(trace)
        let expected = try model.backward(trace, loss: .crossEntropy(targets: [2, 1, 0, nil])).flow
        #expect(report.gradientOf == "loss")
        #expect(report.flow == expected)
        #expect(report.fields(t: 1, column: 0, hasCell: true).map(\.key) == ["grad_h", "grad_c"])
        #expect(report.fields(t: 1, column: 0, hasCell: true).map(\.value) == [expected.hidden[1][0], expected.cell[1][0]])
    }

    @Test func otherModelsReportTheLastStateSensitivity() throws {
        let headless = RecurrentModel.random(cell: .gru, inputSize: 2, hiddenSize: 4, layers: 2, seed: 2)
        // A head and a vocabulary, but numeric input: there is no next symbol to score.
        var numeric = RecurrentModel.random(cell: .rnn, inputSize: 2, hiddenSize: 4, outputSize: 2, seed: 2)
        numeric.vocab = ["a", "b"]
        let inputs: [[Float]] = [[0.5, -1], [1, 0], [0, 0.25]]
        for model in [headless, numeric] {
            let trace = try model.trace(inputs)
            let report = try model.traceGradients(trace)
            #expect(report.gradientOf == "last_state")
            #expect(report.flow == (try model.sensitivity(trace, layer: model.layerCount - 1)))
            #expect(report.fields(t: 0, column: 0, hasCell: false).map(\.key) == ["grad_h"])
        }
    }
}

/// One case of Tests/Fixtures/model_gradients/, written by
/// Tools/reference/make_model_grad_fixtures.py: a pipeline (embedding, bidirectional layers,
/// projections, hybrid stacks) with autograd's gradients, flow and sensitivities, in float64
/// on float32 weights. Flow columns are layer directions in PyTorch's h_n order.
private struct PipelineGradientFixture: Decodable {
    struct Layer: Decodable {
        var cell: String
        var input_size: Int
        var hidden_size: Int
        var bidirectional: Bool
        var proj_size: Int
    }
    struct Embedding: Decodable {
        var vocab_size: Int
        var dim: Int
        var weight: [Float]
    }
    struct Sensitivity: Decodable {
        var layer: Int
        var direction: String
        var hidden: [[Double]]
        var cell: [[Double]]?
    }
    var name: String
    var stack: [Layer]
    var embedding: Embedding?
    var tokens: [Int]?
    var weights: [String: [Float]]
    var head: GradientFixture.Head?
    var inputs: [[Float]]
    var initial_hidden: [Float]?
    var initial_cell: [Float]?
    var loss: GradientFixture.LossSpec?
    var expected: GradientFixture.Expected?
    var sensitivity: [Sensitivity]

    func model() throws -> RecurrentModel {
        let layers = try stack.enumerated().map { p, layer in
            let kind = try #require(CellKind(rawValue: layer.cell), "\(name): unknown cell \(layer.cell)")
            func direction(_ suffix: String) throws -> LayerWeights {
                LayerWeights(inputSize: layer.input_size, hiddenSize: layer.hidden_size,
                             weightIH: try #require(weights["weight_ih_l\(p)\(suffix)"], "\(name): weight_ih_l\(p)\(suffix)"),
                             weightHH: try #require(weights["weight_hh_l\(p)\(suffix)"], "\(name): weight_hh_l\(p)\(suffix)"),
                             biasIH: weights["bias_ih_l\(p)\(suffix)"], biasHH: weights["bias_hh_l\(p)\(suffix)"],
                             projection: weights["weight_hr_l\(p)\(suffix)"])
            }
            return RecurrentLayer(cell: kind, forward: try direction(""),
                                  reverse: layer.bidirectional ? try direction("_reverse") : nil)
        }
        let width = layers.last?.outputSize ?? 0
        return RecurrentModel(
            embedding: embedding.map { GateCore.Embedding(vocabularySize: $0.vocab_size, dimension: $0.dim, weight: $0.weight) },
            layers: layers,
            head: head.map { LinearHead(outputSize: $0.output_size, inputSize: width, weight: $0.weight, bias: $0.bias) })
    }
}

private let pipelineGradientFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/model_gradients")
private let pipelineFixtureNames: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: pipelineGradientFixtures.path)) ?? [])
    .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()

@Suite struct PipelineGradientTests {
    @Test func fixturesArePresent() {
        #expect(pipelineFixtureNames.count >= 7, "found \(pipelineFixtureNames) in \(pipelineGradientFixtures.path)")
    }

    @Test(arguments: pipelineFixtureNames)
    func matchesAutograd(_ name: String) throws {
        let data = try Data(contentsOf: pipelineGradientFixtures.appendingPathComponent("\(name).json"))
        let fixture = try JSONDecoder().decode(PipelineGradientFixture.self, from: data)
        let model = try fixture.model()
        try model.validate()
        let trace = try fixture.tokens.map { try model.trace(tokens: $0, initialHidden: fixture.initial_hidden,
                                                                initialCell: fixture.initial_cell) }
            ?? model.trace(fixture.inputs, initialHidden: fixture.initial_hidden, initialCell: fixture.initial_cell)
        expectClose(trace.inputs, fixture.inputs.map { $0.map(Double.init) }, "\(name) x")
        if let spec = fixture.loss, let expected = fixture.expected {
            let (gradients, flow, reference) = try backwardChecked(model, trace, spec, expected, name)
            for (p, layer) in gradients.layers.enumerated() {
                for direction in layer.directions {
                    let suffix = direction == .reverse ? "_reverse" : ""
                    let weights = layer.weights(direction)
                    expectClose(weights.weightIH, try reference("weight_ih_l\(p)\(suffix)"), "\(name) weight_ih_l\(p)\(suffix)")
                    expectClose(weights.weightHH, try reference("weight_hh_l\(p)\(suffix)"), "\(name) weight_hh_l\(p)\(suffix)")
                    #expect((weights.biasIH == nil) == (expected.gradients["bias_ih_l\(p)\(suffix)"] == nil))
                    if let bias = weights.biasIH { expectClose(bias, try reference("bias_ih_l\(p)\(suffix)"), "\(name) bias_ih_l\(p)\(suffix)") }
                    if let bias = weights.biasHH { expectClose(bias, try reference("bias_hh_l\(p)\(suffix)"), "\(name) bias_hh_l\(p)\(suffix)") }
                    #expect((weights.projection == nil) == (expected.gradients["weight_hr_l\(p)\(suffix)"] == nil))
                    if let projection = weights.projection {
                        expectClose(projection, try reference("weight_hr_l\(p)\(suffix)"), "\(name) weight_hr_l\(p)\(suffix)")
                    }
                }
            }
            if let head = gradients.head {
                expectClose(head.weight, try reference("head.weight"), "\(name) head.weight")
                if let bias = head.bias { expectClose(bias, try reference("head.bias"), "\(name) head.bias") }
            }
            if let embedding = gradients.embedding {
                expectClose(embedding.weight, try reference("embedding.weight"), "\(name) embedding.weight")
            }
            expectClose(gradients.inputs.flatMap { $0 }, try reference("inputs"), "\(name) dL/dx")
            expectClose(gradients.initialHidden, try reference("initial_hidden"), "\(name) initial h")
            expectClose(gradients.initialCell, expected.gradients["initial_cell"] ?? [], "\(name) initial c")
            expectClose(flow.hidden, expected.flow_hidden, "\(name) flow h")
            expectClose(flow.cell, expected.flow_cell, "\(name) flow c")
        }
        for entry in fixture.sensitivity {
            let direction: Direction = entry.direction == "reverse" ? .reverse : .forward
            let flow = try model.sensitivity(trace, layer: entry.layer, direction: direction)
            expectClose(flow.hidden, entry.hidden, "\(name) sensitivity of layer \(entry.layer) \(entry.direction), h")
            if let cell = entry.cell { expectClose(flow.cell, cell, "\(name) sensitivity of layer \(entry.layer) \(entry.direction), c") }
        }
    }
}
