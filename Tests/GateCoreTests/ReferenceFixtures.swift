import Foundation
import GateCore
import Testing

/// One case of Tests/Fixtures/reference/index.json, written by
/// Tools/reference/make_fixtures.py: a model file `name.safetensors` and the trace PyTorch
/// computed for it, `name.json`.
struct ReferenceCase: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var about: String
    var dtype: String
    var bias: Bool
    /// How the expected values were checked when they were generated.
    var check: String
    /// The kind to pass to `ModelFile.load` (the `--cell` override), when the file alone
    /// does not say it.
    var loadCell: String?
    var vocab: String?
    var text: String?

    enum CodingKeys: String, CodingKey {
        case name, about, dtype, bias, check, vocab, text
        case loadCell = "load_cell"
    }

    var testDescription: String { name }
    /// Written by gatescope and run by PyTorch, rather than the other way round.
    var isRoundTrip: Bool { name.hasPrefix("gatescope-") }
    var modelPath: String { ReferenceFixtures.directory.appendingPathComponent("\(name).safetensors").path }
}

/// The expected trace, in the shape of `gatescope trace --format json`, plus every row
/// block's pre-activation and the initial state when it is not zero.
struct ReferenceTrace: Decodable {
    struct Layer: Decodable {
        var gates: [String: [Float]]
        var c: [Float]?
        var h: [Float]
        /// All G·H row-block pre-activations in PyTorch order, as `Trace` stores them.
        var preactivations: [Float]
    }

    struct Step: Decodable {
        var t: Int
        var x: [Float]
        var layers: [Layer]
        var y: [Float]?
    }

    var cell: String
    var inputSize: Int
    var hiddenSize: Int
    var layers: Int
    var initialH: [Float]?
    var initialC: [Float]?
    var steps: [Step]

    enum CodingKeys: String, CodingKey {
        case cell, layers, steps
        case inputSize = "input_size"
        case hiddenSize = "hidden_size"
        case initialH = "initial_h"
        case initialC = "initial_c"
    }
}

enum ReferenceFixtures {
    /// Tests/Fixtures/reference, found from this file's place in the repository.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("reference")

    static func loadIndex() throws -> [ReferenceCase] {
        struct Index: Decodable { var cases: [ReferenceCase] }
        let data = try Data(contentsOf: directory.appendingPathComponent("index.json"))
        return try JSONDecoder().decode(Index.self, from: data).cases
    }

    /// The cases for parameterised tests; `indexListsEveryFixture` fails if the index
    /// cannot be read, so an empty list here cannot pass unnoticed.
    static let cases: [ReferenceCase] = (try? loadIndex()) ?? []

    static func expected(_ reference: ReferenceCase) throws -> ReferenceTrace {
        let data = try Data(contentsOf: directory.appendingPathComponent("\(reference.name).json"))
        return try JSONDecoder().decode(ReferenceTrace.self, from: data)
    }
}

/// The largest error between computed and expected values over a whole trace, and where
/// it occurred, so a failure says how far off the worst number was.
struct ErrorTally {
    /// Absolute for gates and states; relative to max(1, |expected|) for pre-activations,
    /// which grow with the inputs.
    var relative = false
    private(set) var worst: Float = 0
    private(set) var worstPlace = "nowhere"
    private(set) var mismatches: [String] = []

    mutating func compare<C: Collection<Float>>(_ actual: C, _ expected: [Float], _ place: @autoclosure () -> String) {
        guard actual.count == expected.count else {
            mismatches.append("\(place()): \(actual.count) values, expected \(expected.count)")
            return
        }
        for (u, (a, e)) in zip(actual, expected).enumerated() {
            let scale = relative ? max(1, abs(e)) : 1
            let error = a.isNaN ? .infinity : abs(a - e) / scale
            if error > worst {
                worst = error
                worstPlace = "\(place())[\(u)] = \(a), PyTorch \(e)"
            }
        }
    }

    mutating func note(_ problem: String) { mismatches.append(problem) }

    var summary: String {
        "max error \(worst) at \(worstPlace)" + (mismatches.isEmpty ? "" : "; " + mismatches.joined(separator: "; "))
    }
}
