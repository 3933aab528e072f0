import Foundation
import XCTest

/// `gatescope` with no subcommand is `gatescope show`. Here it has no terminal (stdin is
/// /dev/null, stdout a file); .ci/e2e-tmux.sh runs it in one.
final class ShowCommandTests: XCTestCase {
    func testWithoutATerminalItSaysWhatToUseInstead() throws {
        for arguments in [[], ["show"], ["--cell", "gru", "--hidden", "2"], ["--theme", "high-contrast", "--no-color"]] {
            let result = try Gatescope.run(arguments)
            XCTAssertEqual(result.status, 1, "\(arguments)")
            XCTAssertEqual(result.stdout, "", "\(arguments)")
            XCTAssertEqual(result.stderr, "error: the visualizer needs a terminal, but standard input is not one; "
                + "use `gatescope trace` for the numbers or `gatescope render` for a frame as text\n", "\(arguments)")
        }
    }

    /// Bad options are reported before the terminal is looked at.
    func testBadOptionsComeFirst() throws {
        let cases: [(arguments: [String], message: String)] = [
            (["--cell", "lstmm"], "error: unknown cell \"lstmm\", expected one of lstm, gru, gru-reset-before, rnn"),
            (["--hidden", "0"], "error: --hidden must be at least 1, got 0"),
            (["--theme", "pastel"], "error: --theme pastel: expected one of standard, high-contrast"),
            (["show", "--input", "/nonexistent/steps.csv"], "error: /nonexistent/steps.csv"),
        ]
        for (arguments, message) in cases {
            let result = try Gatescope.run(arguments)
            XCTAssertEqual(result.status, 1, "\(arguments)")
            XCTAssertTrue(result.stderr.hasPrefix(message), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, "\(arguments): one line")
        }
    }

    /// --record: a file that cannot be written is refused before anything else; a session
    /// that cannot start leaves no file, not even a temporary one.
    func testRecordingLeavesNothingWhenTheSessionCannotStart() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("record-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("no/such/demo.cast").path
        let refused = try Gatescope.run(["--record", missing, "--input", "/nonexistent/steps.csv"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.hasPrefix("error: \(missing): cannot write: directory"), refused.stderr)

        let target = directory.appendingPathComponent("demo.cast").path
        let noTerminal = try Gatescope.run(["show", "--record", target])
        XCTAssertEqual(noTerminal.status, 1)
        XCTAssertTrue(noTerminal.stderr.hasPrefix("error: the visualizer needs a terminal"), noTerminal.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }
}
