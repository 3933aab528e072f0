import Foundation
import XCTest

/// `gatescope compare` as a user runs it: refusals, JSON for scripts, kept models that open.
final class CompareCommandTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// The delay task's defaults separate the cells, as docs/training.md promises: the LSTM
    /// and the GRU reach the target, the plain RNN does not.
    func testDelayDefaultsShowThePlainRNNFailingWhereTheGatedCellsSucceed() throws {
        let result = try Gatescope.run(["compare", "--task", "delay"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("task delay, delay 20:") }, result.stdout)
        XCTAssertTrue(lines.contains { $0.contains("1 layer,") }, result.stdout)
        func row(_ cell: String) throws -> String { try XCTUnwrap(lines.first { $0.hasPrefix(cell + " ") }, result.stdout) }
        XCTAssertTrue(try row("LSTM").contains("1 of 1"), result.stdout)
        XCTAssertTrue(try row("GRU").contains("1 of 1"), result.stdout)
        XCTAssertTrue(try row("RNN").contains("0 of 1"), result.stdout)
    }

    private func assertRefused(_ arguments: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try Gatescope.run(arguments)
        XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stderr, "error: \(message)\n", "\(arguments)", file: file, line: line)
        XCTAssertEqual(result.stdout, "", file: file, line: line)
    }

    func testBadListsAndBadHybridStacksAreRefusedBeforeAnyWork() throws {
        try assertRefused(["compare", "--cells", "lstm,gru+"],
                          "--cells gru+: a '+' needs a cell kind on each side (one per layer, bottom first: gru+lstm)")
        try assertRefused(["compare", "--cells", "gru+foo"],
                          "--cells gru+foo: unknown cell \"foo\", expected one of lstm, gru, gru-reset-before, rnn, elman, gru-cho, gru-reset-after")
        try assertRefused(["compare", "--cells", "lstm,gru+lstm", "--layers", "3"],
                          "--layers 3 does not match --cells gru+lstm, whose '+' list sets 2 layers")
        try assertRefused(["compare", "--cells", "gru+lstm,lstm,gru+lstm"], "--cells names gru+lstm twice")
        try assertRefused(["train", "--cells", "gru,lstm", "--layers", "3", "-o", scratch.appendingPathComponent("m.safetensors").path],
                          "--layers 3 does not match the 2 kinds of --cells")
        try assertRefused(["compare", "--delay", "5,x"], "--delay 5,x: 'x' is not a whole number")
        try assertRefused(["compare", "--delay", "5,10", "--hidden", "4,8"], "sweep one setting at a time: --delay and --hidden both have lists")
        try assertRefused(["compare", "--delay", "5,0"], "--delay must be at least 1, got 0")
        try assertRefused(["compare", "--seeds", "0"], "--seeds must be at least 1, got 0")
        try assertRefused(["compare", "--jobs", "0"], "--jobs must be from 1 to 64, got 0")
        try assertRefused(["train", "--delay", "5,10", "-o", scratch.appendingPathComponent("m.safetensors").path],
                          "--delay takes one value here; a list of values is for gatescope compare")
        try assertRefused(["compare", "--keep", "/dev/null"], "--keep /dev/null: not a folder")
    }

    func testJSONHasEveryRunAndKeptModelsOpenOnTheirTaskSequence() throws {
        let folder = scratch.appendingPathComponent("kept").path
        let result = try Gatescope.run(["compare", "--task", "sign", "--delay", "2,3", "--cells", "gru,lstm", "--seeds", "2",
                                        "--steps", "10", "--hidden", "3", "--json", "--keep", folder])
        XCTAssertEqual(result.status, 0, result.stderr)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let runs = try XCTUnwrap(document["runs"] as? [[String: Any]])
        XCTAssertEqual(runs.count, 8)
        XCTAssertEqual(Set(runs.compactMap { $0["seed"] as? Int }), [1, 2])
        XCTAssertEqual(Set(runs.compactMap { $0["delay"] as? Int }), [2, 3])
        XCTAssertTrue(runs.allSatisfy { ($0["losses"] as? [Any])?.count == 10 && $0["secondsPerUpdate"] is Double })
        // Every run's model is in the folder, and each opens in `trace` on the demo CSV beside it.
        let file = try XCTUnwrap(runs.first?["file"] as? String)
        XCTAssertTrue(file.hasPrefix(folder))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        XCTAssertEqual(files.filter { $0.hasSuffix(".safetensors") }.count, 8)
        XCTAssertEqual(Set(files.filter { $0.hasSuffix(".csv") }), ["sign-delay2-demo.csv", "sign-delay3-demo.csv"])
        let delay = try XCTUnwrap(runs.first?["delay"] as? Int)
        let trace = try Gatescope.run(["trace", "--model", file, "--input", "\(folder)/sign-delay\(delay)-demo.csv"])
        XCTAssertEqual(trace.status, 0, trace.stderr)
    }

    func testTheTableSaysHowToOpenAKeptModel() throws {
        let folder = scratch.appendingPathComponent("kept").path
        let result = try Gatescope.run(["compare", "--delay", "3", "--train-size", "40", "--steps", "10", "--hidden", "3",
                                        "--keep", folder])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("epochs to target"), result.stdout)
        XCTAssertTrue(result.stdout.contains("training recall accuracy"), result.stdout)
        XCTAssertTrue(result.stdout.contains("GRU against the LSTM: 23 % fewer parameters"), result.stdout) // 111 against 144
        XCTAssertTrue(result.stdout.contains("3 models written to \(folder)"), result.stdout)
        XCTAssertTrue(result.stdout.contains("gatescope show --model \(folder)/lstm-delay-delay3-h3-n40-seed1.safetensors --input \(folder)/delay-delay3-demo.csv"), result.stdout)
    }

    /// A hybrid entry competes like a kind: its row, its cost line, its JSON record with the
    /// kind of each layer, and its kept model, which opens on the demo sequence.
    func testAHybridStackCompetesAndItsKeptModelOpens() throws {
        let folder = scratch.appendingPathComponent("kept").path
        let arguments = ["compare", "--cells", "lstm,gru+lstm", "--delay", "3", "--steps", "10", "--hidden", "3", "--keep", folder]
        let table = try Gatescope.run(arguments)
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("hidden 3, 1 layer, GRU+LSTM 2 layers, seed 1;"), table.stdout)
        let lines = table.stdout.split(separator: "\n").map(String.init)
        let row = try XCTUnwrap(lines.first { $0.hasPrefix("GRU+LSTM ") }, table.stdout)
        // G·(H·I + H·H + 2H) per layer (docs' formula) and the head: a GRU layer 6→3, an LSTM layer 3→3, 3 classes.
        let parameters = 3 * (3 * 6 + 3 * 3 + 2 * 3) + 4 * (3 * 3 + 3 * 3 + 2 * 3) + (3 * 3 + 3)
        XCTAssertEqual(row.split(separator: " ").dropFirst().first.map(String.init), String(parameters), row)
        XCTAssertTrue(table.stdout.contains("GRU+LSTM against the LSTM: "), table.stdout)

        let json = try Gatescope.run(arguments + ["--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(document["cells"] as? [String], ["lstm", "gru+lstm"])
        let runs = try XCTUnwrap(document["runs"] as? [[String: Any]])
        let hybrid = try XCTUnwrap(runs.first { $0["cell"] as? String == "gru+lstm" })
        XCTAssertEqual(hybrid["stack"] as? [String], ["gru", "lstm"])
        XCTAssertEqual(hybrid["layers"] as? Int, 2)
        XCTAssertEqual(hybrid["parameters"] as? Int, parameters)
        let file = try XCTUnwrap(hybrid["file"] as? String)
        XCTAssertEqual(file, "\(folder)/gru+lstm-delay-delay3-h3-seed1.safetensors")
        let trace = try Gatescope.run(["trace", "--model", file, "--input", "\(folder)/delay-delay3-demo.csv"])
        XCTAssertEqual(trace.status, 0, trace.stderr)
    }

    /// Ctrl-C once a run has finished: the others stop after their update, no new one
    /// starts, and the table shows what finished.
    func testInterruptStopsTheRunsAndReportsWhatFinished() throws {
        let errURL = scratch.appendingPathComponent("stderr")
        let outURL = scratch.appendingPathComponent("stdout")
        try Data().write(to: errURL)
        try Data().write(to: outURL)
        let process = Process()
        process.executableURL = try Gatescope.binary()
        // Fast RNN runs first finish while the long LSTM runs are still going.
        process.arguments = ["compare", "--cells", "rnn,lstm", "--delay", "2", "--hidden", "2", "--seeds", "40",
                             "--steps", "2000", "--jobs", "1"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline,
              !(try String(contentsOf: errURL, encoding: .utf8)).contains("[1/80]") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.interrupt()
        process.waitUntilExit()
        let stdout = try String(contentsOf: outURL, encoding: .utf8)
        let stderr = try String(contentsOf: errURL, encoding: .utf8)
        XCTAssertEqual(process.terminationStatus, 0, stderr)
        XCTAssertTrue(stdout.contains("stopped: "), stdout)
        XCTAssertTrue(stdout.contains("of 80 runs finished"), stdout)
        XCTAssertTrue(stdout.contains("\nRNN "), stdout)
    }
}
