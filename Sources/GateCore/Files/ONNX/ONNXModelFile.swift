import Foundation
import SwiftProtobuf

/// `.onnx` models: a graph of ONNX's `LSTM`, `GRU` and `RNN` operators, as `torch.onnx.export`
/// and tf2onnx write them, read into gatescope's pipeline.
///
/// The graph is followed from its input along the sequence: an embedding `Gather` on an
/// initializer, the recurrent operators (with only reshaping glue — Transpose, Reshape,
/// Squeeze, Unsqueeze, Identity — between them), then a `Gemm` or `MatMul` + `Add` head.
/// Nodes that only compute shapes or constants are passed over; any other operator on the
/// sequence's path is refused by name. ONNX's weights W (D × G·H × I), R (D × G·H × H) and
/// B (D × 2·G·H, Wb then Rb) hold the gate blocks in ONNX's order (LSTM i, o, f, c; GRU z, r, h)
/// and become PyTorch's (i, f, g, o; r, z, n); `linear_before_reset` picks PyTorch's GRU (1)
/// or the original one, `gru-reset-before` (0).
public enum ONNXModelFile {
    /// The largest .onnx file read: protobuf messages end at 2 GiB.
    static let maxFileBytes = 1 << 31

    /// Reads the model of the .onnx file at `path`.
    public static func load(path: String) throws -> RecurrentModel {
        try read(path: path)
    }

    static func read(path: String) throws -> RecurrentModel {
        let (descriptor, status) = try LocalFile.openForReading(path, kind: "an ONNX model")
        defer { close(descriptor) }
        let size = Int(max(0, status.st_size))
        guard size <= maxFileBytes else {
            throw GateError("\(path): \(ModelFile.grouped(size)) bytes, more than an ONNX model can hold (2 GiB)")
        }
        let bytes = try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            try LocalFile.read(descriptor, into: UnsafeMutableRawBufferPointer(buffer), at: 0, source: path)
            initialized = size
        }
        return try read(bytes: bytes, source: path)
    }

    static func read(bytes: [UInt8], source: String) throws -> RecurrentModel {
        let proto: Onnx_ModelProto
        do {
            proto = try Onnx_ModelProto(serializedBytes: bytes)
        } catch {
            throw GateError("\(source): not a readable ONNX model (protobuf: \(error))")
        }
        guard proto.hasGraph else { throw GateError("\(source): an ONNX file without a graph") }
        var graph = GraphReader(graph: proto.graph, source: source)
        // The initializers' shapes are checked before any value is read.
        try ModelBudget.check(graph.tensorEntries(), source: source)
        var model = try graph.model()
        model.metadata = graph.metadata(producer: proto.producerName, version: proto.producerVersion,
                                        opset: proto.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version)
        try model.validate()
        return model
    }
}

/// `ModelFile.MetadataKey`-like keys an ONNX model carries in `RecurrentModel.metadata`.
public enum SourceFrameworkKey {
    /// "ONNX (pytorch 2.15.0, opset 17)": where the model came from.
    public static let framework = "framework"
    /// How the framework's conventions were read into PyTorch's, one line.
    public static let conventions = "conventions"
}

extension RecurrentModel {
    /// "from ONNX: LSTM gate rows i,o,f,c read as PyTorch's i,f,g,o" for a model another
    /// framework wrote, so the screen names the conventions that differ from PyTorch's; nil
    /// for PyTorch's own files.
    public var sourceFrameworkNote: String? {
        guard let framework = metadata[SourceFrameworkKey.framework] else { return nil }
        let name = framework.prefix { $0 != " " }
        return "from \(name)" + (metadata[SourceFrameworkKey.conventions].map { ": \($0)" } ?? "")
    }
}

/// Walks an ONNX graph along the sequence's path.
struct GraphReader {
    let graph: Onnx_GraphProto
    let source: String
    /// Initializers and `Constant` node values by name.
    private(set) var constants: [String: Onnx_TensorProto] = [:]
    /// Per recurrent layer: which node and tensors it came from, for `inspect`.
    private(set) var provenance: [String] = []
    /// The gate-order and reset conventions met, for the note on screen.
    private(set) var conventions: [String] = []

