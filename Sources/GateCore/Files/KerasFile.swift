import Foundation
import ZIPFoundation

/// A Keras model as a tensor source in PyTorch's names and layout, so the model loader finds
/// its pipeline as in any PyTorch file. Reads the three forms students save:
///
/// - `.keras` (Keras 3): a zip of `config.json` (the architecture) and `model.weights.h5`;
/// - `.weights.h5` (Keras 3 `save_weights`): the HDF5 alone, with the architecture from a
///   `.keras` or `.json` of the same stem beside it;
/// - the whole-model `.h5` of Keras 2 / tf.keras: HDF5 with the architecture as JSON in the
///   root attribute `model_config` and the weights under `model_weights/`.
///
/// Each layer is converted, never assumed: the kernel (I × G·H) and recurrent kernel
/// (H × G·H) are transposed into PyTorch's (G·H × I) and (G·H × H); the GRU's blocks z, r, h
/// become PyTorch's r, z, n (the LSTM's i, f, c, o already are i, f, g, o); a single bias row
/// becomes `bias_ih` with a zero `bias_hh` (Keras adds one bias where PyTorch adds two); a GRU
/// with `reset_after=False` becomes the `gru-reset-before` cell. An activation gatescope does
/// not compute (`hard_sigmoid`, …), a merge other than concatenation, masking, or a layer it
/// does not know between the recurrent ones is refused with its name.
struct KerasFile: TensorSource {
    let source: String
    private(set) var entries: [TensorEntry] = []
    private(set) var metadata: [String: String] = [:]
    private(set) var modules: [ModuleHint] = []
    /// How each Keras layer and weight became a PyTorch tensor, and the conventions that
    /// differ, for `inspect`.
    private(set) var notes: [String] = []
    private var values: [String: [Float]] = [:]

    /// The most bytes of a `model.weights.h5` taken out of a `.keras` archive (into memory).
    static let maxWeightsBytes = 1 << 31

    func floats(named name: String) throws -> [Float] {
        guard let values = values[name] else { throw GateError("\(source): no tensor named \(name)") }
        return values
    }

    // MARK: Opening the three forms

