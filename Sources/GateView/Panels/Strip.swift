import GateCore

extension GateScopeApp {
    /// The selected unit through time: its row of every heatmap, stacked in the table's
    /// column order, so a student sees when this unit's gates open and close and what its
    /// state does meanwhile; the value at the current step ends each row. Nothing is drawn
    /// from column `width` on.
    func drawStrip(_ strip: StripLayout, width: Int, into buffer: inout Buffer) {
        let loaded = current
        let dim = theme.dimStyle(capabilities.colors)
        let title = buffer.put(tr("unit {1} over time", unit), x: 0, y: strip.y, style: theme.titleStyle)
        buffer.put("   " + tr("its row of each heatmap, side by side"), x: title, y: strip.y, style: dim,
                   maxWidth: max(0, width - title))
        let series = strip.steps.map { t in
            strip.quantities.map { $0.values(in: loaded.trace, t: t, layer: layer, direction: direction) }
        }
        for (row, quantity) in strip.quantities.enumerated() {
            let y = strip.y + 1 + row
            let name = quantity.titles(in: shownCell, catalogue).first { $0.displayWidth < strip.labelWidth - 1 } ?? quantity.symbol(in: shownCell)
            buffer.put(String(repeating: " ", count: max(0, strip.labelWidth - 1 - name.displayWidth)) + name,
                       x: 0, y: y, style: dim)
            let scale = loaded.scale(of: quantity, layer: layer)
            // A projected h has fewer units than the layer: a unit past its end has no row.
            for (index, t) in strip.steps.enumerated() where unit < series[index][row].count {
                let values = series[index][row]
                let value = values[values.startIndex + unit]
                for k in 0..<strip.cellWidth {
                    buffer[strip.timeX + index * strip.cellWidth + k, y] =
                        heatCell(value, on: scale, isNow: t == step && k == strip.cellWidth / 2)
                }
            }
            let end = strip.timeX + strip.steps.count * strip.cellWidth
            // As the table does, a unit past the end of a projected h shows no value.
            let values = quantity.values(in: loaded.trace, t: step, layer: layer, direction: direction)
            if unit < values.count {
                let now = values[values.startIndex + unit]
                buffer.put(formatFixed(now, signed: !quantity.isSigmoid), x: end + 2, y: y, style: theme.titleStyle)
            }
        }
        drawTimeAxis(x: strip.timeX, y: strip.y + 1 + strip.quantities.count, steps: strip.steps,
                     cellWidth: strip.cellWidth, limit: width, into: &buffer)
    }
}

/// The selected unit over time as a widget: a title, a row per quantity, a time axis.
struct StripWidget: Widget {
    let app: GateScopeApp
    let strip: StripLayout

    var minimumSize: Size { Size(width: strip.labelWidth + 12, height: strip.quantities.count + 2) }
    var preferredSize: Size {
        Size(width: strip.labelWidth + app.trace.steps * app.maximumCellWidth + 10, height: strip.quantities.count + 2)
    }

    func draw(in rect: Rect, into buffer: inout Buffer) {
        var placed = strip
        placed.y = rect.y
        app.drawStrip(placed, width: rect.x + rect.width, into: &buffer)
    }
}
