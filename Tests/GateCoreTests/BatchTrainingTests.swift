import Testing
@testable import GateCore

/// Training's batches go through the model together (one recurrent product per step for the
/// whole batch, the weight gradients as products over chunks of steps): every trace and every
/// gradient must be bit for bit what one sequence at a time gives, so that the recorded
/// demos retrain to the same bits and the PyTorch gradient fixtures keep their bounds.
@Suite struct BatchTrainingTests {
    /// The stacks training builds: every cell, hybrids, two layers, both directions, a projection.
    static let models: [(name: String, model: RecurrentModel)] = CellKind.allCases.map {
        ("\($0.rawValue) 2 layers", RecurrentModel.random(cell: $0, inputSize: 5, hiddenSize: 11, layers: 2, outputSize: 4, seed: 3))
    } + [
        ("gru→lstm bidirectional", RecurrentModel.random(cells: [.gru, .lstm], inputSize: 5, hiddenSize: 9, bidirectional: true,
                                                         outputSize: 4, seed: 4)),
        ("lstm projected", RecurrentModel.random(cells: [.lstm], inputSize: 5, hiddenSize: 10, projectionSize: 3,
                                                 outputSize: 4, seed: 5)),
        ("rnn no bias", RecurrentModel.random(cell: .rnn, inputSize: 5, hiddenSize: 16, bias: false, outputSize: 4, seed: 6)),
    ]

    /// Five sequences of 70 steps (more than one chunk of the backward pass) with
    /// cross-entropy at some steps and mean squared error at others.
    static func batch(_ model: RecurrentModel, crossEntropy: Bool) -> TaskBatch {
        var rng = SeededGenerator(seed: 9)
        let inputs = (0..<5).map { _ in (0..<70).map { _ in (0..<model.inputSize).map { _ in rng.uniform(-1, 1) } } }
        let losses: [Loss] = (0..<5).map { _ in
            crossEntropy ? .crossEntropy(targets: (0..<70).map { $0 % 3 == 0 ? nil : rng.index(below: 4) })
                         : .meanSquared(targets: (0..<70).map { $0 < 10 ? nil : (0..<4).map { _ in rng.uniform(-1, 1) } })
        }
        return TaskBatch(inputs: inputs, losses: losses)
    }

    /// The mean gradient as it was defined before batching: each sequence's gradient added to
    /// the flat vector in order, then scaled.
    static func oneAtATime(_ model: RecurrentModel, _ batch: TaskBatch) throws -> (loss: Float, gradient: [Float]) {
        var gradient = [Float](repeating: 0, count: model.parameterCount)
        var total: Float = 0
        for (x, loss) in zip(batch.inputs, batch.losses) {
            let result = try model.backward(model.trace(x), loss: loss)
            total += result.loss
            result.gradients.accumulate(into: &gradient)
        }
        let scale = 1 / Float(batch.count)
        return (total * scale, gradient.map { $0 * scale })
    }

    @Test("a batch traced together gives every sequence's trace bit for bit")
    func batchTracesEqualSingleTraces() throws {
        for (name, model) in Self.models {
            let batch = Self.batch(model, crossEntropy: true)
            let together = try model.traceBatch(batch.inputs)
            for (x, trace) in zip(batch.inputs, together) {
                let alone = try model.trace(x)
                #expect(trace.activations.map(\.bitPattern) == alone.activations.map(\.bitPattern), "\(name)")
                #expect(trace.preactivations.map(\.bitPattern) == alone.preactivations.map(\.bitPattern), "\(name)")
                #expect(trace.hiddenStates.map(\.bitPattern) == alone.hiddenStates.map(\.bitPattern), "\(name)")
                #expect(trace.cellStates.map(\.bitPattern) == alone.cellStates.map(\.bitPattern), "\(name)")
                #expect(trace.outputs.map(\.bitPattern) == alone.outputs.map(\.bitPattern), "\(name)")
            }
        }
    }

    @Test("the batched mean gradient and loss equal one sequence at a time, bit for bit",
          arguments: [true, false])
    func batchGradientEqualsOneAtATime(crossEntropy: Bool) throws {
        for (name, model) in Self.models {
            let batch = Self.batch(model, crossEntropy: crossEntropy)
            var gradient = [Float](repeating: .nan, count: model.parameterCount)
            let loss = try Training.batchGradient(model, batch, into: &gradient)
            let expected = try Self.oneAtATime(model, batch)
            #expect(loss.bitPattern == expected.loss.bitPattern, "\(name): loss \(loss) vs \(expected.loss)")
            let differing = zip(gradient, expected.gradient).filter { $0.bitPattern != $1.bitPattern }
            #expect(differing.isEmpty, "\(name): \(differing.count) entries differ, e.g. \(differing.first.map { "\($0) vs \($1)" } ?? "")")
            #expect(gradient.contains { $0 != 0 }, "\(name): a gradient of zeros proves nothing")
        }
    }

    @Test("one batched Adam update equals the update from one sequence at a time within 1e-6")
    func batchedAdamUpdateEqualsOneAtATime() throws {
        for (name, model) in Self.models {
            let batch = Self.batch(model, crossEntropy: true)
            func update(_ gradient: [Float]) -> [Float] {
                var g = gradient, parameters = model.flatParameters()
                var adam = Adam(parameterCount: parameters.count, learningRate: 0.01)
                clipGradientNorm(&g, maxNorm: 1)
                adam.step(&parameters, gradients: g)
                return parameters
            }
            var gradient = [Float](repeating: 0, count: model.parameterCount)
            _ = try Training.batchGradient(model, batch, into: &gradient)
            let batched = update(gradient), expected = update(try Self.oneAtATime(model, batch).gradient)
            for (value, reference) in zip(batched, expected) {
                #expect(abs(value - reference) <= 1e-6 * max(1, abs(reference)), "\(name)")
            }
            #expect(batched != model.flatParameters(), "\(name): the update moved nothing")
        }
    }

    @Test("sequences of different lengths are refused by the batch pass, and training takes them one at a time")
    func unevenBatchesFallBack() throws {
        let model = RecurrentModel.random(cell: .gru, inputSize: 2, hiddenSize: 4, outputSize: 2, seed: 1)
        let inputs: [[[Float]]] = [[[0, 1], [1, 0]], [[1, 1]]]
        #expect(throws: GateError.self) { try model.traceBatch(inputs) }
        let batch = TaskBatch(inputs: inputs, losses: [.crossEntropy(targets: [0, 1]), .crossEntropy(targets: [1])])
        var gradient = [Float](repeating: 0, count: model.parameterCount)
        let loss = try Training.batchGradient(model, batch, into: &gradient)
        let expected = try Self.oneAtATime(model, batch)
        #expect(loss == expected.loss && gradient == expected.gradient)
    }
}
