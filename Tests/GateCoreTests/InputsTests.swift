import Foundation
import XCTest
@testable import GateCore

final class InputsTests: XCTestCase {
    // MARK: CSV

    func testHeaderRowIsDetectedAndNamesTheColumns() throws {
        let sequence = try InputSequence.parseCSV(" a, b ,\"c\"\n1, 2.5 ,-3\n 4e-1,5,6 \n\n  \n", file: "d.csv", width: 3)
        XCTAssertEqual(sequence.values, [[1, 2.5, -3], [0.4, 5, 6]])
        XCTAssertEqual(sequence.labels, ["(1, 2.5, -3)", "(0.4, 5, 6)"])
        XCTAssertEqual(sequence.description, "d.csv: 2 steps, columns a, b, c")
    }

    func testAllNumericFirstRowIsData() throws {
        let sequence = try InputSequence.parseCSV("1,2\n3,4", file: "d.csv", width: 2)
        XCTAssertEqual(sequence.values, [[1, 2], [3, 4]])
        XCTAssertEqual(sequence.description, "d.csv: 2 steps")
    }

    func testWindowsLineEndingsAndByteOrderMarkReadTheSame() throws {
        let plain = try InputSequence.parseCSV("x,y\n1,2\n3,4\n", file: "d.csv", width: 2)
        let windows = try InputSequence.parseCSV("\u{FEFF}x,y\r\n1,2\r\n3,4\r\n", file: "d.csv", width: 2)
        XCTAssertEqual(windows, plain)
    }

    func testEveryCSVErrorNamesFileLineAndColumn() {
        let cases: [(text: String, message: String)] = [
            ("1,2,3\n4,5\n", "d.csv, line 2, column 3: missing value (the row has 2 columns, the rows above have 3)"),
            ("a,b,c\n1,2,3\n4,5,6,7\n", "d.csv, line 3, column 4: extra value (the row has 4 columns, the rows above have 3)"),
            ("1,2,3,4\n", "d.csv, line 1, column 4: extra value (the row has 4 columns, the model takes 3 inputs per step)"),
            ("a,b\n1,2\n", "d.csv, line 1, column 3: missing value (the row has 2 columns, the model takes 3 inputs per step)"),
            ("1,2,3\n1,x2,3\n", "d.csv, line 2, column 2: 'x2' is not a decimal number"),
            ("1,2,3\n0x10,2,3\n", "d.csv, line 2, column 1: '0x10' is not a decimal number"),
            ("1,2,3\n1,2,0x1p3\n", "d.csv, line 2, column 3: '0x1p3' is not a decimal number"),
            ("1,2,3\n1,1e,3\n", "d.csv, line 2, column 2: '1e' is not a decimal number"),
            ("1,2,3\n1,.,3\n", "d.csv, line 2, column 2: '.' is not a decimal number"),
            ("1,2,3\n1,+-1,3\n", "d.csv, line 2, column 2: '+-1' is not a decimal number"),
            ("1,2,3\n1,2,infinity\n", "d.csv, line 2, column 3: 'infinity' is not a finite number; NaN and infinities cannot be traced"),
            ("1,2,3\n1,2,-NaN\n", "d.csv, line 2, column 3: '-NaN' is not a finite number; NaN and infinities cannot be traced"),
            ("1,,3\n", "d.csv, line 1, column 2: empty field, a number is needed"),
            ("1,2,3\n1,2, nan\n", "d.csv, line 2, column 3: 'nan' is not a finite number; NaN and infinities cannot be traced"),
            ("1,2,3\n-inf,2,3\n", "d.csv, line 2, column 1: '-inf' is not a finite number; NaN and infinities cannot be traced"),
            ("1,2,3\n1,1e39,3\n", "d.csv, line 2, column 2: '1e39' is beyond float32's range (±3.4e38)"),
            ("1,2,3\n\n4,5,6\n", "d.csv, line 2: empty line; every line is one step (remove it)"),
            ("", "d.csv: the file is empty; it needs one row per step"),
            (" \n\n", "d.csv: the file is empty; it needs one row per step"),
            ("a,b,c\n", "d.csv: only a header row; it needs one row per step after it"),
            ("# made by numpy\n1,2,3\n", "d.csv, line 1: a line starting with # is not a comment in CSV input; remove it (every line is one step, the first may be a header of column names)"),
            ("1,2,3\n  #,2,3\n", "d.csv, line 2: a line starting with # is not a comment in CSV input; remove it (every line is one step, the first may be a header of column names)"),
            // A minus sign from a word processor: a value to correct, not a header's name.
            ("\u{2212}1,2,3\n", "d.csv, line 1, column 1: '\u{2212}1' has the sign U+2212, not the minus '-' a number needs; write -1"),
            ("1,2,3\n4,\u{2013}0.5e\u{2212}3,6\n", "d.csv, line 2, column 2: '\u{2013}0.5e\u{2212}3' has the sign U+2013, not the minus '-' a number needs; write -0.5e-3"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try InputSequence.parseCSV(text, file: "d.csv", width: 3), text) { error in
                XCTAssertEqual((error as? GateError)?.message, message, text)
            }
        }
    }

