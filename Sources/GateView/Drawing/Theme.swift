import GateCore

/// How values become colours, and the few styles the screen uses. Palettes are lists of
/// xterm-256 indices picked by hand: interpolating RGB and rounding to the 6×6×6 cube
/// gives runs of the same index, and a gradient must change at every step.
public struct Theme: Equatable, Sendable {
    public let name: String
    /// One line for `--theme` help.
    public let summary: String
    /// What the colours mean, for the help screen.
    let colourKey: String
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
    /// The gradient plot's curves: LSTM, GRU, RNN, told apart by hue (their letters tell
    /// them apart without colour).
    let cellColors: [UInt8]
    /// The status line's colour in 256-colour mode.
    let statusColor: UInt8

    init(name: String, summary: String, colourKey: String, sequential: [UInt8], diverging: [UInt8],
         emphasis: Bool, dimGrey: UInt8, cursorColor: UInt8, cellColors: [UInt8], statusColor: UInt8) {
        self.name = name
        self.summary = summary
        self.colourKey = colourKey
        self.sequential = sequential
        self.diverging = diverging
        self.emphasis = emphasis
        self.dimGrey = dimGrey
        self.cursorColor = cursorColor
        self.cellColors = cellColors
        self.statusColor = statusColor
    }

    /// For dark terminal backgrounds: a viridis-like ramp for gates (its darkest end lifted
    /// so that a low gate's bar stays visible), and for signed values blue and orange that
    /// brighten away from a dark grey zero; both read with the common colour-vision deficiencies.
    public static let standard = Theme(
        name: "standard", summary: "viridis-like gates, blue/orange signs, for dark backgrounds",
        colourKey: "gates purple (shut) to yellow (open); signs blue -, grey 0, orange +",
        sequential: [97, 98, 62, 68, 67, 31, 37, 36, 42, 78, 113, 149, 185, 184, 220, 226],
        diverging: [81, 75, 69, 33, 27, 26, 25, 24, 239, 94, 130, 166, 202, 208, 214, 215, 222],
        emphasis: false, dimGrey: 245, cursorColor: 255, cellColors: [214, 81, 170], statusColor: 221)

    /// For projectors, where colours wash out: saturated colours, bold text, reverse video.
    /// Every colour keeps at least 4.5:1 contrast on black (WCAG's ratio for text), so the
    /// ramps start at a light blue: pure blue on black is the first thing a projector loses.
    public static let highContrast = Theme(
        name: "high-contrast", summary: "saturated colours, bold text, for projectors",
        colourKey: "gates light blue (shut) to yellow (open); signs blue -, grey 0, red +",
        sequential: [33, 39, 45, 51, 50, 49, 48, 47, 46, 82, 118, 154, 190, 226],
        diverging: [33, 39, 75, 45, 81, 117, 153, 246, 222, 221, 220, 214, 208, 202, 196],
        emphasis: true, dimGrey: 250, cursorColor: 231, cellColors: [226, 51, 201], statusColor: 226)

    /// For light terminal backgrounds: ink that darkens as a gate opens and as a signed
    /// value leaves zero (blue for -, orange to dark red for +), each colour at least 3:1 on
    /// white; numbers stay in the terminal's own (dark) text colour.
    public static let light = Theme(
        name: "light", summary: "dark ink on light backgrounds",
        colourKey: "gates light blue (shut) to dark purple (open); signs blue -, grey 0, red +",
        sequential: [33, 32, 31, 30, 26, 25, 24, 23, 56, 55, 54, 53, 17, 16],
        diverging: [17, 18, 19, 20, 26, 27, 245, 166, 130, 160, 124, 88, 52],
        emphasis: false, dimGrey: 242, cursorColor: 16, cellColors: [130, 26, 127], statusColor: 130)

    public static let all: [Theme] = [.standard, .highContrast, .light]

    /// Looks a theme up by name ("standard", "high-contrast", "light"; "contrast" also works).
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

    /// The colour of a cell kind's curve in the gradient plot.
    func color(of kind: CellKind, depth: Capabilities.ColorDepth) -> Color {
        let index = switch kind {
        case .lstm: 0
        case .gru, .gruResetBefore: 1
        case .rnn: 2
        }
        switch depth {
        case .none: return .default
        // Yellow, cyan, magenta: the basic colours that read on dark and light backgrounds.
        case .eight: return .indexed([3, 6, 5][index])
        case .full: return .indexed(cellColors[index])
        }
    }

    /// Black or white, whichever reads on `background`: text on a coloured cell.
    func textColor(on background: Color, depth: Capabilities.ColorDepth) -> Color {
        guard case .indexed(let index) = background else { return .default }
        let light = Theme.luminance(index) > 0.45
        return depth == .full ? .indexed(light ? 16 : 231) : .indexed(light ? 0 : 7)
    }

    /// How light an xterm-256 colour is, 0 to 1: the basic 16 as xterm draws them, the
    /// 6×6×6 cube from its levels, the greys from theirs.
    static func luminance(_ index: UInt8) -> Double {
        let i = Int(index)
        switch i {
        case 0..<16:
            return [0, 0.2, 0.45, 0.6, 0.15, 0.3, 0.55, 0.85, 0.5, 0.4, 0.7, 0.9, 0.35, 0.5, 0.8, 1][i]
        case 16..<232:
            let levels = [0.0, 95, 135, 175, 215, 255]
            let (r, g, b) = (levels[(i - 16) / 36], levels[(i - 16) / 6 % 6], levels[(i - 16) % 6])
            return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
        default:
            return Double(8 + 10 * (i - 232)) / 255
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
        case .full: Style(foreground: .indexed(statusColor), bold: true)
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

extension Scale {
    /// The ends as the legends write them: "0" and "1", or "-1.3" and "+1.3".
    func labels(_ format: (Float) -> String = formatBound) -> (String, String) {
        switch self {
        case .unit: ("0", "1")
        case .symmetric(let bound): ("-" + format(bound), "+" + format(bound))
        }
    }

    /// Values from one end of the scale to the other, for a legend's ramp: five for a gate,
    /// nine for a signed value (four each side of 0).
    var samples: [Float] {
        switch self {
        case .unit: [0, 0.25, 0.5, 0.75, 1]
        case .symmetric(let bound): [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1].map { $0 * bound }
        }
    }
}
