import GateCore

extension GateScopeApp {
    /// Every key, how to read bars, shades and colours, and the conventions that differ
    /// between PyTorch, the papers and Andrew Ng's course.
    func helpLines(width: Int) -> [[Span]] {
        let g = glyphs
        let bold = theme.titleStyle
        let key = theme.keyStyle
        let hPrev = g.previous("h"), cPrev = g.previous("c")
        let dot = g.hadamard

        // Tab only where the scenario can be built with another kind (not a file's pipeline).
        let tab = scenario.makeVariant != nil ? "LSTM \(g.arrow) GRU \(g.arrow) RNN" : tr("no other kind here")
        // r where a layer has a reverse pass; it takes the place of ?, which the help's own
        // footer names, so that the help still fits 80×24.
        let last = trace.stack.contains(where: \.isBidirectional) ? ("r", tr("forward/reverse pass")) : ("?", tr("this help"))
        // In lesson mode the arrows and n move between beats (LessonApp).
        let keys: [(String, String)] = (lesson?.helpKeys ?? []) + [
            lesson == nil ? (g.unicode ? "←→ h l" : "h l left right", tr("step")) : ("h l", tr("step")),
            ("g G", tr("first / last step")),
            ("space + -", tr("play / speed")),
            (g.unicode ? "↑↓ k j" : "k j up down", tr("select unit")),
            ("PgUp PgDn", tr("page of units")),
            ("Tab", tab),
            ("[ ]", tr("layer")),
            (lesson == nil ? "n t" : "# t", tr("numbers/text colour")),
            ("d", tr("gradients / heatmaps")),
            ("v", tr("equations/diagram/none")),
            ("p u U D", tr("poke undo clear {1}", g.unicode ? "Δ" : "delta")),
            ("s", tr("LSTM | GRU side by side")),
            last,
            ("q Esc ^C", tr("quit")),
            (tr("click"), tr("select unit / step")),
        ]
        // Columns of 26, wider for a longer translation, as many as fit, at most 3. An entry
        // may run one column into the next column's two leading spaces and still stand apart.
        let widest = keys.map { 2 + $0.0.displayWidth + 1 + $0.1.displayWidth }.max() ?? 0
        let columnWidth = max(26, widest - 1)
        let columns = max(1, min(3, (width - 2) / columnWidth))
        let rows = (keys.count + columns - 1) / columns
        // No blank line under the title: at 80×24 the whole help fits on one screen.
        var lines: [[Span]] = [[Span(" " + tr("gatescope: keys and how to read the screen"), bold)]]
        lines.append([Span(" " + tr("Keys"), bold)])
        for row in 0..<rows {
            var spans: [Span] = []
            for column in 0..<columns {
                let index = column * rows + row
                guard index < keys.count else { continue }
                let (names, action) = keys[index]
                let entry = "  " + names + " " + action
                spans.append(Span("  "))
                spans.append(Span(names, key))
                spans.append(Span(" " + action + String(repeating: " ", count: max(0, columnWidth - entry.displayWidth))))
            }
            lines.append(spans)
        }

        let shades = [Float(0), 0.25, 0.5, 0.75, 1].map { g.shade($0, on: .unit, signInGlyph: false) }
        let negative = [Float(0.25), 0.5, 0.75, 1].map { g.shade(-$0, on: .symmetric(1), signInGlyph: true) }
        let partial = g.unicode ? "∂" : "d"
        var reading = [
            tr("Each table row is one unit at this step; read it across."),
            tr("Gates ({1}, 0 to 1): bars fill from the left. tanh values (g, n, h):", g.sigma),
            "  " + tr("-1 to +1, bars grow from the centre, left negative, right positive."),
            tr("c is unbounded: its bars use {1} of the sequence, given in its title.", "\(g.plusMinus)max|c|"),
            tr("Heatmaps: a row per unit, a column per step, {1} under the current step;", g.timeMarker),
            "  " + tr("{1} low to high; without colour {2} mark negative values.", String(shades), String(negative)),
            tr("Gradient flow (d): L2 norm of {1} per step, log scale; * curves meet.", "\(partial)h_T/\(partial)h_t"),
        ]
        if capabilities.colors != .none {
            reading.append(tr("Colours: {1}.", tr(theme.colourKey)))
        }
        lines.append([Span(" " + tr("Reading the screen"), bold)])
        lines += reading.flatMap(helpParagraph)

        let conventions = [
            "LSTM  c = f\(dot)\(cPrev) + i\(dot)g,  h = o\(dot)tanh(c)   " + tr("(PyTorch blocks i, f, g, o)"),
            "      " + tr("Ng's notation:") + " \(g.unicode ? "Γu = i, Γf = f, Γo = o, c~ (c tilde) = g, a = h" : "G_u = i, G_f = f, G_o = o, c~ (c tilde) = g, a = h")",
            "GRU   h = (1-z)\(dot)n + z\(dot)\(hPrev): "
                + tr("z near 1 KEEPS the old h; Ng's {1} is 1-z.", g.unicode ? "Γu" : "G_u"),
            "      " + tr("reset after (PyTorch, cuDNN):") + "  n = tanh(W x + b_in + r\(dot)(U \(hPrev) + b_hn))",
            "      " + tr("reset before (Cho 2014):") + "       n = tanh(W x + b_in + U(r\(dot)\(hPrev)) + b_hn)",
            "      " + tr("Keras: reset_after=True (its default) is the first, False the second."),
            "RNN   h = tanh(W x + U \(hPrev) + b): " + tr("no gates; gradients fade or blow up"),
        ]
        lines.append([Span(" " + tr("Conventions (PyTorch's, as computed here)"), bold)])
        lines += conventions.flatMap(helpParagraph)
        return lines

        /// A line of the help, indented; one too long for the window (a translation is often
        /// longer than the English) goes on over more lines, indented further.
        func helpParagraph(_ text: String) -> [[Span]] {
            guard 2 + text.displayWidth > width else { return [[Span("  " + text)]] }
            let indent = String(text.prefix { $0 == " " })
            return wrap(text, width: max(1, width - 4 - indent.count)).enumerated().map { index, line in
                [Span("  " + indent + (index == 0 ? "" : "  ") + line)]
            }
        }
    }

    func drawHelp(into buffer: inout Buffer) {
        let lines = helpLines(width: width)
        let room = max(0, height - 1)
        let first = min(helpScroll, max(0, lines.count - room))
        for (index, line) in lines.dropFirst(first).prefix(room).enumerated() {
            buffer.put(line, x: 0, y: index, width: width, ellipsis: glyphs.ellipsis)
        }
        var footer = [Span(" Esc", theme.keyStyle), Span(" " + tr("or") + " "), Span("?", theme.keyStyle),
                      Span(" " + tr("close") + "  "), Span("q", theme.keyStyle), Span(" " + tr("quit"))]
        if lines.count > room {
            footer += [Span("  "), Span(glyphs.unitKeys, theme.keyStyle),
                       Span(" " + tr("scroll ({1} of {2})", "\(first + 1)\(glyphs.rangeDash)\(min(lines.count, first + room))", lines.count))]
        }
        buffer.put(footer, x: 0, y: height - 1, width: width, ellipsis: glyphs.ellipsis)
    }
}
