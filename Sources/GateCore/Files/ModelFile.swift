import Foundation

/// Model files: PyTorch `state_dict` tensor names in any `TensorSource` (safetensors today).
///
/// The loader finds the pipeline by itself (see ModelDiscovery.swift): the recurrent modules
/// by their key names (`weight_ih_l{k}`, `_reverse`, `weight_hr_l{k}`, or a single cell's
/// `weight_ih`), under any prefix; an `nn.Embedding` before them and an `nn.Linear` head
/// after them by their shapes.
///
/// Files that `save` writes for a plain stack have no prefix. To load one in PyTorch, strictly:
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
/// `load` reads, whatever the names of the modules.
public enum ModelFile {
    /// Loads a model from a file. `cell` overrides the kind found in the metadata or
    /// inferred from shapes; `headPrefix` names where the linear head's `weight`/`bias` live
    /// (default: found by shape).
    public static func load(path: String, cell: CellKind? = nil, headPrefix: String? = nil) throws -> RecurrentModel {
        try load(path: path, options: LoadOptions(cell: cell, headPrefix: headPrefix))
    }

    public static func load(path: String, options: LoadOptions) throws -> RecurrentModel {
        try load(source: openSource(path: path), options: options)
    }

    /// Loads a model from any container of named tensors.
    public static func load(source: any TensorSource, options: LoadOptions = LoadOptions()) throws -> RecurrentModel {
        try decode(source, options: options).model
    }

    /// Opens the file at `path` as a tensor source: the one place that chooses the container.
    static func openSource(path: String) throws -> any TensorSource {
        try openTensorSource(path: path)
    }

    /// Loads a model from the bytes of a safetensors file; `source` names it in errors.
    public static func load(bytes: [UInt8], source: String) throws -> RecurrentModel {
        try load(source: SafeTensorsFile(bytes: bytes, source: source))
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

    /// The bytes `save` writes: F32 tensors, `__metadata__` with `format: pt`, `cell`,
    /// `vocab` (all symbols in one string) and `model.metadata`. A plain stack's tensors have
    /// no prefix; an embedding is `embedding.weight`; a hybrid stack writes one module per
    /// run of layers of one kind (`rnn0.`, `rnn1.`, …), named in order in `modules`.
    static func encode(_ model: RecurrentModel) throws -> [UInt8] {
        try model.validate()
        var tensors: [SafeTensorsFile.F32Tensor] = []
        if let embedding = model.embedding {
            tensors.append(.init(name: StateDictName.embeddingWeight, shape: [embedding.vocabularySize, embedding.dimension],
                                 values: embedding.weight))
        }
        // Layers of one kind, direction count and projection form one PyTorch module.
        var modules: [[RecurrentLayer]] = []
        for layer in model.layers {
            if let last = modules.last?.last, last.cell == layer.cell, last.directionCount == layer.directionCount,
               last.projectionSize == layer.projectionSize, last.hiddenSize == layer.hiddenSize,
               last.hasBias == layer.hasBias, last.nonlinearity == layer.nonlinearity {
                modules[modules.count - 1].append(layer)
            } else {
                modules.append([layer])
            }
        }
        let names = modules.count == 1 ? [""] : modules.indices.map { "rnn\($0)" }
        for (module, prefix) in zip(modules, names) {
            let dot = prefix.isEmpty ? "" : prefix + "."
            for (k, layer) in module.enumerated() {
                let rows = layer.cell.blockCount * layer.hiddenSize
                for direction in layer.directions {
                    let weights = layer.weights(direction)
                    func add(_ name: String, _ shape: [Int], _ values: [Float]?) {
                        if let values { tensors.append(.init(name: dot + name, shape: shape, values: values)) }
                    }
                    add(StateDictName.weightIH(k, direction), [rows, weights.inputSize], weights.weightIH)
                    add(StateDictName.weightHH(k, direction), [rows, layer.stateSize], weights.weightHH)
                    add(StateDictName.biasIH(k, direction), [rows], weights.biasIH)
                    add(StateDictName.biasHH(k, direction), [rows], weights.biasHH)
                    add(StateDictName.weightHR(k, direction), [layer.stateSize, layer.hiddenSize], weights.projection)
                }
            }
        }
        if let head = model.head {
            let prefix = StateDictName.headPrefix
            tensors.append(.init(name: prefix + "weight", shape: [head.outputSize, head.inputSize], values: head.weight))
            if let bias = head.bias { tensors.append(.init(name: prefix + "bias", shape: [head.outputSize], values: bias)) }
        }
        var metadata = model.metadata
        metadata[MetadataKey.format] = "pt"
        metadata[MetadataKey.cell] = model.isHybrid ? model.layers.map(\.cell.rawValue).joined(separator: ",") : model.cell.rawValue
        if names.count > 1 { metadata[MetadataKey.modules] = names.joined(separator: ",") }
        if model.layers.contains(where: { $0.nonlinearity == .relu }) { metadata[MetadataKey.nonlinearity] = "relu" }
        if let vocab = model.vocab { metadata[MetadataKey.vocab] = String(vocab) }
        return try SafeTensorsFile.encode(tensors, metadata: metadata)
    }

    /// `__metadata__` keys gatescope reads and writes itself; other keys pass through
    /// `RecurrentModel.metadata`.
    enum MetadataKey {
        static let format = "format"
        static let cell = "cell"
        static let vocab = "vocab"
        /// The recurrent modules of a hybrid stack in order, "rnn0,rnn1".
        static let modules = "modules"
        /// "relu" for `nn.RNN(nonlinearity="relu")`, which the shapes cannot tell.
        static let nonlinearity = "nonlinearity"
        static let reserved: Set<String> = [format, cell, vocab, modules, nonlinearity]
    }
}

// MARK: - Inspect

extension ModelFile {
    /// What `gatescope inspect` prints: the pipeline (embedding, each layer's kind, sizes,
    /// direction and projection, head), its cost and vocabulary, then every tensor of the
    /// file with what it became (or that it was not used), what else the file held, and the
    /// metadata, within `width` columns.
    public static func report(path: String, cell: CellKind? = nil, headPrefix: String? = nil,
                              width: Int = 80) throws -> String {
        try report(path: path, options: LoadOptions(cell: cell, headPrefix: headPrefix), width: width)
    }

