import Foundation

// Backpropagation through time: the exact derivatives of the forward pass in Forward.swift,
// read back from the values a Trace recorded.

/// What the head's outputs are scored against.
public enum Loss: Sendable {
    /// Softmax cross-entropy on the head's output; targets per step, nil = no loss at that step.
    case crossEntropy(targets: [Int?])
    /// Mean squared error on the head's output; targets per step, nil = no loss at that step.
    /// A step's error is the mean over the head's outputs, as `nn.MSELoss` on the stacked rows.
    case meanSquared(targets: [[Float]?])
}

/// dL/dθ for every parameter of a model, and for what it was run on.
public struct ModelGradients: Sendable {
    /// Same shapes as the model's layers (both directions, projections); values are
    /// dL/dparam (bias arrays nil when the model has none).
    public var layers: [RecurrentLayer]
    /// dL/d(embedding table): row r sums dL/dx_t over the steps whose token is r.
    public var embedding: Embedding?
    public var head: LinearHead?
    /// dL/dx_t, T × inputSize.
    public var inputs: [[Float]]
    /// dL/dh0 in the trace's layout, [layer][direction][unit].
    public var initialHidden: [Float]
    /// dL/dc0, [LSTM layer][direction][unit]; empty without an LSTM layer.
    public var initialCell: [Float]

    public init(layers: [RecurrentLayer], embedding: Embedding? = nil, head: LinearHead?, inputs: [[Float]],
                initialHidden: [Float], initialCell: [Float]) {
        self.layers = layers
        self.embedding = embedding
        self.head = head
        self.inputs = inputs
        self.initialHidden = initialHidden
        self.initialCell = initialCell
    }
}

extension RecurrentModel {
    /// Loss (mean over the steps that have a target) and its gradients, from a trace of this
    /// model. `progress` (one part, a step per t of each layer direction) hears of every step and may stop the work:
    /// it then throws `CancellationError`.
    public func backward(_ trace: Trace, loss: Loss,
                         progress: WorkProgress? = nil) throws -> (loss: Float, gradients: ModelGradients, flow: GradientFlow) {
        guard let head else { throw GateError("the model has no head: training needs one") }
        try checkTraceMatches(trace)
        let (value, outputGrad) = try loss.evaluate(trace.outputs, steps: trace.steps, width: head.outputSize)
        let pass = BackwardPass(model: self, trace: trace, accumulatesWeights: true)
        try progress?.beginPart(steps: pass.sweepLength)
        try outputGrad.withUnsafeBufferPointer { dy in
            try pass.run(trace, outputGrad: dy.baseAddress, progress: progress)
        }
        return (value, pass.gradients(of: self, trace: trace), pass.flow)
    }

    /// The losses of a batch of equally long traces of this model (each loss's own mean
    /// over its steps) added in order, and the sum of their gradients, each parameter's
    /// added in the order of the traces: bit for bit what `backward` of each trace gives,
    /// summed, with the batch's recurrent products taken together at each step. No dL/dx,
    /// dL/dh0 or dL/dc0 (the first trace's); for training models without an embedding.
    func batchBackward(_ traces: [Trace], losses: [Loss]) throws -> (loss: Float, gradients: ModelGradients) {
        guard let head else { throw GateError("the model has no head: training needs one") }
        guard embedding == nil else { throw GateError("a batch is differentiated together only without an embedding") }
        guard let steps = traces.first?.steps, traces.count == losses.count, traces.allSatisfy({ $0.steps == steps }) else {
            throw GateError("a batch differentiated together needs one loss per trace and traces of one length")
        }
        var total: Float = 0
        var outputGrads: [Float] = []
        outputGrads.reserveCapacity(traces.count * steps * head.outputSize)
        for (trace, loss) in zip(traces, losses) {
            try checkTraceMatches(trace)
            let (value, outputGrad) = try loss.evaluate(trace.outputs, steps: steps, width: head.outputSize)
            total += value
            outputGrads += outputGrad
        }
        let pass = BackwardPass(model: self, steps: steps, batch: traces.count, accumulatesWeights: true,
                                computesInputGradients: false)
        try outputGrads.withUnsafeBufferPointer { dy in try pass.run(traces, outputGrad: dy.baseAddress) }
        return (total, pass.gradients(of: self, trace: traces[0]))
    }

    /// Refuses a trace of another model, and empty sizes (nothing to differentiate).
    func checkTraceMatches(_ trace: Trace) throws {
        guard inputSize > 0, layers.allSatisfy({ $0.hiddenSize > 0 }), head.map({ $0.outputSize > 0 }) ?? true else {
            throw GateError("the model has an empty dimension (input \(inputSize), hidden \(hiddenSize), "
                + "head \(head?.outputSize ?? 0)): there is nothing to differentiate")
        }
        guard trace.stack == layers.map(Trace.LayerShape.init), trace.outputSize == (head?.outputSize ?? 0) else {
            throw GateError("the trace was not recorded from this model (\(trace.cell.displayName), "
                + "\(trace.layerCount) × \(trace.hiddenSize) against \(cell.displayName), \(layerCount) × \(hiddenSize))")
        }
    }

