import GateCore

/// The selected unit's cell at one step drawn as a circuit, after Olah's LSTM diagrams:
/// the state flows left to right along the top, the gates sit in boxes fed by h₋₁ and x
/// from below, and every wire carries its value from the trace. The LSTM's memory path
/// (c₋₁ → ×f → + → c) and the GRU's (h₋₁ → ×z → + → h) are drawn thick where Unicode allows,
/// so that a student sees the state pass one multiplication and one addition per step.
struct CellDiagram: Widget {
    /// The numbers on the wires, read from the trace for one unit at one step.
    struct Values {
        /// The memory a step starts from (c₋₁, or h₋₁ for GRU and RNN) and h₋₁.
        var previousState: Float = 0
        var previousHidden: Float = 0
        /// Activations by gate (σ for gates, tanh for the candidate).
        var gates: [Gate: Float] = [:]
        /// The LSTM's new c; the RNN's tanh input a; the GRU candidate's recurrent part
        /// (U h₋₁ + b_hn after the reset, U(r⊙h₋₁) + b_hn before it) and the input's part.
        var cellState: Float = 0
        var preactivation: Float = 0
        var recurrentPart: Float = 0
        var inputPart: Float = 0
        /// h, or o ⊙ tanh(c) on a projected LSTM layer, whose h is `projection`'s.
        var hidden: Float = 0
        /// A projected LSTM layer's h = W_hr (o ⊙ tanh c): h's value at the unit's index (NaN
        /// past its P units), that index, how many units o ⊙ tanh(c) has, and P.
        var projection: (hidden: Float, unit: Int, from: Int, size: Int)?
    }

    let cell: CellKind
    let values: Values
    let glyphs: Glyphs
    /// The words on the wires in the screen's language.
    let catalogue: Catalogue
    /// "unit 1 at step 7": the panel's first line.
    let title: String
    /// "x₇ = 'c'": what enters from below with h₋₁.
    let inputLabel: String
    let titleStyle: Style

    /// The left labels ("c₋₁ +1.85") end before this column, where the wires start, unless
    /// a label is longer (ASCII's "c_prev", a large c): then the drawing moves right.
    private static let wireStart = 10
    private var shift: Int { max(0, leftLabels.map(\.displayWidth).max().map { $0 + 1 - Self.wireStart } ?? 0) }
    private var leftLabels: [String] {
        switch cell {
        case .lstm: [stateLabel(glyphs.previous("c"), values.previousState), previousHiddenLabel]
        case .gru, .gruResetBefore: [stateLabel(glyphs.previous("h"), values.previousHidden)]
        case .rnn: [stateLabel(glyphs.previous("h"), values.previousHidden), inputLabel]
        }
    }

    /// Rows of the drawing itself, title and memory line excluded.
    private var drawingRows: Int {
        switch cell {
        // A projected h takes a line under the drawing.
        case .lstm: values.projection == nil ? 11 : 12
        case .gru, .gruResetBefore: 13
        case .rnn: 7
        }
    }

    var preferredSize: Size { Size(width: 60 + shift, height: drawingRows + 1) }
    /// The wires, boxes and the values of c and h whole; only a long input label is cut.
    var minimumSize: Size { Size(width: 58 + shift, height: drawingRows + 1) }

    func draw(in rect: Rect, into buffer: inout Buffer) {
        var pen = Pen(rect: rect, shift: shift, unicode: glyphs.unicode)
        pen.text(title, x: -shift, y: 0, style: titleStyle)
        switch cell {
        case .lstm: drawLSTM(&pen)
        case .gru, .gruResetBefore: drawGRU(&pen, resetAfter: cell == .gru)
        case .rnn: drawRNN(&pen)
        }
        pen.draw(into: &buffer)
    }

    /// "h₋₁ +0.42", the unit's own previous output; a projected layer's h₋₁ has P values,
    /// not one per unit, and every gate reads all of them through U.
    private var previousHiddenLabel: String {
        guard let projection = values.projection else { return stateLabel(glyphs.previous("h"), values.previousHidden) }
        return glyphs.previous("h") + " " + catalogue.tr("({1} values)", projection.size)
    }

