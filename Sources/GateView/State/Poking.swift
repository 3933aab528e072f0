import Foundation
import GateCore

/// The poke menu (`p`), open on the selected unit and step: which gate its keys act on,
/// whether a clamp covers this step only or runs on from here, and a value being typed.
public struct PokeMenu: Sendable, Equatable {
    public internal(set) var gate: Gate
    public internal(set) var fromHere = false
    /// The digits typed after `=`, nil when not typing.
    public internal(set) var typed: String?
}

extension GateScopeApp {
    /// How much `+` and `-` nudge a gate's bias.
    static let nudgeStep: Float = 0.5

    /// The gates of the layer on screen that can be poked (the candidate is not a gate).
    var pokeableGates: [Gate] { shownCell.gates.filter { $0 != .candidate } }

    /// The run with `list` made, replacing the pokes before, computed here (the command
    /// line's pokes, before the screen opens); the unpoked run is kept as the baseline the
    /// screen compares with. Throws when a poke does not fit.
    mutating func applyPokes(_ list: [Poke]) throws {
        let base = baseline ?? current
        if list.isEmpty {
            variants[base.cell] = base
        } else {
            variants[base.cell] = try Loaded(base.scenario.poked(list), holding: base.holding)
        }
        showPokes(list, baseline: list.isEmpty ? nil : base)
    }

    /// `list` is on screen now, against `base`.
    mutating func showPokes(_ list: [Poke], baseline base: Loaded?) {
        baseline = base
        pokes = list
        // Without pokes there is nothing to take the difference from.
        if list.isEmpty { showsHeatmapDifference = false }
        // The gradient flow is of the model's own run.
        gradientPlot = nil
    }

    /// Multiply-adds of a run small enough to redo between two keys (a few milliseconds even
    /// in a debug build), so that keys typed right after a poke are not held up by a job.
    static let instantPokeWork = 2_000_000

    /// The run with `list` made: at once for a small model, by a job for a large one, whose
    /// trace takes a while. The model's own run needs no work: it is the baseline.
    mutating func requestPokes(_ list: [Poke]) -> Command {
        let work = scenario.inputs.count.multipliedReportingOverflow(by: max(1, scenario.model.multiplyAddsPerStep))
        guard !list.isEmpty, work.overflow || work.partialValue > Self.instantPokeWork else {
            do {
                try applyPokes(list)
            } catch {
                status = tr("cannot poke: {1}", error)
            }
            return .none
        }
        return startWork([.poke(cell, list), .hold(cell, step: step)], title: tr("recomputing the poked run"), purpose: .poke(list))
    }

    /// Tab leaves the pokes behind: they name gates of this kind.
    mutating func dropPokes() {
        guard !pokes.isEmpty else { return }
        try? applyPokes([])
    }

    /// p: opens the menu on the selected unit and step, or says why it cannot.
    mutating func openPokeMenu() {
        guard let gate = pokeableGates.first else {
            status = tr("the {1} has no gates to poke", shownCell.displayName)
            return
        }
        isPlaying = false
        pokeMenu = PokeMenu(gate: gate)
    }

    /// A key while the menu is open: choose the gate or the span, poke, undo, or close.
    mutating func pressInPokeMenu(_ key: Key) -> Command {
        guard var menu = pokeMenu else { return .none }
        if let typed = menu.typed {
            switch key {
            case .enter:
                menu.typed = nil
                pokeMenu = menu
                guard let value = Float(typed), value.isFinite else {
                    status = tr("'{1}' is not a number: type a value such as 0.25, then Enter", typed)
                    return .none
                }
                return addPoke(.clamp(site(menu.gate), value: value, span: span(fromHere: menu.fromHere)))
            case .escape: menu.typed = nil
            case .backspace: menu.typed = String(typed.dropLast())
            case .character(let c) where c.isNumber || c == "." || c == "-":
                if typed.count < 12 { menu.typed = typed + String(c) }
            default: status = tr("type a number, Enter to clamp to it, Esc to stop typing")
            }
            pokeMenu = menu
            return .none
        }
        switch key {
        case .escape, .character("p"): pokeMenu = nil
        case .character(let c) where pokeableGates.contains { $0.symbol(in: shownCell) == String(c) }:
            menu.gate = pokeableGates.first { $0.symbol(in: shownCell) == String(c) } ?? menu.gate
            pokeMenu = menu
        case .character(">"):
            menu.fromHere.toggle()
            pokeMenu = menu
        case .character("0"), .character("1"):
            return addPoke(.clamp(site(menu.gate), value: key == .character("0") ? 0 : 1, span: span(fromHere: menu.fromHere)))
        case .character("="):
            menu.typed = ""
            pokeMenu = menu
        case .character("+"), .character("-"):
            return addPoke(.nudge(site(menu.gate), delta: key == .character("+") ? Self.nudgeStep : -Self.nudgeStep))
        case .character("x"):
            guard let next = scenario.nextSymbol(at: step) else {
                status = tr("the input is numbers: set them with --set-input STEP=v1,v2,…")
                return .none
            }
            return addPoke(.setInput(step: step, input: next))
        case .character("u"): return undoPoke()
        case .character("U"): clearPokes()
        case .character("D"): toggleHeatmapDifference()
        default: status = tr("in the poke menu: the keys it lists, or Esc to close it")
        }
        return .none
    }

