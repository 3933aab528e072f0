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
        let tab = scenario.makeVariant != nil ? "LSTM \(g.arrow) GRU \(g.arrow) RNN" : "no other kind here"
        // r where a layer has a reverse pass; it takes the place of ?, which the help's own
        // footer names, so that the help still fits 80×24.
        let last = trace.stack.contains(where: \.isBidirectional) ? ("r", "forward/reverse pass") : ("?", "this help")
        // In lesson mode the arrows and n move between beats (LessonApp).
        let keys: [(String, String)] = (lesson?.helpKeys ?? []) + [
            lesson == nil ? (g.unicode ? "←→ h l" : "h l left right", "step") : ("h l", "step"),
            ("g G", "first / last step"),
            ("space", "play / pause"),
            ("+ -", "speed"),
            (g.unicode ? "↑↓ k j" : "k j up down", "select unit"),
            ("PgUp PgDn", "page of units"),
            ("Tab", tab),
            ("[ ]", "layer"),
            (lesson == nil ? "n t" : "# t", "numbers/text colour"),
            ("d", "gradients / heatmaps"),
            ("v", "equations/diagram/none"),
            ("p u U", "poke / undo / clear"),
            last,
            ("q Esc ^C", "quit"),
            ("click", "select unit / step"),
        ]
        let columns = max(1, min(3, (width - 2) / 26))
        let rows = (keys.count + columns - 1) / columns
        // No blank line under the title: at 80×24 the whole help fits on one screen.
        var lines: [[Span]] = [[Span(" gatescope: keys and how to read the screen", bold)]]
        lines.append([Span(" Keys", bold)])
        for row in 0..<rows {
            var spans: [Span] = []
            for column in 0..<columns {
                let index = column * rows + row
                guard index < keys.count else { continue }
                let (names, action) = keys[index]
                let entry = "  " + names + " " + action
                spans.append(Span("  "))
                spans.append(Span(names, key))
                spans.append(Span(" " + action + String(repeating: " ", count: max(0, 26 - entry.displayWidth))))
            }
            lines.append(spans)
        }

        let shades = [Float(0), 0.25, 0.5, 0.75, 1].map { g.shade($0, on: .unit, signInGlyph: false) }
        let negative = [Float(0.25), 0.5, 0.75, 1].map { g.shade(-$0, on: .symmetric(1), signInGlyph: true) }
        var reading = [
            "Each table row is one unit at this step; read it across.",
            "Gates (\(g.sigma), 0 to 1): bars fill from the left. tanh values (g, n, h):",
            "  -1 to +1, bars grow from the centre, left negative, right positive.",
            "c is unbounded: its bars use \(g.plusMinus)max|c| of the sequence, given in its title.",
            "Heatmaps: a row per unit, a column per step, \(g.timeMarker) under the current step;",
            "  \(String(shades)) low to high; without colour \(String(negative)) mark negative values.",
            "Gradient flow (d): L2 norm of \(g.unicode ? "∂" : "d")h_T/\(g.unicode ? "∂" : "d")h_t per step, log scale; * curves meet.",
        ]
        if capabilities.colors != .none {
            reading.append("Colours: " + theme.colourKey + ".")
        }
        lines.append([Span(" Reading the screen", bold)])
        lines += reading.map { [Span("  " + $0)] }

        let conventions = [
            "LSTM  c = f\(dot)\(cPrev) + i\(dot)g,  h = o\(dot)tanh(c)   (PyTorch blocks i, f, g, o)",
            "      Ng's notation: \(g.unicode ? "Γu = i, Γf = f, Γo = o, c~ (c tilde) = g, a = h" : "G_u = i, G_f = f, G_o = o, c~ (c tilde) = g, a = h")",
            "GRU   h = (1-z)\(dot)n + z\(dot)\(hPrev): z near 1 KEEPS the old h; Ng's \(g.unicode ? "Γu" : "G_u") is 1-z.",
            "      reset after (PyTorch, cuDNN):  n = tanh(W x + b_in + r\(dot)(U \(hPrev) + b_hn))",
            "      reset before (Cho 2014):       n = tanh(W x + b_in + U(r\(dot)\(hPrev)) + b_hn)",
            "      Keras: reset_after=True (its default) is the first, False the second.",
            "RNN   h = tanh(W x + U \(hPrev) + b): no gates; gradients fade or blow up",
        ]
        lines.append([Span(" Conventions (PyTorch's, as computed here)", bold)])
        lines += conventions.map { [Span("  " + $0)] }
        return lines
    }

    func drawHelp(into buffer: inout Buffer) {
        let lines = helpLines(width: width)
        let room = max(0, height - 1)
        let first = min(helpScroll, max(0, lines.count - room))
        for (index, line) in lines.dropFirst(first).prefix(room).enumerated() {
            buffer.put(line, x: 0, y: index, width: width, ellipsis: glyphs.ellipsis)
        }
        var footer = [Span(" Esc", theme.keyStyle), Span(" or "), Span("?", theme.keyStyle), Span(" close  "),
                      Span("q", theme.keyStyle), Span(" quit")]
        if lines.count > room {
            footer += [Span("  "), Span(glyphs.unitKeys, theme.keyStyle),
                       Span(" scroll (\(first + 1)\(glyphs.rangeDash)\(min(lines.count, first + room)) of \(lines.count))")]
        }
        buffer.put(footer, x: 0, y: height - 1, width: width, ellipsis: glyphs.ellipsis)
    }
}
