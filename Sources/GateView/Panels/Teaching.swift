import GateCore

extension GateScopeApp {
    /// The selected unit's equations at this step with the trace's numbers put in, so a
    /// student can redo the step by hand; on a reverse pass, what ₋₁ means there.
    func teachingLines() -> [[Span]] {
        var lines = equationLines()
        if let note = reversePassNote() { lines.insert(note, at: min(1, lines.count)) }
        return lines
    }

    /// "₋₁ = step 6: this pass runs from the end": on a reverse pass the state a step starts
    /// from is the next step's in time, the one before in the pass's own order.
    private func reversePassNote() -> [Span]? {
        guard direction == .reverse else { return nil }
        let before = step + 1 < trace.steps ? tr("step {1}", step + 2) : tr("0 (start)")
        return [Span(tr("{1} = {2}: this pass runs from the end", glyphs.previous(""), before), theme.dimStyle(capabilities.colors))]
    }

    private func equationLines() -> [[Span]] {
        let t = step, k = layer, u = unit
        let g = glyphs
        let bold = theme.titleStyle
        let dim = theme.dimStyle(capabilities.colors)
        let d = direction, cell = shownCell
        // Looked up once: `current` and `trace` find the variant shown each time they are read.
        let loaded = current, trace = loaded.trace
        func value(_ quantity: Quantity) -> Float { loaded.value(quantity, t: t, layer: k, unit: u, direction: d) }
        /// NaN past the end of a projected h, which is shorter than the layer (or at a step
        /// not held, which `Loaded` never shows).
        func previous(_ values: ArraySlice<Float>) -> Float { u < values.count ? values[values.startIndex + u] : .nan }
        func pre(_ gate: Gate) -> Float { previous(trace.preactivation(gate, t: t, layer: k, direction: d)) }
        func signed(_ v: Float) -> String { formatFixed(v, signed: true) }
        func plain(_ v: Float) -> String { formatFixed(v) }
        /// A factor inside a product: negative numbers in parentheses.
        func factor(_ v: Float) -> String { v < 0 ? "(" + formatFixed(v) + ")" : formatFixed(v) }
        func percent(_ v: Float) -> String { formatFixed(v * 100, decimals: 0) + "%" }
        func gateLine(_ gate: Gate, _ note: String) -> [Span] {
            let symbol = gate.symbol(in: cell)
            return [Span("\(symbol) = \(g.sigma)(\(signed(pre(gate)))) = "), Span(plain(value(.gate(gate))), bold),
                    Span("  " + note, dim, optional: true)]
        }

        let hPrevSymbol = g.previous("h")
        let hPrev = previous(trace.previousHidden(t: t, layer: k, direction: d))
        let h = value(.hidden)
        let title = [Span(teachingTitle(), bold)]
        switch cell {
        case .lstm:
            let (i, f, o, cand) = (value(.gate(.input)), value(.gate(.forget)), value(.gate(.output)),
                                   value(.gate(.candidate)))
            let c = value(.cellState)
            let cPrev = previous(trace.previousCellState(t: t, layer: k, direction: d))
            let cPrevSymbol = g.previous("c")
            // A projection maps o ⊙ tanh(c) of all H units to the P units of h.
            let projected = trace.stack[k].projectionSize > 0
            let output = projected
                ? [[Span("o\(g.hadamard)tanh(c) = "), Span(signed(value(.filtered)), bold)],
                   [Span("  = \(plain(o))\(g.times)tanh(\(plain(c)))")],
                   [Span("h = W_hr (o\(g.hadamard)tanh c): "),
                    Span(u < trace.stack[k].stateSize ? signed(h) : trn("{1} unit", "{1} units", trace.stack[k].stateSize), bold)]]
                : [[Span("h = o\(g.hadamard)tanh(c) = "), Span(signed(h), bold)],
                   [Span("  = \(plain(o))\(g.times)tanh(\(plain(c)))")]]
            return [
                title,
                gateLine(.forget, tr("keeps {1} of {2}", percent(f), cPrevSymbol)),
                gateLine(.input, tr("writes {1} of {2}", percent(i), "g")),
                [Span("g = tanh(\(signed(pre(.candidate)))) = "), Span(signed(cand), bold),
                 Span("  " + tr("new content"), dim, optional: true)],
                gateLine(.output, tr("shows {1} of {2}", percent(o), "tanh(c)")),
                [Span("c = f\(g.hadamard)\(cPrevSymbol) + i\(g.hadamard)g = "), Span(signed(c), bold)],
                [Span("  = \(plain(f))\(g.times)\(factor(cPrev)) + \(plain(i))\(g.times)\(factor(cand))")],
            ] + output
        case .gru, .gruResetBefore:
            let (r, z, n) = (value(.gate(.reset)), value(.gate(.update)), value(.gate(.candidate)))
            let recurrent = previous(trace.candidateRecurrentPart(t: t, layer: k, direction: d))
            let resetAfter = cell == .gru
            // The input's part of n's pre-activation, W_in x + b_in, is what remains once
            // the recurrent part (scaled by r when the reset acts after) is taken away.
            let inputPart = pre(.candidate) - (resetAfter ? r * recurrent : recurrent)
            // b_in stays outside r in both forms; the equation is too wide for its value,
            // which ends the line of numbers instead.
            let candidateEquation = resetAfter
                ? "n = tanh(W x + b_in + r\(g.hadamard)(U \(hPrevSymbol) + b_hn))"
                : "n = tanh(W x + b_in + U(r\(g.hadamard)\(hPrevSymbol)) + b_hn)"
            let candidateNumbers = resetAfter
                ? "  = tanh(\(signed(inputPart)) + \(plain(r))\(g.times)\(factor(recurrent))) = "
                : "  = tanh(\(signed(inputPart)) + \(factor(recurrent))) = "
            return [
                title,
                gateLine(.reset, tr("lets {1} of {2} in", percent(r), (resetAfter ? "U " : "") + hPrevSymbol)),
                gateLine(.update, tr("keeps {1} of {2}", percent(z), hPrevSymbol)),
                [Span("    " + tr("Ng's {1}", g.unicode ? "Γu" : "Gamma_u") + " = 1 - z = \(plain(1 - z))", dim)],
                [Span(candidateEquation)],
                [Span(candidateNumbers), Span(signed(n), bold)],
                [Span("h = (1-z)\(g.hadamard)n + z\(g.hadamard)\(hPrevSymbol) = "), Span(signed(h), bold)],
                [Span("  = \(plain(1 - z))\(g.times)\(factor(n)) + \(plain(z))\(g.times)\(factor(hPrev))")],
            ]
        case .rnn where trace.stack[k].nonlinearity == .relu:
            let a = value(.preactivation)
            return [
                title,
                [Span("h = relu(W x + U \(hPrevSymbol) + b) = "), Span(signed(h), bold)],
                [Span("  = max(0, \(signed(a)))")],
                [Span("\(hPrevSymbol) = \(signed(hPrev))")],
                [Span("dh/da = "), Span(a > 0 ? "1" : "0", bold)],
                [Span(tr("a gradient passes whole or not at all"), dim)],
            ]
        case .rnn:
            let a = value(.preactivation)
            return [
                title,
                [Span("h = tanh(W x + U \(hPrevSymbol) + b) = "), Span(signed(h), bold)],
                [Span("  = tanh(\(signed(a)))")],
                [Span("\(hPrevSymbol) = \(signed(hPrev))")],
                [Span("dh/da = 1 - h\(g.unicode ? "²" : "^2") = "), Span(plain(1 - h * h), bold)],
                [Span(tr("a gradient flowing back through tanh"), dim)],
                [Span(tr("is multiplied by this at every step"), dim)],
            ]
        }
    }
}
