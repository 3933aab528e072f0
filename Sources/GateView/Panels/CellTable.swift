import GateCore

extension GateScopeApp {
    /// One row per unit, read across: the gates at this step next to the values they
    /// produce, each a bar with its number.
    func drawTable(_ table: TableLayout, into buffer: inout Buffer) {
        let loaded = current
        let dim = theme.dimStyle(capabilities.colors)
        // The long word when the label column has room for it (a unit's number is as wide).
        let unitTitle = [tr("unit"), tr("u.")].first { $0.displayWidth <= table.labelWidth - 1 } ?? ""
        buffer.put(unitTitle, x: table.x + max(0, table.labelWidth - 1 - unitTitle.displayWidth), y: table.titleY,
                   style: theme.titleStyle, maxWidth: table.labelWidth - 1)
        for column in table.columns {
            // A lesson's marked column: its title reversed and pointed at.
            let marked = highlightedColumns.contains(column.quantity.symbol(in: shownCell))
            buffer.put(marked ? glyphs.selected + column.title : column.title, x: column.x, y: table.titleY,
                       style: marked ? Style(bold: true, reverse: true) : theme.titleStyle, maxWidth: column.width)
            if let axisY = table.axisY {
                drawAxis(loaded.scale(of: column.quantity, layer: layer), x: column.x, y: axisY,
                         width: column.barWidth, style: dim, into: &buffer)
            }
        }
        let scales = table.columns.map { loaded.scale(of: $0.quantity, layer: layer) }
        let values = table.columns.map { $0.quantity.values(in: trace, t: step, layer: layer, direction: direction) }
        // The unpoked run's values, for the ghost marks.
        let before = baseline.map { baseline in
            table.columns.map { $0.quantity.values(in: baseline.trace, t: step, layer: layer, direction: direction) }
        }
        for u in table.units {
            let y = table.firstRowY + u - table.units.lowerBound
            let selected = u == unit
            drawUnitLabel(u, selected: selected, x: table.x, width: table.labelWidth, y: y, into: &buffer)
            let numberStyle = theme.numberStyle(selected: selected)
            // A projected h has fewer units than the layer: its column ends early.
            for (index, column) in table.columns.enumerated() where u < values[index].count {
                let value = values[index][values[index].startIndex + u]
                let style = Style(foreground: theme.color(value, on: scales[index], depth: capabilities.colors))
                glyphs.drawBar(value, on: scales[index], into: &buffer, x: column.x, y: y,
                               width: column.barWidth, style: style)
                if let before, u < before[index].count {
                    drawGhost(before[index][before[index].startIndex + u], now: value, on: scales[index],
                              x: column.x, y: y, width: column.barWidth, into: &buffer)
                }
                guard column.numberWidth > 0 else { continue }
                let text = formatFixed(value, signed: !column.quantity.isSigmoid)
                let x = column.x + column.barWidth + 1 + column.numberWidth - text.displayWidth
                buffer.put(text, x: x, y: y, style: numberStyle)
            }
        }
    }

    /// "▸ 12" for the selected unit (highlighted), "  12" for the others, right-aligned in
    /// the label column, whose last character stays blank.
    func drawUnitLabel(_ u: Int, selected: Bool, x: Int, width: Int, y: Int, into buffer: inout Buffer) {
        let number = String(u)
        let marker = selected ? glyphs.selected : " "
        let text = marker + String(repeating: " ", count: max(1, width - 2 - number.count)) + number
        buffer.put(text, x: x, y: y,
                   style: selected ? theme.selectedLabelStyle : theme.dimStyle(capabilities.colors),
                   maxWidth: width - 1)
    }

    /// The scale under a bar: "0    1" for gates, "-1  0 +1" for signed values (just the
    /// signs when the bar is too narrow for the numbers).
    func drawAxis(_ scale: Scale, x: Int, y: Int, width: Int, style: Style, into buffer: inout Buffer) {
        guard width >= 2 else { return }
        var low = "0", high = "1"
        if case .symmetric(let bound) = scale {
            let label = formatBound(bound)
            let fits = 2 * (label.displayWidth + 1) + 3 <= width
            (low, high) = fits ? ("-" + label, "+" + label) : ("-", "+")
            if low.displayWidth + high.displayWidth + 3 <= width { buffer.put("0", x: x + width / 2, y: y, style: style) }
        }
        buffer.put(low, x: x, y: y, style: style)
        buffer.put(high, x: x + width - high.displayWidth, y: y, style: style)
    }
}

/// The table as a widget: titles, an optional scale row, a row per unit.
struct TableWidget: Widget {
    let app: GateScopeApp
    let table: TableLayout

    /// A few unit rows under the titles.
    var minimumSize: Size { Size(width: table.width, height: 1 + min(app.shownUnits, 3)) }
    /// Every unit, with the scale row.
    var preferredSize: Size { Size(width: table.width, height: 2 + app.shownUnits) }

    func draw(in rect: Rect, into buffer: inout Buffer) {
        app.drawTable(table.moved(to: rect), into: &buffer)
    }
}

extension TableLayout {
    /// Where the table is: from its title row to its last unit row.
    var rect: Rect { Rect(x: x, y: titleY, width: width, height: firstRowY - titleY + units.count) }

    /// The same table with its top-left corner at `rect`'s.
    func moved(to rect: Rect) -> TableLayout {
        let (dx, dy) = (rect.x - x, rect.y - titleY)
        var moved = self
        moved.x = rect.x
        moved.titleY += dy
        moved.axisY = axisY.map { $0 + dy }
        moved.firstRowY += dy
        moved.columns = columns.map { column in
            var column = column
            column.x += dx
            return column
        }
        return moved
    }
}