    /// A `.keras` archive.
    static func open(archive path: String) throws -> KerasFile {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw GateError("\(path): cannot be read as a .keras zip archive (\(error))")
        }
        let config = try parseJSON(member("config.json", of: archive, path: path), source: "\(path): config.json")
        let weights = try HDF5File(bytes: member("model.weights.h5", of: archive, path: path), source: "\(path): model.weights.h5")
        var file = KerasFile(source: path)
        try file.build(config: config, weights: KerasWeights(file: weights, legacy: false), sourceNote: "Keras 3 .keras archive")
        return file
    }

    /// The bytes of `name` in the archive at `path`, at most `limit` of them.
    private static func member(_ name: String, of archive: Archive, path: String, limit: Int = maxWeightsBytes) throws -> [UInt8] {
        guard let entry = archive[name] else { throw GateError("\(path): the .keras archive has no \(name)") }
        guard entry.uncompressedSize <= UInt64(limit) else {
            throw GateError("\(path): \(name) in the archive is \(entry.uncompressedSize) bytes, over gatescope's limit of \(limit)")
        }
        var bytes: [UInt8] = []
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                guard bytes.count + chunk.count <= limit else { throw GateError("\(path): \(name) is over \(limit) bytes") }
                bytes += chunk
            }
        } catch let error as GateError {
            throw error
        } catch {
            throw GateError("\(path): cannot extract \(name) from the archive (\(error))")
        }
        return bytes
    }

    /// The most bytes of an architecture (config.json or a model's JSON).
    static let maxConfigBytes = 16 << 20

    /// An HDF5 file: a Keras 2 whole model (`model_config`), or Keras 3 weights with the
    /// architecture beside it.
    static func open(hdf5 path: String) throws -> KerasFile {
        let (descriptor, status) = try LocalFile.openForReading(path, kind: "a Keras .h5 file")
        defer { close(descriptor) }
        let size = Int(max(0, status.st_size))
        guard size <= maxWeightsBytes else { throw GateError("\(path): \(size) bytes, over gatescope's limit of \(maxWeightsBytes) for an HDF5 file") }
        let bytes = try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            try LocalFile.read(descriptor, into: UnsafeMutableRawBufferPointer(buffer), at: 0, source: path)
            initialized = size
        }
        let hdf5 = try HDF5File(bytes: bytes, source: path)
        let root = try hdf5.object(at: hdf5.rootAddress, readAttributes: true)
        var file = KerasFile(source: path)
        if let text = root.attributes["model_config"]?.first {
            let config = try parseJSON(Array(text.utf8), source: "\(path): model_config")
            let version = root.attributes["keras_version"]?.first.map { " (Keras \($0))" } ?? ""
            try file.build(config: config, weights: KerasWeights(file: hdf5, legacy: true),
                           sourceNote: "Keras whole-model .h5\(version)")
            return file
        }
        guard root.links.contains(where: { $0.name == "layers" }) else {
            throw GateError("\(path): an HDF5 file without a Keras model_config attribute or layers/ group: not a Keras model (a weights file of Keras 2's save_weights needs its architecture; save the whole model with model.save(\"model.keras\"))")
        }
        let stem = path.hasSuffix(".weights.h5") ? String(path.dropLast(".weights.h5".count))
            : (path as NSString).deletingPathExtension
        for companion in [stem + ".keras", stem + ".json"] where FileManager.default.fileExists(atPath: companion) {
            let config: Any
            if companion.hasSuffix(".keras") {
                guard let archive = try? Archive(url: URL(fileURLWithPath: companion), accessMode: .read) else { continue }
                config = try parseJSON(member("config.json", of: archive, path: companion, limit: maxConfigBytes),
                                       source: "\(companion): config.json")
            } else {
                config = try parseJSON(LocalFile.readText(companion, limit: maxConfigBytes, kind: "a Keras model JSON"), source: companion)
            }
            try file.build(config: config, weights: KerasWeights(file: hdf5, legacy: false),
                           sourceNote: "Keras 3 weights, architecture from \((companion as NSString).lastPathComponent)")
            return file
        }
        // No architecture: the layers from the weights' own groups and shapes, when they allow one reading.
        let weights = try KerasWeights(file: hdf5, legacy: false)
        let advice = "put the model's .keras (or model.to_json() as \((stem as NSString).lastPathComponent).json) beside it, or save the whole model with model.save(\"model.keras\")"
        try file.build(config: inferredConfig(weights, source: path, advice: advice), weights: weights,
                       sourceNote: "Keras 3 weights alone, layers inferred from their shapes (Keras 3 defaults: tanh, sigmoid gates)",
                       storedByName: true)
        return file
    }

    /// A Sequential config read off a Keras 3 weights file: `layers/embedding*`, the recurrent
    /// layers (kind from the recurrent kernel's width: 4, 3 or 1 × units; `reset_after` from
    /// the bias rows; Bidirectional from `forward_layer/`) in the one order their sizes chain,
    /// then `layers/dense*`. Refused when a layer is of another kind or the order is open.
    static func inferredConfig(_ weights: KerasWeights, source: String, advice: String) throws -> [String: Any] {
        func fail(_ message: String) -> GateError { GateError("\(source): Keras weights without their architecture, and \(message); \(advice)") }
        var groups: [String] = []
        for item in weights.datasets {
            let parts = item.path.split(separator: "/")
            guard parts.count > 2, parts[0] == "layers", !groups.contains(String(parts[1])) else { continue }
            groups.append(String(parts[1]))
        }
        func shape(_ path: String) -> [Int]? { weights.datasets.first { $0.path == path }?.dataset.shape }
        var embedding: [String: Any]?, dense: [String: Any]?
        var recurrent: [(config: [String: Any], input: Int, output: Int)] = []
        var embeddingWidth: Int?
        for group in groups.sorted() {
            let base = group.split(separator: "_").first.map(String.init) ?? group
            if group.hasPrefix("embedding"), let table = shape("layers/\(group)/vars/0"), table.count == 2 {
                guard embedding == nil else { throw fail("several embeddings") }
                embedding = ["class_name": "Embedding", "config": ["name": group] as [String: Any]]
                embeddingWidth = table[1]
                continue
            }
            if base == "dense" {
                guard dense == nil else { throw fail("several Dense layers") }
                dense = ["class_name": "Dense", "config": ["name": group, "use_bias": shape("layers/\(group)/vars/1") != nil] as [String: Any]]
                continue
            }
            let bidirectional = shape("layers/\(group)/forward_layer/cell/vars/1") != nil
            let cell = "layers/\(group)/\(bidirectional ? "forward_layer/" : "")cell/vars/"
            guard let kernel = shape(cell + "0"), let recurrentKernel = shape(cell + "1"), kernel.count == 2,
                  recurrentKernel.count == 2, recurrentKernel[0] > 0 else {
                throw fail("layers/\(group) is not an embedding, recurrent layer or Dense layer gatescope can read")
            }
            let blocks = recurrentKernel[1] / recurrentKernel[0]
            guard let kind = [4: "LSTM", 3: "GRU", 1: "SimpleRNN"][blocks], recurrentKernel[1] == blocks * recurrentKernel[0] else {
                throw fail("layers/\(group) has a recurrent kernel of shape \(bracketed(recurrentKernel)), not 4, 3 or 1 × its units")
            }
            let bias = shape(cell + "2")
            var settings: [String: Any] = ["name": group, "return_sequences": true, "use_bias": bias != nil]
            if kind == "GRU" { settings["reset_after"] = bias?.count != 1 }
            let layer: [String: Any] = bidirectional
                ? ["class_name": "Bidirectional", "config": ["name": group, "return_sequences": true,
                                                              "layer": ["class_name": kind, "config": settings] as [String: Any]] as [String: Any]]
                : ["class_name": kind, "config": settings]
            recurrent.append((layer, kernel[0], recurrentKernel[0] * (bidirectional ? 2 : 1)))
        }
        guard !recurrent.isEmpty, recurrent.count <= 6 else { throw fail("\(recurrent.count) recurrent layers") }
        func orders(_ rest: [(config: [String: Any], input: Int, output: Int)], after width: Int?) -> [[[String: Any]]] {
            guard !rest.isEmpty else { return [[]] }
            return rest.indices.flatMap { index -> [[[String: Any]]] in
                guard width.map({ $0 == rest[index].input }) ?? true else { return [] }
                var others = rest
                let layer = others.remove(at: index)
                return orders(others, after: layer.output).map { [layer.config] + $0 }
            }
        }
        let chains = orders(recurrent, after: embeddingWidth)
        guard chains.count == 1, let chain = chains.first else {
            throw fail("the recurrent layers' sizes chain in \(chains.count) orders")
        }
        let layers = (embedding.map { [$0] } ?? []) + chain + (dense.map { [$0] } ?? [])
        return ["class_name": "Sequential", "config": ["layers": layers] as [String: Any]]
    }

    private init(source: String) { self.source = source }

    private static func parseJSON(_ bytes: [UInt8], source: String) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(bytes))
        } catch {
            throw GateError("\(source): not valid JSON (\(error.localizedDescription))")
        }
    }

    // MARK: Building the PyTorch view

    private func fail(_ message: String) -> GateError { GateError("\(source): \(message)") }

    /// Walks the architecture's layers in order and converts each one's weights.
    /// `storedByName`: the weights' groups carry the layers' names (an inferred architecture).
    private mutating func build(config: Any, weights: KerasWeights, sourceNote: String, storedByName: Bool = false) throws {
        guard let model = config as? [String: Any], let inner = model["config"] as? [String: Any],
              let layers = inner["layers"] as? [[String: Any]] else {
            throw fail("the Keras architecture (\(sourceNote)) has no config.layers list (a Sequential or Functional model was expected)")
        }
        notes.append("from Keras: \(sourceNote)")
        var cells: [CellKind] = []
        var sawRecurrent = false
        var sawHead = false
        var previousReturnsSequences = true
        var storedNames: [String: Int] = [:]
        for layer in layers {
            let kind = layer["class_name"] as? String ?? "?"
            let settings = layer["config"] as? [String: Any] ?? [:]
            let name = settings["name"] as? String ?? kind
            // Keras 3 files a layer's weights under its class in snake case, numbered from the
            // second of a class on ("lstm", "gru", "lstm_1"), whatever the layer's own name;
            // Keras 2 files them under the layer's name.
            let snake = KerasWeights.snakeCase(kind)
            let stored = weights.legacy || storedByName ? name : storedNames[snake].map { "\(snake)_\($0)" } ?? snake
            storedNames[snake, default: 0] += 1
            let described = "layer \(name) (\(kind))"
            guard !sawHead || kind == "Dropout" else {
                throw fail("\(described) comes after the Dense head; gatescope reads embedding → recurrent layers → one Dense head")
            }
            switch kind {
            case "InputLayer":
                continue
            case "Dropout", "SpatialDropout1D":
                notes.append("\(name): \(kind), which does nothing at inference, skipped")
            case "Embedding":
                guard !sawRecurrent else { throw fail("\(described) after a recurrent layer; an embedding must come first") }
                if settings["mask_zero"] as? Bool == true {
                    throw fail("\(described) has mask_zero=True: Keras skips the steps of token 0, which gatescope does not do; rebuild it with mask_zero=False to see every step")
                }
                let table = try weights.tensor(layer: stored, role: .embedding, direction: nil, source: source)
                try add(name + ".weight", table.shape, table.values, note: "\(name).weight ← \(table.path) (embeddings, as stored)")
            case "LSTM", "GRU", "SimpleRNN", "Bidirectional":
                guard previousReturnsSequences else {
                    throw fail("the recurrent layer before \(described) has return_sequences=False (it passes on only its last step); gatescope runs stacks that pass on every step")
                }
                var cellSettings = settings
                var cellKind = kind
                var directions: [Direction?] = [nil]
                if kind == "Bidirectional" {
                    let mode = settings["merge_mode"] as? String ?? "concat"
                    guard mode == "concat" else {
                        throw fail("\(described) merges its directions by \(mode); gatescope shows them concatenated, as PyTorch does (merge_mode=\"concat\")")
                    }
                    guard let wrapped = settings["layer"] as? [String: Any], let wrappedKind = wrapped["class_name"] as? String,
                          let wrappedSettings = wrapped["config"] as? [String: Any] else {
                        throw fail("\(described) has no wrapped layer in its config")
                    }
                    cellKind = wrappedKind
                    cellSettings = wrappedSettings
                    cellSettings["return_sequences"] = settings["return_sequences"] ?? wrappedSettings["return_sequences"]
                    directions = [.forward, .reverse]
                }
                let cell = try convertRecurrent(name: name, stored: stored, kind: cellKind, settings: cellSettings,
                                                directions: directions, weights: weights)
                cells.append(cell)
                modules.append(ModuleHint(path: name, className: kind == "Bidirectional" ? "Bidirectional(\(cellKind))" : kind,
                                          attributes: cellSettings["activation"] as? String == "relu" ? ["nonlinearity": "relu"] : [:]))
                sawRecurrent = true
                previousReturnsSequences = cellSettings["return_sequences"] as? Bool ?? false
                if !previousReturnsSequences {
                    notes.append("\(name): return_sequences=False; gatescope shows every step, Keras the last")
                    if kind == "Bidirectional" {
                        // Keras' last output pairs the forward h of the last step with the reverse h of the first.
                        notes.append("\(name): Keras outputs [forward h at the last step, reverse h at the first]")
                    }
                }
            case "Dense":
                guard sawRecurrent else { throw fail("\(described) before any recurrent layer; gatescope reads embedding → recurrent layers → Dense head") }
                let activation = settings["activation"] as? String ?? "linear"
                if activation != "linear" {
                    notes.append("\(name): Dense activation \(activation) is not applied: y shows the values before it")
                }
                let kernel = try weights.tensor(layer: stored, role: .kernel, direction: nil, source: source)
                guard kernel.shape.count == 2 else { throw fail("\(kernel.path) has shape \(bracketed(kernel.shape)), expected [inputs, units]") }
                try add(name + ".weight", [kernel.shape[1], kernel.shape[0]],
                        transposed(kernel.values, rows: kernel.shape[0], columns: kernel.shape[1], blocks: [0]),
                        note: "\(name).weight ← \(kernel.path) (kernel [inputs, units]) transposed")
                if settings["use_bias"] as? Bool ?? true {
                    let bias = try weights.tensor(layer: stored, role: .bias, direction: nil, source: source)
                    try add(name + ".bias", bias.shape, bias.values, note: "\(name).bias ← \(bias.path)")
                }
                sawHead = true
            default:
                throw fail("\(described) is a layer gatescope does not run; it reads Embedding → LSTM / GRU / SimpleRNN (or Bidirectional around one) → Dense")
            }
        }
        guard sawRecurrent else { throw fail("the Keras model has no LSTM, GRU or SimpleRNN layer") }
        metadata["cell"] = cells.map(\.rawValue).joined(separator: ",")
        metadata["modules"] = modules.map(\.path).joined(separator: ",")
        metadata["framework"] = "Keras"
        if cells.contains(where: { $0 == .gru || $0 == .gruResetBefore }) {
            notes.append("Keras GRU z, r, h = PyTorch z, r, n (z ≈ 1 keeps the old h in both)")
        }
        if cells.contains(.lstm) {
            notes.append("Keras LSTM i, f, c, o = PyTorch i, f, g, o (Keras calls the candidate c)")
        }
    }

    /// One recurrent layer (both directions of a Bidirectional): checks its activations and
    /// options, converts its weights, and returns its cell kind.
    private mutating func convertRecurrent(name: String, stored: String, kind: String, settings: [String: Any],
                                           directions: [Direction?], weights: KerasWeights) throws -> CellKind {
        let described = "layer \(name) (\(kind))"
        let activation = settings["activation"] as? String ?? "tanh"
        let recurrentActivation = settings["recurrent_activation"] as? String ?? "sigmoid"
        let cell: CellKind
        switch kind {
        case "LSTM": cell = .lstm
        case "GRU": cell = settings["reset_after"] as? Bool ?? true ? .gru : .gruResetBefore
        case "SimpleRNN": cell = .rnn
        default: throw fail("\(described) wraps \(kind), which gatescope does not run (LSTM, GRU, SimpleRNN)")
        }
        let allowedActivation = cell == .rnn ? ["tanh", "relu"] : ["tanh"]
        guard allowedActivation.contains(activation) else {
            throw fail("\(described) has activation=\"\(activation)\"; gatescope computes \(allowedActivation.joined(separator: " or ")) there, as PyTorch does")
        }
        if cell != .rnn, recurrentActivation != "sigmoid" {
            let hint = recurrentActivation == "hard_sigmoid"
                ? " (Keras 2's default, clip(0.2·x + 0.5, 0, 1)); retrain or rebuild the layer with recurrent_activation=\"sigmoid\""
                : ""
            throw fail("\(described) has recurrent_activation=\"\(recurrentActivation)\"; gatescope computes the gates with the sigmoid, as PyTorch does\(hint)")
        }
        if settings["go_backwards"] as? Bool == true {
            throw fail("\(described) has go_backwards=True on its own (it outputs its steps reversed); gatescope runs a reverse direction only inside Bidirectional")
        }
        let useBias = settings["use_bias"] as? Bool ?? true
        // PyTorch's block b is Keras' block blocks[b].
        let blocks = cell == .lstm ? [0, 1, 2, 3] : cell == .rnn ? [0] : [1, 0, 2]
        for direction in directions {
            let suffix = direction == .reverse ? "_reverse" : ""
            let kernel = try weights.tensor(layer: stored, role: .kernel, direction: direction, source: source)
            let recurrent = try weights.tensor(layer: stored, role: .recurrentKernel, direction: direction, source: source)
            guard recurrent.shape.count == 2, recurrent.shape[0] >= 1,
                  recurrent.shape[1] == cell.blockCount * recurrent.shape[0] else {
                throw fail("\(recurrent.path) has shape \(bracketed(recurrent.shape)), expected [units, \(cell.blockCount) × units] for a Keras \(kind)")
            }
            let hidden = recurrent.shape[0], rows = cell.blockCount * hidden
            guard kernel.shape.count == 2, kernel.shape[1] == rows, kernel.shape[0] >= 1 else {
                throw fail("\(kernel.path) has shape \(bracketed(kernel.shape)), expected [inputs, \(rows)]")
            }
            try add("\(name).weight_ih_l0\(suffix)", [rows, kernel.shape[0]],
                    transposed(kernel.values, rows: kernel.shape[0], columns: rows, blocks: blocks),
                    note: "\(name).weight_ih_l0\(suffix) ← \(kernel.path) (kernel) transposed\(cell == .lstm || cell == .rnn ? "" : ", blocks z, r, h → r, z, n")")
            try add("\(name).weight_hh_l0\(suffix)", [rows, hidden],
                    transposed(recurrent.values, rows: hidden, columns: rows, blocks: blocks),
                    note: "\(name).weight_hh_l0\(suffix) ← \(recurrent.path) (recurrent_kernel) transposed")
            guard useBias else { continue }
            let bias = try weights.tensor(layer: stored, role: .bias, direction: direction, source: source)
            // reset_after=True keeps an input row and a recurrent row, as PyTorch; otherwise one row.
            let twoRows = cell == .gru
            guard bias.shape == (twoRows ? [2, rows] : [rows]) else {
                throw fail("\(bias.path) has shape \(bracketed(bias.shape)), expected \(bracketed(twoRows ? [2, rows] : [rows]))")
            }
            let inputRow = reordered(Array(bias.values.prefix(rows)), hidden: hidden, blocks: blocks)
            let recurrentRow = twoRows ? reordered(Array(bias.values.suffix(rows)), hidden: hidden, blocks: blocks)
                : [Float](repeating: 0, count: rows)
            try add("\(name).bias_ih_l0\(suffix)", [rows], inputRow,
                    note: "\(name).bias_ih_l0\(suffix) ← \(bias.path)\(twoRows ? " row 0 (input)" : "")")
            try add("\(name).bias_hh_l0\(suffix)", [rows], recurrentRow,
                    note: twoRows ? "\(name).bias_hh_l0\(suffix) ← \(bias.path) row 1 (recurrent)"
                        : "\(name).bias_hh_l0\(suffix) = 0 (Keras has one bias row)")
        }
        if cell == .gruResetBefore {
            notes.append("\(name): reset_after=False, r acts before the recurrent product")
        }
        return cell
    }

    private mutating func add(_ name: String, _ shape: [Int], _ tensor: [Float], note: String) throws {
        guard elementCount(shape) == tensor.count else {
            throw fail("\(name) would have shape \(bracketed(shape)) but \(tensor.count) values")
        }
        entries.append(TensorEntry(name: name, shape: shape, dtype: "F32"))
        values[name] = tensor
        notes.append(note)
    }

    /// `matrix` (rows × columns, row-major, columns in G blocks) transposed to (columns ×
    /// rows), with PyTorch block b taken from Keras block `blocks[b]`.
    private func transposed(_ matrix: [Float], rows: Int, columns: Int, blocks: [Int]) -> [Float] {
        let width = columns / blocks.count
        var out = [Float](repeating: 0, count: matrix.count)
        for (target, from) in blocks.enumerated() {
            for j in 0..<width {
                for i in 0..<rows {
                    out[(target * width + j) * rows + i] = matrix[i * columns + from * width + j]
                }
            }
        }
        return out
    }

    private func reordered(_ row: [Float], hidden: Int, blocks: [Int]) -> [Float] {
        blocks.flatMap { row[$0 * hidden..<($0 + 1) * hidden] }
    }
}

