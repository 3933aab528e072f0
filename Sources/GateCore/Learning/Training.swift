import Foundation

/// The settings of one training run.
public struct TrainingConfig: Sendable {
    public var cell: CellKind
    public var hiddenSize: Int
    public var layers: Int
    /// One kind per layer for a hybrid stack (then `layers` is its count); nil: `layers` of `cell`.
    public var cells: [CellKind]?
    /// Both directions in every layer.
    public var bidirectional = false
    /// The LSTM layers' projection size (proj_size); 0 for none.
    public var projectionSize = 0
    public var steps: Int
    /// Sequences per update; their gradients are averaged.
    public var batchSize: Int
    public var learningRate: Double
    /// The total gradient norm is clipped to this (as clip_grad_norm_); 0 turns clipping off.
    public var clipNorm: Float
    public var seed: UInt64
    /// Updates between two measurements of the metric on the held-out sequences.
    public var evaluationInterval: Int
    public var validationSize: Int
    /// The LSTM forget-gate bias to start from (bias_ih = this, bias_hh = 0 in the f rows),
    /// as Keras' `unit_forget_bias`; nil keeps PyTorch's U(-1/√H, 1/√H). PyTorch's start
    /// has f ≈ 0.5, which halves the memory at every step and hides long delays from the
    /// gradient until training happens to raise f.
    public var forgetBias: Float?
    /// Train on this many fixed sequences, in epochs (reshuffled each time round), and hold
    /// out sequences that are not among them; nil draws fresh sequences for every update.
    public var trainingSetSize: Int?

    /// Defaults: the task's learning rate and step budget, 12 hidden units, batches of 16.
    public init(task: TrainingTask, cell: CellKind, hiddenSize: Int = 12, layers: Int = 1,
                steps: Int? = nil, batchSize: Int = 16, learningRate: Double? = nil,
                clipNorm: Float = 1, seed: UInt64 = 1, evaluationInterval: Int = 25,
                validationSize: Int = 128, forgetBias: Float? = 1, trainingSetSize: Int? = nil) {
        self.cell = cell
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.steps = steps ?? task.defaultSteps
        self.batchSize = batchSize
        self.learningRate = learningRate ?? task.learningRate
        self.clipNorm = clipNorm
        self.seed = seed
        self.evaluationInterval = evaluationInterval
        self.validationSize = validationSize
        self.forgetBias = forgetBias
        self.trainingSetSize = trainingSetSize
    }

    /// Rejects settings that cannot train, before any work is done.
    public func validate() throws {
        guard hiddenSize >= 1 else { throw GateError("--hidden must be at least 1, got \(hiddenSize)") }
        guard hiddenSize <= 4096 else { throw GateError("--hidden \(hiddenSize) is more than 4096") }
        guard layers >= 1 else { throw GateError("--layers must be at least 1, got \(layers)") }
        guard layers <= 16 else { throw GateError("--layers \(layers) is more than 16") }
        guard steps >= 1 else { throw GateError("--steps must be at least 1, got \(steps)") }
        // One loss is kept per update.
        guard steps <= Self.maxSteps else { throw GateError("--steps \(steps) is more than \(Self.maxSteps)") }
        guard batchSize >= 1 else { throw GateError("--batch must be at least 1, got \(batchSize)") }
        guard batchSize <= Self.maxBatchSize else {
            throw GateError("--batch \(batchSize) is more than \(Self.maxBatchSize)")
        }
        guard learningRate.isFinite && learningRate > 0 else {
            throw GateError("--lr must be a positive number, got \(learningRate)")
        }
        guard clipNorm.isFinite && clipNorm >= 0 else {
            throw GateError("--clip must be 0 (off) or a positive number, got \(clipNorm)")
        }
        if let forgetBias, !forgetBias.isFinite {
            throw GateError("--forget-bias must be a finite number, got \(forgetBias)")
        }
        guard evaluationInterval >= 1, validationSize >= 1 else {
            throw GateError("evaluation interval and validation size must be at least 1")
        }
        if let trainingSetSize {
            guard trainingSetSize >= 1 else { throw GateError("--train-size must be at least 1, got \(trainingSetSize)") }
            guard trainingSetSize <= Self.maxTrainingSetSize else {
                throw GateError("--train-size \(trainingSetSize) is more than \(Self.maxTrainingSetSize)")
            }
        }
    }

    public static let maxTrainingSetSize = 1_000_000

