import Foundation
import XCTest

/// `gatescope bench` as a newcomer runs it: honest about a debug build, and never silent
/// for long.
final class BenchCommandTests: XCTestCase {
    private static let debugWarning = "warning: a debug build is much slower than a release build"

    /// Whether the binary under test is this test's own (debug) build.
    private var testsOwnDebugBuild: Bool {
        #if DEBUG
        return ProcessInfo.processInfo.environment["GATESCOPE_BINARY"] == nil
        #else
        return false
        #endif
    }

    /// A debug build says in one line that its figures are not representative; the figures
    /// themselves stay on stdout.
    func testADebugBuildWarnsThatItsFiguresAreNotRepresentative() throws {
        let result = try Gatescope.run(["bench", "--cell", "rnn", "--hidden", "8", "--steps", "20"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("cell"), result.stdout)
        // The kernels picked for this CPU are named under the figures.
        let kernels = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(["kernels: avx512", "kernels: avx2+fma", "kernels: portable"].contains(kernels), result.stdout)
        let lines = result.stderr.split(separator: "\n")
        if testsOwnDebugBuild {
            XCTAssertEqual(lines.count, 1, result.stderr)
            XCTAssertTrue(result.stderr.hasPrefix(Self.debugWarning), result.stderr)
        } else {
            XCTAssertTrue(lines.allSatisfy { $0.hasPrefix(Self.debugWarning) }, result.stderr)
        }
    }

    /// --frames says what it is measuring as it goes (on stderr), and --json gives JSON.
    func testFramesShowsProgressAndHonoursJSON() throws {
        let result = try Gatescope.run(["bench", "--frames", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let progress = result.stderr.split(separator: "\n").filter { $0.hasPrefix("measuring ") }
        XCTAssertEqual(progress.count, 7, result.stderr)
        XCTAssertTrue(progress.first?.hasPrefix("measuring 1/7: frames at 80×24") ?? false, result.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let frames = try XCTUnwrap(json["frames"] as? [[String: Any]])
        XCTAssertEqual(frames.count, 6)
        for frame in frames {
            let total = try XCTUnwrap(frame["total_us"] as? [String: Any])
            XCTAssertGreaterThan(try XCTUnwrap(total["median"] as? Double), 0)
        }
        let launch = try XCTUnwrap(json["launch_ms"] as? [String: Any])
        XCTAssertEqual(launch["runs"] as? Int, 10)
    }
}
