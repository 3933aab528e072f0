import GateCore

extension GateScopeApp {
    /// A unit × time heatmap of one quantity: each row a unit, each column a step, the
    /// current step marked under its column.
    func drawHeatmap(_ panel: PanelLayout, into buffer: inout Buffer) {
        let scale = current.scale(of: panel.quantity, layer: layer)
        drawPanelTitle(panel, scale: scale, into: &buffer)

        for u in panel.units {
            drawUnitLabel(u, selected: u == unit, x: panel.x, width: panel.labelWidth,
                          y: panel.firstRowY + u - panel.units.lowerBound, into: &buffer)
        }
        for (index, t) in panel.steps.enumerated() {
            let values = panel.quantity.values(in: trace, t: t, layer: layer, direction: direction)
            let x = panel.timeX + index * panel.cellWidth
            // A projected h has fewer units than the layer: its rows end early.
            for (row, u) in panel.units.enumerated() where u < values.count {
                let value = values[values.startIndex + u]
                // One cell per value, repeated across the step's columns (its colour is
                // looked up once); the current step's middle column carries the line.
                let cell = heatCell(value, on: scale, isNow: false)
                for k in 0..<panel.cellWidth {
                    buffer[x + k, panel.firstRowY + row] =
                        t == step && k == panel.cellWidth / 2 ? heatCell(value, on: scale, isNow: true) : cell
                }
            }
        }

        drawTimeAxis(x: panel.timeX, y: panel.axisY, steps: panel.steps, cellWidth: panel.cellWidth,
                     limit: panel.x + panel.width, into: &buffer)
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
            return Cell(glyphs.unicode ? "│" : "|", style: style)
        }
        return Cell(" ", style: Style(background: color))
    }

    /// "forget f  0 ·░▒▓█ 1": the name and a legend drawn with the panel's own glyphs and
    /// colours, so that the key cannot disagree with the map.
    private func drawPanelTitle(_ panel: PanelLayout, scale: Scale, into buffer: inout Buffer) {
        let samples: [Float]
        let low: String, high: String
        switch scale {
        case .unit:
            samples = [0, 0.25, 0.5, 0.75, 1]
            (low, high) = ("0", "1")
        case .symmetric(let bound):
            samples = [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1].map { $0 * bound }
            (low, high) = ("-" + formatBound(bound), "+" + formatBound(bound))
        }
        let legendWidth = low.displayWidth + 1 + samples.count + 1 + high.displayWidth
        let titles = panel.quantity.titles(in: shownCell)
        // The title with the shade ramp when both fit; else with the range in words
        // ("c ±9.7", "f 0–1"), so that a narrow panel still says what its shades span.
        if let title = titles.first(where: { $0.displayWidth + 2 + legendWidth <= panel.width }) {
            drawRampTitle(title, panel: panel, scale: scale, samples: samples, low: low, high: high, into: &buffer)
            return
        }
        let range: String
        switch scale {
        case .unit: range = "0" + glyphs.rangeDash + "1"
        case .symmetric(let bound): range = glyphs.plusMinus + formatBound(bound)
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
