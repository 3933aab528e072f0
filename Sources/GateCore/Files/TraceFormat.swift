import Foundation

/// The ways `gatescope trace` prints a trace: a table to read, CSV for spreadsheets and
/// data frames, JSON for programs.
public enum TraceFormat: String, CaseIterable, Sendable {
    /// Per step: the input and the head's output as the screen shows them, then one row per
    /// layer and unit with the gates, c and h in the screen's column order, four decimals,
    /// aligned for a terminal. Steps and layers count from 1, as on the screen.
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
    /// is given (counted from 1, as on the screen: 1 is the layer that reads x).
    /// `gradients`, when given, adds `grad_of` and per-layer `grad_h` / `grad_c` (JSON only).
    public func render(_ trace: Trace, of scenario: Scenario, layer: Int? = nil,
                       gradients: TraceGradients? = nil) throws -> String {
        let layers = try Self.layers(selecting: layer, of: trace.layerCount)
        if gradients != nil && self != .json {
            throw GateError("--grad adds fields to the JSON trace: use it with --format json")
        }
        switch self {
        case .table: return Self.table(trace, scenario, layers)
        case .csv: return Self.csv(trace, layers)
        case .json: return Self.json(trace, scenario, layers, gradients)
        }
    }

    /// The layer indices to print: all, or the one `--layer` selects (counted from 1),
    /// checked against the model so that a command can refuse a wrong number before tracing.
    public static func layers(selecting layer: Int?, of layerCount: Int) throws -> Range<Int> {
        guard let layer else { return 0..<layerCount }
        guard (1...max(1, layerCount)).contains(layer), layerCount > 0 else {
            throw GateError("--layer \(layer) is out of range: layers count from 1, and the model has \(Wording.count(layerCount, "layer"))"
                + (layerCount > 1 ? ", so 1 to \(layerCount)" : ""))
        }
        return layer - 1..<layer
    }

    /// The shortest decimal that reads back as exactly `value` (Swift's `description` of a
    /// Float), or JSON's `null` for a value that is not finite.
    public static func exactNumber(_ value: Float) -> String {
        value.isFinite ? value.description : "null"
    }

    // MARK: Table

    private static let columnWidth = 9

    private static func table(_ trace: Trace, _ scenario: Scenario, _ layers: Range<Int>) -> String {
        let cell = trace.cell
        var out = "\(cell.displayName), \(Wording.count(trace.layerCount, "layer")), input \(trace.inputSize)"
            + ", hidden \(trace.hiddenSize), \(Wording.count(trace.steps, "step"))\n"
        out += "model: \(scenario.modelName)\ninput: \(scenario.inputDescription)\n"
        out += legend(cell) + "\n" + numberingNote + "\n"

        let columns = tableColumns(cell)
        let columnHeader = " layer unit" + columns.map { pad($0.symbol, columnWidth) }.joined()
        for t in 0..<trace.steps {
            let label = t < scenario.stepLabels.count ? scenario.stepLabels[t] : InputSequence.valueLabel(trace.inputs[t])
            out += "\nstep \(t + 1)  x = \(label)"
            if let output = scenario.headOutput(trace, t: t) { out += "   " + outputSummary(output) }
            out += "\n" + columnHeader + "\n"
            for k in layers {
                let values = columns.map { $0.values(trace, t, k) }
                for u in 0..<trace.hiddenSize {
                    out += pad(u == 0 ? String(k + 1) : "", 6) + pad(String(u), 5)
                    for column in values {
                        out += pad(fixed(column[column.startIndex + u]), columnWidth)
                    }
                    out += "\n"
                }
            }
        }
        return out
    }

    /// Said once under the legend: how the table counts, and how CSV and JSON do.
    static let numberingNote = "steps and layers count from 1, as on the screen (CSV and JSON keep t and layer\n"
        + "as 0-based indices); units keep their 0-based index, as PyTorch indexes h"

