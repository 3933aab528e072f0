import Foundation
import GateCore
import XCTest

/// The README's opening frame is what its command prints, and what it says about that frame
/// is true of the demo's trace.
final class ReadmeTests: XCTestCase {
    private func readme() throws -> [String] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    func testTheOpeningFrameIsWhatItsCommandPrints() throws {
        let lines = try readme()
        let intro = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("What it opens on (`gatescope render") })
        let command = try XCTUnwrap(lines[intro].split(separator: "`").dropFirst().first).split(separator: " ").map(String.init)
        XCTAssertEqual(command.first, "gatescope")
        let open = try XCTUnwrap(lines[intro...].firstIndex(of: "```"))
        let close = try XCTUnwrap(lines[(open + 1)...].firstIndex(of: "```"))
        let frame = lines[(open + 1)..<close].joined(separator: "\n") + "\n"
        let result = try Gatescope.run(Array(command.dropFirst()))
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, frame)
    }

    /// "Unit 2 … 'a' writes c ≈ +1 at step 1, and from step 2 on its forget gate stays at 0.98
    /// or more (0.999 in this frame, at step 12) … answers 'a' with probability 1.00 here, and
    /// still does at '?' (step 22)."
    func testTheOpeningClaimAboutTheForgetGateHolds() throws {
        let text = try readme().joined(separator: " ")
        XCTAssertTrue(text.contains("from step 2 on its forget gate stays at 0.98 or more (0.999 in this frame, at step 12)"))
        let demo = try Demos.scenario(kind: .lstm, task: .delay)
        let trace = try demo.model.trace(demo.inputs)
        let unit = Demos.lstmDelayMemoryUnit
        XCTAssertEqual(demo.watchedUnit, unit)
        XCTAssertEqual(demo.inputs.count, 22)
        func f(_ t: Int) -> Float { trace.gate(.forget, t: t, layer: 0)[trace.gate(.forget, t: t, layer: 0).startIndex + unit] }
        func c(_ t: Int) -> Float { trace.cellState(t: t, layer: 0)[trace.cellState(t: t, layer: 0).startIndex + unit] }
        // Not "from the first step": at step 1 the gate is still below 0.98.
        XCTAssertLessThan((f(0) * 100).rounded(), 98)
        XCTAssertEqual(c(0), 1, accuracy: 0.05)
        // As the screen shows it, to two decimals.
        for t in 1..<22 { XCTAssertGreaterThanOrEqual((f(t) * 100).rounded(), 98, "step \(t + 1)") }
        XCTAssertEqual(String(format: "%.3f", f(11)), "0.999")
        for t in [11, 21] {
            guard case .classes(let top)? = demo.headOutput(trace, t: t) else { return XCTFail("no classes") }
            XCTAssertEqual(top.first?.name, "a")
            XCTAssertEqual(String(format: "%.2f", top.first?.probability ?? 0), "1.00")
        }
    }
}