    private func site(_ gate: Gate) -> PokeSite {
        PokeSite(layer: layer, direction: direction, gate: gate, unit: unit)
    }

    /// This step, or from it to the end of the direction's pass (towards step 1 on a
    /// reverse pass).
    private func span(fromHere: Bool) -> StepSpan {
        guard fromHere else { return .step(step) }
        return direction == .reverse ? StepSpan(first: 0, last: step) : .from(step)
    }

    /// Adds a poke and recomputes the run; the menu closes so the difference shows.
    private mutating func addPoke(_ poke: Poke) -> Command {
        pokeMenu = nil
        return requestPokes(pokes + [poke])
    }

    /// u: takes back the last poke.
    mutating func undoPoke() -> Command {
        pokeMenu = nil
        guard !pokes.isEmpty else {
            status = tr("nothing to undo: p pokes the selected unit")
            return .none
        }
        if pokes.count == 1 { status = tr("the model's own run again") }
        return requestPokes(Array(pokes.dropLast()))
    }

    /// U: the model's own run again.
    mutating func clearPokes() {
        pokeMenu = nil
        guard !pokes.isEmpty else {
            status = tr("no pokes to clear")
            return
        }
        try? applyPokes([])
        status = tr("pokes cleared: the model's own run again")
    }

    // MARK: Drawing

    /// "poke: forget f of unit 2 = 0.00 from step 5 · answer at '?': a 1.00 → c 0.52 ·
    /// Δc -0.41 Δh -0.20": the last poke, the head's answer at the last step before and
    /// after, and the selected unit's change at this step (left out first when short of room).
    func pokeLine() -> [Span]? {
        guard let last = pokes.last, let baseline else { return nil }
        let style = theme.statusStyle(capabilities.colors)
        var what = words(last), short = last.spelling
        // An input poke reads as the step's new label ('b'), as the input line shows it.
        if case .setInput(let t, _) = last, t < scenario.stepLabels.count {
            let label = displayable(scenario.stepLabels[t])
            (what, short) = (tr("input at step {1} set to {2}", t + 1, label), tr("input {1}={2}", t + 1, label))
        }
        let more = pokes.count > 1 ? " +\(pokes.count - 1)" : ""
        var rest: [String] = []
        if let before = answer(baseline), let after = answer(current) {
            let answer = lastStep < scenario.stepLabels.count
                ? tr("answer at {1}:", displayable(scenario.stepLabels[lastStep])) : tr("answer:")
            rest.append("\(answer) \(before) \(glyphs.arrow) \(after)")
        }
        let delta = glyphs.unicode ? "Δ" : "d"
        var deltas: [String] = []
        if shownCell.hasCellState, let c = change({ $0.cellState(t: $1, layer: $2, direction: $3) }, baseline) {
            deltas.append("\(delta)c \(c)")
        }
        if let h = change({ $0.hidden(t: $1, layer: $2, direction: $3) }, baseline) { deltas.append("\(delta)h \(h)") }
        if !deltas.isEmpty { rest.append(deltas.joined(separator: " ")) }
        // In words when everything fits, else in the command line's spelling, which is shorter.
        let full = " " + tr("poke:") + " " + what + more
        let fits = ([full] + rest).joined(separator: glyphs.separator).displayWidth <= width
        let head = fits ? full : " " + tr("poke") + " " + short + more
        return [Span(head, style)] + rest.enumerated().map { index, text in
            Span(glyphs.separator + text, style, optional: index > 0)
        }
    }

    /// The poke in words, steps and units as on screen: "forget f of unit 2 = 0.00 from
    /// step 5".
    func words(_ poke: Poke) -> String {
        func site(_ site: PokeSite) -> String {
            tr("{1} of unit {2}", gateName(site.gate, in: trace.cell(layer: site.layer)), site.unit)
                + (site.layer > 0 ? " " + tr("in layer {1}", site.layer + 1) : "")
                + (site.direction == .reverse ? " " + tr("(reverse)") : "")
        }
        switch poke {
        case .setInput(let step, .token(let id)): return tr("input at step {1} set to token {2}", step + 1, id)
        case .setInput(let step, .values(let values)):
            return tr("input at step {1} set to {2}", step + 1, InputSequence.valueLabel(values))
        case .clamp(let target, let value, let span):
            let steps = span.last.map { last in
                last == span.first ? tr("at step {1}", span.first + 1) : tr("at steps {1}-{2}", span.first + 1, last + 1)
            } ?? tr("from step {1}", span.first + 1)
            return "\(site(target)) = \(String(format: "%.2f", Double(value))) \(steps)"
        case .nudge(let target, let delta):
            return tr("{1} bias {2}", site(target), String(format: "%+.2f", Double(delta)))
        }
    }

