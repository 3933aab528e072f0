/// One tensor of a model file, as the loader sees it before reading any values.
public struct TensorEntry: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    /// The stored element type in the container's own words ("F32", "torch.HalfStorage", …),
    /// for `inspect` and for messages.
    public let dtype: String

    public init(name: String, shape: [Int], dtype: String) {
        self.name = name
        self.shape = shape
        self.dtype = dtype
    }
}

/// A model file's named tensors, whatever the container (safetensors, torch.save, …): the
/// model loader finds the pipeline in `entries` and reads only the tensors it uses.
public protocol TensorSource: Sendable {
    /// The path (or name) that starts every error message about this file.
    var source: String { get }
    /// Every tensor, in the file's order.
    var entries: [TensorEntry] { get }
    /// String metadata carried by the file (safetensors `__metadata__`; empty for others).
    var metadata: [String: String] { get }
    /// The named tensor's values as float32, row-major in `shape`'s order.
    func floats(named name: String) throws -> [Float]
    /// The modules a whole pickled model declared, in registration order (empty when the file
    /// holds only tensors): they may settle what shapes alone cannot (order, direction).
    var modules: [ModuleHint] { get }
    /// What else the file held and the loader did not use ("optimizer_state_dict: dict",
    /// "epoch: 12"), for `inspect`.
    var otherContents: [String] { get }
    /// How a file of another framework became these tensors and which of its conventions
    /// differ from PyTorch's ("from Keras: …"), for `inspect`; empty for PyTorch files.
    var notes: [String] { get }
}

/// One submodule of a whole pickled model: where its tensors live and what it said of itself.
public struct ModuleHint: Equatable, Sendable {
    /// The prefix of its tensors' names ("lstm", "encoder.rnn"; "" for the root module).
    public let path: String
    /// Its class name as pickled ("LSTM", "GRUCell", "Linear", "Embedding", "MyNet").
    public let className: String
    /// Scalar attributes it carried (`bidirectional`, `proj_size`, `num_layers`,
    /// `nonlinearity`, `batch_first`, …), as text.
    public let attributes: [String: String]

    public init(path: String, className: String, attributes: [String: String]) {
        self.path = path
        self.className = className
        self.attributes = attributes
    }
}

extension TensorSource {
    public var modules: [ModuleHint] { [] }
    public var otherContents: [String] { [] }
    public var notes: [String] { [] }
}

extension SafeTensorsFile: TensorSource {
    public var entries: [TensorEntry] {
        tensors.map { TensorEntry(name: $0.name, shape: $0.shape, dtype: $0.dtype.rawValue) }
    }

    public func floats(named name: String) throws -> [Float] {
        guard let tensor = tensor(named: name) else {
            throw GateError("\(source): no tensor named \(name)")
        }
        return try floats(tensor)
    }
}
