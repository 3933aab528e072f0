import Foundation
import Testing
@testable import GateCore

/// The repository's Tests/Fixtures directory, found from this source file.
private let fixturesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

private struct AdamFixture: Decodable {
    struct Case: Decodable {
        var name: String
        var lr: Double
        var beta1: Double
        var beta2: Double
        var eps: Double
        var max_norm: Double?
        var initial: [Double]
        var gradients: [[Double]]
        var total_norms: [Double]
        var parameters: [[Double]]
    }
    var cases: [Case]
}

private func loadAdamFixture() throws -> AdamFixture {
    let data = try Data(contentsOf: fixturesDirectory.appendingPathComponent("adam/adam.json"))
    return try JSONDecoder().decode(AdamFixture.self, from: data)
}

@Suite struct AdamTests {
    @Test func matchesTorchOptimAdamStepByStep() throws {
        for c in try loadAdamFixture().cases {
            var parameters = c.initial.map { Float($0) }
            var adam = Adam(parameterCount: parameters.count, learningRate: c.lr,
                            beta1: c.beta1, beta2: c.beta2, epsilon: c.eps)
            for (t, gradient) in c.gradients.enumerated() {
                var g = gradient.map { Float($0) }
                if let maxNorm = c.max_norm {
                    let norm = clipGradientNorm(&g, maxNorm: Float(maxNorm))
                    #expect(abs(Double(norm) - c.total_norms[t]) <= 1e-6 * c.total_norms[t],
                            "\(c.name) step \(t): norm \(norm) vs torch \(c.total_norms[t])")
                }
                adam.step(&parameters, gradients: g)
                for (j, expected) in c.parameters[t].enumerated() {
                    // A few float32 ulps at |p| ≈ 1: ATen may fuse multiply-adds where Swift does not.
                    #expect(abs(Double(parameters[j]) - expected) <= 1e-7,
                            "\(c.name) step \(t) parameter \(j): \(parameters[j]) vs torch \(expected)")
                }
            }
        }
    }

    @Test func clippingScalesToMaxNormAndLeavesSmallGradientsAlone() {
        var big: [Float] = [3, 4]
        let norm = clipGradientNorm(&big, maxNorm: 1)
        #expect(norm == 5)
        let expectedFactor = Float(1) / (5 + 1e-6)
        #expect(big == [3 * expectedFactor, 4 * expectedFactor])
        var small: [Float] = [0.3, -0.4]
        #expect(clipGradientNorm(&small, maxNorm: 1) == 0.5)
        #expect(small == [0.3, -0.4])
    }
}
