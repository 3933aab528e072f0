import GateView
import Testing
@testable import CursesTerminal

/// Colours: the xterm palette, its reduction to 8 colours, and the lazy pair cache.
@Suite("colours")
struct ColorTests {
    @Test("the xterm palette: cube and grey ramp by their formulas")
    func palette() {
        // 16 + 36r + 6g + b with levels 0, 95, 135, 175, 215, 255.
        #expect(XtermPalette.rgb(16) == .init(red: 0, green: 0, blue: 0))
        #expect(XtermPalette.rgb(196) == .init(red: 255, green: 0, blue: 0))  // 16 + 36·5
        #expect(XtermPalette.rgb(67) == .init(red: 95, green: 135, blue: 175))  // 16 + 36 + 12 + 3
        #expect(XtermPalette.rgb(231) == .init(red: 255, green: 255, blue: 255))
        #expect(XtermPalette.rgb(232) == .init(red: 8, green: 8, blue: 8))
        #expect(XtermPalette.rgb(255) == .init(red: 238, green: 238, blue: 238))
    }

    @Test("each basic colour maps to itself, each bright one to its basic colour")
    func basicColours() {
        for index in UInt8(0)..<8 { #expect(XtermPalette.nearestBasic(index) == Int16(index)) }
        // 9–14 bright red, green, yellow, blue, magenta, cyan; 15 white; 8 grey is lighter
        // than half way, so it reads as white rather than black.
        #expect((8...15).map { XtermPalette.nearestBasic($0) } == [7, 1, 2, 3, 4, 5, 6, 7])
    }

    @Test("cube colours map to the basic colour nearest in RGB")
    func cube() {
        #expect(XtermPalette.nearestBasic(196) == 1)  // (255, 0, 0) red
        #expect(XtermPalette.nearestBasic(46) == 2)  // (0, 255, 0) green
        #expect(XtermPalette.nearestBasic(21) == 4)  // (0, 0, 255) blue
        #expect(XtermPalette.nearestBasic(201) == 5)  // (255, 0, 255) magenta
        #expect(XtermPalette.nearestBasic(51) == 6)  // (0, 255, 255) cyan
        #expect(XtermPalette.nearestBasic(226) == 3)  // (255, 255, 0) yellow
        // Orange (255, 135, 0): to yellow (205, 205, 0) 50² + 70² = 7400,
        // to red (205, 0, 0) 50² + 135² = 20725.
        #expect(XtermPalette.nearestBasic(208) == 3)
        // Dark navy (0, 0, 95): to black 95² = 9025, to blue (0, 0, 238) 143² = 20449.
        #expect(XtermPalette.nearestBasic(17) == 0)
    }

    @Test("greys become black or white, never a hue")
    func greys() {
        #expect(XtermPalette.nearestBasic(232) == 0)  // 8
        #expect(XtermPalette.nearestBasic(241) == 0)  // 98: to black 3·98², to white 3·131²
        // 128: in plain RGB yellow (205, 205, 0) would be nearest (28242 < 30603 for white).
        #expect(XtermPalette.nearestBasic(244) == 7)
        #expect(XtermPalette.nearestBasic(255) == 7)
    }

    private struct Definition: Equatable {
        var pair: Int16, foreground: Int16, background: Int16
    }

    @Test("pairs are defined once, on first use, and numbered from 1")
    func lazyPairs() {
        var pairs = ColorPairs(depth: .full, pairCount: 256, defaultColors: true)
        var defined: [Definition] = []
        func pair(_ foreground: Color, _ background: Color) -> Int16 {
            pairs.pair(foreground: foreground, background: background) {
                defined.append(Definition(pair: $0, foreground: $1, background: $2))
            }
        }
        #expect(pair(.default, .default) == 0)
        #expect(defined.isEmpty)
        #expect(pair(.indexed(196), .default) == 1)
        #expect(pair(.indexed(21), .indexed(231)) == 2)
        #expect(pair(.indexed(196), .default) == 1)
        #expect(defined == [Definition(pair: 1, foreground: 196, background: -1),
                            Definition(pair: 2, foreground: 21, background: 231)])
    }

    @Test("8 colours: combinations that reduce to the same basic colours share one pair")
    func eightColourPairs() {
        var pairs = ColorPairs(depth: .eight, pairCount: 64, defaultColors: true)
        var defined: [Definition] = []
        func pair(_ foreground: Color) -> Int16 {
            pairs.pair(foreground: foreground, background: .default) {
                defined.append(Definition(pair: $0, foreground: $1, background: $2))
            }
        }
        #expect(pair(.indexed(196)) == 1)
        #expect(pair(.indexed(9)) == 1)  // bright red is red here
        #expect(pair(.indexed(1)) == 1)
        #expect(pair(.indexed(21)) == 2)
        #expect(defined == [Definition(pair: 1, foreground: 1, background: -1),
                            Definition(pair: 2, foreground: 4, background: -1)])
    }

    @Test("when the pairs run out, a new combination reuses the nearest defined pair")
    func exhaustedPairs() {
        // COLOR_PAIRS = 3: pairs 1 and 2 may be defined.
        var pairs = ColorPairs(depth: .full, pairCount: 3, defaultColors: true)
        var definitions = 0
        func pair(_ foreground: Color, _ background: Color) -> Int16 {
            pairs.pair(foreground: foreground, background: background) { _, _, _ in definitions += 1 }
        }
        #expect(pair(.indexed(196), .indexed(16)) == 1)  // red on black
        #expect(pair(.indexed(21), .indexed(231)) == 2)  // blue on white
        #expect(pair(.indexed(160), .indexed(232)) == 1)  // dark red on near-black
        #expect(pair(.indexed(27), .indexed(255)) == 2)  // light blue on near-white
        #expect(definitions == 2)
    }

    @Test("without default colours the default is white on black; without colour, pair 0")
    func fallbacks() {
        var pairs = ColorPairs(depth: .eight, pairCount: 64, defaultColors: false)
        var defined: [Definition] = []
        let number = pairs.pair(foreground: .default, background: .default) {
            defined.append(Definition(pair: $0, foreground: $1, background: $2))
        }
        #expect(number == 1 && defined == [Definition(pair: 1, foreground: 7, background: 0)])

        var mono = ColorPairs(depth: .none, pairCount: 64, defaultColors: true)
        var calls = 0
        #expect(mono.pair(foreground: .indexed(196), background: .indexed(21)) { _, _, _ in calls += 1 } == 0)
        #expect(calls == 0)
    }
}
