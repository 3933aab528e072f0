/// Everything a model computed on one input sequence: for every step t and layer, every
/// gate's pre-activation and activation, the candidate, c (LSTM) and h, and the head's y.
///
/// Values are kept in flat float32 arrays indexed [t][layer][block][unit] (gates) or
/// [t][layer][unit] (states), so recording a step allocates nothing.
public struct Trace: Sendable {
    public let cell: CellKind
    public let inputSize: Int
    public let hiddenSize: Int
    public let layerCount: Int
    /// The head's output width, 0 without a head.
    public let outputSize: Int
    /// x_t for every step, T × inputSize.
    public let inputs: [[Float]]
    /// h and c before step 0, [layer][unit] (zeros unless given).
    public let initialHidden: [Float]
    public let initialCell: [Float]

    /// [t][layer][block][unit], blocks in PyTorch row order (`CellKind.gates`). For the
    /// RNN the single block is h's pre-activation and activation.
    public internal(set) var preactivations: [Float]
    public internal(set) var activations: [Float]
    /// GRU only, [t][layer][unit]: the recurrent part of the candidate's pre-activation,
    /// W_hn h + b_hn (reset after) or W_hn (r ⊙ h) + b_hn (reset before).
    public internal(set) var candidateRecurrent: [Float]
    /// [t][layer][unit]; empty unless the cell is an LSTM.
    public internal(set) var cellStates: [Float]
    /// [t][layer][unit].
    public internal(set) var hiddenStates: [Float]
    /// [t][output], the head applied to the last layer's h; empty without a head.
    public internal(set) var outputs: [Float]

    public var steps: Int { inputs.count }
    var blockCount: Int { cell.blockCount }

    init(model: RecurrentModel, inputs: [[Float]], initialHidden: [Float], initialCell: [Float]) {
        cell = model.cell
        inputSize = model.inputSize
        hiddenSize = model.hiddenSize
        layerCount = model.layerCount
        outputSize = model.head?.outputSize ?? 0
        self.inputs = inputs
        self.initialHidden = initialHidden
        self.initialCell = initialCell
        let states = inputs.count * layerCount * hiddenSize
        preactivations = [Float](repeating: 0, count: states * model.cell.blockCount)
        activations = preactivations
        candidateRecurrent = [Float](repeating: 0, count: model.cell == .lstm || model.cell == .rnn ? 0 : states)
        cellStates = [Float](repeating: 0, count: model.cell.hasCellState ? states : 0)
        hiddenStates = [Float](repeating: 0, count: states)
        outputs = [Float](repeating: 0, count: inputs.count * outputSize)
    }

    func stateOffset(t: Int, layer: Int) -> Int { (t * layerCount + layer) * hiddenSize }
    func blockOffset(t: Int, layer: Int, block: Int) -> Int {
        ((t * layerCount + layer) * blockCount + block) * hiddenSize
    }

    private func block(of gate: Gate) -> Int {
        guard let index = cell.gates.firstIndex(of: gate) else {
            preconditionFailure("\(cell.displayName) has no \(gate.rawValue) gate")
        }
        return index
    }

    /// The activation of `gate` (σ for gates, tanh for the candidate) at step t.
    public func gate(_ gate: Gate, t: Int, layer: Int) -> ArraySlice<Float> {
        let start = blockOffset(t: t, layer: layer, block: block(of: gate))
        return activations[start..<start + hiddenSize]
    }

    /// The value inside the nonlinearity of `gate` at step t.
    public func preactivation(_ gate: Gate, t: Int, layer: Int) -> ArraySlice<Float> {
        let start = blockOffset(t: t, layer: layer, block: block(of: gate))
        return preactivations[start..<start + hiddenSize]
    }

    /// h after step t.
    public func hidden(t: Int, layer: Int) -> ArraySlice<Float> {
        let start = stateOffset(t: t, layer: layer)
        return hiddenStates[start..<start + hiddenSize]
    }

    /// c after step t (LSTM only; empty otherwise).
    public func cellState(t: Int, layer: Int) -> ArraySlice<Float> {
        guard cell.hasCellState else { return [] }
        let start = stateOffset(t: t, layer: layer)
        return cellStates[start..<start + hiddenSize]
    }

    /// h entering step t: the initial state for t = 0, else h after t - 1.
    public func previousHidden(t: Int, layer: Int) -> ArraySlice<Float> {
        if t == 0 { return initialHidden[layer * hiddenSize..<(layer + 1) * hiddenSize] }
        return hidden(t: t - 1, layer: layer)
    }

    /// c entering step t (LSTM only; empty otherwise).
    public func previousCellState(t: Int, layer: Int) -> ArraySlice<Float> {
        guard cell.hasCellState else { return [] }
        if t == 0 { return initialCell[layer * hiddenSize..<(layer + 1) * hiddenSize] }
        return cellState(t: t - 1, layer: layer)
    }

    /// The GRU candidate's recurrent part at step t (see `candidateRecurrent`).
    public func candidateRecurrentPart(t: Int, layer: Int) -> ArraySlice<Float> {
        guard !candidateRecurrent.isEmpty else { return [] }
        let start = stateOffset(t: t, layer: layer)
        return candidateRecurrent[start..<start + hiddenSize]
    }

    /// The input a layer saw at step t: x_t for layer 0, the layer below's h otherwise.
    public func layerInput(t: Int, layer: Int) -> [Float] {
        layer == 0 ? inputs[t] : Array(hidden(t: t, layer: layer - 1))
    }

    /// The head's output at step t; empty without a head.
    public func output(t: Int) -> ArraySlice<Float> {
        outputs[t * outputSize..<(t + 1) * outputSize]
    }
}
