import GateCore

/// Where everything goes for the current size and state. It is a function of the state
/// alone, so `view` draws from it and `update` pages and hit-tests clicks with it.
struct Layout {
    /// Below this the screen asks for a larger window: narrower leaves no room for one
    /// column with its number, shorter no room for a few unit rows.
    static let minimumWidth = 40
    static let minimumHeight = 12
    /// A description of up to this many rows goes before the table's and heatmaps' last
    /// units: at 80×24 the demos' "what to watch" then shows whole.
    static let earlyDescriptionRows = 3
    /// From this width the screen is large (a projector at full resolution, a big terminal):
    /// time steps may take wider cells.
    static let wideWidth = 140
    /// Width of the teaching panel (the selected unit's equations): the RNN's are shorter.
    static func teachingWidth(_ cell: CellKind) -> Int { cell == .rnn ? 38 : 44 }

    enum Screen: Equatable { case tooSmall, help, empty, main }

    var screen: Screen
    var table: TableLayout?
    /// The caption row above the table: layer and visible units.
    var captionY: Int?
    /// The right-hand panel (equations or diagram, `v`), when it is on and has room.
    var sidePanel: Rect?
    /// What the right-hand panel shows (`sidePanelWidget`), made once for the layout and the
    /// drawing: its equations' lines take a good part of a frame's work.
    var sideWidget: (any Widget)?
    var panels: [PanelLayout] = []
    /// The input text coloured by the selected unit (`t`), at the bottom of the body, and
    /// the widget that draws it, made once for the layout and the drawing (its symbols and
    /// lines are the text's, a window's worth on a long sequence).
    var textColouring: Rect?
    var textWidget: TextColouring?
    /// The gradient-flow plot, in the heatmaps' place when it is on.
    var gradient: GradientLayout?
    /// LSTM | GRU | RNN side by side (`s`), in place of the table and heatmaps when on.
    var sideBySide: Rect?
    var strip: StripLayout?
    /// The input's description on rows of its own under the input line (from row 2), when
    /// it is long and rows are spare; empty when it stays on the input line.
    var description: [String] = []
    var footerY = 0

    init(screen: Screen) { self.screen = screen }

    enum Hit: Equatable {
        case unitRow(Int)
        case heatmapCell(unit: Int, t: Int)
        case step(Int)
    }

    func hit(x: Int, y: Int) -> Hit? {
        if let table, table.units.contains(y - table.firstRowY + table.units.lowerBound),
           x >= 0, x < table.width {
            return .unitRow(y - table.firstRowY + table.units.lowerBound)
        }
        for panel in panels {
            let row = y - panel.firstRowY
            let column = x - panel.timeX
            guard row >= 0, row < panel.units.count, column >= 0,
                  column < panel.steps.count * panel.cellWidth else { continue }
            return .heatmapCell(unit: panel.units.lowerBound + row,
                                t: panel.steps.lowerBound + column / panel.cellWidth)
        }
        if let strip, y > strip.y, y <= strip.y + strip.quantities.count, x >= strip.timeX,
           x < strip.timeX + strip.steps.count * strip.cellWidth {
            return .step(strip.steps.lowerBound + (x - strip.timeX) / strip.cellWidth)
        }
        if let gradient, y >= gradient.plotY, y <= gradient.axisY, x >= gradient.timeX,
           x < gradient.timeX + gradient.steps.count * gradient.cellWidth {
            return .step(gradient.steps.lowerBound + (x - gradient.timeX) / gradient.cellWidth)
        }
        return nil
    }
}

struct Rect: Equatable {
    var x, y, width, height: Int
}

struct ColumnLayout {
    var quantity: Quantity
    var x: Int
    var barWidth: Int
    /// 0 when numbers are hidden.
    var numberWidth: Int
    var title: String
    var width: Int { barWidth + (numberWidth > 0 ? 1 + numberWidth : 0) }
}

struct TableLayout {
    /// The left edge: the unit labels' column.
    var x = 0
    var titleY: Int
    /// The row of scale labels under the titles, when there is room.
    var axisY: Int?
    var firstRowY: Int
    /// "▸ 12 ": marker, right-aligned unit index, space; at least "unit ".
    var labelWidth: Int
    var columns: [ColumnLayout]
    var units: Range<Int>
    var width: Int
    /// Columns left out for lack of width, named in the caption.
    var hidden: [Quantity]
}

