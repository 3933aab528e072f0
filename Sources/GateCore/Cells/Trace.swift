/// Everything a model computed on one input sequence: for every step t, layer and direction,
/// every gate's pre-activation and activation, the candidate, c (LSTM), o ⊙ tanh(c) before a
/// projection, and h, and the head's y.
///
/// Values are kept in flat float32 arrays, each layer a segment laid out [t][direction][block][unit]
/// (gates) or [t][direction][unit] (states), so recording a step allocates nothing, and a
/// layer's h at step t, both directions side by side, is the row the next layer reads.
public struct Trace: Sendable {
    /// The shape of each recurrent layer (kind, sizes, directions); no weights.
    public internal(set) var stack: [LayerShape]
    /// The head's output width, 0 without a head.
    public internal(set) var outputSize: Int
    /// x_t for every step, T × inputSize (the embedding rows for an embedding model).
    public internal(set) var inputs: [[Float]]
    /// The token ids that selected the embedding rows; nil without an embedding.
    public internal(set) var tokens: [Int]?
    /// h and c before the first step of each direction, [layer][direction][unit] (zeros unless
    /// given); c only for LSTM layers.
    public internal(set) var initialHidden: [Float]
    public internal(set) var initialCell: [Float]

    /// Per layer [t][direction][block][unit], blocks in PyTorch row order (`CellKind.gates`).
    /// For the RNN the single block is h's pre-activation and activation.
    public internal(set) var preactivations: [Float]
    public internal(set) var activations: [Float]
    /// GRU layers only, [t][direction][unit]: the recurrent part of the candidate's
    /// pre-activation, W_hn h + b_hn (reset after) or W_hn (r ⊙ h) + b_hn (reset before).
    public internal(set) var candidateRecurrent: [Float]
    /// LSTM layers only, [t][direction][unit].
    public internal(set) var cellStates: [Float]
    /// Projected LSTM layers only, [t][direction][unit]: o ⊙ tanh(c), before W_hr.
    public internal(set) var hiddenBeforeProjection: [Float]
    /// Per layer [t][direction][unit of P]: each row is the layer's output at step t.
    public internal(set) var hiddenStates: [Float]
    /// [t][output], the head applied to the last layer's output; empty without a head.
    public internal(set) var outputs: [Float]
    /// The interventions this run was made with (empty for the model's own run).
    public internal(set) var pokes: [Poke] = []
    /// The sequence's step at which this trace starts: 0 for a whole trace, the window's
    /// start for one of `StepwiseRun`'s windows (its t counts from there).
    public internal(set) var firstStep = 0
    /// Where each layer's segment starts in each array.
    private(set) var offsets: [LayerOffsets]

    /// A layer's shape as the trace needs it.
    public struct LayerShape: Sendable, Equatable {
        public let cell: CellKind
        public let nonlinearity: Nonlinearity
        public let inputSize: Int
        public let hiddenSize: Int
        /// P: the projection size, or H.
        public let stateSize: Int
        public let projectionSize: Int
        public let directionCount: Int

        init(_ layer: RecurrentLayer) {
            cell = layer.cell
            nonlinearity = layer.nonlinearity
            inputSize = layer.inputSize
            hiddenSize = layer.hiddenSize
            stateSize = layer.stateSize
            projectionSize = layer.projectionSize
            directionCount = layer.directionCount
        }

        public var isBidirectional: Bool { directionCount == 2 }
        public var outputSize: Int { directionCount * stateSize }
        public var directions: [Direction] { isBidirectional ? [.forward, .reverse] : [.forward] }
        var blockCount: Int { cell.blockCount }
    }

    struct LayerOffsets: Sendable {
        var gates = 0, hidden = 0, cell = 0, recurrent = 0, projection = 0, initialHidden = 0, initialCell = 0
    }

    /// The sizes of the initial states `trace` takes: h0 per layer and direction (P each),
    /// c0 per LSTM layer and direction (H each).
    static func initialSizes(_ stack: [LayerShape]) -> (hidden: Int, cell: Int) {
        var hidden = 0, cell = 0
        for layer in stack {
            hidden += layer.directionCount * layer.stateSize
            if layer.cell.hasCellState { cell += layer.directionCount * layer.hiddenSize }
        }
        return (hidden, cell)
    }

