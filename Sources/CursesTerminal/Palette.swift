import GateView

/// The xterm 256-colour palette as RGB, the reference for mapping a view colour to what an
/// 8-colour terminal has. Indices 0–15 are xterm's default basic and bright colours,
/// 16–231 a 6×6×6 cube, 232–255 a grey ramp.
enum XtermPalette {
    struct RGB: Equatable {
        var red: Int, green: Int, blue: Int

        func squaredDistance(to other: RGB) -> Int {
            let dr = red - other.red, dg = green - other.green, db = blue - other.blue
            return dr * dr + dg * dg + db * db
        }
    }

    private static let system: [RGB] = [
        RGB(red: 0, green: 0, blue: 0), RGB(red: 205, green: 0, blue: 0),
        RGB(red: 0, green: 205, blue: 0), RGB(red: 205, green: 205, blue: 0),
        RGB(red: 0, green: 0, blue: 238), RGB(red: 205, green: 0, blue: 205),
        RGB(red: 0, green: 205, blue: 205), RGB(red: 229, green: 229, blue: 229),
        RGB(red: 127, green: 127, blue: 127), RGB(red: 255, green: 0, blue: 0),
        RGB(red: 0, green: 255, blue: 0), RGB(red: 255, green: 255, blue: 0),
        RGB(red: 92, green: 92, blue: 255), RGB(red: 255, green: 0, blue: 255),
        RGB(red: 0, green: 255, blue: 255), RGB(red: 255, green: 255, blue: 255),
    ]
    private static let cubeLevels = [0, 95, 135, 175, 215, 255]

    static func rgb(_ index: UInt8) -> RGB {
        let i = Int(index)
        switch i {
        case 0..<16:
            return system[i]
        case 16..<232:
            let n = i - 16
            return RGB(red: cubeLevels[n / 36], green: cubeLevels[n / 6 % 6], blue: cubeLevels[n % 6])
        default:
            let level = 8 + 10 * (i - 232)
            return RGB(red: level, green: level, blue: level)
        }
    }

    /// The basic colour (0–7) closest to `index` in RGB: what an 8-colour terminal shows.
    /// A grey only considers black and white, so a grey ramp never turns yellow midway.
    static func nearestBasic(_ index: UInt8) -> Int16 {
        let target = rgb(index)
        let isGrey = target.red == target.green && target.green == target.blue
        var best: Int16 = 0
        var bestDistance = Int.max
        for basic in isGrey ? [0, 7] : Array(UInt8(0)..<8) {
            let distance = target.squaredDistance(to: rgb(basic))
            if distance < bestDistance {
                best = Int16(basic)
                bestDistance = distance
            }
        }
        return best
    }
}

/// Colour pairs handed out on first use. curses draws a cell with a numbered pair of
/// colours, and a terminal has a limited number of pairs, so the pairs a frame needs are
/// defined lazily, cached by (foreground, background), and when none are left a new
/// combination shares the closest pair already defined.
struct ColorPairs {
    /// A terminal colour number as curses takes it: -1 is the terminal's own default.
    typealias TerminalColor = Int16
    struct Combination: Hashable {
        var foreground: TerminalColor
        var background: TerminalColor
    }

    let depth: Capabilities.ColorDepth
    /// The highest pair number that may be defined (pair 0 is fixed to the defaults).
    let highestPair: Int
    /// Whether the terminal accepted use_default_colors, so -1 means its own colours.
    let defaultColors: Bool
    /// The view's colours as asked; several may land on one terminal combination.
    private struct Requested: Hashable {
        var foreground: Color
        var background: Color
    }
    private var pairsByRequest: [Requested: Int16] = [:]
    private var pairsByCombination: [Combination: Int16] = [:]
    private var defined: [(combination: Combination, pair: Int16)] = []

    init(depth: Capabilities.ColorDepth, pairCount: Int, defaultColors: Bool) {
        self.depth = depth
        // init_pair takes a short; pair 0 is reserved.
        highestPair = max(0, min(pairCount - 1, Int(Int16.max)))
        self.defaultColors = defaultColors
    }

    /// The terminal colour that shows `color`, given the depth.
    func terminalColor(_ color: Color, isForeground: Bool) -> TerminalColor {
        switch color {
        case .default:
            if defaultColors { return -1 }
            return isForeground ? 7 : 0
        case .indexed(let index):
            return depth == .full ? TerminalColor(index) : XtermPalette.nearestBasic(index)
        }
    }

    /// The pair to draw `foreground` on `background` with. `define(pair, fg, bg)` is called
    /// once for each pair that must be set up (curses' init_pair).
    mutating func pair(foreground: Color, background: Color,
                       define: (Int16, TerminalColor, TerminalColor) -> Void) -> Int16 {
        guard depth != .none else { return 0 }
        let requested = Requested(foreground: foreground, background: background)
        if let pair = pairsByRequest[requested] { return pair }
        let combination = Combination(foreground: terminalColor(foreground, isForeground: true),
                                      background: terminalColor(background, isForeground: false))
        let pair: Int16
        if let known = pairsByCombination[combination] {
            pair = known
        } else if defaultColors && combination == Combination(foreground: -1, background: -1) {
            pair = 0
        } else if defined.count < highestPair {
            pair = Int16(defined.count + 1)
            define(pair, combination.foreground, combination.background)
            defined.append((combination, pair))
        } else {
            pair = nearestDefined(to: combination)
        }
        pairsByCombination[combination] = pair
        pairsByRequest[requested] = pair
        return pair
    }

    private func nearestDefined(to combination: Combination) -> Int16 {
        var best: Int16 = 0
        var bestDistance = Int.max
        for (candidate, pair) in defined {
            let distance = Self.rgb(candidate.foreground, isForeground: true)
                .squaredDistance(to: Self.rgb(combination.foreground, isForeground: true))
                + Self.rgb(candidate.background, isForeground: false)
                .squaredDistance(to: Self.rgb(combination.background, isForeground: false))
            if distance < bestDistance {
                best = pair
                bestDistance = distance
            }
        }
        return best
    }

    /// The colour a terminal colour number most likely shows; the terminal's own default is
    /// assumed to be light text on a black background, as most terminals start.
    private static func rgb(_ color: TerminalColor, isForeground: Bool) -> XtermPalette.RGB {
        guard color >= 0, color <= 255 else { return XtermPalette.rgb(isForeground ? 7 : 0) }
        return XtermPalette.rgb(UInt8(color))
    }
}