    /// The columns of the gradient flow: one per layer and direction, in PyTorch's h_n order
    /// (layer 0 forward, layer 0 reverse, layer 1, …).
    public var flowColumns: [(layer: Int, direction: Direction)] {
        layers.enumerated().flatMap { k, layer in layer.directions.map { (k, $0) } }
    }

    /// The flow column of a layer's direction.
    public func flowColumn(layer: Int, direction: Direction = .forward) -> Int {
        flowColumns.firstIndex { $0.layer == layer && $0.direction == direction } ?? 0
    }
}

extension Loss {
    /// The loss over `steps` rows of `width` outputs (mean over the scored steps) and dL/dy
    /// for every output.
    func evaluate(_ outputs: [Float], steps: Int, width: Int) throws -> (Float, [Float]) {
        var grad = [Float](repeating: 0, count: steps * width)
        var total: Float = 0
        switch self {
        case .crossEntropy(let targets):
            let scored = Float(try Self.scoredSteps(targets.map { $0 != nil }, steps: steps))
            for (t, target) in targets.enumerated() {
                guard let target else { continue }
                guard (0..<width).contains(target) else {
                    throw GateError("cross-entropy target \(target) at step \(t + 1) is not one of the head's \(width) outputs")
                }
                let y = t * width
                // log Σ e^y, shifted by the largest y so that no exponential overflows.
                let top = outputs[y..<y + width].max() ?? 0
                var sum: Float = 0
                for j in 0..<width { sum += expf(outputs[y + j] - top) }
                let logSum = top + logf(sum)
                // L_t = log Σ e^y − y_target; dL_t/dy = softmax(y) − onehot(target), over the scored steps.
                total += logSum - outputs[y + target]
                for j in 0..<width { grad[y + j] = expf(outputs[y + j] - logSum) / scored }
                grad[y + target] -= 1 / scored
            }
            return (total / scored, grad)
        case .meanSquared(let targets):
            let count = Float(try Self.scoredSteps(targets.map { $0 != nil }, steps: steps) * width)
            for (t, target) in targets.enumerated() {
                guard let target else { continue }
                guard target.count == width else {
                    throw GateError("mean-squared target at step \(t + 1) has \(target.count) values, the head has \(width) outputs")
                }
                for j in 0..<width {
                    // L = Σ (y − y*)² / count; dL/dy = 2 (y − y*) / count.
                    let error = outputs[t * width + j] - target[j]
                    total += error * error
                    grad[t * width + j] = 2 * error / count
                }
            }
            return (total / count, grad)
        }
    }

    /// The number of steps that carry a target, after checking there is one entry per step.
    private static func scoredSteps(_ hasTarget: [Bool], steps: Int) throws -> Int {
        guard hasTarget.count == steps else {
            throw GateError("the loss has \(hasTarget.count) targets for \(steps) steps")
        }
        let scored = hasTarget.filter { $0 }.count
        guard scored > 0 else { throw GateError("the loss has no targets: every step is masked") }
        return scored
    }
}

/// One backward sweep over a trace, or over a batch of equally long traces together, layer
/// by layer from the top: each layer receives, for every step, what the layer above (or the
/// head) sends to its output, then each of its directions runs back against its own order of
/// time (the forward pass from the last step, the reverse pass from the first), sending to h
/// of the step before it and to the layer below. At each step the batch's gradients meet W_hh
/// in one product (Wᵀ [da_1 … da_B]); the weight gradients (Σ_t da_t ⊗ input_t) and what goes
/// to the layer below (W_ihᵀ da_t) do not feed the recurrence, so the steps' da are kept and
/// those products are taken over a chunk of steps at once. Every value is bit for bit what
/// step-by-step rank-1 updates of one trace at a time give. Gradient accumulators, carries
/// and per-step scratch are allocated once.
final class BackwardPass {
    let model: RecurrentModel
    let steps: Int
    /// How many traces are differentiated together.
    let batch: Int
    let inputSize: Int
    let accumulatesWeights: Bool
    /// Whether dL/dx_t is computed: training a model without an embedding has no use for it.
    let computesInputGradients: Bool

    /// dL/dθ of one direction of one layer (accumulated over time) and what step t sends back
    /// to step t ∓ 1: dL/dh (P values) and dL/dc (H, LSTM). After the sweep the carries are
    /// dL/dh0 and dL/dc0. Each trace of the batch has its own, one after the other (trace b's
    /// at b · size), so that its gradient sums its own steps, as alone, before the batch's
    /// gradients are added in order.
    struct Direction {
        let gradIH: UnsafeMutablePointer<Float>
        let gradHH: UnsafeMutablePointer<Float>
        let gradBiasIH: UnsafeMutablePointer<Float>
        let gradBiasHH: UnsafeMutablePointer<Float>
        let gradHR: UnsafeMutablePointer<Float>
        let carryHidden: UnsafeMutablePointer<Float>
        let carryCell: UnsafeMutablePointer<Float>
    }

