import Foundation
import GateCore

/// A run of text in one style; lines of the help screen and the teaching panel are lists
/// of spans.
struct Span {
    var text: String
    var style: Style
    /// A remark that is left out, rather than cut, when the line does not fit.
    var isOptional: Bool
    init(_ text: String, _ style: Style = .plain, optional: Bool = false) {
        self.text = text
        self.style = style
        isOptional = optional
    }
}

extension Buffer {
    /// Writes spans from (x, y), clipped to `width` columns; the last visible column shows
    /// `ellipsis` when text was cut. Returns the column after the last character written.
    @discardableResult
    mutating func put(_ spans: [Span], x: Int, y: Int, width: Int, ellipsis: Character) -> Int {
        var spans = spans
        var total = spans.reduce(0) { $0 + $1.text.displayWidth }
        while total > width, let last = spans.last, last.isOptional {
            total -= last.text.displayWidth
            spans.removeLast()
        }
        var column = x
        for span in spans {
            column = put(span.text, x: column, y: y, style: span.style, maxWidth: max(0, x + width - column))
        }
        if total > width, width > 0 {
            self[x + width - 1, y] = Cell(ellipsis, style: self[x + width - 1, y].style)
        }
        return column
    }
}

extension GateScopeApp {
    public func view(into buffer: inout Buffer) {
        buffer.fill(x: 0, y: 0, width: buffer.width, height: buffer.height)
        let layout = layout()
        switch layout.screen {
        case .tooSmall:
            drawCentred([
                tr("enlarge the window"),
                tr("need at least {1}, have {2}", "\(Layout.minimumWidth)\(times)\(Layout.minimumHeight)",
                   "\(width)\(times)\(height)"),
            ], into: &buffer)
        case .help:
            drawHelp(into: &buffer)
        case .empty:
            let row = { (y: Int) in Rect(x: 0, y: y, width: self.width, height: 1) }
            HeaderBar(app: self).draw(in: row(0), into: &buffer)
            drawCentred([tr("nothing to show: the model has no units or the input no steps")], into: &buffer)
            Footer(app: self, scrolls: false).draw(in: row(layout.footerY), into: &buffer)
        case .main:
            for (widget, rect) in widgets(layout) { widget.draw(in: rect, into: &buffer) }
            if let pokeMenu { drawPokeMenu(pokeMenu, footerY: layout.footerY, into: &buffer) }
        }
    }

    /// The main screen as widgets in their rectangles, in drawing order: the layout says
    /// where, each widget draws itself there. A new panel is a widget here and a place in
    /// `layout()`.
    func widgets(_ layout: Layout) -> [(any Widget, Rect)] {
        let row = { (y: Int, height: Int) in Rect(x: 0, y: y, width: self.width, height: height) }
        var placed: [(any Widget, Rect)] = [
            (HeaderBar(app: self), row(0, 1)),
            (InputLine(app: self, description: layout.description, showsHorizon: layout.captionY == nil),
             row(1, 1 + layout.description.count)),
        ]
        if let table = layout.table {
            if let y = layout.captionY { placed.append((Caption(app: self, table: table), row(y, 1))) }
            placed.append((TableWidget(app: self, table: table), table.rect))
        }
        if let strip = layout.strip { placed.append((StripWidget(app: self, strip: strip), strip.rect)) }
        let symbols = layout.panels.contains(where: \.hasSymbolRow) ? layout.textWidget?.symbols ?? shownTextSymbols() : nil
        placed += layout.panels.map { (HeatmapWidget(app: self, panel: $0, symbols: symbols), $0.rect) }
        if let gradient = layout.gradient { placed.append((GradientWidget(app: self, panel: gradient), gradient.rect)) }
        if let rect = layout.sideBySide { placed.append((sideBySideWidget(), rect)) }
        if let rect = layout.sidePanel, let side = layout.sideWidget { placed.append((side, rect)) }
        if let rect = layout.textColouring, let text = layout.textWidget { placed.append((text, rect)) }
        let scrolls = (layout.table?.units.count ?? shownUnits) < shownUnits
        placed.append((Footer(app: self, scrolls: scrolls), row(layout.footerY, 1)))
        return placed
    }

    private var times: String { capabilities.unicode ? "×" : "x" }

    /// Lines centred in the frame, each cut to the width.
    private func drawCentred(_ lines: [String], into buffer: inout Buffer) {
        let top = (height - lines.count) / 2
        for (index, line) in lines.enumerated() {
            let x = max(0, (width - line.displayWidth) / 2)
            buffer.put(line, x: x, y: top + index, style: index == 0 ? Style(bold: true) : .plain, maxWidth: width)
        }
    }

