import Foundation
import GateCore
import XCTest

/// The memory horizon against its formula, k½ = ln 0.5 / ln f, computed here with
/// Foundation's log, and the edges where the formula breaks down.
final class MemoryHorizonTests: XCTestCase {
    func testHalfLifeFollowsTheFormula() throws {
        for f: Float in [0.05, 0.33, 0.5, 0.88, 0.95, 0.999] {
            let expected = Foundation.log(0.5) / Foundation.log(Double(f))
            let halfLife = try XCTUnwrap(MemoryHorizon.halfLife(keep: f))
            XCTAssertEqual(halfLife, expected, accuracy: expected * 1e-12, "f = \(f)")
        }
        // The examples: f = 0.88 → 5.4 steps, f = 0.999 → 693 steps.
        XCTAssertEqual(try XCTUnwrap(MemoryHorizon.halfLife(keep: 0.88)), 5.42, accuracy: 0.01)
        XCTAssertEqual(try XCTUnwrap(MemoryHorizon.halfLife(keep: 0.999)).rounded(), 693)
        // Half of the state is left after exactly one half-life.
        XCTAssertEqual(Foundation.pow(0.7, try XCTUnwrap(MemoryHorizon.halfLife(keep: 0.7))), 0.5, accuracy: 1e-6)
    }

    func testEdges() {
        XCTAssertEqual(MemoryHorizon.halfLife(keep: 0), 0)
        XCTAssertEqual(MemoryHorizon.halfLife(keep: -0.1), 0)
        XCTAssertEqual(MemoryHorizon.halfLife(keep: 1), .infinity)
        XCTAssertEqual(MemoryHorizon.halfLife(keep: 1.5), .infinity)
        XCTAssertNil(MemoryHorizon.halfLife(keep: .nan))
    }

    func testRetainedOverASpan() {
        // "0.88²⁰ ≈ 0.08 vs 1.00".
        XCTAssertEqual(MemoryHorizon.retained(keep: 0.88, steps: 20), Foundation.pow(Double(Float(0.88)), 20), accuracy: 1e-12)
        XCTAssertEqual(MemoryHorizon.retained(keep: 0.88, steps: 20), 0.08, accuracy: 0.005)
        XCTAssertEqual(MemoryHorizon.retained(keep: 1, steps: 20), 1)
        XCTAssertEqual(MemoryHorizon.retained(keep: 0.5, steps: 0), 1)
        XCTAssertEqual(MemoryHorizon.retained(keep: 0, steps: 3), 0)
        XCTAssertTrue(MemoryHorizon.retained(keep: .nan, steps: 3).isNaN)
    }
}
