import Foundation
import XCTest
@testable import GateView

/// Palette choices checked by WCAG contrast on the background each theme is for, with the
/// xterm colours computed here from their formula (cube levels 0, 95, 135, …, 255).
final class ThemeTests: XCTestCase {
    private static func rgb(_ index: UInt8) -> (Double, Double, Double) {
        let levels: [Double] = [0, 95, 135, 175, 215, 255]
        let i = Int(index)
        precondition(i >= 16, "the themes use only the cube and the grey ramp")
        if i >= 232 {
            let grey = Double(8 + 10 * (i - 232))
            return (grey, grey, grey)
        }
        return (levels[(i - 16) / 36], levels[(i - 16) / 6 % 6], levels[(i - 16) % 6])
    }

    private static func luminance(_ index: UInt8) -> Double {
        func channel(_ v: Double) -> Double {
            let s = v / 255
            return s <= 0.03928 ? s / 12.92 : Foundation.pow((s + 0.055) / 1.055, 2.4)
        }
        let (r, g, b) = rgb(index)
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }

    private static func contrast(_ index: UInt8, onLuminance background: Double) -> Double {
        let l = luminance(index)
        return (max(l, background) + 0.05) / (min(l, background) + 0.05)
    }

    private func colours(_ theme: Theme) -> [UInt8] {
        theme.sequential + theme.diverging + theme.cellColors + [theme.cursorColor, theme.statusColor]
    }

    func testHighContrastReadsOnBlackWithoutPureBlue() {
        let theme = Theme.highContrast
        for index in colours(theme) {
            XCTAssertGreaterThanOrEqual(Self.contrast(index, onLuminance: 0), 4.5, "colour \(index)")
            let (r, g, _) = Self.rgb(index)
            XCTAssertFalse(r == 0 && g == 0, "colour \(index) is pure blue")
        }
    }

    func testLightThemeReadsOnWhite() {
        let theme = Theme.light
        for index in colours(theme) {
            XCTAssertGreaterThanOrEqual(Self.contrast(index, onLuminance: 1), 3, "colour \(index)")
        }
        XCTAssertGreaterThanOrEqual(Self.contrast(theme.statusColor, onLuminance: 1), 4.5)
        XCTAssertGreaterThanOrEqual(Self.contrast(theme.cursorColor, onLuminance: 1), 4.5)
        // More ink as a gate opens, and as a signed value leaves zero on either side.
        let gates = theme.sequential.map(Self.luminance)
        XCTAssertEqual(gates, gates.sorted(by: >))
        let middle = theme.diverging.count / 2
        let negative = theme.diverging[...middle].map(Self.luminance)
        let positive = theme.diverging[middle...].map(Self.luminance)
        XCTAssertEqual(negative, negative.sorted())
        XCTAssertEqual(positive, positive.sorted(by: >))
    }

    func testEveryDivergingPaletteIsCentredOnAGrey() {
        for theme in Theme.all {
            XCTAssertEqual(theme.diverging.count % 2, 1, theme.name)
            let (r, g, b) = Self.rgb(theme.diverging[theme.diverging.count / 2])
            XCTAssertTrue(r == g && g == b, theme.name)
        }
    }

    func testThemesByName() {
        XCTAssertEqual(Theme.named("light"), .light)
        XCTAssertEqual(Theme.named("Light"), .light)
        XCTAssertEqual(Set(Theme.all.map(\.name)).count, Theme.all.count)
    }
}
