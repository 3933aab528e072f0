import Foundation
import Testing
@testable import GateCore

/// The repository's Tests/Fixtures directory, found from this source file.
private let fixturesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

private struct AdamFixture: Decodable {
    struct Case: Decodable {
        var name: String
        var lr: Double
        var beta1: Double
        var beta2: Double
        var eps: Double
        var max_norm: Double?
        var initial: [Double]
        var gradients: [[Double]]
        var total_norms: [Double]
        var parameters: [[Double]]
    }
    var cases: [Case]
}

private func loadAdamFixture() throws -> AdamFixture {
    let data = try Data(contentsOf: fixturesDirectory.appendingPathComponent("adam/adam.json"))
    return try JSONDecoder().decode(AdamFixture.self, from: data)
}

@Suite struct AdamTests {
    @Test func matchesTorchOptimAdamStepByStep() throws {
        for c in try loadAdamFixture().cases {
            var parameters = c.initial.map { Float($0) }
            var adam = Adam(parameterCount: parameters.count, learningRate: c.lr,
                            beta1: c.beta1, beta2: c.beta2, epsilon: c.eps)
            for (t, gradient) in c.gradients.enumerated() {
                var g = gradient.map { Float($0) }
                if let maxNorm = c.max_norm {
                    let norm = clipGradientNorm(&g, maxNorm: Float(maxNorm))
                    #expect(abs(Double(norm) - c.total_norms[t]) <= 1e-6 * c.total_norms[t],
                            "\(c.name) step \(t): norm \(norm) vs torch \(c.total_norms[t])")
                }
                adam.step(&parameters, gradients: g)
                for (j, expected) in c.parameters[t].enumerated() {
                    // A few float32 ulps at |p| ≈ 1: ATen may fuse multiply-adds where Swift does not.
                    #expect(abs(Double(parameters[j]) - expected) <= 1e-7,
                            "\(c.name) step \(t) parameter \(j): \(parameters[j]) vs torch \(expected)")
                }
            }
        }
    }

    @Test func clippingScalesToMaxNormAndLeavesSmallGradientsAlone() {
        var big: [Float] = [3, 4]
        let norm = clipGradientNorm(&big, maxNorm: 1)
        #expect(norm == 5)
        let expectedFactor = Float(1) / (5 + 1e-6)
        #expect(big == [3 * expectedFactor, 4 * expectedFactor])
        var small: [Float] = [0.3, -0.4]
        #expect(clipGradientNorm(&small, maxNorm: 1) == 0.5)
        #expect(small == [0.3, -0.4])
    }
}

@Suite struct TrainingLoopTests {
    /// A short delay task that a small model learns in a few hundred updates.
    private func shortDelay() throws -> TrainingTask { try TrainingTask(kind: .delay, delay: 4) }

    @Test(arguments: [CellKind.lstm, .gru])
    func learnsAShortDelayTaskWithinAFixedBudget(cell: CellKind) throws {
        let task = try shortDelay()
        let config = TrainingConfig(task: task, cell: cell, hiddenSize: 6, steps: 300, batchSize: 8,
                                    seed: 2, evaluationInterval: 25, validationSize: 64)
        let result = try Training.run(task: task, config: config)
        let early = result.losses.prefix(20).reduce(0, +) / 20
        let late = result.losses.suffix(20).reduce(0, +) / 20
        #expect(late < early / 10, "\(cell): loss \(early) → \(late)")
        #expect(result.stepsToTarget != nil, "\(cell): recall accuracy never reached \(task.target)")
        #expect(result.bestMetric >= task.target)
        // The saved model is the best one: measuring it again gives the recorded metric.
        var rng = SeededGenerator(seed: 99)
        let fresh = task.batch(size: 200, using: &rng, validation: true)
        #expect(try task.measure(result.best, on: fresh) >= task.target)
        #expect(result.best.metadata["task"] == "delay")
        #expect(result.best.metadata["seed"] == "2")
        #expect(result.best.metadata["delay"] == "4")
        #expect(result.best.vocab == TrainingTask.delayVocab)
    }

    @Test func sameSeedGivesBitIdenticalWeightsAndAnotherSeedDoesNot() throws {
        let task = try shortDelay()
        func train(seed: UInt64) throws -> TrainingResult {
            let config = TrainingConfig(task: task, cell: .gru, hiddenSize: 5, steps: 30, batchSize: 4,
                                        seed: seed, evaluationInterval: 10, validationSize: 16)
            return try Training.run(task: task, config: config)
        }
        let a = try train(seed: 5), b = try train(seed: 5), c = try train(seed: 6)
        let bits = { (r: TrainingResult) in r.best.flatParameters().map(\.bitPattern) }
        #expect(bits(a) == bits(b))
        #expect(a.losses.map(\.bitPattern) == b.losses.map(\.bitPattern))
        #expect(bits(a) != bits(c))
    }

