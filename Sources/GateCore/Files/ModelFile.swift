import Foundation

/// Model files: safetensors with PyTorch `state_dict` tensor names.
///
/// A file holds `weight_ih_l{k}`, `weight_hh_l{k}` and (unless the model was built with
/// `bias=False`) `bias_ih_l{k}`, `bias_hh_l{k}` for every layer k, exactly as
/// `nn.LSTM` / `nn.GRU` / `nn.RNN` name them, optionally under a common prefix (`rnn.`,
/// `encoder.lstm.`) so that the state_dict of a whole model loads; and optionally a linear
/// head, `head.weight` / `head.bias` as `nn.Linear` names them.
///
/// Files that `save` writes have no prefix. To load one in PyTorch, strictly:
///
///     from safetensors.torch import load_file
///     sd = load_file("model.safetensors")
///     rnn = torch.nn.LSTM(input_size, hidden_size, num_layers)   # or GRU / RNN
///     rnn.load_state_dict({k: v for k, v in sd.items() if not k.startswith("head.")}, strict=True)
///     head = torch.nn.Linear(hidden_size, out)                   # only if the file has one
///     head.load_state_dict({k[5:]: v for k, v in sd.items() if k.startswith("head.")}, strict=True)
///
/// (`nn.LSTM(..., bias=False)` for a file without biases.) The other way round,
/// `safetensors.torch.save_file(model.state_dict(), "model.safetensors")` writes a file
/// `load` reads, whatever the prefix of the recurrent module.
public enum ModelFile {
    /// Loads a model from a safetensors file. `cell` overrides the kind found in the
    /// metadata or inferred from shapes; `headPrefix` names where the linear head's
    /// `weight`/`bias` live (default: `head.`).
    public static func load(path: String, cell: CellKind? = nil, headPrefix: String? = nil) throws -> RecurrentModel {
        try decode(SafeTensorsFile(path: path), cell: cell, headPrefix: headPrefix).model
    }

    /// Loads a model from the bytes of a safetensors file; `source` names it in errors.
    public static func load(bytes: [UInt8], source: String) throws -> RecurrentModel {
        try decode(SafeTensorsFile(bytes: bytes, source: source), cell: nil, headPrefix: nil).model
    }

    /// Writes `model` atomically (temporary file, then rename) so that PyTorch's
    /// `load_state_dict(strict=True)` accepts it.
    public static func save(_ model: RecurrentModel, to path: String) throws {
        let bytes: [UInt8]
        do {
            bytes = try encode(model)
        } catch let error as GateError {
            throw GateError("\(path): cannot save the model: \(error.message)")
        }
        try OutputFile.write(bytes, to: path)
    }

    /// The bytes `save` writes: F32 tensors without prefix, `__metadata__` with
    /// `format: pt`, `cell`, `vocab` (all symbols in one string) and `model.metadata`.
    static func encode(_ model: RecurrentModel) throws -> [UInt8] {
        try model.validate()
        let rows = model.cell.blockCount * model.hiddenSize
        var tensors: [SafeTensorsFile.F32Tensor] = []
        for (k, layer) in model.layers.enumerated() {
            tensors.append(.init(name: StateDictName.weightIH(k), shape: [rows, layer.inputSize], values: layer.weightIH))
            tensors.append(.init(name: StateDictName.weightHH(k), shape: [rows, layer.hiddenSize], values: layer.weightHH))
            if let bias = layer.biasIH { tensors.append(.init(name: StateDictName.biasIH(k), shape: [rows], values: bias)) }
            if let bias = layer.biasHH { tensors.append(.init(name: StateDictName.biasHH(k), shape: [rows], values: bias)) }
        }
        if let head = model.head {
            let prefix = StateDictName.headPrefix
            tensors.append(.init(name: prefix + "weight", shape: [head.outputSize, head.inputSize], values: head.weight))
            if let bias = head.bias { tensors.append(.init(name: prefix + "bias", shape: [head.outputSize], values: bias)) }
        }
        var metadata = model.metadata
        metadata[MetadataKey.format] = "pt"
        metadata[MetadataKey.cell] = model.cell.rawValue
        if let vocab = model.vocab { metadata[MetadataKey.vocab] = String(vocab) }
        return try SafeTensorsFile.encode(tensors, metadata: metadata)
    }