/// The selected unit through time: a title row, one row per quantity, an axis row.
struct StripLayout {
    var y: Int
    var labelWidth: Int
    var quantities: [Quantity]
    var steps: Range<Int>
    var cellWidth: Int
    /// The columns it may use, from the left edge.
    var width: Int
    var timeX: Int { labelWidth }
    var rect: Rect { Rect(x: 0, y: y, width: width, height: quantities.count + 2) }
}

/// The gradient-flow plot: a title row, `plotRows` rows of log axis with a column per
/// step, a time axis row; the legend to the right of the plot.
struct GradientLayout {
    /// Plot rows: fewer leave too coarse a log axis; more than the maximum adds nothing.
    static let minimumRows = 3
    /// The rows a heatmap of 8 units would have: the plot takes no more from the table.
    static let comfortableRows = 8
    static let maximumRows = 12
    /// "≤1e-12" and the axis line.
    static let labelWidth = 7
    /// Two columns of gap, then "▸L LSTM h 4.1e-3".
    static let legendWidth = 18

    var x, y, width: Int
    var plotRows: Int
    var steps: Range<Int>
    var cellWidth: Int
    var timeX: Int { x + GradientLayout.labelWidth }
    var plotY: Int { y + 1 }
    /// The time axis's lowest place: it rises when the data spans fewer decades than rows.
    var axisY: Int { y + 1 + plotRows }
    var legendX: Int { timeX + steps.count * cellWidth + 2 }
    var rect: Rect { Rect(x: x, y: y, width: width, height: plotRows + 2) }
}

struct PanelLayout {
    var quantity: Quantity
    var x, y, width: Int
    var labelWidth: Int
    var units: Range<Int>
    var steps: Range<Int>
    /// Columns per time step: wider cells when the sequence is short.
    var cellWidth: Int
    var timeX: Int { x + labelWidth }
    var firstRowY: Int { y + 1 }
    var axisY: Int { y + 1 + units.count }
    /// A row under the axis for the input's characters (a text input, rows to spare).
    var hasSymbolRow = false
    var rect: Rect { Rect(x: x, y: y, width: width, height: units.count + (hasSymbolRow ? 3 : 2)) }
}

extension GateScopeApp {
    func layout() -> Layout {
        var layout = screenLayout()
        placeLessonPanel(in: &layout)
        return layout
    }

