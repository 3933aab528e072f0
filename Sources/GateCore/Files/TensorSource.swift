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
