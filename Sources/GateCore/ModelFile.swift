/// Model files: safetensors with PyTorch `state_dict` tensor names.
/// CONTRACT PLACEHOLDER: the core-io branch replaces these bodies.
public enum ModelFile {
    /// Loads a model from a safetensors file. `cell` overrides the kind found in the
    /// metadata or inferred from shapes; `headPrefix` names where the linear head's
    /// `weight`/`bias` live (default: `head.`).
    public static func load(path: String, cell: CellKind? = nil, headPrefix: String? = nil) throws -> RecurrentModel {
        throw GateError("\(path): model files are not implemented yet")
    }

    /// Writes `model` atomically (temporary file, then rename) so that PyTorch's
    /// `load_state_dict(strict=True)` accepts it.
    public static func save(_ model: RecurrentModel, to path: String) throws {
        throw GateError("\(path): model files are not implemented yet")
    }
}