    private func stateLabel(_ name: String, _ value: Float) -> String { "\(name) \(formatFixed(value, signed: true))" }
    private func gate(_ gate: Gate) -> Float { values.gates[gate] ?? .nan }
    private func gateLabel(_ g: Gate) -> String { "\(g.symbol(in: cell)) \(formatFixed(gate(g)))" }
    private func signedLabel(_ name: String, _ value: Float) -> String { "\(name) \(formatFixed(value, signed: true))" }

    /// c₋₁ ━▶(×)━▶(+)━┰━▶ c, f from below into ×, i·g into +, c through tanh and ×o to h.
    private func drawLSTM(_ pen: inout Pen) {
        let (fX, plusX, cX) = (15, 29, 44)
        let (iX, gX) = (24, 35)
        let g = glyphs
        pen.text(stateLabel(g.previous("c"), values.previousState), x: -shift, y: 1)
        pen.memoryLine(from: 10, to: plusX - 2, nodes: [fX: .times], y: 1)
        pen.node(.plus, x: plusX, y: 1)
        pen.horizontal(from: plusX + 2, to: 48, y: 1, thick: true)
        pen.put(.teeDown, x: cX, y: 1)
        pen.put(.arrowRight, x: 49, y: 1)
        pen.text(signedLabel("c", values.cellState), x: 51, y: 1)
        // f rises from its box into the multiplication on the memory path.
        pen.wireUp(x: fX, from: 7, to: 2)
        pen.text(gateLabel(.forget), x: fX + 2, y: 2)
        // i and g meet in a multiplication whose product rises into the addition.
        pen.put(.arrowUp, x: plusX, y: 2)
        pen.text(signedLabel("i\(g.times)g", gate(.input) * gate(.candidate)), x: plusX + 2, y: 2)
        pen.join(left: iX, right: gX, node: plusX, y: 3, bottom: 7)
        pen.text(gateLabel(.input), x: iX + 2, y: 4)
        pen.text(signedLabel(Gate.candidate.symbol(in: cell), gate(.candidate)), x: gX + 2, y: 5)
        // c goes down through tanh into the output gate's multiplication, which gives h.
        pen.vertical(x: cX, from: 2, to: 2, thick: false)
        pen.text("tanh", x: cX - 2, y: 3)
        pen.text(formatFixed(tanhStable(values.cellState), signed: true), x: cX + 3, y: 3)
        pen.vertical(x: cX, from: 4, to: 5, thick: false)
        pen.node(.times, x: cX, y: 6)
        pen.horizontal(from: cX + 2, to: 48, y: 6, thick: false)
        pen.put(.arrowRight, x: 49, y: 6)
        if let projection = values.projection {
            // The product is not h yet: W_hr maps all units' products to the shorter h.
            let product = "o\(g.hadamard)tanh c"
            pen.text(product, x: 47, y: 5)
            pen.text(formatFixed(values.hidden, signed: true), x: 51, y: 6)
            let h = projection.hidden.isNaN ? catalogue.tr("none for this unit")
                : "\(g.subscripted("h", projection.unit)) = \(formatFixed(projection.hidden, signed: true))"
            pen.text("h = W_hr (" + catalogue.tr("{1} of all {2} units", product, projection.from) + "): \(h)", x: -shift, y: 12)
        } else {
            pen.text(signedLabel("h", values.hidden), x: 51, y: 6)
        }
        pen.put(.arrowUp, x: cX, y: 7)
        pen.text(gateLabel(.output), x: cX + 2, y: 7)
        // The gates' boxes, fed by h₋₁ and x along the bus.
        let boxes: [(Int, String)] = [(fX, g.sigma + " f"), (iX, g.sigma + " i"), (gX, "tanh g"), (cX, g.sigma + " o")]
        for (x, label) in boxes { pen.box(centre: x, y: 8, label: label) }
        pen.text(previousHiddenLabel, x: -shift, y: 11)
        pen.bus(from: 10, taps: boxes.map(\.0), y: 11)
        pen.text(inputLabel, x: cX + 3, y: 11)
    }

