import Foundation

// Finding the pipeline in a file's tensors: the recurrent modules by their PyTorch key
// names, the order of a hybrid stack by how their sizes chain, the embedding and the head by
// their shapes. Nothing here reads a value the model does not use.

/// What the command line says about how to read a model file.
public struct LoadOptions: Sendable, Equatable {
    /// The cell kind where shapes leave it open (overrides the file's `cell` metadata).
    public var cell: CellKind?
    /// Where the head's `weight` / `bias` live; nil: found by shape.
    public var headPrefix: String?
    /// Drop the head even when one is found.
    public var noHead: Bool
    /// The one recurrent module to load (for files holding several, such as seq2seq).
    public var prefix: String?

    public init(cell: CellKind? = nil, headPrefix: String? = nil, noHead: Bool = false, prefix: String? = nil) {
        self.cell = cell
        self.headPrefix = headPrefix
        self.noHead = noHead
        self.prefix = prefix
    }

    /// The modules `--prefix` covers: the one of that path and everything under it.
    struct Scope {
        let path: String

        func contains(_ module: String) -> Bool {
            path.isEmpty || module == path || module.hasPrefix(path + ".")
        }
    }

    var scope: Scope? {
        prefix.map { Scope(path: $0.hasSuffix(".") ? String($0.dropLast()) : $0) }
    }
}

/// A parameter of `nn.LSTM` / `nn.GRU` / `nn.RNN` (`weight_ih_l0`, `weight_hr_l1_reverse`)
/// or of a single cell (`weight_ih`, no layer number).
struct RecurrentKey: Equatable {
    enum Parameter: String, CaseIterable {
        case weightIH = "weight_ih", weightHH = "weight_hh", biasIH = "bias_ih", biasHH = "bias_hh"
        case weightHR = "weight_hr"
    }

    var module: String
    var parameter: Parameter
    var layer: Int
    var direction: Direction
    /// `nn.LSTMCell` / `nn.GRUCell` / `nn.RNNCell`: no `_l{k}`.
    var isCell: Bool

    /// Reads "lstm.weight_ih_l3_reverse"; nil for any other name (leading zeros included,
    /// since PyTorch never writes them).
    static func parse(_ name: String) -> RecurrentKey? {
        let module = name.lastIndex(of: ".").map { String(name[..<$0]) } ?? ""
        let leaf = name.lastIndex(of: ".").map { name[name.index(after: $0)...] } ?? name[...]
        for parameter in Parameter.allCases where leaf.hasPrefix(parameter.rawValue) {
            var rest = leaf.dropFirst(parameter.rawValue.count)
            if rest.isEmpty {
                guard parameter != .weightHR else { return nil }
                return RecurrentKey(module: module, parameter: parameter, layer: 0, direction: .forward, isCell: true)
            }
            guard rest.hasPrefix("_l") else { return nil }
            rest = rest.dropFirst(2)
            var direction = Direction.forward
            if rest.hasSuffix("_reverse") {
                direction = .reverse
                rest = rest.dropLast("_reverse".count)
            }
            guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }),
                  rest == "0" || !rest.hasPrefix("0"), let layer = Int(rest) else { return nil }
            return RecurrentKey(module: module, parameter: parameter, layer: layer, direction: direction, isCell: false)
        }
        return nil
    }

    /// This key's name with another parameter, layer or direction, in the same module.
    func name(_ parameter: Parameter? = nil, layer: Int? = nil, direction: Direction? = nil) -> String {
        let prefix = module.isEmpty ? "" : module + "."
        if isCell { return prefix + (parameter ?? self.parameter).rawValue }
        let suffix = (direction ?? self.direction) == .reverse ? "_reverse" : ""
        return prefix + "\((parameter ?? self.parameter).rawValue)_l\(layer ?? self.layer)" + suffix
    }
}

/// One recurrent module of a file: its path and its tensors by layer, direction and parameter.
struct RecurrentModule {
    var path: String
    var isCell: Bool
    var entries: [Int: [Direction: [RecurrentKey.Parameter: TensorEntry]]] = [:]

