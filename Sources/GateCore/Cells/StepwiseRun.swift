/// The state a model carries from one step to the next: h per layer ([layer][unit of P]) and
/// c per LSTM layer ([LSTM layer][unit]), laid out as `trace`'s initial states take them.
public struct StepState: Sendable, Equatable {
    public var hidden: [Float]
    public var cell: [Float]
}

/// A model's run over a sequence, prepared once (pokes made: inputs replaced, biases nudged,
/// clamps placed) so that any window of steps can be traced from the state entering it. A
/// window's values are computed by the same code as a whole trace's (`run`), from the very
/// float32 states the whole trace passes along, so they are bit-identical to it: this is how
/// `trace` streams a long sequence and the visualizer shows one kept at checkpoints.
///
/// A bidirectional layer's reverse pass starts from the last step, so with one the run can
/// only be traced whole (`isWindowed` false), and the trace budget holds it.
public struct StepwiseRun: Sendable {
    /// The model with nudged biases.
    let model: RecurrentModel
    /// x_t of every step after input pokes; the ids when the model has an embedding.
    let inputs: StepRows
    let tokens: [Int]?
    /// Per layer and direction (index 2k + d), the clamps, their steps absolute.
    let clamps: [[StepClamp]]
    public let pokes: [Poke]

    /// The run of `scenario`'s model on its inputs with its pokes.
    public init(_ scenario: Scenario) throws {
        try self.init(model: scenario.model, inputs: scenario.inputs, tokens: scenario.tokens, pokes: scenario.pokes)
    }

    /// Input pokes replace steps of `inputs` (or of `tokens` for an embedding model), nudges
    /// add to a copy of the biases, and clamps are made inside the steps.
    init(model: RecurrentModel, inputs: StepRows, tokens: [Int]?, pokes: [Poke]) throws {
        let steps = tokens?.count ?? inputs.count
        for poke in pokes { try model.check(poke, steps: steps) }
        var poked = model
        var inputs = inputs, tokens = tokens
        var clamps = [[StepClamp]](repeating: [], count: pokes.isEmpty ? 0 : model.layers.count * 2)
        for poke in pokes {
            switch poke {
            case .setInput(let t, .token(let id)): tokens?[t] = id
            case .setInput(let t, .values(let values)): inputs[t] = values
            case .clamp(let site, let value, let span):
                let layer = model.layers[site.layer]
                let block = layer.cell.gates.firstIndex(of: site.gate) ?? 0
                clamps[site.layer * 2 + site.direction.rawValue].append(StepClamp(
                    slot: block * layer.hiddenSize + site.unit, value: value,
                    first: span.first, last: span.last ?? steps - 1))
            case .nudge(let site, let delta):
                poked.layers[site.layer].nudgeBias(site, by: delta)
            }
        }
        self.model = poked
        self.inputs = inputs
        self.tokens = tokens
        self.clamps = clamps
        self.pokes = pokes
    }

    public var steps: Int { tokens?.count ?? inputs.count }

    /// Whether windows can be traced on their own (`RecurrentModel.isWindowed`).
    public var isWindowed: Bool { model.isWindowed }

    /// The trace of steps `window`, starting from `state`, the state entering its first step
    /// (the run's initial zeros when nil; required for a window after step 0, taken from the
    /// trace of the steps before it: `Trace.finalState`). The trace's `firstStep` is the
    /// window's start; its values are those of the whole trace at the same steps.
    public func trace(steps window: Range<Int>, from state: StepState? = nil,
                      progress: WorkProgress? = nil) throws -> Trace {
        let (rows, windowTokens, shifted) = try windowInputs(window, from: state)
        var trace = try model.run(rows, tokens: windowTokens, initialHidden: state?.hidden, initialCell: state?.cell,
                                  clamps: shifted, progress: progress)
        trace.pokes = pokes
        trace.firstStep = window.lowerBound
        return trace
    }

    /// `trace(steps:from:progress:)` written into `trace`, whose arrays' storage is kept
    /// where it has room (`RecurrentModel.trace(_:into:)`): windows of one size traced one
    /// after another into one trace fault in no new pages. After an error `trace` holds no
    /// meaningful values.
    public func trace(steps window: Range<Int>, from state: StepState? = nil, into trace: inout Trace,
                      progress: WorkProgress? = nil) throws {
        let (rows, windowTokens, shifted) = try windowInputs(window, from: state)
        try model.run(rows, tokens: windowTokens, initialHidden: state?.hidden, initialCell: state?.cell,
                      clamps: shifted, progress: progress, into: &trace)
        trace.pokes = pokes
        trace.firstStep = window.lowerBound
    }

    /// What a window's run takes: its input rows, its token ids, and the clamps with their
    /// steps counted from its start; refuses a window outside the sequence, one that a
    /// bidirectional layer cannot run alone, and a later window without its entering state.
    private func windowInputs(_ window: Range<Int>, from state: StepState?) throws
        -> (rows: [[Float]], tokens: [Int]?, clamps: [[StepClamp]]) {
        guard window.lowerBound >= 0, window.upperBound <= steps else {
            throw GateError("steps \(window.lowerBound + 1) to \(window.upperBound) are outside the sequence's \(steps)")
        }
        guard isWindowed || window == 0..<steps else {
            throw GateError("a bidirectional layer's reverse pass needs the whole sequence: it can only be traced whole")
        }
        guard window.lowerBound == 0 || state != nil else {
            throw GateError("a window after step 1 needs the state entering it")
        }
        let windowTokens = tokens.map { Array($0[window]) }
        let rows = try windowTokens.map(model.embeddingRows) ?? Array(inputs[window])
        // A clamp's steps are absolute; inside the window they count from its start.
        let shifted = clamps.map { direction in
            direction.map { StepClamp(slot: $0.slot, value: $0.value, first: $0.first - window.lowerBound,
                                      last: $0.last - window.lowerBound) }
        }
        return (rows, windowTokens, shifted)
    }

    /// Traces `window` a piece of at most `chunk` steps at a time, each piece starting from
    /// the state the one before ended in, and hands each to `body` as it is computed: only
    /// one piece is held at once, and each is traced into the storage of the one before
    /// (a piece that `body` keeps is copied first, as any array it shares).
    public func forEachPiece(of window: Range<Int>, chunk: Int, from state: StepState? = nil,
                             _ body: (Trace) throws -> Void) throws {
        let pieceSteps = max(chunk, 1)
        var piece = try trace(steps: window.lowerBound..<min(window.lowerBound + pieceSteps, window.upperBound), from: state)
        try body(piece)
        while piece.firstStep + piece.steps < window.upperBound {
            let start = piece.firstStep + piece.steps
            try trace(steps: start..<min(start + pieceSteps, window.upperBound), from: piece.finalState, into: &piece)
            try body(piece)
        }
    }

    /// Steps per piece so that a piece holds about `values` recorded values (at least one step).
    public func chunkSteps(values: Int = 1 << 20) -> Int {
        max(1, values / max(1, InputSequence.traceValuesPerStep(model)))
    }
}

extension RecurrentModel {
    /// Whether a window of steps can be traced from the state entering it alone: no layer
    /// runs in reverse, from the last step.
    public var isWindowed: Bool { !layers.contains(where: \.isBidirectional) }
}

extension Trace {
    /// The state after the trace's last step, from which the next window starts: h of every
    /// layer, and c of every LSTM layer (forward directions; see `StepwiseRun.isWindowed`).
    public var finalState: StepState {
        steps > 0 ? state(entering: steps) : StepState(hidden: initialHidden, cell: initialCell)
    }
}
