/// The weights of one direction of one recurrent layer, exactly as PyTorch stores them:
/// `weight_ih_l{k}` is (G·H × I) and `weight_hh_l{k}` is (G·H × P), both row-major, with the
/// G gate blocks stacked in rows in PyTorch's order (see `CellKind.gates`); P is the
/// projection size of an LSTM with `proj_size`, else H. The reverse direction of a
/// bidirectional layer has its own set, `*_reverse` in PyTorch.
public struct LayerWeights: Equatable, Sendable {
    public var inputSize: Int
    public var hiddenSize: Int
    public var weightIH: [Float]
    public var weightHH: [Float]
    /// nil when the layer was built with `bias=False`.
    public var biasIH: [Float]?
    public var biasHH: [Float]?
    /// `weight_hr_l{k}` (P × H) of an LSTM with `proj_size` P: h = W_hr (o ⊙ tanh c). nil
    /// without a projection.
    public var projection: [Float]?

    public init(inputSize: Int, hiddenSize: Int, weightIH: [Float], weightHH: [Float],
                biasIH: [Float]?, biasHH: [Float]?, projection: [Float]? = nil) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.weightIH = weightIH
        self.weightHH = weightHH
        self.biasIH = biasIH
        self.biasHH = biasHH
        self.projection = projection
    }

    /// P, the size of h (what the layer outputs and feeds back): the projection's rows, or H.
    public var stateSize: Int {
        guard let projection, hiddenSize > 0 else { return hiddenSize }
        return projection.count / hiddenSize
    }

    /// The projection size as PyTorch's `proj_size` counts it: 0 without a projection.
    public var projectionSize: Int { projection == nil ? 0 : stateSize }

    /// Trainable scalars of this direction.
    var parameterCount: Int {
        weightIH.count + weightHH.count + (biasIH?.count ?? 0) + (biasHH?.count ?? 0) + (projection?.count ?? 0)
    }

    /// Multiply-adds of one time step of this direction.
    var multiplyAdds: Int { weightIH.count + weightHH.count + (projection?.count ?? 0) }
}

/// The squashing function of an Elman RNN (`nn.RNN(nonlinearity=...)`); the gated cells
/// always use σ and tanh.
public enum Nonlinearity: String, Sendable, Equatable, CaseIterable {
    case tanh
    case relu
}

/// Which way a layer's pass runs: forward from step 0, or (the second direction of a
/// bidirectional layer) reverse from the last step.
public enum Direction: Int, Sendable, CaseIterable {
    case forward = 0
    case reverse = 1

    public var name: String { self == .forward ? "forward" : "reverse" }
}

/// One recurrent layer of the pipeline: its cell kind, and the weights of its forward
/// direction and, when bidirectional, of its reverse direction. Its output at step t is h_t,
/// or [forward h_t, reverse h_t] when bidirectional, as PyTorch concatenates them.
public struct RecurrentLayer: Equatable, Sendable {
    public var cell: CellKind
    /// tanh, or relu for an `nn.RNN(nonlinearity="relu")` layer; always tanh for gated cells.
    public var nonlinearity: Nonlinearity
    public var forward: LayerWeights
    public var reverse: LayerWeights?

    public init(cell: CellKind, nonlinearity: Nonlinearity = .tanh, forward: LayerWeights,
                reverse: LayerWeights? = nil) {
        self.cell = cell
        self.nonlinearity = nonlinearity
        self.forward = forward
        self.reverse = reverse
    }

    public var inputSize: Int { forward.inputSize }
    public var hiddenSize: Int { forward.hiddenSize }
    /// The size of one direction's h (the projection size of a projected LSTM, else H).
    public var stateSize: Int { forward.stateSize }
    public var projectionSize: Int { forward.projectionSize }
    public var isBidirectional: Bool { reverse != nil }
    public var directionCount: Int { reverse == nil ? 1 : 2 }
    public var directions: [Direction] { reverse == nil ? [.forward] : [.forward, .reverse] }
    /// What the next layer (or the head) reads per step: D · P.
    public var outputSize: Int { directionCount * stateSize }
    public var hasBias: Bool { forward.biasIH != nil }

    public func weights(_ direction: Direction) -> LayerWeights {
        direction == .reverse ? reverse ?? forward : forward
    }

