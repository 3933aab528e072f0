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
    /// It is `Writer` fed with the whole trace, so that it and `stream` give the same bytes.
    public func render(_ trace: Trace, of scenario: Scenario, layer: Int? = nil,
                       gradients: TraceGradients? = nil) throws -> String {
        let writer = try Writer(self, shape: trace, steps: trace.steps, scenario: scenario, layer: layer,
                                gradients: gradients)
        return writer.header + writer.rows(trace) + writer.footer
    }

    /// Writes the trace of `scenario` (pokes made) to `sink` a piece of steps at a time as
    /// they are computed, holding one piece at once: the bytes `render` gives for the whole
    /// trace. The model must have no bidirectional layer (`StepwiseRun.isWindowed`).
    /// `pieceSteps` sets the steps per piece (by default about 64k values' worth).
    public func stream(_ scenario: Scenario, layer: Int? = nil, pieceSteps: Int? = nil,
                       to sink: (String) throws -> Void) throws {
        let run = try StepwiseRun(scenario)
        // No step computed yet: the empty trace has the shape the header describes.
        let writer = try Writer(self, shape: try run.trace(steps: 0..<0), steps: run.steps, scenario: scenario,
                                layer: layer, gradients: nil)
        try sink(writer.header)
        // Pieces of about 64k values: a few hundred kB of text each, printed as they come.
        try run.forEachPiece(of: 0..<run.steps, chunk: pieceSteps ?? run.chunkSteps(values: 1 << 16)) { piece in
            try sink(writer.rows(piece))
        }
        try sink(writer.footer)
    }

    /// A trace written as it is computed: `header` once, `rows` of each piece of steps in
    /// order (a whole trace is one piece), `footer` once. Step numbers and the scenario's
    /// labels are the sequence's: a piece's t counts from its `firstStep`.
    public struct Writer {
        let format: TraceFormat
        let scenario: Scenario
        let layers: Range<Int>
        let gradients: TraceGradients?
        /// Everything before the first step.
        public let header: String

        /// `shape` is any trace of the model (its columns and sizes); `steps` the number of
        /// steps of the whole sequence.
        public init(_ format: TraceFormat, shape: Trace, steps: Int, scenario: Scenario, layer: Int? = nil,
                    gradients: TraceGradients? = nil) throws {
            layers = try TraceFormat.layers(selecting: layer, of: shape.layerCount)
            if gradients != nil && format != .json {
                throw GateError("--grad adds fields to the JSON trace: use it with --format json")
            }
            if format == .csv, shape.isHybrid || shape.stack.contains(where: { $0.isBidirectional || $0.projectionSize > 0 }) {
                throw GateError("CSV has one row per unit of layers of one kind and one direction; this model has "
                    + "\(scenario.model.pipelineParts.filter { !$0.contains("embedding") }.joined(separator: ", ")): use --format json or table")
            }
            self.format = format
            self.scenario = scenario
            self.gradients = gradients
            header = switch format {
            case .table: TraceFormat.tableHeader(shape, steps: steps, scenario)
            case .csv: TraceFormat.csvHeader(shape)
            case .json: TraceFormat.jsonHeader(shape, scenario, gradients)
            }
        }

        /// The lines of the piece's steps.
        public func rows(_ piece: Trace) -> String {
            switch format {
            case .table: TraceFormat.tableRows(piece, scenario, layers)
            case .csv: TraceFormat.csvRows(piece, layers)
            case .json: TraceFormat.jsonRows(piece, scenario, layers, gradients)
            }
        }

        /// Everything after the last step.
        public var footer: String { format == .json ? "\n]}\n" : "" }
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

    private static func tableHeader(_ trace: Trace, steps: Int, _ scenario: Scenario) -> String {
        let kinds = trace.isHybrid ? trace.stack.map(\.cell.displayName).joined(separator: " → ") : trace.cell.displayName
        var out = "\(kinds), \(Wording.count(trace.layerCount, "layer")), input \(trace.inputSize)"
            + ", hidden \(Wording.widths(trace.stack.map(\.hiddenSize))), \(Wording.count(steps, "step"))\n"
        out += "model: \(scenario.modelName)\ninput: \(scenario.inputDescription)\n"
        for cell in CellKind.allCases where trace.stack.contains(where: { $0.cell == cell }) {
            out += legend(cell) + "\n"
        }
        if trace.stack.contains(where: { $0.projectionSize > 0 }) {
            out += "oc = o·tanh(c) before the projection; h = W_hr·oc, the projected state (fewer units)\n"
        }
        out += numberingNote + "\n"
        return out
    }

    private static func tableRows(_ trace: Trace, _ scenario: Scenario, _ layers: Range<Int>) -> String {
        var out = ""
        // A plain stack has one header per step; a pipeline one per layer, whose kind and
        // columns may differ (a projected LSTM adds o·tanh(c), "oc", before its shorter h).
        let plain = !trace.isHybrid && !trace.stack.contains { $0.isBidirectional || $0.projectionSize > 0 }
        func columns(_ k: Int) -> [TableColumn] {
            tableColumns(trace.cell(layer: k), projected: trace.stack[k].projectionSize > 0)
        }
        func columnHeader(_ k: Int) -> String {
            " layer unit" + columns(k).map { pad($0.symbol, columnWidth) }.joined()
        }
        for t in 0..<trace.steps {
            // t indexes the piece, step the sequence (the scenario's labels).
            let step = trace.firstStep + t
            let label = step < scenario.stepLabels.count ? scenario.stepLabels[step] : InputSequence.valueLabel(trace.inputs[t])
            out += "\nstep \(step + 1)  x = \(label)"
            if let output = scenario.headOutput(trace, t: t) { out += "   " + outputSummary(output) }
            out += "\n" + (plain ? columnHeader(0) + "\n" : "")
            for k in layers {
                if !plain { out += columnHeader(k) + "\n" }
                for direction in trace.stack[k].directions {
                    let values = columns(k).map { $0.values(trace, t, k, direction) }
                    let name = direction == .reverse ? "\(k + 1) rev" : String(k + 1)
                    for u in 0..<trace.hiddenSize(layer: k) {
                        out += pad(u == 0 ? name : "", 6) + pad(String(u), 5)
                        for column in values {
                            // A projected h has fewer units than the gates: its cells end early.
                            out += u < column.count ? pad(fixed(column[column.startIndex + u]), columnWidth)
                                : String(repeating: " ", count: columnWidth)
                        }
                        out += "\n"
                    }
                }
            }
        }
        return out
    }

    /// Said once under the legend: how the table counts, and how CSV and JSON do.
    static let numberingNote = "steps and layers count from 1, as on the screen (CSV and JSON keep t and layer\n"
        + "as 0-based indices); units keep their 0-based index, as PyTorch indexes h"

    /// One column of the table: its symbol and its values at (t, layer, direction).
    private typealias TableColumn = (symbol: String, values: (Trace, Int, Int, Direction) -> ArraySlice<Float>)

    /// The table's columns in the screen's order: the gates, the candidate, then what they
    /// produce (the RNN: its tanh input a, then h); a projected LSTM shows o·tanh(c), "oc",
    /// before its projected h.
    private static func tableColumns(_ cell: CellKind, projected: Bool) -> [TableColumn] {
        let hidden: TableColumn = ("h", { trace, t, k, d in trace.hidden(t: t, layer: k, direction: d) })
        if cell == .rnn {
            return [("a", { trace, t, k, d in trace.preactivation(block: 0, t: t, layer: k, direction: d) }), hidden]
        }
        let gates = cell.gates.filter { $0 != .candidate } + [.candidate]
        var columns: [TableColumn] = gates.map { gate in
            (gate.symbol(in: cell), { trace, t, k, d in trace.gate(gate, t: t, layer: k, direction: d) })
        }
        if cell.hasCellState { columns.append(("c", { trace, t, k, d in trace.cellState(t: t, layer: k, direction: d) })) }
        if projected {
            columns.append(("oc", { trace, t, k, d in trace.hiddenBeforeProjection(t: t, layer: k, direction: d) }))
        }
        columns.append(hidden)
        return columns
    }

    /// What each column letter means, and the update that produces the states.
    private static func legend(_ cell: CellKind) -> String {
        switch cell {
        case .lstm:
            "gates i input, f forget, o output (σ, 0 to 1); candidate g (tanh, -1 to 1)\n"
                + "c = f·c₋₁ + i·g the cell state; h = o·tanh(c) the hidden state"
        case .gru:
            "gates r reset, z update (σ, 0 to 1); candidate n (tanh, -1 to 1)\n"
                + "n = tanh(W_in x + b_in + r·(W_hn h₋₁ + b_hn)), reset after the product\n"
                + "h = (1-z)·n + z·h₋₁: z near 1 keeps the old h"
        case .gruResetBefore:
            "gates r reset, z update (σ, 0 to 1); candidate n (tanh, -1 to 1)\n"
                + "n = tanh(W_in x + b_in + W_hn (r·h₋₁) + b_hn), reset before the product\n"
                + "h = (1-z)·n + z·h₋₁: z near 1 keeps the old h"
        case .rnn:
            "a = W_ih x + b_ih + W_hh h₋₁ + b_hh, the input to tanh\n"
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

    private static func csvHeader(_ trace: Trace) -> String {
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
        if cell == .gru || cell == .gruResetBefore { header.append("n_recurrent") }
        return header.joined(separator: ",") + "\n"
    }

    private static func csvRows(_ trace: Trace, _ layers: Range<Int>) -> String {
        let cell = trace.cell
        let hasRecurrentPart = cell == .gru || cell == .gruResetBefore
        var out = ""
        for t in 0..<trace.steps {
            for k in layers {
                var columns = cell.gates.map { trace.gate($0, t: t, layer: k) }
                if cell.hasCellState { columns.append(trace.cellState(t: t, layer: k)) }
                columns.append(trace.hidden(t: t, layer: k))
                columns += preactivationBlocks(trace, t: t, layer: k).map(\.values)
                if hasRecurrentPart { columns.append(trace.candidateRecurrentPart(t: t, layer: k)) }
                for u in 0..<trace.hiddenSize {
                    out += "\(trace.firstStep + t),\(k),\(u)"
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

    private static func jsonHeader(_ trace: Trace, _ scenario: Scenario, _ gradients: TraceGradients?) -> String {
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
        if let gradients {
            out += ",\"grad_of\":\(jsonString(gradients.gradientOf)),\"grad_meaning\":\(jsonString(gradients.meaning))"
        }
        if !trace.pokes.isEmpty { out += ",\"pokes\":[\(trace.pokes.map(pokeJSON).joined(separator: ","))]" }
        out += ",\"steps\":["
        return out
    }

    private static func jsonRows(_ trace: Trace, _ scenario: Scenario, _ layers: Range<Int>,
                                 _ gradients: TraceGradients?) -> String {
        var out = ""
        for t in 0..<trace.steps {
            // t indexes the piece, step the sequence (labels, token names, gradients).
            let step = trace.firstStep + t
            out += step == 0 ? "\n" : ",\n"
            out += "{\"t\":\(step)"
            if step < scenario.stepLabels.count { out += ",\"label\":\(jsonString(scenario.stepLabels[step]))" }
            if let tokens = trace.tokens, t < tokens.count {
                // The token itself when a vocabulary names it, else its id.
                if let names = scenario.tokenNames, step < names.count {
                    out += ",\"token\":\(jsonString(names[step]))"
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
                    for field in gradients?.fields(t: step, column: reverseColumn, hasCell: cell.hasCellState) ?? [] {
                        out += ",\(jsonString(field.key)):\(exactNumber(field.value))"
                    }
                    out += "}"
                }
                let column = scenario.model.flowColumn(layer: k)
                for field in gradients?.fields(t: step, column: column, hasCell: cell.hasCellState) ?? [] {
                    out += ",\(jsonString(field.key)):\(exactNumber(field.value))"
                }
                out += "}"
            }
            out += "]"
            if trace.outputSize > 0 { out += ",\"y\":\(jsonArray(trace.output(t: t)))" }
            out += "}"
        }
        return out
    }

    /// A poke as the JSON trace lists it, steps 0-based as its "t": `t_last` null is to the end.
    private static func pokeJSON(_ poke: Poke) -> String {
        func site(_ site: PokeSite) -> String {
            "\"layer\":\(site.layer),\"direction\":\(jsonString(site.direction.name)),\"gate\":\(jsonString(site.gate.rawValue)),\"unit\":\(site.unit)"
        }
        switch poke {
        case .setInput(let t, .token(let id)): return "{\"poke\":\"set_input\",\"t\":\(t),\"token\":\(id)}"
        case .setInput(let t, .values(let x)): return "{\"poke\":\"set_input\",\"t\":\(t),\"x\":\(jsonArray(x))}"
        case .clamp(let where_, let value, let span):
            return "{\"poke\":\"clamp\",\(site(where_)),\"value\":\(exactNumber(value)),\"t_first\":\(span.first)"
                + ",\"t_last\":\(span.last.map(String.init) ?? "null")}"
        case .nudge(let where_, let delta):
            return "{\"poke\":\"nudge\",\(site(where_)),\"delta\":\(exactNumber(delta))}"
        }
    }

    private static func jsonArray<C: Collection<Float>>(_ values: C) -> String {
        "[" + values.map(exactNumber).joined(separator: ",") + "]"
    }
}
