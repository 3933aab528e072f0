import GateCore

extension GateScopeApp {
    /// A unit × time heatmap of one quantity: each row a unit, each column a step, the
    /// current step marked under its column.
    /// `symbols`: the input text, under the time axis when the panel has a row for it.
    func drawHeatmap(_ panel: PanelLayout, symbols: StepSymbols? = nil, into buffer: inout Buffer) {
        // With `D` and pokes: the poked run minus the unpoked one, on a scale of its own.
        let before = showsHeatmapDifference ? baseline : nil
        let scale = before.map { differenceScale(panel.quantity, from: $0) } ?? current.scale(of: panel.quantity, layer: layer)
        let symbols = panel.hasSymbolRow ? symbols : nil
        drawPanelTitle(panel, scale: scale, difference: before != nil, into: &buffer)

        for u in panel.units {
            drawUnitLabel(u, selected: u == unit, x: panel.x, width: panel.labelWidth,
                          y: panel.firstRowY + u - panel.units.lowerBound, into: &buffer)
        }
        // Looked up once: `trace` finds the variant shown each time it is read.
        let trace = self.trace
        let series = panel.steps.map { panel.quantity.values(in: trace, t: $0, layer: layer, direction: direction) }
        let unpoked = before.map { before in
            panel.steps.map { panel.quantity.values(in: before.trace, t: $0, layer: layer, direction: direction) }
        }
        // A unit's row is made whole, then written at once.
        var cells: [Cell] = []
        for (row, u) in panel.units.enumerated() {
            cells.removeAll(keepingCapacity: true)
            // A projected h has fewer units than the layer (at every step): its rows end early.
            for (index, t) in panel.steps.enumerated() where u < series[index].count {
                var value = series[index][series[index].startIndex + u]
                if let unpoked { value -= u < unpoked[index].count ? unpoked[index][unpoked[index].startIndex + u] : .nan }
                // One cell per value, repeated across the step's columns (its colour is
                // looked up once); the current step's middle column carries the line.
                let cell = heatCell(value, on: scale, isNow: false)
                for k in 0..<panel.cellWidth {
                    cells.append(t == step && k == panel.cellWidth / 2 ? heatCell(value, on: scale, isNow: true) : cell)
                }
            }
            buffer.put(cells, x: panel.timeX, y: panel.firstRowY + row)
        }

        drawTimeAxis(x: panel.timeX, y: panel.axisY, steps: panel.steps, cellWidth: panel.cellWidth,
                     limit: panel.x + panel.width, into: &buffer)
        if let symbols { drawSymbols(symbols, panel: panel, into: &buffer) }
    }

    /// Under the time axis of a text input, each step's character in its column (one too
    /// wide for the column is left out), the current one bold.
    private func drawSymbols(_ symbols: StepSymbols, panel: PanelLayout, into buffer: inout Buffer) {
        let y = panel.axisY + 1
        for (index, t) in panel.steps.enumerated() {
            guard let symbol = symbols[t] else { continue }
            let columns = symbol.displayWidth
            guard columns <= panel.cellWidth else { continue }
            let x = panel.timeX + index * panel.cellWidth + (panel.cellWidth - columns) / 2
            buffer.put(symbol, x: x, y: y, style: t == step ? theme.titleStyle : theme.dimStyle(capabilities.colors))
        }
    }