    /// Passes over the training set that `updates` updates make, or nil without a fixed set.
    public func epochs(forUpdates updates: Int) -> Double? {
        trainingSetSize.map { Double(updates) * Double(batchSize) / Double($0) }
    }

    /// The kind of every layer, bottom first.
    public var stack: [CellKind] { cells ?? Array(repeating: cell, count: layers) }

    public static let maxSteps = 10_000_000
    public static let maxBatchSize = 4096

    /// `validate()`, then what the settings allocate on `task`, refused before anything is:
    /// the model (within `RecurrentModel.maxParameterCount`), the trace of one sequence, and
    /// a batch or the held-out set of sequences (each within `InputSequence.maxTraceValues`).
    public func validate(for task: TrainingTask) throws {
        try validate()
        try RecurrentModel.checkSizes(cells: stack, inputSize: task.inputSize, hiddenSize: hiddenSize,
                                      bidirectional: bidirectional, projectionSize: projectionSize,
                                      outputSize: task.outputSize)
        let length = task.sequenceLength
        do {
            // An upper bound for a pipeline: every layer direction counted as the widest kind.
            let widest = stack.max { $0.blockCount < $1.blockCount } ?? cell
            try InputSequence.checkTraceSize(cell: widest, inputSize: task.inputSize, hiddenSize: hiddenSize,
                                             layers: stack.count * (bidirectional ? 2 : 1),
                                             outputSize: task.outputSize, steps: length)
        } catch {
            throw GateError("--hidden \(hiddenSize) --layers \(layers) on sequences of \(length) steps: recording one needs more than \(InputSequence.maxTraceValues) values (256 MiB); use a smaller model or a shorter sequence")
        }
        // In Double, so that no size a caller passes can overflow the product.
        let sequences = max(batchSize, validationSize, trainingSetSize ?? 0)
        guard Double(sequences) * Double(length) * Double(task.inputSize) <= Double(InputSequence.maxTraceValues) else {
            throw GateError("\(sequences) sequences (--batch \(batchSize), \(validationSize) held out\(trainingSetSize.map { ", --train-size \($0)" } ?? "")) of \(length) steps × \(task.inputSize) inputs need more than \(InputSequence.maxTraceValues) values (256 MiB); use a smaller \(sequences == trainingSetSize ? "--train-size" : "--batch") or a shorter sequence")
        }
    }
}

/// Where a run stands, reported after every update.
public struct TrainingProgress: Sendable {
    public var step: Int
    public var steps: Int
    /// The batch's mean loss at this update.
    public var loss: Float
    /// The latest held-out metric and the best so far (nil before the first measurement).
    public var metric: Float?
    public var bestMetric: Float?
    public var elapsed: Double

    public var stepsPerSecond: Double { elapsed > 0 ? Double(step) / elapsed : 0 }
    public var secondsLeft: Double? {
        let rate = stepsPerSecond
        return rate > 0 ? Double(steps - step) / rate : nil
    }
}

/// A request to stop, set from a signal handler or a test and read between updates.
public final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false

    public init() {}
    public func request() { lock.withLock { requested = true } }
    public var isRequested: Bool { lock.withLock { requested } }
}

/// What a run produced.
public struct TrainingResult: Sendable {
    /// The model with the best held-out metric, its metadata filled in.
    public var best: RecurrentModel
    public var bestMetric: Float
    /// The step at which `best` was measured.
    public var bestStep: Int
    /// The batch's mean loss at every update taken.
    public var losses: [Float]
    /// (step, held-out metric) at every measurement; step 0 is the untrained model.
    public var evaluations: [(step: Int, metric: Float)]
    /// The first measured step at which the metric met the task's target, if any.
    public var stepsToTarget: Int?
    public var stepsTaken: Int
    /// Updates skipped because the gradient was not finite.
    public var skippedSteps: Int
    /// Whether the run ended early on request.
    public var interrupted: Bool
    public var seconds: Double
    /// With a fixed training set: the metric of `best` on it, to set beside the held-out one.
    public var trainingMetric: Float?
}

