/// The `state_dict` names of `nn.LSTM` / `nn.GRU` / `nn.RNN` parameters and of the head.
enum StateDictName {
    static func weightIH(_ layer: Int) -> String { "weight_ih_l\(layer)" }
    static func weightHH(_ layer: Int) -> String { "weight_hh_l\(layer)" }
    static func biasIH(_ layer: Int) -> String { "bias_ih_l\(layer)" }
    static func biasHH(_ layer: Int) -> String { "bias_hh_l\(layer)" }
    static let headPrefix = "head."
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
        guard inputSize >= 1 else { throw GateError("input size must be at least 1, got \(inputSize)") }
        guard hiddenSize >= 1 else { throw GateError("hidden size must be at least 1, got \(hiddenSize)") }
        guard layers >= 1 else { throw GateError("layer count must be at least 1, got \(layers)") }
        if let outputSize, outputSize < 1 {
            throw GateError("head output size must be at least 1, got \(outputSize)")
        }
        // Multiplying in Double cannot overflow; anything over the limit is refused anyway.
        let G = Double(cell.blockCount), H = Double(hiddenSize), I = Double(inputSize)
        let biasTerm = bias ? 2 * H : 0
        let first = G * (H * I + H * H + biasTerm)
        let others = Double(layers - 1) * G * (H * H + H * H + biasTerm)
        let head = outputSize.map { Double($0) * (H + 1) } ?? 0
        let total = first + others + head
        guard total <= Double(maxParameterCount) else {
            throw GateError("input \(inputSize), hidden \(hiddenSize), \(Wording.count(layers, "layer")) would need \(ModelFile.grouped(Int(min(total, 1e18)))) parameters; gatescope allows at most \(ModelFile.grouped(maxParameterCount))")
        }
        return Int(total)
    }

    /// Checks that the model is one PyTorch could hold: hidden and input sizes and the layer
    /// count at least 1, every array sized as the cell kind requires (layer k > 0 takes
    /// the hidden size as input), biases on every layer or on none, a head reading the last
    /// h, a vocabulary of distinct symbols, one per input, and every value finite.
    /// Messages name the tensor by its `state_dict` name.
    public func validate() throws {
        guard !layers.isEmpty else { throw GateError("the model has no layers") }
        let H = hiddenSize, I = inputSize
        guard H >= 1 else { throw GateError("hidden size must be at least 1, got \(H)") }
        guard I >= 1 else { throw GateError("input size must be at least 1, got \(I)") }
        let (rows, overflow) = cell.blockCount.multipliedReportingOverflow(by: H)
        guard !overflow else { throw GateError("hidden size \(H) is too large") }
        for (k, layer) in layers.enumerated() {
            let layerInput = k == 0 ? I : H
            guard layer.hiddenSize == H else {
                throw GateError("layer \(k + 1) (the _l\(k) tensors) has hidden size \(layer.hiddenSize), layer 1 has \(H)")
            }
            guard layer.inputSize == layerInput else {
                throw GateError("layer \(k + 1) (the _l\(k) tensors) has input size \(layer.inputSize), expected \(H) (the hidden size of the layer below)")
            }
            try Self.checkValues(layer.weightIH, StateDictName.weightIH(k), shape: [rows, layerInput])
            try Self.checkValues(layer.weightHH, StateDictName.weightHH(k), shape: [rows, H])
            switch (layer.biasIH, layer.biasHH) {
            case (nil, nil):
                break
            case let (bih?, bhh?):
                try Self.checkValues(bih, StateDictName.biasIH(k), shape: [rows])
                try Self.checkValues(bhh, StateDictName.biasHH(k), shape: [rows])
            case (_?, nil):
                throw GateError("\(StateDictName.biasIH(k)) is present but \(StateDictName.biasHH(k)) is missing")
            case (nil, _?):
                throw GateError("\(StateDictName.biasHH(k)) is present but \(StateDictName.biasIH(k)) is missing")
            }
            guard (layer.biasIH != nil) == hasBias else {
                throw GateError(hasBias ? "layer \(k + 1) (the _l\(k) tensors) has no biases but layer 1 has"
                                        : "layer \(k + 1) (the _l\(k) tensors) has biases but layer 1 has none")
            }
        }
        if let head {
            let weightName = StateDictName.headPrefix + "weight"
            guard head.outputSize >= 1 else {
                throw GateError("\(weightName) has \(head.outputSize) outputs, expected at least 1")
            }
            guard head.inputSize == H else {
                throw GateError("\(weightName) reads \(head.inputSize) inputs, but the hidden size is \(H)")
            }
            try Self.checkValues(head.weight, weightName, shape: [head.outputSize, H])
            if let bias = head.bias {
                try Self.checkValues(bias, StateDictName.headPrefix + "bias", shape: [head.outputSize])
            }
        }
        if let vocab {
            guard vocab.count == I else {
                throw GateError("vocab has \(vocab.count) symbols but the input size is \(I)")
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
