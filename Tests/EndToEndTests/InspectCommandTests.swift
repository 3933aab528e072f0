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
}