    init(graph: Onnx_GraphProto, source: String) {
        self.graph = graph
        self.source = source
        for tensor in graph.initializer { constants[tensor.name] = tensor }
        for node in graph.node where node.opType == "Constant" {
            if let value = node.attribute.first(where: { $0.name == "value" }), value.hasT, let name = node.output.first {
                constants[name] = value.t
            }
        }
    }

    /// Every initializer as a tensor entry (dtype as ONNX's data type code).
    func tensorEntries() throws -> [TensorEntry] {
        try graph.initializer.map { tensor in
            let type = ONNXTensors.ElementType(rawValue: tensor.dataType)?.name ?? "type \(tensor.dataType)"
            return TensorEntry(name: tensor.name, shape: try ONNXTensors.shape(tensor, source: source), dtype: type)
        }
    }

    func metadata(producer: String, version: String, opset: Int64?) -> [String: String] {
        var from = [producer, version].filter { !$0.isEmpty }.joined(separator: " ")
        if let opset { from += (from.isEmpty ? "" : ", ") + "opset \(opset)" }
        var metadata = [SourceFrameworkKey.framework: "ONNX" + (from.isEmpty ? "" : " (\(from))")]
        if !conventions.isEmpty { metadata[SourceFrameworkKey.conventions] = conventions.joined(separator: "; ") }
        for (k, line) in provenance.enumerated() { metadata["onnx layer \(k + 1)"] = line }
        return metadata
    }