    /// Under a time axis: the first and last step shown, arrows where time continues off
    /// screen, and ▲ with the step number under the current column.
    func drawTimeAxis(x: Int, y: Int, steps: Range<Int>, cellWidth: Int, limit: Int, into buffer: inout Buffer) {
        let dim = theme.dimStyle(capabilities.colors)
        let end = x + steps.count * cellWidth
        buffer.put(String(steps.lowerBound + 1), x: x, y: y, style: dim)
        let last = String(steps.upperBound)
        buffer.put(last, x: end - last.count, y: y, style: dim)
        if steps.lowerBound > 0 { buffer[x - 1, y] = Cell(glyphs.moreLeft, style: dim) }
        if steps.upperBound < trace.steps { buffer[end, y] = Cell(glyphs.moreRight, style: dim) }
        guard steps.contains(step) else { return }
        let markerX = x + (step - steps.lowerBound) * cellWidth + cellWidth / 2
        let label = String(step + 1)
        // Clear the end labels around the marker so that numbers never run together.
        buffer.fill(x: markerX - label.count - 1, y: y, width: 2 * label.count + 3, height: 1)
        buffer[markerX, y] = Cell(glyphs.timeMarker, style: theme.titleStyle)
        let labelX = markerX + 1 + label.count <= limit ? markerX + 1 : markerX - label.count
        buffer.put(label, x: labelX, y: y, style: theme.titleStyle)
    }

    /// One heatmap cell. With 256 colours the colour alone carries the value, so the cell is
    /// a clean block of it, and the current step is a line drawn through it; with fewer
    /// colours, shade glyphs carry the value (and the colour repeats it).
    func heatCell(_ value: Float, on scale: Scale, isNow: Bool) -> Cell {
        let depth = capabilities.colors
        let color = theme.color(value, on: scale, depth: depth)
        guard depth == .full else {
            return Cell(glyphs.shade(value, on: scale, signInGlyph: depth == .none), style: Style(foreground: color))
        }
        if isNow {
            var style = theme.cursorStyle
            style.background = color
            return Cell(scalar: glyphs.unicode ? "│" : "|", style: style)
        }
        return Cell(ascii: UInt8(ascii: " "), style: Style(background: color))
    }

    /// "forget f  0 ·░▒▓█ 1": the name and a legend drawn with the panel's own glyphs and
    /// colours, so that the key cannot disagree with the map.
    private func drawPanelTitle(_ panel: PanelLayout, scale: Scale, difference: Bool, into buffer: inout Buffer) {
        let samples = scale.samples
        let bound = difference ? formatDifferenceBound : formatBound
        let (low, high) = scale.labels(bound)
        let legendWidth = low.displayWidth + 1 + samples.count + 1 + high.displayWidth
        let titles = difference ? differenceTitles(panel.quantity) : panel.quantity.titles(in: shownCell, catalogue)
        // The title with the shade ramp when both fit; else with the range in words
        // ("c ±9.7", "f 0–1"), so that a narrow panel still says what its shades span.
        if let title = titles.first(where: { $0.displayWidth + 2 + legendWidth <= panel.width }) {
            drawRampTitle(title, panel: panel, scale: scale, samples: samples, low: low, high: high, into: &buffer)
            return
        }
        let range: String
        switch scale {
        case .unit: range = "0" + glyphs.rangeDash + "1"
        case .symmetric(let limit): range = glyphs.plusMinus + bound(limit)
        }
        let title = titles.map { $0 + " " + range }.first { $0.displayWidth <= panel.width } ?? titles.last ?? ""
        buffer.put(title, x: panel.x, y: panel.y, style: theme.titleStyle, maxWidth: panel.width)
    }

    /// "cell c  -9.7 ■≡=-·░▒▓█ +9.7": the title, then the shades from one end of the scale
    /// to the other.
    private func drawRampTitle(_ title: String, panel: PanelLayout, scale: Scale, samples: [Float],
                               low: String, high: String, into buffer: inout Buffer) {
        var x = buffer.put(title, x: panel.x, y: panel.y, style: theme.titleStyle, maxWidth: panel.width)
        let dim = theme.dimStyle(capabilities.colors)
        x = buffer.put(low + " ", x: x + 2, y: panel.y, style: dim)
        for value in samples {
            buffer[x, panel.y] = heatCell(value, on: scale, isNow: false)
            x += 1
        }
        buffer.put(" " + high, x: x, y: panel.y, style: dim)
    }
}

// MARK: Difference from the unpoked run