    /// [layer][direction].
    let directions: [[Direction]]
    /// Per layer, dL/d(its output) at every step of every trace, [trace][t][directions · P]:
    /// what the head or the layer above sent.
    let outputGrads: [UnsafeMutablePointer<Float>]
    /// The head's gradients, per trace.
    let gradHeadWeight: UnsafeMutablePointer<Float>
    let gradHeadBias: UnsafeMutablePointer<Float>
    let outputSize: Int
    /// dL/dx_t, [trace][t][input].
    let gradInputs: UnsafeMutablePointer<Float>
    /// Scratch for one (t, layer, direction, trace): dL/dh_t (P), dL/d(o ⊙ tanh c) before a
    /// projection (H), dL/dc_t, tanh(c_t), r ⊙ h and dL/d(r ⊙ h) for the reset-before GRU.
    let dh: UnsafeMutablePointer<Float>
    let dFiltered: UnsafeMutablePointer<Float>
    let dc: UnsafeMutablePointer<Float>
    let tanhCell: UnsafeMutablePointer<Float>
    let resetHidden: UnsafeMutablePointer<Float>
    let dResetHidden: UnsafeMutablePointer<Float>
    /// dL/d(pre-activation) of the input part and of the recurrent part of every block, for
    /// each trace and each step of the current chunk: [trace][step in chunk][row], `gateRows`
    /// floats per row.
    let dGatesIH: UnsafeMutablePointer<Float>
    let dGatesHH: UnsafeMutablePointer<Float>
    let gateRows: Int
    /// Steps whose products are taken together.
    let chunk: Int
    /// One chunk's rows of a product's other factor (previous states, r ⊙ h, dL/d(input)).
    let chunkRows: UnsafeMutablePointer<Float>
    /// A single 1: the input a bias multiplies.
    let one: UnsafeMutablePointer<Float>

    /// Flow norms per [t][column] (see `RecurrentModel.flowColumns`), per trace.
    private(set) var flows: [GradientFlow]
    /// The first trace's flow.
    var flow: GradientFlow { flows[0] }
    private let columns: [[Int]]
    private var allocations: [UnsafeMutableBufferPointer<Float>] = []

    convenience init(model: RecurrentModel, trace: Trace, accumulatesWeights: Bool) {
        self.init(model: model, steps: trace.steps, batch: 1, accumulatesWeights: accumulatesWeights,
                  computesInputGradients: true)
    }

    init(model: RecurrentModel, steps: Int, batch: Int, accumulatesWeights: Bool, computesInputGradients: Bool) {
        self.model = model
        inputSize = model.inputSize
        self.steps = steps
        self.batch = batch
        outputSize = model.head?.outputSize ?? 0
        self.accumulatesWeights = accumulatesWeights
        self.computesInputGradients = computesInputGradients
        var allocations: [UnsafeMutableBufferPointer<Float>] = []
        func zeros(_ count: Int) -> UnsafeMutablePointer<Float> {
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
            buffer.initialize(repeating: 0)
            allocations.append(buffer)
            return buffer.baseAddress!
        }
        let weighted = accumulatesWeights ? batch : 0
        directions = model.layers.map { layer in
            layer.directions.map { direction in
                let weights = layer.weights(direction)
                let rows = layer.cell.blockCount * layer.hiddenSize
                return Direction(gradIH: zeros(weighted * weights.weightIH.count),
                                 gradHH: zeros(weighted * weights.weightHH.count),
                                 gradBiasIH: zeros(weighted * rows), gradBiasHH: zeros(weighted * rows),
                                 gradHR: zeros(weighted * (weights.projection?.count ?? 0)),
                                 carryHidden: zeros(batch * layer.stateSize), carryCell: zeros(batch * layer.hiddenSize))
            }
        }
        outputGrads = model.layers.map { zeros(batch * steps * $0.outputSize) }
        gradHeadWeight = zeros(weighted * (model.head?.weight.count ?? 0))
        gradHeadBias = zeros(weighted * outputSize)
        gradInputs = zeros(computesInputGradients ? batch * steps * inputSize : 0)
        let widest = model.layers.map(\.hiddenSize).max() ?? 0
        let widestRows = model.layers.map { $0.cell.blockCount * $0.hiddenSize }.max() ?? 0
        let widestInput = max(inputSize, model.layers.map(\.inputSize).max() ?? 0, model.layers.map(\.stateSize).max() ?? 0)
        dh = zeros(widest)
        dFiltered = zeros(widest)
        dc = zeros(widest)
        tanhCell = zeros(widest)
        resetHidden = zeros(widest)
        dResetHidden = zeros(widest)
        // 64 steps: long enough that each product loads its matrices once for many steps,
        // short enough that a million-step trace needs no more than this.
        chunk = max(1, min(steps, 64))
        gateRows = widestRows
        dGatesIH = zeros(batch * chunk * widestRows)
        dGatesHH = zeros(batch * chunk * widestRows)
        chunkRows = zeros(chunk * widestInput)
        one = zeros(1)
        one.pointee = 1
        self.allocations = allocations
        var next = 0
        columns = model.layers.map { layer in layer.directions.map { _ in defer { next += 1 }; return next } }
        let perStep = [Float](repeating: 0, count: next)
        let hasCell = model.layers.contains { $0.cell.hasCellState }
        flows = Array(repeating: GradientFlow(hidden: Array(repeating: perStep, count: steps),
                                              cell: hasCell ? Array(repeating: perStep, count: steps) : []),
                      count: batch)
    }