    // MARK: Header

    /// "gatescope  LSTM · built-in demo · 1 layer · in 3 · hidden 8 … step 7/24  ▶ 4/s".
    /// When narrow, the model's name goes first, then the layer count.
    fileprivate func drawHeader(in rect: Rect, into buffer: inout Buffer) {
        let (x, y, width) = (rect.x, rect.y, rect.width)
        let style = theme.headerStyle
        buffer.fill(x: x, y: y, width: width, height: 1, with: Cell(" ", style: style))
        let model = scenario.model
        let right = tr("step {1}/{2}", trace.steps == 0 ? 0 : step + 1, trace.steps) + "  "
            + (isPlaying ? "\(glyphs.playing) \(speed)/s" : tr("paused"))
        let rightX = x + max(0, width - right.displayWidth - 1)
        buffer.put(right, x: rightX, y: y, style: style)
        let name = displayable(tr(scenario.modelName))
        let layers = trn("{1} layer", "{1} layers", model.layerCount)
        let sizes = [tr("in {1}", model.inputSize), tr("hidden {1}", Wording.widths(model.layers.map(\.hiddenSize)))]
        // A hybrid stack names its kinds in order; "Bi" marks bidirectional layers.
        let kinds = model.isHybrid ? model.layers.map(\.cell.displayName).joined(separator: glyphs.arrow) : cell.displayName
        let kind = (model.layers.contains(where: \.isBidirectional) ? "Bi" : "") + kinds
        let room = rightX - x - 2
        // In lesson mode the lesson and beat take the program's place.
        let program = lesson.map { " \($0.title)  " } ?? " gatescope  "
        // The name may be long ("built-in demo (random weights, seed 0)"): cut it before
        // dropping it, as long as a useful part of it stays.
        let withoutName = program + ([kind, layers] + sizes).joined(separator: glyphs.separator)
        let nameRoom = room - withoutName.displayWidth - glyphs.separator.displayWidth
        let shortName = name.displayWidth <= nameRoom ? name
            : String(name.prefix(columns: max(0, nameRoom - 1))) + String(glyphs.ellipsis)
        // The lesson and beat stay on the narrowest header; the program's name need not.
        let narrowStart = lesson == nil ? " " : program
        // Each candidate is written only when the wider ones did not fit.
        let candidates = [
            (program, [kind, name, layers] + sizes), (program, [kind, shortName, layers] + sizes),
            (program, [kind, layers] + sizes), (program, [kind] + sizes),
            (narrowStart, [kind] + sizes), (narrowStart, [kind]),
        ].lazy.map { start, parts in start + parts.joined(separator: self.glyphs.separator) }
        let title = candidates.enumerated().first { index, candidate in
            candidate.displayWidth <= room && (index != 1 || nameRoom >= 12)
        }?.element ?? candidates.last ?? kind
        buffer.put([Span(title, style)], x: x, y: y, width: max(0, room), ellipsis: glyphs.ellipsis)
    }

    /// "x₇ = 'b'   <what the sequence is>            output: 'a' 0.91  'b' 0.05". The input
    /// comes first; the head's output needs room after it; the description fills the rest,
    /// or the rows under the line when the layout gave it rows of its own.
    fileprivate func drawInputLine(in rect: Rect, description: [String], showsHorizon: Bool, into buffer: inout Buffer) {
        let (x, y, width) = (rect.x, rect.y, rect.width)
        let label = stepLabel()
        let bold = Style(bold: true)
        let input = [Span(" " + glyphs.subscripted("x", step + 1) + " = ", theme.dimStyle(capabilities.colors)),
                     Span(label, bold)]
        let inputEnd = buffer.put(input, x: x, y: y, width: width, ellipsis: glyphs.ellipsis)
        var descriptionEnd = x + width
        let output = headOutput()
        if !output.isEmpty, inputEnd + 3 + output.displayWidth <= x + width {
            descriptionEnd = x + width - output.displayWidth - 3
            buffer.put(output, x: x + width - output.displayWidth - 1, y: y, style: bold)
        }
        guard description.isEmpty else {
            for (index, line) in description.prefix(rect.height - 1).enumerated() {
                buffer.put(line, x: x + 1, y: y + 1 + index, style: theme.dimStyle(capabilities.colors), maxWidth: width - 1)
            }
            // Without a caption row the memory horizon takes the gap the description left.
            if showsHorizon {
                putRightAligned(memoryHorizonSpans(naming: false), after: inputEnd, before: descriptionEnd, y: y, into: &buffer)
            }
            return
        }
        buffer.put([Span("   " + displayable(tr(scenario.inputDescription)))], x: inputEnd, y: y,
                   width: max(0, descriptionEnd - inputEnd), ellipsis: glyphs.ellipsis)
    }

