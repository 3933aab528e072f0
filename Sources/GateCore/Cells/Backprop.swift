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
    /// Same shapes as the model; values are dL/dparam (bias arrays nil when the model has none).
    public var layers: [LayerWeights]
    public var head: LinearHead?
    /// dL/dx_t, T × inputSize.
    public var inputs: [[Float]]
    /// dL/dh0, [layer][unit].
    public var initialHidden: [Float]
    /// dL/dc0, [layer][unit], for the LSTM; empty otherwise.
    public var initialCell: [Float]

    public init(layers: [LayerWeights], head: LinearHead?, inputs: [[Float]], initialHidden: [Float],
                initialCell: [Float]) {
        self.layers = layers
        self.head = head
        self.inputs = inputs
        self.initialHidden = initialHidden
        self.initialCell = initialCell
    }
}

extension RecurrentModel {
    /// Loss (mean over the steps that have a target) and its gradients, from a trace of this model.
    public func backward(_ trace: Trace, loss: Loss) throws -> (loss: Float, gradients: ModelGradients, flow: GradientFlow) {
        guard let head else { throw GateError("the model has no head: training needs one") }
        try checkTraceMatches(trace)
        let (value, outputGrad) = try loss.evaluate(trace.outputs, steps: trace.steps, width: head.outputSize)
        let pass = BackwardPass(model: self, trace: trace, accumulatesWeights: true)
        outputGrad.withUnsafeBufferPointer { dy in
            pass.run(trace, outputGrad: dy.baseAddress)
        }
        return (value, pass.gradients(of: self), pass.flow)
    }