    /// h₋₁ ━▶(×z)━▶(+)━▶ h, with (1 − z)·n into the +, n = tanh of the input's part and the
    /// reset recurrent part: r scales U h₋₁ + b_hn after the product (PyTorch), or h₋₁
    /// before it (Cho 2014), and the drawing puts the × and the U in that order.
    private func drawGRU(_ pen: inout Pen, resetAfter: Bool) {
        let (zX, rX, plusX) = (15, 23, 29)
        let g = glyphs
        let hPrev = g.previous("h")
        let z = gate(.update), n = gate(.candidate)
        pen.text(stateLabel(hPrev, values.previousHidden), x: -shift, y: 1)
        pen.memoryLine(from: 10, to: plusX - 2, nodes: [zX: .times], y: 1)
        pen.node(.plus, x: plusX, y: 1)
        pen.horizontal(from: plusX + 2, to: 48, y: 1, thick: true)
        pen.put(.arrowRight, x: 49, y: 1)
        pen.text(signedLabel("h", values.hidden), x: 51, y: 1)
        pen.wireUp(x: zX, from: 9, to: 2)
        pen.text(gateLabel(.update), x: zX + 2, y: 2)
        // 1 − z branches off z and scales the candidate before the addition.
        pen.put(.arrowUp, x: plusX, y: 2)
        pen.text(signedLabel("(1-z)\(g.times)n", (1 - z) * n), x: plusX + 2, y: 2)
        pen.put(.teeRight, x: zX, y: 3)
        pen.horizontal(from: zX + 1, to: plusX - 2, y: 3, thick: false)
        pen.text(" 1-z \(formatFixed(1 - z)) ", x: zX + 2, y: 3)
        pen.put(.arrowRight, x: plusX - 2, y: 3)
        pen.node(.times, x: plusX, y: 3)
        pen.put(.arrowUp, x: plusX, y: 4)
        pen.text(signedLabel("n", n), x: plusX + 2, y: 4)
        pen.text("tanh", x: plusX - 2, y: 5)
        pen.put(.arrowLeft, x: plusX + 3, y: 5)
        pen.horizontal(from: plusX + 4, to: plusX + 5, y: 5, thick: false)
        pen.text(signedLabel("W x+b_in", values.inputPart), x: plusX + 7, y: 5)
        pen.put(.arrowUp, x: plusX, y: 6)
        // The reset's × and the product U, in the order the form applies them.
        let (resetY, productY) = resetAfter ? (7, 9) : (9, 7)
        pen.node(.times, x: plusX, y: resetY)
        pen.put(.arrowUp, x: plusX, y: 8)
        pen.vertical(x: plusX, from: 10, to: 12, thick: false)
        // The product node is U itself, followed by what it multiplies.
        if resetAfter {
            pen.text(signedLabel("r\(g.times)(U \(hPrev)+b_hn)", gate(.reset) * values.recurrentPart), x: plusX + 3, y: 7)
            pen.text(signedLabel("U \(hPrev)+b_hn", values.recurrentPart), x: plusX + 2, y: 8)
            pen.text("U \(hPrev)", x: plusX, y: productY)
        } else {
            pen.text(signedLabel("U(r\(g.hadamard)\(hPrev))+b_hn", values.recurrentPart), x: plusX, y: productY)
            pen.text(catalogue.tr("{1}: all units", "r\(g.hadamard)\(hPrev)"), x: plusX + 2, y: 8)
        }
        // r rises from its box and turns right into the reset's ×.
        pen.wireUp(x: rX, from: 9, to: resetY + 1, arrow: false)
        pen.put(.cornerDownRight, x: rX, y: resetY)
        pen.horizontal(from: rX + 1, to: plusX - 3, y: resetY, thick: false)
        pen.put(.arrowRight, x: plusX - 2, y: resetY)
        pen.text(gateLabel(.reset), x: rX - 7, y: resetY)
        let boxes: [(Int, String)] = [(zX, g.sigma + " z"), (rX, g.sigma + " r")]
        for (x, label) in boxes { pen.box(centre: x, y: 10, label: label) }
        pen.text(stateLabel(hPrev, values.previousHidden), x: -shift, y: 13)
        pen.bus(from: 10, taps: boxes.map(\.0) + [plusX], y: 13)
        pen.text(inputLabel, x: plusX + 3, y: 13)
    }