    public static func report(path: String, options: LoadOptions, width: Int = 80) throws -> String {
        let file = try openSource(path: path)
        let decoded = try decode(file, options: options)
        let model = decoded.model
        let labelWidth = 15
        var lines = [path]
        func field(_ label: String, _ value: String) {
            lines.append("  " + label.padding(toLength: labelWidth - 2, withPad: " ", startingAt: 0) + value)
        }
        let kinds = model.isHybrid ? "hybrid — " + model.layers.map(\.cell.displayName).joined(separator: " → ")
            : "\(model.cell.rawValue) — \(model.cell.displayName)"
        let framework = file.metadata[SourceFrameworkKey.framework]
        if framework == "Keras" {
            // A converted Keras file's kinds come from its config, carried as metadata.
            field("cell", "\(kinds), \(decoded.cellSource == .metadata ? "from the Keras config" : decoded.cellSource.rawValue)")
        } else {
            // Another framework's file names its operators; gatescope's metadata only carries them.
            field("cell", "\(kinds), \(framework == nil ? decoded.cellSource.rawValue : "as the file declares it")")
            if let framework {
                // A model from another framework: where from, and how its conventions were read.
                field("from", framework)
                for convention in file.metadata[SourceFrameworkKey.conventions]?.split(separator: "; ") ?? [] {
                    field("", String(convention))
                }
            }
        }
        if model.layers.contains(where: { $0.cell == .gruResetBefore }) {
            // The same tensor names as nn.GRU's, so the file loads there without complaint.
            field("", "PyTorch has no such cell: nn.GRU applies r after W_hn h,")
            field("", "so it gives other numbers on these weights; Keras")
            field("", "GRU(reset_after=False) computes this cell")
        }
        if let embedding = model.embedding {
            field("embedding", "\(embedding.vocabularySize) tokens × \(embedding.dimension): x is the token's row")
        }
        field("input size", "\(model.inputSize)")
        field("hidden size", Set(model.layers.map(\.hiddenSize)).count == 1 ? "\(model.hiddenSize)"
            : model.layers.map { "\($0.hiddenSize)" }.joined(separator: ", "))
        field("layers", "\(model.layerCount)")
        if !model.isPlainStack || model.layerCount > 1 {
            for (k, layer) in model.layers.enumerated() {
                field("  layer \(k + 1)", layer.summary)
            }
        }
        field("bias", model.hasBias ? "yes" : "no")
        let headParameters = model.head.map { $0.weight.count + ($0.bias?.count ?? 0) } ?? 0
        let embeddingParameters = model.embedding?.weight.count ?? 0
        let recurrentParameters = model.parameterCount - headParameters - embeddingParameters
        var parts = ["recurrent \(grouped(recurrentParameters))"]
        if embeddingParameters > 0 { parts.append("embedding \(grouped(embeddingParameters))") }
        if headParameters > 0 { parts.append("head \(grouped(headParameters))") }
        field("parameters", grouped(model.parameterCount) + (parts.count > 1 ? " (\(parts.joined(separator: ", ")))" : ""))
        field("mult-adds", "\(grouped(model.multiplyAddsPerStep)) per step"
            + (model.head.map { " (+ \(grouped($0.weight.count)) in the head)" } ?? ""))
        if let head = model.head {
            field("head", "\(head.inputSize) → \(head.outputSize), y = W h\(head.bias == nil ? "" : " + b")")
        } else {
            field("head", options.noHead ? "none (--no-head)" : "none")
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
        field("prefix", decoded.modulePrefixes.map { $0.isEmpty ? "none" : $0 }.joined(separator: ", "))

        let used = Set(decoded.usedNames)
        let others = file.entries.map(\.name).filter { !used.contains($0) }.sorted()
        lines += contentLines(of: file, order: decoded.usedNames + others, roles: decoded.roles, width: width)
        return lines.joined(separator: "\n")
    }

    /// What a file holds when no model could be made of it (several modules, say): every
    /// tensor, what else the file carried, its metadata. `inspect` prints it before the
    /// error, so that the student sees what there is to choose from.
    public static func contents(path: String, width: Int = 80) throws -> String {
        let file = try openSource(path: path)
        return ([path] + contentLines(of: file, order: file.entries.map(\.name), roles: nil, width: width))
            .joined(separator: "\n")
    }

    /// The tensor table (in `order`, each with its role, "(not used)", or no note without
    /// `roles`), the file's other contents and its metadata.
    private static func contentLines(of file: any TensorSource, order: [String], roles: [String: String]?,
                                     width: Int) -> [String] {
        var lines: [String] = []
        let entries = Dictionary(file.entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let rows = order.compactMap { entries[$0] }
        let nameWidth = min(max(6, rows.map(\.name.count).max() ?? 0), width / 2)
        let dtypeWidth = max(5, rows.map(\.dtype.count).max() ?? 0)
        let shapeWidth = max(5, rows.map { bracketed($0.shape).count }.max() ?? 0)
        func row(_ name: String, _ dtype: String, _ shape: String, _ note: String) {
            let cells = [name.padding(toLength: max(nameWidth, name.count), withPad: " ", startingAt: 0),
                         dtype.padding(toLength: dtypeWidth, withPad: " ", startingAt: 0),
                         note.isEmpty ? shape : shape.padding(toLength: shapeWidth, withPad: " ", startingAt: 0) + note]
            lines.append("  " + cells.joined(separator: "  "))
        }
        lines.append("")
        row("tensor", "dtype", "shape", "")
        for tensor in rows {
            let note = roles.map { roles in roles[tensor.name].map { "  \($0)" } ?? "  (not used)" } ?? ""
            row(tensor.name, tensor.dtype, bracketed(tensor.shape), note)
        }
        if !file.notes.isEmpty {
            lines.append("")
            lines.append(contentsOf: file.notes.map { "  " + $0 })
        }
        if !file.otherContents.isEmpty {
            lines.append("")
            lines.append("  also in the file (not used)")
            for item in file.otherContents { lines.append("    " + item) }
        }

        let shownAbove: Set = [MetadataKey.vocab, SourceFrameworkKey.framework, SourceFrameworkKey.conventions]
        let metadata = file.metadata.filter { !shownAbove.contains($0.key) }
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
        return lines
    }

    /// Text as a person can read it on one line: control characters and the quote and
    /// backslash written as escapes ("\n", "\t", "\u{7}").
    static func escaped(_ text: String) -> String {
        backslashEscaped(text) { scalar in
            [.control, .format].contains(scalar.properties.generalCategory) ? "\\u{\(String(scalar.value, radix: 16))}" : nil
        }
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