    deinit {
        for buffer in allocations { buffer.deallocate() }
    }

    /// Sets the gradient arriving at the last state of one direction of `layer` (step T − 1
    /// forward, step 0 in reverse) from "after the sequence", as if a loss read it (h and/or
    /// c) with these weights; for the first trace.
    func seedFuture(layer: Int, direction: GateCore.Direction = .forward, hidden: [Float]?, cell: [Float]?) {
        let carry = directions[layer][direction.rawValue]
        for u in 0..<model.layers[layer].stateSize { carry.carryHidden[u] = hidden?[u] ?? 0 }
        for u in 0..<model.layers[layer].hiddenSize { carry.carryCell[u] = cell?[u] ?? 0 }
    }

    /// How many steps one `run` takes: every step of every layer direction. `progress`
    /// counts them.
    var sweepLength: Int { steps * model.layers.reduce(0) { $0 + $1.directionCount } }

    /// The sweep over one trace; see `run(_:outputGrads:progress:)`.
    func run(_ trace: Trace, outputGrad: UnsafePointer<Float>?, progress: WorkProgress? = nil) throws {
        try run([trace], outputGrad: outputGrad, progress: progress)
    }

    /// The sweep: the top layer first, each direction against its own order of time, so that
    /// each layer has received what the layer above sends to its outputs before it is
    /// processed. `outputGrad` is dL/dy ([trace][t][output]) when a head and a loss are
    /// involved; `progress` hears of each finished step and may stop the sweep there (it then
    /// throws).
    func run(_ traces: [Trace], outputGrad: UnsafePointer<Float>?, progress: WorkProgress? = nil) throws {
        precondition(traces.count == batch && traces.allSatisfy { $0.steps == steps }, "a batch of the pass's shape")
        var stopped: (any Error)?
        Records.open(traces) { records in
            for k in model.layers.indices.reversed() {
                if k == model.layers.count - 1, let outputGrad { headBackward(k, records: records, outputGrad: outputGrad) }
                let layer = model.layers[k]
                for direction in layer.directions where stopped == nil {
                    let d = direction.rawValue
                    // The weights and buffers are opened once for all the direction's steps.
                    layer.withOpened(direction) { weights in
                        let sweeps = records.enumerated().map { b, trace in
                            Sweep(weights: weights, grads: directions[k][d], trace: b, column: columns[k][d],
                                  offsets: trace.offsets[k],
                                  input: k == 0 ? trace.inputs! : trace.hidden! + trace.offsets[k - 1].hidden,
                                  outputGrad: outputGrads[k] + b * steps * layer.outputSize,
                                  inputGrad: k == 0 ? (computesInputGradients ? gradInputs + b * steps * inputSize : nil)
                                                    : outputGrads[k - 1] + b * steps * weights.inputWidth)
                        }
                        // Back against the direction's own order of time: the i-th step of the
                        // sweep is time(i).
                        func time(_ i: Int) -> Int { d == 0 ? steps - 1 - i : i }
                        for first in stride(from: 0, to: steps, by: chunk) {
                            let count = min(chunk, steps - first)
                            for i in first..<(first + count) {
                                let t = time(i)
                                for (b, sweep) in sweeps.enumerated() {
                                    stepBack(t: t, slot: b * chunk + i - first, sweep: sweep, records: records[b])
                                }
                                recurrentBackward(sweeps, slot: i - first)
                                do { try progress?.step() } catch {
                                    stopped = error
                                    return
                                }
                            }
                            for (b, sweep) in sweeps.enumerated() {
                                chunkBackward(sweep, records: records[b], first: time(first), count: count, slot: b * chunk)
                            }
                        }
                    }
                }
            }
        }
        if let stopped { throw stopped }
    }

