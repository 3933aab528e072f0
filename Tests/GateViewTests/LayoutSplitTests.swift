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
