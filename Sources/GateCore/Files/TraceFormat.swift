import Foundation

/// The ways `gatescope trace` prints a trace: a table to read, CSV for spreadsheets and
/// data frames, JSON for programs.
public enum TraceFormat: String, CaseIterable, Sendable {
    /// Per step: the input, then one row per layer and unit with the gates, c and h, four
    /// decimals, aligned for a terminal.
    case table
    /// One row per (step, layer, unit): activations, c, h and pre-activations at full
    /// float32 precision. Inputs and head outputs are per step, so they are in JSON only.
    case csv
    /// Everything, one step per line, numbers that read back as the same float32.
    case json

    /// Parses `--format`, listing the valid values when the spelling is not one of them.
    public init(spelling: String) throws {
        guard let format = TraceFormat(rawValue: spelling.lowercased()) else {
            let valid = TraceFormat.allCases.map(\.rawValue).joined(separator: ", ")
            throw GateError("unknown format '\(spelling)': expected one of \(valid)")
        }
        self = format
    }

    /// The trace of `scenario`'s model on its inputs, restricted to one layer when `layer`
    /// is given (0 is the layer that reads x).
    /// `gradients`, when given, adds `grad_of` and per-layer `grad_h` / `grad_c` (JSON only).
    public func render(_ trace: Trace, of scenario: Scenario, layer: Int? = nil,
                       gradients: TraceGradients? = nil) throws -> String {
        let layers = try Self.layers(selecting: layer, of: trace.layerCount)
        if gradients != nil && self != .json {
            throw GateError("--grad adds fields to the JSON trace: use it with --format json")
        }
        if self == .csv, trace.isHybrid || trace.stack.contains(where: { $0.isBidirectional || $0.projectionSize > 0 }) {
            throw GateError("CSV has one row per unit of layers of one kind and one direction; this model has "
                + "\(scenario.model.pipelineParts.filter { !$0.contains("embedding") }.joined(separator: ", ")): use --format json or table")
        }
        switch self {
        case .table: return Self.table(trace, scenario, layers)
        case .csv: return Self.csv(trace, layers)
        case .json: return Self.json(trace, scenario, layers, gradients)
        }
    }

    /// The layers to print: all, or the one `--layer` selects, checked against the model so
    /// that a command can refuse a wrong number before tracing.
    public static func layers(selecting layer: Int?, of layerCount: Int) throws -> Range<Int> {
        guard let layer else { return 0..<layerCount }
        guard (0..<layerCount).contains(layer) else {
            throw GateError("--layer \(layer) is out of range: the model has \(layerCount) layer\(layerCount == 1 ? "" : "s"), numbered 0 to \(layerCount - 1)")
        }
        return layer..<layer + 1
    }

    /// The shortest decimal that reads back as exactly `value` (Swift's `description` of a
    /// Float), or JSON's `null` for a value that is not finite.
    public static func exactNumber(_ value: Float) -> String {
        value.isFinite ? value.description : "null"
    }

    // MARK: Table

    private static let columnWidth = 9