    /// y_t = W out_t + b on the top layer's output: dL/d(out_t) = Wᵀ dy_t, dL/dW += dy_t ⊗ out_t,
    /// dL/db += dy_t, every step of a trace at once, t in order.
    private func headBackward(_ k: Int, records: [Records], outputGrad: UnsafePointer<Float>) {
        guard let head = model.head else { return }
        let width = model.layers[k].outputSize
        head.weight.withUnsafeBufferPointer { w in
            for (b, trace) in records.enumerated() {
                let dy = outputGrad + b * steps * outputSize
                let outputs = trace.hidden! + trace.offsets[k].hidden
                linearBackward(w.baseAddress!, rows: outputSize, cols: width, count: steps, upstream: dy, stride: outputSize,
                               inputGrad: outputGrads[k] + b * steps * width, stride: width)
                guard accumulatesWeights else { continue }
                outerProductSum(rows: outputSize, cols: width, count: steps, dy, stride: outputSize, outputs, stride: width,
                                into: gradHeadWeight + b * outputSize * width)
                outerProductSum(rows: outputSize, cols: 1, count: steps, dy, stride: outputSize, one, stride: 0,
                                into: gradHeadBias + b * outputSize)
            }
        }
    }

    /// Where trace `sweep.trace`'s dL/d(pre-activation) rows of the chunk slot `slot` are.
    @inline(__always)
    private func gateGradients(_ sweep: Sweep, slot: Int) -> (input: UnsafeMutablePointer<Float>, recurrent: UnsafeMutablePointer<Float>) {
        let cell = sweep.weights.cell
        let input = dGatesIH + slot * gateRows
        // The recurrent part's upstream gradient equals the input part's except in the GRU's
        // candidate block, where r or the reset-before product sits between them.
        return (input, cell == .gru || cell == .gruResetBefore ? dGatesHH + slot * gateRows : input)
    }