    /// Operators that only move values between the recurrent layers' output layout
    /// (seq, directions, batch, H) and the next one's input (seq, batch, features).
    static let reshapingOperators: Set<String> = ["Transpose", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Flatten"]
    /// Operators whose outputs are shapes, not values of the sequence.
    static let shapeOperators: Set<String> = ["Shape", "Size"]

    mutating func model() throws -> RecurrentModel {
        let initialized = Set(graph.initializer.map(\.name))
        let inputs = graph.input.map(\.name).filter { !initialized.contains($0) }
        guard let sequence = inputs.first else {
            throw GateError("\(source): the graph has no input for the sequence")
        }
        // `current` is the sequence as it flows; `derived` every value computed from it.
        var current = sequence
        var derived: Set<String> = [sequence]
        let otherInputs = Set(inputs.dropFirst())
        var embedding: Embedding?
        var layers: [RecurrentLayer] = []
        var head: LinearHead?
        var headNeedsBias = false
        // The last layer's final state Y_h (one direction only), and the operator that picks
        // one step for the head, when the graph does: `fc(y[:, -1])`, `fc(h_n[-1])`.
        var finalState: String?
        var pickedStep: String?
        for node in graph.node {
            let place = "\(source): node \(node.name.isEmpty ? "" : "'\(node.name)' ")(\(node.opType))"
            let fromSequence = node.input.filter { derived.contains($0) }
            if let other = node.input.first(where: otherInputs.contains), !Self.isStateInput(node, other) {
                throw GateError("\(place) reads the graph input '\(other)'; gatescope runs graphs whose one input is the sequence")
            }
            // Shape and constant computations (torch's zero initial states, reshape targets).
            if fromSequence.isEmpty || Self.shapeOperators.contains(node.opType) { continue }
            // A head fed h of the last step reads what gatescope shows at every step.
            if head == nil, let finalState, fromSequence == [finalState],
               ["Gather", "Slice", "Squeeze", "Reshape", "Identity"].contains(node.opType) {
                current = finalState
                pickedStep = pickedStep ?? "Y_h"
            }
            // The sequence is the first input, but for Add (torch writes the head's bias first)
            // and Gather (the indices into the embedding table come second).
            guard fromSequence == [current], node.input.first == current || ["Add", "Gather"].contains(node.opType) else {
                let value = fromSequence.first { $0 != current } ?? fromSequence[0]
                throw GateError("\(place) reads '\(value)', which is not the sequence flowing through the layers; gatescope follows one path, input → embedding → recurrent layers → head")
            }
            let stage = head != nil ? "after the head" : layers.isEmpty ? "before the recurrent layers" : "between the recurrent layers"
            switch node.opType {
            case "LSTM", "GRU", "RNN":
                guard head == nil else { throw GateError("\(place): a recurrent operator after the head; gatescope reads a head only at the end") }
                if let pickedStep {
                    throw GateError("\(place): a recurrent layer after the graph picked one step (\(pickedStep)); gatescope runs every layer over the whole sequence")
                }
                let layer = try recurrentLayer(node, place: place, otherInputs: otherInputs)
                let width = layers.last?.outputSize ?? embedding?.dimension
                if let width, width != layer.inputSize {
                    throw GateError("\(place): layer \(layers.count + 1) reads \(layer.inputSize) values per step, but the layer before gives \(width)")
                }
                layers.append(layer)
                current = node.output.first ?? ""
                finalState = layer.isBidirectional || node.output.count < 2 ? nil : node.output[1]
            case "Gather" where layers.isEmpty && embedding == nil && node.input.count == 2 && node.input[1] == current:
                embedding = try self.embedding(node, place: place)
            case "Gemm" where !layers.isEmpty && head == nil:
                head = try gemmHead(node, place: place)
            case "Gather", "Slice" where !layers.isEmpty && head == nil && node.input.first == current:
                pickedStep = pickedStep ?? node.opType
            case "MatMul" where !layers.isEmpty && head == nil:
                head = try matMulHead(node, place: place)
                headNeedsBias = true
            case "Add" where headNeedsBias:
                let bias = try headBias(node, outputSize: head?.outputSize ?? 0, place: place)
                head?.bias = bias
                headNeedsBias = false
            case let op where Self.reshapingOperators.contains(op):
                try checkReshaping(node, place: place)
            default:
                throw GateError("\(place) \(stage): gatescope follows Gather → LSTM/GRU/RNN → Gemm or MatMul + Add, with only reshaping (\(Self.reshapingOperators.sorted().joined(separator: ", "))) between; it does not compute \(node.opType)")
            }
            headNeedsBias = headNeedsBias && node.opType == "MatMul"
            derived.formUnion(node.output.filter { !$0.isEmpty })
            if node.opType != "LSTM" && node.opType != "GRU" && node.opType != "RNN", let output = node.output.first {
                current = output
            }
        }
        guard !layers.isEmpty else {
            throw GateError("\(source): the graph has no LSTM, GRU or RNN operator on the path of its input '\(sequence)'")
        }
        if let pickedStep {
            conventions.append("head on one step in the graph (\(pickedStep)), shown at every step")
        }
        if let head, head.inputSize != layers.last?.outputSize {
            throw GateError("\(source): the head reads \(head.inputSize) values per step, but the last layer gives \(layers.last?.outputSize ?? 0)")
        }
        return RecurrentModel(embedding: embedding, layers: layers, head: head)
    }

    /// Whether `name` is one of the node's initial-state inputs (refused with its own message
    /// in `recurrentLayer`).
    private static func isStateInput(_ node: Onnx_NodeProto, _ name: String) -> Bool {
        ["LSTM", "GRU", "RNN"].contains(node.opType) && node.input.dropFirst(5).prefix(2).contains(name)
    }

    // MARK: Recurrent operators

    /// PyTorch's row block j is ONNX's block `order[j]`.
    static let lstmOrder = [0, 2, 3, 1]  // ONNX i, o, f, c → PyTorch i, f, g, o
    static let gruOrder = [1, 0, 2]      // ONNX z, r, h → PyTorch r, z, n

    private mutating func recurrentLayer(_ node: Onnx_NodeProto, place: String,
                                         otherInputs: Set<String>) throws -> RecurrentLayer {
        let attributes = Dictionary(node.attribute.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for unsupported in ["clip", "activation_alpha", "activation_beta"] where attributes[unsupported] != nil {
            throw GateError("\(place): the attribute '\(unsupported)', which gatescope does not compute (it clips or scales the gates); export without it")
        }
        if let forget = attributes["input_forget"], forget.i != 0 {
            throw GateError("\(place): input_forget=1 couples the input and forget gates, which gatescope does not compute")
        }
        let directionName = attributes["direction"].map { String(decoding: $0.s, as: UTF8.self) } ?? "forward"
        let directionCount: Int
        switch directionName {
        case "forward": directionCount = 1
        case "bidirectional": directionCount = 2
        case "reverse":
            throw GateError("\(place): direction \"reverse\" alone (a layer that only runs from the last step back), which gatescope does not run; it runs forward and bidirectional layers")
        default:
            throw GateError("\(place): unknown direction \"\(directionName)\"")
        }

        // The cell and the activations it computes: ONNX's defaults, or the same spelled out.
        let cell: CellKind
        var nonlinearity = Nonlinearity.tanh
        let expected: [String]
        switch node.opType {
        case "LSTM":
            cell = .lstm
            expected = ["sigmoid", "tanh", "tanh"]
        case "GRU":
            let linearBeforeReset = attributes["linear_before_reset"]?.i ?? 0
            cell = linearBeforeReset == 0 ? .gruResetBefore : .gru
            expected = ["sigmoid", "tanh"]
        default:
            cell = .rnn
            expected = ["tanh"]
        }
        let order = cell == .lstm ? Self.lstmOrder : cell == .rnn ? [0] : Self.gruOrder
        // What differs from PyTorch, noted once, in the order the layers meet it.
        let notes: [String] = switch cell {
        case .lstm: ["LSTM gate rows i,o,f,c read as PyTorch's i,f,g,o"]
        case .gru: ["GRU gate rows z,r,h read as PyTorch's r,z,n", "linear_before_reset=1: r acts after W_hn h, as in PyTorch"]
        case .gruResetBefore: ["GRU gate rows z,r,h read as PyTorch's r,z,n", "linear_before_reset=0: r acts on h before W_hn (gru-reset-before)"]
        case .rnn: []
        }
        conventions += notes.filter { !conventions.contains($0) }
        if let given = attributes["activations"]?.strings.map({ String(decoding: $0, as: UTF8.self) }) {
            let lowered = given.map { $0.lowercased() }
            let perDirection = lowered.count == expected.count * directionCount
            if cell == .rnn, perDirection, Set(lowered) == ["relu"] {
                nonlinearity = .relu
            } else if !perDirection || zip(lowered, Array(repeating: expected, count: directionCount).flatMap { $0 }).contains(where: { $0 != $1 }) {
                let odd = zip(lowered, given).first { !expected.contains($0.0) }?.1 ?? given.joined(separator: ", ")
                throw GateError("\(place): activations [\(given.joined(separator: ", "))]: gatescope computes \(node.opType) with \(expected.joined(separator: ", "))\(cell == .rnn ? " or relu" : ""), not \(odd)")
            }
        }

        // Inputs: X, W, R, B, sequence_lens, initial_h, initial_c, P.
        func input(_ slot: Int) -> String? {
            node.input.count > slot && !node.input[slot].isEmpty ? node.input[slot] : nil
        }
        if let lengths = input(4) {
            throw GateError("\(place): sequence_lens ('\(lengths)') stops sequences early, which gatescope does not do; it runs every step")
        }
        for (slot, state) in [(5, "initial_h"), (6, "initial_c")] {
            guard let name = input(slot), node.opType == "LSTM" || slot == 5 else { continue }
            if otherInputs.contains(name) {
                throw GateError("\(place): \(state) is the graph input '\(name)'; gatescope starts every layer from zero states, so the graph must leave \(state) out or fix it to zeros")
            }
            guard try isZero(name) else {
                throw GateError("\(place): \(state) ('\(name)') is not zero; gatescope starts every layer from zero states")
            }
        }
        if node.opType == "LSTM", let peepholes = input(7) {
            guard try isZero(peepholes) else {
                throw GateError("\(place): peephole weights P ('\(peepholes)'), which gatescope does not compute")
            }
        }

        guard let wName = input(1), let rName = input(2) else {
            throw GateError("\(place): no W or R input")
        }
        let (wShape, w) = try weight(wName, rank: 3, place: place)
        let (rShape, r) = try weight(rName, rank: 3, place: place)
        let blocks = cell.blockCount
        guard wShape[0] == directionCount, rShape[0] == directionCount, wShape[1] % blocks == 0 else {
            throw GateError("\(place): W is \(bracketed(wShape)) and R \(bracketed(rShape)); a \(directionName) \(node.opType) needs (\(directionCount), \(blocks)·H, input) and (\(directionCount), \(blocks)·H, H)")
        }
        let H = wShape[1] / blocks, I = wShape[2]
        if let declared = attributes["hidden_size"]?.i, declared != H {
            throw GateError("\(place): hidden_size is \(declared) but W holds \(blocks) blocks of \(H) rows")
        }
        guard rShape == [directionCount, blocks * H, H] else {
            throw GateError("\(place): R is \(bracketed(rShape)), expected \(bracketed([directionCount, blocks * H, H]))")
        }
        var b: [Float]?
        if let bName = input(3) {
            let (bShape, values) = try weight(bName, rank: 2, place: place)
            guard bShape == [directionCount, 2 * blocks * H] else {
                throw GateError("\(place): B is \(bracketed(bShape)), expected \(bracketed([directionCount, 2 * blocks * H])) (Wb then Rb)")
            }
            b = values
        }
        let rows = blocks * H
        func direction(_ d: Int) -> LayerWeights {
            let wSlice = Array(w[d * rows * I..<(d + 1) * rows * I])
            let rSlice = Array(r[d * rows * H..<(d + 1) * rows * H])
            let bSlice = b.map { Array($0[d * 2 * rows..<(d + 1) * 2 * rows]) }
            return LayerWeights(
                inputSize: I, hiddenSize: H,
                weightIH: Self.reordered(wSlice, blockRows: H, columns: I, order: order),
                weightHH: Self.reordered(rSlice, blockRows: H, columns: H, order: order),
                biasIH: bSlice.map { Self.reordered(Array($0[..<rows]), blockRows: H, columns: 1, order: order) },
                biasHH: bSlice.map { Self.reordered(Array($0[rows...]), blockRows: H, columns: 1, order: order) })
        }
        provenance.append("W '\(wName)', R '\(rName)'" + (input(3).map { ", B '\($0)'" } ?? ", no B"))
        return RecurrentLayer(cell: cell, nonlinearity: nonlinearity, forward: direction(0),
                              reverse: directionCount == 2 ? direction(1) : nil)
    }

    /// `values`' row blocks of `blockRows` × `columns` taken in `order`.
    static func reordered(_ values: [Float], blockRows: Int, columns: Int, order: [Int]) -> [Float] {
        let block = blockRows * columns
        return order.flatMap { values[$0 * block..<($0 + 1) * block] }
    }

    /// A constant float tensor of the given rank: its shape and values.
    private func weight(_ name: String, rank: Int, place: String) throws -> ([Int], [Float]) {
        guard let tensor = constants[name] else {
            throw GateError("\(place): '\(name)' is computed in the graph, not stored; gatescope reads weights stored as initializers")
        }
        let shape = try ONNXTensors.shape(tensor, source: source)
        guard shape.count == rank else {
            throw GateError("\(place): '\(name)' is \(bracketed(shape)), expected \(rank) dimensions")
        }
        return (shape, try ONNXTensors.floats(tensor, source: source))
    }

    /// Whether the value `name` is all zeros: a zero constant, or a zero spread or reshaped
    /// (torch.onnx.export's zero initial states are `Expand` of a zero constant to the batch).
    private func isZero(_ name: String) throws -> Bool {
        if let tensor = constants[name] {
            // Values in an external data file are read to be checked; the others in place.
            guard tensor.dataLocation == .external else { return ONNXTensors.isAllZero(tensor) }
            return try ONNXTensors.floats(tensor, source: source).allSatisfy { $0 == 0 }
        }
        guard let producer = graph.node.first(where: { $0.output.contains(name) }) else { return false }
        switch producer.opType {
        case "ConstantOfShape":
            return producer.attribute.first { $0.name == "value" }.map { ONNXTensors.isAllZero($0.t) } ?? true
        case "Expand", "Tile", "Reshape", "Squeeze", "Unsqueeze", "Identity", "Transpose", "Cast":
            guard let first = producer.input.first else { return false }
            return try isZero(first)
        default:
            return false
        }
    }

    // MARK: Embedding and head

    private func embedding(_ node: Onnx_NodeProto, place: String) throws -> Embedding {
        if let axis = node.attribute.first(where: { $0.name == "axis" }), axis.i != 0 {
            throw GateError("\(place): a Gather on axis \(axis.i); an embedding looks up rows (axis 0)")
        }
        let (shape, table) = try weight(node.input[0], rank: 2, place: place)
        return Embedding(vocabularySize: shape[0], dimension: shape[1], weight: table)
    }

    private func gemmHead(_ node: Onnx_NodeProto, place: String) throws -> LinearHead {
        let attributes = Dictionary(node.attribute.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        if let transA = attributes["transA"], transA.i != 0 {
            throw GateError("\(place): transA=1 transposes the sequence; gatescope reads y = h B (+ C)")
        }
        for scale in ["alpha", "beta"] {
            if let value = attributes[scale], value.f != 1 {
                throw GateError("\(place): \(scale)=\(value.f) scales the head, which gatescope does not do")
            }
        }
        guard node.input.count >= 2 else { throw GateError("\(place): no weight input") }
        var head = try linear(node.input[1], transposed: (attributes["transB"]?.i ?? 0) == 0, place: place)
        if node.input.count > 2, !node.input[2].isEmpty {
            head.bias = try bias(node.input[2], outputSize: head.outputSize, place: place)
        }
        return head
    }

    private func matMulHead(_ node: Onnx_NodeProto, place: String) throws -> LinearHead {
        guard node.input.count == 2 else { throw GateError("\(place): a MatMul needs two inputs") }
        return try linear(node.input[1], transposed: true, place: place)
    }

    /// The head's weight: `name` is (in × out) when `transposed` (MatMul, Gemm transB=0), else
    /// (out × in) as nn.Linear keeps it.
    private func linear(_ name: String, transposed: Bool, place: String) throws -> LinearHead {
        let (shape, values) = try weight(name, rank: 2, place: place)
        guard transposed else {
            return LinearHead(outputSize: shape[0], inputSize: shape[1], weight: values, bias: nil)
        }
        let (rows, columns) = (shape[0], shape[1])
        let weight = (0..<columns).flatMap { out in (0..<rows).map { values[$0 * columns + out] } }
        return LinearHead(outputSize: columns, inputSize: rows, weight: weight, bias: nil)
    }

    private func headBias(_ node: Onnx_NodeProto, outputSize: Int, place: String) throws -> [Float] {
        guard let name = node.input.first(where: { constants[$0] != nil }), node.input.count == 2 else {
            throw GateError("\(place): an Add after the head's MatMul that does not add a stored bias")
        }
        return try bias(name, outputSize: outputSize, place: place)
    }

    private func bias(_ name: String, outputSize: Int, place: String) throws -> [Float] {
        guard let tensor = constants[name] else {
            throw GateError("\(place): the bias '\(name)' is computed in the graph, not stored")
        }
        let values = try ONNXTensors.floats(tensor, source: source)
        guard values.count == outputSize else {
            throw GateError("\(place): the bias '\(name)' holds \(values.count) values for a head of \(outputSize) outputs")
        }
        return values
    }

    /// Reshaping glue passes the sequence on unchanged in order, as long as a Transpose keeps
    /// the features (the last axis) last, so that a step's values stay [forward h, reverse h].
    private func checkReshaping(_ node: Onnx_NodeProto, place: String) throws {
        guard node.opType == "Transpose", let perm = node.attribute.first(where: { $0.name == "perm" })?.ints,
              let last = perm.last else { return }
        guard last == Int64(perm.count - 1) else {
            throw GateError("\(place): a Transpose with perm [\(perm.map(String.init).joined(separator: ", "))] moves the feature axis, which is more than reshaping")
        }
    }
}

/// An .onnx model as the tensors of its PyTorch equivalent (the names `ModelFile.save`
/// writes), so that loading, `inspect` and validation take the same path as every other
/// model file; `metadata` says the model came from ONNX and how its conventions were read.
struct ONNXFile: TensorSource {
    let source: String
    private let converted: SafeTensorsFile

    init(path: String) throws {
        source = path
        converted = try SafeTensorsFile(bytes: ModelFile.encode(ONNXModelFile.read(path: path)), source: path)
    }

    var entries: [TensorEntry] { converted.entries }
    /// The model's metadata and its cell kind; not `format`, which names safetensors' PyTorch
    /// flavour, not this file's.
    var metadata: [String: String] { converted.metadata.filter { $0.key != ModelFile.MetadataKey.format } }

    func floats(named name: String) throws -> [Float] { try converted.floats(named: name) }
}
