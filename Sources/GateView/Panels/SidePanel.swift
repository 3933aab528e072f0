import GateCore

/// What the right-hand panel shows; `v` cycles through them.
public enum SidePanel: Sendable {
    /// The selected unit's equations with the step's numbers (Teaching.swift).
    case equations
    /// The selected unit's cell drawn with its values on the wires (Diagram.swift).
    case diagram
    case none

    var next: SidePanel {
        switch self {
        case .equations: .diagram
        case .diagram: .none
        case .none: .equations
        }
    }
}

/// Lines of spans, top-aligned, each cut to the width (the equations panel).
struct TextPanel: Widget {
    let lines: [[Span]]
    let width: Int
    let ellipsis: Character

    var preferredSize: Size { Size(width: width, height: lines.count) }
    /// The optional remarks may go; the equations themselves need all but a few columns.
    var minimumSize: Size { Size(width: width - 4, height: lines.count) }

    func draw(in rect: Rect, into buffer: inout Buffer) {
        for (index, line) in lines.prefix(rect.height).enumerated() {
            buffer.put(line, x: rect.x, y: rect.y + index, width: rect.width, ellipsis: ellipsis)
        }
    }
}

extension Layout {
    /// From this width the right-hand panel may take the heatmaps' right-hand side when it
    /// found no other place: the width of most projectors.
    static let sidePanelBesideHeatmapsWidth = 100
}

extension GateScopeApp {
    /// The right-hand panel's widget for the selected unit and step, nil when it is off.
    func sidePanelWidget() -> (any Widget)? {
        switch sidePanel {
        case .none: nil
        case .equations: TextPanel(lines: teachingLines(), width: Layout.teachingWidth(shownCell), ellipsis: glyphs.ellipsis)
        case .diagram: cellDiagram()
        }
    }

    /// The selected unit's cell at this step with the trace's values.
    func cellDiagram() -> CellDiagram {
        let t = step, k = layer, u = unit, d = direction, cell = shownCell
        func unitValue(_ values: ArraySlice<Float>) -> Float {
            values.indices.contains(values.startIndex + u) ? values[values.startIndex + u] : .nan
        }
        var values = CellDiagram.Values()
        values.previousHidden = unitValue(trace.previousHidden(t: t, layer: k, direction: d))
        values.previousState = cell.hasCellState ? unitValue(trace.previousCellState(t: t, layer: k, direction: d)) : values.previousHidden
        for gate in cell.gates { values.gates[gate] = unitValue(trace.gate(gate, t: t, layer: k, direction: d)) }
        values.hidden = unitValue(trace.hidden(t: t, layer: k, direction: d))
        switch cell {
        case .lstm:
            values.cellState = unitValue(trace.cellState(t: t, layer: k, direction: d))
            // A projected layer's output wire carries o ⊙ tanh(c); h comes after W_hr.
            if trace.stack[k].projectionSize > 0 {
                values.projection = (values.hidden, u, trace.stack[k].hiddenSize, trace.stack[k].projectionSize)
                values.hidden = unitValue(trace.hiddenBeforeProjection(t: t, layer: k, direction: d))
            }
        case .gru, .gruResetBefore:
            let recurrent = unitValue(trace.candidateRecurrentPart(t: t, layer: k, direction: d))
            let r = values.gates[.reset] ?? .nan
            values.recurrentPart = recurrent
            // What the input adds to n's pre-activation, as the equations panel derives it.
            values.inputPart = unitValue(trace.preactivation(.candidate, t: t, layer: k, direction: d))
                - (cell == .gru ? r * recurrent : recurrent)
        case .rnn:
            values.preactivation = unitValue(trace.preactivation(block: 0, t: t, layer: k, direction: d))
        }
        let input = k == 0 ? "\(glyphs.subscripted("x", t + 1)) = \(stepLabel())" : tr("x = h of layer {1}", k)
        return CellDiagram(cell: cell, values: values, glyphs: glyphs, catalogue: catalogue, title: teachingTitle(),
                           inputLabel: input, titleStyle: theme.titleStyle)
    }

    /// "unit 1 at step 7" (", layer 2" on a deep model, ", reverse pass" on one): the side
    /// panel's first line.
    func teachingTitle() -> String {
        tr("unit {1} at step {2}", unit, step + 1) + (trace.layerCount > 1 ? ", " + tr("layer {1}", layer + 1) : "")
            + (direction == .reverse ? ", " + tr("reverse pass") : "")
    }

    /// The input at this step as the input line names it: its label, else its first values.
    func stepLabel() -> String {
        scenario.stepLabels.indices.contains(step)
            ? displayable(scenario.stepLabels[step])
            : trace.input(t: step).prefix(4).map { formatFixed($0, signed: true) }.joined(separator: " ")
    }

    /// The memory the selected unit's keeping gate implies at this step: "f 0.88 → c halves
    /// in 5.4 steps", then the same rate over the whole sequence "0.88²⁴ ≈ 0.05", and f = 1's
    /// 1.00 to compare; "unit 2: " first when `naming`. Empty for the RNN, which has no such gate.
    func memoryHorizonSpans(naming: Bool) -> [Span] {
        let keep: Gate, state: String
        switch shownCell {
        case .lstm: (keep, state) = (.forget, "c")
        case .gru, .gruResetBefore: (keep, state) = (.update, "h")
        case .rnn: return []
        }
        let rate = current.value(.gate(keep), t: step, layer: layer, unit: unit, direction: direction)
        let name = keep.symbol(in: shownCell)
        let dim = theme.dimStyle(capabilities.colors)
        guard let halfLife = MemoryHorizon.halfLife(keep: rate) else { return [Span(tr("{1} is not a number", name), dim)] }
        let horizon: String = switch halfLife {
        case 0: tr("{1} gone at once", state)
        case .infinity: tr("{1} kept whole", state)
        case ..<10: tr("{1} halves in {2} steps", state, formatFixed(Float(halfLife), decimals: 1))
        case ..<100_000: tr("{1} halves in {2} steps", state, formatFixed(Float(halfLife), decimals: 0))
        default: tr("{1} halves in over 100000 steps", state)
        }
        let span = trace.steps
        let shownRate = Self.formatRate(rate)
        let power = shownRate + glyphs.superscript(span)
        let retained = formatFixed(Float(MemoryHorizon.retained(keep: rate, steps: span)))
        return (naming ? [Span(tr("unit {1}:", unit) + " ", dim)] : []) + [Span("\(name) \(shownRate)", theme.titleStyle),
                Span(" \(glyphs.arrow) \(horizon)", dim),
                Span(glyphs.separator + tr("{1} vs 1.00 at {2} = 1", "\(power) \(glyphs.approximately) \(retained)", name), dim,
                     optional: true)]
    }

    /// A keeping gate's value with two decimals, or with as many more (up to 6) as it takes
    /// not to read 1.00 or 0.00 when it is not exactly that: the half-life next to it
    /// depends on those digits (0.998 keeps c for hundreds of steps, 1 for ever).
    static func formatRate(_ rate: Float) -> String {
        var decimals = 2
        while decimals < 6, rate != 0, rate != 1,
              [formatFixed(0, decimals: decimals), formatFixed(1, decimals: decimals)].contains(formatFixed(rate, decimals: decimals)) {
            decimals += 1
        }
        return formatFixed(rate, decimals: decimals)
    }
}
