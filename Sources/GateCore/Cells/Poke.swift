/// An intervention in a run (a "what-if"): the input at a step replaced, a gate of one unit
/// clamped to a value over a span of steps, or a gate's bias for one unit nudged. A trace
/// with pokes is the model's own forward pass with the change made where it happens, so
/// everything downstream (later gates, c, h, the layers above, the head) follows exactly.
public enum Poke: Sendable, Equatable {
    /// x at `step` (0-based) becomes `input`: a token id for an embedding model, else values.
    case setInput(step: Int, input: StepInput)
    /// The gate's activation of one unit is replaced by `value` at the steps of `span`; its
    /// pre-activation is kept as computed.
    case clamp(PokeSite, value: Float, span: StepSpan)
    /// The gate's bias of one unit grows by `delta` at every step (b_ih as PyTorch stores it;
    /// the pre-activation is the nudged one).
    case nudge(PokeSite, delta: Float)
}

/// What enters a step after a `setInput` poke.
public enum StepInput: Sendable, Equatable {
    case token(Int)
    case values([Float])
}

/// A gate of one unit of one layer's direction; layer and unit 0-based, as PyTorch indexes them.
public struct PokeSite: Sendable, Equatable {
    public var layer: Int
    public var direction: Direction
    public var gate: Gate
    public var unit: Int

    public init(layer: Int = 0, direction: Direction = .forward, gate: Gate, unit: Int) {
        self.layer = layer
        self.direction = direction
        self.gate = gate
        self.unit = unit
    }
}

/// Steps `first` through `last` (0-based, inclusive), or from `first` to the end when `last`
/// is nil. Steps count in time order whatever the direction runs.
public struct StepSpan: Sendable, Equatable {
    public var first: Int
    public var last: Int?

    public init(first: Int, last: Int?) {
        self.first = first
        self.last = last
    }

    public static func step(_ t: Int) -> StepSpan { StepSpan(first: t, last: t) }
    public static func from(_ t: Int) -> StepSpan { StepSpan(first: t, last: nil) }
}

extension Poke {
    /// The poke in short, close to the command line's spelling: "forget:2=0@5-",
    /// "forget:2 bias +0.5" for a nudge, "input 1=(0, 1, 0)" for an input; steps from 1.
    public var spelling: String {
        func number(_ value: Float) -> String {
            var text = String(format: "%.2f", Double(value))
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
            return text
        }
        func site(_ site: PokeSite) -> String {
            (site.layer > 0 ? "layer \(site.layer + 1) " : "") + "\(site.gate.rawValue):\(site.unit)"
                + (site.direction == .reverse ? " (reverse)" : "")
        }
        switch self {
        case .setInput(let t, .token(let id)): return "input \(t + 1)=#\(id)"
        case .setInput(let t, .values(let values)): return "input \(t + 1)=\(InputSequence.valueLabel(values))"
        case .clamp(let where_, let value, let span):
            let steps = span.last.map { $0 == span.first ? "\(span.first + 1)" : "\(span.first + 1)-\($0 + 1)" } ?? "\(span.first + 1)-"
            return "\(site(where_))=\(number(value))@\(steps)"
        case .nudge(let where_, let delta): return "\(site(where_)) bias \(delta < 0 ? "" : "+")\(number(delta))"
        }
    }
}

extension RecurrentModel {
    /// Refuses a poke that does not fit this model on `steps` steps, saying what does.
    public func check(_ poke: Poke, steps: Int) throws {
        func checkStep(_ t: Int) throws {
            guard (0..<steps).contains(t) else {
                throw GateError("step \(t + 1) is outside the sequence's steps 1 to \(steps)")
            }
        }
        func checkSite(_ site: PokeSite) throws {
            guard layers.indices.contains(site.layer) else {
                throw GateError("layer \(site.layer + 1) is outside the model's layers 1 to \(layers.count)")
            }
            let layer = layers[site.layer]
            guard layer.directions.contains(site.direction) else {
                throw GateError("layer \(site.layer + 1) has no reverse direction")
            }
            let gates = layer.cell.gates.filter { $0 != .candidate }
            guard gates.contains(site.gate) else {
                let names = gates.map(\.rawValue).joined(separator: ", ")
                throw GateError(gates.isEmpty
                    ? "the \(layer.cell.displayName) has no gates to poke"
                    : "the \(layer.cell.displayName) has no \(site.gate.rawValue) gate: its gates are \(names)")
            }
            guard (0..<layer.hiddenSize).contains(site.unit) else {
                throw GateError("unit \(site.unit) is outside layer \(site.layer + 1)'s units 0 to \(layer.hiddenSize - 1)")
            }
        }
        func checkFinite(_ value: Float, _ what: String) throws {
            guard value.isFinite else { throw GateError("the \(what) must be a finite number") }
        }
        switch poke {
        case .setInput(let step, let input):
            try checkStep(step)
            switch (input, embedding) {
            case (.token(let id), let embedding?):
                guard (0..<embedding.vocabularySize).contains(id) else {
                    throw GateError("token id \(id) is outside the embedding's ids 0 to \(embedding.vocabularySize - 1)")
                }
            case (.token, nil): throw GateError("this model has no embedding: give the step's \(inputSize) values")
            case (.values, _?): throw GateError("this model reads token ids through its embedding: give a token")
            case (.values(let values), nil):
                guard values.count == inputSize else {
                    throw GateError("\(Wording.count(values.count, "value")) given, the model reads \(inputSize) per step")
                }
                for value in values { try checkFinite(value, "input") }
            }
        case .clamp(let site, let value, let span):
            try checkSite(site)
            try checkFinite(value, "clamp value")
            try checkStep(span.first)
            if let last = span.last {
                try checkStep(last)
                guard last >= span.first else {
                    throw GateError("the steps \(span.first + 1)-\(last + 1) run backwards")
                }
            }
        case .nudge(let site, let delta):
            try checkSite(site)
            try checkFinite(delta, "nudge")
        }
    }

    /// The trace of a run with `pokes` made (see `Poke`); the same as `trace` when there are
    /// none. Input pokes replace steps of `inputs` (or of `tokens` for an embedding model),
    /// nudges add to a copy of the biases, and clamps are made inside the steps.
    public func trace(_ inputs: [[Float]], tokens: [Int]?, pokes: [Poke], progress: WorkProgress? = nil) throws -> Trace {
        try checkWidths(inputs)
        let run = try StepwiseRun(model: self, inputs: StepRows(inputs), tokens: tokens, pokes: pokes)
        return try run.trace(steps: 0..<run.steps, progress: progress)
    }
}

extension RecurrentLayer {
    /// b_ih of the gate's row for the unit grows by `delta` (a bias of zeros is made for a
    /// layer without one, which adds nothing else).
    mutating func nudgeBias(_ site: PokeSite, by delta: Float) {
        let row = (cell.gates.firstIndex(of: site.gate) ?? 0) * hiddenSize + site.unit
        let rows = cell.blockCount * hiddenSize
        if site.direction == .reverse, var weights = reverse {
            weights.biasIH = (weights.biasIH ?? [Float](repeating: 0, count: rows))
            weights.biasIH?[row] += delta
            reverse = weights
        } else {
            forward.biasIH = (forward.biasIH ?? [Float](repeating: 0, count: rows))
            forward.biasIH?[row] += delta
        }
    }
}

/// A clamp as the steps apply it: activation slot `slot` of the step's blocks (block · H +
/// unit) is `value` at steps `first` through `last`.
struct StepClamp {
    let slot: Int
    let value: Float
    let first: Int
    let last: Int
}
