import GateCore

/// What the side-by-side view says, in one place, in the screen's language.
struct SideBySideText {
    let catalogue: Catalogue

    func role(_ role: SideBySide.Role, short: Bool) -> String {
        switch role {
        case .keep: catalogue.tr("keep")
        case .write: catalogue.tr("write")
        case .candidate: short ? catalogue.tr("new") : catalogue.tr("candidate")
        case .memory: short ? catalogue.tr("mem") : catalogue.tr("memory")
        case .hidden: short ? catalogue.tr("hid") : catalogue.tr("hidden")
        case .outputGate: short ? catalogue.tr("out") : catalogue.tr("output")
        case .reset: catalogue.tr("reset")
        }
    }

    var unit: String { catalogue.tr("unit") }
    var trained: String { catalogue.tr("trained") }
    var random: String { catalogue.tr("random weights") }
    var poked: String { catalogue.tr("poked") }
    func memory(_ unit: Int) -> String { catalogue.tr("memory unit {1}", unit) }
    func layer(_ number: Int, of count: Int) -> String { catalogue.tr("layer {1} of {2}", number, count) }
    func tracing(_ glyphs: Glyphs) -> String { catalogue.tr("tracing") + (glyphs.unicode ? "…" : "...") }
    func cannotBuild(_ error: String) -> String { catalogue.tr("cannot build: {1}", error) }
    var sameMemory: String { catalogue.tr("= memory: h is its state") }
    var noGates: String { catalogue.tr("no gates: h is rewritten") }
    func overTime(_ unit: Int) -> String { catalogue.tr("unit {1} over time", unit) }
    /// What the roles mean: the long form when it fits, else the short one.
    func legend(_ glyphs: Glyphs) -> [String] {
        let complement = glyphs.unicode ? "1−z" : "1-z"
        return [catalogue.tr("keep: share of the old memory kept (f, z)") + glyphs.separator
                + catalogue.tr("write: share of the candidate written (i, {1})", complement) + glyphs.separator
                + catalogue.tr("memory: c (LSTM), h (GRU, RNN)"),
                catalogue.tr("keep (f, z): old memory kept") + glyphs.separator
                + catalogue.tr("write (i, {1}): candidate written", complement)
                + glyphs.separator + catalogue.tr("mem: c, h")]
    }

    func on(_ kinds: String, _ glyphs: Glyphs) -> String {
        catalogue.tr("side by side: {1} on the same input", kinds) + glyphs.separator
            + catalogue.tr("{1} step them together", glyphs.stepKeys)
    }
    var off: String { catalogue.tr("side by side off") }
    func noOtherKind(_ kind: String) -> String { catalogue.tr("this model is a {1} with no other cell kind to set beside it", kind) }
    func tracingTitle(_ kinds: String) -> String { catalogue.tr("tracing {1} for side by side", kinds) }
}

/// LSTM | GRU | RNN on the same input at the same step, a column per kind, rows aligned by
/// role: what each keeps of its memory (LSTM f, GRU z), what it writes (i, 1 − z), its
/// candidate (g, n), its memory (c; the GRU's and RNN's h) and output h, then the gates
/// with no counterpart (o, r). Under it, while rows are left, each column's units over time.
struct SideBySide: Widget {
    enum Role: CaseIterable {
        case keep, write, candidate, memory, hidden, outputGate, reset
    }

    /// What a kind shows in a role's row.
    enum Source: Equatable {
        case quantity(Quantity)
        /// 1 − z: the share of its candidate the GRU writes.
        case complement(Gate)
        /// Nothing of its own: the memory's value is also the output (GRU, RNN).
        case sameAsMemory
        case none
    }