    func testEveryDecimalSpellingIsRead() throws {
        let sequence = try InputSequence.parseCSV("1,-2,+3\n.5,5.,-0.25\n1e3,2E-2,+1.5e+1\n", file: "d.csv", width: 3)
        XCTAssertEqual(sequence.values, [[1, -2, 3], [0.5, 5, -0.25], [1000, 0.02, 15]])
    }

    /// A file longer than the whole-trace budget is read: only its inputs are held for
    /// `trace` (which streams), and what holds the whole trace refuses it with a message
    /// that says so.
    func testACSVLongerThanTheTraceBudgetIsRead() throws {
        let model = RecurrentModel.random(cell: .lstm, inputSize: 1, hiddenSize: 500, seed: 1)
        // 500·10 + 1 values per step: the budget holds 13,419 steps.
        let limit = InputSequence.maxTraceValues / (500 * 10 + 1)
        let directory = try temporaryDirectory()
        let file = directory.appendingPathComponent("long.csv")
        try Data(String(repeating: "0.5\n", count: limit + 10).utf8).write(to: file)
        let sequence = try InputSource.csv(path: file.path).load(for: model)
        XCTAssertEqual(sequence.steps, limit + 10)
        XCTAssertThrowsError(try InputSequence.checkTraceSize(model: model, steps: sequence.steps, heldFor: "the visualizer")) {
            let message = ($0 as? GateError)?.message ?? ""
            XCTAssertTrue(message.hasPrefix("too large: \(limit + 10) steps"), message)
            XCTAssertTrue(message.contains("held at once for the visualizer"), message)
        }
    }

    /// The step count the budget sees first is the file's: every row, less a header only
    /// when the first row is one.
    func testTheFirstStepCountIsExact() throws {
        for (text, steps) in [("1\n2\n3\n", 3), ("x\n1\n2\n", 2), ("1\n2\n\n\n", 2), ("\u{FEFF}x\r\n1\r\n", 1)] {
            var counts: [Int] = []
            _ = try InputSequence.parseCSV(text, file: "d.csv", width: 1) { counts.append($0) }
            XCTAssertEqual(counts, [steps, steps], text)
        }
    }

    /// A device or pipe that never ends, or binary data, is refused while reading.
    func testBinaryAndEndlessInputsAreRefusedWhileReading() throws {
        XCTAssertThrowsError(try InputSequence.loadCSV(path: "/dev/zero", width: 1)) {
            XCTAssertEqual(($0 as? GateError)?.message, "/dev/zero: byte 1 is NUL, which text never holds; expected a CSV file, not binary data")
        }
        let directory = try temporaryDirectory()
        let long = directory.appendingPathComponent("long.csv")
        try Data(repeating: UInt8(ascii: "1"), count: InputSequence.maxCSVBytes + 1).write(to: long)
        XCTAssertThrowsError(try InputSequence.loadCSV(path: long.path, width: 1)) {
            XCTAssertEqual(($0 as? GateError)?.message, "\(long.path): more than 128 MiB, too large for a CSV file")
        }
    }