    private func screenLayout() -> Layout {
        if width < Layout.minimumWidth || height < Layout.minimumHeight { return Layout(screen: .tooSmall) }
        if showsHelp { return Layout(screen: .help) }
        let hiddenSize = shownUnits, steps = trace.steps
        var layout = Layout(screen: .main)
        layout.footerY = height - 1
        guard hiddenSize > 0, steps > 0, trace.layerCount > 0 else {
            layout.screen = .empty
            return layout
        }
        if showsSideBySide {
            layout.sideBySide = Rect(x: 0, y: 2, width: width, height: layout.footerY - 2)
            return layout
        }

        // Rows, in order of importance: a few unit rows in the table and in one row of
        // heatmaps, then a long input description in full (up to three rows), then every
        // unit in both, then the caption, scale labels and a gap, then the selected unit over
        // time, a longer description in full, then more rows of heatmaps.
        var bodyTop = 2
        var free = layout.footerY - bodyTop
        // The gradient plot takes the first row of heatmaps' place, with rows of its own.
        let fewUnits = min(hiddenSize, 3)
        let plotsGradients = gradientPlot != nil
        let lowerMinimum = plotsGradients ? GradientLayout.minimumRows : fewUnits
        let lowerLimit = plotsGradients
            ? max(GradientLayout.minimumRows, min(hiddenSize, GradientLayout.comfortableRows)) : hiddenSize
        // The input text coloured by the selected unit (t) takes the bottom of the body
        // first, up to a third of it, when a few unit rows and the first row of heatmaps
        // (or the gradient plot) keep their place above it.
        var bodyBottom = layout.footerY
        if let text = textColouringWidget() {
            let rows = min(text.preferredSize.height, max(text.minimumSize.height, free / 3))
            if free - (rows + 1) >= 1 + fewUnits + 2 + lowerMinimum {
                layout.textColouring = Rect(x: 0, y: layout.footerY - rows, width: width, height: rows)
                layout.textWidget = text
                bodyBottom = layout.footerY - rows - 1
                free -= rows + 1
            }
        }
        var tableUnits = fewUnits
        free -= 1 + tableUnits
        var heatUnits = 0
        var panelRows = 0
        if free >= 2 + lowerMinimum {
            panelRows = 1
            heatUnits = lowerMinimum
            free -= 2 + heatUnits
        }
        // A description longer than half the width is cut on the input line at some steps
        // (the demos' "watch unit 2: …" comes last); whole lines of its own keep it readable.
        // In lesson mode the narration speaks in its place: the description stays on the
        // input line, as much of it as fits.
        let longDescription = lesson == nil && tr(scenario.inputDescription).displayWidth > width / 2
        // Wrapped only when it may get rows of its own.
        let description = longDescription ? wrap(displayable(tr(scenario.inputDescription)), width: width - 2) : []
        func placeDescription() {
            layout.description = description
            bodyTop += description.count
            free -= description.count
        }
        if longDescription, description.count <= min(free, Layout.earlyDescriptionRows) { placeDescription() }
        while free > 0 {
            if tableUnits < hiddenSize, panelRows == 0 || heatUnits >= lowerLimit || tableUnits <= heatUnits {
                tableUnits += 1
            } else if panelRows > 0, heatUnits < lowerLimit {
                heatUnits += 1
            } else {
                break
            }
            free -= 1
        }
        // The caption says which units are shown when they do not all fit, so it takes a
        // unit row if it must (from the table, or else from the heatmaps or the gradient plot).
        var hasCaption = free > 0
        if hasCaption {
            free -= 1
        } else if tableUnits < hiddenSize {
            if tableUnits > fewUnits {
                tableUnits -= 1
                hasCaption = true
            } else if heatUnits > (plotsGradients ? GradientLayout.minimumRows : 2) {
                heatUnits -= 1
                hasCaption = true
            }
        }
        let hasAxis = free > 0
        if hasAxis { free -= 1 }
        let panelGap = panelRows > 0 && free > 0
        if panelGap { free -= 1 }
        // The selected unit through time, a row per table column, once the first row of
        // heatmaps has its place: it shows when this unit's gates open and close.
        let stripRows = Quantity.tableColumns(in: trace, layer: layer).count + 2
        let hasStrip = panelRows > 0 && free >= stripRows + 1
        if hasStrip { free -= stripRows + 1 }
        if longDescription, layout.description.isEmpty, description.count <= free { placeDescription() }

        // Columns: the right-hand panel goes right of the table when the table keeps
        // comfortable bars beside it. It spans the table's rows when they are enough (the
        // heatmaps below then get the full width), else the whole body.
        let labelWidth = unitLabelWidth
        let all = Quantity.tableColumns(in: trace, layer: layer)
        let side = sidePanelWidget()
        layout.sideWidget = side
        let sideSize = side?.preferredSize ?? Size(width: 0, height: 0)
        let comfortable = fitColumns(all, available: .max, labelWidth: labelWidth, bar: 8, titled: false).width
        let besideTable = side != nil && width - sideSize.width - 2 >= comfortable
            && bodyBottom - bodyTop >= sideSize.height
        let tableArea = besideTable ? width - sideSize.width - 2 : width

        // The body from top to bottom: caption, table, a gap, the unit over time, and the
        // heatmaps (or the gradient plot) in what is left.
        let body = Rect(x: 0, y: bodyTop, width: width, height: bodyBottom - bodyTop)
        let tableRows = 1 + (hasAxis ? 1 : 0) + tableUnits
        let bands = Split(direction: .vertical, constraints: [
            .fixed(hasCaption ? 1 : 0), .fixed(tableRows), .fixed(panelGap ? 1 : 0),
            .fixed(hasStrip ? stripRows + 1 : 0), .fill(1),
        ]).areas(body)
        if hasCaption { layout.captionY = bands[0].y }
        var table = fitColumns(all, available: tableArea, labelWidth: labelWidth, bar: nil)
        let tableTop = bands[1].y
        table.titleY = tableTop
        table.axisY = hasAxis ? tableTop + 1 : nil
        table.firstRowY = tableTop + tableRows - tableUnits
        table.units = window(around: unit, preferredStart: scroll, count: tableUnits, total: hiddenSize)
        layout.table = table

        var panelArea = width
        if besideTable {
            let beside = panelRows > 0 && tableRows >= sideSize.height
            let band = Rect(x: 0, y: tableTop, width: width, height: beside ? tableRows : bodyBottom - tableTop)
            let columns = Split(direction: .horizontal, constraints: [.fixed(table.width), .fixed(sideSize.width)],
                                spacing: 3).areas(band)
            layout.sidePanel = columns[1]
            // Spanning the body, it leaves the heatmaps what is left of it.
            if !beside { panelArea = min(tableArea, columns[1].x - 2) }
        }

        guard panelRows > 0 else { return layout }
        if hasStrip {
            layout.strip = strip(top: bands[3].y, area: panelArea, quantities: Quantity.tableColumns(in: trace, layer: layer))
        }
        var lower = bands[4]
        lower.width = panelArea
        if plotsGradients {
            var plotRows = min(GradientLayout.maximumRows, heatUnits + free)
            // On a tall screen the heatmaps follow under the plot, the table's units in each;
            // the plot then keeps only the rows its axis takes.
            let belowUnits = table.units.count
            let axisRows = gradientAxisRows(available: plotRows)
            if lower.height - (axisRows + 3) >= belowUnits + 2 { plotRows = axisRows }
            let parts = Split(direction: .vertical, constraints: [.fixed(plotRows + 2), .fixed(1), .fill(1)]).areas(lower)
            layout.gradient = gradientPanel(in: parts[0], plotRows: plotRows, side: side, sidePanel: &layout.sidePanel)
            if parts[2].height >= belowUnits + 2 {
                layout.panels = panels(in: parts[2], unitRows: belowUnits, labelWidth: labelWidth, tableUnits: table.units,
                                       side: nil, sidePanel: &layout.sidePanel)
            }
            return layout
        }
        // From projector width, a panel that has no place beside the table nor in the grid
        // takes the heatmaps' right-hand side, as long as one column of heatmaps keeps a
        // useful stretch of time.
        if let side, layout.sidePanel == nil, !heatmapGrid(area: panelArea).sidePanelFits(side, rows: heatUnits + 2),
           let (rect, left) = sidePanelRight(of: lower, side: side, keeping: heatmapMinimumWidth) {
            layout.sidePanel = rect
            lower.width = left
        }
        layout.panels = panels(in: lower, unitRows: heatUnits, labelWidth: labelWidth,
                               tableUnits: table.units, side: side, sidePanel: &layout.sidePanel)
        return layout
    }

