import Foundation
import GateCore
import XCTest

/// The real binary: exit statuses, streams, files, as a user or a script sees them.
final class TraceCommandTests: XCTestCase {
    /// An error that starts with a file name keeps the name's case: the file must be found
    /// by what the message says.
    func testAnErrorKeepsTheCaseOfTheFileName() throws {
        let name = "Missing-\(UUID().uuidString).pt"
        let result = try Gatescope.run(["inspect", name])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "error: \(name): no such file\n")
    }

    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-trace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func file(_ name: String, _ contents: String) throws -> String {
        let url = scratch.appendingPathComponent(name)
        try Data(contents.utf8).write(to: url)
        return url.path
    }

    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    // MARK: Success

    /// `gatescope trace` alone must never fail: it prints the trained LSTM delay demo.
    func testTraceAlonePrintsTheBuiltinDemo() throws {
        let result = try Gatescope.run(["trace"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stderr, "")
        let demo = try Demos.defaultScenario()
        XCTAssertTrue(result.stdout.hasPrefix("LSTM, 1 layer, input \(demo.model.inputSize), hidden \(demo.model.hiddenSize), \(demo.inputs.count) steps\n"), result.stdout)
        XCTAssertEqual(result.stdout.split(separator: "\n").filter { $0.hasPrefix("step ") }.count, demo.inputs.count)
    }

    /// `trace --grad` says what its norms are, and the README says the same of each
    /// `grad_of` value.
    func testGradOfIsExplainedAlikeInTheOutputAndTheREADME() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        for (demo, expected) in [("delay", "last_state"), ("text", "loss")] {
            let result = try Gatescope.run(["trace", "--demo", demo, "--format", "json", "--grad"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let trace = try json(result.stdout)
            XCTAssertEqual(trace["grad_of"] as? String, expected)
            let meaning = try XCTUnwrap(trace["grad_meaning"] as? String)
            XCTAssertEqual(meaning, TraceGradients.meaning(of: expected))
            XCTAssertTrue(readme.contains("- `\"\(expected)\"` ("), "the README lists grad_of \(expected)")
            let line = try XCTUnwrap(readme.split(separator: "\n").first { $0.hasPrefix("- `\"\(expected)\"`") })
            XCTAssertTrue(line.contains(meaning), "README: \(line)\noutput: \(meaning)")
        }
    }

    func testTraceTakesTheScenarioOptions() throws {
        let result = try Gatescope.run(["trace", "--cell", "gru", "--hidden", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("GRU, 1 layer, input 3, hidden 2, 24 steps\n"), result.stdout)
    }

    func testJSONTraceHasTheRequiredFieldsForEveryCell() throws {
        let gates = ["lstm": ["input", "forget", "candidate", "output"], "gru": ["reset", "update", "candidate"],
                     "gru-reset-before": ["reset", "update", "candidate"], "rnn": []]
        for (cell, gateNames) in gates {
            let result = try Gatescope.run(["trace", "--format", "json", "--cell", cell, "--hidden", "5", "--layers", "2"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let trace = try json(result.stdout)
            XCTAssertEqual(trace["cell"] as? String, cell)
            XCTAssertEqual(trace["input_size"] as? Int, 3)
            XCTAssertEqual(trace["hidden_size"] as? Int, 5)
            XCTAssertEqual(trace["layers"] as? Int, 2)
            let steps = try XCTUnwrap(trace["steps"] as? [[String: Any]])
            XCTAssertEqual(steps.count, 24)
            for (t, step) in steps.enumerated() {
                XCTAssertEqual(step["t"] as? Int, t)
                XCTAssertEqual((step["x"] as? [NSNumber])?.count, 3)
                let layers = try XCTUnwrap(step["layers"] as? [[String: Any]])
                XCTAssertEqual(layers.count, 2)
                for layer in layers {
                    let layerGates = try XCTUnwrap(layer["gates"] as? [String: [NSNumber]], cell)
                    XCTAssertEqual(layerGates.keys.sorted(), gateNames.sorted(), cell)
                    XCTAssertTrue(layerGates.values.allSatisfy { $0.count == 5 })
                    XCTAssertEqual((layer["h"] as? [NSNumber])?.count, 5)
                    XCTAssertEqual((layer["c"] as? [NSNumber])?.count, cell == "lstm" ? 5 : nil)
                }
            }
        }
    }

    func testRandomInputIsReproducibleFromItsSeed() throws {
        let first = try Gatescope.run(["trace", "--format", "csv", "--random", "6", "--seed", "3"])
        let again = try Gatescope.run(["trace", "--format", "csv", "--random", "6", "--seed", "3"])
        let other = try Gatescope.run(["trace", "--format", "csv", "--random", "6", "--seed", "4"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stdout, again.stdout)
        XCTAssertNotEqual(first.stdout, other.stdout)
        XCTAssertEqual(first.stdout.split(separator: "\n").count, 6 * 8 + 1)
    }

    func testCSVInputDrivesTheTrace() throws {
        let input = try file("steps.csv", "a,b,c\n1,0,0\n0, 0.5 ,0\n0,0,-1\n\n")
        let result = try Gatescope.run(["trace", "--format", "json", "--input", input, "--cell", "rnn", "--hidden", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let steps = try XCTUnwrap(try json(result.stdout)["steps"] as? [[String: Any]])
        XCTAssertEqual(steps.compactMap { $0["x"] as? [Double] }, [[1, 0, 0], [0, 0.5, 0], [0, 0, -1]])
    }

    func testOutputFileHoldsWhatStdoutWouldShow() throws {
        let target = scratch.appendingPathComponent("trace.json").path
        let written = try Gatescope.run(["trace", "--format", "json", "--cell", "gru", "--output", target])
        XCTAssertEqual(written.status, 0, written.stderr)
        XCTAssertEqual(written.stdout, "")
        let printed = try Gatescope.run(["trace", "--format", "json", "--cell", "gru"])
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), printed.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["trace.json"])
    }

    // MARK: Errors

    /// Every bad input: a non-zero exit, nothing on stdout, exactly one stderr line
    /// `error: …` naming the problem, and no output file (an existing one left intact).
    func testEveryBadInputGivesOneErrorLineAndWritesNothing() throws {
        let ragged = try file("ragged.csv", "1,2,3\n4,5,6\n7,8\n")
        let word = try file("word.csv", "x,y,z\n1,abc,3\n")
        let nan = try file("nan.csv", "1,2,NaN\n")
        let inf = try file("inf.csv", "1,2,3\n4,inf,6\n")
        let wide = try file("wide.csv", "1,2,3,4\n")
        let empty = try file("empty.csv", "")
        let cases: [(arguments: [String], message: String)] = [
            (["--cell", "lstmm"], "error: unknown cell \"lstmm\", expected one of lstm, gru, gru-reset-before, rnn"),
            (["--format", "xml"], "error: unknown format 'xml': expected one of table, csv, json"),
            (["--hidden", "0"], "error: --hidden must be at least 1, got 0"),
            (["--hidden", "-4"], "error: --hidden must be at least 1, got -4"),
            (["--hidden", "abc"], "error: the value 'abc' is invalid for '--hidden <hidden>'"),
            (["--hidden", "9999999999999999999999"], "error: the value '9999999999999999999999' is invalid"),
            (["--hidden", "100000"], "error: --hidden 100000 --layers 1: the built-in LSTM would have more than"),
            (["--layers", "0"], "error: --layers must be at least 1, got 0"),
            (["--layers", "-2"], "error: --layers must be at least 1, got -2"),
            (["--random", "0"], "error: --random needs at least 1 step, got 0"),
            (["--random", "-3"], "error: --random needs at least 1 step, got -3"),
            (["--random", "999999999999"], "error: too large to hold: 999999999999 steps of 6 inputs need more than 67108864 values"),
            (["--demo", "random", "--text", "abc"], "error: --text needs a model with a vocabulary"),
            (["--text", "abz"], "error: --text: 'z' at position 3 is not in the model's vocabulary \"abcxy?\""),
            (["--demo", "bogus"], "error: unknown demo 'bogus': expected one of delay, text, random"),
            (["--demo", "text", "--hidden", "4"], "error: --hidden and --layers size the random demo; the trained text demo has its own sizes"),
            (["--demo", "random", "--input", ragged], "error: \(ragged), line 3, column 3: missing value"),
            (["--demo", "random", "--input", word], "error: \(word), line 2, column 2: 'abc' is not a decimal number"),
            (["--demo", "random", "--input", nan], "error: \(nan), line 1, column 3: 'NaN' is not a finite number"),
            (["--demo", "random", "--input", inf], "error: \(inf), line 2, column 2: 'inf' is not a finite number"),
            (["--demo", "random", "--input", wide], "error: \(wide), line 1, column 4: extra value (the row has 4 columns, the model takes 3 inputs per step)"),
            (["--input", empty], "error: \(empty): the file is empty"),
            (["--input", scratch.appendingPathComponent("absent.csv").path], "absent.csv: no such file"),
            (["--input", ragged, "--random", "3"], "error: give one input, not --input and --random"),
            (["--layer", "2"], "error: --layer 2 is out of range: layers count from 1, and the model has 1 layer"),
            (["--layer", "0"], "error: --layer 0 is out of range: layers count from 1, and the model has 1 layer"),
            (["--model", "/nonexistent/m.safetensors"], "error: /nonexistent/m.safetensors"),
            (["--model", "/nonexistent/m.safetensors", "--hidden", "4"], "error: --hidden and --layers size the built-in model"),
            (["--head", "out."], "error: --head, --no-head, --prefix and --vocab describe a model file; give --model too"),
            (["--tokens", "1,2"], "error: --tokens gives token ids to an embedding, and this model has none"),
            (["--tokens", "1,x"], "error: --tokens: 'x' at position 2 is not a token id"),
            (["--seed", "-1"], "error: the value '-1' is invalid for '--seed <seed>'"),
            (["--bogus"], "error: unknown option '--bogus'"),
        ]
        let kept = try file("kept.json", "earlier contents")
        for (arguments, message) in cases {
            for output in [scratch.appendingPathComponent("new.json").path, kept] {
                let result = try Gatescope.run(["trace"] + arguments + ["--output", output])
                let context = arguments.joined(separator: " ")
                XCTAssertNotEqual(result.status, 0, context)
                XCTAssertEqual(result.stdout, "", context)
                XCTAssertTrue(result.stderr.hasPrefix("error: ") && result.stderr.contains(message), "\(context): \(result.stderr)")
                XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, "\(context): \(result.stderr)")
                XCTAssertTrue(result.stderr.hasSuffix("\n"), context)
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("new.json").path))
            XCTAssertEqual(try String(contentsOfFile: kept, encoding: .utf8), "earlier contents")
        }
        // Only the files this test made: no temporary files left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path).sorted(),
                       ["empty.csv", "inf.csv", "kept.json", "nan.csv", "ragged.csv", "wide.csv", "word.csv"])
    }

    func testUnwritableOutputIsAnErrorNamingThePath() throws {
        let target = scratch.appendingPathComponent("missing-dir/trace.csv").path
        let result = try Gatescope.run(["trace", "--format", "csv", "--output", target])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderr, "error: \(target): cannot write: directory \(scratch.path)/missing-dir does not exist\n")
    }

    func testHelpStillWorks() throws {
        let result = try Gatescope.run(["trace", "--help"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("--format"), result.stdout)
    }
}
