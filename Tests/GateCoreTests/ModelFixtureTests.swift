import Foundation
@testable import GateCore
import Testing

/// One case of Tests/Fixtures/models/, written by Tools/reference/make_model_fixtures.py:
/// a model as students write and save it, the pipeline gatescope must find in it, and the
/// trace PyTorch computed.
struct ModelFixture: Decodable {
    struct Stack: Decodable, Equatable {
        var cell: String
        var input_size: Int
        var hidden_size: Int
        var bidirectional: Bool
        var proj_size: Int
    }
    struct Head: Decodable {
        var weight: String
        var bias: String?
        var input_size: Int
        var output_size: Int
    }
    struct Embedding: Decodable {
        var vocab_size: Int
        var dim: Int
        var weight: String
    }
    struct Direction: Decodable {
        var gates: [String: [Float]]
        var c: [Float]?
        var h: [Float]
        var h_before_projection: [Float]?
    }
    struct Layer: Decodable {
        var gates: [String: [Float]]
        var c: [Float]?
        var h: [Float]
        var h_before_projection: [Float]?
        var reverse: Direction?
    }
    struct Step: Decodable {
        var x: [Float]
        var token: Int?
        var layers: [Layer]
        var y: [Float]?
    }

    var file: String
    var open_flags: [String]?
    var expect: String
    var embedding: Embedding?
    var stack: [Stack]?
    var head: Head?
    var unused: [String]?
    var tokens: [Int]?
    var steps: [Step]?
}

struct ModelFixtureCase: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var file: String
    var about: String
    var testDescription: String { name }
}

@Suite("Students' models against PyTorch")
struct ModelFixtureTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/models")
    static let tolerance: Float = 1e-5

    static var cases: [ModelFixtureCase] {
        struct Index: Decodable { var cases: [ModelFixtureCase] }
        let data = (try? Data(contentsOf: directory.appendingPathComponent("index.json"))) ?? Data()
        return (try? JSONDecoder().decode(Index.self, from: data).cases) ?? []
    }

    @Test func theFixturesCoverEveryKindOfFile() {
        let files = Set(Self.cases.map { URL(fileURLWithPath: $0.file).pathExtension })
        #expect(files.isSuperset(of: ["safetensors", "pt", "pth"]), "\(files)")
    }

    @Test("The pipeline gatescope finds matches PyTorch within 1e-5",
          arguments: cases)
    func matchesPyTorch(_ reference: ModelFixtureCase) throws {
        try Self.check(reference, in: Self.directory)
    }

    /// Opens the case's file as the command line would (its flags), and compares the pipeline
    /// found and every value of its trace with the fixture; a refusal case must be refused.
    static func check(_ reference: ModelFixtureCase, in directory: URL) throws {
        let data = try Data(contentsOf: directory.appendingPathComponent("\(reference.name).json"))
        let fixture = try JSONDecoder().decode(ModelFixture.self, from: data)
        let path = directory.appendingPathComponent(fixture.file).path
        var options = LoadOptions()
        var vocabulary: Vocabulary?
        var text: String?
        let flags = fixture.open_flags ?? []
        var index = 0
        while index < flags.count {
            let value = index + 1 < flags.count ? flags[index + 1] : ""
            switch flags[index] {
            case "--prefix": options.prefix = value
            case "--head": options.headPrefix = value
            case "--cell": options.cell = try CellKind(validating: value)
            case "--vocab": vocabulary = try Vocabulary.load(path: directory.appendingPathComponent(value).path)
            case "--text": text = value
            case "--no-head":
                options.noHead = true
                index -= 1
            default: Issue.record("\(reference.name): unknown open flag \(flags[index])")
            }
            index += 2
        }
        guard fixture.expect == "opens" else {
            // A refusal names the file and says what to do.
            let error = #expect(throws: GateError.self) { _ = try ModelFile.decode(ModelFile.openSource(path: path), options: options) }
            #expect(error?.message.hasPrefix(path) == true, "\(error?.message ?? "")")
            return
        }
        let decoded = try ModelFile.decode(ModelFile.openSource(path: path), options: options)
        let model = decoded.model

        // The pipeline: embedding, every layer, head, and the tensors left unused.
        let stack = model.layers.map {
            ModelFixture.Stack(cell: $0.cell.rawValue, input_size: $0.inputSize, hidden_size: $0.hiddenSize,
                               bidirectional: $0.isBidirectional, proj_size: $0.projectionSize)
        }
        #expect(stack == fixture.stack, "\(reference.name): layers")
        #expect(model.embedding?.vocabularySize == fixture.embedding?.vocab_size)
        #expect(decoded.roles[fixture.embedding?.weight ?? ""] == (fixture.embedding == nil ? nil : "embedding"))
        #expect(model.head?.outputSize == fixture.head?.output_size)
        #expect(decoded.roles[fixture.head?.weight ?? ""] == (fixture.head == nil ? nil : "head"))
        let unused = Set(try ModelFile.openSource(path: path).entries.map(\.name)).subtracting(decoded.usedNames)
        #expect(unused == Set(fixture.unused ?? []), "\(reference.name): unused tensors")

        let steps = fixture.steps ?? []
        let trace: Trace
        if let text, let vocabulary {
            let sequence = try InputSource.text(text).load(for: model, vocabulary: vocabulary)
            #expect(sequence.tokens == fixture.tokens)
            trace = try model.trace(tokens: sequence.tokens ?? [])
        } else if let tokens = fixture.tokens {
            trace = try model.trace(tokens: tokens)
        } else {
            trace = try model.trace(steps.map(\.x))
        }
        #expect(trace.steps == steps.count)
        var values = ErrorTally()
        for (t, step) in steps.enumerated() where t < trace.steps {
            values.compare(trace.inputs[t], step.x, "t=\(t) x")
            #expect(step.token == trace.tokens?[t])
            for (k, layer) in step.layers.enumerated() where k < model.layerCount {
                let cell = model.layers[k].cell
                let place = "t=\(t) layer \(k)"
                func compare(_ expected: ModelFixture.Direction, _ direction: Direction) {
                    let where_ = "\(place) \(direction.name)"
                    if Set(expected.gates.keys) != Set(cell.gates.map(\.rawValue)) {
                        values.note("\(where_): fixture gates \(expected.gates.keys.sorted())")
                    }
                    for gate in cell.gates {
                        values.compare(trace.gate(gate, t: t, layer: k, direction: direction),
                                       expected.gates[gate.rawValue] ?? [], "\(where_) \(gate.rawValue)")
                    }
                    values.compare(trace.cellState(t: t, layer: k, direction: direction), expected.c ?? [], "\(where_) c")
                    values.compare(trace.hidden(t: t, layer: k, direction: direction), expected.h, "\(where_) h")
                    values.compare(trace.hiddenBeforeProjection(t: t, layer: k, direction: direction),
                                   expected.h_before_projection ?? [], "\(where_) o ⊙ tanh(c)")
                }
                compare(ModelFixture.Direction(gates: layer.gates, c: layer.c, h: layer.h,
                                               h_before_projection: layer.h_before_projection), .forward)
                if let reverse = layer.reverse { compare(reverse, .reverse) }
                #expect((layer.reverse != nil) == model.layers[k].isBidirectional)
            }
            values.compare(trace.output(t: t), step.y ?? [], "t=\(t) y")
        }
        #expect(values.worst <= tolerance && values.mismatches.isEmpty,
                "\(reference.name) (\(reference.about)): \(values.summary)")
    }
}
