/// How values become colours, and the few styles the screen uses. A theme describes its
/// palettes as RGB stops; they are turned into xterm-256 indices once, when it is built.
public struct Theme: Equatable, Sendable {
    public let name: String
    /// One line for `--theme` help.
    public let summary: String
    /// Gate activations in 0…1, dark to light.
    let sequential: [UInt8]
    /// Signed values from −scale to +scale; the middle entry is zero.
    let diverging: [UInt8]
    /// Projector mode: bold numbers and labels, reverse-video selection.
    let emphasis: Bool
    /// Secondary text (scales, unit indices) in 256-colour mode.
    let dimGrey: UInt8
    /// The line through the current time column in a 256-colour heatmap.
    let cursorColor: UInt8

    init(name: String, summary: String, sequential: [RGB], diverging: [RGB], emphasis: Bool,
         dimGrey: UInt8, cursorColor: UInt8) {
        self.name = name
        self.summary = summary
        self.sequential = interpolate(sequential, levels: 16).map(xtermIndex)
        self.diverging = interpolate(diverging, levels: 17).map(xtermIndex)
        self.emphasis = emphasis
        self.dimGrey = dimGrey
        self.cursorColor = cursorColor
    }

    /// For dark terminal backgrounds: viridis for gates (its darkest end lifted so that a
    /// low gate's bar stays visible), blue–grey–orange for signed values; both readable with
    /// the common colour-vision deficiencies.
    public static let standard = Theme(
        name: "standard", summary: "viridis gates, blue/orange signs, for dark backgrounds",
        sequential: [RGB(120, 80, 170), RGB(70, 110, 180), RGB(33, 145, 140), RGB(94, 201, 98), RGB(253, 231, 37)],
        diverging: [RGB(60, 150, 255), RGB(45, 100, 200), RGB(72, 72, 72), RGB(200, 100, 40), RGB(255, 160, 50)],
        emphasis: false, dimGrey: 245, cursorColor: 255)

    /// For projectors, where colours wash out: saturated colours, bold text, reverse video.
    public static let highContrast = Theme(
        name: "high-contrast", summary: "saturated colours, bold text, for projectors",
        sequential: [RGB(0, 0, 255), RGB(0, 175, 255), RGB(0, 255, 0), RGB(255, 255, 0)],
        diverging: [RGB(0, 95, 255), RGB(0, 215, 255), RGB(160, 160, 160), RGB(255, 175, 0), RGB(255, 0, 0)],
        emphasis: true, dimGrey: 250, cursorColor: 231)

    public static let all: [Theme] = [.standard, .highContrast]

    /// Looks a theme up by name ("standard", "high-contrast"; "contrast" also works).
    public static func named(_ name: String) -> Theme? {
        let key = name.lowercased()
        if key == "contrast" || key == "projector" { return .highContrast }
        return all.first { $0.name == key }
    }

    // MARK: Value colours

    /// The colour of a value on its scale, or `.default` when the terminal has no colour.
    func color(_ value: Float, on scale: Scale, depth: Capabilities.ColorDepth) -> Color {
        switch depth {
        case .none:
            return .default
        case .eight:
            return eightColor(value, on: scale)
        case .full:
            switch scale {
            case .unit:
                return .indexed(sequential[level(scale.fraction(value), count: sequential.count)])
            case .symmetric:
                let signed = (scale.fraction(value) + 1) / 2
                return .indexed(diverging[level(signed, count: diverging.count)])
            }
        }
    }

    /// Eight colours cannot make a gradient, so each scale gets a few steps that still read
    /// in order: blue, cyan, green, yellow for 0…1; blue, cyan, plain, yellow, red for signs.
    private func eightColor(_ value: Float, on scale: Scale) -> Color {
        let fraction = scale.fraction(value)
        switch scale {
        case .unit:
            let steps: [UInt8] = [4, 6, 2, 3]
            return .indexed(steps[level(fraction, count: steps.count)])
        case .symmetric:
            if abs(fraction) < 0.15 { return .default }
            if fraction < 0 { return .indexed(fraction < -0.5 ? 4 : 6) }
            return .indexed(fraction > 0.5 ? 1 : 3)
        }
    }

    // MARK: Text styles