    /// Step t of one direction of layer k for one trace, backwards: gather dL/dh_t, go back
    /// through the cell's equations (and the projection) to the pre-activations, kept in the
    /// chunk's slot `slot` for `recurrentBackward` and `chunkBackward`.
    private func stepBack(t: Int, slot: Int, sweep: Sweep, records: Records) {
        let weights = sweep.weights
        let cell = weights.cell
        let H = weights.H, P = weights.P, D = weights.D, d = weights.d, G = cell.blockCount
        let b = sweep.trace
        // Offsets in layer k's segments of the trace ([t][direction][…]).
        let offsets = sweep.offsets
        let row = t * D + d
        let previous = d == 0 ? t - 1 : t + 1
        let hasPrevious = previous >= 0 && previous < steps
        let act = records.activations! + offsets.gates + row * G * H
        let hPrev = previousHidden(t: t, sweep: sweep, records: records)
        let grads = sweep.grads
        let carryH = grads.carryHidden + b * P, carryC = grads.carryCell + b * H
        let whh = weights.whh
        let (dGatesIH, dGatesHH) = gateGradients(sweep, slot: slot)

        // dL/dh_t = what the step after it sent back + what the head or the layer above sent.
        let fromAbove = sweep.outputGrad + t * weights.outputWidth + d * P
        for u in 0..<P { dh[u] = carryH[u] + fromAbove[u] }
        flows[b].hidden[t][sweep.column] = norm(dh, P)

        switch cell {
        case .lstm:
            let c = records.cell! + offsets.cell + row * H
            let cPrev = hasPrevious ? records.cell! + offsets.cell + (previous * D + d) * H
                : records.initialCell! + offsets.initialCell + d * H
            // With a projection h = W_hr m, m = o ⊙ tanh(c): dL/dm = W_hrᵀ dh, dL/dW_hr += dh ⊗ m.
            var dOutput = UnsafePointer(dh)
            if let whr = weights.whr {
                for u in 0..<H { dFiltered[u] = 0 }
                linearBackward(whr, rows: P, cols: H, input: records.filtered! + offsets.projection + row * H,
                               upstream: dh, inputGrad: dFiltered, weightGrad: weightTarget(grads.gradHR + b * P * H))
                dOutput = UnsafePointer(dFiltered)
            }
            // tanh(c) for every unit at once, bit for bit the scalar tanhStable.
            tanhStable(c, into: tanhCell, count: H)
            for u in 0..<H {
                let i = act[u], f = act[H + u], g = act[2 * H + u], o = act[3 * H + u]
                let tanhC = tanhCell[u]
                // o ⊙ tanh(c): dL/dc_t = (from c_{t+1}) + dm ⊙ o ⊙ (1 − tanh² c).
                let dcu = carryC[u] + dOutput[u] * o * (1 - tanhC * tanhC)
                dc[u] = dcu
                // dL/do = dm ⊙ tanh(c), through σ' = o (1 − o).
                dGatesIH[3 * H + u] = dOutput[u] * tanhC * o * (1 - o)
                // c = f ⊙ c₋₁ + i ⊙ g: dL/di = dc ⊙ g, dL/df = dc ⊙ c₋₁, dL/dg = dc ⊙ i,
                // each through its nonlinearity (σ' = a (1 − a), tanh' = 1 − g²).
                dGatesIH[u] = dcu * g * i * (1 - i)
                dGatesIH[H + u] = dcu * cPrev[u] * f * (1 - f)
                dGatesIH[2 * H + u] = dcu * i * (1 - g * g)
                // dL/dc_{t-1} = dc ⊙ f: the additive path through the memory.
                carryC[u] = dcu * f
            }
            // dL/dh₋₁ = W_hhᵀ da (recurrentBackward).
            for u in 0..<P { carryH[u] = 0 }
            flows[b].cell[t][sweep.column] = norm(dc, H)
        case .gru, .gruResetBefore:
            let rec = records.candidateRecurrent! + offsets.recurrent + row * H
            for u in 0..<H {
                let r = act[u], z = act[H + u], n = act[2 * H + u]
                // h = (1 − z) ⊙ n + z ⊙ h₋₁: dL/dn = dh ⊙ (1 − z), dL/dz = dh ⊙ (h₋₁ − n)
                // (through σ'), and the direct path dL/dh₋₁ = dh ⊙ z.
                let dn = dh[u] * (1 - z)
                let dz = dh[u] * (hPrev[u] - n) * z * (1 - z)
                dGatesIH[H + u] = dz
                dGatesHH[H + u] = dz
                carryH[u] = dh[u] * z
                // n = tanh(a_n): dL/da_n = dn ⊙ (1 − n²); a_n's input part gets all of it.
                let dan = dn * (1 - n * n)
                dGatesIH[2 * H + u] = dan
                if cell == .gru {
                    // a_n = W_in x + b_in + r ⊙ (W_hn h₋₁ + b_hn): the recurrent part gets
                    // dan ⊙ r, and dL/dr = dan ⊙ (W_hn h₋₁ + b_hn), through σ'.
                    dGatesHH[2 * H + u] = dan * r
                    let dr = dan * rec[u] * r * (1 - r)
                    dGatesIH[u] = dr
                    dGatesHH[u] = dr
                } else {
                    // a_n = W_in x + b_in + W_hn (r ⊙ h₋₁) + b_hn: the recurrent part gets dan;
                    // r waits for dL/d(r ⊙ h₋₁) = W_hnᵀ dan below.
                    dGatesHH[2 * H + u] = dan
                    dResetHidden[u] = 0
                }
            }
            if cell == .gruResetBefore {
                // dL/d(r ⊙ h₋₁) = W_hnᵀ dan (dL/dW_hn in chunkBackward).
                linearBackward(whh + 2 * H * H, rows: H, cols: H, input: hPrev, upstream: dGatesHH + 2 * H,
                               inputGrad: dResetHidden, weightGrad: nil)
                for u in 0..<H {
                    let r = act[u]
                    // r ⊙ h₋₁: dL/dr = d(r ⊙ h₋₁) ⊙ h₋₁ (through σ'), dL/dh₋₁ += d(r ⊙ h₋₁) ⊙ r.
                    let dr = dResetHidden[u] * hPrev[u] * r * (1 - r)
                    dGatesIH[u] = dr
                    dGatesHH[u] = dr
                    carryH[u] += dResetHidden[u] * r
                }
            }
        case .rnn:
            for u in 0..<H {
                // h = tanh(a): dL/da = dh ⊙ (1 − h²); h = relu(a): dL/da = dh where a > 0.
                let h = act[u]
                dGatesIH[u] = weights.relu ? (h > 0 ? dh[u] : 0) : dh[u] * (1 - h * h)
                carryH[u] = 0
            }
        }
    }

    /// h₋₁ of step t: what the direction's previous step left, or the initial state.
    @inline(__always)
    private func previousHidden(t: Int, sweep: Sweep, records: Records) -> UnsafePointer<Float> {
        let weights = sweep.weights, P = weights.P, d = weights.d
        let previous = d == 0 ? t - 1 : t + 1
        guard previous >= 0 && previous < steps else {
            return records.initialHidden! + sweep.offsets.initialHidden + d * P
        }
        return records.hidden! + sweep.offsets.hidden + (previous * weights.D + d) * P
    }

    /// a = W_ih x + b_ih + W_hh h₋₁ + b_hh: dL/dh₋₁ += W_hhᵀ da for every trace of the batch
    /// at once (r and z only for the reset-before GRU, whose n went through r ⊙ h₋₁).
    private func recurrentBackward(_ sweeps: [Sweep], slot: Int) {
        guard let first = sweeps.first else { return }
        let weights = first.weights, H = weights.H, P = weights.P
        let rows = (weights.cell == .gruResetBefore ? 2 : weights.cell.blockCount) * H
        linearBackward(weights.whh, rows: rows, cols: P, count: sweeps.count,
                       upstream: gateGradients(first, slot: slot).recurrent, stride: chunk * gateRows,
                       inputGrad: first.grads.carryHidden, stride: P)
    }