    /// `text` in lines of at most `width` columns (the free function `wrap`).
    func wrap(_ text: String, width: Int) -> [String] { GateView.wrap(text, width: width) }

    /// The head's output at this step (HeadOutput says how it is read): "output: 'a' 0.91
    /// 'b' 0.05 …", "sum = +0.42", or the first values.
    private func headOutput() -> String {
        switch trace.headOutput(of: scenario, t: step) {
        case nil:
            return ""
        case .value(let name, let value)?:
            return "\(displayable(name)) = \(formatFixed(value, signed: true))"
        case .classes(let top)?:
            return tr("output:") + " " + top.map { "\(displayable($0.name)) \(formatFixed($0.probability))" }.joined(separator: "  ")
        case .values(let y)?:
            let shown = y.prefix(4).map { formatFixed($0, signed: true) }.joined(separator: " ")
            return "y = " + shown + (y.count > 4 ? " \(glyphs.ellipsis)" : "")
        }
    }

    /// Text from outside (file names, labels, a vocabulary) made safe for the cell grid:
    /// control characters become visible escapes; non-ASCII characters on an ASCII terminal,
    /// and on a UTF-8 one the sequences terminals disagree about the width of (emoji joined
    /// or restyled, see `drawsPredictably`), become "?", so that no column shifts. CJK
    /// characters stay: the buffer gives them two columns.
    func displayable(_ text: String) -> String {
        // Printable ASCII, most text, is safe as it is.
        if text.utf8.allSatisfy({ (0x20..<0x7F).contains($0) }) { return text }
        var result = ""
        for character in text {
            if character == "\n" {
                result += "\\n"
            } else if character == "\t" {
                result += "\\t"
            } else if character.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                result += "?"
            } else if !capabilities.unicode, !character.isASCII {
                result += "?"
            } else if capabilities.unicode, !drawsPredictably(character) {
                result += "?"
            } else {
                result += String(character)
            }
        }
        return result
    }

    // MARK: Caption and footer

    /// "layer 1 of 2 · units 9–16 of 128 · no room for o, g · PgUp/PgDn pages".
    fileprivate func drawCaption(_ table: TableLayout, in rect: Rect, into buffer: inout Buffer) {
        let (x, y, width) = (rect.x, rect.y, rect.width)
        var parts: [String] = []
        if trace.layerCount > 1 {
            parts.append(tr("layer {1} of {2}", layer + 1, trace.layerCount) + (trace.isHybrid ? " (\(shownCell.displayName))" : ""))
        }
        var reversePart: Int?
        if trace.stack[layer].isBidirectional {
            if direction == .reverse { reversePart = parts.count }
            parts.append(direction == .reverse ? tr("reverse pass, from the last step") : tr("forward pass"))
        }
        let scrolls = table.units.count < shownUnits
        if scrolls {
            parts.append(tr("units {1} of {2}", "\(table.units.lowerBound)\(glyphs.rangeDash)\(table.units.upperBound - 1)",
                            shownUnits))
        }
        if !table.hidden.isEmpty {
            parts.append(tr("no room for {1}", table.hidden.map { $0.symbol(in: shownCell) }.joined(separator: ", ")))
        }
        // The selected unit's memory horizon, right-aligned: on screen whatever the panels;
        // the reverse pass is named short when the long form leaves it no room.
        let horizon = memoryHorizonSpans(naming: true)
        let horizonWidth = horizon.filter { !$0.isOptional }.reduce(0) { $0 + $1.text.displayWidth }
        if let reversePart, 1 + parts.joined(separator: glyphs.separator).displayWidth + 3 + horizonWidth > width - 1 {
            parts[reversePart] = tr("reverse pass")
        }
        let dim = theme.dimStyle(capabilities.colors)
        var spans = parts.isEmpty ? [] : [Span(" " + parts.joined(separator: glyphs.separator), dim)]
        if scrolls { spans.append(Span(glyphs.separator + tr("PgUp/PgDn pages"), dim, optional: true)) }
        let end = buffer.put(spans, x: x, y: y, width: width, ellipsis: glyphs.ellipsis)
        putRightAligned(horizon, after: end, before: x + width, y: y, into: &buffer)
    }

    /// Spans ending a column before `end`, three columns clear of `start`, the optional ones
    /// left out first; nothing when even the rest does not fit.
    private func putRightAligned(_ spans: [Span], after start: Int, before end: Int, y: Int,
                                 into buffer: inout Buffer) {
        var spans = spans
        var length = spans.reduce(0) { $0 + $1.text.displayWidth }
        while start + 3 + length > end - 1, let last = spans.last, last.isOptional {
            spans.removeLast()
            length -= last.text.displayWidth
        }
        guard !spans.isEmpty, start + 3 + length <= end - 1 else { return }
        buffer.put(spans, x: end - 1 - length, y: y, width: length, ellipsis: glyphs.ellipsis)
    }

    /// The keys that matter now, as many as fit, most important kept; or the status line.
    fileprivate func drawFooter(in rect: Rect, scrolls: Bool, into buffer: inout Buffer) {
        let (y, width) = (rect.y, rect.width)
        let keyStyle = theme.keyStyle
        if let working {
            drawWorking(working, y: y, into: &buffer)
            return
        }
        if status == nil, let line = pokeLine() {
            buffer.put(line, x: 0, y: y, width: width, ellipsis: glyphs.ellipsis)
            return
        }
        if let status {
            let style = theme.statusStyle(capabilities.colors)
            var spans = [Span(" " + status, style)]
            if let statusRemark { spans.append(Span(glyphs.separator + statusRemark, style, optional: true)) }
            buffer.put(spans, x: 0, y: y, width: width, ellipsis: glyphs.ellipsis)
            return
        }
        let canSwitch = scenario.makeVariant != nil
        // (keys, what they do, importance: lower is kept longer), in reading order.
        // In lesson mode the arrows move between beats: h l step, # toggles the numbers.
        var items: [(String, String, Int)] = lesson.map(\.footerItems) ?? []
        items += [
            (lesson == nil ? glyphs.stepKeys : "h/l", tr("step"), 1),
            ("space", isPlaying ? tr("pause") : (step == finalStep ? tr("replay") : tr("play")), 2),
            ("+/-", tr("speed"), 6),
            (glyphs.unitKeys, tr("unit"), 4),
        ]
        if scrolls { items.append(("PgUp/PgDn", tr("page"), 7)) }
        let next = cell.next.displayName
        items.append(("tab", canSwitch ? "\(glyphs.arrow) \(next)" : tr("cell"), 3))
        if trace.layerCount > 1 { items.append(("[ ]", tr("layer"), 5)) }
        if trace.stack[layer].isBidirectional { items.append(("r", direction == .reverse ? tr("forward") : tr("reverse"), 5)) }
        items.append((lesson == nil ? "n" : "#", tr("numbers"), 8))
        if textColouring != nil || current.textSymbols != nil {
            items.append(("t", textColouring == nil ? tr("colour text") : tr("text off"), textColouring == nil ? 10 : 4))
        }
        items.append(("v", sidePanel.next == .none ? tr("no panel") : (sidePanel.next == .diagram ? tr("diagram") : tr("equations")), 9))
        if !pokeableGates.isEmpty { items.append(("p", tr("poke"), 5)) }
        // Once on, how to leave side by side matters more than how to enter it.
        if canSwitch { items.append(("s", showsSideBySide ? tr("table") : tr("side by side"), showsSideBySide ? 3 : 10)) }
        // Offered when there is room; once the plot is open, how to leave it matters more.
        switch gradientPlot {
        case nil: items.append(("d", tr("gradient flow"), 9))
        case .dependence?: items.append(("d", current.isLossBased ? tr("loss gradient") : tr("heatmaps"), 3))
        case .loss?: items.append(("d", tr("heatmaps"), 3))
        }
        // Side by side shows no numbers toggle, text, right-hand panel or heatmaps to act on.
        if showsSideBySide { items.removeAll { ["n", "#", "t", "v", "d"].contains($0.0) } }
        items.append(contentsOf: [("?", tr("help"), 0), ("q", tr("quit"), 0)])
        func footprint(_ items: [(String, String, Int)]) -> Int {
            items.reduce(1) { $0 + $1.0.displayWidth + 1 + $1.1.displayWidth + 2 }
        }
        var leftOut = false
        while footprint(items) > width, let least = items.map(\.2).max(), least > 0 {
            items.removeAll { $0.2 == least }
            leftOut = true
        }
        // The help screen lists every key: say so when some are not on the line.
        if leftOut, let help = items.firstIndex(where: { $0.0 == "?" }) { items[help].1 = tr("more") }
        // Where Tab goes in words ("random weights, same sizes…") when the line has room for it.
        let note = canSwitch ? tr(scenario.variantNote(cell.next)) : ""
        if !note.isEmpty, let tab = items.firstIndex(where: { $0.0 == "tab" }) {
            var described = items
            described[tab].1 = "\(glyphs.arrow) \(next): \(note)"
            if footprint(described) <= width { items = described }
        }
        var x = 1
        for (keys, action, _) in items {
            x = buffer.put(keys, x: x, y: y, style: keyStyle)
            x = buffer.put(" " + action + "  ", x: x, y: y)
        }
    }
}