public enum Training {
    /// Trains a fresh model of `config.cell` on `task`: Adam on mini-batches, gradients
    /// clipped by total norm, the held-out metric measured every `evaluationInterval`
    /// updates and at the end. Stops early, after the current update, when `stop` is set.
    /// The same settings and seed give bit-identical weights on the same machine.
    public static func run(task: TrainingTask, config: TrainingConfig, stop: StopFlag? = nil,
                           progress: (TrainingProgress) -> Void = { _ in }) throws -> TrainingResult {
        try config.validate(for: task)
        let clock = ContinuousClock()
        let start = clock.now
        func elapsed() -> Double {
            let d = (clock.now - start).components
            return Double(d.seconds) + Double(d.attoseconds) * 1e-18
        }
        var model = RecurrentModel.random(cells: config.stack, inputSize: task.inputSize,
                                          hiddenSize: config.hiddenSize, bidirectional: config.bidirectional,
                                          projectionSize: config.projectionSize,
                                          outputSize: task.outputSize, seed: config.seed)
        model.vocab = task.vocab
        if let forgetBias = config.forgetBias {
            let H = config.hiddenSize
            for k in model.layers.indices where model.layers[k].cell == .lstm {
                for u in H..<(2 * H) {
                    model.layers[k].forward.biasIH?[u] = forgetBias
                    model.layers[k].forward.biasHH?[u] = 0
                    model.layers[k].reverse?.biasIH?[u] = forgetBias
                    model.layers[k].reverse?.biasHH?[u] = 0
                }
            }
        }
        // Separate streams for the training data and the held-out set, both from the seed.
        var dataRNG = SeededGenerator(seed: config.seed ^ 0x5EED_DA7A)
        var validationRNG = SeededGenerator(seed: config.seed ^ 0x0DD_BA11)
        let trainingSet = config.trainingSetSize.map { task.batch(size: $0, using: &dataRNG) }
        let validation = try trainingSet.map { try task.heldOutBatch(size: config.validationSize, excluding: $0, using: &validationRNG) }
            ?? task.batch(size: config.validationSize, using: &validationRNG, validation: true)
        // With a fixed set, batches walk through a shuffled order of it, reshuffled each epoch.
        var order: [Int] = []
        func nextBatch() -> TaskBatch {
            guard let trainingSet else { return task.batch(size: config.batchSize, using: &dataRNG) }
            var picked: [Int] = []
            while picked.count < config.batchSize {
                if order.isEmpty {
                    order = Array(trainingSet.inputs.indices)
                    for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, dataRNG.index(below: i + 1)) }
                }
                picked.append(order.removeLast())
            }
            return TaskBatch(inputs: picked.map { trainingSet.inputs[$0] }, losses: picked.map { trainingSet.losses[$0] })
        }

        var parameters = model.flatParameters()
        var optimizer = Adam(parameterCount: parameters.count, learningRate: config.learningRate)
        var gradient = [Float](repeating: 0, count: parameters.count)

        var losses: [Float] = []
        var evaluations: [(step: Int, metric: Float)] = []
        var best = model
        var bestMetric = try task.measure(model, on: validation)
        var bestStep = 0
        evaluations.append((0, bestMetric))
        var stepsToTarget: Int? = task.metric.reaches(bestMetric, target: task.target) ? 0 : nil
        var skipped = 0
        var step = 0

        func evaluate() throws {
            let metric = try task.measure(model, on: validation)
            evaluations.append((step, metric))
            // Ties go to the later model: at equal accuracy it is usually the more confident.
            if !metric.isNaN && !task.metric.isBetter(bestMetric, than: metric) {
                best = model
                bestMetric = metric
                bestStep = step
            }
            if stepsToTarget == nil && task.metric.reaches(metric, target: task.target) { stepsToTarget = step }
        }

        while step < config.steps && !(stop?.isRequested ?? false) {
            let batch = nextBatch()
            let loss = try batchGradient(model, batch, into: &gradient)
            // The norm, summed in Double, is finite exactly when every entry is.
            let finite = config.clipNorm > 0 ? clipGradientNorm(&gradient, maxNorm: config.clipNorm).isFinite
                                             : gradient.allSatisfy(\.isFinite)
            step += 1
            losses.append(loss)
            if finite && loss.isFinite {
                optimizer.step(&parameters, gradients: gradient)
                model.setFlatParameters(parameters)
            } else {
                skipped += 1
            }
            if step % config.evaluationInterval == 0 || step == config.steps { try evaluate() }
            progress(TrainingProgress(step: step, steps: config.steps, loss: loss,
                                      metric: evaluations.last?.metric, bestMetric: bestMetric,
                                      elapsed: elapsed()))
        }
        // An interrupted run still measures the model it stopped with.
        if evaluations.last?.step != step { try evaluate() }

        best.metadata = [
            "task": task.kind.rawValue,
            "seed": String(config.seed),
            "steps": String(step),
            "best_step": String(bestStep),
            "hidden": String(config.hiddenSize),
            "batch": String(config.batchSize),
            "lr": String(config.learningRate),
            "metric": task.metricName,
            "final_metric": String(bestMetric),
            "outputs": task.outputLabels.joined(separator: ","),
        ]
        if let size = config.trainingSetSize { best.metadata["train_size"] = String(size) }
        if task.kind.usesDelay {
            best.metadata["delay"] = String(task.delay)
        } else {
            best.metadata["length"] = String(task.sequenceLength)
        }
        if let source = task.textSource { best.metadata["text"] = source }
        let seconds = elapsed()
        let trainingMetric = try trainingSet.map { try task.measure(best, on: $0) }
        return TrainingResult(best: best, bestMetric: bestMetric, bestStep: bestStep, losses: losses,
                              evaluations: evaluations, stepsToTarget: stepsToTarget, stepsTaken: step,
                              skippedSteps: skipped, interrupted: step < config.steps, seconds: seconds,
                              trainingMetric: trainingMetric)
    }

    /// The mean loss of `batch` and, in `gradient`, its mean gradient in the order of
    /// `flatParameters()`: the sequences' losses and gradients added in order, then scaled.
    /// Sequences of one length (and no embedding) go through the model together, step by
    /// step, with bit for bit the result of one sequence at a time (`batchBackward`).
    static func batchGradient(_ model: RecurrentModel, _ batch: TaskBatch,
                              into gradient: inout [Float]) throws -> Float {
        for j in gradient.indices { gradient[j] = 0 }
        var total: Float = 0
        let steps = batch.inputs.first?.count ?? 0
        if batch.count > 1 && model.embedding == nil && batch.inputs.allSatisfy({ $0.count == steps }) {
            let result = try model.batchBackward(try model.traceBatch(batch.inputs), losses: batch.losses)
            total = result.loss
            result.gradients.accumulate(into: &gradient)
        } else {
            for (x, loss) in zip(batch.inputs, batch.losses) {
                let trace = try model.trace(x)
                let result = try model.backward(trace, loss: loss)
                total += result.loss
                result.gradients.accumulate(into: &gradient)
            }
        }
        let scale = 1 / Float(batch.count)
        for j in gradient.indices { gradient[j] *= scale }
        return total * scale
    }
}