    /// The products of `count` steps of one trace that feed nothing in the recurrence, taken
    /// together once the steps are done: dL/dW_ih += Σ da ⊗ input, dL/dW_hh += Σ da ⊗ h₋₁,
    /// the biases' Σ da, in the order of the sweep; and dL/d(input) = W_ihᵀ da, added to
    /// what the layer below (or x) receives. `first` is the time of the chunk's first step,
    /// `slot` where its rows start.
    private func chunkBackward(_ sweep: Sweep, records: Records, first: Int, count: Int, slot: Int) {
        let weights = sweep.weights, cell = weights.cell
        let H = weights.H, P = weights.P, G = cell.blockCount, rows = G * H
        let columns = weights.inputWidth, b = sweep.trace
        // The sweep runs back in time going forward, forward in time going in reverse.
        let direction = weights.d == 0 ? -1 : 1
        let input = sweep.input + first * columns
        let (dIH, dHH) = gateGradients(sweep, slot: slot)
        if let target = sweep.inputGrad {
            // Each step's dL/d(input) is summed on its own, then added: both directions read
            // the same input, and their gradients add.
            for j in 0..<(count * columns) { chunkRows[j] = 0 }
            linearBackward(weights.wih, rows: rows, cols: columns, count: count, upstream: dIH, stride: gateRows,
                           inputGrad: chunkRows, stride: columns)
            for i in 0..<count {
                let row = target + (first + direction * i) * columns, values = chunkRows + i * columns
                for j in 0..<columns { row[j] += values[j] }
            }
        }
        guard accumulatesWeights else { return }
        let grads = sweep.grads
        outerProductSum(rows: rows, cols: columns, count: count, dIH, stride: gateRows, input, stride: direction * columns,
                        into: grads.gradIH + b * rows * columns)
        // Biases add to the pre-activations: dL/db = da.
        outerProductSum(rows: rows, cols: 1, count: count, dIH, stride: gateRows, one, stride: 0,
                        into: grads.gradBiasIH + b * rows)
        outerProductSum(rows: rows, cols: 1, count: count, dHH, stride: gateRows, one, stride: 0,
                        into: grads.gradBiasHH + b * rows)
        // dL/dW_hh += da ⊗ h₋₁ (for the reset-before GRU's n block, da ⊗ (r ⊙ h₋₁)).
        for i in 0..<count {
            let t = first + direction * i
            let hPrev = previousHidden(t: t, sweep: sweep, records: records)
            (chunkRows + i * P).update(from: hPrev, count: P)
        }
        let gradHH = grads.gradHH + b * rows * P
        let plainRows = (cell == .gruResetBefore ? 2 : G) * H
        outerProductSum(rows: plainRows, cols: P, count: count, dHH, stride: gateRows, chunkRows, stride: P, into: gradHH)
        if cell == .gruResetBefore {
            for i in 0..<count {
                let t = first + direction * i
                let r = records.activations! + sweep.offsets.gates + (t * weights.D + weights.d) * rows
                for u in 0..<H { chunkRows[i * H + u] = r[u] * chunkRows[i * H + u] }
            }
            outerProductSum(rows: H, cols: H, count: count, dHH + 2 * H, stride: gateRows, chunkRows, stride: H,
                            into: gradHH + 2 * H * H)
        }
    }

