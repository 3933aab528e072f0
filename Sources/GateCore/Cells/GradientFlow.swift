// The gradient flow along a sequence, for teaching: how much of the gradient reaches each
// step, which is what vanishes in a plain RNN and survives in the gated cells.

/// How strongly the gradient reaches each step: the norms a student plots against t.
public struct GradientFlow: Sendable, Equatable {
    /// ‖∂L/∂h_t‖ per [t][layer]: the total gradient reaching h_t (through time, from the
    /// layer above and from the head).
    public var hidden: [[Float]]
    /// ‖∂L/∂c_t‖ per [t][layer] for the LSTM (through c_{t+1} and through h_t), else [].
    public var cell: [[Float]]

    public init(hidden: [[Float]], cell: [[Float]]) {
        self.hidden = hidden
        self.cell = cell
    }
}

extension RecurrentModel {
    /// How much the last state of `layer` still depends on each earlier state, for the
    /// gradient-flow plot; needs no head and no loss.
    ///
    /// The upstream gradient is fixed to u = (1, …, 1)/√H, a unit vector that weighs every
    /// unit alike, so `hidden[t][k]` = ‖uᵀ ∂h_T/∂h_t‖ (h_T of `layer`, h_t of layer k) reads
    /// directly as a fraction of the 1 at t = T − 1. For the LSTM a second pass seeds c_T
    /// with u instead, and `cell[t][k]` = ‖uᵀ ∂c_T/∂c_t‖. Layers above `layer` read 0.
    /// `progress` (one part, a step per t of each pass) hears of every step and may stop
    /// the work: it then throws `CancellationError`.
    public func sensitivity(_ trace: Trace, layer: Int, progress: WorkProgress? = nil) throws -> GradientFlow {
        try checkTraceMatches(trace)
        guard (0..<layerCount).contains(layer) else {
            throw GateError("layer \(layer + 1) does not exist: the model has \(Wording.count(layerCount, "layer"))")
        }
        try progress?.beginPart(steps: trace.steps * (cell.hasCellState ? 2 : 1))
        guard trace.steps > 0 else { return GradientFlow(hidden: [], cell: []) }
        let unit = [Float](repeating: 1 / Float(hiddenSize).squareRoot(), count: hiddenSize)
        let fromHidden = BackwardPass(model: self, trace: trace, accumulatesWeights: false)
        fromHidden.seedFuture(layer: layer, hidden: unit, cell: nil)
        try fromHidden.run(trace, outputGrad: nil, progress: progress)
        guard cell.hasCellState else { return fromHidden.flow }
        let fromCell = BackwardPass(model: self, trace: trace, accumulatesWeights: false)
        fromCell.seedFuture(layer: layer, hidden: nil, cell: unit)
        try fromCell.run(trace, outputGrad: nil, progress: progress)
        return GradientFlow(hidden: fromHidden.flow.hidden, cell: fromCell.flow.cell)
    }
}

/// The gradient flow `gatescope trace --grad` adds to the JSON trace (and the visualizer may
/// plot): one norm per step and layer.
public struct TraceGradients: Sendable, Equatable {
    /// What the norms are taken of, for a top-level `"grad_of"` field:
    /// - `"loss"`: ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ for next-symbol cross-entropy on the trace's own
    ///   one-hot input (a text model with a head);
    /// - `"last_state"`: ‖uᵀ ∂h_T/∂h_t‖ and ‖uᵀ ∂c_T/∂c_t‖ from the top layer's last state
    ///   (any other model, see `RecurrentModel.sensitivity`).
    public var gradientOf: String
    public var flow: GradientFlow

    /// What `gradientOf` means, in words: the JSON's `grad_meaning`, and what the README
    /// says of each value.
    public var meaning: String { Self.meaning(of: gradientOf) }

    public static func meaning(of gradientOf: String) -> String {
        switch gradientOf {
        case "loss":
            "L2 norms of dL/dh_t and dL/dc_t, L the next-character cross-entropy averaged over the steps"
        default:
            "L2 norms of u^T dh_T/dh_t and u^T dc_T/dc_t, u = (1,...,1)/sqrt(H): how much the top layer's last state depends on each step (no loss)"
        }
    }

    /// The fields of one layer's object at step t, in order: `grad_h`, and `grad_c` for the LSTM.
    public func fields(t: Int, layer: Int) -> [(key: String, value: Float)] {
        var fields = [(key: "grad_h", value: flow.hidden[t][layer])]
        if !flow.cell.isEmpty { fields.append((key: "grad_c", value: flow.cell[t][layer])) }
        return fields
    }
}

extension RecurrentModel {
    /// The gradient flow for `trace --grad`: the loss's when this model predicts the next
    /// symbol of one-hot input (a head as wide as the input, a vocabulary), else the top
    /// layer's last-state sensitivity, which needs no targets. `progress`: one part, as in
    /// `sensitivity`.
    public func traceGradients(_ trace: Trace, progress: WorkProgress? = nil) throws -> TraceGradients {
        if let head, vocab != nil, head.outputSize == inputSize, let loss = Loss.nextSymbol(trace.inputs) {
            return TraceGradients(gradientOf: "loss", flow: try backward(trace, loss: loss, progress: progress).flow)
        }
        return TraceGradients(gradientOf: "last_state",
                              flow: try sensitivity(trace, layer: layerCount - 1, progress: progress))
    }
}

extension Loss {
    /// Next-symbol prediction: the target at step t is the symbol x_{t+1} encodes, none at
    /// the last step. nil unless every input is one-hot and there are at least two steps.
    static func nextSymbol(_ inputs: [[Float]]) -> Loss? {
        var symbols: [Int] = []
        for x in inputs {
            guard let hot = x.firstIndex(of: 1), x.allSatisfy({ $0 == 0 || $0 == 1 }),
                  x.lastIndex(of: 1) == hot else { return nil }
            symbols.append(hot)
        }
        guard symbols.count > 1 else { return nil }
        return .crossEntropy(targets: symbols.dropFirst().map { $0 } + [nil])
    }
}