    var prefix: String { path.isEmpty ? "" : path + "." }
    var displayName: String { path.isEmpty ? "(no prefix)" : path }

    func key(_ parameter: RecurrentKey.Parameter, layer: Int, direction: Direction = .forward) -> String {
        RecurrentKey(module: path, parameter: parameter, layer: layer, direction: direction, isCell: isCell).name()
    }
}

extension ModelFile {
    /// Where the cell kind came from, for `inspect`.
    enum CellSource: String {
        case argument = "as requested"
        case metadata = "from __metadata__"
        case shapes = "from the weight shapes"
    }

    /// A model and how it was found in the file.
    struct Decoded {
        var model: RecurrentModel
        /// The recurrent modules' prefixes, in pipeline order ("" or "rnn.").
        var modulePrefixes: [String]
        var cellSource: CellSource
        /// The file's tensors that became part of the model, in model order, with what each became.
        var usedNames: [String]
        var roles: [String: String]

        /// The first recurrent module's prefix.
        var prefix: String { modulePrefixes.first ?? "" }
    }

    static func decode(_ file: any TensorSource, cell: CellKind?, headPrefix: String?) throws -> Decoded {
        try decode(file, options: LoadOptions(cell: cell, headPrefix: headPrefix))
    }

    static func decode(_ file: any TensorSource, options: LoadOptions) throws -> Decoded {
        let source = file.source
        func fail(_ message: String) -> GateError { GateError("\(source): \(message)") }
        var reader = TensorReader(file: file)

        let modules = try selectModules(file, options: options)
        let metadataCell = try file.metadata[MetadataKey.cell].map { spelling in
            do {
                // A hybrid file names its kinds per layer, "gru,lstm"; one name applies to every layer it fits.
                return try spelling.split(separator: ",").map { try CellKind(validating: String($0)) }
            } catch let error as GateError {
                throw fail("\(error.message) in __metadata__")
            }
        }
        var layers: [RecurrentLayer] = []
        var cellSource = CellSource.shapes
        for module in modules {
            let hint = file.modules.first { $0.path == module.path }
            let relu = (hint?.attributes["nonlinearity"] ?? file.metadata[MetadataKey.nonlinearity])?
                .trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) == "relu"
            let built = try buildLayers(module, reader: &reader, requested: options.cell, metadata: metadataCell,
                                        firstLayerIndex: layers.count, inputSize: layers.last?.outputSize,
                                        relu: relu, fail: fail)
            if built.source != .shapes { cellSource = built.source }
            layers += built.layers
        }
        guard let inputSize = layers.first?.inputSize, let lastOutput = layers.last?.outputSize else {
            throw fail("no recurrent layers")
        }
        let claimed = Set(modules.map(\.path))
        let embedding = try findEmbedding(file, inputSize: inputSize, claimed: claimed, scope: options.scope,
                                          reader: &reader, fail: fail)
        let head = try findHead(file, width: lastOutput, claimed: claimed.union(embedding.map { [$0.path] } ?? []),
                                options: options, reader: &reader, fail: fail)