    /// Tab's variants meet the trace budget too: an RNN trace that fits may have an LSTM
    /// variant of the same sizes that does not (4H against 10H values per step; a GRU's 8H
    /// fit). The budget is of what is held at once: 1,000 steps, which fit no window.
    func testVariantsOfAnotherKindMeetTheTraceBudget() throws {
        let model = RecurrentModel.random(cell: .rnn, inputSize: 1, hiddenSize: 100, layers: 70, seed: 1)
        let inputs = try InputSequence.random(steps: 1000, width: 1, seed: 1)
        try InputSequence.checkTraceSize(model: model, steps: inputs.steps, heldFor: "the visualizer")
        let message = "too large: 1000 steps of a model with 70 layers of hidden size 100 need more than 67108864 values (256 MiB) held at once for the visualizer; use fewer steps, layers or hidden units (`gatescope trace` streams any length without --grad or a bidirectional layer)"
        let loaded = Scenario.loaded(model, name: "r.safetensors", inputs: inputs, seed: 0)
        let demo = BuiltinDemo.scenario(cell: .rnn, hidden: 100, layers: 70, seed: 0).replacingInputs(
            try InputSequence.random(steps: 1000, width: BuiltinDemo.inputSize, seed: 1))
        for scenario in [loaded, demo] {
            XCTAssertThrowsError(try XCTUnwrap(scenario.makeVariant)(.lstm)) {
                XCTAssertEqual(($0 as? GateError)?.message, message)
            }
            XCTAssertEqual(try XCTUnwrap(scenario.makeVariant)(.gru).model.cell, .gru)
        }
        // A longer sequence of one such layer is kept at checkpoints: its variants are built.
        let long = BuiltinDemo.scenario(cell: .rnn, hidden: 800, layers: 1, seed: 0).replacingInputs(
            try InputSequence.random(steps: 10_000, width: BuiltinDemo.inputSize, seed: 1))
        let lstm = try XCTUnwrap(long.makeVariant)(.lstm)
        XCTAssertEqual(lstm.model.cell, .lstm)
        XCTAssertNotEqual(TraceHolding.choose(model: lstm.model, steps: 10_000), .whole)
    }

    func testCSVFileErrorsNameThePath() throws {
        let directory = try temporaryDirectory()
        let missing = directory.appendingPathComponent("missing.csv").path
        XCTAssertThrowsError(try InputSequence.loadCSV(path: missing, width: 1)) {
            XCTAssertEqual(($0 as? GateError)?.message, "\(missing): no such file")
        }
        XCTAssertThrowsError(try InputSequence.loadCSV(path: directory.path, width: 1)) {
            XCTAssertEqual(($0 as? GateError)?.message, "\(directory.path): is a directory, not a CSV file")
        }
        let binary = directory.appendingPathComponent("binary.csv")
        try Data([0x31, 0xFF, 0xFE, 0x0A]).write(to: binary)
        XCTAssertThrowsError(try InputSequence.loadCSV(path: binary.path, width: 1)) {
            XCTAssertEqual(($0 as? GateError)?.message, "\(binary.path): not UTF-8 text")
        }
        let good = directory.appendingPathComponent("good.csv")
        try Data("t\n0.5\n-0.25\n".utf8).write(to: good)
        XCTAssertEqual(try InputSequence.loadCSV(path: good.path, width: 1).values, [[0.5], [-0.25]])
    }

