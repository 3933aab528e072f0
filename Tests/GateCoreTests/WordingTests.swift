import GateCore
import XCTest

final class WordingTests: XCTestCase {
    func testCountsAgreeWithTheirNoun() {
        XCTAssertEqual(Wording.count(1, "layer"), "1 layer")
        XCTAssertEqual(Wording.count(2, "layer"), "2 layers")
        XCTAssertEqual(Wording.count(0, "step"), "0 steps")
        XCTAssertEqual(Wording.count(1, "matrix", "matrices"), "1 matrix")
        XCTAssertEqual(Wording.count(3, "matrix", "matrices"), "3 matrices")
    }

    func testADurationReadsAtAGlance() {
        XCTAssertEqual(Wording.duration(9.94), "9.9 s")
        XCTAssertEqual(Wording.duration(11), "0:11")
        XCTAssertEqual(Wording.duration(3725), "1:02:05")
        XCTAssertEqual(Wording.duration(.nan), "--:--")
    }

    /// compare's time column: "9.9 s" never stands above "0:11".
    func testDurationsInOneColumnShareOneFormat() {
        XCTAssertEqual(Wording.durations([9.9, 11.2, 4]), ["9.9 s", "11.2 s", "4.0 s"])
        XCTAssertEqual(Wording.durations([9.9, 125]), ["0:10", "2:05"])
        XCTAssertEqual(Wording.durations([]), [])
    }
}