    /// "forget f", "update z": a gate as the poke menu and the poke line name it.
    func gateName(_ gate: Gate, in cell: CellKind) -> String {
        gate == .update ? tr("update {1}", "z") : Quantity.gate(gate).titles(in: cell, catalogue).first ?? gate.symbol(in: cell)
    }

    /// The selected unit's value now minus before the pokes, at this step; nil when unchanged.
    private func change(_ values: (ShownTrace, Int, Int, Direction) -> ArraySlice<Float>, _ baseline: Loaded) -> String? {
        let now = values(trace, step, layer, direction), before = values(baseline.trace, step, layer, direction)
        guard unit < now.count, unit < before.count else { return nil }
        let delta = now[now.startIndex + unit] - before[before.startIndex + unit]
        return formatFixed(delta, signed: true)
    }

    /// The head's likeliest answer at the last step, "a 1.00"; nil without named classes, or
    /// until a long sequence's window has reached its end.
    private func answer(_ loaded: Loaded) -> String? {
        guard case .classes(let top)? = loaded.finalOutput, let first = top.first else {
            return nil
        }
        return "\(displayable(first.name)) \(formatFixed(first.probability))"
    }

    /// The menu, a box of four lines above the footer.
    func drawPokeMenu(_ menu: PokeMenu, footerY: Int, into buffer: inout Buffer) {
        let symbols = pokeableGates.map { $0.symbol(in: shownCell) }.joined(separator: " ")
        let gateTitle = gateName(menu.gate, in: shownCell)
        let spanText = menu.fromHere ? (direction == .reverse ? tr("from here back to step 1") : tr("from here to the end"))
            : tr("at this step only")
        let lines: [[Span]] = [
            [Span(" " + tr("poke unit {1} at step {2}", unit, step + 1), theme.titleStyle),
             Span(layer > 0 || trace.layerCount > 1 ? ", " + tr("layer {1}", layer + 1) : "", theme.titleStyle)],
            [Span(" \(symbols)", theme.keyStyle), Span(" " + tr("gate: {1}", gateTitle) + "  "), Span(">", theme.keyStyle),
             Span(" \(spanText)")],
            [Span(" 0 1", theme.keyStyle), Span(" " + tr("clamp") + "  "), Span("=", theme.keyStyle),
             Span(" " + (menu.typed.map { tr("value: {1}", $0 + "_") } ?? tr("type a value")) + "  "),
             Span("+ -", theme.keyStyle), Span(" " + tr("bias {1}", "\(glyphs.plusMinus)0.5") + "  "), Span("x", theme.keyStyle),
             Span(" " + tr("next input"))],
            [Span(" u", theme.keyStyle), Span(" " + tr("undo") + "  "), Span("U", theme.keyStyle), Span(" " + tr("clear all") + "  "),
             Span("D", theme.keyStyle), Span(" " + tr("heatmaps {1} / values", glyphs.unicode ? "Δ" : "delta") + "  "),
             Span("esc", theme.keyStyle), Span(" " + tr("close"))],
        ]
        let boxWidth = width
        let top = footerY - lines.count - 1
        guard top >= 1 else { return }
        let rule = String(repeating: glyphs.unicode ? "─" : "-", count: boxWidth)
        buffer.fill(x: 0, y: top, width: boxWidth, height: lines.count + 1)
        buffer.put(rule, x: 0, y: top, style: theme.dimStyle(capabilities.colors))
        for (index, line) in lines.enumerated() {
            buffer.put(line, x: 0, y: top + 1 + index, width: boxWidth, ellipsis: glyphs.ellipsis)
        }
    }

    /// Where the unpoked run's bar ended: a thin mark in the bar's cell row, when it differs
    /// from the poked value by more than the bar's resolution.
    func drawGhost(_ before: Float, now: Float, on scale: Scale, x: Int, y: Int, width: Int, into buffer: inout Buffer) {
        guard width > 1, before.isFinite, abs(scale.fraction(before) - scale.fraction(now)) * Float(width) >= 0.5 else { return }
        let fraction = scale.fraction(before)
        let column: Int
        switch scale {
        case .unit: column = x + min(width - 1, Int((fraction * Float(width)).rounded(.down)))
        case .symmetric:
            let half = width / 2
            let offset = Int((abs(fraction) * Float(half)).rounded(.down))
            column = fraction >= 0 ? x + half + min(offset, half - 1) : x + half - 1 - min(offset, half - 1)
        }
        buffer[column, y] = Cell(glyphs.unicode ? "╎" : ":", style: theme.dimStyle(capabilities.colors))
    }
}