    /// "bidirectional LSTM, input 8, hidden 16, projection 4": for headers and `inspect`.
    public var summary: String {
        var text = (isBidirectional ? "bidirectional " : "") + cell.displayName
        if cell == .rnn && nonlinearity == .relu { text += " (relu)" }
        text += ", input \(inputSize), hidden \(hiddenSize)"
        if projectionSize > 0 { text += ", projection \(projectionSize)" }
        return text
    }
}

/// `nn.Embedding`: row i of the (V × E) table is the vector that enters the first layer for
/// token id i.
public struct Embedding: Equatable, Sendable {
    public var vocabularySize: Int
    public var dimension: Int
    /// (V × E), row-major.
    public var weight: [Float]

    public init(vocabularySize: Int, dimension: Int, weight: [Float]) {
        self.vocabularySize = vocabularySize
        self.dimension = dimension
        self.weight = weight
    }

    /// The row of token `id`; nil when the id is outside the table.
    public func row(_ id: Int) -> [Float]? {
        guard (0..<vocabularySize).contains(id) else { return nil }
        return Array(weight[id * dimension..<(id + 1) * dimension])
    }
}

/// An optional linear read-out applied to the last layer's output: y = W h + b.
public struct LinearHead: Equatable, Sendable {
    public var outputSize: Int
    public var inputSize: Int
    /// (outputSize × inputSize), row-major, as `nn.Linear.weight`.
    public var weight: [Float]
    public var bias: [Float]?

    public init(outputSize: Int, inputSize: Int, weight: [Float], bias: [Float]?) {
        self.outputSize = outputSize
        self.inputSize = inputSize
        self.weight = weight
        self.bias = bias
    }
}

/// The pipeline gatescope runs: an optional embedding → recurrent layers, each with its own
/// cell kind, direction(s) and (LSTM) projection → an optional linear head. A plain
/// `nn.LSTM` / `nn.GRU` / `nn.RNN` stack is the case of one kind, one direction.
public struct RecurrentModel: Equatable, Sendable {
    public var embedding: Embedding?
    public var layers: [RecurrentLayer]
    public var head: LinearHead?
    /// One symbol per input: per one-hot feature for a model without embedding, per
    /// embedding row (token id) for one with; nil for numeric models.
    public var vocab: [Character]?
    /// Free-form string metadata carried in and out of model files (task, seed, …).
    public var metadata: [String: String]

    public init(embedding: Embedding? = nil, layers: [RecurrentLayer], head: LinearHead? = nil,
                vocab: [Character]? = nil, metadata: [String: String] = [:]) {
        self.embedding = embedding
        self.layers = layers
        self.head = head
        self.vocab = vocab
        self.metadata = metadata
    }

    /// A plain stack of one kind, one direction, as `nn.LSTM` / `nn.GRU` / `nn.RNN` with
    /// `num_layers = layers.count`.
    public init(cell: CellKind, layers: [LayerWeights], head: LinearHead? = nil,
                vocab: [Character]? = nil, metadata: [String: String] = [:]) {
        self.init(layers: layers.map { RecurrentLayer(cell: cell, forward: $0) }, head: head,
                  vocab: vocab, metadata: metadata)
    }

    /// The shared cell kind of the layers (the first layer's in a hybrid stack; see `isHybrid`).
    public var cell: CellKind { layers.first?.cell ?? .lstm }
    /// Whether the layers are of more than one kind.
    public var isHybrid: Bool { layers.contains { $0.cell != cell } }
    /// "lstm", or "hybrid" when the layers differ, as the JSON trace names it.
    public var cellName: String { isHybrid ? "hybrid" : cell.rawValue }
    /// The size of x, what enters the first layer (the embedding's dimension when there is one).
    public var inputSize: Int { layers.first?.inputSize ?? 0 }
    /// The first layer's H.
    public var hiddenSize: Int { layers.first?.hiddenSize ?? 0 }
    public var layerCount: Int { layers.count }
    public var hasBias: Bool { layers.first?.hasBias ?? false }
    /// What the head reads: the last layer's output size.
    public var outputWidth: Int { layers.last?.outputSize ?? 0 }