    /// `__metadata__` keys gatescope reads and writes itself; other keys pass through
    /// `RecurrentModel.metadata`.
    enum MetadataKey {
        static let format = "format"
        static let cell = "cell"
        static let vocab = "vocab"
        static let reserved: Set<String> = [format, cell, vocab]
    }

    // MARK: Reading

    /// Where the cell kind came from, for `inspect`.
    enum CellSource: String {
        case argument = "as requested"
        case metadata = "from __metadata__"
        case shapes = "from the weight shapes"
    }

    /// A model and how it was found in the file.
    struct Decoded {
        var model: RecurrentModel
        var prefix: String
        var cellSource: CellSource
        /// The file's tensors that became part of the model, in model order.
        var usedNames: [String]
    }

    private enum ParameterKind: CaseIterable {
        case weightIH, weightHH, biasIH, biasHH

        func name(_ layer: Int) -> String {
            switch self {
            case .weightIH: StateDictName.weightIH(layer)
            case .weightHH: StateDictName.weightHH(layer)
            case .biasIH: StateDictName.biasIH(layer)
            case .biasHH: StateDictName.biasHH(layer)
            }
        }

        /// Reads "weight_ih_l3" as (.weightIH, 3); nil for anything else, leading zeros
        /// included, since PyTorch never writes them.
        static func parse(_ name: Substring) -> (ParameterKind, Int)? {
            for kind in allCases {
                let stem = kind.name(0).dropLast()
                guard name.hasPrefix(stem) else { continue }
                let digits = name.dropFirst(stem.count)
                guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                      digits == "0" || !digits.hasPrefix("0"), let layer = Int(digits) else { return nil }
                return (kind, layer)
            }
            return nil
        }
    }