/// Whether every terminal draws the character in the columns `DisplayWidth` gives it: one
/// spacing scalar and combining marks after it. A zero-width joiner or a variation selector
/// makes terminals differ (some draw a joined emoji in two columns, some in four).
private func drawsPredictably(_ character: Character) -> Bool {
    character.unicodeScalars.dropFirst().allSatisfy { scalar in
        DisplayWidth.columns(of: scalar) == 0 && scalar.value != 0x200D && !(0xFE00...0xFE0F).contains(scalar.value)
    }
}

/// `text` in lines of at most `width` columns, broken at spaces (a longer word, or a run
/// of CJK text, which has no spaces, is split where the columns run out).
func wrap(_ text: String, width: Int) -> [String] {
    guard width > 0 else { return [] }
    var lines: [String] = []
    var line = ""
    // The line's columns, kept as it grows rather than counted again for each word.
    var lineWidth = 0
    for word in text.split(separator: " ", omittingEmptySubsequences: true) {
        var word = Substring(word)
        let wordWidth = word.displayWidth
        if !line.isEmpty, lineWidth + 1 + wordWidth <= width {
            line += " " + word
            lineWidth += 1 + wordWidth
            continue
        }
        if !line.isEmpty { lines.append(line) }
        while word.displayWidth > width {
            // At least one character per line, so a wide one in a single column cannot
            // stall the loop (it is drawn as a space).
            let head = word.prefix(columns: width)
            let taken = head.isEmpty ? word.prefix(1) : head
            lines.append(String(taken))
            word = word[taken.endIndex...]
        }
        line = String(word)
        lineWidth = word.displayWidth
    }
    if !line.isEmpty { lines.append(line) }
    return lines
}

