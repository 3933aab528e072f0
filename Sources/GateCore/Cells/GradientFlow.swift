// The gradient flow along a sequence, for teaching: how much of the gradient reaches each
// step, which is what vanishes in a plain RNN and survives in the gated cells.

/// How strongly the gradient reaches each step: the norms a student plots against t.
public struct GradientFlow: Sendable, Equatable {
    /// ‖∂L/∂h_t‖ per [t][column]: the total gradient reaching h_t (through time, from the
    /// layer above and from the head). A column is one layer's direction, in PyTorch's h_n
    /// order (see `RecurrentModel.flowColumns`): for a one-direction stack, the layer.
    public var hidden: [[Float]]
    /// ‖∂L/∂c_t‖ per [t][column] when a layer is an LSTM (through c_{t+1} and through h_t;
    /// 0 in the columns of other kinds), else [].
    public var cell: [[Float]]

    public init(hidden: [[Float]], cell: [[Float]]) {
        self.hidden = hidden
        self.cell = cell
    }
}

extension RecurrentModel {
    /// How much the last state of one direction of `layer` (step T − 1 forward, step 0 in
    /// reverse) still depends on each earlier state, for the gradient-flow plot; needs no
    /// head and no loss.
    ///
    /// The upstream gradient is fixed to u = (1, …, 1)/√width, a unit vector that weighs every
    /// unit alike, so `hidden[t][j]` = ‖uᵀ ∂h_last/∂h_t‖ (column j) reads directly as a
    /// fraction of the 1 at the last state. For an LSTM layer a second pass seeds c with u
    /// instead, and `cell[t][j]` = ‖uᵀ ∂c_last/∂c_t‖. Columns the seeded state does not
    /// depend on (layers above, the other direction) read 0. `progress` (one part, a step
    /// per t of each layer direction of each pass) hears of every step and may stop the
    /// work: it then throws `CancellationError`.
    public func sensitivity(_ trace: Trace, layer: Int, direction: Direction = .forward,
                            progress: WorkProgress? = nil) throws -> GradientFlow {
        try checkTraceMatches(trace)
        guard (0..<layerCount).contains(layer) else {
            throw GateError("layer \(layer + 1) does not exist: the model has \(Wording.count(layerCount, "layer"))")
        }
        guard layers[layer].directions.contains(direction) else {
            throw GateError("layer \(layer + 1) has no reverse direction")
        }
        guard trace.steps > 0 else { return GradientFlow(hidden: [], cell: []) }
        func unit(_ width: Int) -> [Float] { [Float](repeating: 1 / Float(width).squareRoot(), count: width) }
        let fromHidden = BackwardPass(model: self, trace: trace, accumulatesWeights: false)
        fromHidden.seedFuture(layer: layer, direction: direction, hidden: unit(layers[layer].stateSize), cell: nil)
        try progress?.beginPart(steps: fromHidden.sweepLength * (layers[layer].cell.hasCellState ? 2 : 1))
        try fromHidden.run(trace, outputGrad: nil, progress: progress)
        guard layers[layer].cell.hasCellState else { return fromHidden.flow }
        let fromCell = BackwardPass(model: self, trace: trace, accumulatesWeights: false)
        fromCell.seedFuture(layer: layer, direction: direction, hidden: nil, cell: unit(layers[layer].hiddenSize))
        try fromCell.run(trace, outputGrad: nil, progress: progress)
        return GradientFlow(hidden: fromHidden.flow.hidden, cell: fromCell.flow.cell)
    }
}

/// The gradient flow `gatescope trace --grad` adds to the JSON trace (and the visualizer may
/// plot): one norm per step and layer.
public struct TraceGradients: Sendable, Equatable {
    /// What the norms are taken of, for a top-level `"grad_of"` field:
    /// - `"loss"`: ‖∂L/∂h_t‖ and ‖∂L/∂c_t‖ for next-symbol cross-entropy on the trace's own
    ///   one-hot input or token ids (a text model with a head);
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
            "L2 norms of dL/dh_t and dL/dc_t, L the next-symbol (character or token) cross-entropy averaged over the steps"
        default:
            "L2 norms of u^T dh_T/dh_t and u^T dc_T/dc_t, u = (1,...,1)/sqrt(H): how much the top layer's last state depends on each step (no loss)"
        }
    }

    /// The fields of one layer direction's object at step t, in order: `grad_h`, and
    /// `grad_c` for an LSTM layer; `column` as in `RecurrentModel.flowColumns`.
    public func fields(t: Int, column: Int, hasCell: Bool) -> [(key: String, value: Float)] {
        var fields = [(key: "grad_h", value: flow.hidden[t][column])]
        if hasCell && !flow.cell.isEmpty { fields.append((key: "grad_c", value: flow.cell[t][column])) }
        return fields
    }
}

extension RecurrentModel {
    /// The gradient flow for `trace --grad`: the loss's when this model predicts the next
    /// symbol of one-hot input (a head as wide as the input, a vocabulary) or the next token
    /// of an embedding's input (a head with a score per embedding row), else the top layer's
    /// last-state sensitivity, which needs no targets. `progress`: one part, as in
    /// `sensitivity`.
    public func traceGradients(_ trace: Trace, progress: WorkProgress? = nil) throws -> TraceGradients {
        if let head, vocab != nil, embedding == nil, head.outputSize == inputSize, let loss = Loss.nextSymbol(trace.inputs) {
            return TraceGradients(gradientOf: "loss", flow: try backward(trace, loss: loss, progress: progress).flow)
        }
        if let head, let table = embedding, head.outputSize == table.vocabularySize,
           let tokens = trace.tokens, tokens.count > 1 {
            // The target at step t is the token of step t + 1, none at the last step.
            let loss = Loss.crossEntropy(targets: tokens.dropFirst().map { $0 } + [nil])
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