    static func decode(_ file: SafeTensorsFile, cell requested: CellKind?, headPrefix: String?) throws -> Decoded {
        let source = file.source
        func fail(_ message: String) -> GateError { GateError("\(source): \(message)") }

        let prefix = try recurrentPrefix(file)
        let head = headNames(headPrefix)

        // Every tensor of the recurrent module must be a known parameter. With no prefix
        // the module's own tensors are the ones without a dot (others belong elsewhere).
        var found: [ParameterKind: [Int: SafeTensorsFile.Tensor]] = [:]
        var unexpected: [String] = []
        for tensor in file.tensors where tensor.name.hasPrefix(prefix) {
            let rest = tensor.name.dropFirst(prefix.count)
            if tensor.name == head.weight || tensor.name == head.bias || (prefix.isEmpty && rest.contains(".")) {
                continue
            }
            if let (kind, layer) = ParameterKind.parse(rest) {
                found[kind, default: [:]][layer] = tensor
            } else {
                unexpected.append(tensor.name)
            }
        }
        if !unexpected.isEmpty {
            let hint = unexpected.contains { $0.hasSuffix("_reverse") } ? "; bidirectional models are not supported" : ""
            throw fail("unexpected tensor\(unexpected.count > 1 ? "s" : "") \(unexpected.sorted().joined(separator: ", ")) beside the recurrent weights\(hint)")
        }

        // Layers 0 ..< L, L from weight_ih, without gaps; nothing beyond L.
        let inputWeightLayers = (found[.weightIH] ?? [:]).keys.sorted()
        for (position, layer) in inputWeightLayers.enumerated() where position != layer {
            guard position > 0 else { throw fail("missing tensor \(prefix)\(StateDictName.weightIH(0))") }
            throw fail("has \(prefix)\(StateDictName.weightIH(position - 1)) and \(prefix)\(StateDictName.weightIH(layer)) but no \(prefix)\(StateDictName.weightIH(position))")
        }
        let layerCount = inputWeightLayers.count
        for kind in ParameterKind.allCases {
            if let layer = found[kind]?.keys.sorted().last, layer >= layerCount {
                throw fail("missing tensor \(prefix)\(StateDictName.weightIH(layer)) (\(prefix)\(kind.name(layer)) is present)")
            }
        }
        for layer in 0..<layerCount where found[.weightHH]?[layer] == nil {
            throw fail("missing tensor \(prefix)\(StateDictName.weightHH(layer))")
        }
        let hasBias = found[.biasIH] != nil || found[.biasHH] != nil
        if hasBias {
            for layer in 0..<layerCount {
                let ih = prefix + StateDictName.biasIH(layer), hh = prefix + StateDictName.biasHH(layer)
                switch (found[.biasIH]?[layer], found[.biasHH]?[layer]) {
                case (_?, _?): continue
                case (_?, nil): throw fail("\(ih) is present but \(hh) is missing")
                case (nil, _?): throw fail("\(hh) is present but \(ih) is missing")
                case (nil, nil): throw fail("missing tensors \(ih) and \(hh) (other layers have biases)")
                }
            }
        }
        func tensor(_ kind: ParameterKind, _ layer: Int) -> SafeTensorsFile.Tensor? { found[kind]?[layer] }
        guard let recurrent0 = tensor(.weightHH, 0), let input0 = tensor(.weightIH, 0) else {
            throw fail("missing tensor \(prefix)\(StateDictName.weightHH(0))")
        }

        // The hidden size is weight_hh's column count; its rows give G·H.
        let recurrentName = prefix + StateDictName.weightHH(0)
        guard recurrent0.shape.count == 2 else {
            throw fail("\(recurrentName) has shape \(bracketed(recurrent0.shape)), expected a matrix [rows, hidden size]")
        }
        let rows = recurrent0.shape[0], hidden = recurrent0.shape[1]
        guard hidden >= 1 else { throw fail("\(recurrentName) has shape \(bracketed(recurrent0.shape)): hidden size 0") }
        let (cell, cellSource) = try cellKind(file, requested: requested, rows: rows, hidden: hidden, tensorName: recurrentName)
        let inputName = prefix + StateDictName.weightIH(0)
        guard input0.shape.count == 2, input0.shape[1] >= 1 else {
            throw fail("\(inputName) has shape \(bracketed(input0.shape)), expected [\(cell.blockCount * hidden), input size ≥ 1]")
        }
        let inputSize = input0.shape[1]

        var usedNames: [String] = []
        func values(_ tensor: SafeTensorsFile.Tensor, shape: [Int]) throws -> [Float] {
            guard tensor.shape == shape else {
                throw fail("\(tensor.name) has shape \(bracketed(tensor.shape)), expected \(bracketed(shape))")
            }
            let values = try file.floats(tensor)
            do {
                try RecurrentModel.checkValues(values, tensor.name, shape: shape)
            } catch let error as GateError {
                throw fail(error.message)
            }
            usedNames.append(tensor.name)
            return values
        }
        let gateRows = cell.blockCount * hidden
        var layers: [LayerWeights] = []
        for k in 0..<layerCount {
            let layerInput = k == 0 ? inputSize : hidden
            guard let wih = tensor(.weightIH, k), let whh = tensor(.weightHH, k) else {
                throw fail("missing tensor \(prefix)\(StateDictName.weightIH(k))")
            }
            let weightIH = try values(wih, shape: [gateRows, layerInput])
            let weightHH = try values(whh, shape: [gateRows, hidden])
            let biasIH = try tensor(.biasIH, k).map { try values($0, shape: [gateRows]) }
            let biasHH = try tensor(.biasHH, k).map { try values($0, shape: [gateRows]) }
            layers.append(LayerWeights(inputSize: layerInput, hiddenSize: hidden, weightIH: weightIH,
                                       weightHH: weightHH, biasIH: biasIH, biasHH: biasHH))
        }

        var linearHead: LinearHead?
        switch (file.tensor(named: head.weight), file.tensor(named: head.bias)) {
        case (nil, nil):
            if headPrefix != nil { throw fail("missing tensor \(head.weight) for the head prefix \(head.weight.dropLast(6))") }
        case (nil, _?):
            throw fail("\(head.bias) is present but \(head.weight) is missing")
        case let (weight?, bias):
            guard weight.shape.count == 2, weight.shape[0] >= 1 else {
                throw fail("\(head.weight) has shape \(bracketed(weight.shape)), expected [outputs ≥ 1, \(hidden)]")
            }
            guard weight.shape[1] == hidden else {
                throw fail("\(head.weight) has shape \(bracketed(weight.shape)): the head reads \(weight.shape[1]) inputs but the hidden size is \(hidden)")
            }
            let outputs = weight.shape[0]
            linearHead = LinearHead(outputSize: outputs, inputSize: hidden,
                                    weight: try values(weight, shape: [outputs, hidden]),
                                    bias: try bias.map { try values($0, shape: [outputs]) })
        }

        var vocab: [Character]?
        if let text = file.metadata[MetadataKey.vocab] {
            let symbols = Array(text)
            guard symbols.count == inputSize else {
                throw fail("vocab in __metadata__ has \(symbols.count) symbols but the input size is \(inputSize) (\(inputName) has shape \(bracketed(input0.shape)))")
            }
            vocab = symbols
        }
        let metadata = file.metadata.filter { !MetadataKey.reserved.contains($0.key) }
        let model = RecurrentModel(cell: cell, layers: layers, head: linearHead, vocab: vocab, metadata: metadata)
        do {
            try model.validate()
        } catch let error as GateError {
            throw fail(error.message)
        }
        return Decoded(model: model, prefix: prefix, cellSource: cellSource, usedNames: usedNames)
    }