    static func source(_ role: Role, in cell: CellKind) -> Source {
        switch (cell, role) {
        case (.lstm, .keep): .quantity(.gate(.forget))
        case (.lstm, .write): .quantity(.gate(.input))
        case (.lstm, .candidate): .quantity(.gate(.candidate))
        case (.lstm, .memory): .quantity(.cellState)
        case (.lstm, .hidden): .quantity(.hidden)
        case (.lstm, .outputGate): .quantity(.gate(.output))
        case (.gru, .keep), (.gruResetBefore, .keep): .quantity(.gate(.update))
        case (.gru, .write), (.gruResetBefore, .write): .complement(.update)
        case (.gru, .candidate), (.gruResetBefore, .candidate): .quantity(.gate(.candidate))
        case (.gru, .reset), (.gruResetBefore, .reset): .quantity(.gate(.reset))
        case (_, .memory): .quantity(.hidden)
        case (.gru, .hidden), (.gruResetBefore, .hidden), (.rnn, .hidden): .sameAsMemory
        default: .none
        }
    }

    /// The roles drawn over time under the table.
    static let stripRoles: [Role] = [.keep, .write, .candidate, .memory, .hidden]
    /// "1−z " and "f   ": the row's symbol before its values.
    static let symbolWidth = 4
    /// " │ " between the columns.
    static let separatorWidth = 3
    /// The RNN gets a column when every column then keeps this many units (or all of them).
    static let unitsForThirdColumn = 4

    /// One kind's column: its run (nil while it is traced or when it cannot be built).
    struct Column {
        let kind: CellKind
        let title: String
        let run: Loaded?
        let message: String?
        let layer: Int
        let direction: Direction
        /// The unit the demo names as this kind's memory.
        let memoryUnit: Int?
        /// The unit the column centres on; `selectedUnit` is the one ↑↓ moves (the kind on screen).
        let focusUnit: Int
        let selectedUnit: Int?

        var cell: CellKind { run?.trace.cell(layer: layer) ?? kind }
        var units: Int { run?.trace.hiddenSize(layer: layer) ?? 0 }

        /// The value a role's row shows for `unit` at step `t`; nil where the kind has none.
        func value(_ role: Role, t: Int, unit: Int) -> Float? {
            guard let run else { return nil }
            switch SideBySide.source(role, in: cell) {
            case .quantity(let quantity):
                return run.value(quantity, t: t, layer: layer, unit: unit, direction: direction)
            case .complement(let gate):
                return 1 - run.value(.gate(gate), t: t, layer: layer, unit: unit, direction: direction)
            case .sameAsMemory, .none:
                return nil
            }
        }

        func scale(_ role: Role) -> Scale {
            switch SideBySide.source(role, in: cell) {
            case .quantity(let quantity): run?.scale(of: quantity, layer: layer) ?? .unit
            default: .unit
            }
        }

        func text(_ role: Role, _ value: Float) -> String {
            switch SideBySide.source(role, in: cell) {
            case .quantity(let quantity): formatFixed(value, signed: !quantity.isSigmoid)
            default: formatFixed(value)
            }
        }

        /// The widest number of the column's rows, and a shade before it.
        var cellWidth: Int {
            1 + Role.allCases.map { role -> Int in
                guard case .quantity(let quantity) = SideBySide.source(role, in: cell) else { return 4 }
                return run?.numberWidth(of: quantity, layer: layer) ?? 5
            }.reduce(4, max)
        }

        /// The units shown in `width` columns: around the focus.
        func unitWindow(width: Int) -> Range<Int> {
            let count = max(0, (width - SideBySide.symbolWidth) / (cellWidth + 1))
            return window(around: focusUnit, preferredStart: focusUnit - count / 2, count: count, total: units)
        }

        func symbol(_ role: Role, _ glyphs: Glyphs) -> String {
            switch SideBySide.source(role, in: cell) {
            case .quantity(let quantity): quantity.symbol(in: cell)
            case .complement(let gate): (glyphs.unicode ? "1−" : "1-") + gate.symbol(in: cell)
            case .sameAsMemory, .none: ""
            }
        }
    }

    let columns: [Column]
    /// The screen: its step, glyphs, theme and drawing helpers (heat cells, time axis).
    let app: GateScopeApp

    var minimumSize: Size { Size(width: Layout.minimumWidth, height: 2 + Role.allCases.count) }
    var preferredSize: Size {
        let width = labelWidth(.max) + columns.reduce(0) { $0 + Self.symbolWidth + $1.units * ($1.cellWidth + 1) }
            + Self.separatorWidth * max(0, columns.count - 1)
        let units = columns.map(\.units).max() ?? 0
        return Size(width: width, height: 2 + Role.allCases.count + 2 + units * (Self.stripRoles.count + 3))
    }