extension RecurrentModel {
    /// Every trainable array, in one fixed order: the embedding, then per layer and
    /// direction weight_ih, weight_hh, bias_ih, bias_hh, weight_hr, then the head's weight
    /// and bias (for a plain stack, the order of PyTorch's `parameters()`). Absent ones are
    /// skipped.
    func parameterArrays() -> [[Float]] {
        var arrays: [[Float]?] = [embedding?.weight]
        for layer in layers {
            for direction in layer.directions {
                let weights = layer.weights(direction)
                arrays += [weights.weightIH, weights.weightHH, weights.biasIH, weights.biasHH, weights.projection]
            }
        }
        arrays += [head?.weight, head?.bias]
        return arrays.compactMap { $0 }
    }

    /// Every trainable value in one vector, in the order of `parameterArrays()`.
    func flatParameters() -> [Float] {
        var flat: [Float] = []
        flat.reserveCapacity(parameterCount)
        for array in parameterArrays() { flat += array }
        return flat
    }

    /// The inverse of `flatParameters()`.
    mutating func setFlatParameters(_ flat: [Float]) {
        precondition(flat.count == parameterCount, "parameter vector of the wrong length")
        var offset = 0
        func take(_ target: inout [Float]) {
            target.withUnsafeMutableBufferPointer { t in
                flat.withUnsafeBufferPointer { f in
                    t.baseAddress?.update(from: f.baseAddress! + offset, count: t.count)
                }
            }
            offset += target.count
        }
        func take(_ target: inout [Float]?) {
            guard var values = target else { return }
            target = nil // so that `values` is the array's only owner and is updated in place
            take(&values)
            target = values
        }
        func take(_ weights: inout LayerWeights) {
            take(&weights.weightIH)
            take(&weights.weightHH)
            take(&weights.biasIH)
            take(&weights.biasHH)
            take(&weights.projection)
        }
        if var table = embedding {
            embedding = nil
            take(&table.weight)
            embedding = table
        }
        for k in layers.indices {
            take(&layers[k].forward)
            if var reverse = layers[k].reverse {
                layers[k].reverse = nil
                take(&reverse)
                layers[k].reverse = reverse
            }
        }
        if var readout = head {
            head = nil
            take(&readout.weight)
            take(&readout.bias)
            head = readout
        }
    }
}