    /// The prefix under which `weight_ih_l0` sits: "" or a dotted module path ("rnn.").
    private static func recurrentPrefix(_ file: SafeTensorsFile) throws -> String {
        let anchor = StateDictName.weightIH(0)
        let prefixes = file.tensors.compactMap { tensor -> String? in
            guard tensor.name.hasSuffix(anchor) else { return nil }
            let prefix = String(tensor.name.dropLast(anchor.count))
            return prefix.isEmpty || prefix.hasSuffix(".") ? prefix : nil
        }.sorted()
        guard let prefix = prefixes.first else {
            let names = file.tensors.prefix(6).map(\.name).joined(separator: ", ")
            let listing = file.tensors.isEmpty ? "the file has no tensors"
                : "it has \(names)\(file.tensors.count > 6 ? ", …" : "")"
            throw GateError("\(file.source): no recurrent weights: expected a tensor named \(anchor), alone or under a prefix such as rnn.\(anchor); \(listing)")
        }
        guard prefixes.count == 1 else {
            let shown = prefixes.map { $0.isEmpty ? "(no prefix)" : $0 }.joined(separator: ", ")
            throw GateError("\(file.source): recurrent weights under several prefixes: \(shown); gatescope loads one recurrent module")
        }
        return prefix
    }

    /// `head.weight` / `head.bias`, or under the requested prefix, with or without its dot.
    private static func headNames(_ prefix: String?) -> (weight: String, bias: String) {
        var prefix = prefix ?? StateDictName.headPrefix
        if !prefix.isEmpty && !prefix.hasSuffix(".") { prefix += "." }
        return (prefix + "weight", prefix + "bias")
    }

    /// The requested kind, else the metadata's, else the one the row count implies; the
    /// chosen kind must agree with the rows of weight_hh_l0.
    private static func cellKind(_ file: SafeTensorsFile, requested: CellKind?, rows: Int, hidden: Int,
                                 tensorName: String) throws -> (CellKind, CellSource) {
        var fromMetadata: CellKind?
        if let spelling = file.metadata[MetadataKey.cell] {
            do {
                fromMetadata = try CellKind(validating: spelling)
            } catch let error as GateError {
                throw GateError("\(file.source): \(error.message) in __metadata__")
            }
        }
        let shape = bracketed([rows, hidden])
        if let kind = requested ?? fromMetadata {
            guard rows == kind.blockCount * hidden else {
                let origin = requested != nil ? "cell \(kind.rawValue) as requested" : "cell = \(kind.rawValue) in __metadata__"
                throw GateError("\(file.source): \(tensorName) has shape \(shape), expected \(bracketed([kind.blockCount * hidden, hidden])) for \(kind.displayName) (\(origin))")
            }
            return (kind, requested != nil ? .argument : .metadata)
        }
        // PyTorch's nn.GRU is the reset-after form, so 3H rows mean .gru.
        guard let kind = [CellKind.lstm, .gru, .rnn].first(where: { rows == $0.blockCount * hidden }) else {
            throw GateError("\(file.source): \(tensorName) has shape \(shape): its \(rows) rows are not 4, 3 or 1 × the hidden size \(hidden) (LSTM, GRU, RNN)")
        }
        return (kind, .shapes)
    }
}

// MARK: - Inspect

