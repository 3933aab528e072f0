import Foundation
import XCTest

/// `gatescope compare` with its defaults shows what docs/training.md promises.
final class CompareCommandTests: XCTestCase {
    /// The delay task's defaults separate the cells: the LSTM and the GRU reach the target,
    /// the plain RNN does not; and the time column keeps one format.
    func testDelayDefaultsShowThePlainRNNFailingWhereTheGatedCellsSucceed() throws {
        let result = try Gatescope.run(["compare", "--task", "delay"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("task delay, delay 20:") }, result.stdout)
        XCTAssertTrue(lines.contains { $0.contains("1 layer,") }, result.stdout)
        func row(_ cell: String) throws -> String { try XCTUnwrap(lines.first { $0.hasPrefix(cell + " ") }, result.stdout) }
        let (lstm, gru, rnn) = (try row("LSTM"), try row("GRU"), try row("RNN"))
        XCTAssertTrue(lstm.contains("at update"), lstm)
        XCTAssertTrue(gru.contains("at update"), gru)
        XCTAssertTrue(rnn.contains("not reached"), rnn)
        // The time column: every entry "9.9 s", or every entry "m:ss".
        let inSeconds = try ["LSTM", "GRU", "RNN"].map { try row($0).contains(" s  ") }
        XCTAssertEqual(Set(inSeconds).count, 1, result.stdout)
    }
}