    private static func table(_ trace: Trace, _ scenario: Scenario, _ layers: Range<Int>) -> String {
        let layerWord = trace.layerCount == 1 ? "layer" : "layers"
        let kinds = trace.isHybrid ? trace.stack.map(\.cell.displayName).joined(separator: " → ") : trace.cell.displayName
        var out = "\(kinds), \(trace.layerCount) \(layerWord), input \(trace.inputSize)"
            + ", hidden \(trace.hiddenSize), \(trace.steps) steps\n"
        out += "model: \(scenario.modelName)\ninput: \(scenario.inputDescription)\n"
        for cell in CellKind.allCases where trace.stack.contains(where: { $0.cell == cell }) {
            out += legend(cell) + "\n"
        }

        // A plain stack has one header per step; a pipeline one per layer, whose kind and
        // columns may differ (a projected LSTM adds o·tanh(c), "oc", before its shorter h).
        let plain = !trace.isHybrid && !trace.stack.contains { $0.isBidirectional || $0.projectionSize > 0 }
        func columnHeader(_ k: Int) -> String {
            let cell = trace.cell(layer: k)
            let names = cell.gates.map { $0.symbol(in: cell) } + (cell.hasCellState ? ["c"] : [])
                + (trace.stack[k].projectionSize > 0 ? ["oc"] : []) + ["h"]
            return " layer unit" + names.map { pad($0, columnWidth) }.joined()
        }
        for t in 0..<trace.steps {
            let label = t < scenario.stepLabels.count ? scenario.stepLabels[t] : InputSequence.valueLabel(trace.inputs[t])
            out += "\nt=\(t)  x \(label)\n" + (plain ? columnHeader(0) + "\n" : "")
            for k in layers {
                if !plain { out += columnHeader(k) + "\n" }
                let cell = trace.cell(layer: k)
                for direction in trace.stack[k].directions {
                    var columns = cell.gates.map { trace.gate($0, t: t, layer: k, direction: direction) }
                    if cell.hasCellState { columns.append(trace.cellState(t: t, layer: k, direction: direction)) }
                    if trace.stack[k].projectionSize > 0 {
                        columns.append(trace.hiddenBeforeProjection(t: t, layer: k, direction: direction))
                    }
                    columns.append(trace.hidden(t: t, layer: k, direction: direction))
                    let name = direction == .reverse ? "\(k) rev" : String(k)
                    for u in 0..<trace.hiddenSize(layer: k) {
                        out += pad(u == 0 ? name : "", 6) + pad(String(u), 5)
                        for column in columns {
                            // A projected h has fewer units than the gates: its cells end early.
                            out += u < column.count ? pad(fixed(column[column.startIndex + u]), columnWidth)
                                : String(repeating: " ", count: columnWidth)
                        }
                        out += "\n"
                    }
                }
            }
            if trace.outputSize > 0 { out += "  y " + outputSummary(Array(trace.output(t: t)), vocab: scenario.model.vocab) + "\n" }
        }
        return out
    }

    /// What each column letter means, and the update that produces the states.
    private static func legend(_ cell: CellKind) -> String {
        switch cell {
        case .lstm:
            "gates i input, f forget, o output (σ, 0 to 1); candidate g (tanh, -1 to 1)\n"
                + "c = f·c + i·g the cell state; h = o·tanh(c) the hidden state"
        case .gru:
            "gates r reset, z update (σ, 0 to 1); candidate n (tanh, -1 to 1)\n"
                + "n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), reset after the product\n"
                + "h = (1-z)·n + z·h: z near 1 keeps the old h"
        case .gruResetBefore:
            "gates r reset, z update (σ, 0 to 1); candidate n (tanh, -1 to 1)\n"
                + "n = tanh(W_in x + b_in + W_hn (r·h) + b_hn), reset before the product\n"
                + "h = (1-z)·n + z·h: z near 1 keeps the old h"
        case .rnn:
            "h = tanh(W_ih x + b_ih + W_hh h + b_hh), the hidden state (-1 to 1)"
        }
    }

    /// For a text model whose head scores every vocabulary symbol: the three most likely
    /// next symbols under softmax. Otherwise the values themselves.
    private static func outputSummary(_ y: [Float], vocab: [Character]?) -> String {
        guard let vocab, vocab.count == y.count, let top = y.max() else {
            return "= (" + y.map(fixed).joined(separator: ", ") + ")"
        }
        // Subtracting the maximum keeps every exponent ≤ 0, so nothing overflows.
        let weights = y.map { Double(expf($0 - top)) }
        let total = weights.reduce(0, +)
        let ranked = weights.indices.sorted { weights[$0] > weights[$1] }.prefix(3)
        return "next: " + ranked.map {
            InputSequence.characterLabel(vocab[$0]) + " " + String(format: "%.2f", weights[$0] / total)
        }.joined(separator: "  ")
    }

