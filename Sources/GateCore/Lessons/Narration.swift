import Foundation

/// A beat's narration quotes live values through placeholders such as `{f}`: they are
/// read from the trace at the beat's scene, so that the text and the screen never disagree.
public enum Narration {
    /// Every placeholder and what it stands for (docs/lessons.md lists the same).
    public static let placeholders: [(name: String, meaning: String)] = [
        ("i", "input gate"), ("f", "forget gate"), ("g", "LSTM candidate"), ("o", "output gate"),
        ("r", "reset gate"), ("z", "update gate"), ("1-z", "1 - z, Andrew Ng's update gate"),
        ("n", "GRU candidate"), ("c", "cell state after the step"), ("c_prev", "cell state before the step"),
        ("h", "hidden state after the step"), ("h_prev", "hidden state before the step"),
        ("tanh_c", "tanh(c)"), ("a", "the RNN's input to tanh"),
        ("halflife", "steps until f (LSTM) or z (GRU) held constant keeps half the state"),
        ("grad_h", "‖uᵀ ∂h_T/∂h_t‖ at this step (the gradient panel's curve)"),
        ("grad_c", "‖uᵀ ∂c_T/∂c_t‖ at this step (LSTM)"),
        ("step", "the step, from 1"), ("steps", "the number of steps"), ("x", "the input at this step"),
        ("x_unit", "the layer's input x at the selected unit's index (above layer 1: that unit's h in the layer below)"),
        ("answer", "the head's answer at this step: its likeliest class and probability"),
        ("unit", "the selected unit"), ("layer", "the layer, from 1"), ("cell", "the cell kind's name"),
        ("hidden", "hidden units H"), ("inputs", "input size I"),
        ("params", "the model's parameters"), ("recurrent_params", "the recurrent layers' parameters"),
        ("madds", "recurrent multiply-adds per step"),
        ("params_lstm", "recurrent parameters of an LSTM of these sizes"),
        ("params_gru", "the same for a GRU"), ("params_rnn", "the same for an RNN"),
        ("madds_lstm", "multiply-adds per step of an LSTM of these sizes"),
        ("madds_gru", "the same for a GRU"), ("madds_rnn", "the same for an RNN"),
    ]

