/// Every non-ASCII symbol the screen draws, with its ASCII stand-in, so that a frame for
/// an ASCII terminal is ASCII by construction.
struct Glyphs: Sendable {
    let unicode: Bool

    var selected: String { unicode ? "▸" : ">" }
    var timeMarker: Character { unicode ? "▲" : "^" }
    var separator: String { unicode ? " · " : " | " }
    var rangeDash: String { unicode ? "–" : "-" }
    var ellipsis: Character { unicode ? "…" : "~" }
    var playing: String { unicode ? "▶" : ">" }
    var times: String { unicode ? "·" : "*" }
    var hadamard: String { unicode ? "⊙" : "*" }
    var sigma: String { unicode ? "σ" : "sig" }
    var plusMinus: String { unicode ? "±" : "+/-" }
    var moreLeft: Character { unicode ? "◂" : "<" }
    var moreRight: Character { unicode ? "▸" : ">" }
    var stepKeys: String { unicode ? "←→" : "h l" }
    var unitKeys: String { unicode ? "↑↓" : "j k" }
    var arrow: String { unicode ? "→" : "->" }

    /// "c₋₁" or "c_prev": the state entering this step.
    func previous(_ symbol: String) -> String { symbol + (unicode ? "₋₁" : "_prev") }

    /// "hₜ" or "h[t]": a quantity at any step t.
    func atStep(_ symbol: String) -> String { symbol + (unicode ? "ₜ" : "[t]") }

    var approximately: String { unicode ? "≈" : "~" }

    /// "²⁴" or "^24": a power.
    func superscript(_ number: Int) -> String {
        guard unicode else { return "^\(number)" }
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        return (number < 0 ? "⁻" : "") + String(String(number.magnitude).compactMap { $0.wholeNumberValue.map { digits[$0] } })
    }

    /// "x₇" or "x[7]".
    func subscripted(_ symbol: String, _ number: Int) -> String {
        guard unicode else { return "\(symbol)[\(number)]" }
        let digits: [Character] = ["₀", "₁", "₂", "₃", "₄", "₅", "₆", "₇", "₈", "₉"]
        return symbol + String(String(number).compactMap { $0.wholeNumberValue.map { digits[$0] } })
    }

    // MARK: Bars

    /// Left-anchored partial cells by eighths (index 1…7).
    private static let leftEighths: [Character] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    /// Draws a value as a bar of `width` cells at (x, y): from the left edge on a 0…1 scale,
    /// from the centre (left for negative, right for positive) on a symmetric scale.
    func drawBar(_ value: Float, on scale: Scale, into buffer: inout Buffer,
                 x: Int, y: Int, width: Int, style: Style) {
        guard width > 0, !value.isNaN else { return }
        let full: Character = unicode ? "█" : "#"
        switch scale {
        case .unit:
            let eighths = Int((scale.fraction(value) * Float(width * 8)).rounded())
            buffer.fill(x: x, y: y, width: eighths / 8, height: 1, with: Cell(full, style: style))
            let rest = eighths % 8
            if rest > 0 {
                let partial: Character = unicode ? Glyphs.leftEighths[rest] : (rest >= 4 ? "=" : "-")
                buffer[x + eighths / 8, y] = Cell(partial, style: style)
            }
        case .symmetric:
            // Unicode has right-anchored glyphs only for 1/8 and 1/2 of a cell, so both
            // directions are drawn in half cells and the bars of +v and −v match exactly.
            let half = width / 2
            let fraction = scale.fraction(value)
            let magnitude = abs(fraction) * Float(half)
            let halves = Int((magnitude * 2).rounded())
            let positive = fraction > 0
            let centre = x + half
            func put(_ offset: Int, _ cell: Cell) {
                let column = positive ? centre + offset : centre - 1 - offset
                buffer[column, y] = cell
            }
            // The whole cells from the centre outwards, at once.
            buffer.fill(x: positive ? centre : centre - halves / 2, y: y, width: halves / 2, height: 1,
                        with: Cell(full, style: style))
            if halves % 2 == 1 {
                put(halves / 2, Cell(unicode ? (positive ? "▌" : "▐") : "=", style: style))
            } else if halves == 0, magnitude * 8 >= 1 {
                // A sliver, so that a small non-zero value still shows its sign.
                put(0, Cell(unicode ? (positive ? "▏" : "▕") : "-", style: style))
            }
        }
    }

    // MARK: Heatmap shades

    private static let shades: [Character] = ["·", "░", "▒", "▓", "█"]
    private static let negativeShades: [Character] = ["·", "-", "=", "≡", "■"]
    private static let asciiShades: [Character] = [".", ":", "+", "*", "#"]
    private static let asciiNegativeShades: [Character] = [".", ",", "-", "=", "%"]

    /// One heatmap cell: the shade says the magnitude. Without colour, negative values take
    /// their own glyph family (dashes), since nothing else would tell their sign.
    func shade(_ value: Float, on scale: Scale, signInGlyph: Bool) -> Character {
        let fraction = scale.fraction(value)
        let index = level(abs(fraction), count: 5)
        if signInGlyph, fraction < 0, case .symmetric = scale {
            return unicode ? Glyphs.negativeShades[index] : Glyphs.asciiNegativeShades[index]
        }
        return unicode ? Glyphs.shades[index] : Glyphs.asciiShades[index]
    }
}

/// `value` with `decimals` digits after the point, rounded half away from zero, with a
/// leading "+" for non-negative values when `signed`. Written by hand because the frame is
/// redrawn many times a second and Foundation's formatter is slow; never traps on NaN,
/// infinities or huge values.
func formatFixed(_ value: Float, decimals: Int = 2, signed: Bool = false) -> String {
    if value.isNaN { return "nan" }
    let negative = value < 0
    let sign = negative ? "-" : (signed ? "+" : "")
    if value.isInfinite { return sign + "inf" }
    let magnitude = Double(value.magnitude)
    guard magnitude < 1e12 else { return sign + "huge" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = Int((magnitude * scale).rounded())
    // The digits are written straight into the string's storage, from the last: the
    // fraction's, the point, then the whole part's (at least "0"); the sign goes first.
    let capacity = 24 + decimals
    return String(unsafeUninitializedCapacity: capacity) { text in
        var start = capacity, rest = scaled, written = 0
        repeat {
            if written == decimals, decimals > 0 {
                start -= 1
                text[start] = UInt8(ascii: ".")
            }
            start -= 1
            text[start] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
            written += 1
        } while rest > 0 || written <= decimals
        for byte in sign.utf8.reversed() {
            start -= 1
            text[start] = byte
        }
        // Moved to the front: lower places are written before the higher ones are read.
        for index in start..<capacity { text[index - start] = text[index] }
        return capacity - start
    }
}
