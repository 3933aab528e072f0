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

/// One backward sweep over a trace, layer by layer from the top: each layer receives, for
/// every step, what the layer above (or the head) sends to its output, then each of its
/// directions runs back against its own order of time (the forward pass from the last step,
/// the reverse pass from the first), sending to h of the step before it and to the layer
/// below. Gradient accumulators, carries and per-step scratch are allocated once.
final class BackwardPass {
    let model: RecurrentModel
    let steps: Int
    let inputSize: Int
    let accumulatesWeights: Bool

    /// dL/dθ of one direction of one layer (accumulated over time) and what step t sends back
    /// to step t ∓ 1: dL/dh (P values) and dL/dc (H, LSTM). After the sweep the carries are
    /// dL/dh0 and dL/dc0.
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
    /// Per layer, dL/d(its output) at every step, T × (directions · P): what the head or the
    /// layer above sent.
    let outputGrads: [UnsafeMutablePointer<Float>]
    let gradHeadWeight: UnsafeMutablePointer<Float>
    let gradHeadBias: UnsafeMutablePointer<Float>
    let outputSize: Int
    /// dL/dx_t, T × inputSize.
    let gradInputs: UnsafeMutablePointer<Float>
    /// Scratch for one (t, layer, direction): dL/dh_t (P), dL/d(o ⊙ tanh c) before a
    /// projection (H), dL/dc_t, dL/d(pre-activation) of the input part and of the recurrent
    /// part of every block, dL/d(layer input), r ⊙ h and dL/d(r ⊙ h) for the reset-before GRU.
    let dh: UnsafeMutablePointer<Float>
    let dFiltered: UnsafeMutablePointer<Float>
    let dc: UnsafeMutablePointer<Float>
    let dGatesIH: UnsafeMutablePointer<Float>
    let dGatesHH: UnsafeMutablePointer<Float>
    let dLayerInput: UnsafeMutablePointer<Float>
    let resetHidden: UnsafeMutablePointer<Float>
    let dResetHidden: UnsafeMutablePointer<Float>

    /// Flow norms per [t][column] (see `RecurrentModel.flowColumns`).
    private(set) var flow: GradientFlow
    private let columns: [[Int]]
    private var allocations: [UnsafeMutableBufferPointer<Float>] = []

