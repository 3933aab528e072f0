import GateCore

/// One value the screen shows for every unit at every step: a gate, the candidate, the
/// LSTM's cell state, the hidden state, or the RNN's input to tanh.
enum Quantity: Hashable, Sendable {
    case gate(Gate)
    case cellState
    case hidden
    /// o ⊙ tanh(c) of a projected LSTM, which W_hr maps to the shorter h.
    case filtered
    /// The RNN's W_ih x + b_ih + W_hh h + b_hh, before tanh.
    case preactivation

    /// The letter used in equations and headers, as PyTorch names the blocks.
    func symbol(in cell: CellKind) -> String {
        switch self {
        case .gate(let gate): gate.symbol(in: cell)
        case .cellState: "c"
        case .hidden: "h"
        case .filtered: "oc"
        case .preactivation: "a"
        }
    }

    /// Titles from the most to the least descriptive, in the catalogue's language; a column
    /// or a heatmap takes the first that fits (the short forms are msgids of their own, so a
    /// narrow column never cuts a word).
    func titles(in cell: CellKind, _ catalogue: Catalogue) -> [String] {
        let s = symbol(in: cell)
        switch self {
        case .gate(.update):
            return [catalogue.tr("update z (1 keeps h)"), catalogue.tr("z (1 keeps h)"), catalogue.tr("update {1}", s), s]
        case .gate(.candidate):
            return [catalogue.tr("candidate {1}", s), catalogue.tr("cand. {1}", s), s]
        case .gate(.input):
            return [catalogue.tr("input {1}", s), s]
        case .gate(.forget):
            return [catalogue.tr("forget {1}", s), s]
        case .gate(.output):
            return [catalogue.tr("output {1}", s), s]
        case .gate(.reset):
            return [catalogue.tr("reset {1}", s), s]
        case .cellState:
            return [catalogue.tr("cell {1}", "c"), "c"]
        case .hidden:
            return [catalogue.tr("hidden {1}", "h"), "h"]
        case .filtered:
            return ["o*tanh(c)", "o*tanh c", "oc"]
        case .preactivation:
            return [catalogue.tr("tanh input {1}", "a"), catalogue.tr("tanh in {1}", "a"), "a"]
        }
    }

    /// Whether the value can leave −1…1, so its scale comes from the data.
    var isUnbounded: Bool { self == .cellState || self == .preactivation }

    var isSigmoid: Bool {
        if case .gate(let gate) = self { return gate.isSigmoid }
        return false
    }

    /// The values of all units at step t of a layer and direction (a projected h has fewer
    /// units than the layer: readers check the count).
    func values(in trace: ShownTrace, t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        switch self {
        case .gate(let gate): return trace.gate(gate, t: t, layer: layer, direction: direction)
        case .cellState: return trace.cellState(t: t, layer: layer, direction: direction)
        case .hidden: return trace.hidden(t: t, layer: layer, direction: direction)
        case .filtered: return trace.hiddenBeforeProjection(t: t, layer: layer, direction: direction)
        case .preactivation:
            // The RNN's single row block is its pre-activation; no Gate names it.
            return trace.preactivation(block: 0, t: t, layer: layer, direction: direction)
        }
    }

    /// The columns of layer k: a projected LSTM shows o ⊙ tanh(c) before its shorter h.
    static func tableColumns(in trace: ShownTrace, layer: Int) -> [Quantity] {
        let columns = tableColumns(for: trace.cell(layer: layer))
        guard trace.stack[layer].projectionSize > 0 else { return columns }
        return columns.dropLast() + [.filtered, .hidden]
    }

    /// Layer k's quantities by importance, o ⊙ tanh(c) after h when projected.
    static func priority(in trace: ShownTrace, layer: Int) -> [Quantity] {
        let quantities = priority(for: trace.cell(layer: layer))
        return trace.stack[layer].projectionSize > 0 ? quantities + [.filtered] : quantities
    }

    /// The cell table's columns, in reading order: gates, then what they produce.
    static func tableColumns(for cell: CellKind) -> [Quantity] {
        switch cell {
        case .lstm: [.gate(.input), .gate(.forget), .gate(.output), .gate(.candidate), .cellState, .hidden]
        case .gru, .gruResetBefore: [.gate(.reset), .gate(.update), .gate(.candidate), .hidden]
        case .rnn: [.preactivation, .hidden]
        }
    }

    /// The same quantities from the most to the least important, for narrow screens that
    /// drop columns and for the order of the heatmaps: the gate that carries memory first,
    /// then the state it keeps, then the output.
    static func priority(for cell: CellKind) -> [Quantity] {
        switch cell {
        case .lstm: [.gate(.forget), .cellState, .hidden, .gate(.input), .gate(.output), .gate(.candidate)]
        case .gru, .gruResetBefore: [.gate(.update), .hidden, .gate(.reset), .gate(.candidate)]
        case .rnn: [.hidden, .preactivation]
        }
    }
}

/// The scale bound for an unbounded quantity: at least 1, so that c is drawn in the same
/// units as the tanh values beside it, else the largest magnitude rounded up to a number
/// that reads well (1.87 → 1.9, 12.3 → 13).
func niceBound(_ largest: Float) -> Float {
    guard largest > 1 else { return 1 }
    if largest < 10 { return (largest * 10).rounded(.up) / 10 }
    return min(largest.rounded(.up), 1e9)
}

/// "1", "1.9" or "13": the bound as it is labelled.
func formatBound(_ bound: Float) -> String {
    formatFixed(bound, decimals: bound < 10 && bound != bound.rounded() ? 1 : 0)
}