    /// Random text built from the characters that matter to the parser either parses or
    /// throws a GateError; it never traps.
    func testArbitraryCSVTextNeverTraps() {
        let pieces = ["1", "-", "e", "9", "99999999999999999999999", "nan", "inf", ".", ",", ",", "\n", "\n",
                      "\r\n", " ", "\t", "a", "\"", "0x1p3", "é", "\u{FEFF}", "+", "1e-50",
                      "2,3\n"]  // a whole row, so that some texts parse
        var rng = SeededGenerator(seed: 42)
        var parsed = 0
        for _ in 0..<3000 {
            let count = Int(rng.next() % 24)
            let text = (0..<count).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            do {
                let sequence = try InputSequence.parseCSV(text, file: "f.csv", width: 2)
                XCTAssertTrue(sequence.values.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isFinite) }, text)
                parsed += 1
            } catch {
                XCTAssertTrue(error is GateError, "\(text): \(error)")
            }
        }
        XCTAssertGreaterThan(parsed, 0)
    }

    // MARK: Text

    func testTextIsOneHotOverTheVocabulary() throws {
        let vocab: [Character] = ["a", "b", " ", "é"]
        let sequence = try InputSequence.oneHot("ba é", vocab: vocab)
        XCTAssertEqual(sequence.values, [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        XCTAssertEqual(sequence.labels, ["'b'", "'a'", "' '", "'é'"])
    }

    func testCharacterOutsideTheVocabularyIsNamedWithItsPosition() {
        XCTAssertThrowsError(try InputSequence.oneHot("abzc", vocab: ["a", "b", "c", "\n"])) {
            XCTAssertEqual(($0 as? GateError)?.message,
                           "--text: 'z' at position 3 is not in the model's vocabulary \"abc\\n\"")
        }
        XCTAssertThrowsError(try InputSequence.oneHot("a\tb", vocab: ["a", "b"])) {
            XCTAssertEqual(($0 as? GateError)?.message,
                           "--text: '\\t' at position 2 is not in the model's vocabulary \"ab\"")
        }
        XCTAssertThrowsError(try InputSequence.oneHot("", vocab: ["a"])) {
            XCTAssertEqual(($0 as? GateError)?.message, "--text is empty; give at least one character")
        }
    }

    func testTextNeedsAVocabularyThatMatchesTheInputSize() {
        let numeric = RecurrentModel.random(cell: .gru, inputSize: 3, hiddenSize: 2, seed: 1)
        XCTAssertThrowsError(try InputSource.text("ab").load(for: numeric)) {
            XCTAssertTrue(($0 as? GateError)?.message.hasPrefix("--text needs a model with a vocabulary") ?? false)
        }
        var mismatched = numeric
        mismatched.vocab = ["a", "b"]
        XCTAssertThrowsError(try InputSource.text("ab").load(for: mismatched)) {
            XCTAssertEqual(($0 as? GateError)?.message,
                           "the model's vocabulary has 2 symbols but the model takes 3 inputs per step")
        }
        var textModel = numeric
        textModel.vocab = ["x", "y", "z"]
        XCTAssertEqual(try InputSource.text("zx").load(for: textModel).values, [[0, 0, 1], [1, 0, 0]])
    }

    // MARK: Random

    func testRandomInputIsDeterministicPerSeedAndInRange() throws {
        let a = try InputSequence.random(steps: 50, width: 3, seed: 7)
        let b = try InputSequence.random(steps: 50, width: 3, seed: 7)
        let c = try InputSequence.random(steps: 50, width: 3, seed: 8)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a.values, c.values)
        XCTAssertEqual(a.values.count, 50)
        XCTAssertTrue(a.values.allSatisfy { $0.count == 3 && $0.allSatisfy { $0 >= -1 && $0 < 1 } })
        // Spread over the whole interval, not a constant or a narrow band.
        let flat = a.values.flatMap { $0 }
        XCTAssertLessThan(flat.min() ?? 0, -0.8)
        XCTAssertGreaterThan(flat.max() ?? 0, 0.8)
    }

    func testRandomInputDescriptionCountsItsSteps() throws {
        XCTAssertEqual(try InputSequence.random(steps: 1, width: 3, seed: 0).description,
                       "1 random step, uniform in [-1, 1), seed 0")
        XCTAssertEqual(try InputSequence.random(steps: 2, width: 3, seed: 0).description,
                       "2 random steps, uniform in [-1, 1), seed 0")
    }

    func testRandomInputDoesNotRepeatTheWeightsOfTheSameSeed() throws {
        let model = RecurrentModel.random(cell: .rnn, inputSize: 4, hiddenSize: 4, seed: 3)
        let inputs = try InputSequence.random(steps: 1, width: 4, seed: 3).values[0]
        // The weights are the first draws of the same seed scaled by 1/√H = 0.5.
        let firstWeights = model.layers[0].forward.weightIH.prefix(4).map { $0 * 2 }
        XCTAssertNotEqual(inputs, Array(firstWeights))
    }

    func testStepCountsBelowOneAreRefused() {
        let model = RecurrentModel.random(cell: .lstm, inputSize: 2, hiddenSize: 2, seed: 0)
        for steps in [0, -1, Int.min] {
            XCTAssertThrowsError(try InputSource.random(steps: steps, seed: 0).load(for: model)) {
                XCTAssertEqual(($0 as? GateError)?.message, "--random needs at least 1 step, got \(steps)")
            }
        }
    }

    func testTracesTooLargeForMemoryAreRefusedBeforeAllocating() {
        let model = RecurrentModel.random(cell: .lstm, inputSize: 2, hiddenSize: 64, seed: 0)
        // 64 units × (2·4 + 2) + 2 inputs = 642 values per step; 2^26 values hold 104 530 steps.
        XCTAssertNoThrow(try InputSequence.checkTraceSize(model: model, steps: 104_530, heldFor: "the visualizer"))
        for steps in [104_531, Int.max] {
            XCTAssertThrowsError(try InputSequence.checkTraceSize(model: model, steps: steps, heldFor: "the visualizer")) {
                XCTAssertTrue(($0 as? GateError)?.message.hasPrefix("too large: \(steps) steps of a model with 1 layer of hidden size 64") ?? false)
            }
        }
        // The inputs themselves (2 per step) are held for any use: 2^25 steps fit.
        XCTAssertThrowsError(try InputSource.random(steps: Int.max, seed: 0).load(for: model)) {
            XCTAssertEqual(($0 as? GateError)?.message, "too large to hold: \(Int.max) steps of 2 inputs need more than 67108864 values (256 MiB) held at once; use fewer steps")
        }
        XCTAssertNoThrow(try InputSequence.checkInputSize(model: model, steps: 1 << 25))
        XCTAssertThrowsError(try InputSequence.checkInputSize(model: model, steps: 1 << 25 + 1))
    }

    // MARK: Defaults and scenarios

    func testDefaultInputIsTheVocabularyForTextModelsElseSixteenRandomSteps() throws {
        var model = RecurrentModel.random(cell: .gru, inputSize: 3, hiddenSize: 2, seed: 0)
        XCTAssertEqual(InputSource.defaultInput(for: model, seed: 5), .random(steps: 16, seed: 5))
        model.vocab = ["h", "i", "!"]
        XCTAssertEqual(InputSource.defaultInput(for: model, seed: 5), .text("hi!"))
    }

    func testBuiltinDemoIsDeterministicAndItsVariantsKeepInputAndSeed() throws {
        let demo = BuiltinDemo.scenario(cell: .lstm, hidden: 5, layers: 2, seed: 9)
        XCTAssertEqual(demo.model, RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 5, layers: 2, seed: 9))
        XCTAssertEqual(demo.inputs.count, BuiltinDemo.steps)
        XCTAssertEqual(demo.stepLabels.count, BuiltinDemo.steps)
        XCTAssertTrue(demo.inputs.allSatisfy { $0.count == BuiltinDemo.inputSize })
        XCTAssertEqual(demo.stepLabels[2], "(1, 0, 0) pulse +1 on x0")
        XCTAssertEqual(demo.stepLabels[17], "(-1, 0, 0) pulse -1 on x0")

        let gru = try XCTUnwrap(demo.makeVariant)(.gru)
        XCTAssertEqual(gru.model, RecurrentModel.random(cell: .gru, inputSize: 3, hiddenSize: 5, layers: 2, seed: 9))
        XCTAssertEqual(gru.inputs, demo.inputs)
    }

    func testReplacedInputsCarryOverToVariants() throws {
        let custom = try InputSequence.random(steps: 4, width: 3, seed: 1)
        let scenario = BuiltinDemo.scenario(cell: .lstm, hidden: 2, layers: 1, seed: 0).replacingInputs(custom)
        XCTAssertEqual(scenario.inputs, custom.values)
        XCTAssertEqual(scenario.inputDescription, custom.description)
        let rnn = try XCTUnwrap(scenario.makeVariant)(.rnn)
        XCTAssertEqual(rnn.model.cell, .rnn)
        XCTAssertEqual(rnn.inputs, custom.values)
        XCTAssertEqual(rnn.stepLabels, custom.labels)
    }

    func testLoadedModelVariantsAreLabelledRandomAndTabReturnsToTheFile() throws {
        var file = RecurrentModel.random(cell: .gru, inputSize: 3, hiddenSize: 4, layers: 2, bias: false,
                                         outputSize: 3, seed: 11)
        file.vocab = ["a", "b", "c"]
        let inputs = try InputSequence.oneHot("abc", vocab: ["a", "b", "c"])
        let scenario = Scenario.loaded(file, name: "m.safetensors", inputs: inputs, seed: 2)
        XCTAssertEqual(scenario.model, file)
        XCTAssertEqual(scenario.modelName, "m.safetensors")
        XCTAssertEqual(scenario.variantNote(.gru), "the file's own weights")
        XCTAssertEqual(scenario.variantNote(.rnn), "random weights (seed 2), same sizes as the file's GRU")

        let rnn = try XCTUnwrap(scenario.makeVariant)(.rnn)
        XCTAssertEqual(rnn.model.cell, .rnn)
        XCTAssertEqual([rnn.model.inputSize, rnn.model.hiddenSize, rnn.model.layerCount], [3, 4, 2])
        XCTAssertFalse(rnn.model.hasBias)
        XCTAssertEqual(rnn.model.head?.outputSize, 3)
        XCTAssertEqual(rnn.model.vocab, file.vocab)
        XCTAssertEqual(rnn.modelName, "random RNN weights, seed 2 (sizes of m.safetensors)")
        XCTAssertEqual(rnn.inputs, inputs.values)
        XCTAssertEqual(rnn.variantNote(.lstm), "random weights (seed 2), same sizes as the file's GRU")
        XCTAssertEqual(try XCTUnwrap(rnn.makeVariant)(.lstm).variantNote(.gru), "the file's own weights")

        let back = try XCTUnwrap(rnn.makeVariant)(.gru)
        XCTAssertEqual(back.model, file)
        XCTAssertEqual(back.modelName, "m.safetensors")
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-inputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}
