import XCTest
@testable import GateView

/// The splitter: sizes by constraint, never overlapping, never outside the rectangle.
final class LayoutSplitTests: XCTestCase {
    private let row = Rect(x: 5, y: 2, width: 100, height: 10)

    func testFixedAndFillShareTheWidthWithSpacing() {
        let parts = Split(direction: .horizontal, constraints: [.fill(1), .fixed(44)], spacing: 2).areas(row)
        XCTAssertEqual(parts, [Rect(x: 5, y: 2, width: 54, height: 10), Rect(x: 61, y: 2, width: 44, height: 10)])
    }

    func testFillsTakeTheRestByWeight() {
        let parts = Split(direction: .horizontal, constraints: [.fixed(10), .fill(1), .fill(3)]).areas(row)
        XCTAssertEqual(parts.map(\.width), [10, 23, 67])
        XCTAssertEqual(parts.map(\.x), [5, 15, 38])
    }

    func testRatioIsOfTheWholeLength() {
        let parts = Split(direction: .vertical, constraints: [.ratio(1, 2), .fill(1)])
            .areas(Rect(x: 0, y: 0, width: 8, height: 31))
        XCTAssertEqual(parts.map(\.height), [15, 16])
        XCTAssertEqual(parts.map(\.y), [0, 15])
    }

    func testMinimumsGrowWhenNothingFills() {
        let parts = Split(direction: .horizontal, constraints: [.minimum(20), .fixed(30), .minimum(10)]).areas(row)
        XCTAssertEqual(parts.map(\.width), [40, 30, 30])
    }

    func testTooShortShrinksTheLastPartsFirst() {
        let parts = Split(direction: .horizontal, constraints: [.fixed(60), .fixed(60), .fixed(5)], spacing: 2)
            .areas(row)
        XCTAssertEqual(parts.map(\.width), [60, 36, 0])
        for part in parts {
            XCTAssertGreaterThanOrEqual(part.x, row.x)
            XCTAssertLessThanOrEqual(part.x + part.width, row.x + row.width)
        }
        XCTAssertLessThanOrEqual(parts[0].x + parts[0].width, parts[1].x)
    }

    func testEmptyAndNegativeInputsGiveEmptyParts() {
        XCTAssertEqual(Split(direction: .horizontal, constraints: []).areas(row), [])
        let parts = Split(direction: .horizontal, constraints: [.fixed(-3), .ratio(1, 0), .fill(0)])
            .areas(Rect(x: 0, y: 0, width: 0, height: 1))
        XCTAssertEqual(parts.map(\.width), [0, 0, 0])
    }
}

/// The whole screen at any size: a large window is filled, not left blank.
final class LargeScreenTests: XCTestCase {
    /// Rows between the input line and the footer with nothing on them.
    private func blankBodyRows(_ app: GateScopeApp) -> Int {
        let rows = app.frame().plainText.split(separator: "\n", omittingEmptySubsequences: false)
        return rows[2..<(app.height - 1)].filter { $0.allSatisfy { $0 == " " } }.count
    }

    func testAt220x60FewBodyRowsAreBlankAndHeatmapsAreWider() throws {
        let large = try Fixture.app(width: 220, height: 60)
        let projector = try Fixture.app(width: 100, height: 30)
        // Before the heatmaps grew with the window, 28 of the 57 body rows were blank; now
        // only the gaps between panels and a few rows under the last are.
        XCTAssertLessThanOrEqual(blankBodyRows(large), 8)
        let wide = try XCTUnwrap(large.layout().panels.first), narrow = try XCTUnwrap(projector.layout().panels.first)
        XCTAssertGreaterThan(wide.width, 2 * narrow.width)
        XCTAssertGreaterThan(wide.cellWidth, narrow.cellWidth)
        // Every quantity still has its heatmap, none outside the screen.
        XCTAssertEqual(large.layout().panels.count, 6)
        for panel in large.layout().panels {
            XCTAssertLessThanOrEqual(panel.x + panel.width, 220)
            XCTAssertLessThan(panel.axisY, 59)
        }
    }

    func testTheGradientPlotOnALargeScreenKeepsTheHeatmapsUnderIt() throws {
        var app = try Fixture.app(width: 220, height: 60)
        try app.press("d")
        let layout = app.layout()
        let gradient = try XCTUnwrap(layout.gradient)
        XCTAssertGreaterThan(gradient.cellWidth, 3)
        XCTAssertFalse(layout.panels.isEmpty)
        XCTAssertTrue(layout.panels.allSatisfy { $0.y > gradient.axisY })
        // A click on a heatmap under the plot still selects its unit and step.
        let panel = layout.panels[0]
        _ = app.update(.click(x: panel.timeX + 3 * panel.cellWidth, y: panel.firstRowY + 2))
        XCTAssertEqual(app.step, 3)
        XCTAssertEqual(app.unit, panel.units.lowerBound + 2)
    }
}