extension ModelGradients {
    /// Adds these gradients to `flat`, in the order of `RecurrentModel.flatParameters()`.
    func accumulate(into flat: inout [Float]) {
        var offset = 0
        let arrays = RecurrentModel(embedding: embedding, layers: layers, head: head).parameterArrays()
        flat.withUnsafeMutableBufferPointer { f in
            for values in arrays {
                values.withUnsafeBufferPointer { v in
                    let target = f.baseAddress! + offset
                    for j in 0..<v.count { target[j] += v[j] }
                }
                offset += values.count
            }
        }
    }
}

/// Training updates per second on one thread, for `gatescope bench --train` and the
/// comparison with Tools/reference/bench_torch_train.py: one layer and a linear head,
/// one-hot inputs, cross-entropy at every step, backpropagation through time, clipping to
/// norm 1 and Adam, on one fixed batch (making data is not timed, as in the script).
public enum TrainingBenchmark {
    public struct Measurement: Sendable {
        public var cell: CellKind
        public var inputSize: Int
        public var hiddenSize: Int
        public var batchSize: Int
        public var length: Int
        public var steps: Int
        public var seconds: Double
        public var stepsPerSecond: Double { seconds > 0 ? Double(steps) / seconds : 0 }
    }

    /// Refuses, before anything is allocated, sizes beyond the limits of `train`.
    public static func checkSizes(cell: CellKind, inputSize: Int = 16, hiddenSize: Int, batchSize: Int = 16,
                                  length: Int = 32) throws {
        guard inputSize >= 1, hiddenSize >= 1, batchSize >= 1, length >= 1 else {
            throw GateError("benchmark sizes must be at least 1")
        }
        guard batchSize <= TrainingConfig.maxBatchSize else {
            throw GateError("benchmark batch \(batchSize) is more than \(TrainingConfig.maxBatchSize)")
        }
        try RecurrentModel.checkSizes(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, layers: 1,
                                      outputSize: inputSize)
        try InputSequence.checkTraceSize(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, layers: 1,
                                         outputSize: inputSize, steps: length)
    }

    /// Runs updates for about `seconds` after five warm-up updates.
    public static func run(cell: CellKind, inputSize: Int = 16, hiddenSize: Int, batchSize: Int = 16,
                           length: Int = 32, seconds: Double = 3) throws -> Measurement {
        try checkSizes(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, batchSize: batchSize, length: length)
        var model = RecurrentModel.random(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize,
                                          outputSize: inputSize, seed: 0)
        var rng = SeededGenerator(seed: 1)
        var inputs: [[[Float]]] = []
        var losses: [Loss] = []
        for _ in 0..<batchSize {
            inputs.append((0..<length).map { _ in
                var x = [Float](repeating: 0, count: inputSize)
                x[rng.index(below: inputSize)] = 1
                return x
            })
            losses.append(.crossEntropy(targets: (0..<length).map { _ in rng.index(below: inputSize) }))
        }
        let batch = TaskBatch(inputs: inputs, losses: losses)
        var parameters = model.flatParameters()
        var optimizer = Adam(parameterCount: parameters.count)
        var gradient = [Float](repeating: 0, count: parameters.count)
        func update() throws {
            _ = try Training.batchGradient(model, batch, into: &gradient)
            clipGradientNorm(&gradient, maxNorm: 1)
            optimizer.step(&parameters, gradients: gradient)
            model.setFlatParameters(parameters)
        }
        for _ in 0..<5 { try update() }
        let clock = ContinuousClock()
        let start = clock.now
        var steps = 0
        var elapsed: Double = 0
        while elapsed < seconds {
            try update()
            steps += 1
            let d = (clock.now - start).components
            elapsed = Double(d.seconds) + Double(d.attoseconds) * 1e-18
        }
        return Measurement(cell: cell, inputSize: inputSize, hiddenSize: hiddenSize, batchSize: batchSize,
                           length: length, steps: steps, seconds: elapsed)
    }
}
