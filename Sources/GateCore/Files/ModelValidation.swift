/// The `state_dict` names of `nn.LSTM` / `nn.GRU` / `nn.RNN` parameters (`_reverse` for a
/// bidirectional layer's second direction) and of the embedding and head gatescope writes.
enum StateDictName {
    static func weightIH(_ layer: Int, _ direction: Direction = .forward) -> String { "weight_ih_l\(layer)" + suffix(direction) }
    static func weightHH(_ layer: Int, _ direction: Direction = .forward) -> String { "weight_hh_l\(layer)" + suffix(direction) }
    static func biasIH(_ layer: Int, _ direction: Direction = .forward) -> String { "bias_ih_l\(layer)" + suffix(direction) }
    static func biasHH(_ layer: Int, _ direction: Direction = .forward) -> String { "bias_hh_l\(layer)" + suffix(direction) }
    static func weightHR(_ layer: Int, _ direction: Direction = .forward) -> String { "weight_hr_l\(layer)" + suffix(direction) }
    static let headPrefix = "head."
    static let embeddingWeight = "embedding.weight"

    private static func suffix(_ direction: Direction) -> String { direction == .reverse ? "_reverse" : "" }
}

extension CellKind {
    /// `init(spelling:)` with a message naming the accepted spellings when it fails.
    public init(validating spelling: String) throws {
        guard let kind = CellKind(spelling: spelling) else {
            let known = CellKind.allCases.map(\.rawValue) + CellKind.aliases.keys.sorted()
            throw GateError("unknown cell \(String(reflecting: spelling)), expected one of \(known.joined(separator: ", "))")
        }
        self = kind
    }
}

extension RecurrentModel {
    /// The largest model gatescope builds from command-line sizes (400 MB of float32).
    public static let maxParameterCount = 100_000_000

    /// The parameter count of a model of these sizes, after checking that every size is at
    /// least 1 and that the model stays within `maxParameterCount`, before anything is
    /// allocated. Use it before `random(...)` on sizes that come from a user.
    @discardableResult
    public static func checkSizes(cell: CellKind, inputSize: Int, hiddenSize: Int, layers: Int,
                                  bias: Bool = true, outputSize: Int? = nil) throws -> Int {
        guard layers >= 1 else { throw GateError("layer count must be at least 1, got \(layers)") }
        // Layers after the first are alike: two entries stand for all of them.
        return try checkSizes(cells: Array(repeating: cell, count: min(layers, 2)), inputSize: inputSize,
                              hiddenSize: hiddenSize, bias: bias, outputSize: outputSize, layerCount: layers)
    }

    /// `checkSizes` for a pipeline `random(cells:…)` builds: one layer per kind, each
    /// bidirectional or not, LSTM layers projected to `projectionSize` (0: none, else
    /// 1 ≤ P < H). With `layerCount` > `cells.count`, the last kind repeats to that many layers.
    @discardableResult
    public static func checkSizes(cells: [CellKind], inputSize: Int, hiddenSize: Int, bidirectional: Bool = false,
                                  projectionSize: Int = 0, bias: Bool = true, outputSize: Int? = nil,
                                  layerCount: Int? = nil) throws -> Int {
        let layers = layerCount ?? cells.count
        guard inputSize >= 1 else { throw GateError("input size must be at least 1, got \(inputSize)") }
        guard hiddenSize >= 1 else { throw GateError("hidden size must be at least 1, got \(hiddenSize)") }
        guard layers >= 1 else { throw GateError("layer count must be at least 1, got \(layers)") }
        if let outputSize, outputSize < 1 {
            throw GateError("head output size must be at least 1, got \(outputSize)")
        }
        if projectionSize != 0 {
            guard cells.contains(.lstm) else { throw GateError("a projection (proj_size) is an LSTM's; this stack has no LSTM layer") }
            guard (1..<hiddenSize).contains(projectionSize) else {
                throw GateError("the projection size must be between 1 and the hidden size - 1 (\(hiddenSize - 1)), got \(projectionSize)")
            }
        }
        // Multiplying in Double cannot overflow; anything over the limit is refused anyway.
        let H = Double(hiddenSize), D = bidirectional ? 2.0 : 1.0
        var total = 0.0, layerInput = Double(inputSize), index = 0
        for cell in cells {
            let G = Double(cell.blockCount)
            let P = cell == .lstm && projectionSize > 0 ? Double(projectionSize) : H
            let projection = P < H ? P * H : 0
            let copies = index == cells.count - 1 ? Double(layers - cells.count + 1) : 1
            total += copies * D * (G * (H * layerInput + H * P + (bias ? 2 * H : 0)) + projection)
            layerInput = D * P
            index += 1
        }
        total += outputSize.map { Double($0) * (layerInput + 1) } ?? 0
        guard total <= Double(maxParameterCount) else {
            throw GateError("input \(inputSize), hidden \(hiddenSize), \(Wording.count(layers, "layer")) would need \(ModelFile.grouped(Int(min(total, 1e18)))) parameters; gatescope allows at most \(ModelFile.grouped(maxParameterCount))")
        }
        return Int(total)
    }