    /// The role labels' column: "candidate" from projector width, "new" below; wider, up to
    /// 4 more columns, for a translation whose words are longer ("schreibt", "conserva").
    func labelWidth(_ width: Int) -> Int {
        let short = width < 100
        let longest = Role.allCases.map { app.sideBySideWords.role($0, short: short).displayWidth }.max() ?? 0
        let base = short ? 6 : 10
        return min(base + 4, max(base, longest + 1))
    }

    /// The columns that fit `width`: LSTM and GRU, and the RNN when every column keeps a few units.
    func shownColumns(width: Int) -> [Column] {
        guard columns.count > 2 else { return columns }
        let columnWidth = (width - Self.separatorWidth * (columns.count - 1)) / columns.count
        let wanted = min(Self.unitsForThirdColumn, columns.map(\.units).max() ?? 0)
        let roomy = columns.allSatisfy { Self.symbolWidth + wanted * ($0.cellWidth + 1) <= columnWidth }
        return roomy ? columns : Array(columns.prefix(2))
    }

    func draw(in rect: Rect, into buffer: inout Buffer) {
        let glyphs = app.glyphs
        let dim = app.theme.dimStyle(app.capabilities.colors)
        let short = rect.width < 100
        let labelWidth = labelWidth(rect.width)
        let shown = shownColumns(width: rect.width - labelWidth)
        guard !shown.isEmpty else { return }
        let columnWidth = (rect.width - labelWidth - Self.separatorWidth * (shown.count - 1)) / shown.count
        let tableRows = 2 + Role.allCases.count

        // The table's short form ("u.") when the word does not fit, as the cell table does.
        let unitTitle = [app.sideBySideWords.unit, app.tr("u.")].first { $0.displayWidth <= labelWidth } ?? ""
        buffer.put(unitTitle, x: rect.x, y: rect.y + 1, style: dim, maxWidth: labelWidth)
        for (index, role) in Role.allCases.enumerated() {
            buffer.put(app.sideBySideWords.role(role, short: short), x: rect.x, y: rect.y + 2 + index,
                       style: app.theme.titleStyle, maxWidth: labelWidth - 1)
        }
        for (index, column) in shown.enumerated() {
            let x = rect.x + labelWidth + index * (columnWidth + Self.separatorWidth)
            if index > 0 {
                for y in rect.y..<rect.y + min(rect.height, tableRows) {
                    buffer[x - 2, y] = Cell(glyphs.unicode ? "│" : "|", style: dim)
                }
            }
            drawTable(column, x: x, y: rect.y, width: columnWidth, into: &buffer)
        }

        // Under the table: the legend, then each column's units over time, the focus first.
        var y = rect.y + tableRows
        let blockRows = 1 + Self.stripRoles.count + 1
        guard y + 1 + blockRows <= rect.y + rect.height else { return }
        let legends = app.sideBySideWords.legend(glyphs)
        let legend = legends.first { $0.displayWidth <= rect.width } ?? legends[legends.count - 1]
        buffer.put([Span(legend, dim)], x: rect.x, y: y, width: rect.width, ellipsis: glyphs.ellipsis)
        y += 1
        var block = 0
        while y + 1 + blockRows <= rect.y + rect.height {
            y += 1
            for (role, index) in zip(Self.stripRoles, 0...) {
                buffer.put(app.sideBySideWords.role(role, short: short), x: rect.x, y: y + 1 + index,
                           style: app.theme.titleStyle, maxWidth: labelWidth - 1)
            }
            var drew = false
            for (index, column) in shown.enumerated() {
                let units = column.unitWindow(width: columnWidth)
                let order = [column.focusUnit] + units.filter { $0 != column.focusUnit }
                guard column.run != nil, block < order.count, units.contains(column.focusUnit) else { continue }
                let x = rect.x + labelWidth + index * (columnWidth + Self.separatorWidth)
                drawStrips(column, unit: order[block], x: x, y: y, width: columnWidth, into: &buffer)
                drew = true
            }
            guard drew else { break }
            y += blockRows
            block += 1
        }
    }