    private static func fixed(_ value: Float) -> String {
        // Beyond a million, four decimals would print up to 39 digits and burst the column.
        if abs(value) >= 1e6 { return String(format: "%.2e", Double(value)) }
        // Adding 0 turns -0 into 0 so an exact zero never prints with a sign.
        return String(format: "%.4f", Double(value) + 0)
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
    }

    // MARK: CSV

    private static func csv(_ trace: Trace, _ layers: Range<Int>) -> String {
        let cell = trace.cell
        let symbols = cell.gates.map { $0.symbol(in: cell) }
        var header = ["t", "layer", "unit"] + symbols
        if cell.hasCellState { header.append("c") }
        header.append("h")
        if cell == .rnn {
            header.append("h_pre")
        } else {
            header += symbols.map { $0 + "_pre" }
        }
        let hasRecurrentPart = !trace.candidateRecurrent.isEmpty
        if hasRecurrentPart { header.append("n_recurrent") }

        var out = header.joined(separator: ",") + "\n"
        for t in 0..<trace.steps {
            for k in layers {
                var columns = cell.gates.map { trace.gate($0, t: t, layer: k) }
                if cell.hasCellState { columns.append(trace.cellState(t: t, layer: k)) }
                columns.append(trace.hidden(t: t, layer: k))
                columns += preactivationBlocks(trace, t: t, layer: k).map(\.values)
                if hasRecurrentPart { columns.append(trace.candidateRecurrentPart(t: t, layer: k)) }
                for u in 0..<trace.hiddenSize {
                    out += "\(t),\(k),\(u)"
                    for column in columns {
                        let value = column[column.startIndex + u]
                        // "inf", "-inf" and "nan" for the others, as Float() reads them back.
                        out += "," + value.description
                    }
                    out += "\n"
                }
            }
        }
        return out
    }

    /// Each block's pre-activation, named as in JSON: the gates by name, the RNN's by "h".
    private static func preactivationBlocks(_ trace: Trace, t: Int, layer: Int,
                                            direction: Direction = .forward) -> [(name: String, values: ArraySlice<Float>)] {
        let cell = trace.cell(layer: layer)
        if cell == .rnn {
            return [("h", trace.preactivation(block: 0, t: t, layer: layer, direction: direction))]
        }
        return cell.gates.map { ($0.rawValue, trace.preactivation($0, t: t, layer: layer, direction: direction)) }
    }

    // MARK: JSON

