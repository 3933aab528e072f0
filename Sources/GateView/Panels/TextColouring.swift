import GateCore

/// The input text with each character's background coloured by the selected unit's value
/// at that step, as in Karpathy, Johnson and Fei-Fei's "Visualizing and understanding
/// recurrent networks" and LSTMVis: a unit that tracks quotes or line length lights up
/// along the text. The current step is underlined. Without colour, a row of digits under
/// each line carries the value (0 the low end of the scale, 9 the high end).
struct TextColouring: Widget {
    let app: GateScopeApp
    let quantity: Quantity
    /// One string per step held, as the grid shows it (`GateScopeApp.shownTextSymbols`).
    let symbols: StepSymbols

    private var usesDigits: Bool { app.capabilities.colors == .none }
    private var rowsPerLine: Int { usesDigits ? 2 : 1 }
    /// Tokens longer than a character (words) are set apart by a space.
    /// Found once: every character of the text is measured with it.
    private let gap: Int

    init(app: GateScopeApp, quantity: Quantity, symbols: StepSymbols) {
        self.app = app
        self.quantity = quantity
        self.symbols = symbols
        gap = symbols.strings.contains { $0.count > 1 } ? 1 : 0
    }

    var minimumSize: Size { Size(width: 20, height: 1 + rowsPerLine) }
    var preferredSize: Size {
        Size(width: app.width, height: 1 + lines(width: app.width).count * rowsPerLine)
    }

    /// The steps on each line of `width` columns, wrapped by display width (a CJK
    /// character takes two columns), from the first step held.
    func lines(width: Int) -> [Range<Int>] {
        var lines: [Range<Int>] = []
        var start = symbols.steps.lowerBound, x = 0
        for (t, symbol) in zip(symbols.steps, symbols.strings) {
            let columns = symbol.displayWidth + gap
            if x > 0, x + columns > width {
                lines.append(start..<t)
                (start, x) = (t, 0)
            }
            x += columns
        }
        if start < symbols.steps.upperBound { lines.append(start..<symbols.steps.upperBound) }
        return lines
    }

    /// 0…9 along the scale.
    private func digit(_ value: Float, on scale: Scale) -> Character {
        guard value.isFinite else { return "?" }
        let fraction = scale == .unit ? scale.fraction(value) : (scale.fraction(value) + 1) / 2
        return Character(String(min(9, max(0, Int((fraction * 9).rounded())))))
    }

    func draw(in rect: Rect, into buffer: inout Buffer) {
        guard rect.height > 0, rect.width > 0 else { return }
        let theme = app.theme, depth = app.capabilities.colors, glyphs = app.glyphs
        let dim = theme.dimStyle(depth)
        let loaded = app.current
        let scale = loaded.scale(of: quantity, layer: app.layer)
        let (low, high) = scale.labels()

        // Title and legend: what colours the text, its unit, and the range of the scale.
        let name = quantity.titles(in: app.shownCell, app.catalogue).first ?? quantity.symbol(in: app.shownCell)
        var x = buffer.put(app.tr("text coloured by {1} of unit {2}", name, app.unit), x: rect.x, y: rect.y, style: theme.titleStyle,
                           maxWidth: rect.width)
        if usesDigits {
            buffer.put("  " + app.tr("digits 0-9:") + " \(low) \(glyphs.ellipsis) \(high)", x: x, y: rect.y, style: dim,
                       maxWidth: max(0, rect.x + rect.width - x))
        } else if x + 4 + low.count + high.count + scale.samples.count <= rect.x + rect.width {
            x = buffer.put("  " + low + " ", x: x, y: rect.y, style: dim)
            for value in scale.samples {
                buffer[x, rect.y] = Cell(" ", style: Style(background: theme.color(value, on: scale, depth: depth)))
                x += 1
            }
            buffer.put(" " + high, x: x, y: rect.y, style: dim)
        }

        // The lines that fit, the current step's among them.
        let all = lines(width: rect.width)
        let fit = max(0, (rect.height - 1) / rowsPerLine)
        let current = all.firstIndex { $0.contains(app.step) } ?? 0
        let shown = window(around: current, preferredStart: 0, count: fit, total: all.count)
        for (row, index) in shown.enumerated() {
            let y = rect.y + 1 + row * rowsPerLine
            var x = rect.x
            for t in all[index] {
                let value = loaded.value(quantity, t: t, layer: app.layer, unit: app.unit, direction: app.direction)
                let isNow = t == app.step
                let style: Style
                if usesDigits {
                    style = Style(bold: isNow, reverse: isNow)
                    buffer.put(String(digit(value, on: scale)), x: x, y: y + 1, style: isNow ? theme.titleStyle : dim)
                } else {
                    let background = theme.color(value, on: scale, depth: depth)
                    style = Style(foreground: theme.textColor(on: background, depth: depth), background: background,
                                  bold: isNow, underline: isNow)
                }
                x = buffer.put(symbols[t] ?? "", x: x, y: y, style: style, maxWidth: max(0, rect.x + rect.width - x)) + gap
            }
        }
    }
}

/// The input text's symbols at a run of steps: all of them, or a window's of a long sequence.
struct StepSymbols {
    let steps: Range<Int>
    let strings: [String]

    /// The symbol of step t, nil when it is not among `steps`.
    subscript(t: Int) -> String? { steps.contains(t) ? strings[t - steps.lowerBound] : nil }
}

extension GateScopeApp {
    /// The input as text at the steps held, a string per step made safe for the grid, each
    /// at least a column wide (a space shows as ␣ without colour, where no background shows
    /// it); nil when the input is not text.
    func shownTextSymbols() -> StepSymbols? {
        guard let text = current.textSymbols else { return nil }
        let steps = trace.heldSteps.clamped(to: text.indices)
        return StepSymbols(steps: steps, strings: text[steps].map { symbol in
            if symbol == " " { return capabilities.colors == .none ? (glyphs.unicode ? "␣" : "_") : " " }
            let shown = displayable(symbol)
            return shown.displayWidth > 0 ? shown : "?"
        })
    }

    /// The text panel when `t` has turned it on and the input is text.
    func textColouringWidget() -> TextColouring? {
        guard var quantity = textColouring, let symbols = shownTextSymbols() else { return nil }
        // After Tab to a kind without c, its h colours the text.
        if quantity == .cellState, !shownCell.hasCellState { quantity = .hidden }
        return TextColouring(app: self, quantity: quantity, symbols: symbols)
    }

    /// t: the text coloured by the selected unit's c (a kind with one), then by its h, then off.
    mutating func cycleTextColouring() {
        guard current.textSymbols != nil else {
            textColouring = nil
            status = tr("t colours the input text by a unit's value; this input is numbers, not text")
            return
        }
        let choices: [Quantity] = (shownCell.hasCellState ? [.cellState] : []) + [.hidden]
        switch textColouring {
        case nil: textColouring = choices.first
        case let quantity?:
            let next = (choices.firstIndex(of: quantity) ?? choices.count) + 1
            textColouring = next < choices.count ? choices[next] : nil
        }
        status = textColouring.map {
            tr("text coloured by {1} of unit {2}", $0.titles(in: shownCell, catalogue)[0], unit) + " (" + tr("t: next") + ")"
        } ?? tr("text colouring off")
    }
}
