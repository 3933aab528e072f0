import Foundation
import Testing
@testable import GateCore

/// One case of Tests/Fixtures/gradients/, written by Tools/reference/make_grad_fixtures.py
/// from PyTorch autograd in float64 on float32 weights.
private struct GradientFixture: Decodable {
    struct Head: Decodable {
        var output_size: Int
        var weight: [Float]
        var bias: [Float]?
    }
    struct LossSpec: Decodable {
        var kind: String
        var loss: Loss

        enum CodingKeys: String, CodingKey { case kind, targets }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            kind = try container.decode(String.self, forKey: .kind)
            loss = kind == "ce"
                ? .crossEntropy(targets: try container.decode([Int?].self, forKey: .targets))
                : .meanSquared(targets: try container.decode([[Float]?].self, forKey: .targets))
        }
    }
    struct Expected: Decodable {
        var loss: Double
        var gradients: [String: [Double]]
        var flow_hidden: [[Double]]
        var flow_cell: [[Double]]
    }
    struct Sensitivity: Decodable {
        var layer: Int
        var hidden: [[Double]]
        var cell: [[Double]]?
    }

    var name: String
    var cell: String
    var input_size: Int
    var hidden_size: Int
    var layers: Int
    var bias: Bool
    var weights: [String: [Float]]
    var head: Head?
    var inputs: [[Float]]
    var initial_hidden: [Float]?
    var initial_cell: [Float]?
    var loss: LossSpec?
    var expected: Expected?
    var sensitivity: [Sensitivity]

    func model() throws -> RecurrentModel {
        let kind = try #require(CellKind(rawValue: cell), "\(name): unknown cell \(cell)")
        let stack = try (0..<layers).map { k in
            LayerWeights(inputSize: k == 0 ? input_size : hidden_size, hiddenSize: hidden_size,
                         weightIH: try #require(weights["weight_ih_l\(k)"], "\(name): weight_ih_l\(k)"),
                         weightHH: try #require(weights["weight_hh_l\(k)"], "\(name): weight_hh_l\(k)"),
                         biasIH: weights["bias_ih_l\(k)"], biasHH: weights["bias_hh_l\(k)"])
        }
        let linear = head.map {
            LinearHead(outputSize: $0.output_size, inputSize: hidden_size, weight: $0.weight, bias: $0.bias)
        }
        return RecurrentModel(cell: kind, layers: stack, head: linear)
    }
}

private let gradientFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/gradients")

private let fixtureNames: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: gradientFixtures.path)) ?? [])
    .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()

private func loadFixture(_ name: String) throws -> GradientFixture {
    let data = try Data(contentsOf: gradientFixtures.appendingPathComponent("\(name).json"))
    return try JSONDecoder().decode(GradientFixture.self, from: data)
}

/// Every value within 1e-4 relative of the reference, |a − b| ≤ 1e-4 · max(s, |b|), where s is
/// 1 (the project's rule) or the tensor's largest |b| when that is smaller: float32 rounding
/// scales with the values flowing through, and gradients here are often ~1e-3, where an
/// absolute 1e-4 would let a wrong derivative pass. Measured worst: 7e-7 of s. Reports the
/// worst element by name and index.
private func expectClose(_ actual: [Float], _ expected: [Double], _ what: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    guard actual.count == expected.count else {
        Issue.record("\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
        return
    }
    let scale = max(min(1, expected.map(abs).max() ?? 0), 1e-12)
    var worst = (index: 0, ratio: 0.0)
    for (j, (a, b)) in zip(actual, expected).enumerated() {
        let ratio = abs(Double(a) - b) / (1e-4 * max(scale, abs(b)))
        if !(ratio <= worst.ratio) { worst = (j, ratio.isNaN ? .infinity : ratio) }
    }
    #expect(worst.ratio <= 1, "\(what)[\(worst.index)] = \(actual[worst.index]), PyTorch \(expected[worst.index])",
            sourceLocation: sourceLocation)
}

private func expectClose(_ actual: [[Float]], _ expected: [[Double]], _ what: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) steps, expected \(expected.count)",
            sourceLocation: sourceLocation)
    for (t, (a, b)) in zip(actual, expected).enumerated() {
        expectClose(a, b, "\(what)[t=\(t)]", sourceLocation: sourceLocation)
    }
}

@Suite struct GradientTests {
    @Test func fixturesArePresent() {
        // Four cell kinds × (1 layer, 2 layers, no bias, no head).
        #expect(fixtureNames.count >= 16, "found \(fixtureNames) in \(gradientFixtures.path)")
    }

    @Test(arguments: fixtureNames)
    func matchesAutograd(_ name: String) throws {
        let fixture = try loadFixture(name)
        let model = try fixture.model()
        let trace = try model.trace(fixture.inputs, initialHidden: fixture.initial_hidden,
                                    initialCell: fixture.initial_cell)
        if let spec = fixture.loss, let expected = fixture.expected {
            let (loss, gradients, flow) = try model.backward(trace, loss: spec.loss)
            #expect(abs(Double(loss) - expected.loss) <= 1e-4 * max(1, abs(expected.loss)),
                    "\(name): loss \(loss), PyTorch \(expected.loss)")
            func reference(_ key: String) throws -> [Double] {
                try #require(expected.gradients[key], "\(name): fixture lacks \(key)")
            }
            for (k, layer) in gradients.layers.enumerated() {
                expectClose(layer.weightIH, try reference("weight_ih_l\(k)"), "\(name) weight_ih_l\(k)")
                expectClose(layer.weightHH, try reference("weight_hh_l\(k)"), "\(name) weight_hh_l\(k)")
                #expect((layer.biasIH == nil) == !fixture.bias && (layer.biasHH == nil) == !fixture.bias)
                if let biasIH = layer.biasIH, let biasHH = layer.biasHH {
                    expectClose(biasIH, try reference("bias_ih_l\(k)"), "\(name) bias_ih_l\(k)")
                    expectClose(biasHH, try reference("bias_hh_l\(k)"), "\(name) bias_hh_l\(k)")
                }
            }
            let head = try #require(gradients.head)
            expectClose(head.weight, try reference("head.weight"), "\(name) head.weight")
            #expect((head.bias == nil) == (expected.gradients["head.bias"] == nil))
            if let bias = head.bias { expectClose(bias, try reference("head.bias"), "\(name) head.bias") }
            expectClose(gradients.inputs.flatMap { $0 }, try reference("inputs"), "\(name) inputs")
            expectClose(gradients.initialHidden, try reference("initial_hidden"), "\(name) initial h")
            if model.cell.hasCellState {
                expectClose(gradients.initialCell, try reference("initial_cell"), "\(name) initial c")
            } else {
                #expect(gradients.initialCell.isEmpty)
            }
            expectClose(flow.hidden, expected.flow_hidden, "\(name) ‖dL/dh‖")
            expectClose(flow.cell, expected.flow_cell, "\(name) ‖dL/dc‖")
        } else {
            #expect(throws: GateError("the model has no head: training needs one")) {
                try model.backward(trace, loss: .crossEntropy(targets: Array(repeating: 0, count: trace.steps)))
            }
        }
        for reference in fixture.sensitivity {
            let flow = try model.sensitivity(trace, layer: reference.layer)
            expectClose(flow.hidden, reference.hidden, "\(name) ‖uᵀ∂h_T/∂h_t‖ from layer \(reference.layer)")
            expectClose(flow.cell, reference.cell ?? [], "\(name) ‖uᵀ∂c_T/∂c_t‖ from layer \(reference.layer)")
        }
    }
}