        var vocab: [Character]?
        if let text = file.metadata[MetadataKey.vocab] {
            let symbols = Array(text)
            let expected = embedding?.table.vocabularySize ?? inputSize
            guard symbols.count == expected else {
                let firstName = modules[0].key(.weightIH, layer: 0)
                throw fail(embedding != nil
                    ? "vocab in __metadata__ has \(symbols.count) symbols but the embedding \(embedding?.path ?? "") has \(expected) rows"
                    : "vocab in __metadata__ has \(symbols.count) symbols but the input size is \(inputSize) (\(firstName) has shape \(bracketed(file.entries.first { $0.name == firstName }?.shape ?? [])))")
            }
            vocab = symbols
        }
        let metadata = file.metadata.filter { !MetadataKey.reserved.contains($0.key) }
        let model = RecurrentModel(embedding: embedding?.table, layers: layers, head: head, vocab: vocab, metadata: metadata)
        do {
            try model.validate()
        } catch let error as GateError {
            throw fail(error.message)
        }
        return Decoded(model: model, modulePrefixes: modules.map(\.prefix), cellSource: cellSource,
                       usedNames: reader.used, roles: reader.roles)
    }

    // MARK: Recurrent modules

    /// The recurrent modules to load, in pipeline order: the only one (under `--prefix`,
    /// which also bounds where the embedding and head are looked for), or several whose sizes chain in exactly one order (or in the order a whole
    /// pickled model declared them).
    static func selectModules(_ file: any TensorSource, options: LoadOptions) throws -> [RecurrentModule] {
        var byPath: [String: RecurrentModule] = [:]
        var order: [String] = []
        for entry in file.entries {
            guard let key = RecurrentKey.parse(entry.name) else { continue }
            if byPath[key.module] == nil {
                byPath[key.module] = RecurrentModule(path: key.module, isCell: key.isCell)
                order.append(key.module)
            }
            byPath[key.module]?.entries[key.layer, default: [:]][key.direction, default: [:]][key.parameter] = entry
        }
        // A module needs its input weights to be one; stray names such as a lone `bias_ih` are left alone.
        var modules = order.compactMap { byPath[$0] }.filter { module in
            module.entries.values.contains { $0[.forward]?[.weightIH] != nil || $0[.forward]?[.weightHH] != nil }
        }
        guard !modules.isEmpty else {
            let names = file.entries.prefix(6).map(\.name).joined(separator: ", ")
            let listing = file.entries.isEmpty ? "the file has no tensors"
                : "it has \(names)\(file.entries.count > 6 ? ", …" : "")"
            throw GateError("\(file.source): no recurrent weights: expected a tensor named weight_ih_l0 (or weight_ih for a single cell), alone or under a prefix such as rnn.weight_ih_l0; \(listing)")
        }
        let listing = modules.map { $0.path.isEmpty ? "(no prefix)" : $0.path }.sorted().joined(separator: ", ")
        if let scope = options.scope {
            modules = modules.filter { scope.contains($0.path) }
            guard !modules.isEmpty else {
                throw GateError("\(file.source): --prefix \(options.prefix ?? ""): no recurrent module of that name; the file has \(listing)")
            }
        }
        guard modules.count > 1 else { return modules }
        let several = "recurrent weights under several prefixes: \(listing)"
        guard modules.count <= 6 else {
            throw GateError("\(file.source): \(several); choose one with --prefix NAME")
        }
        // The sizes of each module's ends, read from the shapes alone.
        func ends(_ module: RecurrentModule) -> (input: Int, output: Int)? {
            guard let first = module.entries[0]?[.forward]?[.weightIH], first.shape.count == 2,
                  let top = module.entries.keys.max(), let last = module.entries[top]?[.forward]?[.weightHH],
                  last.shape.count == 2 else { return nil }
            let directions = module.entries[top]?[.reverse] == nil ? 1 : 2
            return (first.shape[1], directions * last.shape[1])
        }
        let sized = modules.compactMap { module in ends(module).map { (module, $0) } }
        guard sized.count == modules.count else {
            throw GateError("\(file.source): \(several), and not every one has matrices to read its sizes from; choose one with --prefix NAME\(prefixExamples(modules))")
        }
        func chains(_ candidate: [(RecurrentModule, (input: Int, output: Int))]) -> Bool {
            zip(candidate, candidate.dropFirst()).allSatisfy { $0.1.output == $1.1.input }
        }
        // A whole pickled model (or a file gatescope wrote) says the order itself.
        let declared = file.modules.map(\.path) + (file.metadata[MetadataKey.modules]?.split(separator: ",").map(String.init) ?? [])
        let hinted = sized.sorted { (declared.firstIndex(of: $0.0.path) ?? .max) < (declared.firstIndex(of: $1.0.path) ?? .max) }
        if sized.allSatisfy({ declared.contains($0.0.path) }), chains(hinted) { return hinted.map(\.0) }
        let orders = permutations(sized).filter(chains)
        guard orders.count == 1, let chain = orders.first else {
            let sizes = sized.map { "\($0.0.displayName) (\($0.1.input) → \($0.1.output))" }.sorted().joined(separator: ", ")
            let how = orders.isEmpty ? "their sizes chain in no order"
                : orders.count == 2 && sized.count == 2 ? "their sizes chain in both orders"
                : "their sizes chain in \(orders.count) orders"
            throw GateError("\(file.source): recurrent weights under several prefixes: \(sizes); \(how), so they are not one stack; choose one with --prefix NAME\(prefixExamples(modules))")
        }
        return chain.map(\.0)
    }

    /// " (here --prefix encoder or --prefix decoder)": what to type, naming each module's
    /// owner ("encoder" for "encoder.rnn"), since the owner's prefix also takes in its own
    /// embedding and head, which the module's full path would leave out.
    private static func prefixExamples(_ modules: [RecurrentModule]) -> String {
        let paths = modules.map(\.path).sorted()
        guard !paths.contains(where: \.isEmpty) else { return "" }
        let owners = paths.map { path in path.split(separator: ".").dropLast().joined(separator: ".") }
        let names = owners.allSatisfy({ !$0.isEmpty }) && Set(owners).count == owners.count ? owners : paths
        return " (here " + names.map { "--prefix \($0)" }.joined(separator: " or ") + ")"
    }

    private static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { index -> [[T]] in
            var rest = items
            let first = rest.remove(at: index)
            return permutations(rest).map { [first] + $0 }
        }
    }

    /// The layers of one module, checked tensor by tensor against the shapes its first layer sets.
    private static func buildLayers(_ module: RecurrentModule, reader: inout TensorReader, requested: CellKind?,
                                    metadata: [CellKind]?, firstLayerIndex: Int, inputSize expectedInput: Int?,
                                    relu: Bool, fail: (String) -> GateError) throws -> (layers: [RecurrentLayer], source: CellSource) {
        func entry(_ parameter: RecurrentKey.Parameter, _ layer: Int, _ direction: Direction = .forward) -> TensorEntry? {
            module.entries[layer]?[direction]?[parameter]
        }
        // Layers 0 ..< L, L from weight_ih, without gaps; nothing beyond L.
        let inputLayers = module.entries.keys.filter { entry(.weightIH, $0) != nil }.sorted()
        for (position, layer) in inputLayers.enumerated() where position != layer {
            guard position > 0 else { throw fail("missing tensor \(module.key(.weightIH, layer: 0))") }
            throw fail("has \(module.key(.weightIH, layer: position - 1)) and \(module.key(.weightIH, layer: layer)) but no \(module.key(.weightIH, layer: position))")
        }
        let layerCount = inputLayers.count
        for (layer, directions) in module.entries where layer >= layerCount {
            let present = directions.values.flatMap(\.values).map(\.name).sorted().first ?? ""
            throw fail("missing tensor \(module.key(.weightIH, layer: layer)) (\(present) is present)")
        }
        let bidirectional = module.entries.values.contains { $0[.reverse] != nil }
        let directions: [Direction] = bidirectional ? [.forward, .reverse] : [.forward]
        let hasBias = module.entries.values.contains { $0.values.contains { $0[.biasIH] != nil || $0[.biasHH] != nil } }
        for layer in 0..<layerCount {
            for direction in directions {
                for parameter in [RecurrentKey.Parameter.weightIH, .weightHH] where entry(parameter, layer, direction) == nil {
                    throw fail("missing tensor \(module.key(parameter, layer: layer, direction: direction))"
                        + (direction == .reverse ? " (the module is bidirectional: it has _reverse tensors)" : ""))
                }
                guard hasBias else { continue }
                let ih = module.key(.biasIH, layer: layer, direction: direction)
                let hh = module.key(.biasHH, layer: layer, direction: direction)
                switch (entry(.biasIH, layer, direction), entry(.biasHH, layer, direction)) {
                case (_?, _?): continue
                case (_?, nil): throw fail("\(ih) is present but \(hh) is missing")
                case (nil, _?): throw fail("\(hh) is present but \(ih) is missing")
                case (nil, nil): throw fail("missing tensors \(ih) and \(hh) (other layers have biases)")
                }
            }
        }
        guard let recurrent0 = entry(.weightHH, 0), let input0 = entry(.weightIH, 0) else {
            throw fail("missing tensor \(module.key(.weightHH, layer: 0))")
        }
        // weight_hh is (G·H × P), and a projection (P × H) gives H; without one, P = H.
        let recurrentName = recurrent0.name
        guard recurrent0.shape.count == 2 else {
            throw fail("\(recurrentName) has shape \(bracketed(recurrent0.shape)), expected a matrix [rows, hidden size]")
        }
        let rows = recurrent0.shape[0], state = recurrent0.shape[1]
        var hidden = state
        if let projection = entry(.weightHR, 0) {
            guard projection.shape.count == 2, projection.shape[0] == state, projection.shape[1] > state else {
                throw fail("\(projection.name) has shape \(bracketed(projection.shape)), expected [\(state), hidden size > \(state)] (an LSTM projection, proj_size \(state))")
            }
            hidden = projection.shape[1]
        }
        guard hidden >= 1 else { throw fail("\(recurrentName) has shape \(bracketed(recurrent0.shape)): hidden size 0") }
        // A list in the metadata names every layer's kind in order ("gru-reset-before,lstm").
        let listed = (metadata?.count ?? 0) > 1 ? metadata.flatMap { firstLayerIndex < $0.count ? [$0[firstLayerIndex]] : nil } : metadata
        let (cell, source) = try cellKind(requested: requested, metadata: listed, rows: rows, hidden: hidden,
                                          tensorName: recurrentName, fail: fail)
        guard entry(.weightHR, 0) == nil || cell == .lstm else {
            throw fail("\(module.key(.weightHR, layer: 0)) is a projection, which only an LSTM has, but \(recurrentName) has the rows of a \(cell.displayName)")
        }
        let gateRows = cell.blockCount * hidden
        guard input0.shape.count == 2, input0.shape[1] >= 1 else {
            throw fail("\(input0.name) has shape \(bracketed(input0.shape)), expected [\(gateRows), input size ≥ 1]")
        }
        if let expectedInput, input0.shape[1] != expectedInput {
            throw fail("\(input0.name) has shape \(bracketed(input0.shape)), expected [\(gateRows), \(expectedInput)] (what the layer below outputs)")
        }
        var layerInput = input0.shape[1]
        var layers: [RecurrentLayer] = []
        for k in 0..<layerCount {
            let role = "layer \(firstLayerIndex + k + 1)"
            func weights(_ direction: Direction) throws -> LayerWeights {
                func read(_ parameter: RecurrentKey.Parameter, _ shape: [Int]) throws -> [Float]? {
                    guard let tensor = entry(parameter, k, direction) else { return nil }
                    return try reader.values(tensor, shape: shape, role: role + (direction == .reverse ? " (reverse)" : ""), fail: fail)
                }
                let projection = try read(.weightHR, [state, hidden])
                guard (projection != nil) == (hidden != state) else {
                    throw fail("missing tensor \(module.key(.weightHR, layer: k, direction: direction)) (layer 0 has a projection)")
                }
                return LayerWeights(
                    inputSize: layerInput, hiddenSize: hidden,
                    weightIH: try read(.weightIH, [gateRows, layerInput]) ?? [],
                    weightHH: try read(.weightHH, [gateRows, state]) ?? [],
                    biasIH: try read(.biasIH, [gateRows]), biasHH: try read(.biasHH, [gateRows]),
                    projection: projection)
            }
            let layer = RecurrentLayer(cell: cell, nonlinearity: relu && cell == .rnn ? .relu : .tanh, forward: try weights(.forward),
                                       reverse: bidirectional ? try weights(.reverse) : nil)
            layers.append(layer)
            layerInput = layer.outputSize
        }
        return (layers, source)
    }

    /// The requested kind, else the metadata's (the layer's own in a list), else the one the
    /// row count implies; the chosen kind must agree with the rows of weight_hh. A requested
    /// kind applies to every module.
    private static func cellKind(requested: CellKind?, metadata: [CellKind]?, rows: Int, hidden: Int,
                                 tensorName: String, fail: (String) -> GateError) throws -> (CellKind, CellSource) {
        let shape = bracketed([rows, hidden])
        if let kind = requested {
            guard rows == kind.blockCount * hidden else {
                throw fail("\(tensorName) has shape \(shape), expected \(bracketed([kind.blockCount * hidden, hidden])) for \(kind.displayName) (cell \(kind.rawValue) as requested)")
            }
            return (kind, .argument)
        }
        if let kind = metadata?.first {
            guard rows == kind.blockCount * hidden else {
                throw fail("\(tensorName) has shape \(shape), expected \(bracketed([kind.blockCount * hidden, hidden])) for \(kind.displayName) (cell = \(kind.rawValue) in __metadata__)")
            }
            return (kind, .metadata)
        }
        // PyTorch's nn.GRU is the reset-after form, so 3H rows mean .gru.
        guard let kind = [CellKind.lstm, .gru, .rnn].first(where: { rows == $0.blockCount * hidden }) else {
            throw fail("\(tensorName) has shape \(shape): its \(rows) rows are not 4, 3 or 1 × the hidden size \(hidden) (LSTM, GRU, RNN)")
        }
        return (kind, .shapes)
    }

    // MARK: Embedding and head

    /// Modules outside the recurrent ones, by path: their tensors' leaf names and entries.
    private static func otherModules(_ file: any TensorSource, excluding claimed: Set<String>,
                                     scope: LoadOptions.Scope?) -> [String: [String: TensorEntry]] {
        var modules: [String: [String: TensorEntry]] = [:]
        for entry in file.entries {
            let path = entry.name.lastIndex(of: ".").map { String(entry.name[..<$0]) } ?? ""
            guard !claimed.contains(path), scope?.contains(path) ?? true else { continue }
            let leaf = entry.name.lastIndex(of: ".").map { String(entry.name[entry.name.index(after: $0)...]) } ?? entry.name
            modules[path, default: [:]][leaf] = entry
        }
        return modules
    }

    /// `nn.Embedding`: a module holding only a `weight` of V × E, E the first layer's input
    /// size; the only one, or the only one a pickled model calls an Embedding.
    private static func findEmbedding(_ file: any TensorSource, inputSize: Int, claimed: Set<String>, scope: LoadOptions.Scope?,
                                      reader: inout TensorReader, fail: (String) -> GateError) throws -> (path: String, table: Embedding)? {
        let hinted = Dictionary(file.modules.map { ($0.path, $0.className) }, uniquingKeysWith: { first, _ in first })
        let candidates = otherModules(file, excluding: claimed, scope: scope).compactMap { path, leaves -> TensorEntry? in
            guard leaves.count == 1, let weight = leaves["weight"], weight.shape.count == 2,
                  weight.shape[1] == inputSize, weight.shape[0] >= 1 else { return nil }
            if let className = hinted[path], className != "Embedding" { return nil }
            return weight
        }.sorted { $0.name < $1.name }
        guard let weight = candidates.first else { return nil }
        guard candidates.count == 1 else {
            throw fail("several tensors could be the embedding (rows of \(inputSize), the first layer's input): \(candidates.map(\.name).joined(separator: ", ")); keep one in the file")
        }
        let rows = weight.shape[0]
        let values = try reader.values(weight, shape: weight.shape, role: "embedding", fail: fail)
        return (String(weight.name.dropLast(".weight".count)), Embedding(vocabularySize: rows, dimension: inputSize, weight: values))
    }

    /// The head: the module `--head` names, else the only `nn.Linear` (a `weight` K × F and
    /// optionally a `bias` K, nothing else) reading F = the last layer's output, whatever
    /// its name; `head.` when several fit. None with `--no-head`.
    private static func findHead(_ file: any TensorSource, width: Int, claimed: Set<String>, options: LoadOptions,
                                 reader: inout TensorReader, fail: (String) -> GateError) throws -> LinearHead? {
        if options.noHead { return nil }
        let modules = otherModules(file, excluding: claimed, scope: options.scope)
        func linear(_ path: String, explicit: Bool) throws -> LinearHead? {
            let prefix = path.isEmpty ? "" : path + "."
            let leaves = modules[path] ?? [:]
            switch (leaves["weight"], leaves["bias"]) {
            case (nil, nil):
                if explicit { throw fail("missing tensor \(prefix)weight for the head prefix \(path)") }
                return nil
            case (nil, _?):
                throw fail("\(prefix)bias is present but \(prefix)weight is missing")
            case let (weight?, bias):
                guard weight.shape.count == 2, weight.shape[0] >= 1 else {
                    throw fail("\(weight.name) has shape \(bracketed(weight.shape)), expected [outputs ≥ 1, \(width)]")
                }
                guard weight.shape[1] == width else {
                    throw fail("\(weight.name) has shape \(bracketed(weight.shape)): the head reads \(weight.shape[1]) inputs but the last layer outputs \(width)")
                }
                let outputs = weight.shape[0]
                return LinearHead(outputSize: outputs, inputSize: width,
                                  weight: try reader.values(weight, shape: [outputs, width], role: "head", fail: fail),
                                  bias: try bias.map { try reader.values($0, shape: [outputs], role: "head", fail: fail) })
            }
        }
        if var path = options.headPrefix {
            if path.hasSuffix(".") { path.removeLast() }
            return try linear(path, explicit: true)
        }
        let hinted = Dictionary(file.modules.map { ($0.path, $0.className) }, uniquingKeysWith: { first, _ in first })
        let candidates = modules.compactMap { path, leaves -> String? in
            guard let weight = leaves["weight"], weight.shape.count == 2, weight.shape[1] == width, weight.shape[0] >= 1,
                  Set(leaves.keys).isSubset(of: ["weight", "bias"]),
                  leaves["bias"].map({ $0.shape == [weight.shape[0]] }) ?? true else { return nil }
            if let className = hinted[path], className != "Linear" { return nil }
            return path
        }.sorted()
        let gatescopeHead = String(StateDictName.headPrefix.dropLast())
        if candidates.count == 1, let path = candidates.first { return try linear(path, explicit: false) }
        if candidates.isEmpty || candidates.contains(gatescopeHead) {
            // gatescope's own name is a head by name: it must fit.
            return try linear(gatescopeHead, explicit: false)
        }
        throw fail("several linear layers read the last layer's \(width) outputs: \(candidates.joined(separator: ", ")); choose the head with --head PREFIX, or --no-head")
    }
}

/// Reads the tensors the model uses, checking shape and values, and remembers which became what.
struct TensorReader {
    let file: any TensorSource
    private(set) var used: [String] = []
    private(set) var roles: [String: String] = [:]

    init(file: any TensorSource) {
        self.file = file
    }

    mutating func values(_ tensor: TensorEntry, shape: [Int], role: String, fail: (String) -> GateError) throws -> [Float] {
        guard tensor.shape == shape else {
            throw fail("\(tensor.name) has shape \(bracketed(tensor.shape)), expected \(bracketed(shape))")
        }
        let values = try file.floats(named: tensor.name)
        do {
            try RecurrentModel.checkValues(values, tensor.name, shape: shape)
        } catch let error as GateError {
            throw fail(error.message)
        }
        used.append(tensor.name)
        roles[tensor.name] = role
        return values
    }
}
