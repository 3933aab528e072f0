/// The weights of one layer, exactly as PyTorch stores them: `weight_ih_l{k}` is
/// (G·H × I) and `weight_hh_l{k}` is (G·H × H), both row-major, with the G gate blocks
/// stacked in rows in PyTorch's order (see `CellKind.gates`).
public struct LayerWeights: Equatable, Sendable {
    public var inputSize: Int
    public var hiddenSize: Int
    public var weightIH: [Float]
    public var weightHH: [Float]
    /// nil when the layer was built with `bias=False`.
    public var biasIH: [Float]?
    public var biasHH: [Float]?

    public init(inputSize: Int, hiddenSize: Int, weightIH: [Float], weightHH: [Float],
                biasIH: [Float]?, biasHH: [Float]?) {
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.weightIH = weightIH
        self.weightHH = weightHH
        self.biasIH = biasIH
        self.biasHH = biasHH
    }
}

/// An optional linear read-out applied to the last layer's h: y = W h + b.
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

/// A stack of recurrent layers of one kind, as `nn.LSTM` / `nn.GRU` / `nn.RNN` with
/// `num_layers = layers.count`, plus an optional head and vocabulary.
public struct RecurrentModel: Equatable, Sendable {
    public var cell: CellKind
    public var layers: [LayerWeights]
    public var head: LinearHead?
    /// One symbol per input feature, for one-hot text input; nil for numeric models.
    public var vocab: [Character]?
    /// Free-form string metadata carried in and out of model files (task, seed, …).
    public var metadata: [String: String]

    public init(cell: CellKind, layers: [LayerWeights], head: LinearHead? = nil,
                vocab: [Character]? = nil, metadata: [String: String] = [:]) {
        self.cell = cell
        self.layers = layers
        self.head = head
        self.vocab = vocab
        self.metadata = metadata
    }

    public var inputSize: Int { layers.first?.inputSize ?? 0 }
    public var hiddenSize: Int { layers.first?.hiddenSize ?? 0 }
    public var layerCount: Int { layers.count }
    public var hasBias: Bool { layers.first?.biasIH != nil }

    /// Number of trainable scalars, head included: G·(H·I_k + H·H + 2H) per layer.
    public var parameterCount: Int {
        var total = 0
        for layer in layers {
            total += layer.weightIH.count + layer.weightHH.count
            total += (layer.biasIH?.count ?? 0) + (layer.biasHH?.count ?? 0)
        }
        if let head { total += head.weight.count + (head.bias?.count ?? 0) }
        return total
    }

    /// Multiply-adds of one time step through the recurrent layers (head excluded).
    public var multiplyAddsPerStep: Int {
        layers.reduce(0) { $0 + $1.weightIH.count + $1.weightHH.count }
    }

    /// A freshly initialised model with PyTorch's distribution: every weight and bias from
    /// U(-1/√H, 1/√H), drawn from a seeded generator so the same seed gives the same model.
    public static func random(cell: CellKind, inputSize: Int, hiddenSize: Int, layers: Int = 1,
                              bias: Bool = true, outputSize: Int? = nil, seed: UInt64) -> RecurrentModel {
        var rng = SeededGenerator(seed: seed)
        let bound = 1 / Float(hiddenSize).squareRoot()
        func draw(_ count: Int) -> [Float] { (0..<count).map { _ in rng.uniform(-bound, bound) } }
        let rows = cell.blockCount * hiddenSize
        var stack: [LayerWeights] = []
        for k in 0..<layers {
            let inSize = k == 0 ? inputSize : hiddenSize
            stack.append(LayerWeights(
                inputSize: inSize, hiddenSize: hiddenSize,
                weightIH: draw(rows * inSize), weightHH: draw(rows * hiddenSize),
                biasIH: bias ? draw(rows) : nil, biasHH: bias ? draw(rows) : nil))
        }
        var head: LinearHead?
        if let outputSize {
            // nn.Linear's default: U(-1/√fan_in, 1/√fan_in) for weight and bias alike.
            head = LinearHead(outputSize: outputSize, inputSize: hiddenSize,
                              weight: draw(outputSize * hiddenSize), bias: draw(outputSize))
        }
        return RecurrentModel(cell: cell, layers: stack, head: head)
    }
}