/// Where a Keras layer's weights are in the HDF5 file.
struct KerasWeights {
    let file: HDF5File
    /// Keras 2 whole-model files: `model_weights/<layer>/…/kernel:0`; else Keras 3:
    /// `layers/<layer>/[forward_layer/|backward_layer/]cell/vars/<n>`.
    let legacy: Bool
    let datasets: [(path: String, dataset: HDF5File.Dataset)]

    enum Role {
        case kernel, recurrentKernel, bias, embedding

        /// Keras 3 stores variables by index in creation order.
        var index: String {
            switch self {
            case .kernel, .embedding: "0"
            case .recurrentKernel: "1"
            case .bias: "2"
            }
        }

        var legacyName: String {
            switch self {
            case .kernel: "kernel"
            case .recurrentKernel: "recurrent_kernel"
            case .bias: "bias"
            case .embedding: "embeddings"
            }
        }
    }

    /// Keras' `to_snake_case`: "SimpleRNN" → "simple_rnn", "LayerNormalization" →
    /// "layer_normalization".
    static func snakeCase(_ name: String) -> String {
        var out = ""
        let characters = Array(name)
        for (index, character) in characters.enumerated() {
            if index > 0, character.isUppercase {
                let previous = characters[index - 1]
                let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
                if previous.isLowercase || nextIsLower { out += "_" }
            }
            out += character.lowercased()
        }
        return out
    }

