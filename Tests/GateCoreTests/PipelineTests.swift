import XCTest
@testable import GateCore

/// The pipeline's parts beyond a plain stack: token inputs, the JSON trace's additions,
/// files that hold them, and the refusals around them. (Their numbers against PyTorch are
/// in ModelFixtureTests.)
final class PipelineTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-pl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try FileManager.default.removeItem(at: directory)
    }

    private func write(_ text: String, _ name: String) -> String {
        let path = directory.appendingPathComponent(name).path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        return path
    }

    /// Embedding(6, 3) → bidirectional LSTM(3, 4, proj 2) → GRU(4, 5) → head(5 → 2).
    private func pipeline(seed: UInt64 = 1) -> RecurrentModel {
        var model = RecurrentModel.random(cells: [.lstm], inputSize: 3, hiddenSize: 4, bidirectional: true,
                                          projectionSize: 2, seed: seed)
        let top = RecurrentModel.random(cells: [.gru], inputSize: 4, hiddenSize: 5, outputSize: 2, seed: seed + 1)
        model.layers += top.layers
        model.head = top.head
        var rng = SeededGenerator(seed: seed)
        model.embedding = Embedding(vocabularySize: 6, dimension: 3, weight: (0..<18).map { _ in rng.uniform(-1, 1) })
        return model
    }

    // MARK: Forward

    func testTheReversePassStepsFromTheEndAndTheNextLayerReadsBothDirections() throws {
        let model = pipeline()
        XCTAssertNoThrow(try model.validate())
        let trace = try model.trace(tokens: [1, 4, 0])
        XCTAssertEqual(trace.inputs, try model.embeddingRows([1, 4, 0]))
        XCTAssertEqual(trace.inputs[1], Array(model.embedding?.weight[12..<15] ?? []))
        // The reverse direction's first step is the last one: its state comes from h0 = 0.
        XCTAssertEqual(trace.previousStep(2, direction: .reverse), nil)
        XCTAssertEqual(Array(trace.previousHidden(t: 2, layer: 0, direction: .reverse)), [0, 0])
        XCTAssertEqual(trace.previousHidden(t: 0, layer: 0, direction: .reverse), trace.hidden(t: 1, layer: 0, direction: .reverse))
        // A one-step run of the reverse direction alone gives the reverse h at the last step.
        var reverseOnly = RecurrentModel(layers: [RecurrentLayer(cell: .lstm, forward: try XCTUnwrap(model.layers[0].reverse))])
        reverseOnly.embedding = model.embedding
        let alone = try reverseOnly.trace(tokens: [0])
        XCTAssertEqual(alone.hidden(t: 0, layer: 0), trace.hidden(t: 2, layer: 0, direction: .reverse))
        // Layer 1 reads [forward h, reverse h], and the projected h has 2 units beside 4 of o ⊙ tanh(c).
        XCTAssertEqual(trace.layerInput(t: 1, layer: 1),
                       Array(trace.hidden(t: 1, layer: 0)) + Array(trace.hidden(t: 1, layer: 0, direction: .reverse)))
        XCTAssertEqual(trace.hidden(t: 0, layer: 0).count, 2)
        let filtered = trace.hiddenBeforeProjection(t: 0, layer: 0)
        let o = trace.gate(.output, t: 0, layer: 0), c = trace.cellState(t: 0, layer: 0)
        for u in 0..<4 {
            XCTAssertEqual(filtered[filtered.startIndex + u], o[o.startIndex + u] * tanhStable(c[c.startIndex + u]), accuracy: 1e-6)
        }
        XCTAssertEqual(trace.hidden(t: 0, layer: 1).count, 5)
        XCTAssertEqual(trace.output(t: 2).count, 2)
    }

    func testReluRNNClampsAtZero() throws {
        var model = RecurrentModel.random(cell: .rnn, inputSize: 2, hiddenSize: 6, seed: 3)
        model.layers[0].nonlinearity = .relu
        let trace = try model.trace([[1, -1], [-2, 0.5]])
        for t in 0..<2 {
            let pre = trace.preactivation(block: 0, t: t, layer: 0)
            XCTAssertEqual(Array(trace.hidden(t: t, layer: 0)), pre.map { max($0, 0) })
        }
        model.layers[0].cell = .gru
        assertGateError(["layer 1 is a GRU with relu: only the RNN takes another nonlinearity"]) { try model.validate() }
    }

    func testInitialStatesHaveOneSlotPerLayerAndDirection() throws {
        let model = pipeline()
        // h0: 2 directions × 2 (projected) + 5; c0: the LSTM layer's 2 × 4.
        XCTAssertNoThrow(try model.trace(tokens: [1], initialHidden: [Float](repeating: 0.5, count: 9),
                                         initialCell: [Float](repeating: 0.5, count: 8)))
        assertGateError(["initial h has 10 values, expected 9"]) {
            _ = try model.trace(tokens: [1], initialHidden: [Float](repeating: 0, count: 10))
        }
    }

    // MARK: Token inputs

    func testTokenIdsNameTheOneOutsideTheTable() throws {
        let model = pipeline()
        let sequence = try InputSource.tokens([5, 0]).load(for: model)
        XCTAssertEqual(sequence.tokens, [5, 0])
        XCTAssertEqual(sequence.labels, ["#5", "#0"])
        assertGateError(["--tokens: token id 6 at position 2 is outside the embedding's 6 rows (ids 0 to 5)"]) {
            _ = try InputSource.tokens([1, 6]).load(for: model)
        }
        assertGateError(["--tokens: 'x' at position 2 is not a token id"]) { _ = try InputSequence.parseTokenList("3, x") }
        assertGateError(["--tokens: token id -1 at position 1 is outside the embedding's 6 rows"]) {
            _ = try InputSource.tokens(InputSequence.parseTokenList("-1")).load(for: model)
        }
        let numeric = RecurrentModel.random(cell: .gru, inputSize: 2, hiddenSize: 3, seed: 1)
        assertGateError(["--tokens gives token ids to an embedding, and this model has none"]) {
            _ = try InputSource.tokens([1]).load(for: numeric)
        }
        assertGateError(["--vocab names the rows of an embedding, and this model has none"]) {
            _ = try InputSource.random(steps: 2, seed: 0).load(for: numeric, vocabulary: Vocabulary(tokens: ["a"], origin: "v"))
        }
    }

    func testTextGoesThroughTheVocabularyWordByWordOrCharacterByCharacter() throws {
        let model = pipeline()
        let words = try Vocabulary.load(path: write("<pad>\nthe\nfilm\nwas\ngood\nbad\n", "words.txt"))
        XCTAssertTrue(words.splitsOnWhitespace)
        let sequence = try InputSource.text("the film  was\tgood").load(for: model, vocabulary: words)
        XCTAssertEqual(sequence.tokens, [1, 2, 3, 4])
        XCTAssertEqual(sequence.tokenNames, ["the", "film", "was", "good"])
        XCTAssertEqual(sequence.labels.first, "'the'")
        assertGateError(["--text: 'great' at position 3 is not in the vocabulary (words.txt, 6 tokens)"]) {
            _ = try InputSource.text("the film great").load(for: model, vocabulary: words)
        }
        var characters = model
        characters.vocab = Array("abcdef")
        XCTAssertEqual(try InputSource.text("fab").load(for: characters).tokens, [5, 0, 1])
        assertGateError(["--text: 'z' at position 2 is not in the vocabulary (the model's vocab, 6 tokens)"]) {
            _ = try InputSource.text("az").load(for: characters)
        }
        assertGateError(["--text needs a vocabulary", "--vocab FILE"]) { _ = try InputSource.text("ab").load(for: model) }
        XCTAssertEqual(InputSource.defaultInput(for: model, seed: 0), .tokens([0, 1, 2, 3, 4, 5]))
    }

    func testVocabularyFilesRefuseLinesThatHideAnId() {
        assertGateError(["v.txt, line 2: empty line; every line names token id 1"]) {
            _ = try Vocabulary.load(path: write("a\n\nb\n", "v.txt"))
        }
        assertGateError(["w.txt, line 3: \"a\" is already token id 0 (line 1)"]) {
            _ = try Vocabulary.load(path: write("a\nb\na\n", "w.txt"))
        }
        assertGateError(["none.txt: cannot be read"]) { _ = try Vocabulary.load(path: directory.appendingPathComponent("none.txt").path) }
    }

    func testACSVOfIdsFeedsTheEmbedding() throws {
        let model = pipeline()
        XCTAssertEqual(try InputSource.csv(path: write("id\n3\n1\n", "ids.csv")).load(for: model).tokens, [3, 1])
        let fractional = write("3\n2.5\n", "bad.csv")
        assertGateError(["\(fractional), step 2: 2.5 is not a token id"]) { _ = try InputSource.csv(path: fractional).load(for: model) }
        let outside = write("3\n9\n", "far.csv")
        assertGateError(["\(outside): token id 9 at position 2 is outside the embedding's 6 rows"]) {
            _ = try InputSource.csv(path: outside).load(for: model)
        }
    }

    // MARK: Trace formats

    func testJSONCarriesTheStackTokensProjectionAndReverse() throws {
        var model = pipeline()
        model.vocab = Array("abcdef")
        let sequence = try InputSource.text("fa").load(for: model)
        let scenario = Scenario.loaded(model, name: "p.safetensors", inputs: sequence, seed: 0)
        XCTAssertNil(scenario.makeVariant, "a pipeline has no random twin of another kind")
        let trace = try scenario.trace()
        let text = try TraceFormat.json.render(trace, of: scenario)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(json["cell"] as? String, "hybrid")
        let stack = try XCTUnwrap(json["stack"] as? [[String: Any]])
        XCTAssertEqual(stack.count, 2)
        XCTAssertEqual(stack[0]["cell"] as? String, "lstm")
        XCTAssertEqual(stack[0]["bidirectional"] as? Bool, true)
        XCTAssertEqual(stack[0]["proj_size"] as? Int, 2)
        XCTAssertEqual(stack[1]["input_size"] as? Int, 4)
        XCTAssertEqual(stack[1]["proj_size"] as? Int, 0)
        let steps = try XCTUnwrap(json["steps"] as? [[String: Any]])
        XCTAssertEqual(steps[0]["token"] as? String, "f")
        XCTAssertEqual((steps[0]["x"] as? [NSNumber])?.map(\.floatValue), Array(model.embedding?.weight[15..<18] ?? []))
        let layers = try XCTUnwrap(steps[1]["layers"] as? [[String: Any]])
        XCTAssertEqual((layers[0]["h"] as? [NSNumber])?.map(\.floatValue), Array(trace.hidden(t: 1, layer: 0)))
        XCTAssertEqual((layers[0]["h_before_projection"] as? [NSNumber])?.map(\.floatValue),
                       Array(trace.hiddenBeforeProjection(t: 1, layer: 0)))
        let reverse = try XCTUnwrap(layers[0]["reverse"] as? [String: Any])
        XCTAssertEqual((reverse["h"] as? [NSNumber])?.map(\.floatValue), Array(trace.hidden(t: 1, layer: 0, direction: .reverse)))
        XCTAssertEqual(((reverse["gates"] as? [String: Any])?["forget"] as? [NSNumber])?.map(\.floatValue),
                       Array(trace.gate(.forget, t: 1, layer: 0, direction: .reverse)))
        XCTAssertNil(layers[1]["reverse"])
        XCTAssertNotNil(layers[1]["candidate_recurrent"])
        XCTAssertNil(layers[1]["c"])
        // Without a vocabulary the token is its id.
        let ids = Scenario.loaded(pipeline(), name: "p", inputs: try InputSource.tokens([4]).load(for: pipeline()), seed: 0)
        let idJSON = try TraceFormat.json.render(try ids.trace(), of: ids)
        XCTAssertTrue(idJSON.contains("\"token\":4,"), idJSON)
    }

    func testCSVRefusesLayersOfSeveralShapesAndTheTableShowsThem() throws {
        let model = pipeline()
        let scenario = Scenario.loaded(model, name: "p", inputs: try InputSource.tokens([1, 2]).load(for: model), seed: 0)
        let trace = try scenario.trace()
        assertGateError(["CSV has one row per unit", "layers of different kinds, a bidirectional layer, a projection: use --format json or table"]) {
            _ = try TraceFormat.csv.render(trace, of: scenario)
        }
        let table = try TraceFormat.table.render(trace, of: scenario)
        XCTAssertTrue(table.hasPrefix("LSTM → GRU, 2 layers, input 3, hidden 4, 5, 2 steps"), table)
        XCTAssertTrue(table.contains("    oc        h"), table)
        XCTAssertTrue(table.contains(" 1 rev"), table)
    }

    // MARK: Files

    func testPipelinesSurviveSaveAndLoad() throws {
        var model = pipeline()
        model.vocab = Array("abcdef")
        model.metadata = ["task": "demo"]
        let bytes = try ModelFile.encode(model)
        let file = try SafeTensorsFile(bytes: bytes, source: "p")
        XCTAssertEqual(file.metadata["modules"], "rnn0,rnn1")
        XCTAssertEqual(file.metadata["cell"], "lstm,gru")
        XCTAssertNotNil(file.tensor(named: "rnn0.weight_hr_l0_reverse"))
        XCTAssertNotNil(file.tensor(named: "embedding.weight"))
        XCTAssertEqual(try ModelFile.load(bytes: bytes, source: "p"), model)

        // Each layer's kind comes back from the metadata's list, the reset-before GRU included.
        let cho = RecurrentModel.random(cells: [.gru, .gruResetBefore, .lstm], inputSize: 2, hiddenSize: 3, seed: 3)
        XCTAssertEqual(try ModelFile.load(bytes: ModelFile.encode(cho), source: "c"), cho)

        var relu = RecurrentModel.random(cell: .rnn, inputSize: 2, hiddenSize: 3, layers: 2, seed: 2)
        relu.layers[0].nonlinearity = .relu
        relu.layers[1].nonlinearity = .relu
        XCTAssertEqual(try ModelFile.load(bytes: ModelFile.encode(relu), source: "r"), relu)
    }

    func testHybridModulesChainInTheOnlyOrderTheirSizesAllow() throws {
        // gru: 3 → 7, lstm: 7 → 5, written lstm first: only gru → lstm chains.
        let gru = RecurrentModel.random(cell: .gru, inputSize: 3, hiddenSize: 7, seed: 1)
        let lstm = RecurrentModel.random(cell: .lstm, inputSize: 7, hiddenSize: 5, outputSize: 2, seed: 2)
        func tensors(_ model: RecurrentModel, _ prefix: String) throws -> [SafeTensorsFile.F32Tensor] {
            let file = try SafeTensorsFile(bytes: ModelFile.encode(model), source: "")
            return try file.tensors.map {
                .init(name: $0.name.hasPrefix("head.") ? "out." + $0.name.dropFirst(5) : prefix + $0.name, shape: $0.shape,
                      values: try file.floats($0))
            }
        }
        let bytes = try SafeTensorsFile.encode(try tensors(lstm, "lstm.") + tensors(gru, "gru."), metadata: [:])
        let decoded = try ModelFile.decode(SafeTensorsFile(bytes: bytes, source: "h"), options: LoadOptions())
        XCTAssertEqual(decoded.model.layers.map(\.cell), [.gru, .lstm])
        XCTAssertEqual(decoded.modulePrefixes, ["gru.", "lstm."])
        XCTAssertEqual(decoded.model.head, lstm.head)
        XCTAssertNil(try ModelFile.decode(SafeTensorsFile(bytes: bytes, source: "h"), options: LoadOptions(noHead: true)).model.head)
        // Both 5 → 5: they chain both ways, and nothing says which runs first.
        let a = RecurrentModel.random(cell: .gru, inputSize: 5, hiddenSize: 5, seed: 1)
        let b = RecurrentModel.random(cell: .lstm, inputSize: 5, hiddenSize: 5, seed: 2)
        let same = try SafeTensorsFile.encode(try tensors(a, "gru.") + tensors(b, "lstm."), metadata: [:])
        assertGateError(["h: recurrent weights under several prefixes: gru (5 → 5), lstm (5 → 5); their sizes chain in both orders",
                         "choose one with --prefix NAME"]) {
            _ = try ModelFile.decode(SafeTensorsFile(bytes: same, source: "h"), options: LoadOptions())
        }
    }

    func testHeadsAreFoundByShapeAndAmbiguityIsAnError() throws {
        let model = RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 4, seed: 1)
        let base = try SafeTensorsFile(bytes: ModelFile.encode(model), source: "")
        let recurrent = try base.tensors.map { SafeTensorsFile.F32Tensor(name: "rnn." + $0.name, shape: $0.shape, values: try base.floats($0)) }
        func linear(_ name: String, _ rows: Int, _ cols: Int) -> [SafeTensorsFile.F32Tensor] {
            [.init(name: name + ".weight", shape: [rows, cols], values: [Float](repeating: 0.5, count: rows * cols)),
             .init(name: name + ".bias", shape: [rows], values: [Float](repeating: 0.25, count: rows))]
        }
        func decode(_ tensors: [SafeTensorsFile.F32Tensor], _ options: LoadOptions = LoadOptions()) throws -> ModelFile.Decoded {
            try ModelFile.decode(SafeTensorsFile(bytes: SafeTensorsFile.encode(tensors, metadata: [:]), source: "m"), options: options)
        }
        // fc1 reads the 4 outputs; fc2 reads fc1's 5 and is left unused.
        let mlp = try decode(recurrent + linear("classifier.fc1", 5, 4) + linear("classifier.fc2", 3, 5))
        XCTAssertEqual(mlp.model.head?.outputSize, 5)
        XCTAssertEqual(mlp.roles["classifier.fc1.weight"], "head")
        XCTAssertNil(mlp.roles["classifier.fc2.weight"])
        assertGateError(["m: several linear layers read the last layer's 4 outputs: fc, out; choose the head with --head PREFIX, or --no-head"]) {
            _ = try decode(recurrent + linear("fc", 2, 4) + linear("out", 3, 4))
        }
        XCTAssertEqual(try decode(recurrent + linear("fc", 2, 4) + linear("out", 3, 4), LoadOptions(headPrefix: "out")).model.head?.outputSize, 3)
        let table = SafeTensorsFile.F32Tensor(name: "emb.weight", shape: [7, 3], values: [Float](repeating: 1, count: 21))
        let other = SafeTensorsFile.F32Tensor(name: "tok.weight", shape: [9, 3], values: [Float](repeating: 1, count: 27))
        assertGateError(["m: several tensors could be the embedding (rows of 3, the first layer's input): emb.weight, tok.weight"]) {
            _ = try decode(recurrent + [table, other])
        }
    }

    // MARK: Building and training pipelines

    func testTrainingAPipelineLowersItsLossAndKeepsItsShape() throws {
        let task = try TrainingTask(kind: .delay, delay: 2, length: nil, textFile: nil)
        var config = TrainingConfig(task: task, cell: .lstm, hiddenSize: 6, steps: 40, batchSize: 8,
                                    evaluationInterval: 10, validationSize: 16)
        config.cells = [.gru, .lstm]
        config.layers = 2
        config.bidirectional = true
        config.projectionSize = 3
        try config.validate(for: task)
        let result = try Training.run(task: task, config: config)
        let model = result.best
        XCTAssertEqual(model.layers.map(\.cell), [.gru, .lstm])
        XCTAssertTrue(model.layers.allSatisfy(\.isBidirectional))
        XCTAssertEqual(model.layers.map(\.projectionSize), [0, 3])
        XCTAssertEqual(model.head?.inputSize, 6)
        // The forget bias starts at 1 in both directions of the LSTM layer.
        let untrained = try Training.run(task: task, config: { var c = config; c.steps = 1; c.learningRate = 1e-12; return c }()).best
        XCTAssertEqual(untrained.layers[1].reverse?.biasIH?[6...11].allSatisfy { abs($0 - 1) < 1e-6 }, true)
        XCTAssertLessThan(result.losses.last ?? .infinity, result.losses.first ?? 0)
    }

    func testPipelineSizesAreCheckedBeforeAnythingIsBuilt() throws {
        XCTAssertEqual(try RecurrentModel.checkSizes(cells: [.gru, .lstm], inputSize: 3, hiddenSize: 5, bidirectional: true,
                                                      projectionSize: 2, outputSize: 2),
                       RecurrentModel.random(cells: [.gru, .lstm], inputSize: 3, hiddenSize: 5, bidirectional: true,
                                             projectionSize: 2, outputSize: 2, seed: 0).parameterCount)
        assertGateError(["a projection (proj_size) is an LSTM's; this stack has no LSTM layer"]) {
            try RecurrentModel.checkSizes(cells: [.gru], inputSize: 3, hiddenSize: 5, projectionSize: 2)
        }
        assertGateError(["the projection size must be between 1 and the hidden size - 1 (4), got 5"]) {
            try RecurrentModel.checkSizes(cells: [.lstm], inputSize: 3, hiddenSize: 5, projectionSize: 5)
        }
    }

    // MARK: Refusals

    func testValidateRefusesPipelinesPyTorchCouldNotHold() {
        let good = pipeline()
        XCTAssertNoThrow(try good.validate())
        func assertInvalid(_ fragment: String, line: UInt = #line, _ change: (inout RecurrentModel) -> Void) {
            var model = good
            change(&model)
            assertGateError([fragment], line: line) { try model.validate() }
        }
        assertInvalid("embedding.weight has rows of 4 values, but the first layer reads 3") { $0.embedding?.dimension = 4 }
        assertInvalid("embedding.weight has no rows") { $0.embedding?.vocabularySize = 0 }
        assertInvalid("layer 1's reverse direction has other sizes than its forward direction") { $0.layers[0].reverse?.projection = nil }
        assertInvalid("layer 1's two directions differ in having biases") {
            $0.layers[0].reverse?.biasIH = nil
            $0.layers[0].reverse?.biasHH = nil
        }
        assertInvalid("layer 2 (the _l1 tensors) has input size 5, expected 4 (what the layer below outputs)") { $0.layers[1].forward.inputSize = 5 }
        assertInvalid("weight_hr_l1: only an LSTM layer has a projection, layer 2 is a GRU") {
            $0.layers[1].forward.projection = [Float](repeating: 0, count: 10)
        }
        assertInvalid("weight_hr_l0 has 16 values: a projection maps the 4 hidden units to between 1 and 3") {
            $0.layers[0].forward.projection = [Float](repeating: 0, count: 16)
            $0.layers[0].reverse?.projection = [Float](repeating: 0, count: 16)
        }
        assertInvalid("vocab has 2 symbols but the embedding has 6 rows") { $0.vocab = ["a", "b"] }
        assertInvalid("head.weight reads 5 inputs, but the last layer outputs 4") { $0.layers.removeLast() }
    }

    func testDecodeRefusalsNameTheFileAndWhatToDo() throws {
        func file(_ model: RecurrentModel, metadata: [String: String] = [:], dropping: String? = nil) throws -> SafeTensorsFile {
            let written = try SafeTensorsFile(bytes: ModelFile.encode(model), source: "")
            let tensors = try written.tensors.filter { $0.name != dropping }.map {
                SafeTensorsFile.F32Tensor(name: $0.name, shape: $0.shape, values: try written.floats($0))
            }
            return try SafeTensorsFile(bytes: SafeTensorsFile.encode(tensors, metadata: metadata), source: "p.safetensors")
        }
        let projected = RecurrentModel.random(cells: [.lstm, .lstm], inputSize: 3, hiddenSize: 5, projectionSize: 2, seed: 4)
        assertGateError(["p.safetensors: missing tensor weight_hr_l1 (layer 0 has a projection)"]) {
            _ = try ModelFile.decode(file(projected, dropping: "weight_hr_l1"), options: LoadOptions())
        }
        var tokens = pipeline()
        tokens.layers.removeLast()
        tokens.head = nil
        assertGateError(["p.safetensors: vocab in __metadata__ has 2 symbols but the embedding embedding has 6 rows"]) {
            _ = try ModelFile.decode(file(tokens, metadata: ["vocab": "ab"]), options: LoadOptions())
        }
        // Seven recurrent modules are too many to order by their sizes.
        let one = RecurrentModel.random(cell: .rnn, inputSize: 2, hiddenSize: 2, seed: 1)
        let written = try SafeTensorsFile(bytes: ModelFile.encode(one), source: "")
        let seven = try (0..<7).flatMap { m in
            try written.tensors.map { SafeTensorsFile.F32Tensor(name: "m\(m).\($0.name)", shape: $0.shape, values: try written.floats($0)) }
        }
        assertGateError(["s: recurrent weights under several prefixes: m0, m1, m2, m3, m4, m5, m6; choose one with --prefix NAME"]) {
            _ = try ModelFile.decode(SafeTensorsFile(bytes: SafeTensorsFile.encode(seven, metadata: [:]), source: "s"), options: LoadOptions())
        }
        // A module whose weight_hh is not a matrix has no sizes to chain.
        let flat = seven.prefix(4) + [SafeTensorsFile.F32Tensor(name: "m1.weight_ih_l0", shape: [4], values: [0, 0, 0, 0]),
                                      SafeTensorsFile.F32Tensor(name: "m1.weight_hh_l0", shape: [4], values: [0, 0, 0, 0])]
        assertGateError(["f: recurrent weights under several prefixes: m0, m1, and not every one has matrices to read its sizes from; choose one with --prefix NAME"]) {
            _ = try ModelFile.decode(SafeTensorsFile(bytes: SafeTensorsFile.encode(Array(flat), metadata: [:]), source: "f"), options: LoadOptions())
        }
    }

    func testAnEmbeddingLanguageModelReportsTheNextTokenLoss() throws {
        var model = pipeline()
        model.head = LinearHead(outputSize: 6, inputSize: 5, weight: (0..<30).map { Float($0 % 7) / 10 - 0.3 }, bias: nil)
        let trace = try model.trace(tokens: [3, 1, 4, 1])
        let report = try model.traceGradients(trace)
        XCTAssertEqual(report.gradientOf, "loss")
        XCTAssertEqual(report.flow, try model.backward(trace, loss: .crossEntropy(targets: [1, 4, 1, nil])).flow)
        // Without tokens (x given directly) there is no next token to score.
        XCTAssertEqual(try model.traceGradients(try model.trace(trace.inputs)).gradientOf, "last_state")
    }
}