    @Test func stopFlagEndsAfterTheCurrentUpdateAndKeepsTheBestModel() throws {
        let task = try shortDelay()
        let config = TrainingConfig(task: task, cell: .lstm, hiddenSize: 4, steps: 1000, batchSize: 2,
                                    seed: 3, evaluationInterval: 5, validationSize: 16)
        let stop = StopFlag()
        var seen: [Int] = []
        let result = try Training.run(task: task, config: config, stop: stop) { progress in
            seen.append(progress.step)
            if progress.step == 12 { stop.request() }
        }
        #expect(seen == Array(1...12))
        #expect(result.interrupted)
        #expect(result.stepsTaken == 12)
        #expect(result.losses.count == 12)
        // Measured at 0, 5, 10 and once more where it stopped.
        #expect(result.evaluations.map(\.step) == [0, 5, 10, 12])
        let best = try #require(result.evaluations.min { task.metric.isBetter($0.metric, than: $1.metric) })
        #expect(result.bestMetric == best.metric)
        #expect(result.best.metadata["steps"] == "12")
    }

    @Test func gradientIsTheMeanOfTheSequencesGradients() throws {
        let task = try TrainingTask(kind: .adding, length: 6)
        let model = RecurrentModel.random(cell: .lstm, inputSize: 2, hiddenSize: 3, outputSize: 1, seed: 4)
        var rng = SeededGenerator(seed: 8)
        let batch = task.batch(size: 3, using: &rng)
        var mean = [Float](repeating: 0, count: model.parameterCount)
        let loss = try Training.batchGradient(model, batch, into: &mean)
        var expectedLoss: Float = 0
        var sum = [Double](repeating: 0, count: model.parameterCount)
        for (x, l) in zip(batch.inputs, batch.losses) {
            let one = try model.backward(model.trace(x), loss: l)
            expectedLoss += one.loss / 3
            var flat = [Float](repeating: 0, count: model.parameterCount)
            one.gradients.accumulate(into: &flat)
            for j in flat.indices { sum[j] += Double(flat[j]) }
        }
        #expect(abs(loss - expectedLoss) <= 1e-6 * abs(expectedLoss))
        for j in mean.indices { #expect(abs(Double(mean[j]) - sum[j] / 3) <= 1e-6 * max(1, abs(sum[j]))) }
    }

    @Test func flatParametersFollowPyTorchsParameterOrderAndRoundTrip() {
        let original = RecurrentModel.random(cell: .gru, inputSize: 2, hiddenSize: 3, layers: 2, outputSize: 4, seed: 1)
        var model = original
        let flat = model.flatParameters()
        #expect(flat.count == model.parameterCount)
        #expect(Array(flat.prefix(18)) == model.layers[0].forward.weightIH)
        #expect(Array(flat.suffix(4)) == model.head?.bias)
        let doubled = flat.map { $0 * 2 }
        model.setFlatParameters(doubled)
        #expect(model.flatParameters() == doubled)
        #expect(model.layers[1].forward.biasHH == original.layers[1].forward.biasHH?.map { $0 * 2 })
        #expect(model.head?.weight == original.head?.weight.map { $0 * 2 })
    }

    @Test func lstmForgetBiasStartsAtTheConfiguredValue() throws {
        let task = try shortDelay()
        let config = TrainingConfig(task: task, cell: .lstm, hiddenSize: 3, steps: 1, batchSize: 1,
                                    learningRate: 1e-9, evaluationInterval: 1, validationSize: 1)
        let model = try Training.run(task: task, config: config).best
        let f = 3..<6
        for j in f { #expect(abs((model.layers[0].forward.biasIH?[j] ?? 0) - 1) < 1e-6) }
        for j in f { #expect(abs(model.layers[0].forward.biasHH?[j] ?? 1) < 1e-6) }
    }

    @Test func badConfigurationsAreRefusedBeforeTraining() throws {
        let task = try shortDelay()
        #expect(throws: GateError("--hidden must be at least 1, got 0")) {
            try TrainingConfig(task: task, cell: .lstm, hiddenSize: 0).validate()
        }
        #expect(throws: GateError("--steps must be at least 1, got 0")) {
            try TrainingConfig(task: task, cell: .lstm, steps: 0).validate()
        }
        #expect(throws: GateError.self) { try TrainingConfig(task: task, cell: .lstm, learningRate: -1).validate() }
        #expect(throws: GateError.self) { try TrainingConfig(task: task, cell: .lstm, batchSize: 0).validate() }
    }

    /// Sizes that would allocate more than gatescope allows anywhere are refused with the
    /// flag and the limit, before any work (no model or batch is made here).
    @Test func oversizedConfigurationsAreRefusedBeforeAllocating() throws {
        let task = try shortDelay()
        #expect(throws: GateError("--batch 99999999999 is more than 4096")) {
            try TrainingConfig(task: task, cell: .lstm, batchSize: 99_999_999_999).validate(for: task)
        }
        #expect(throws: GateError("--steps 99999999999 is more than 10000000")) {
            try TrainingConfig(task: task, cell: .lstm, steps: 99_999_999_999).validate(for: task)
        }
        try TrainingConfig(task: task, cell: .lstm, batchSize: 4096).validate(for: task)
        // 4096 sequences of 10,002 steps × 6 inputs: 246 million values.
        let long = try TrainingTask(kind: .delay, delay: 10_000)
        #expect(throws: GateError("4096 sequences (--batch 4096, 128 held out) of 10002 steps × 6 inputs need more than 67108864 values (256 MiB); use a smaller --batch or a shorter sequence")) {
            try TrainingConfig(task: long, cell: .rnn, batchSize: 4096).validate(for: long)
        }
        // One sequence's trace: 10,002 steps × (4096·10 + 6 + 3) values.
        #expect(throws: GateError("--hidden 4096 --layers 1 on sequences of 10002 steps: recording one needs more than 67108864 values (256 MiB); use a smaller model or a shorter sequence")) {
            try TrainingConfig(task: long, cell: .lstm, hiddenSize: 4096, batchSize: 1).validate(for: long)
        }
        // Within --hidden ≤ 4096 and --layers ≤ 16, the parameters can still exceed the limit.
        #expect(throws: GateError.self) {
            try TrainingConfig(task: task, cell: .lstm, hiddenSize: 4096, layers: 16).validate(for: task)
        }
        #expect(throws: GateError("--batch 5000 is more than 4096")) {
            try Training.run(task: task, config: TrainingConfig(task: task, cell: .lstm, batchSize: 5000))
        }
    }
}