    /// Whether this is a plain PyTorch stack: one kind, one direction, tanh, no projection, no
    /// embedding — the pipeline the backward pass covers.
    public var isPlainStack: Bool {
        embedding == nil && !isHybrid
            && layers.allSatisfy { !$0.isBidirectional && $0.projectionSize == 0 && $0.nonlinearity == .tanh }
    }

    /// Number of trainable scalars, embedding and head included.
    public var parameterCount: Int {
        var total = embedding?.weight.count ?? 0
        for layer in layers {
            total += layer.forward.parameterCount + (layer.reverse?.parameterCount ?? 0)
        }
        if let head { total += head.weight.count + (head.bias?.count ?? 0) }
        return total
    }

    /// Multiply-adds of one time step through the recurrent layers (embedding lookup and head
    /// excluded), both directions and projections included.
    public var multiplyAddsPerStep: Int {
        layers.reduce(0) { $0 + $1.forward.multiplyAdds + ($1.reverse?.multiplyAdds ?? 0) }
    }

    /// A freshly initialised model with PyTorch's distribution: every weight and bias from
    /// U(-1/√H, 1/√H), drawn from a seeded generator so the same seed gives the same model.
    public static func random(cell: CellKind, inputSize: Int, hiddenSize: Int, layers: Int = 1,
                              bias: Bool = true, outputSize: Int? = nil, seed: UInt64) -> RecurrentModel {
        random(cells: Array(repeating: cell, count: layers), inputSize: inputSize, hiddenSize: hiddenSize,
               bias: bias, outputSize: outputSize, seed: seed)
    }

    /// A random pipeline: one layer per entry of `cells` (a hybrid stack when they differ),
    /// each with `hiddenSize` units, bidirectional and (LSTM layers) projected as asked.
    /// Weights are drawn layer by layer, forward direction then reverse, in PyTorch's
    /// parameter order, so a plain stack draws exactly what `random(cell:…)` always drew.
    public static func random(cells: [CellKind], inputSize: Int, hiddenSize: Int, bidirectional: Bool = false,
                              projectionSize: Int = 0, bias: Bool = true, outputSize: Int? = nil,
                              seed: UInt64) -> RecurrentModel {
        var rng = SeededGenerator(seed: seed)
        let bound = 1 / Float(hiddenSize).squareRoot()
        func draw(_ count: Int) -> [Float] { (0..<count).map { _ in rng.uniform(-bound, bound) } }
        var stack: [RecurrentLayer] = []
        var layerInput = inputSize
        for cell in cells {
            let rows = cell.blockCount * hiddenSize
            let projected = cell == .lstm && projectionSize > 0
            let state = projected ? projectionSize : hiddenSize
            func direction() -> LayerWeights {
                let wih = draw(rows * layerInput), whh = draw(rows * state)
                let bih = bias ? draw(rows) : nil, bhh = bias ? draw(rows) : nil
                return LayerWeights(inputSize: layerInput, hiddenSize: hiddenSize, weightIH: wih, weightHH: whh,
                                    biasIH: bih, biasHH: bhh, projection: projected ? draw(state * hiddenSize) : nil)
            }
            let forward = direction()
            let reverse = bidirectional ? direction() : nil
            let layer = RecurrentLayer(cell: cell, forward: forward, reverse: reverse)
            stack.append(layer)
            layerInput = layer.outputSize
        }
        var head: LinearHead?
        if let outputSize {
            // nn.Linear's default: U(-1/√fan_in, 1/√fan_in) for weight and bias alike (fan_in =
            // H for a plain stack, as the draws here always were).
            head = LinearHead(outputSize: outputSize, inputSize: layerInput,
                              weight: draw(outputSize * layerInput), bias: draw(outputSize))
        }
        return RecurrentModel(layers: stack, head: head)
    }
}

extension RecurrentModel {
    /// The parts of this pipeline beyond a plain stack, in words ("an embedding", "a
    /// bidirectional layer", …); empty for a plain stack.
    public var pipelineParts: [String] {
        var parts: [String] = []
        if embedding != nil { parts.append("an embedding") }
        if isHybrid { parts.append("layers of different kinds") }
        if layers.contains(where: \.isBidirectional) { parts.append("a bidirectional layer") }
        if layers.contains(where: { $0.projectionSize > 0 }) { parts.append("a projection") }
        if layers.contains(where: { $0.nonlinearity == .relu }) { parts.append("a relu RNN layer") }
        return parts
    }
}