    /// Title, unit indices and a row per role at this step: a shade and the number per unit.
    private func drawTable(_ column: Column, x: Int, y: Int, width: Int, into buffer: inout Buffer) {
        let glyphs = app.glyphs, theme = app.theme, colors = app.capabilities.colors
        let dim = theme.dimStyle(colors)
        buffer.put([Span(column.title, theme.titleStyle)], x: x, y: y, width: width, ellipsis: glyphs.ellipsis)
        guard column.run != nil else {
            let lines = wrap(column.message ?? "", width: width)
            for (index, line) in lines.prefix(Role.allCases.count + 1).enumerated() {
                buffer.put(line, x: x, y: y + 1 + index, style: dim, maxWidth: width)
            }
            return
        }
        let units = column.unitWindow(width: width)
        let cellWidth = column.cellWidth
        for (index, u) in units.enumerated() {
            let cellX = x + Self.symbolWidth + index * (cellWidth + 1)
            let label = (u == column.selectedUnit ? glyphs.selected : "") + String(u)
            let style = u == column.memoryUnit ? Style(bold: true, reverse: true)
                : (u == column.selectedUnit ? theme.selectedLabelStyle : dim)
            buffer.put(label, x: cellX + cellWidth - label.displayWidth, y: y + 1, style: style)
        }
        for (row, role) in Role.allCases.enumerated() {
            let rowY = y + 2 + row
            switch SideBySide.source(role, in: column.cell) {
            case .none:
                let note = column.cell == .rnn && role == .keep ? app.sideBySideWords.noGates : (glyphs.unicode ? "—" : "-")
                buffer.put([Span(note, dim)], x: x, y: rowY, width: width, ellipsis: glyphs.ellipsis)
                continue
            case .sameAsMemory:
                buffer.put([Span(app.sideBySideWords.sameMemory, dim)], x: x, y: rowY, width: width, ellipsis: glyphs.ellipsis)
                continue
            case .quantity, .complement:
                break
            }
            buffer.put(column.symbol(role, glyphs), x: x, y: rowY, style: theme.titleStyle)
            let scale = column.scale(role)
            for (index, u) in units.enumerated() {
                guard let value = column.value(role, t: app.step, unit: u), !value.isNaN else { continue }
                let cellX = x + Self.symbolWidth + index * (cellWidth + 1)
                let color = theme.color(value, on: scale, depth: colors)
                buffer[cellX, rowY] = Cell(glyphs.shade(value, on: scale, signInGlyph: true), style: Style(foreground: color))
                let text = column.text(role, value)
                let emphasised = u == column.memoryUnit || u == column.selectedUnit
                buffer.put(text, x: cellX + cellWidth - text.count, y: rowY, style: theme.numberStyle(selected: emphasised))
            }
        }
    }

    /// One unit of a column over time: a title, a heat row per role, the time axis.
    private func drawStrips(_ column: Column, unit: Int, x: Int, y: Int, width: Int, into buffer: inout Buffer) {
        let glyphs = app.glyphs, dim = app.theme.dimStyle(app.capabilities.colors)
        let isMemory = unit == column.memoryUnit
        buffer.put(app.sideBySideWords.overTime(unit), x: x, y: y,
                   style: isMemory ? Style(bold: true, reverse: true) : app.theme.titleStyle, maxWidth: width)
        let timeX = x + Self.symbolWidth
        let (steps, cellWidth) = app.timeWindow(columns: max(1, width - Self.symbolWidth - 1))
        for (row, role) in Self.stripRoles.enumerated() {
            let rowY = y + 1 + row
            guard column.value(role, t: app.step, unit: unit) != nil else {
                let note = SideBySide.source(role, in: column.cell) == .sameAsMemory ? app.sideBySideWords.sameMemory
                    : (glyphs.unicode ? "—" : "-")
                buffer.put([Span(note, dim)], x: x, y: rowY, width: width, ellipsis: glyphs.ellipsis)
                continue
            }
            buffer.put(column.symbol(role, glyphs), x: x, y: rowY, style: app.theme.titleStyle)
            let scale = column.scale(role)
            for (index, t) in steps.enumerated() {
                guard let value = column.value(role, t: t, unit: unit) else { continue }
                for k in 0..<cellWidth {
                    buffer[timeX + index * cellWidth + k, rowY] =
                        app.heatCell(value, on: scale, isNow: t == app.step && k == cellWidth / 2)
                }
            }
        }
        app.drawTimeAxis(x: timeX, y: y + 1 + Self.stripRoles.count, steps: steps, cellWidth: cellWidth,
                         limit: x + width, into: &buffer)
    }
}