    init(file: HDF5File, legacy: Bool) throws {
        self.file = file
        self.legacy = legacy
        datasets = try file.walk().compactMap { item in item.object.dataset.map { (item.path, $0) } }
    }

    func tensor(layer: String, role: Role, direction: Direction?, source: String) throws -> (path: String, shape: [Int], values: [Float]) {
        let found: [(path: String, dataset: HDF5File.Dataset)]
        if legacy {
            let side = direction.map { $0 == .forward ? "/forward_" : "/backward_" }
            found = datasets.filter { item in
                let leaf = item.path.split(separator: "/").last.map { String($0.split(separator: ":")[0]) } ?? ""
                return item.path.hasPrefix("model_weights/\(layer)/") && leaf == role.legacyName
                    && (side.map { item.path.contains($0) } ?? true)
            }
        } else {
            let side = direction.map { $0 == .forward ? "forward_layer/" : "backward_layer/" } ?? ""
            // A Dense bias is its second variable; a recurrent cell's its third.
            let index = role == .bias && direction == nil && !datasets.contains { $0.path.hasPrefix("layers/\(layer)/cell/") } ? "1" : role.index
            let candidates = ["layers/\(layer)/\(side)cell/vars/\(index)", "layers/\(layer)/\(side)vars/\(index)"]
            found = candidates.compactMap { path in datasets.first { $0.path == path } }
        }
        guard let item = found.first else {
            throw GateError("\(source): no \(role.legacyName) weights for layer \(layer)\(direction.map { " (\($0.name) direction)" } ?? "") in the weights file")
        }
        guard found.count == 1 else {
            throw GateError("\(source): several \(role.legacyName) weights for layer \(layer): \(found.map(\.path).joined(separator: ", "))")
        }
        return (item.path, item.dataset.shape, try file.floats(item.dataset, name: item.path))
    }
}

extension RecurrentModel {
    /// The framework a model file came from and its names that differ from the PyTorch
    /// letters on screen, short enough for the input line ("from Keras: candidate c = g");
    /// nil for PyTorch files.
    public var frameworkNote: String? {
        guard metadata["framework"] == "Keras" else { return nil }
        let lstm = layers.contains { $0.cell == .lstm }
        let gru = layers.contains { $0.cell == .gru || $0.cell == .gruResetBefore }
        let candidates = (lstm ? ["c = g"] : []) + (gru ? ["h = n"] : [])
        var parts = candidates.isEmpty ? [] : ["candidate " + candidates.joined(separator: ", ")]
        if layers.contains(where: { $0.cell == .gruResetBefore }) { parts.append("reset before") }
        return parts.isEmpty ? "from Keras" : "from Keras: " + parts.joined(separator: ", ")
    }
}