/// The trained demos: they load, and the README's claims about them hold when traced.
@Suite struct DemoTests {
    /// The demo's delay sequence with `symbol` (0 = 'a', 1 = 'b', 2 = 'c') shown first.
    private func trace(_ kind: CellKind, symbol: Int = 0) throws -> (Scenario, Trace) {
        var scenario = try Demos.scenario(kind: kind, task: .delay)
        scenario.inputs[0] = (0..<6).map { $0 == symbol ? 1 : 0 }
        return (scenario, try scenario.model.trace(scenario.inputs))
    }

    private func answer(_ trace: Trace) -> Int {
        let y = Array(trace.output(t: trace.steps - 1))
        return y.indices.max { y[$0] < y[$1] } ?? -1
    }

    @Test(arguments: Demos.Task.allCases)
    func everyDemoLoadsWithItsRecipe(task: Demos.Task) throws {
        for kind in Demos.kinds {
            let scenario = try Demos.scenario(kind: kind, task: task)
            #expect(scenario.model.cell == kind)
            #expect(scenario.stepLabels.count == scenario.inputs.count)
            #expect(scenario.inputs.allSatisfy { $0.count == scenario.model.inputSize })
            let command = try #require(scenario.model.metadata["command"])
            #expect(command.hasPrefix("gatescope train --task \(task.rawValue) "))
            #expect(command.contains("--cell \(kind.rawValue) "))
            #expect(scenario.model.metadata["seed"] != nil)
            let variant = try #require(scenario.makeVariant)
            #expect(try variant(kind.next).model.cell == kind.next)
        }
        #expect(throws: GateError.self) { try Demos.scenario(kind: .gruResetBefore, task: task) }
    }

    @Test func lstmDelayDemoHoldsTheSymbolInOneUnitsCellState() throws {
        let u = Demos.lstmDelayMemoryUnit
        for (symbol, sign) in [(0, Float(1)), (1, Float(-1))] {
            let (scenario, trace) = try trace(.lstm, symbol: symbol)
            let query = scenario.inputs.count - 1
            #expect(answer(trace) == symbol)
            #expect(sign * Array(trace.cellState(t: 0, layer: 0))[u] > 0.9, "step 0 writes the symbol")
            for t in 1..<query {
                #expect(Array(trace.gate(.forget, t: t, layer: 0))[u] > 0.97, "forget gate at step \(t)")
                #expect(sign * Array(trace.cellState(t: t, layer: 0))[u] > 0.9, "c keeps its sign at step \(t)")
            }
        }
        // 'c' is told apart by the same unit forgetting: its forget gate closes.
        let (_, forgetting) = try trace(.lstm, symbol: 2)
        #expect(answer(forgetting) == 2)
        #expect((1..<5).contains { Array(forgetting.gate(.forget, t: $0, layer: 0))[u] < 0.2 })
    }