    /// The title bar: reverse video reads on any background and any colour depth.
    var headerStyle: Style { Style(bold: true, reverse: true) }
    var titleStyle: Style { Style(bold: true) }
    var selectedLabelStyle: Style { Style(bold: true, reverse: true) }
    var keyStyle: Style { Style(bold: true, reverse: emphasis) }

    /// Secondary text: grey where there is colour, plain otherwise (never invisible).
    func dimStyle(_ depth: Capabilities.ColorDepth) -> Style {
        depth == .full && !emphasis ? Style(foreground: .indexed(dimGrey)) : .plain
    }

    func numberStyle(selected: Bool) -> Style { Style(bold: emphasis || selected) }

    func statusStyle(_ depth: Capabilities.ColorDepth) -> Style {
        switch depth {
        case .none: Style(bold: true)
        case .eight: Style(foreground: .indexed(3), bold: true)
        case .full: Style(foreground: .indexed(emphasis ? 226 : 221), bold: true)
        }
    }

    /// The line through the current time column of a heatmap.
    var cursorStyle: Style { Style(foreground: .indexed(cursorColor), bold: true) }
}

/// The scale a quantity is drawn on.
enum Scale: Equatable, Sendable {
    /// Sigmoid gates: 0 to 1, bars anchored at 0.
    case unit
    /// Signed values: −bound to +bound, bars grow from the centre.
    case symmetric(Float)

    /// The value as a fraction of the scale: 0…1 for `.unit`, −1…1 for `.symmetric`,
    /// clamped, and 0 for NaN so that a broken value draws nothing rather than trapping.
    func fraction(_ value: Float) -> Float {
        guard !value.isNaN else { return 0 }
        switch self {
        case .unit:
            return min(max(value, 0), 1)
        case .symmetric(let bound):
            return min(max(value / bound, -1), 1)
        }
    }
}

/// A fraction in 0…1 to one of `count` levels; never out of range.
func level(_ fraction: Float, count: Int) -> Int {
    let clamped = min(max(fraction.isNaN ? 0 : fraction, 0), 1)
    return min(count - 1, Int((clamped * Float(count - 1)).rounded()))
}

struct RGB: Equatable, Sendable {
    var r, g, b: Double
    init(_ r: Double, _ g: Double, _ b: Double) { self.r = r; self.g = g; self.b = b }
}

/// `levels` colours evenly spaced along the piecewise-linear path through `stops`.
private func interpolate(_ stops: [RGB], levels: Int) -> [RGB] {
    guard stops.count > 1 else { return Array(repeating: stops.first ?? RGB(0, 0, 0), count: levels) }
    return (0..<levels).map { index in
        let position = Double(index) / Double(levels - 1) * Double(stops.count - 1)
        let segment = min(Int(position), stops.count - 2)
        let w = position - Double(segment)
        let a = stops[segment], b = stops[segment + 1]
        return RGB(a.r + (b.r - a.r) * w, a.g + (b.g - a.g) * w, a.b + (b.b - a.b) * w)
    }
}

/// The nearest xterm-256 colour: either the 6×6×6 cube (16–231) or the grey ramp (232–255).
private func xtermIndex(_ c: RGB) -> UInt8 {
    let cubeLevels: [Double] = [0, 95, 135, 175, 215, 255]
    func nearestCube(_ v: Double) -> Int {
        cubeLevels.indices.min { abs(cubeLevels[$0] - v) < abs(cubeLevels[$1] - v) } ?? 0
    }
    func distance(_ a: RGB, _ b: RGB) -> Double {
        (a.r - b.r) * (a.r - b.r) + (a.g - b.g) * (a.g - b.g) + (a.b - b.b) * (a.b - b.b)
    }
    let (ri, gi, bi) = (nearestCube(c.r), nearestCube(c.g), nearestCube(c.b))
    let cube = RGB(cubeLevels[ri], cubeLevels[gi], cubeLevels[bi])
    let grey = min(23, max(0, Int(((c.r + c.g + c.b) / 3 - 8) / 10 + 0.5)))
    let greyValue = Double(8 + 10 * grey)
    if distance(c, RGB(greyValue, greyValue, greyValue)) < distance(c, cube) {
        return UInt8(232 + grey)
    }
    return UInt8(16 + 36 * ri + 6 * gi + bi)
}