    /// The table's columns in the screen's order: the gates, the candidate, then what they
    /// produce (the RNN: its tanh input a, then h).
    private static func tableColumns(_ cell: CellKind) -> [(symbol: String, values: (Trace, Int, Int) -> ArraySlice<Float>)] {
        if cell == .rnn {
            return [("a", { trace, t, k in preactivationBlocks(trace, t: t, layer: k)[0].values }),
                    ("h", { trace, t, k in trace.hidden(t: t, layer: k) })]
        }
        let gates = cell.gates.filter { $0 != .candidate } + [.candidate]
        var columns: [(symbol: String, values: (Trace, Int, Int) -> ArraySlice<Float>)] = gates.map { gate in
            (gate.symbol(in: cell), { trace, t, k in trace.gate(gate, t: t, layer: k) })
        }
        if cell.hasCellState { columns.append(("c", { trace, t, k in trace.cellState(t: t, layer: k) })) }
        columns.append(("h", { trace, t, k in trace.hidden(t: t, layer: k) }))
        return columns
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
            "a = W_ih x + b_ih + W_hh h + b_hh, the input to tanh\n"
                + "h = tanh(a) the hidden state (-1 to 1)"
        }
    }

    /// The head's output as the screen's input line shows it: the likeliest named classes
    /// or characters with their probabilities, a named value, or the values.
    private static func outputSummary(_ output: HeadOutput) -> String {
        switch output {
        case .value(let name, let value): "\(name) = \(fixed(value))"
        case .classes(let top): "output: " + top.map { "\($0.name) " + String(format: "%.2f", Double($0.probability)) }.joined(separator: "  ")
        case .values(let y): "y = (" + y.map(fixed).joined(separator: ", ") + ")"
        }
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
    private static func preactivationBlocks(_ trace: Trace, t: Int, layer: Int) -> [(name: String, values: ArraySlice<Float>)] {
        if trace.cell == .rnn {
            let start = trace.blockOffset(t: t, layer: layer, block: 0)
            return [("h", trace.preactivations[start..<start + trace.hiddenSize])]
        }
        return trace.cell.gates.map { ($0.rawValue, trace.preactivation($0, t: t, layer: layer)) }
    }

    // MARK: JSON

    private static func json(_ trace: Trace, _ scenario: Scenario, _ layers: Range<Int>,
                             _ gradients: TraceGradients?) -> String {
        var out = "{\"cell\":\(jsonString(trace.cell.rawValue)),\"input_size\":\(trace.inputSize)"
            + ",\"hidden_size\":\(trace.hiddenSize),\"layers\":\(trace.layerCount)"
            + ",\"model\":\(jsonString(scenario.modelName)),\"input\":\(jsonString(scenario.inputDescription))"
        if trace.outputSize > 0 { out += ",\"output_size\":\(trace.outputSize)" }
        if let vocab = scenario.model.vocab { out += ",\"vocab\":\(jsonString(String(vocab)))" }
        if let gradients {
            out += ",\"grad_of\":\(jsonString(gradients.gradientOf)),\"grad_meaning\":\(jsonString(gradients.meaning))"
        }
        out += ",\"steps\":["
        for t in 0..<trace.steps {
            out += t == 0 ? "\n" : ",\n"
            out += "{\"t\":\(t)"
            if t < scenario.stepLabels.count { out += ",\"label\":\(jsonString(scenario.stepLabels[t]))" }
            out += ",\"x\":\(jsonArray(trace.inputs[t])),\"layers\":["
            for k in layers {
                if k != layers.lowerBound { out += "," }
                let gates = trace.cell.gates.map { "\(jsonString($0.rawValue)):\(jsonArray(trace.gate($0, t: t, layer: k)))" }
                let pre = preactivationBlocks(trace, t: t, layer: k).map { "\(jsonString($0.name)):\(jsonArray($0.values))" }
                out += "{\"layer\":\(k),\"gates\":{\(gates.joined(separator: ","))}"
                out += ",\"preactivations\":{\(pre.joined(separator: ","))}"
                if !trace.candidateRecurrent.isEmpty {
                    out += ",\"candidate_recurrent\":\(jsonArray(trace.candidateRecurrentPart(t: t, layer: k)))"
                }
                if trace.cell.hasCellState { out += ",\"c\":\(jsonArray(trace.cellState(t: t, layer: k)))" }
                out += ",\"h\":\(jsonArray(trace.hidden(t: t, layer: k)))"
                for field in gradients?.fields(t: t, layer: k) ?? [] {
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
