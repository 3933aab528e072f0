import Foundation
import GateCore
import XCTest

/// The head's output as the screen and the trace table read it.
final class HeadOutputTests: XCTestCase {
    private func scenario(outputs: Int, vocab: [Character]? = nil, names: String? = nil) -> Scenario {
        var model = RecurrentModel.random(cell: .gru, inputSize: vocab?.count ?? 2, hiddenSize: 3,
                                          outputSize: outputs, seed: 4)
        model.vocab = vocab
        if let names { model.metadata["outputs"] = names }
        return Scenario(model: model, modelName: "m", inputs: [], stepLabels: [], inputDescription: "")
    }

    func testNamesComeFromTheVocabularyElseTheOutputsMetadata() {
        XCTAssertEqual(scenario(outputs: 3, vocab: ["a", "\n", " "]).outputNames(count: 3), ["'a'", "'\\n'", "' '"])
        XCTAssertEqual(scenario(outputs: 2, vocab: ["a", "b", "c"], names: "yes,no").outputNames(count: 2), ["yes", "no"])
        XCTAssertEqual(scenario(outputs: 2, names: "one,two,three").outputNames(count: 2), [])
        XCTAssertEqual(scenario(outputs: 2).outputNames(count: 2), [])
    }

    func testClassesAreTheLikeliestThreeWithSoftmaxProbabilities() {
        let y: [Float] = [0, 2, 1, -1]
        guard case .classes(let top) = HeadOutput(y, names: ["a", "b", "c", "d"]) else { return XCTFail() }
        let exponentials = y.map { exp(Double($0)) }
        let total = exponentials.reduce(0, +)
        XCTAssertEqual(top.map(\.name), ["b", "c", "a"])
        for (entry, index) in zip(top, [1, 2, 0]) {
            XCTAssertEqual(Double(entry.probability), exponentials[index] / total, accuracy: 1e-6)
        }
        // Ties keep the lower index first, as argmax picks it.
        guard case .classes(let tied) = HeadOutput([1, 1], names: ["x", "y"]) else { return XCTFail() }
        XCTAssertEqual(tied.map(\.name), ["x", "y"])
    }

    func testOneNamedOutputIsAValueAndUnnamedOnesAreValues() {
        guard case .value(let name, let value) = HeadOutput([0.25], names: ["sum"]) else { return XCTFail() }
        XCTAssertEqual(name, "sum")
        XCTAssertEqual(value, 0.25)
        guard case .values(let values) = HeadOutput([1, 2], names: []) else { return XCTFail() }
        XCTAssertEqual(values, [1, 2])
    }

    func testSoftmaxNeverOverflows() {
        let p = HeadOutput.softmax([1000, 0, -.infinity, .nan])
        XCTAssertEqual(p[0], 1, accuracy: 1e-6)
        XCTAssertEqual(p[2], 0)
        XCTAssertEqual(p[3], 0)
    }
}