    private static func json(_ trace: Trace, _ scenario: Scenario, _ layers: Range<Int>,
                             _ gradients: TraceGradients?) -> String {
        let stack = trace.stack.map { layer in
            "{\"cell\":\(jsonString(layer.cell.rawValue)),\"input_size\":\(layer.inputSize),\"hidden_size\":\(layer.hiddenSize)"
                + ",\"bidirectional\":\(layer.isBidirectional),\"proj_size\":\(layer.projectionSize)"
                + (layer.nonlinearity == .relu ? ",\"nonlinearity\":\"relu\"" : "") + "}"
        }
        var out = "{\"cell\":\(jsonString(trace.isHybrid ? "hybrid" : trace.cell.rawValue)),\"input_size\":\(trace.inputSize)"
            + ",\"hidden_size\":\(trace.hiddenSize),\"layers\":\(trace.layerCount)"
            + ",\"stack\":[\(stack.joined(separator: ","))]"
            + ",\"model\":\(jsonString(scenario.modelName)),\"input\":\(jsonString(scenario.inputDescription))"
        if trace.outputSize > 0 { out += ",\"output_size\":\(trace.outputSize)" }
        if let vocab = scenario.model.vocab { out += ",\"vocab\":\(jsonString(String(vocab)))" }
        if let gradients { out += ",\"grad_of\":\(jsonString(gradients.gradientOf))" }
        out += ",\"steps\":["
        for t in 0..<trace.steps {
            out += t == 0 ? "\n" : ",\n"
            out += "{\"t\":\(t)"
            if t < scenario.stepLabels.count { out += ",\"label\":\(jsonString(scenario.stepLabels[t]))" }
            if let tokens = trace.tokens, t < tokens.count {
                // The token itself when a vocabulary names it, else its id.
                if let names = scenario.tokenNames, t < names.count {
                    out += ",\"token\":\(jsonString(names[t]))"
                } else {
                    out += ",\"token\":\(tokens[t])"
                }
            }
            out += ",\"x\":\(jsonArray(trace.inputs[t])),\"layers\":["
            for k in layers {
                if k != layers.lowerBound { out += "," }
                let cell = trace.cell(layer: k)
                let gates = cell.gates.map { "\(jsonString($0.rawValue)):\(jsonArray(trace.gate($0, t: t, layer: k)))" }
                let pre = preactivationBlocks(trace, t: t, layer: k).map { "\(jsonString($0.name)):\(jsonArray($0.values))" }
                out += "{\"layer\":\(k),\"gates\":{\(gates.joined(separator: ","))}"
                out += ",\"preactivations\":{\(pre.joined(separator: ","))}"
                if cell == .gru || cell == .gruResetBefore {
                    out += ",\"candidate_recurrent\":\(jsonArray(trace.candidateRecurrentPart(t: t, layer: k)))"
                }
                if cell.hasCellState { out += ",\"c\":\(jsonArray(trace.cellState(t: t, layer: k)))" }
                out += ",\"h\":\(jsonArray(trace.hidden(t: t, layer: k)))"
                if trace.stack[k].projectionSize > 0 {
                    out += ",\"h_before_projection\":\(jsonArray(trace.hiddenBeforeProjection(t: t, layer: k)))"
                }
                if trace.stack[k].isBidirectional {
                    // The reverse pass's values at step t: h and reverse.h side by side are output[t].
                    let reverseGates = cell.gates.map {
                        "\(jsonString($0.rawValue)):\(jsonArray(trace.gate($0, t: t, layer: k, direction: .reverse)))"
                    }
                    out += ",\"reverse\":{\"gates\":{\(reverseGates.joined(separator: ","))}"
                    if cell.hasCellState { out += ",\"c\":\(jsonArray(trace.cellState(t: t, layer: k, direction: .reverse)))" }
                    out += ",\"h\":\(jsonArray(trace.hidden(t: t, layer: k, direction: .reverse)))"
                    if trace.stack[k].projectionSize > 0 {
                        out += ",\"h_before_projection\":\(jsonArray(trace.hiddenBeforeProjection(t: t, layer: k, direction: .reverse)))"
                    }
                    let reverseColumn = scenario.model.flowColumn(layer: k, direction: .reverse)
                    for field in gradients?.fields(t: t, column: reverseColumn, hasCell: cell.hasCellState) ?? [] {
                        out += ",\(jsonString(field.key)):\(exactNumber(field.value))"
                    }
                    out += "}"
                }
                let column = scenario.model.flowColumn(layer: k)
                for field in gradients?.fields(t: t, column: column, hasCell: cell.hasCellState) ?? [] {
                    out += ",\(jsonString(field.key)):\(exactNumber(field.value))"
                }
                out += "}"
            }
            out += "]"
            if trace.outputSize > 0 { out += ",\"y\":\(jsonArray(trace.output(t: t)))" }
            out += "}"
        }
        out += "\n]}\n"
        return out
    }

    private static func jsonArray<C: Collection<Float>>(_ values: C) -> String {
        "[" + values.map(exactNumber).joined(separator: ",") + "]"
    }

    /// `text` as a JSON string literal (used by every JSON gatescope writes).
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