    /// h₋₁ through U and x through W meet with b at +, then tanh gives h: no gate decides
    /// what is kept.
    private func drawRNN(_ pen: inout Pen) {
        let plusX = 22
        pen.text(stateLabel(glyphs.previous("h"), values.previousHidden), x: -shift, y: 1)
        pen.horizontal(from: 10, to: 13, y: 1, thick: false)
        pen.put(.arrowRight, x: 14, y: 1)
        pen.text("U", x: 16, y: 1)
        pen.horizontal(from: 18, to: plusX - 1, y: 1, thick: false)
        pen.put(.cornerLeftDown, x: plusX, y: 1)
        pen.put(.arrowDown, x: plusX, y: 2)
        pen.text(inputLabel, x: -shift, y: 3)
        pen.horizontal(from: 10, to: 13, y: 3, thick: false)
        pen.put(.arrowRight, x: 14, y: 3)
        pen.text("W", x: 16, y: 3)
        pen.horizontal(from: 18, to: plusX - 3, y: 3, thick: false)
        pen.put(.arrowRight, x: plusX - 2, y: 3)
        pen.node(.plus, x: plusX, y: 3)
        pen.put(.arrowLeft, x: plusX + 2, y: 3)
        pen.horizontal(from: plusX + 3, to: plusX + 4, y: 3, thick: false)
        pen.text("b", x: plusX + 6, y: 3)
        pen.vertical(x: plusX, from: 4, to: 4, thick: false)
        pen.text(signedLabel("a", values.preactivation), x: plusX + 2, y: 4)
        pen.text("tanh", x: plusX - 2, y: 5)
        let h = values.hidden
        pen.text("dh/da = 1-h\(glyphs.unicode ? "²" : "^2") = \(formatFixed(1 - h * h))", x: plusX + 3, y: 5)
        pen.put(.cornerUpRight, x: plusX, y: 6)
        pen.horizontal(from: plusX + 1, to: plusX + 8, y: 6, thick: false)
        pen.put(.arrowRight, x: plusX + 9, y: 6)
        pen.text(signedLabel("h", h), x: plusX + 11, y: 6)
    }
}

/// Draws a diagram on a grid of its own, in drawing coordinates (x from the wires' start
/// column, y from the panel's top), and copies what falls inside the panel's rectangle.
/// Labels are written after wires, so a long number covers a wire rather than the reverse.
struct Pen {
    enum Piece {
        case arrowRight, arrowLeft, arrowUp, arrowDown
        case teeDown, teeUp, teeRight, cornerDownRight, cornerLeftDown, cornerUpRight, cornerUpLeft
    }
    enum Node { case times, plus }

    let rect: Rect
    let shift: Int
    let unicode: Bool
    private var cells: [Int: (Character, Style)] = [:]

    init(rect: Rect, shift: Int, unicode: Bool) {
        self.rect = rect
        self.shift = shift
        self.unicode = unicode
    }

    private mutating func set(_ character: Character, x: Int, y: Int, style: Style = .plain) {
        let column = x + shift
        guard column >= 0, column < rect.width, y >= 0, y < rect.height else { return }
        cells[y * rect.width + column] = (character, style)
    }

    func draw(into buffer: inout Buffer) {
        for (index, (character, style)) in cells {
            buffer[rect.x + index % rect.width, rect.y + index / rect.width] = Cell(character, style: style)
        }
    }

    /// Writes `text` from column x by display width: a wide character (a CJK input label, a
    /// translated word) takes its column and the next, where no wire may then show through.
    mutating func text(_ text: String, x: Int, y: Int, style: Style = .plain) {
        var column = x
        for character in text {
            let columns = DisplayWidth.columns(of: character)
            guard columns > 0 else { continue }
            // Half of it would fall outside the panel: a space keeps the columns.
            let cut = columns == 2 && column + shift + 1 >= rect.width
            set(cut ? " " : character, x: column, y: y, style: style)
            if columns == 2, !cut, column + shift >= 0 { cells[y * rect.width + column + shift + 1] = nil }
            column += columns
        }
    }

    mutating func put(_ piece: Piece, x: Int, y: Int) {
        let (fancy, plain): (Character, Character) = switch piece {
        case .arrowRight: ("▶", ">")
        case .arrowLeft: ("◀", "<")
        case .arrowUp: ("▲", "^")
        case .arrowDown: ("▼", "v")
        // A light wire leaving the heavy memory path.
        case .teeDown: ("┰", "+")
        case .teeUp: ("┴", "+")
        case .teeRight: ("├", "+")
        case .cornerDownRight: ("┌", "+")
        case .cornerLeftDown: ("┐", "+")
        case .cornerUpRight: ("└", "+")
        case .cornerUpLeft: ("┘", "+")
        }
        set(unicode ? fancy : plain, x: x, y: y)
    }