    /// The gradient plot across the area; when the right-hand panel found no room beside
    /// the table, it keeps the place it would have among the heatmaps, right of the plot.
    private func gradientPanel(in area: Rect, plotRows: Int, side: (any Widget)?,
                               sidePanel: inout Rect?) -> GradientLayout {
        var plot = Rect(x: area.x, y: area.y, width: area.width, height: plotRows + 2)
        let grid = heatmapGrid(area: area.width)
        if sidePanel == nil, let side, grid.sidePanelFits(side, rows: plotRows + 2) {
            let parts = Split(direction: .horizontal, constraints: [.fill(1), .fixed(grid.lastColumnWidth)], spacing: 2)
                .areas(plot)
            (plot, sidePanel) = (parts[0], parts[1])
        }
        let timeColumns = max(1, plot.width - GradientLayout.labelWidth - GradientLayout.legendWidth)
        let (steps, cellWidth) = timeWindow(columns: timeColumns)
        return GradientLayout(x: plot.x, y: plot.y, width: plot.width, plotRows: plotRows, steps: steps, cellWidth: cellWidth)
    }

    /// From projector width, the right-hand panel at the right of `area` (its preferred width
    /// when the rest keeps `minimum` columns, else down to its minimum), and the width left;
    /// nil when narrower or when it does not fit. The gradient plot does not give way: its
    /// curves need every column of time.
    private func sidePanelRight(of area: Rect, side: any Widget, keeping minimum: Int) -> (Rect, Int)? {
        guard width >= Layout.sidePanelBesideHeatmapsWidth else { return nil }
        let sideWidth = max(side.minimumSize.width, min(side.preferredSize.width, area.width - 2 - minimum))
        let parts = Split(direction: .horizontal, constraints: [.fill(1), .fixed(sideWidth)], spacing: 2).areas(area)
        guard parts[0].width >= minimum, side.fits(Size(width: parts[1].width, height: parts[1].height)) else { return nil }
        return (parts[1], parts[0].width)
    }

    /// "▸ 12 ": marker, right-aligned unit index, space; at least "unit ".
    var unitLabelWidth: Int { max(5, 3 + String(shownUnits - 1).count) }