    /// Refuses a trace of another model, empty sizes (nothing to differentiate), and the
    /// parts of a pipeline the backward pass does not cover yet.
    func checkTraceMatches(_ trace: Trace) throws {
        guard isPlainStack else {
            throw GateError("gradients cover a plain stack of one cell kind, one direction, without embedding or projection; "
                + "this model has \(pipelineParts.joined(separator: ", ")), which has no backward pass yet")
        }
        guard inputSize > 0, hiddenSize > 0, head.map({ $0.outputSize > 0 }) ?? true else {
            throw GateError("the model has an empty dimension (input \(inputSize), hidden \(hiddenSize), "
                + "head \(head?.outputSize ?? 0)): there is nothing to differentiate")
        }
        guard trace.stack == layers.map(Trace.LayerShape.init), trace.outputSize == (head?.outputSize ?? 0) else {
            throw GateError("the trace was not recorded from this model (\(trace.cell.displayName), "
                + "\(trace.layerCount) × \(trace.hiddenSize) against \(cell.displayName), \(layerCount) × \(hiddenSize))")
        }
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
                    throw GateError("cross-entropy target \(target) at step \(t) is not one of the head's \(width) outputs")
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
                    throw GateError("mean-squared target at step \(t) has \(target.count) values, the head has \(width) outputs")
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

/// One backward sweep over a trace: gradient accumulators, the gradients carried from
/// step t + 1 to step t, and per-step scratch, all allocated once.
final class BackwardPass {
    let model: RecurrentModel
    let cell: CellKind
    let H: Int
    let G: Int
    let layerCount: Int
    let inputSize: Int
    let steps: Int
    let accumulatesWeights: Bool

    // dL/dθ per layer (accumulated over time) and for the head.
    let gradIH: [UnsafeMutablePointer<Float>]
    let gradHH: [UnsafeMutablePointer<Float>]
    let gradBiasIH: [UnsafeMutablePointer<Float>]
    let gradBiasHH: [UnsafeMutablePointer<Float>]
    let gradHeadWeight: UnsafeMutablePointer<Float>
    let gradHeadBias: UnsafeMutablePointer<Float>
    let outputSize: Int
    /// dL/dx_t, T × inputSize.
    let gradInputs: UnsafeMutablePointer<Float>
    /// Per layer, the gradient that step t + 1 sends back to h_t and c_t; after the sweep,
    /// dL/dh0 and dL/dc0.
    let carryHidden: UnsafeMutablePointer<Float>
    let carryCell: UnsafeMutablePointer<Float>
    /// Scratch for one (t, layer): total dL/dh_t and dL/dc_t, dL/d(pre-activation) of the
    /// input part and of the recurrent part of every block, dL/d(layer input), r ⊙ h and
    /// dL/d(r ⊙ h) for the reset-before GRU.
    let dh: UnsafeMutablePointer<Float>
    let dc: UnsafeMutablePointer<Float>
    let dGatesIH: UnsafeMutablePointer<Float>
    let dGatesHH: UnsafeMutablePointer<Float>
    let dLayerInput: UnsafeMutablePointer<Float>
    let resetHidden: UnsafeMutablePointer<Float>
    let dResetHidden: UnsafeMutablePointer<Float>

    private(set) var flow: GradientFlow
    private var allocations: [UnsafeMutableBufferPointer<Float>] = []

    init(model: RecurrentModel, trace: Trace, accumulatesWeights: Bool) {
        self.model = model
        cell = model.cell
        H = model.hiddenSize
        G = model.cell.blockCount
        layerCount = model.layerCount
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
        let rows = G * H
        let weighted = accumulatesWeights
        gradIH = model.layers.map { zeros(weighted ? $0.forward.weightIH.count : 0) }
        gradHH = model.layers.map { zeros(weighted ? $0.forward.weightHH.count : 0) }
        gradBiasIH = model.layers.map { _ in zeros(weighted ? rows : 0) }
        gradBiasHH = model.layers.map { _ in zeros(weighted ? rows : 0) }
        gradHeadWeight = zeros(weighted ? model.head?.weight.count ?? 0 : 0)
        gradHeadBias = zeros(weighted ? outputSize : 0)
        gradInputs = zeros(steps * inputSize)
        carryHidden = zeros(layerCount * H)
        carryCell = zeros(layerCount * H)
        dh = zeros(H)
        dc = zeros(H)
        dGatesIH = zeros(rows)
        dGatesHH = zeros(rows)
        dLayerInput = zeros(max(inputSize, H))
        resetHidden = zeros(H)
        dResetHidden = zeros(H)
        self.allocations = allocations
        let perStep = [Float](repeating: 0, count: layerCount)
        flow = GradientFlow(hidden: Array(repeating: perStep, count: steps),
                            cell: cell.hasCellState ? Array(repeating: perStep, count: steps) : [])
    }

    deinit {
        for buffer in allocations { buffer.deallocate() }
    }

    /// Sets the gradient arriving at the last step of `layer` from "after the sequence",
    /// as if a loss read h_T (and/or c_T) with these weights.
    func seedFuture(layer: Int, hidden: [Float]?, cell: [Float]?) {
        for u in 0..<H {
            carryHidden[layer * H + u] = hidden?[u] ?? 0
            carryCell[layer * H + u] = cell?[u] ?? 0
        }
    }

    /// The sweep: t from T − 1 down to 0, and within a step from the top layer down, so that
    /// each layer has received what the layer above sends to its h before it is processed.
    /// `outputGrad` is dL/dy (T × outputSize) when a head and a loss are involved.
    func run(_ trace: Trace, outputGrad: UnsafePointer<Float>?) {
        let flatInputs = trace.inputs.flatMap { $0 }
        trace.activations.withUnsafeBufferPointer { act in
        trace.hiddenStates.withUnsafeBufferPointer { hs in
        trace.cellStates.withUnsafeBufferPointer { cs in
        trace.candidateRecurrent.withUnsafeBufferPointer { rec in
        trace.initialHidden.withUnsafeBufferPointer { h0 in
        trace.initialCell.withUnsafeBufferPointer { c0 in
        flatInputs.withUnsafeBufferPointer { xs in
            let records = Records(activations: act.baseAddress, hidden: hs.baseAddress, cell: cs.baseAddress,
                                  candidateRecurrent: rec.baseAddress, initialHidden: h0.baseAddress,
                                  initialCell: c0.baseAddress, inputs: xs.baseAddress, offsets: trace.offsets)
            for t in stride(from: steps - 1, through: 0, by: -1) {
                for k in stride(from: layerCount - 1, through: 0, by: -1) {
                    stepBack(t: t, layer: k, records: records, outputGrad: outputGrad)
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

    /// Step t of layer k, backwards: gather dL/dh_t, go back through the cell's equations to
    /// the pre-activations, add dL/dW as rank-1 updates, and send the gradient on to h_{t-1}
    /// (the carry for the next iteration) and to the layer's input (the layer below, or x_t).
    private func stepBack(t: Int, layer k: Int, records: Records, outputGrad: UnsafePointer<Float>?) {
        let weights = model.layers[k].forward
        let rows = G * H
        let columns = weights.inputSize
        // Offsets in layer k's segments of the trace (a plain stack: one direction, P = H).
        let offsets = records.offsets[k]
        let state = t * H
        let act = records.activations! + offsets.gates + state * G
        let hidden = records.hidden! + offsets.hidden
        let hPrev = t == 0 ? records.initialHidden! + offsets.initialHidden : hidden + state - H
        let input = k == 0 ? records.inputs! + t * inputSize : records.hidden! + records.offsets[k - 1].hidden + state
        let carryH = carryHidden + k * H
        let carryC = carryCell + k * H
        let isTop = k == layerCount - 1

        // dL/dh_t = what step t + 1 sent back + what the layer above sent to its input.
        for u in 0..<H { dh[u] = carryH[u] + (isTop ? 0 : dLayerInput[u]) }
        if isTop, let outputGrad, let head = model.head {
            // y_t = W h_t + b: dL/dh_t += Wᵀ dy_t, dL/dW += dy_t ⊗ h_t, dL/db += dy_t.
            let dy = outputGrad + t * outputSize
            head.weight.withUnsafeBufferPointer { w in
                linearBackward(w.baseAddress!, rows: outputSize, cols: H, input: hidden + state,
                               upstream: dy, inputGrad: dh, weightGrad: weightTarget(gradHeadWeight))
            }
            for j in 0..<outputSize { gradHeadBias[j] += dy[j] }
        }
        flow.hidden[t][k] = norm(dh, H)

        weights.weightIH.withUnsafeBufferPointer { wih in
        weights.weightHH.withUnsafeBufferPointer { whh in
            let wih = wih.baseAddress!, whh = whh.baseAddress!
            // The recurrent part's upstream gradient equals the input part's except in the GRU's
            // candidate block, where r or the reset-before product sits between them.
            var dRecurrent = UnsafePointer(dGatesIH)
            switch cell {
            case .lstm:
                let c = records.cell! + offsets.cell + state
                let cPrev = t == 0 ? records.initialCell! + offsets.initialCell : c - H
                for u in 0..<H {
                    let i = act[u], f = act[H + u], g = act[2 * H + u], o = act[3 * H + u]
                    let tanhC = tanhStable(c[u])
                    // h = o ⊙ tanh(c): dL/dc_t = (from c_{t+1}) + dh ⊙ o ⊙ (1 − tanh² c).
                    let dcu = carryC[u] + dh[u] * o * (1 - tanhC * tanhC)
                    dc[u] = dcu
                    // dL/do = dh ⊙ tanh(c), through σ' = o (1 − o).
                    dGatesIH[3 * H + u] = dh[u] * tanhC * o * (1 - o)
                    // c = f ⊙ c₋₁ + i ⊙ g: dL/di = dc ⊙ g, dL/df = dc ⊙ c₋₁, dL/dg = dc ⊙ i,
                    // each through its nonlinearity (σ' = a (1 − a), tanh' = 1 − g²).
                    dGatesIH[u] = dcu * g * i * (1 - i)
                    dGatesIH[H + u] = dcu * cPrev[u] * f * (1 - f)
                    dGatesIH[2 * H + u] = dcu * i * (1 - g * g)
                    // dL/dc_{t-1} = dc ⊙ f: the additive path through the memory.
                    carryC[u] = dcu * f
                    carryH[u] = 0
                }
                flow.cell[t][k] = norm(dc, H)
                // a = W_ih x + b_ih + W_hh h₋₁ + b_hh: dL/dh₋₁ = W_hhᵀ da, dL/dW_hh += da ⊗ h₋₁.
                linearBackward(whh, rows: rows, cols: H, input: hPrev, upstream: dGatesIH,
                               inputGrad: carryH, weightGrad: weightTarget(gradHH[k]))
            case .gru, .gruResetBefore:
                let rec = records.candidateRecurrent! + offsets.recurrent + state
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
                                   weightGrad: weightTarget(gradHH[k] + 2 * H * H))
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
                               upstream: dGatesHH, inputGrad: carryH, weightGrad: weightTarget(gradHH[k]))
                dRecurrent = UnsafePointer(dGatesHH)
            case .rnn:
                for u in 0..<H {
                    // h = tanh(a): dL/da = dh ⊙ (1 − h²).
                    dGatesIH[u] = dh[u] * (1 - act[u] * act[u])
                    carryH[u] = 0
                }
                // a = W_ih x + b_ih + W_hh h₋₁ + b_hh: dL/dh₋₁ = W_hhᵀ da, dL/dW_hh += da ⊗ h₋₁.
                linearBackward(whh, rows: rows, cols: H, input: hPrev, upstream: dGatesIH,
                               inputGrad: carryH, weightGrad: weightTarget(gradHH[k]))
            }

            // The input part, every cell: dL/d(input) = W_ihᵀ da_ih, dL/dW_ih += da_ih ⊗ input.
            for j in 0..<columns { dLayerInput[j] = 0 }
            linearBackward(wih, rows: rows, cols: columns, input: input, upstream: dGatesIH,
                           inputGrad: dLayerInput, weightGrad: weightTarget(gradIH[k]))
            if accumulatesWeights {
                // Biases add to the pre-activations: dL/db = da.
                let biasIH = gradBiasIH[k], biasHH = gradBiasHH[k]
                for j in 0..<rows {
                    biasIH[j] += dGatesIH[j]
                    biasHH[j] += dRecurrent[j]
                }
            }
            if k == 0 {
                (gradInputs + t * inputSize).update(from: dLayerInput, count: inputSize)
            }
        }
        }
    }

    private func weightTarget(_ pointer: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<Float>? {
        accumulatesWeights ? pointer : nil
    }

    /// The accumulated gradients in the model's shapes.
    func gradients(of model: RecurrentModel) -> ModelGradients {
        func array(_ pointer: UnsafeMutablePointer<Float>, _ count: Int) -> [Float] {
            Array(UnsafeBufferPointer(start: pointer, count: count))
        }
        let layers = model.layers.map(\.forward).enumerated().map { k, weights in
            LayerWeights(inputSize: weights.inputSize, hiddenSize: H,
                         weightIH: array(gradIH[k], weights.weightIH.count),
                         weightHH: array(gradHH[k], weights.weightHH.count),
                         biasIH: weights.biasIH == nil ? nil : array(gradBiasIH[k], G * H),
                         biasHH: weights.biasHH == nil ? nil : array(gradBiasHH[k], G * H))
        }
        let head = model.head.map {
            LinearHead(outputSize: $0.outputSize, inputSize: $0.inputSize,
                       weight: array(gradHeadWeight, $0.weight.count),
                       bias: $0.bias == nil ? nil : array(gradHeadBias, $0.outputSize))
        }
        return ModelGradients(
            layers: layers, head: head,
            inputs: (0..<steps).map { array(gradInputs + $0 * inputSize, inputSize) },
            initialHidden: array(carryHidden, layerCount * H),
            initialCell: cell.hasCellState ? array(carryCell, layerCount * H) : [])
    }
}

/// Where the sweep reads what the forward pass recorded; valid only inside `run`.
private struct Records {
    let activations: UnsafePointer<Float>?
    let hidden: UnsafePointer<Float>?
    let cell: UnsafePointer<Float>?
    let candidateRecurrent: UnsafePointer<Float>?
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