    /// "(×)" or "(+)" centred on x.
    mutating func node(_ node: Node, x: Int, y: Int) {
        text(node == .times ? (unicode ? "(×)" : "(x)") : "(+)", x: x - 1, y: y)
    }

    mutating func horizontal(from x0: Int, to x1: Int, y: Int, thick: Bool) {
        guard x0 <= x1 else { return }
        for x in x0...x1 { set(unicode ? (thick ? "━" : "─") : (thick ? "=" : "-"), x: x, y: y) }
    }

    mutating func vertical(x: Int, from y0: Int, to y1: Int, thick: Bool) {
        guard y0 <= y1 else { return }
        for y in y0...y1 { set(unicode ? (thick ? "┃" : "│") : "|", x: x, y: y) }
    }

    /// The thick memory wire from x0 to x1 with ▶(×) nodes on it, ending in an arrow at x1.
    mutating func memoryLine(from x0: Int, to x1: Int, nodes: [Int: Node], y: Int) {
        var x = x0
        for nodeX in nodes.keys.sorted() {
            horizontal(from: x, to: nodeX - 3, y: y, thick: true)
            put(.arrowRight, x: nodeX - 2, y: y)
            node(nodes[nodeX] ?? .times, x: nodeX, y: y)
            x = nodeX + 2
        }
        horizontal(from: x, to: x1 - 1, y: y, thick: true)
        put(.arrowRight, x: x1, y: y)
    }

    /// A wire rising from `bottom` to `top`, with an arrowhead at the top unless asked not to.
    mutating func wireUp(x: Int, from bottom: Int, to top: Int, arrow: Bool = true) {
        vertical(x: x, from: arrow ? top + 1 : top, to: bottom, thick: false)
        if arrow { put(.arrowUp, x: x, y: top) }
    }

    /// Two wires rising at `left` and `right` that turn into a (×) at `node` on row y.
    mutating func join(left: Int, right: Int, node x: Int, y: Int, bottom: Int) {
        put(.cornerDownRight, x: left, y: y)
        horizontal(from: left + 1, to: x - 3, y: y, thick: false)
        put(.arrowRight, x: x - 2, y: y)
        node(.times, x: x, y: y)
        put(.arrowLeft, x: x + 2, y: y)
        horizontal(from: x + 3, to: right - 1, y: y, thick: false)
        put(.cornerLeftDown, x: right, y: y)
        vertical(x: left, from: y + 1, to: bottom, thick: false)
        vertical(x: right, from: y + 1, to: bottom, thick: false)
    }

    /// A gate's box, 8 wide, three rows from y: its output leaves the top at `centre`, its
    /// input enters the bottom there.
    mutating func box(centre: Int, y: Int, label: String) {
        let x0 = centre - 4, x1 = centre + 3
        let (h, v): (Character, Character) = unicode ? ("─", "│") : ("-", "|")
        for x in x0...x1 {
            let edge = x == x0 || x == x1
            set(edge ? (unicode ? (x == x0 ? "┌" : "┐") : "+") : h, x: x, y: y)
            set(edge ? (unicode ? (x == x0 ? "└" : "┘") : "+") : h, x: x, y: y + 2)
        }
        set(v, x: x0, y: y + 1)
        set(v, x: x1, y: y + 1)
        let inner = x1 - x0 - 1
        let padded = String(repeating: " ", count: max(0, (inner - label.count + 1) / 2)) + label
        text(String(padded.prefix(inner)), x: x0 + 1, y: y + 1)
        put(.teeUp, x: centre, y: y)
        put(.arrowUp, x: centre, y: y + 2)
    }

    /// The input bus under the boxes: h₋₁ and x enter every box from below.
    mutating func bus(from x0: Int, taps: [Int], y: Int) {
        guard let last = taps.max() else { return }
        horizontal(from: x0, to: last, y: y, thick: false)
        for x in taps where x != last { put(.teeUp, x: x, y: y) }
        put(.cornerUpLeft, x: last, y: y)
    }
}