    /// Checks that the model is one PyTorch could hold: an embedding (if any) whose rows are
    /// the first layer's input; every layer with hidden and input sizes at least 1, reading
    /// what the layer below outputs, every array sized as its cell kind requires, both
    /// directions alike, a projection only on an LSTM and smaller than H, biases on both or
    /// neither of a direction's matrices (and, in a stack of one kind, on every layer or on
    /// none); a head reading the last layer's output; a vocabulary of distinct symbols, one
    /// per input (per embedding row); and every value finite. Messages name the tensor by
    /// its `state_dict` name.
    public func validate() throws {
        guard !layers.isEmpty else { throw GateError("the model has no layers") }
        let I = inputSize
        guard I >= 1 else { throw GateError("input size must be at least 1, got \(I)") }
        if let embedding {
            let name = StateDictName.embeddingWeight
            guard embedding.vocabularySize >= 1 else { throw GateError("\(name) has no rows") }
            guard embedding.dimension == I else {
                throw GateError("\(name) has rows of \(embedding.dimension) values, but the first layer reads \(I)")
            }
            try Self.checkValues(embedding.weight, name, shape: [embedding.vocabularySize, embedding.dimension])
        }
        var layerInput = I
        for (k, layer) in layers.enumerated() {
            let H = layer.hiddenSize, P = layer.stateSize
            guard H >= 1 else { throw GateError("layer \(k + 1) (the _l\(k) tensors) has hidden size \(H), expected at least 1") }
            guard layer.inputSize == layerInput else {
                throw GateError("layer \(k + 1) (the _l\(k) tensors) has input size \(layer.inputSize), expected \(layerInput) (what the layer below outputs)")
            }
            guard layer.nonlinearity == .tanh || layer.cell == .rnn else {
                throw GateError("layer \(k + 1) is a \(layer.cell.displayName) with \(layer.nonlinearity.rawValue): only the RNN takes another nonlinearity")
            }
            let (rows, overflow) = layer.cell.blockCount.multipliedReportingOverflow(by: H)
            guard !overflow else { throw GateError("hidden size \(H) is too large") }
            for direction in layer.directions {
                let weights = layer.weights(direction)
                guard weights.inputSize == layer.inputSize, weights.hiddenSize == H,
                      (weights.projection == nil) == (layer.forward.projection == nil) else {
                    throw GateError("layer \(k + 1)'s reverse direction has other sizes than its forward direction")
                }
                try Self.checkValues(weights.weightIH, StateDictName.weightIH(k, direction), shape: [rows, layerInput])
                if let projection = weights.projection {
                    let name = StateDictName.weightHR(k, direction)
                    guard layer.cell == .lstm else {
                        throw GateError("\(name): only an LSTM layer has a projection, layer \(k + 1) is a \(layer.cell.displayName)")
                    }
                    guard projection.count % H == 0, (1..<H).contains(P) else {
                        throw GateError("\(name) has \(projection.count) values: a projection maps the \(H) hidden units to between 1 and \(H - 1)")
                    }
                    try Self.checkValues(projection, name, shape: [P, H])
                }
                try Self.checkValues(weights.weightHH, StateDictName.weightHH(k, direction), shape: [rows, P])
                let ih = StateDictName.biasIH(k, direction), hh = StateDictName.biasHH(k, direction)
                switch (weights.biasIH, weights.biasHH) {
                case (nil, nil):
                    break
                case let (bih?, bhh?):
                    try Self.checkValues(bih, ih, shape: [rows])
                    try Self.checkValues(bhh, hh, shape: [rows])
                case (_?, nil):
                    throw GateError("\(ih) is present but \(hh) is missing")
                case (nil, _?):
                    throw GateError("\(hh) is present but \(ih) is missing")
                }
                guard (weights.biasIH != nil) == layer.hasBias else {
                    throw GateError("layer \(k + 1)'s two directions differ in having biases")
                }
            }
            guard isHybrid || layer.hasBias == hasBias else {
                throw GateError(hasBias ? "layer \(k + 1) (the _l\(k) tensors) has no biases but layer 1 has"
                                        : "layer \(k + 1) (the _l\(k) tensors) has biases but layer 1 has none")
            }
            layerInput = layer.outputSize
        }
        if let head {
            let weightName = StateDictName.headPrefix + "weight"
            guard head.outputSize >= 1 else {
                throw GateError("\(weightName) has \(head.outputSize) outputs, expected at least 1")
            }
            guard head.inputSize == layerInput else {
                throw GateError("\(weightName) reads \(head.inputSize) inputs, but the last layer outputs \(layerInput)")
            }
            try Self.checkValues(head.weight, weightName, shape: [head.outputSize, layerInput])
            if let bias = head.bias {
                try Self.checkValues(bias, StateDictName.headPrefix + "bias", shape: [head.outputSize])
            }
        }
        if let vocab {
            let symbols = embedding?.vocabularySize ?? I
            guard vocab.count == symbols else {
                throw GateError(embedding == nil ? "vocab has \(vocab.count) symbols but the input size is \(I)"
                    : "vocab has \(vocab.count) symbols but the embedding has \(symbols) rows")
            }
            var seen = Set<Character>()
            for symbol in vocab where !seen.insert(symbol).inserted {
                throw GateError("vocab lists \(String(reflecting: String(symbol))) twice")
            }
        }
    }

    /// `values` must fill `shape` exactly and hold only finite numbers.
    static func checkValues(_ values: [Float], _ name: String, shape: [Int]) throws {
        guard let expected = elementCount(shape), values.count == expected else {
            throw GateError("\(name) has \(Wording.count(values.count, "value")), expected \(bracketed(shape))")
        }
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            let position = shape.count == 2 ? [index / shape[1], index % shape[1]] : [index]
            throw GateError("\(name) has a non-finite value (\(values[index])) at \(bracketed(position))")
        }
    }
}
