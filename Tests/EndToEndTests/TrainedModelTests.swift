import Foundation
import XCTest

/// A model that `gatescope train` wrote opens, given no input, on a sequence of its own
/// task, read from the task its file records.
final class TrainedModelTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-trained-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func train(_ arguments: [String]) throws -> String {
        let path = scratch.appendingPathComponent("\(arguments[1]).safetensors").path
        let result = try Gatescope.run(["train"] + arguments + ["--hidden", "4", "--steps", "2", "--batch", "2", "-o", path])
        XCTAssertEqual(result.status, 0, result.stderr)
        return path
    }

    private func jsonTrace(_ model: String) throws -> [String: Any] {
        let result = try Gatescope.run(["trace", "--model", model, "--format", "json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    func testADelayModelOpensOnADelaySequence() throws {
        let trace = try jsonTrace(try train(["--task", "delay", "--delay", "6"]))
        XCTAssertTrue((trace["input"] as? String)?.hasPrefix("delay task: remember 'a' across 6 distractors") ?? false,
                      "\(trace["input"] ?? "")")
        let steps = try XCTUnwrap(trace["steps"] as? [[String: Any]])
        let labels = steps.compactMap { $0["label"] as? String }
        XCTAssertEqual(labels.count, 8)
        XCTAssertEqual(labels.first, "'a'")
        XCTAssertEqual(labels.last, "'?'")
        XCTAssertTrue(labels.dropFirst().dropLast().allSatisfy { $0 == "'x'" || $0 == "'y'" }, "\(labels)")
    }

    func testASineModelOpensOnASine() throws {
        let trace = try jsonTrace(try train(["--task", "sine", "--length", "12"]))
        XCTAssertTrue((trace["input"] as? String)?.hasPrefix("sine task") ?? false, "\(trace["input"] ?? "")")
        let steps = try XCTUnwrap(trace["steps"] as? [[String: Any]])
        XCTAssertEqual(steps.count, 12)
        for (t, step) in steps.enumerated() {
            let x = try XCTUnwrap((step["x"] as? [NSNumber])?.first).floatValue
            XCTAssertEqual(x, 0.9 * sinf(0.3 * Float(t)), accuracy: 1e-6)
        }
    }

    /// The render of a text model trained on the built-in corpus reads text of that
    /// corpus, not its vocabulary in order.
    func testATextModelOpensOnTextOfItsCorpus() throws {
        let model = try train(["--task", "text", "--length", "16"])
        let trace = try jsonTrace(model)
        XCTAssertTrue((trace["input"] as? String)?.hasPrefix("text task: predict each next character of") ?? false,
                      "\(trace["input"] ?? "")")
        XCTAssertEqual((trace["steps"] as? [Any])?.count, 16)
    }
}