/// The top row: program (or lesson), model, sizes, step and playback.
struct HeaderBar: Widget {
    let app: GateScopeApp
    var minimumSize: Size { Size(width: 1, height: 1) }
    var preferredSize: Size { Size(width: app.width, height: 1) }
    func draw(in rect: Rect, into buffer: inout Buffer) { app.drawHeader(in: rect, into: &buffer) }
}

/// The input at this step and the head's output; the description on rows of its own
/// under it when the layout gave it some.
struct InputLine: Widget {
    let app: GateScopeApp
    let description: [String]
    /// The memory horizon in the gap the description left (when no caption shows it).
    let showsHorizon: Bool
    var minimumSize: Size { Size(width: 1, height: 1) }
    var preferredSize: Size { Size(width: app.width, height: 1 + description.count) }
    func draw(in rect: Rect, into buffer: inout Buffer) {
        app.drawInputLine(in: rect, description: description, showsHorizon: showsHorizon, into: &buffer)
    }
}

/// The row above the table: layer, visible units, left-out columns, memory horizon.
struct Caption: Widget {
    let app: GateScopeApp
    let table: TableLayout
    var minimumSize: Size { Size(width: 1, height: 1) }
    var preferredSize: Size { Size(width: app.width, height: 1) }
    func draw(in rect: Rect, into buffer: inout Buffer) { app.drawCaption(table, in: rect, into: &buffer) }
}

/// The bottom row: the keys that matter now, the status, the poke or the running job.
struct Footer: Widget {
    let app: GateScopeApp
    /// Whether the table shows only some units (PgUp/PgDn is offered then).
    let scrolls: Bool
    var minimumSize: Size { Size(width: 1, height: 1) }
    var preferredSize: Size { Size(width: app.width, height: 1) }
    func draw(in rect: Rect, into buffer: inout Buffer) { app.drawFooter(in: rect, scrolls: scrolls, into: &buffer) }
}