    private func weightTarget(_ pointer: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float>? {
        accumulatesWeights ? pointer : nil
    }

    /// The accumulated gradients in the model's shapes: for a batch, each parameter's
    /// gradients of the traces added in order (the sum, not the mean), and dL/dx, dL/dh0,
    /// dL/dc0 and the embedding's of the first trace.
    func gradients(of model: RecurrentModel, trace: Trace) -> ModelGradients {
        func array(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) -> [Float] {
            guard batch > 1 else { return Array(UnsafeBufferPointer(start: pointer, count: count)) }
            return [Float](unsafeUninitializedCapacity: count) { sum, initialized in
                sum.initialize(repeating: 0)
                for b in 0..<batch {
                    let trace = pointer + b * count
                    for j in 0..<count { sum[j] += trace[j] }
                }
                initialized = count
            }
        }
        let layers = model.layers.enumerated().map { k, layer in
            var gradient = layer
            func direction(_ direction: GateCore.Direction) -> LayerWeights {
                let weights = layer.weights(direction), grads = directions[k][direction.rawValue]
                let rows = layer.cell.blockCount * layer.hiddenSize
                return LayerWeights(inputSize: weights.inputSize, hiddenSize: weights.hiddenSize,
                                    weightIH: array(grads.gradIH, weights.weightIH.count),
                                    weightHH: array(grads.gradHH, weights.weightHH.count),
                                    biasIH: weights.biasIH == nil ? nil : array(grads.gradBiasIH, rows),
                                    biasHH: weights.biasHH == nil ? nil : array(grads.gradBiasHH, rows),
                                    projection: weights.projection.map { array(grads.gradHR, $0.count) })
            }
            gradient.forward = direction(.forward)
            gradient.reverse = layer.reverse == nil ? nil : direction(.reverse)
            return gradient
        }
        let head = model.head.map {
            LinearHead(outputSize: $0.outputSize, inputSize: $0.inputSize,
                       weight: array(gradHeadWeight, $0.weight.count),
                       bias: $0.bias == nil ? nil : array(gradHeadBias, $0.outputSize))
        }
        let inputs = computesInputGradients
            ? (0..<steps).map { Array(UnsafeBufferPointer(start: gradInputs + $0 * inputSize, count: inputSize)) } : []
        // The embedding's rows gather dL/dx_t of the steps that looked them up.
        let embedding = model.embedding.map { table -> Embedding in
            var weight = [Float](repeating: 0, count: table.weight.count)
            for (t, token) in (trace.tokens ?? []).enumerated() where (0..<table.vocabularySize).contains(token) && t < inputs.count {
                for j in 0..<table.dimension { weight[token * table.dimension + j] += inputs[t][j] }
            }
            return Embedding(vocabularySize: table.vocabularySize, dimension: table.dimension, weight: weight)
        }
        var initialHidden: [Float] = [], initialCell: [Float] = []
        for (k, layer) in model.layers.enumerated() {
            for direction in layer.directions {
                let grads = directions[k][direction.rawValue]
                initialHidden += UnsafeBufferPointer(start: grads.carryHidden, count: layer.stateSize)
                if layer.cell.hasCellState { initialCell += UnsafeBufferPointer(start: grads.carryCell, count: layer.hiddenSize) }
            }
        }
        return ModelGradients(layers: layers, embedding: embedding, head: head, inputs: inputs,
                              initialHidden: initialHidden, initialCell: initialCell)
    }
}

/// One direction of one layer for one trace as its backward steps need it: its open
/// weights, its accumulators, and where its output's and input's gradients live; valid only
/// inside the loop over its steps.
private struct Sweep {
    let weights: OpenDirection
    let grads: BackwardPass.Direction
    /// Which trace of the batch.
    let trace: Int
    let column: Int
    let offsets: Trace.LayerOffsets
    /// The layer's input at step 0 (x or the layer below's output), a row per step.
    let input: UnsafePointer<Float>
    /// dL/d(this layer's output), and where dL/d(its input) is summed (dL/dx or the layer
    /// below's; nil when dL/dx is not wanted).
    let outputGrad: UnsafeMutablePointer<Float>
    let inputGrad: UnsafeMutablePointer<Float>?
}

/// Where the sweep reads what the forward pass recorded; valid only inside `open`.
private struct Records {
    let activations: UnsafePointer<Float>?
    let hidden: UnsafePointer<Float>?
    let cell: UnsafePointer<Float>?
    let candidateRecurrent: UnsafePointer<Float>?
    let filtered: UnsafePointer<Float>?
    let initialHidden: UnsafePointer<Float>?
    let initialCell: UnsafePointer<Float>?
    let inputs: UnsafePointer<Float>?
    let offsets: [Trace.LayerOffsets]

    /// Runs `body` with every trace's records open.
    static func open(_ traces: [Trace], _ body: ([Records]) -> Void) {
        func open(_ index: Int, _ opened: [Records]) {
            guard index < traces.count else { return body(opened) }
            let trace = traces[index]
            let flatInputs = trace.inputs.flatMap { $0 }
            trace.activations.withUnsafeBufferPointer { act in
            trace.hiddenStates.withUnsafeBufferPointer { hs in
            trace.cellStates.withUnsafeBufferPointer { cs in
            trace.candidateRecurrent.withUnsafeBufferPointer { rec in
            trace.hiddenBeforeProjection.withUnsafeBufferPointer { filtered in
            trace.initialHidden.withUnsafeBufferPointer { h0 in
            trace.initialCell.withUnsafeBufferPointer { c0 in
            flatInputs.withUnsafeBufferPointer { xs in
                open(index + 1, opened + [Records(
                    activations: act.baseAddress, hidden: hs.baseAddress, cell: cs.baseAddress,
                    candidateRecurrent: rec.baseAddress, filtered: filtered.baseAddress,
                    initialHidden: h0.baseAddress, initialCell: c0.baseAddress, inputs: xs.baseAddress,
                    offsets: trace.offsets)])
            }
            }
            }
            }
            }
            }
            }
            }
        }
        open(0, [])
    }
}

@inline(__always)
private func norm(_ v: UnsafePointer<Float>, _ count: Int) -> Float {
    var sum: Float = 0
    for j in 0..<count { sum += v[j] * v[j] }
    return sum.squareRoot()
}