extension ModelFile {
    /// What `gatescope inspect` prints: the model's kind, sizes and cost, its head and
    /// vocabulary, then every tensor of the file (those the model does not use marked) and
    /// the metadata, within `width` columns.
    public static func report(path: String, cell: CellKind? = nil, headPrefix: String? = nil,
                              width: Int = 80) throws -> String {
        let file = try SafeTensorsFile(path: path)
        let decoded = try decode(file, cell: cell, headPrefix: headPrefix)
        let model = decoded.model
        let labelWidth = 15
        var lines = [path]
        func field(_ label: String, _ value: String) {
            lines.append("  " + label.padding(toLength: labelWidth - 2, withPad: " ", startingAt: 0) + value)
        }
        field("cell", "\(model.cell.rawValue) — \(model.cell.displayName), \(decoded.cellSource.rawValue)")
        if model.cell == .gruResetBefore {
            // The same tensor names as nn.GRU's, so the file loads there without complaint.
            field("", "PyTorch has no such cell: nn.GRU applies r after W_hn h,")
            field("", "so it gives other numbers on these weights; Keras")
            field("", "GRU(reset_after=False) computes this cell")
        }
        field("input size", "\(model.inputSize)")
        field("hidden size", "\(model.hiddenSize)")
        field("layers", "\(model.layerCount)")
        field("bias", model.hasBias ? "yes" : "no")
        let headParameters = model.head.map { $0.weight.count + ($0.bias?.count ?? 0) } ?? 0
        let recurrentParameters = model.parameterCount - headParameters
        field("parameters", grouped(model.parameterCount)
            + (model.head == nil ? "" : " (recurrent \(grouped(recurrentParameters)), head \(grouped(headParameters)))"))
        field("mult-adds", "\(grouped(model.multiplyAddsPerStep)) per step"
            + (model.head.map { " (+ \(grouped($0.weight.count)) in the head)" } ?? ""))
        if let head = model.head {
            field("head", "\(head.inputSize) → \(head.outputSize), y = W h\(head.bias == nil ? "" : " + b")")
        } else {
            field("head", "none")
        }
        if let vocab = model.vocab {
            // Symbols stay whole when the list wraps onto continuation lines.
            var chunks = ["\(vocab.count) symbols: \""]
            for symbol in vocab.map({ escaped(String($0)) }) {
                if labelWidth + (chunks.last?.count ?? 0) + symbol.count + 1 > width { chunks.append("") }
                chunks[chunks.count - 1] += symbol
            }
            chunks[chunks.count - 1] += "\""
            for (index, chunk) in chunks.enumerated() { field(index == 0 ? "vocab" : "", chunk) }
        }
        field("prefix", decoded.prefix.isEmpty ? "none" : decoded.prefix)

        let used = Set(decoded.usedNames)
        let others = file.tensors.map(\.name).filter { !used.contains($0) }.sorted()
        let rows = (decoded.usedNames + others).compactMap { file.tensor(named: $0) }
        let nameWidth = min(max(6, rows.map(\.name.count).max() ?? 0), width / 2)
        let dtypeWidth = max(5, rows.map(\.dtype.rawValue.count).max() ?? 0)
        func row(_ name: String, _ dtype: String, _ shape: String, _ note: String) {
            let cells = [name.padding(toLength: max(nameWidth, name.count), withPad: " ", startingAt: 0),
                         dtype.padding(toLength: dtypeWidth, withPad: " ", startingAt: 0), shape + note]
            lines.append("  " + cells.joined(separator: "  "))
        }
        lines.append("")
        row("tensor", "dtype", "shape", "")
        for tensor in rows {
            row(tensor.name, tensor.dtype.rawValue, bracketed(tensor.shape), used.contains(tensor.name) ? "" : "  (not used)")
        }

        let metadata = file.metadata.filter { $0.key != MetadataKey.vocab }
        if !metadata.isEmpty {
            lines.append("")
            lines.append("  metadata")
            let keyWidth = min(metadata.keys.map(\.count).max() ?? 0, width / 3)
            for key in metadata.keys.sorted() {
                let shownKey = key.padding(toLength: max(keyWidth, key.count), withPad: " ", startingAt: 0)
                var value = escaped(metadata[key] ?? "")
                let room = width - 4 - shownKey.count - 3
                if value.count > room {
                    let note = "… (\(value.count) characters)"
                    value = String(value.prefix(max(0, room - note.count))) + note
                }
                lines.append("    \(shownKey) = \(value)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Text as a person can read it on one line: control characters and the quote and
    /// backslash written as escapes ("\n", "\t", "\u{7}").
    static func escaped(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case _ where scalar.properties.generalCategory == .control
                || scalar.properties.generalCategory == .format:
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// 1234567 as "1,234,567".
    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value.magnitude))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }
}