    /// A trace laid out for `model` over `inputs`, its arrays to be filled by the forward
    /// pass. They are not zeroed: the pass writes every value of them (see `relayOut`).
    init(model: RecurrentModel, inputs: [[Float]], tokens: [Int]?, initialHidden: [Float], initialCell: [Float]) {
        stack = []
        outputSize = 0
        self.inputs = []
        self.tokens = nil
        self.initialHidden = []
        self.initialCell = []
        preactivations = []
        activations = []
        candidateRecurrent = []
        cellStates = []
        hiddenBeforeProjection = []
        hiddenStates = []
        outputs = []
        offsets = []
        relayOut(model: model, inputs: inputs, tokens: tokens, initialHidden: initialHidden, initialCell: initialCell)
    }

    /// Lays the trace out afresh for `model` over `inputs`, as `init` does, but keeps each
    /// array's storage where it has room: tracing window after window of one size into one
    /// trace then touches no new memory (a fresh array of that size is new pages, which the
    /// kernel faults in and zeroes, at every trace). What the arrays held is left in place
    /// until the forward pass overwrites it, as it overwrites every value, so no array is
    /// zeroed first.
    mutating func relayOut(model: RecurrentModel, inputs: [[Float]], tokens: [Int]?, initialHidden: [Float],
                           initialCell: [Float]) {
        stack = model.layers.map(LayerShape.init)
        outputSize = model.head?.outputSize ?? 0
        self.inputs = inputs
        self.tokens = tokens
        self.initialHidden = initialHidden
        self.initialCell = initialCell
        pokes = []
        firstStep = 0
        let T = inputs.count
        var next = LayerOffsets()
        offsets.removeAll(keepingCapacity: true)
        for layer in stack {
            offsets.append(next)
            let D = layer.directionCount, H = layer.hiddenSize
            next.gates += T * D * layer.blockCount * H
            next.hidden += T * layer.outputSize
            next.initialHidden += layer.outputSize
            if layer.cell.hasCellState {
                next.cell += T * D * H
                next.initialCell += D * H
            }
            if layer.cell == .gru || layer.cell == .gruResetBefore { next.recurrent += T * D * H }
            if layer.projectionSize > 0 { next.projection += T * D * H }
        }
        Self.resize(&preactivations, to: next.gates)
        Self.resize(&activations, to: next.gates)
        Self.resize(&candidateRecurrent, to: next.recurrent)
        Self.resize(&cellStates, to: next.cell)
        Self.resize(&hiddenBeforeProjection, to: next.projection)
        Self.resize(&hiddenStates, to: next.hidden)
        Self.resize(&outputs, to: T * outputSize)
    }

