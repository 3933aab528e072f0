import Foundation
import XCTest

final class InspectCommandTests: XCTestCase {
    /// A reset-before GRU loads into nn.GRU without complaint, so inspect warns that
    /// PyTorch computes other numbers on it; a plain GRU gets no such note.
    func testAResetBeforeGRUSaysPyTorchHasNoSuchCell() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (cell, noted) in [("gru-reset-before", true), ("gru", false)] {
            let path = directory.appendingPathComponent("\(cell).safetensors").path
            let made = try Gatescope.run(["init", "--cell", cell, "--input-size", "2", "--hidden", "3", "-o", path])
            XCTAssertEqual(made.status, 0, made.stderr)
            let result = try Gatescope.run(["inspect", path])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stdout.contains("PyTorch has no such cell: nn.GRU applies r after W_hn h,"), noted, result.stdout)
            XCTAssertEqual(result.stdout.contains("so it gives other numbers on these weights"), noted, result.stdout)
        }
    }

    /// A file that holds no one model (a seq2seq encoder and decoder) is still listed, so
    /// that the student sees the modules to choose from; then the error says how to choose.
    func testAFileOfSeveralModulesIsListedBeforeTheError() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models/seq2seq.pt").path
        let result = try Gatescope.run(["inspect", path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stdout.contains("encoder.rnn.weight_ih_l0  F32    [18, 4]"), result.stdout)
        XCTAssertTrue(result.stdout.contains("decoder.out.weight        F32    [9, 6]"), result.stdout)
        XCTAssertTrue(result.stderr.hasPrefix("error: \(path): recurrent weights under several prefixes"), result.stderr)
        XCTAssertTrue(result.stderr.hasSuffix("choose one with --prefix NAME (here --prefix decoder or --prefix encoder)\n"), result.stderr)
    }
}
