/// The recurrent cells gatescope knows, with PyTorch's row-block layout of their weights.
public enum CellKind: String, CaseIterable, Sendable, Codable {
    /// Long short-term memory, PyTorch `nn.LSTM`: row blocks i, f, g, o.
    case lstm
    /// Gated recurrent unit as PyTorch and cuDNN compute it: the reset gate acts *after*
    /// the recurrent matrix product. Row blocks r, z, n.
    case gru
    /// The original GRU of Cho et al. 2014 (Keras `reset_after=False`, ONNX
    /// `linear_before_reset=0`): the reset gate acts on h *before* the matrix product.
    case gruResetBefore = "gru-reset-before"
    /// Elman RNN with tanh, PyTorch `nn.RNN`.
    case rnn

    /// Accepted on the command line besides the raw values.
    public static let aliases: [String: CellKind] = [
        "gru-cho": .gruResetBefore, "gru-reset-after": .gru, "elman": .rnn,
    ]

    /// Parses a user's spelling of a cell kind (case-insensitive, aliases allowed).
    public init?(spelling: String) {
        let key = spelling.lowercased()
        if let kind = CellKind(rawValue: key) ?? CellKind.aliases[key] { self = kind } else { return nil }
    }

    /// The number of H-row blocks stacked in `weight_ih` / `weight_hh` (PyTorch's G).
    public var blockCount: Int {
        switch self {
        case .lstm: 4
        case .gru, .gruResetBefore: 3
        case .rnn: 1
        }
    }

    /// The gates and candidate in the order of their row blocks. Empty for the RNN, whose
    /// single block is the hidden state itself.
    public var gates: [Gate] {
        switch self {
        case .lstm: [.input, .forget, .candidate, .output]
        case .gru, .gruResetBefore: [.reset, .update, .candidate]
        case .rnn: []
        }
    }

    /// Whether the cell carries a separate memory c besides h.
    public var hasCellState: Bool { self == .lstm }

    /// A short human name for headers.
    public var displayName: String {
        switch self {
        case .lstm: "LSTM"
        case .gru: "GRU"
        case .gruResetBefore: "GRU (reset before)"
        case .rnn: "RNN"
        }
    }

    /// The next kind for the visualizer's Tab key: LSTM → GRU → RNN → LSTM.
    public var next: CellKind {
        switch self {
        case .lstm: .gru
        case .gru, .gruResetBefore: .rnn
        case .rnn: .lstm
        }
    }
}

/// A gate (or the candidate) of a cell, named as in the JSON trace.
public enum Gate: String, CaseIterable, Sendable, Codable {
    case input, forget, candidate, output, reset, update

    /// The symbol used in equations and column headers: PyTorch's letters, so the candidate
    /// is g in an LSTM and n in a GRU.
    public func symbol(in cell: CellKind) -> String {
        switch self {
        case .input: "i"
        case .forget: "f"
        case .candidate: cell == .lstm ? "g" : "n"
        case .output: "o"
        case .reset: "r"
        case .update: "z"
        }
    }

    /// Sigmoid gates live in (0, 1); the candidate is a tanh in (-1, 1).
    public var isSigmoid: Bool { self != .candidate }
}
