import XCTest
@testable import GateCore

final class ModelFileTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-mf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// A model's tensors under PyTorch's names, as a state_dict with these prefixes would hold them.
    private func stateDict(_ model: RecurrentModel, prefix: String = "", headPrefix: String = "head.") -> [SafeTensorsFile.F32Tensor] {
        let rows = model.cell.blockCount * model.hiddenSize
        var tensors: [SafeTensorsFile.F32Tensor] = []
        for (k, layer) in model.layers.map(\.forward).enumerated() {
            tensors.append(.init(name: "\(prefix)weight_ih_l\(k)", shape: [rows, layer.inputSize], values: layer.weightIH))
            tensors.append(.init(name: "\(prefix)weight_hh_l\(k)", shape: [rows, layer.hiddenSize], values: layer.weightHH))
            if let b = layer.biasIH { tensors.append(.init(name: "\(prefix)bias_ih_l\(k)", shape: [rows], values: b)) }
            if let b = layer.biasHH { tensors.append(.init(name: "\(prefix)bias_hh_l\(k)", shape: [rows], values: b)) }
        }
        if let head = model.head {
            tensors.append(.init(name: headPrefix + "weight", shape: [head.outputSize, head.inputSize], values: head.weight))
            if let b = head.bias { tensors.append(.init(name: headPrefix + "bias", shape: [head.outputSize], values: b)) }
        }
        return tensors
    }

    private func decode(_ tensors: [SafeTensorsFile.F32Tensor], metadata: [String: String] = [:],
                        cell: CellKind? = nil, headPrefix: String? = nil) throws -> ModelFile.Decoded {
        let bytes = try SafeTensorsFile.encode(tensors, metadata: metadata)
        return try ModelFile.decode(SafeTensorsFile(bytes: bytes, source: "m.safetensors"), cell: cell, headPrefix: headPrefix)
    }

    private func assertDecodeError(_ tensors: [SafeTensorsFile.F32Tensor], metadata: [String: String] = [:],
                                   cell: CellKind? = nil, headPrefix: String? = nil, _ fragments: [String],
                                   file: StaticString = #filePath, line: UInt = #line) {
        assertGateError(["m.safetensors: "] + fragments, file: file, line: line) {
            _ = try decode(tensors, metadata: metadata, cell: cell, headPrefix: headPrefix)
        }
    }

    private func replacing(_ tensors: [SafeTensorsFile.F32Tensor], _ name: String,
                           with tensor: SafeTensorsFile.F32Tensor?) -> [SafeTensorsFile.F32Tensor] {
        tensors.compactMap { $0.name == name ? tensor : $0 }
    }

    private func tensor(_ name: String, _ shape: [Int]) -> SafeTensorsFile.F32Tensor {
        .init(name: name, shape: shape, values: [Float](repeating: 0.125, count: shape.reduce(1, *)))
    }

    // MARK: Round trip and names

    func testSaveThenLoadGivesTheSameModelForEveryShape() throws {
        var seed: UInt64 = 1
        for cell in CellKind.allCases {
            for layers in 1...3 {
                for bias in [true, false] {
                    for outputSize in [nil, 3] {
                        var model = RecurrentModel.random(cell: cell, inputSize: 4, hiddenSize: 5, layers: layers,
                                                          bias: bias, outputSize: outputSize, seed: seed)
                        model.vocab = Array("ab\n ")
                        model.metadata = ["task": "delay", "note": "quote \" and é"]
                        seed += 1
                        let file = path("\(cell.rawValue)-\(layers)-\(bias)-\(outputSize ?? 0).safetensors")
                        try ModelFile.save(model, to: file)
                        XCTAssertEqual(try ModelFile.load(path: file), model, "\(cell) \(layers) layers bias \(bias)")
                    }
                }
            }
        }
    }

    func testSavedFileHasPyTorchNamesShapesAndMetadata() throws {
        var model = RecurrentModel.random(cell: .gru, inputSize: 3, hiddenSize: 4, layers: 2, outputSize: 2, seed: 9)
        model.vocab = ["x", "y", "\n"]
        model.metadata = ["task": "parity", "cell": "ignored: the model's own kind wins"]
        try ModelFile.save(model, to: path("m.safetensors"))
        let file = try SafeTensorsFile(path: path("m.safetensors"))
        let shapes = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.shape) })
        XCTAssertEqual(shapes, [
            "weight_ih_l0": [12, 3], "weight_hh_l0": [12, 4], "bias_ih_l0": [12], "bias_hh_l0": [12],
            "weight_ih_l1": [12, 4], "weight_hh_l1": [12, 4], "bias_ih_l1": [12], "bias_hh_l1": [12],
            "head.weight": [2, 4], "head.bias": [2],
        ])
        XCTAssertTrue(file.tensors.allSatisfy { $0.dtype == .f32 })
        XCTAssertEqual(file.metadata, ["format": "pt", "cell": "gru", "vocab": "xy\n", "task": "parity"])
        XCTAssertEqual(try file.floats(XCTUnwrap(file.tensor(named: "weight_hh_l1"))), model.layers[1].forward.weightHH)
    }

    func testLoadsAWholeModelsStateDictUnderAPrefix() throws {
        let model = RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 4, layers: 2, outputSize: 2, seed: 3)
        let tensors = stateDict(model, prefix: "encoder.lstm.", headPrefix: "decoder.")
            + [tensor("embedding.weight", [10, 3]), tensor("weight_norm.scale", [1])]
        let decoded = try decode(tensors, headPrefix: "decoder")
        XCTAssertEqual(decoded.prefix, "encoder.lstm.")
        // embedding.weight's rows are 3 wide, the first layer's input: it is the embedding.
        var expected = model
        expected.embedding = Embedding(vocabularySize: 10, dimension: 3, weight: [Float](repeating: 0.125, count: 30))
        XCTAssertEqual(decoded.model, expected)
        XCTAssertEqual(decoded.roles["embedding.weight"], "embedding")
        XCTAssertFalse(decoded.usedNames.contains("weight_norm.scale"))
        // The same head prefix written with its dot, and the head found by its shape alone.
        XCTAssertEqual(try decode(tensors, headPrefix: "decoder.").model, expected)
        XCTAssertEqual(try decode(tensors).model, expected)
    }

    func testBiasFalseModelsLoad() throws {
        let model = RecurrentModel.random(cell: .rnn, inputSize: 2, hiddenSize: 3, layers: 2, bias: false, seed: 4)
        let decoded = try decode(stateDict(model, prefix: "rnn."))
        XCTAssertFalse(decoded.model.hasBias)
        XCTAssertEqual(decoded.model, model)
    }

    func testCellKindComesFromTheShapesWithoutMetadata() throws {
        for (cell, expected) in [(CellKind.lstm, CellKind.lstm), (.gru, .gru), (.gruResetBefore, .gru), (.rnn, .rnn)] {
            let model = RecurrentModel.random(cell: cell, inputSize: 3, hiddenSize: 5, seed: 5)
            let decoded = try decode(stateDict(model))
            XCTAssertEqual(decoded.model.cell, expected, "3H rows are PyTorch's nn.GRU, reset after")
            XCTAssertEqual(decoded.cellSource, .shapes)
        }
    }

    func testCellKindFromMetadataAndOverride() throws {
        let tensors = stateDict(RecurrentModel.random(cell: .gru, inputSize: 3, hiddenSize: 4, seed: 6))
        let fromMetadata = try decode(tensors, metadata: ["cell": "gru-cho"])
        XCTAssertEqual(fromMetadata.model.cell, .gruResetBefore)
        XCTAssertEqual(fromMetadata.cellSource, .metadata)
        let overridden = try decode(tensors, metadata: ["cell": "gru-reset-before"], cell: .gru)
        XCTAssertEqual(overridden.model.cell, .gru)
        XCTAssertEqual(overridden.cellSource, .argument)
        assertDecodeError(tensors, cell: .lstm, ["weight_hh_l0 has shape [12, 4], expected [16, 4] for LSTM (cell lstm as requested)"])
        assertDecodeError(tensors, metadata: ["cell": "rnn"], ["weight_hh_l0 has shape [12, 4], expected [4, 4] for RNN (cell = rnn in __metadata__)"])
    }

    // MARK: Errors

    func testUnknownCellInMetadata() {
        let tensors = stateDict(RecurrentModel.random(cell: .gru, inputSize: 3, hiddenSize: 4, seed: 6))
        assertDecodeError(tensors, metadata: ["cell": "transformer"], ["unknown cell \"transformer\"", "in __metadata__"])
    }

    func testRowsThatFitNoCell() {
        let tensors = [tensor("weight_ih_l0", [10, 3]), tensor("weight_hh_l0", [10, 4])]
        assertDecodeError(tensors, ["weight_hh_l0 has shape [10, 4]: its 10 rows are not 4, 3 or 1 × the hidden size 4"])
    }

    func testNoRecurrentWeights() {
        assertDecodeError([tensor("fc.weight", [2, 3])], ["no recurrent weights", "weight_ih_l0", "it has fc.weight"])
    }

    func testSeveralRecurrentPrefixesAreNamed() {
        let model = RecurrentModel.random(cell: .gru, inputSize: 3, hiddenSize: 4, seed: 7)
        assertDecodeError(stateDict(model, prefix: "encoder.rnn.") + stateDict(model, prefix: "decoder.rnn."),
                          ["recurrent weights under several prefixes: decoder.rnn (3 → 4), encoder.rnn (3 → 4); their sizes chain in no order",
                           "choose one with --prefix NAME"])
        let options = LoadOptions(prefix: "decoder.rnn")
        let bytes = try? SafeTensorsFile.encode(stateDict(model, prefix: "encoder.rnn.") + stateDict(model, prefix: "decoder.rnn."), metadata: [:])
        let chosen = try? ModelFile.decode(SafeTensorsFile(bytes: bytes ?? [], source: "m.safetensors"), options: options)
        XCTAssertEqual(chosen?.prefix, "decoder.rnn.")
        XCTAssertEqual(chosen?.model, model)
        assertGateError(["m.safetensors: --prefix dec: no recurrent module of that name; the file has decoder.rnn, encoder.rnn"]) {
            _ = try ModelFile.decode(SafeTensorsFile(bytes: bytes ?? [], source: "m.safetensors"), options: LoadOptions(prefix: "dec"))
        }
    }

    func testMissingTensorIsNamed() {
        let model = RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 4, layers: 2, seed: 8)
        assertDecodeError(replacing(stateDict(model, prefix: "rnn."), "rnn.weight_hh_l1", with: nil),
                          ["missing tensor rnn.weight_hh_l1"])
        assertDecodeError(stateDict(model) + [tensor("weight_hh_l2", [16, 4])],
                          ["missing tensor weight_ih_l2 (weight_hh_l2 is present)"])
    }

    func testExtraTensorsUnderThePrefixAreNamed() {
        let model = RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 4, seed: 8)
        assertDecodeError(stateDict(model, prefix: "rnn.") + [tensor("rnn.weight_hr_l0", [2, 4])],
                          ["rnn.weight_hr_l0 has shape [2, 4], expected [4, hidden size > 4] (an LSTM projection, proj_size 4)"])
        assertDecodeError(stateDict(model) + [tensor("weight_ih_l0_reverse", [16, 3]), tensor("weight_ih_l01", [16, 3])],
                          ["missing tensor weight_hh_l0_reverse (the module is bidirectional: it has _reverse tensors)"])
        let gru = RecurrentModel.random(cell: .gru, inputSize: 3, hiddenSize: 4, seed: 8)
        // A projection to 4 of 5 hidden units would need 4 · 5 rows in an LSTM's weight_hh.
        assertDecodeError(stateDict(gru) + [tensor("weight_hr_l0", [4, 5])],
                          ["weight_hh_l0 has shape [12, 5]: its 12 rows are not 4, 3 or 1 × the hidden size 5"])
    }

    func testInconsistentShapesNameTheTensorAndBothShapes() {
        let model = RecurrentModel.random(cell: .gru, inputSize: 3, hiddenSize: 8, layers: 2, outputSize: 2, seed: 10)
        let tensors = stateDict(model)
        assertDecodeError(replacing(tensors, "weight_hh_l1", with: tensor("weight_hh_l1", [24, 7])),
                          ["weight_hh_l1 has shape [24, 7], expected [24, 8]"])
        assertDecodeError(replacing(tensors, "weight_ih_l1", with: tensor("weight_ih_l1", [24, 3])),
                          ["weight_ih_l1 has shape [24, 3], expected [24, 8]"])
        assertDecodeError(replacing(tensors, "bias_ih_l0", with: tensor("bias_ih_l0", [24, 1])),
                          ["bias_ih_l0 has shape [24, 1], expected [24]"])
        assertDecodeError(replacing(tensors, "head.bias", with: tensor("head.bias", [3])),
                          ["head.bias has shape [3], expected [2]"])
        assertDecodeError(replacing(tensors, "weight_hh_l0", with: tensor("weight_hh_l0", [24])),
                          ["weight_hh_l0 has shape [24], expected a matrix"])
    }

    func testGapsInTheLayerNumbering() {
        let model = RecurrentModel.random(cell: .rnn, inputSize: 3, hiddenSize: 4, layers: 3, bias: false, seed: 11)
        let tensors = stateDict(model, prefix: "rnn.").filter { !$0.name.hasSuffix("_l1") }
        assertDecodeError(tensors, ["has rnn.weight_ih_l0 and rnn.weight_ih_l2 but no rnn.weight_ih_l1"])
    }

    func testBiasOnlyHalfPresent() {
        let model = RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 4, layers: 2, seed: 12)
        let tensors = stateDict(model)
        assertDecodeError(replacing(tensors, "bias_hh_l0", with: nil), ["bias_ih_l0 is present but bias_hh_l0 is missing"])
        assertDecodeError(replacing(replacing(tensors, "bias_hh_l1", with: nil), "bias_ih_l1", with: nil),
                          ["missing tensors bias_ih_l1 and bias_hh_l1 (other layers have biases)"])
    }

    func testVocabLengthMustMatchTheInputSize() {
        let tensors = stateDict(RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 4, seed: 13))
        assertDecodeError(tensors, metadata: ["vocab": "abcd"],
                          ["vocab in __metadata__ has 4 symbols but the input size is 3 (weight_ih_l0 has shape [16, 3])"])
        assertDecodeError(tensors, metadata: ["vocab": "aba"], ["vocab lists \"a\" twice"])
    }

    func testHeadMustReadTheHiddenState() {
        let tensors = stateDict(RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 4, seed: 14))
        assertDecodeError(tensors + [tensor("head.weight", [2, 5])],
                          ["head.weight has shape [2, 5]: the head reads 5 inputs but the last layer outputs 4"])
        assertDecodeError(tensors + [tensor("head.bias", [2])], ["head.bias is present but head.weight is missing"])
        assertDecodeError(tensors, headPrefix: "fc", ["missing tensor fc.weight"])
    }

    func testNonFiniteWeightsAreRefusedWithTheirPosition() {
        let model = RecurrentModel.random(cell: .rnn, inputSize: 2, hiddenSize: 3, seed: 15)
        var tensors = stateDict(model, prefix: "rnn.")
        tensors[1].values[3 * 1 + 2] = .nan
        assertDecodeError(tensors, ["rnn.weight_hh_l0 has a non-finite value (nan) at [1, 2]"])
    }

    func testNonFloatDtypeOfARecurrentTensor() throws {
        let bytes = SafeTensorsBytes.file([
            ("weight_ih_l0", "I32", [1, 1], [0, 0, 0, 0]), ("weight_hh_l0", "F32", [1, 1], SafeTensorsBytes.f32([0.5])),
        ])
        assertGateError(["m.safetensors: tensor weight_ih_l0 has dtype I32"]) {
            _ = try ModelFile.decode(SafeTensorsFile(bytes: bytes, source: "m.safetensors"), cell: nil, headPrefix: nil)
        }
    }

    func testHalfPrecisionFilesLoad() throws {
        // An RNN with I = H = 1 stored as F16, BF16 and F64: 0x3C00 and 0x3F80 are 1.0,
        // 0xB800 and 0xBF00 are -0.5 (binary16 / bfloat16 bit patterns).
        let files: [(String, [UInt8], [UInt8])] = [
            ("F16", [0x00, 0x3C], [0x00, 0xB8]),
            ("BF16", [0x80, 0x3F], [0x00, 0xBF]),
            ("F64", SafeTensorsBytes.littleEndian(1.0.bitPattern), SafeTensorsBytes.littleEndian((-0.5).bitPattern)),
        ]
        for (dtype, one, minusHalf) in files {
            let bytes = SafeTensorsBytes.file([("rnn.weight_ih_l0", dtype, [1, 1], one), ("rnn.weight_hh_l0", dtype, [1, 1], minusHalf)])
            let model = try ModelFile.decode(SafeTensorsFile(bytes: bytes, source: dtype), cell: nil, headPrefix: nil).model
            XCTAssertEqual(model.cell, .rnn)
            XCTAssertEqual(model.layers[0].forward.weightIH, [1.0], dtype)
            XCTAssertEqual(model.layers[0].forward.weightHH, [-0.5], dtype)
        }
    }

    func testNoByteSequenceCrashesTheLoader() throws {
        var model = RecurrentModel.random(cell: .lstm, inputSize: 2, hiddenSize: 2, layers: 2, outputSize: 1, seed: 16)
        model.vocab = ["a", "b"]
        let bytes = try ModelFile.encode(model)
        /// Whether the bytes load; any error other than a GateError fails the test.
        func loads(_ candidate: [UInt8]) throws -> Bool {
            do {
                _ = try ModelFile.decode(SafeTensorsFile(bytes: candidate, source: "f"), cell: nil, headPrefix: nil)
                return true
            } catch is GateError {
                return false
            }
        }
        for length in 0..<bytes.count {
            XCTAssertFalse(try loads(Array(bytes[..<length])), "truncated to \(length) bytes")
        }
        var failures = 0
        for position in 0..<bytes.count {
            for mask: UInt8 in [0x01, 0x04, 0x20, 0x80, 0xFF] {
                var flipped = bytes
                flipped[position] ^= mask
                if try !loads(flipped) { failures += 1 }
            }
        }
        // Flips in the header mostly break it; flips in the data mostly change a weight.
        XCTAssertGreaterThan(failures, 0)
        XCTAssertLessThan(failures, bytes.count * 5)
    }

    // MARK: Saving

    func testFailedSaveLeavesTheTargetUntouchedAndNoTemporaryFile() throws {
        let target = path("model.safetensors")
        let original = Data("previous contents".utf8)
        XCTAssertTrue(FileManager.default.createFile(atPath: target, contents: original))
        var broken = RecurrentModel.random(cell: .lstm, inputSize: 2, hiddenSize: 3, seed: 17)
        broken.layers[0].forward.weightHH.removeLast()
        assertGateError(["\(target): cannot save the model: weight_hh_l0 has 35 values, expected [12, 3]"]) {
            try ModelFile.save(broken, to: target)
        }
        XCTAssertEqual(FileManager.default.contents(atPath: target), original)
        assertGateError(["\(directory.path): cannot write: is a directory"]) {
            try ModelFile.save(RecurrentModel.random(cell: .rnn, inputSize: 1, hiddenSize: 1, seed: 1), to: directory.path)
        }
        assertGateError(["cannot write: directory", "does not exist"]) {
            try ModelFile.save(RecurrentModel.random(cell: .rnn, inputSize: 1, hiddenSize: 1, seed: 1), to: path("none/m.safetensors"))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["model.safetensors"])
        // A good save replaces the file and leaves nothing else behind.
        let model = RecurrentModel.random(cell: .gru, inputSize: 2, hiddenSize: 3, seed: 18)
        try ModelFile.save(model, to: target)
        XCTAssertEqual(try ModelFile.load(path: target), model)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["model.safetensors"])
    }

    // MARK: Validation

    func testValidateChecksEverySize() {
        let good = RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 4, layers: 2, outputSize: 2, seed: 19)
        XCTAssertNoThrow(try good.validate())
        func assertInvalid(_ fragment: String, line: UInt = #line, _ change: (inout RecurrentModel) -> Void) {
            var model = good
            change(&model)
            assertGateError([fragment], line: line) { try model.validate() }
        }
        assertInvalid("the model has no layers") { $0.layers = [] }
        assertInvalid("layer 1 (the _l0 tensors) has hidden size 0, expected at least 1") { $0.layers[0].forward.hiddenSize = 0 }
        assertInvalid("input size must be at least 1, got 0") { $0.layers[0].forward.inputSize = 0 }
        assertInvalid("weight_ih_l1 has 64 values, expected [20, 4]") { $0.layers[1].forward.hiddenSize = 5 }
        assertInvalid("layer 2 (the _l1 tensors) has input size 3, expected 4") { $0.layers[1].forward.inputSize = 3 }
        assertInvalid("weight_ih_l1 has 63 values, expected [16, 4]") { $0.layers[1].forward.weightIH.removeLast() }
        assertInvalid("bias_hh_l0 has 17 values, expected [16]") { $0.layers[0].forward.biasHH?.append(0) }
        assertInvalid("bias_ih_l1 is present but bias_hh_l1 is missing") { $0.layers[1].forward.biasHH = nil }
        assertInvalid("layer 2 (the _l1 tensors) has no biases but layer 1 has") { $0.layers[1].forward.biasHH = nil; $0.layers[1].forward.biasIH = nil }
        assertInvalid("head.weight reads 3 inputs, but the last layer outputs 4") { $0.head?.inputSize = 3 }
        assertInvalid("head.bias has 1 value, expected [2]") { $0.head?.bias = [0] }
        assertInvalid("vocab has 2 symbols but the input size is 3") { $0.vocab = ["a", "b"] }
        assertInvalid("weight_hh_l1 has a non-finite value (inf) at [0, 1]") { $0.layers[1].forward.weightHH[1] = .infinity }
    }

    func testCheckSizesRefusesBeforeAllocating() throws {
        XCTAssertEqual(try RecurrentModel.checkSizes(cell: .lstm, inputSize: 3, hiddenSize: 5, layers: 2, outputSize: 2),
                       RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 5, layers: 2, outputSize: 2, seed: 0).parameterCount)
        assertGateError(["hidden size must be at least 1, got 0"]) {
            try RecurrentModel.checkSizes(cell: .gru, inputSize: 3, hiddenSize: 0, layers: 1)
        }
        assertGateError(["layer count must be at least 1, got -2"]) {
            try RecurrentModel.checkSizes(cell: .gru, inputSize: 3, hiddenSize: 2, layers: -2)
        }
        assertGateError(["parameters; gatescope allows at most 100,000,000"]) {
            try RecurrentModel.checkSizes(cell: .lstm, inputSize: Int.max, hiddenSize: Int.max, layers: Int.max)
        }
    }

    // MARK: Inspect

    func testReportNamesEverythingWithinEightyColumns() throws {
        var model = RecurrentModel.random(cell: .gruResetBefore, inputSize: 40, hiddenSize: 6, layers: 2, outputSize: 40, seed: 20)
        let vocab = Array("abcdefghijklmnopqrstuvwxyz .,;:!?'\"\n\t-()")
        model.vocab = vocab
        model.metadata = ["task": "copy", "long": String(repeating: "x", count: 200)]
        try ModelFile.save(model, to: path("m.safetensors"))
        let report = try ModelFile.report(path: path("m.safetensors"))
        let lines = report.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertTrue(lines.allSatisfy { $0.count <= 80 }, report)
        let expected = [
            "cell         gru-reset-before — GRU (reset before), from __metadata__",
            "input size   40", "hidden size  6", "layers       2", "bias         yes",
            // 3·(6·40 + 6·6 + 12) + 3·(6·6 + 6·6 + 12) = 1116 recurrent, 40·6 + 40 head.
            "parameters   1,396 (recurrent 1,116, head 280)",
            "mult-adds    1,044 per step (+ 240 in the head)",
            "head         6 → 40, y = W h + b",
            "vocab        40 symbols: \"abcdefghijklmnopqrstuvwxyz .,;:!?'\\\"\\n\\t-()\"",
            "weight_ih_l0  F32    [18, 40]", "head.bias     F32    [40]",
            "task   = copy", "(200 characters)",
        ]
        for fragment in expected {
            XCTAssertTrue(report.contains(fragment), "missing \(fragment) in\n\(report)")
        }
        XCTAssertEqual(model.parameterCount, 1396)
        XCTAssertEqual(model.multiplyAddsPerStep, 1044)
    }

    func testLongVocabWrapsWithoutSplittingEscapes() throws {
        let symbols = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\n\t\r\"αβγδεζηθικλμνξοπρστυφχψω")
        var model = RecurrentModel.random(cell: .lstm, inputSize: symbols.count, hiddenSize: 2, seed: 22)
        model.vocab = symbols
        try ModelFile.save(model, to: path("v.safetensors"))
        let report = try ModelFile.report(path: path("v.safetensors"))
        let lines = report.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.allSatisfy { $0.count <= 80 }, report)
        guard let first = lines.firstIndex(where: { $0.hasPrefix("  vocab") }) else { return XCTFail(report) }
        let continued = lines[(first + 1)...].prefix { $0.hasPrefix(String(repeating: " ", count: 15)) }
        XCTAssertFalse(continued.isEmpty, "the vocab should wrap:\n\(report)")
        let joined = ([lines[first]] + continued).map { String($0.dropFirst(15)) }.joined()
        XCTAssertEqual(joined, "\(symbols.count) symbols: \"" + symbols.map { ModelFile.escaped(String($0)) }.joined() + "\"")
        // No line ends inside an escape (the vocab holds no backslash itself).
        XCTAssertFalse(([lines[first]] + continued).contains { $0.hasSuffix("\\") }, report)
    }

    func testReportMarksTensorsTheModelDoesNotUse() throws {
        let model = RecurrentModel.random(cell: .rnn, inputSize: 2, hiddenSize: 3, seed: 21)
        let bytes = try SafeTensorsFile.encode(stateDict(model, prefix: "net.rnn.")
            + [tensor("net.embedding.weight", [5, 2]), tensor("net.norm.scale", [3])], metadata: [:])
        XCTAssertTrue(FileManager.default.createFile(atPath: path("p.safetensors"), contents: Data(bytes)))
        let report = try ModelFile.report(path: path("p.safetensors"))
        XCTAssertTrue(report.contains("net.embedding.weight  F32    [5, 2]  embedding"), report)
        XCTAssertTrue(report.contains("net.rnn.weight_hh_l0  F32    [3, 3]  layer 1"), report)
        XCTAssertTrue(report.contains("net.norm.scale        F32    [3]     (not used)"), report)
        XCTAssertTrue(report.contains("embedding    5 tokens × 2: x is the token's row"), report)
        XCTAssertTrue(report.contains("prefix       net.rnn."), report)
        XCTAssertTrue(report.contains("rnn — RNN, from the weight shapes"), report)
    }
}