    /// The placeholders' names in `text`, or nil with a problem when a brace is unmatched
    /// or a name unknown.
    static func names(in text: String) -> (names: [String], problem: String?) {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) {
            guard rest[open] == "{", let close = rest[open...].firstIndex(of: "}") else {
                return (names, "an unmatched brace; a placeholder is written {name}")
            }
            let name = String(rest[rest.index(after: open)..<close])
            guard placeholders.contains(where: { $0.name == name }) else {
                return (names, "unknown placeholder {\(name)}; expected one of "
                    + placeholders.map { "{\($0.name)}" }.joined(separator: " "))
            }
            names.append(name)
            rest = rest[rest.index(after: close)...]
        }
        return (names, nil)
    }

    /// Why `text` cannot be a narration, or nil.
    static func check(_ text: String) -> String? { names(in: text).problem }

    /// `text` with every placeholder replaced by its value at step t (0-based) of `layer`
    /// (0-based), unit `unit`. Throws when a placeholder names what the cell does not have
    /// (a GRU has no c).
    public static func fill(_ text: String, scenario: Scenario, trace: Trace, t: Int, layer: Int,
                            unit: Int) throws -> String {
        let found = names(in: text)
        if let problem = found.problem { throw GateError(problem) }
        var result = text
        for name in Set(found.names) {
            let value = try self.value(name, scenario: scenario, trace: trace, t: t, layer: layer, unit: unit)
            result = result.replacingOccurrences(of: "{\(name)}", with: value)
        }
        return result
    }

    private static func value(_ name: String, scenario: Scenario, trace: Trace, t: Int, layer: Int,
                              unit: Int) throws -> String {
        let model = scenario.model
        let kind = trace.cell(layer: layer)
        func number(_ values: ArraySlice<Float>, _ what: String) throws -> String {
            guard unit < values.count else { throw GateError("{\(name)}: the \(kind.displayName) has no \(what) for unit \(unit)") }
            return String(format: "%.3f", Double(values[values.startIndex + unit]))
        }
        func gate(_ gate: Gate) throws -> String {
            guard kind.gates.contains(gate) else { throw GateError("{\(name)}: the \(kind.displayName) has no \(gate.rawValue) gate") }
            return try number(trace.gate(gate, t: t, layer: layer), gate.rawValue)
        }
        func cellState(_ values: ArraySlice<Float>) throws -> String {
            guard kind.hasCellState else { throw GateError("{\(name)}: the \(kind.displayName) has no cell state c") }
            return try number(values, "c")
        }
        switch name {
        case "i": return try gate(.input)
        case "f": return try gate(.forget)
        case "o": return try gate(.output)
        case "r": return try gate(.reset)
        case "z": return try gate(.update)
        case "g", "n":
            guard kind.gates.contains(.candidate), (name == "g") == (kind == .lstm) else {
                throw GateError("{\(name)}: the \(kind.displayName)'s candidate is {\(kind == .lstm ? "g" : "n")}")
            }
            return try gate(.candidate)
        case "1-z":
            guard kind.gates.contains(.update) else { throw GateError("{1-z}: the \(kind.displayName) has no update gate") }
            let z = trace.gate(.update, t: t, layer: layer)
            return try number(z.map { 1 - $0 }[...], "update gate")
        case "c": return try cellState(trace.cellState(t: t, layer: layer))
        case "c_prev": return try cellState(trace.previousCellState(t: t, layer: layer))
        case "tanh_c": return try cellState(trace.cellState(t: t, layer: layer).map(tanh)[...])
        case "h": return try number(trace.hidden(t: t, layer: layer), "h")
        case "h_prev": return try number(trace.previousHidden(t: t, layer: layer), "h")
        case "a":
            guard kind == .rnn else { throw GateError("{a}: only the RNN shows its input to tanh") }
            return try number(trace.preactivation(block: 0, t: t, layer: layer), "a")
        case "halflife":
            let keep: Gate = kind == .lstm ? .forget : .update
            guard kind.gates.contains(keep) else { throw GateError("{halflife}: the \(kind.displayName) has no gate that keeps its state") }
            let values = trace.gate(keep, t: t, layer: layer)
            guard unit < values.count, let steps = MemoryHorizon.halfLife(keep: values[values.startIndex + unit]) else {
                throw GateError("{halflife}: no \(keep.rawValue) gate value for unit \(unit)")
            }
            return steps.isFinite ? String(format: "%.1f", steps) : "∞"
        case "grad_h", "grad_c":
            let flow = try model.sensitivity(trace, layer: layer)
            let norms = name == "grad_h" ? flow.hidden : flow.cell
            guard name == "grad_h" || kind.hasCellState, t < norms.count, layer < norms[t].count else {
                throw GateError("{\(name)}: the \(kind.displayName) has no cell state c")
            }
            return String(format: "%.3g", Double(norms[t][layer]))
        case "step": return "\(t + 1)"
        case "steps": return "\(trace.steps)"
        case "x": return t < scenario.stepLabels.count ? scenario.stepLabels[t] : "step \(t + 1)"
        case "x_unit": return try number(trace.layerInput(t: t, layer: layer)[...], "input x")
        case "answer":
            // As the screen's output line reads the head: its likeliest class first.
            switch scenario.headOutput(trace, t: t) {
            case .classes(let top)? where !top.isEmpty:
                return "\(top[0].name) (\(String(format: "%.2f", Double(top[0].probability))))"
            case .value(_, let value)?: return String(format: "%.3f", Double(value))
            default: throw GateError("{answer}: this model's head has no named answer")
            }
        case "unit": return "\(unit)"
        case "layer": return "\(layer + 1)"
        case "cell": return kind.displayName
        case "hidden": return "\(trace.hiddenSize(layer: layer))"
        case "inputs": return "\(model.inputSize)"
        case "params": return ModelFile.grouped(model.parameterCount)
        case "recurrent_params": return ModelFile.grouped(recurrentCost(model, as: nil).parameters)
        case "madds": return ModelFile.grouped(model.multiplyAddsPerStep)
        default:
            // params_KIND and madds_KIND: the same sizes with another kind of cell.
            let parts = name.split(separator: "_").map(String.init)
            guard parts.count == 2, let other = CellKind(spelling: parts[1]) else {
                throw GateError("unknown placeholder {\(name)}")
            }
            let cost = recurrentCost(model, as: other)
            return ModelFile.grouped(parts[0] == "params" ? cost.parameters : cost.multiplyAdds)
        }
    }

    /// The recurrent layers' parameters G·(H·I + H·P + 2H) and multiply-adds G·(H·I + H·P)
    /// per direction, with each layer's own kind or all of `kind`.
    static func recurrentCost(_ model: RecurrentModel, as kind: CellKind?) -> (parameters: Int, multiplyAdds: Int) {
        model.layers.reduce((0, 0)) { total, layer in
            let G = (kind ?? layer.cell).blockCount
            let H = layer.hiddenSize
            let products = G * H * (layer.inputSize + layer.stateSize) + layer.projectionSize * H
            let biases = layer.hasBias ? 2 * G * H : 0
            return (total.0 + layer.directionCount * (products + biases), total.1 + layer.directionCount * products)
        }
    }
}