extension GateScopeApp {
    var sideBySideWords: SideBySideText { SideBySideText(catalogue: catalogue) }

    /// The kinds side by side: the LSTM, the GRU, the RNN. The GRU in the form on screen when
    /// it is one, else in a form traced with the model's own weights (a reset-before file's),
    /// else PyTorch's.
    var sideBySideKinds: [CellKind] {
        let forms: [CellKind] = [.gru, .gruResetBefore]
        let gru = forms.contains(cell) ? cell
            : forms.first { variants[$0].map { !$0.scenario.hasRandomWeights } == true } ?? .gru
        return [.lstm, gru, .rnn]
    }

    /// s: the kinds side by side, tracing those not traced yet by a job (the columns say
    /// "tracing" meanwhile), or back to the table.
    mutating func toggleSideBySide() -> Command {
        if showsSideBySide {
            showsSideBySide = false
            status = sideBySideWords.off
            return .none
        }
        guard scenario.makeVariant != nil else {
            status = sideBySideWords.noOtherKind(cell.displayName)
            return .none
        }
        showsSideBySide = true
        let widget = sideBySideWidget()
        let names = widget.shownColumns(width: width - widget.labelWidth(width)).map(\.kind.displayName)
            .joined(separator: " | ")
        status = sideBySideWords.on(names, glyphs)
        let missing = sideBySideKinds.filter { variants[$0] == nil && variantErrors[$0] == nil }
        guard !missing.isEmpty else { return .none }
        let title = sideBySideWords.tracingTitle(missing.map(\.displayName).joined(separator: ", "))
        return startWork(missing.map { .trace($0) } + missing.map { .hold($0, step: step) }, title: title, purpose: .sideBySide)
    }

    /// The side-by-side widget for this step: each kind's run (the kind on screen with its pokes).
    func sideBySideWidget() -> SideBySide {
        let columns = sideBySideKinds.map { kind -> SideBySide.Column in
            let run = variants[kind]
            let layerCount = run?.trace.layerCount ?? 1
            let runLayer = min(layer, max(0, layerCount - 1))
            let runDirection = run?.trace.stack[runLayer].isBidirectional == true ? direction : .forward
            let units = run?.trace.hiddenSize(layer: runLayer) ?? 0
            let memory = run?.scenario.watchedUnit.flatMap { $0 < units ? $0 : nil }
            let onScreen = kind == cell
            // Whether the weights are trained is known once the kind is traced.
            var title = (run?.cell ?? kind).displayName + (run.map {
                " (" + ($0.scenario.hasRandomWeights ? sideBySideWords.random : sideBySideWords.trained)
                    + (onScreen && !pokes.isEmpty ? ", " + sideBySideWords.poked : "") + ")"
            } ?? "")
            if layerCount > 1 { title += glyphs.separator + sideBySideWords.layer(runLayer + 1, of: layerCount) }
            if let memory { title += glyphs.separator + sideBySideWords.memory(memory) }
            let message = run != nil ? nil : variantErrors[kind].map(sideBySideWords.cannotBuild) ?? sideBySideWords.tracing(glyphs)
            return SideBySide.Column(
                kind: kind, title: title, run: run, message: message, layer: runLayer, direction: runDirection,
                memoryUnit: memory, focusUnit: min(onScreen ? unit : memory ?? unit, max(0, units - 1)),
                selectedUnit: onScreen ? unit : nil)
        }
        return SideBySide(columns: columns, app: self)
    }
}
