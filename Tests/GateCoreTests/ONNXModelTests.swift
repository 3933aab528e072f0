import Foundation
@testable import GateCore
import Testing

/// One model of Tests/Fixtures/onnx/, written by Tools/reference/make_onnx_fixtures.py: the
/// .onnx file, its input, and every layer's gates, h and c per step from the PyTorch weights
/// (checked against onnxruntime when the fixtures were made).
struct ONNXFixture: Decodable {
    struct Direction: Decodable {
        var gates: [String: [Float]]
        var h: [Float]
        var c: [Float]?
    }
    struct Layer: Decodable {
        var gates: [String: [Float]]
        var h: [Float]
        var c: [Float]?
        var reverse: Direction?
        var forward: Direction { Direction(gates: gates, h: h, c: c) }
    }
    struct Step: Decodable {
        var layers: [Layer]
        /// The head's output, for a model with one.
        var y: [Float]?
    }
    var file: String
    var cells: [String]
    var directions: [Int]
    var x: [[Float]]?
    var tokens: [Int]?
    var steps: [Step]
}

@Suite("ONNX models against PyTorch and onnxruntime")
struct ONNXModelTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/onnx")

    static let opening = ["lstm1", "lstm2", "gru", "gru_reset_before", "rnn", "rnn_relu", "bilstm",
                          "embedding_lstm_linear", "batch_major_hybrid",
                          "classifier_last_step", "classifier_final_state", "bigru_dynamo"]

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @Test(arguments: opening)
    func everyGateAndStateMatches(_ name: String) throws {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent("\(name).json"))
        let fixture = try JSONDecoder().decode(ONNXFixture.self, from: data)
        // Through the one entry point every model file takes.
        let model = try ModelFile.load(path: Self.path(fixture.file))
        #expect(model.layers.map(\.cell.rawValue) == fixture.cells)
        #expect(model.layers.map(\.directionCount) == fixture.directions)
        #expect(model == (try ONNXModelFile.load(path: Self.path(fixture.file))).withoutFileMetadata(of: model))
        let trace = try fixture.tokens.map { try model.trace(tokens: $0) } ?? model.trace(fixture.x ?? [])
        #expect(trace.steps == fixture.steps.count)
        // y at every step, or at the last alone when the graph feeds its head one step.
        #expect((fixture.steps.last?.y == nil) == (model.head == nil))
        var values = ErrorTally()
        for (t, step) in fixture.steps.enumerated() where t < trace.steps {
            #expect(step.layers.count == model.layerCount)
            if let y = step.y { values.compare(trace.output(t: t), y, "t=\(t) y") }
            for (k, layer) in step.layers.enumerated() where k < model.layerCount {
                let cell = model.layers[k].cell
                for (expected, direction) in [(layer.forward, Direction.forward), (layer.reverse, .reverse)] {
                    guard let expected else { continue }
                    let place = "t=\(t) layer \(k + 1) \(direction.name)"
                    values.compare(trace.hidden(t: t, layer: k, direction: direction), expected.h, "\(place) h")
                    if let c = expected.c {
                        values.compare(trace.cellState(t: t, layer: k, direction: direction), c, "\(place) c")
                    }
                    #expect(Set(expected.gates.keys) == Set(cell.gates.map(\.rawValue)), "\(place) gates")
                    for gate in cell.gates {
                        values.compare(trace.gate(gate, t: t, layer: k, direction: direction),
                                       expected.gates[gate.rawValue] ?? [], "\(place) \(gate.rawValue)")
                    }
                }
            }
        }
        #expect(values.worst <= 1e-5 && values.mismatches.isEmpty, "\(name): \(values.summary)")
    }

    @Test func theTf2onnxLayoutIsFollowed() throws {
        // Transpose to sequence-major, ConstantOfShape zero states, Squeeze between layers.
        let model = try ModelFile.load(path: Self.path("batch_major_hybrid.onnx"))
        #expect(model.layers.map(\.cell) == [.lstm, .gruResetBefore])
        #expect(model.head?.inputSize == 5)
        #expect(model.sourceFrameworkNote?.hasPrefix("from ONNX: LSTM gate rows i,o,f,c read as PyTorch's i,f,g,o") == true)
    }

    /// fc(y[:, -1]) and fc(h_n[-1]): the head reads h of the last step, which the screen
    /// shows at every step, and says so.
    @Test(arguments: [("classifier_last_step", "Gather"), ("classifier_final_state", "Y_h")])
    func aHeadOnTheLastStepIsNamed(_ name: String, _ picker: String) throws {
        let model = try ModelFile.load(path: Self.path("\(name).onnx"))
        #expect(model.sourceFrameworkNote?.contains("head on one step in the graph (\(picker)), shown at every step") == true,
                "\(model.sourceFrameworkNote ?? "")")
    }

    @Test func theHeadAndEmbeddingAreRead() throws {
        let model = try ModelFile.load(path: Self.path("embedding_lstm_linear.onnx"))
        #expect(model.embedding?.vocabularySize == 7)
        #expect(model.embedding?.dimension == 3)
        #expect(model.head?.inputSize == 4)
        #expect(model.head?.outputSize == 2)
        #expect(model.head?.bias != nil)
    }

    @Test func inspectNamesTheFrameworkAndItsConventions() throws {
        let lstm = try ModelFile.report(path: Self.path("bilstm.onnx"))
        #expect(lstm.contains("from         ONNX (pytorch"))
        #expect(lstm.contains("LSTM gate rows i,o,f,c read as PyTorch's i,f,g,o"))
        let gru = try ModelFile.report(path: Self.path("gru_reset_before.onnx"))
        #expect(gru.contains("linear_before_reset=0"))
        #expect(gru.contains("gru-reset-before — GRU (reset before)"))
        for line in (lstm + "\n" + gru).split(separator: "\n") { #expect(line.count <= 80, "\(line)") }
    }

    /// Each unsupported feature is refused with the file, the node and the feature named.
    @Test(arguments: [
        ("refused_relu_between", "(Relu) between the recurrent layers"),
        ("refused_hard_sigmoid", "not HardSigmoid"),
        ("refused_clip", "the attribute 'clip'"),
        ("refused_initial_state", "initial_h ('initial_h') is not zero"),
        ("refused_reverse_only", "direction \"reverse\" alone"),
    ])
    func unsupportedGraphsAreRefused(_ name: String, _ reason: String) {
        let path = Self.path("\(name).onnx")
        let error = #expect(throws: GateError.self) { _ = try ModelFile.load(path: path) }
        #expect(error?.message.hasPrefix(path) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    }

    @Test func bytesThatAreNotProtobufAreRefused() throws {
        let error = #expect(throws: GateError.self) {
            _ = try ONNXModelFile.read(bytes: [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01], source: "bad.onnx")
        }
        #expect(error?.message.hasPrefix("bad.onnx: not a readable ONNX model") == true, "\(error?.message ?? "")")
    }

    /// A file cut anywhere is refused with a message, never read past its end (or, cut only
    /// after the whole graph, still gives the same model).
    @Test func truncatedFilesAreRefused() throws {
        let bytes = try [UInt8](Data(contentsOf: Self.directory.appendingPathComponent("embedding_lstm_linear.onnx")))
        let whole = try ONNXModelFile.read(bytes: bytes, source: "whole.onnx")
        var refused = 0
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
            do {
                let model = try ONNXModelFile.read(bytes: Array(bytes.prefix(length)), source: "cut.onnx")
                #expect(model.layers == whole.layers && model.head == whole.head, "cut at \(length)")
            } catch is GateError {
                refused += 1
            }
        }
        #expect(refused > 90)
    }

    /// External data is read from the model's own folder only.
    @Test func externalDataOutsideTheModelsFolderIsRefused() throws {
        let path = Self.path("bigru_dynamo.onnx")
        var proto = try Onnx_ModelProto(serializedBytes: [UInt8](Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(proto.graph.initializer.contains { $0.dataLocation == .external })
        for index in proto.graph.initializer.indices {
            for entry in proto.graph.initializer[index].externalData.indices
            where proto.graph.initializer[index].externalData[entry].key == "location" {
                proto.graph.initializer[index].externalData[entry].value = "../onnx/bigru_dynamo.onnx.data"
            }
        }
        let bytes: [UInt8] = try proto.serializedBytes()
        let error = #expect(throws: GateError.self) { _ = try ONNXModelFile.read(bytes: bytes, source: path) }
        #expect(error?.message.contains("gatescope reads a data file in the model's own folder") == true, "\(error?.message ?? "")")
    }

    @Test func onnxGateBlocksBecomePyTorchs() {
        // Blocks of one row, one column, numbered by their ONNX position.
        #expect(GraphReader.reordered([0, 1, 2, 3], blockRows: 1, columns: 1, order: GraphReader.lstmOrder) == [0, 2, 3, 1])
        #expect(GraphReader.reordered([0, 1, 2], blockRows: 1, columns: 1, order: GraphReader.gruOrder) == [1, 0, 2])
    }
}

extension RecurrentModel {
    /// This model with `other`'s metadata, for comparing the weights of two loads.
    fileprivate func withoutFileMetadata(of other: RecurrentModel) -> RecurrentModel {
        var copy = self
        copy.metadata = other.metadata
        return copy
    }
}