    /// Columns of heatmaps across `area`: as many as keep a useful stretch of time each,
    /// or `columns` when given (fewer, wider).
    private func heatmapGrid(area: Int, columns wanted: Int? = nil) -> HeatmapGrid {
        let most = max(1, min(Quantity.priority(in: trace, layer: layer).count + 1, area / heatmapMinimumWidth))
        let columns = min(most, max(1, wanted ?? most))
        return HeatmapGrid(columns: columns, panelWidth: area / columns,
                           lastColumnWidth: area - (columns - 1) * (area / columns))
    }

    /// The narrowest heatmap that keeps a useful stretch of time.
    private var heatmapMinimumWidth: Int { HeatmapWidget.minimumWidth(labelWidth: unitLabelWidth, steps: trace.steps) }

    private func strip(top: Int, area: Int, quantities: [Quantity]) -> StripLayout {
        let labelWidth = 14
        // Room on the right for the value now ("+12.34").
        let timeColumns = max(1, area - labelWidth - 10)
        let (steps, cellWidth) = timeWindow(columns: timeColumns)
        return StripLayout(y: top, labelWidth: labelWidth, quantities: quantities, steps: steps, cellWidth: cellWidth,
                           width: area)
    }

    /// The widest column a time step takes (a short sequence on a wide panel): 3, and 6 on
    /// a large screen, where narrow cells would leave most of the width blank.
    var maximumCellWidth: Int { width >= Layout.wideWidth ? 6 : 3 }

    /// The steps shown in `columns` columns, around the current step, and how many columns
    /// each takes (up to `maximumCellWidth` when the sequence is short).
    func timeWindow(columns: Int) -> (Range<Int>, Int) {
        let steps = trace.steps
        let cellWidth = min(maximumCellWidth, max(1, columns / max(1, steps)))
        let visible = min(steps, columns / cellWidth)
        return (window(around: step, preferredStart: step - visible / 2, count: visible, total: steps), cellWidth)
    }

    /// The heatmap grid: as many columns of panels as keep a useful stretch of time each,
    /// as many rows as the height of `area` allows, panels in order of importance. When
    /// rows are to spare, fewer and wider columns: more steps, wider cells. When the
    /// right-hand panel found no room beside the table, it takes the last place of the first row.
    private func panels(in area: Rect, unitRows: Int, labelWidth: Int, tableUnits: Range<Int>, side: (any Widget)?,
                        sidePanel: inout Rect?) -> [PanelLayout] {
        let hiddenSize = shownUnits
        var quantities = Quantity.priority(in: trace, layer: layer)
        var grid = heatmapGrid(area: area.width)
        let placeSidePanel = sidePanel == nil && side.map { grid.sidePanelFits($0, rows: unitRows + 2) } == true
        // A row of panels needs its units, a title and an axis, and a gap before the next.
        var gridRows = max(1, (area.height + 1) / (unitRows + 3))
        if gridRows > 1, !placeSidePanel {
            grid = heatmapGrid(area: area.width, columns: (quantities.count + gridRows - 1) / gridRows)
        }
        let (columns, panelWidth) = (grid.columns, grid.panelWidth)
        let slots = columns * gridRows - (placeSidePanel ? 1 : 0)
        gridRows = min(gridRows, (quantities.count + (placeSidePanel ? 1 : 0) + columns - 1) / columns)
        quantities = Array(quantities.prefix(slots))

        // The heatmaps show the table's units where they can, so that rows line up in the mind.
        let units = window(around: unit, preferredStart: tableUnits.lowerBound, count: unitRows, total: hiddenSize)
        let (stepWindow, cellWidth) = timeWindow(columns: max(1, panelWidth - labelWidth - 2))

        // A text input's characters under each time axis, when every row of panels has a
        // row to spare for them (the rows are counted first: reading the text takes a pass
        // over the inputs).
        let hasSymbolRow = area.height + 1 - gridRows * (unitRows + 3) >= gridRows && current.textSymbols != nil
        // Rows of panels a gap apart; in each, columns of equal width two apart, the last
        // reaching to the right edge (a heatmap there keeps the others' width).
        let panelHeight = unitRows + 2 + (hasSymbolRow ? 1 : 0)
        let gridRects = Split(direction: .vertical, constraints: Array(repeating: .fixed(panelHeight), count: gridRows),
                              spacing: 1).areas(area).map { row in
            Split(direction: .horizontal,
                  constraints: Array(repeating: .fixed(panelWidth - 2), count: columns - 1) + [.fill(1)],
                  spacing: 2).areas(row)
        }
        if placeSidePanel, var first = gridRects.first?.last {
            first.height = unitRows + 2
            sidePanel = first
        }
        var result: [PanelLayout] = []
        var slot = 0
        for quantity in quantities {
            if placeSidePanel, slot == columns - 1 { slot += 1 }
            let row = slot / columns, column = slot % columns
            guard row < gridRects.count else { break }
            let rect = gridRects[row][column]
            result.append(PanelLayout(
                quantity: quantity, x: rect.x, y: rect.y, width: min(rect.width, panelWidth - 2), labelWidth: labelWidth,
                units: units, steps: stepWindow, cellWidth: cellWidth, hasSymbolRow: hasSymbolRow))
            slot += 1
        }
        return result
    }