    @Test func gruDelayDemoHoldsTheSymbolInOneUnitsHiddenState() throws {
        let u = Demos.gruDelayMemoryUnit
        let (scenario, trace) = try trace(.gru)
        #expect(answer(trace) == 0)
        for t in 0..<(scenario.inputs.count - 1) {
            #expect(Array(trace.hidden(t: t, layer: 0))[u] > 0.9, "h holds at step \(t)")
            if t > 0 { #expect(Array(trace.gate(.update, t: t, layer: 0))[u] > 0.8, "z at step \(t)") }
        }
        let (_, other) = try self.trace(.gru, symbol: 2)
        #expect(Array(other.hidden(t: 0, layer: 0))[u] < -0.8, "'c' writes the opposite sign")
    }

    @Test func rnnDelayDemoLosesTheSymbol() throws {
        // Whatever the first symbol, the RNN's h is the same a few steps later.
        let traces = try (0..<3).map { try trace(.rnn, symbol: $0).1 }
        for t in [0, 8, traces[0].steps - 2] {
            let spread: Float = (0..<8).map { (u: Int) -> Float in
                let values = traces.map { Array($0.hidden(t: t, layer: 0))[u] }
                return (values.max() ?? 0) - (values.min() ?? 0)
            }.max() ?? 0
            if t == 0 { #expect(spread > 0.5) } else { #expect(spread < 0.05, "spread \(spread) at step \(t)") }
        }
    }

    /// 1500 updates take about a minute unoptimised: run with `swift test -c release`.
    @Test(.enabled(if: !_isDebugAssertConfiguration(), "optimised builds only"))
    func theGRUDelayDemoIsReproducedBitForBitFromItsRecordedSettings() throws {
        let recorded = try Demos.model(kind: .gru, task: .delay)
        let command = try #require(recorded.metadata["command"]).split(separator: " ").map(String.init)
        func option(_ name: String) throws -> String {
            let index = try #require(command.firstIndex(of: "--" + name))
            return command[index + 1]
        }
        let task = try TrainingTask(kind: .delay, delay: Int(try option("delay")))
        let config = TrainingConfig(task: task, cell: .gru, hiddenSize: try #require(Int(try option("hidden"))),
                                    steps: Int(try option("steps")), batchSize: try #require(Int(try option("batch"))),
                                    learningRate: Double(try option("lr")), seed: try #require(UInt64(try option("seed"))))
        let retrained = try Training.run(task: task, config: config).best
        let differing = zip(retrained.flatParameters(), recorded.flatParameters()).filter { $0.bitPattern != $1.bitPattern }
        #expect(differing.isEmpty, "\(differing.count) weights differ, e.g. \(differing.first.map { "\($0) vs \($1)" } ?? "")")
    }
}

@Suite struct CountingTests {
    @Test func anLSTMTrainedToTrackBracketDepthHasAUnitThatCounts() throws {
        let task = try TrainingTask(kind: .count, length: 12)
        let config = TrainingConfig(task: task, cell: .lstm, hiddenSize: 6, steps: 400, batchSize: 8,
                                    seed: 1, evaluationInterval: 50, validationSize: 64)
        let result = try Training.run(task: task, config: config)
        #expect(result.bestMetric >= 0.95)
        // Some unit's cell state follows the depth along the demo sequence: correlation > 0.95.
        let demo = task.demo()
        let trace = try result.best.trace(demo.inputs)
        var depth: [Double] = []
        for x in demo.inputs { depth.append((depth.last ?? 0) + (x[0] == 1 ? 1 : -1)) }
        func correlation(_ a: [Double], _ b: [Double]) -> Double {
            let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
            let cov = zip(a, b).reduce(0) { $0 + ($1.0 - ma) * ($1.1 - mb) }
            let va = a.reduce(0) { $0 + ($1 - ma) * ($1 - ma) }, vb = b.reduce(0) { $0 + ($1 - mb) * ($1 - mb) }
            return cov / (va * vb).squareRoot()
        }
        let best = (0..<6).map { u in
            abs(correlation((0..<trace.steps).map { Double(Array(trace.cellState(t: $0, layer: 0))[u]) }, depth))
        }.max() ?? 0
        #expect(best > 0.95, "best |correlation| of a cell state with the depth: \(best)")
    }
}
