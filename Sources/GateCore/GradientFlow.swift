/// The gradient flow along a sequence, for teaching: how much of the gradient reaches each
/// step, which is what vanishes in a plain RNN and survives in the gated cells.

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
    public func sensitivity(_ trace: Trace, layer: Int) throws -> GradientFlow {
        try checkTraceMatches(trace)
        guard (0..<layerCount).contains(layer) else {
            throw GateError("layer \(layer) does not exist: the model has \(layerCount) layer(s)")
        }
        guard trace.steps > 0 else { return GradientFlow(hidden: [], cell: []) }
        let unit = [Float](repeating: 1 / Float(hiddenSize).squareRoot(), count: hiddenSize)
        let fromHidden = BackwardPass(model: self, trace: trace, accumulatesWeights: false)
        fromHidden.seedFuture(layer: layer, hidden: unit, cell: nil)
        fromHidden.run(trace, outputGrad: nil)
        guard cell.hasCellState else { return fromHidden.flow }
        let fromCell = BackwardPass(model: self, trace: trace, accumulatesWeights: false)
        fromCell.seedFuture(layer: layer, hidden: nil, cell: unit)
        fromCell.run(trace, outputGrad: nil)
        return GradientFlow(hidden: fromHidden.flow.hidden, cell: fromCell.flow.cell)
    }
}