    /// Makes `array` `count` values long for the forward pass to fill: within its storage
    /// when that has room (values beyond the old end zeroed, as `append` must initialise
    /// them), else in new storage left as the allocator gives it (the pass writes every value
    /// before anything reads it; zeroing would only touch every page one more time).
    private static func resize(_ array: inout [Float], to count: Int) {
        if array.count > count {
            array.removeLast(array.count - count)
        } else if array.count < count {
            if array.capacity >= count {
                array.append(contentsOf: repeatElement(0, count: count - array.count))
            } else {
                array = [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
            }
        }
    }

    public var steps: Int { inputs.count }
    public var layerCount: Int { stack.count }
    /// The first layer's kind (the shared kind unless `isHybrid`).
    public var cell: CellKind { stack.first?.cell ?? .lstm }
    public var isHybrid: Bool { stack.contains { $0.cell != cell } }
    /// The size of x.
    public var inputSize: Int { stack.first?.inputSize ?? 0 }
    /// The first layer's H; see `hiddenSize(layer:)`.
    public var hiddenSize: Int { stack.first?.hiddenSize ?? 0 }

    public func cell(layer: Int) -> CellKind { stack[layer].cell }
    public func hiddenSize(layer: Int) -> Int { stack[layer].hiddenSize }

    /// Start of the H values of (t, layer, direction) in the [t][direction][unit] arrays of
    /// H-sized states, relative to the layer's segment.
    private func unitRow(t: Int, layer: Int, direction: Direction) -> Int {
        let shape = stack[layer]
        return (t * shape.directionCount + direction.rawValue) * shape.hiddenSize
    }

    func blockOffset(t: Int, layer: Int, block: Int, direction: Direction = .forward) -> Int {
        let shape = stack[layer]
        return offsets[layer].gates
            + ((t * shape.directionCount + direction.rawValue) * shape.blockCount + block) * shape.hiddenSize
    }

    /// Start of h of (t, layer, direction) in `hiddenStates`.
    func hiddenOffset(t: Int, layer: Int, direction: Direction = .forward) -> Int {
        let shape = stack[layer]
        return offsets[layer].hidden + t * shape.outputSize + direction.rawValue * shape.stateSize
    }

    private func block(of gate: Gate, layer: Int) -> Int {
        let cell = stack[layer].cell
        guard let index = cell.gates.firstIndex(of: gate) else {
            preconditionFailure("\(cell.displayName) has no \(gate.rawValue) gate")
        }
        return index
    }

    /// The activation of `gate` (σ for gates, tanh for the candidate) at step t.
    public func gate(_ gate: Gate, t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        let start = blockOffset(t: t, layer: layer, block: block(of: gate, layer: layer), direction: direction)
        return activations[start..<start + stack[layer].hiddenSize]
    }

    /// The value inside the nonlinearity of `gate` at step t.
    public func preactivation(_ gate: Gate, t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        let start = blockOffset(t: t, layer: layer, block: block(of: gate, layer: layer), direction: direction)
        return preactivations[start..<start + stack[layer].hiddenSize]
    }

    /// Block `block`'s pre-activation (the RNN's h pre-activation is block 0).
    public func preactivation(block: Int, t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        let start = blockOffset(t: t, layer: layer, block: block, direction: direction)
        return preactivations[start..<start + stack[layer].hiddenSize]
    }

    /// h after step t (the projected state for a projected LSTM), P values.
    public func hidden(t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        let start = hiddenOffset(t: t, layer: layer, direction: direction)
        return hiddenStates[start..<start + stack[layer].stateSize]
    }

    /// o ⊙ tanh(c) after step t, before the projection (projected LSTM only; empty otherwise).
    public func hiddenBeforeProjection(t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        guard stack[layer].projectionSize > 0 else { return [] }
        let start = offsets[layer].projection + unitRow(t: t, layer: layer, direction: direction)
        return hiddenBeforeProjection[start..<start + stack[layer].hiddenSize]
    }

    /// c after step t (LSTM only; empty otherwise).
    public func cellState(t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        guard stack[layer].cell.hasCellState else { return [] }
        let start = offsets[layer].cell + unitRow(t: t, layer: layer, direction: direction)
        return cellStates[start..<start + stack[layer].hiddenSize]
    }

    /// The step whose state enters step t: t - 1 going forward, t + 1 in reverse; nil when
    /// the initial state does.
    public func previousStep(_ t: Int, direction: Direction) -> Int? {
        let previous = direction == .forward ? t - 1 : t + 1
        return (0..<steps).contains(previous) ? previous : nil
    }

    /// h entering step t: the initial state at the direction's first step, else h after the
    /// step before it.
    public func previousHidden(t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        if let previous = previousStep(t, direction: direction) {
            return hidden(t: previous, layer: layer, direction: direction)
        }
        let P = stack[layer].stateSize
        let start = offsets[layer].initialHidden + direction.rawValue * P
        return initialHidden[start..<start + P]
    }

    /// c entering step t (LSTM only; empty otherwise).
    public func previousCellState(t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        guard stack[layer].cell.hasCellState else { return [] }
        if let previous = previousStep(t, direction: direction) {
            return cellState(t: previous, layer: layer, direction: direction)
        }
        let H = stack[layer].hiddenSize
        let start = offsets[layer].initialCell + direction.rawValue * H
        return initialCell[start..<start + H]
    }

    /// The GRU candidate's recurrent part at step t (see `candidateRecurrent`).
    public func candidateRecurrentPart(t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        let cell = stack[layer].cell
        guard cell == .gru || cell == .gruResetBefore else { return [] }
        let start = offsets[layer].recurrent + unitRow(t: t, layer: layer, direction: direction)
        return candidateRecurrent[start..<start + stack[layer].hiddenSize]
    }

    /// The layer's output at step t: h, or both directions' h side by side.
    public func layerOutput(t: Int, layer: Int) -> ArraySlice<Float> {
        let start = hiddenOffset(t: t, layer: layer)
        return hiddenStates[start..<start + stack[layer].outputSize]
    }

    /// The input a layer saw at step t: x_t for layer 0, the layer below's output otherwise.
    public func layerInput(t: Int, layer: Int) -> [Float] {
        layer == 0 ? inputs[t] : Array(layerOutput(t: t, layer: layer - 1))
    }

    /// The head's output at step t; empty without a head.
    public func output(t: Int) -> ArraySlice<Float> {
        outputs[t * outputSize..<(t + 1) * outputSize]
    }
}