    init(model: RecurrentModel, trace: Trace, accumulatesWeights: Bool) {
        self.model = model
        inputSize = model.inputSize
        steps = trace.steps
        outputSize = model.head?.outputSize ?? 0
        self.accumulatesWeights = accumulatesWeights
        var allocations: [UnsafeMutableBufferPointer<Float>] = []
        func zeros(_ count: Int) -> UnsafeMutablePointer<Float> {
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(count, 1))
            buffer.initialize(repeating: 0)
            allocations.append(buffer)
            return buffer.baseAddress!
        }
        let weighted = accumulatesWeights
        directions = model.layers.map { layer in
            layer.directions.map { direction in
                let weights = layer.weights(direction)
                let rows = layer.cell.blockCount * layer.hiddenSize
                return Direction(gradIH: zeros(weighted ? weights.weightIH.count : 0),
                                 gradHH: zeros(weighted ? weights.weightHH.count : 0),
                                 gradBiasIH: zeros(weighted ? rows : 0), gradBiasHH: zeros(weighted ? rows : 0),
                                 gradHR: zeros(weighted ? weights.projection?.count ?? 0 : 0),
                                 carryHidden: zeros(layer.stateSize), carryCell: zeros(layer.hiddenSize))
            }
        }
        outputGrads = model.layers.map { zeros(trace.steps * $0.outputSize) }
        gradHeadWeight = zeros(weighted ? model.head?.weight.count ?? 0 : 0)
        gradHeadBias = zeros(weighted ? outputSize : 0)
        gradInputs = zeros(steps * inputSize)
        let widest = model.layers.map(\.hiddenSize).max() ?? 0
        let widestRows = model.layers.map { $0.cell.blockCount * $0.hiddenSize }.max() ?? 0
        let widestInput = max(inputSize, model.layers.map(\.inputSize).max() ?? 0)
        dh = zeros(widest)
        dFiltered = zeros(widest)
        dc = zeros(widest)
        dGatesIH = zeros(widestRows)
        dGatesHH = zeros(widestRows)
        dLayerInput = zeros(widestInput)
        resetHidden = zeros(widest)
        dResetHidden = zeros(widest)
        self.allocations = allocations
        var next = 0
        columns = model.layers.map { layer in layer.directions.map { _ in defer { next += 1 }; return next } }
        let perStep = [Float](repeating: 0, count: next)
        let hasCell = model.layers.contains { $0.cell.hasCellState }
        flow = GradientFlow(hidden: Array(repeating: perStep, count: steps),
                            cell: hasCell ? Array(repeating: perStep, count: steps) : [])
    }

    deinit {
        for buffer in allocations { buffer.deallocate() }
    }

    /// Sets the gradient arriving at the last state of one direction of `layer` (step T − 1
    /// forward, step 0 in reverse) from "after the sequence", as if a loss read it (h and/or
    /// c) with these weights.
    func seedFuture(layer: Int, direction: GateCore.Direction = .forward, hidden: [Float]?, cell: [Float]?) {
        let carry = directions[layer][direction.rawValue]
        for u in 0..<model.layers[layer].stateSize { carry.carryHidden[u] = hidden?[u] ?? 0 }
        for u in 0..<model.layers[layer].hiddenSize { carry.carryCell[u] = cell?[u] ?? 0 }
    }

    /// How many steps one `run` takes: every step of every layer direction. `progress`
    /// counts them.
    var sweepLength: Int { steps * model.layers.reduce(0) { $0 + $1.directionCount } }

    /// The sweep: the top layer first, each direction against its own order of time, so that
    /// each layer has received what the layer above sends to its outputs before it is
    /// processed. `outputGrad` is dL/dy (T × outputSize) when a head and a loss are involved;
    /// `progress` hears of each finished step and may stop the sweep there (it then throws).
    func run(_ trace: Trace, outputGrad: UnsafePointer<Float>?, progress: WorkProgress? = nil) throws {
        let flatInputs = trace.inputs.flatMap { $0 }
        var stopped: (any Error)?
        trace.activations.withUnsafeBufferPointer { act in
        trace.hiddenStates.withUnsafeBufferPointer { hs in
        trace.cellStates.withUnsafeBufferPointer { cs in
        trace.candidateRecurrent.withUnsafeBufferPointer { rec in
        trace.hiddenBeforeProjection.withUnsafeBufferPointer { filtered in
        trace.initialHidden.withUnsafeBufferPointer { h0 in
        trace.initialCell.withUnsafeBufferPointer { c0 in
        flatInputs.withUnsafeBufferPointer { xs in
            let records = Records(activations: act.baseAddress, hidden: hs.baseAddress, cell: cs.baseAddress,
                                  candidateRecurrent: rec.baseAddress, filtered: filtered.baseAddress,
                                  initialHidden: h0.baseAddress, initialCell: c0.baseAddress, inputs: xs.baseAddress,
                                  offsets: trace.offsets)
            for k in model.layers.indices.reversed() {
                if k == model.layers.count - 1, let outputGrad { headBackward(k, records: records, outputGrad: outputGrad) }
                let layer = model.layers[k]
                for direction in layer.directions where stopped == nil {
                    // Back against the direction's own order of time.
                    let order = direction == .forward ? stride(from: steps - 1, to: -1, by: -1) : stride(from: 0, to: steps, by: 1)
                    let d = direction.rawValue
                    // The weights and buffers are opened once for all the direction's steps.
                    layer.withOpened(direction) { weights in
                        let sweep = Sweep(
                            weights: weights, grads: directions[k][d], column: columns[k][d], offsets: records.offsets[k],
                            input: k == 0 ? records.inputs! : records.hidden! + records.offsets[k - 1].hidden,
                            outputGrad: outputGrads[k], inputGrad: k == 0 ? gradInputs : outputGrads[k - 1])
                        for t in order {
                            stepBack(t: t, sweep: sweep, records: records)
                            do { try progress?.step() } catch {
                                stopped = error
                                return
                            }
                        }
                    }
                }
            }
        }
        }
        }
        }
        }
        }
        }
        }
        if let stopped { throw stopped }
    }

    /// y_t = W out_t + b on the top layer's output: dL/d(out_t) = Wᵀ dy_t, dL/dW += dy_t ⊗ out_t,
    /// dL/db += dy_t.
    private func headBackward(_ k: Int, records: Records, outputGrad: UnsafePointer<Float>) {
        guard let head = model.head else { return }
        let width = model.layers[k].outputSize
        let outputs = records.hidden! + records.offsets[k].hidden
        head.weight.withUnsafeBufferPointer { w in
            for t in 0..<steps {
                let dy = outputGrad + t * outputSize
                linearBackward(w.baseAddress!, rows: outputSize, cols: width, input: outputs + t * width,
                               upstream: dy, inputGrad: outputGrads[k] + t * width, weightGrad: weightTarget(gradHeadWeight))
                if accumulatesWeights { for j in 0..<outputSize { gradHeadBias[j] += dy[j] } }
            }
        }
    }

    /// Step t of one direction of layer k, backwards: gather dL/dh_t, go back through the
    /// cell's equations (and the projection) to the pre-activations, add dL/dW as rank-1
    /// updates, and send the gradient on to h of the step before (the carry) and to the
    /// layer's input (the layer below's output, or x_t).
    private func stepBack(t: Int, sweep: Sweep, records: Records) {
        let weights = sweep.weights
        let cell = weights.cell
        let H = weights.H, P = weights.P, D = weights.D, d = weights.d, G = cell.blockCount
        let rows = G * H
        let columns = weights.inputWidth
        // Offsets in layer k's segments of the trace ([t][direction][…]).
        let offsets = sweep.offsets
        let row = t * D + d
        let previous = d == 0 ? t - 1 : t + 1
        let hasPrevious = previous >= 0 && previous < steps
        let act = records.activations! + offsets.gates + row * G * H
        let hPrev = hasPrevious ? records.hidden! + offsets.hidden + (previous * D + d) * P
            : records.initialHidden! + offsets.initialHidden + d * P
        let input = sweep.input + t * columns
        let grads = sweep.grads
        let carryH = grads.carryHidden, carryC = grads.carryCell
        let wih = weights.wih, whh = weights.whh

        // dL/dh_t = what the step after it sent back + what the head or the layer above sent.
        let fromAbove = sweep.outputGrad + t * weights.outputWidth + d * P
        for u in 0..<P { dh[u] = carryH[u] + fromAbove[u] }
        flow.hidden[t][sweep.column] = norm(dh, P)

        do {
            // The recurrent part's upstream gradient equals the input part's except in the GRU's
            // candidate block, where r or the reset-before product sits between them.
            var dRecurrent = UnsafePointer(dGatesIH)
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
                                   upstream: dh, inputGrad: dFiltered, weightGrad: weightTarget(grads.gradHR))
                    dOutput = UnsafePointer(dFiltered)
                }
                for u in 0..<H {
                    let i = act[u], f = act[H + u], g = act[2 * H + u], o = act[3 * H + u]
                    let tanhC = tanhStable(c[u])
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
                for u in 0..<P { carryH[u] = 0 }
                flow.cell[t][sweep.column] = norm(dc, H)
                // a = W_ih x + b_ih + W_hh h₋₁ + b_hh: dL/dh₋₁ = W_hhᵀ da, dL/dW_hh += da ⊗ h₋₁.
                linearBackward(whh, rows: rows, cols: P, input: hPrev, upstream: dGatesIH,
                               inputGrad: carryH, weightGrad: weightTarget(grads.gradHH))
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
                        resetHidden[u] = r * hPrev[u]
                        dResetHidden[u] = 0
                    }
                }
                if cell == .gruResetBefore {
                    // dL/d(r ⊙ h₋₁) = W_hnᵀ dan, dL/dW_hn += dan ⊗ (r ⊙ h₋₁).
                    linearBackward(whh + 2 * H * H, rows: H, cols: H, input: resetHidden,
                                   upstream: dGatesHH + 2 * H, inputGrad: dResetHidden,
                                   weightGrad: weightTarget(grads.gradHH + 2 * H * H))
                    for u in 0..<H {
                        let r = act[u]
                        // r ⊙ h₋₁: dL/dr = d(r ⊙ h₋₁) ⊙ h₋₁ (through σ'), dL/dh₋₁ += d(r ⊙ h₋₁) ⊙ r.
                        let dr = dResetHidden[u] * hPrev[u] * r * (1 - r)
                        dGatesIH[u] = dr
                        dGatesHH[u] = dr
                        carryH[u] += dResetHidden[u] * r
                    }
                }
                // r and z (and n after the reset): dL/dh₋₁ += W_hhᵀ da_hh, dL/dW_hh += da_hh ⊗ h₋₁.
                linearBackward(whh, rows: cell == .gru ? rows : 2 * H, cols: H, input: hPrev,
                               upstream: dGatesHH, inputGrad: carryH, weightGrad: weightTarget(grads.gradHH))
                dRecurrent = UnsafePointer(dGatesHH)
            case .rnn:
                for u in 0..<H {
                    // h = tanh(a): dL/da = dh ⊙ (1 − h²); h = relu(a): dL/da = dh where a > 0.
                    let h = act[u]
                    dGatesIH[u] = weights.relu ? (h > 0 ? dh[u] : 0) : dh[u] * (1 - h * h)
                    carryH[u] = 0
                }
                // a = W_ih x + b_ih + W_hh h₋₁ + b_hh: dL/dh₋₁ = W_hhᵀ da, dL/dW_hh += da ⊗ h₋₁.
                linearBackward(whh, rows: rows, cols: H, input: hPrev, upstream: dGatesIH,
                               inputGrad: carryH, weightGrad: weightTarget(grads.gradHH))
            }

            // The input part, every cell: dL/d(input) = W_ihᵀ da_ih, dL/dW_ih += da_ih ⊗ input.
            for j in 0..<columns { dLayerInput[j] = 0 }
            linearBackward(wih, rows: rows, cols: columns, input: input, upstream: dGatesIH,
                           inputGrad: dLayerInput, weightGrad: weightTarget(grads.gradIH))
            if accumulatesWeights {
                // Biases add to the pre-activations: dL/db = da.
                for j in 0..<rows {
                    grads.gradBiasIH[j] += dGatesIH[j]
                    grads.gradBiasHH[j] += dRecurrent[j]
                }
            }
            // Both directions read the same input: their gradients add.
            let target = sweep.inputGrad + t * columns
            for j in 0..<columns { target[j] += dLayerInput[j] }
        }
    }

    private func weightTarget(_ pointer: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float>? {
        accumulatesWeights ? pointer : nil
    }

    /// The accumulated gradients in the model's shapes.
    func gradients(of model: RecurrentModel, trace: Trace) -> ModelGradients {
        func array(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) -> [Float] {
            Array(UnsafeBufferPointer(start: pointer, count: count))
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
        let inputs = (0..<steps).map { array(gradInputs + $0 * inputSize, inputSize) }
        // The embedding's rows gather dL/dx_t of the steps that looked them up.
        let embedding = model.embedding.map { table -> Embedding in
            var weight = [Float](repeating: 0, count: table.weight.count)
            for (t, token) in (trace.tokens ?? []).enumerated() where (0..<table.vocabularySize).contains(token) {
                for j in 0..<table.dimension { weight[token * table.dimension + j] += inputs[t][j] }
            }
            return Embedding(vocabularySize: table.vocabularySize, dimension: table.dimension, weight: weight)
        }
        var initialHidden: [Float] = [], initialCell: [Float] = []
        for (k, layer) in model.layers.enumerated() {
            for direction in layer.directions {
                let grads = directions[k][direction.rawValue]
                initialHidden += array(grads.carryHidden, layer.stateSize)
                if layer.cell.hasCellState { initialCell += array(grads.carryCell, layer.hiddenSize) }
            }
        }
        return ModelGradients(layers: layers, embedding: embedding, head: head, inputs: inputs,
                              initialHidden: initialHidden, initialCell: initialCell)
    }
}

/// One direction of one layer as its backward steps need it: its open weights, its
/// accumulators, and where its output's and input's gradients live; valid only inside the
/// loop over its steps.
private struct Sweep {
    let weights: OpenDirection
    let grads: BackwardPass.Direction
    let column: Int
    let offsets: Trace.LayerOffsets
    /// The layer's input at step 0 (x or the layer below's output), a row per step.
    let input: UnsafePointer<Float>
    /// dL/d(this layer's output), and where dL/d(its input) is summed (dL/dx or the layer below's).
    let outputGrad: UnsafeMutablePointer<Float>
    let inputGrad: UnsafeMutablePointer<Float>
}

/// Where the sweep reads what the forward pass recorded; valid only inside `run`.
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
}

@inline(__always)
private func norm(_ v: UnsafePointer<Float>, _ count: Int) -> Float {
    var sum: Float = 0
    for j in 0..<count { sum += v[j] * v[j] }
    return sum.squareRoot()
}
