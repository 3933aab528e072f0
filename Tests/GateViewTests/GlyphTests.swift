import XCTest
@testable import GateView

final class GlyphTests: XCTestCase {
    private func bar(_ value: Float, _ scale: Scale, width: Int, unicode: Bool = true) -> String {
        var buffer = Buffer(width: width, height: 1)
        Glyphs(unicode: unicode).drawBar(value, on: scale, into: &buffer, x: 0, y: 0, width: width, style: .plain)
        return String(buffer.cells.map(\.symbol))
    }

    func testGateBarsFillFromTheLeftInEighths() {
        XCTAssertEqual(bar(0, .unit, width: 4), "    ")
        XCTAssertEqual(bar(1, .unit, width: 4), "████")
        XCTAssertEqual(bar(0.5, .unit, width: 4), "██  ")
        XCTAssertEqual(bar(0.125 / 4 * 3, .unit, width: 4), "▍   ")  // 3 eighths of one cell
        XCTAssertEqual(bar(2, .unit, width: 3), "███")
        XCTAssertEqual(bar(-1, .unit, width: 3), "   ")
        XCTAssertEqual(bar(.nan, .unit, width: 3), "   ")
        XCTAssertEqual(bar(0.5, .unit, width: 4, unicode: false), "##  ")
        XCTAssertEqual(bar(0.625, .unit, width: 4, unicode: false), "##= ")
    }

    func testSignedBarsGrowFromTheCentreAndMirror() {
        XCTAssertEqual(bar(0.5, .symmetric(1), width: 8), "    ██  ")
        XCTAssertEqual(bar(-0.5, .symmetric(1), width: 8), "  ██    ")
        XCTAssertEqual(bar(0.625, .symmetric(1), width: 8), "    ██▌ ")
        XCTAssertEqual(bar(-0.625, .symmetric(1), width: 8), " ▐██    ")
        XCTAssertEqual(bar(0.05, .symmetric(1), width: 8), "    ▏   ")
        XCTAssertEqual(bar(-0.05, .symmetric(1), width: 8), "   ▕    ")
        XCTAssertEqual(bar(-5, .symmetric(2), width: 4), "██  ")
        XCTAssertEqual(bar(1, .symmetric(2), width: 4), "  █ ")
        XCTAssertEqual(bar(-0.625, .symmetric(1), width: 8, unicode: false), " =##    ")
    }

    func testShadesSayTheMagnitudeAndWithoutColourTheSign() {
        let g = Glyphs(unicode: true)
        XCTAssertEqual([0, 0.25, 0.5, 0.75, 1].map { g.shade($0, on: .unit, signInGlyph: false) },
                       ["·", "░", "▒", "▓", "█"])
        XCTAssertEqual(g.shade(-0.9, on: .symmetric(1), signInGlyph: false), "█")
        XCTAssertEqual(g.shade(-0.9, on: .symmetric(1), signInGlyph: true), "■")
        XCTAssertEqual(g.shade(-0.9, on: .unit, signInGlyph: true), "·")
        XCTAssertEqual(g.shade(.nan, on: .symmetric(1), signInGlyph: true), "·")
    }

    func testFixedFormatting() {
        XCTAssertEqual(formatFixed(0.125), "0.13")
        XCTAssertEqual(formatFixed(0.004), "0.00")
        XCTAssertEqual(formatFixed(-0.004, signed: true), "-0.00")
        XCTAssertEqual(formatFixed(0, signed: true), "+0.00")
        XCTAssertEqual(formatFixed(12.345, signed: true), "+12.35")
        XCTAssertEqual(formatFixed(1.96, decimals: 1), "2.0")
        XCTAssertEqual(formatFixed(7, decimals: 0), "7")
        XCTAssertEqual(formatFixed(.nan), "nan")
        XCTAssertEqual(formatFixed(-.infinity), "-inf")
        XCTAssertEqual(formatFixed(3e30, signed: true), "+huge")
        XCTAssertEqual(formatFixed(-0.05, decimals: 3, signed: true), "-0.050")
        XCTAssertEqual(formatFixed(999_999_999_999.0, decimals: 0), "999999995904")
    }

    /// The digits written into the string's storage read as the plain arithmetic writes them
    /// (whole part, then the fraction padded with zeros), over values of every size.
    func testFixedFormattingAgreesWithThePlainArithmetic() {
        func plain(_ value: Float, decimals: Int, signed: Bool) -> String {
            let sign = value < 0 ? "-" : (signed ? "+" : "")
            var unit = 1
            for _ in 0..<decimals { unit *= 10 }
            let scaled = Int((Double(value.magnitude) * Double(unit)).rounded())
            guard decimals > 0 else { return sign + String(scaled / unit) }
            let fraction = String(scaled % unit)
            return sign + String(scaled / unit) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        var value: Float = 1e-6
        while value < 1e11 {
            for v in [value, -value, value * 1.37, -value * 7.77, 0] {
                for decimals in 0...4 {
                    for signed in [false, true] {
                        XCTAssertEqual(formatFixed(v, decimals: decimals, signed: signed), plain(v, decimals: decimals, signed: signed),
                                       "\(v) \(decimals) \(signed)")
                    }
                }
            }
            value *= 3.1
        }
    }

    func testScaleBoundsOfUnboundedValues() {
        XCTAssertEqual(niceBound(0.4), 1)
        XCTAssertEqual(niceBound(1.87), 1.9)
        XCTAssertEqual(niceBound(12.3), 13)
        XCTAssertEqual(formatBound(1), "1")
        XCTAssertEqual(formatBound(1.9), "1.9")
    }

    func testPalettesHaveDistinctEndsAndEightColourSteps() {
        for theme in Theme.all {
            XCTAssertNotEqual(theme.color(0, on: .unit, depth: .full), theme.color(1, on: .unit, depth: .full))
            XCTAssertNotEqual(theme.color(-1, on: .symmetric(1), depth: .full),
                              theme.color(1, on: .symmetric(1), depth: .full))
            XCTAssertEqual(theme.color(0.7, on: .unit, depth: .none), .default)
        }
        let theme = Theme.standard
        XCTAssertEqual(theme.color(-0.9, on: .symmetric(1), depth: .eight), .indexed(4))
        XCTAssertEqual(theme.color(0.9, on: .symmetric(1), depth: .eight), .indexed(1))
        XCTAssertEqual(theme.color(0.01, on: .symmetric(1), depth: .eight), .default)
        XCTAssertEqual(Theme.named("HIGH-CONTRAST"), .highContrast)
        XCTAssertNil(Theme.named("neon"))
    }
}