extension GateScopeApp {
    /// D: the heatmaps show the poked run minus the unpoked one, or the values again; with
    /// no pokes there is nothing to compare, and the status line says so.
    mutating func toggleHeatmapDifference() {
        guard baseline != nil, !pokes.isEmpty else {
            status = tr("no pokes: the heatmaps have no unpoked run to differ from") + glyphs.separator
                + tr("p pokes the selected unit")
            return
        }
        showsHeatmapDifference.toggle()
        status = showsHeatmapDifference
            ? tr("heatmaps: {1} from the unpoked run (poked {2} unpoked)", deltaSign, glyphs.unicode ? "−" : "-")
            : tr("heatmaps: the values")
    }

    private var deltaSign: String { glyphs.unicode ? "Δ" : "delta" }

    /// "Δ forget f from unpoked" down to "Δ f": a difference panel's titles.
    func differenceTitles(_ quantity: Quantity) -> [String] {
        let names = quantity.titles(in: shownCell, catalogue)
        return names.map { tr("{1} {2} from unpoked", deltaSign, $0) } + names.map { "\(deltaSign) \($0)" }
    }

    /// A diverging scale centred at 0 for the poked minus the unpoked value of a quantity, as
    /// wide as its largest change over the run (to 1, 2 or 5 times a power of ten), so that
    /// a small change still shows; ±1 when nothing changed.
    func differenceScale(_ quantity: Quantity, from before: Loaded) -> Scale {
        var largest: Float = 0
        // Over the steps held: all of them, or a long sequence's window.
        for t in trace.heldSteps {
            let now = quantity.values(in: trace, t: t, layer: layer, direction: direction)
            let then = quantity.values(in: before.trace, t: t, layer: layer, direction: direction)
            for (a, b) in zip(now, then) where (a - b).isFinite { largest = max(largest, abs(a - b)) }
        }
        return .symmetric(differenceBound(largest))
    }
}

/// The smallest of 1, 2, 5 × 10ᵏ (k ≥ −3) at least `largest`; 1 for no change.
func differenceBound(_ largest: Float) -> Float {
    guard largest > 0, largest.isFinite else { return 1 }
    var power: Float = 0.001
    while true {
        for step: Float in [1, 2, 5] where step * power >= largest { return step * power }
        power *= 10
        if power > 1e9 { return largest }
    }
}

/// A difference bound (1, 2 or 5 × 10ᵏ) as its legend reads it: "0.05", "2", "10".
func formatDifferenceBound(_ bound: Float) -> String {
    let decimals = bound >= 1 ? 0 : bound >= 0.1 ? 1 : bound >= 0.01 ? 2 : 3
    return formatFixed(bound, decimals: decimals)
}

/// One heatmap (a quantity's units × steps) as a widget; it needs its unit rows, a title
/// and a time axis, and a useful stretch of time across.
struct HeatmapWidget: Widget {
    let app: GateScopeApp
    let panel: PanelLayout
    /// The input text (`shownTextSymbols`), nil when it is not text.
    let symbols: StepSymbols?

    /// The narrowest heatmap that keeps a useful stretch of time (up to 40 steps).
    static func minimumWidth(labelWidth: Int, steps: Int) -> Int { labelWidth + min(steps, 40) + 2 }

    var minimumSize: Size {
        Size(width: Self.minimumWidth(labelWidth: panel.labelWidth, steps: app.trace.steps), height: panel.units.count + 2)
    }
    /// Every step at the widest cells.
    var preferredSize: Size {
        Size(width: panel.labelWidth + app.trace.steps * app.maximumCellWidth + 2, height: panel.units.count + 2)
    }

    func draw(in rect: Rect, into buffer: inout Buffer) {
        var placed = panel
        (placed.x, placed.y, placed.width) = (rect.x, rect.y, rect.width)
        app.drawHeatmap(placed, symbols: symbols, into: &buffer)
    }
}
