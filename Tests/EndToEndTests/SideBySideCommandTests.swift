import Foundation
import GateCore
import XCTest

/// `render --side-by-side` and `render --heatmap-diff`: the s and D keys from the command line.
final class SideBySideCommandTests: XCTestCase {
    private var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures")
    }

    /// The demo's three trained kinds at step 12, each column printing its own trace's values.
    func testRenderSideBySideOfTheDemo() throws {
        let result = try Gatescope.run(["render", "--side-by-side", "--step", "12", "--width", "160", "--height", "50"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[2].contains("LSTM (trained) · memory unit 2") && lines[2].contains("GRU (trained) · memory unit 0")
                      && lines[2].contains("RNN (trained)"), result.stdout)
        // The memory units' keep gates at step 12 (t = 11), from the traces.
        let lstm = try Demos.scenario(kind: .lstm, task: .delay).trace()
        let gru = try Demos.scenario(kind: .gru, task: .delay).trace()
        let f = Array(lstm.gate(.forget, t: 11, layer: 0))[Demos.lstmDelayMemoryUnit]
        let z = Array(gru.gate(.update, t: 11, layer: 0))[Demos.gruDelayMemoryUnit]
        let keep = try XCTUnwrap(lines.first { $0.hasPrefix("keep") })
        XCTAssertTrue(keep.contains(String(format: "%.2f", f)) && keep.contains(String(format: "%.2f", z)), keep)
    }

    /// The README's side-by-side rows are what its command prints.
    func testTheReadmeExcerptIsWhatItsCommandPrints() throws {
        let readme = try String(contentsOf: fixtures.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md"), encoding: .utf8).components(separatedBy: "\n")
        let intro = try XCTUnwrap(readme.firstIndex { $0.hasPrefix("--width 100 --height 30` prints this") })
        let open = try XCTUnwrap(readme[intro...].firstIndex(of: "```"))
        let close = try XCTUnwrap(readme[(open + 1)...].firstIndex(of: "```"))
        let result = try Gatescope.run(["render", "--side-by-side", "--step", "12", "--width", "100", "--height", "30"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let frame = result.stdout.components(separatedBy: "\n")
        XCTAssertEqual(Array(readme[(open + 1)..<close]), Array(frame[2..<(2 + close - open - 1)]))
    }

    /// A file's own kind beside random-weight twins of the others, named as such.
    func testRenderSideBySideOfAFileSaysWhichKindsAreRandom() throws {
        let model = fixtures.appendingPathComponent("reference/gru_reset_before_nobias.safetensors").path
        let result = try Gatescope.run(["render", "--side-by-side", "--model", model, "--width", "120", "--height", "14"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("LSTM (random weights)") && result.stdout.contains("RNN (random weights)"),
                      result.stdout)
    }

    /// --heatmap-diff draws the heatmaps as Δ after a poke, and needs one.
    func testRenderHeatmapDiff() throws {
        let result = try Gatescope.run(["render", "--clamp", "forget:2=0@2-", "--heatmap-diff", "--step", "12"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Δ f from unpoked  -1 ") && result.stdout.contains("Δ c from unpoked  -10 "),
                      result.stdout)
        let unpoked = try Gatescope.run(["render", "--heatmap-diff"])
        XCTAssertNotEqual(unpoked.status, 0)
        XCTAssertEqual(unpoked.stdout, "")
        XCTAssertEqual(unpoked.stderr, "error: --heatmap-diff shows the difference from the unpoked run: add a poke (--clamp, --nudge or --set-input)\n")
        let alone = try Gatescope.run(["render", "--side-by-side", "--model",
                                       fixtures.appendingPathComponent("models/head_classifier.safetensors").path])
        XCTAssertNotEqual(alone.status, 0)
        XCTAssertTrue(alone.stderr.hasPrefix("error: --side-by-side: head_classifier.safetensors has no other cell kind"), alone.stderr)
    }
}