    /// The table's columns for `available` width: bars as wide as fit (at most 16), and when
    /// even narrow bars do not fit, the least important columns left out. Without `titled`,
    /// the columns' titles are left empty (only the widths are wanted).
    func fitColumns(_ all: [Quantity], available: Int, labelWidth: Int, bar fixedBar: Int?,
                    titled: Bool = true) -> TableLayout {
        let loaded = current
        func numberWidth(_ q: Quantity) -> Int { showsNumbers ? loaded.numberWidth(of: q, layer: layer) : 0 }
        func fixedWidth(_ columns: [Quantity], gap: Int) -> Int {
            labelWidth + columns.reduce(0) { $0 + (showsNumbers ? 1 + numberWidth($1) : 0) }
                + gap * max(0, columns.count - 1)
        }
        let minimumBar = 4, maximumBar = 16, comfortableBar = 8
        // Two spaces between columns, one when that buys bars of a readable width.
        let gap = fixedWidth(all, gap: 2) + comfortableBar * all.count <= available ? 2 : 1
        var chosen = all
        let byImportance = Quantity.priority(in: trace, layer: layer)
        while chosen.count > 1, fixedWidth(chosen, gap: gap) + minimumBar * chosen.count > available,
              let drop = byImportance.last(where: chosen.contains) {
            chosen.removeAll { $0 == drop }
        }
        let fitted = (available - fixedWidth(chosen, gap: gap)) / max(1, chosen.count)
        let bar = fixedBar ?? min(maximumBar, max(2, fitted))
        var x = labelWidth
        var columns: [ColumnLayout] = []
        for quantity in chosen {
            // Bars that grow from the centre need an even width.
            let barWidth = quantity.isSigmoid ? bar : bar & ~1
            var column = ColumnLayout(quantity: quantity, x: x, barWidth: barWidth,
                                      numberWidth: numberWidth(quantity), title: "")
            if titled { column.title = columnTitle(quantity, width: column.width) }
            columns.append(column)
            x += column.width + gap
        }
        return TableLayout(titleY: 0, axisY: nil, firstRowY: 0, labelWidth: labelWidth, columns: columns,
                           units: 0..<0, width: x - gap,
                           hidden: all.filter { !chosen.contains($0) })
    }

    /// The longest title that fits; c carries its scale ("cell c ±1.9").
    func columnTitle(_ quantity: Quantity, width: Int) -> String {
        let scale = current.scale(of: quantity, layer: layer)
        var candidates = quantity.titles(in: shownCell, catalogue)
        if quantity.isUnbounded, case .symmetric(let bound) = scale {
            let suffix = " " + glyphs.plusMinus + formatBound(bound)
            candidates = candidates.map { $0 + suffix } + candidates
        }
        return candidates.first { $0.displayWidth <= width } ?? String(candidates.last?.prefix(columns: width) ?? "")
    }
}

struct HeatmapGrid {
    var columns, panelWidth: Int
    /// The last column reaches to the right edge, so the right-hand panel gets that slack.
    var lastColumnWidth: Int

    /// Whether the right-hand panel may take the last column of a grid row `rows` high.
    func sidePanelFits(_ side: any Widget, rows: Int) -> Bool {
        columns >= 3 && side.fits(Size(width: lastColumnWidth, height: rows))
    }
}

/// `count` consecutive indices out of `total` that contain `index`, starting as close to
/// `preferredStart` as that allows.
func window(around index: Int, preferredStart: Int, count: Int, total: Int) -> Range<Int> {
    let count = min(max(count, 0), total)
    guard count > 0 else { return 0..<0 }
    var start = min(max(preferredStart, index - count + 1), index)
    start = min(max(start, 0), total - count)
    return start..<start + count
}
