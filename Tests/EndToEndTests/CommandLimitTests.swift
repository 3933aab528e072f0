import Foundation
import XCTest

/// Options a user can get wrong: sizes that would exhaust memory, output paths, negative
/// numbers, an option of another command. Each is one `error:` line and a failure status,
/// before any work, never a crash.
final class CommandLimitTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-limits-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    private func fileType(_ path: String) -> mode_t {
        var status = stat()
        return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : 0
    }

    /// Runs gatescope and checks that it failed with exactly `message` on one line.
    private func assertRefused(_ arguments: [String], _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try Gatescope.run(arguments)
        XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stderr, "error: \(message)\n", "\(arguments)", file: file, line: line)
    }

    func testTrainingSizesBeyondTheLimitsAreRefusedBeforeAllocating() throws {
        let model = path("x.safetensors")
        try assertRefused(["train", "--batch", "99999999999", "-o", model], "--batch 99999999999 is more than 4096")
        try assertRefused(["train", "--batch", "10000000", "--steps", "1", "-o", model], "--batch 10000000 is more than 4096")
        try assertRefused(["compare", "--batch", "99999999999"], "--batch 99999999999 is more than 4096")
        try assertRefused(["train", "--steps", "99999999999", "-o", model], "--steps 99999999999 is more than 10000000")
        XCTAssertFalse(FileManager.default.fileExists(atPath: model))
    }

    /// The bench takes the trace and model limits every other command has.
    func testBenchSizesBeyondTheLimitsAreRefusedBeforeAllocating() throws {
        for arguments in [["bench", "--steps", "99999999999"], ["bench", "--hidden", "99999999"],
                          ["bench", "--train", "--hidden", "99999"], ["bench", "--cell", "rnn", "--steps", "99999999999"]] {
            let result = try Gatescope.run(arguments)
            XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "\(arguments)")
            XCTAssertTrue(result.stderr.hasPrefix("error: "), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(arguments): \(result.stderr)")
        }
        try assertRefused(["bench", "--steps", "99999999999"],
                          "too large: 99999999999 steps of a model with 1 layer of hidden size 8 need more than 67108864 values (256 MiB) held at once for a whole trace; use fewer steps, layers or hidden units (`gatescope trace` streams any length without --grad or a bidirectional layer)")
    }

    /// The budget of what is held at once holds whatever chose the input: the demo's own
    /// 24 steps, --random, --text, in every command that holds a whole trace (the
    /// visualizer); refused at once, before the model is built. `trace` streams, so only
    /// --grad (which runs backward from the last step) holds its whole trace.
    func testEveryPathToAWholeTraceMeetsTheSameSizeCheck() throws {
        let message = "too large: 24 steps of a model with 100000 layers of hidden size 8 need more than 67108864 values (256 MiB) held at once for the visualizer; use fewer steps, layers or hidden units (`gatescope trace` streams any length without --grad or a bidirectional layer)"
        for command in ["render", "show"] {
            for input in [[], ["--random", "24"], ["--demo", "random"]] {
                let arguments = [command, "--layers", "100000"] + input
                let started = Date()
                let result = try Gatescope.run(arguments, timeout: 20)
                XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)")
                XCTAssertEqual(result.stderr, "error: \(message)\n", "\(arguments)")
                XCTAssertLessThan(Date().timeIntervalSince(started), 5, "\(arguments)")
            }
        }
        // 512·10 + 3 values per step: 20,000 steps are over the budget.
        try assertRefused(["trace", "--demo", "random", "--hidden", "512", "--random", "20000", "--grad", "--format", "json"],
                          "too large: 20000 steps of a model with 1 layer of hidden size 512 need more than 67108864 values (256 MiB) held at once for --grad's backward pass; use fewer steps, layers or hidden units (`gatescope trace` streams any length without --grad or a bidirectional layer)")
    }

    /// A sequence whose whole trace passes the budget opens in the visualizer all the same,
    /// kept at checkpoints with a window held: 120,000 steps at H = 64 record 77M values
    /// (more than 256 MiB, refused before), and the last step renders in far less memory.
    func testALongSequenceOpensKeptAtCheckpoints() throws {
        let arguments = ["render", "--hidden", "64", "--random", "120000", "--step", "120000", "--width", "80", "--height", "24"]
        let (result, kilobytes, _) = try Gatescope.spawn(arguments.map { Array($0.utf8) })
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix(" gatescope  LSTM · 1 layer · in 3 · hidden 64"), result.stdout)
        XCTAssertTrue(result.stdout.contains("step 120000/120000"), result.stdout)
        XCTAssertLessThan(kilobytes, 200_000, "a window and the checkpoints, not the 300 MB trace")
    }

    /// A FIFO stands for every file that is not a regular one: the trace goes into it and
    /// it stays a FIFO (a rename would have replaced it with a regular file).
    func testTraceIntoAFIFOWritesThroughIt() throws {
        let fifo = path("pipe")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // Opened first and without blocking, so that gatescope can open the FIFO for writing;
        // this trace fits the pipe's buffer.
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        XCTAssertGreaterThanOrEqual(reader, 0)
        defer { close(reader) }
        let arguments = ["trace", "--format", "csv", "--cell", "rnn", "--hidden", "1", "--random", "3"]
        let result = try Gatescope.run(arguments + ["--output", fifo])
        XCTAssertEqual(result.status, 0, result.stderr)
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = read(reader, &buffer, buffer.count)
        XCTAssertEqual(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self), try Gatescope.run(arguments).stdout)
        XCTAssertEqual(fileType(fifo), S_IFIFO)
    }

    /// /dev/null is only written to here, by a build that writes non-regular files in place;
    /// the test checks that it is still the character device afterwards.
    func testTraceIntoDevNullLeavesTheDevice() throws {
        var status = stat()
        guard stat("/dev/null", &status) == 0, status.st_mode & S_IFMT == S_IFCHR else {
            throw XCTSkip("/dev/null is not a character device on this machine")
        }
        let result = try Gatescope.run(["trace", "--output", "/dev/null"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(stat("/dev/null", &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFCHR)
    }

    func testAReadOnlyOutputIsRefusedAndKept() throws {
        let target = path("kept.json")
        XCTAssertTrue(FileManager.default.createFile(atPath: target, contents: Data("earlier".utf8),
                                                    attributes: [.posixPermissions: 0o444]))
        try assertRefused(["trace", "--format", "json", "--output", target], "\(target) is read-only")
        try assertRefused(["init", "--cell", "rnn", "--input-size", "1", "--hidden", "1", "-o", target], "\(target) is read-only")
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "earlier")
    }

    /// The output path is checked before training, which would otherwise run its whole budget.
    func testTrainChecksTheOutputBeforeTraining() throws {
        try assertRefused(["train", "-o", ""], "the output file name is empty")
        try assertRefused(["train", "-o", scratch.path], "\(scratch.path): cannot write: is a directory")
        try assertRefused(["train", "-o", path("none/m.safetensors")],
                          "\(path("none/m.safetensors")): cannot write: directory \(path("none")) does not exist")
    }

    /// compare takes --cells; a --cell would otherwise be accepted and ignored.
    func testCompareRefusesCellAndPointsToCells() throws {
        let result = try Gatescope.run(["compare", "--cell", "gru", "--steps", "1", "--delay", "1"])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertTrue(result.stderr.hasPrefix("error: ") && result.stderr.contains("'--cells'"), result.stderr)
    }

    /// A negative number is a value, so the range check says what is wrong with it.
    func testNegativeNumbersGetTheRangeMessage() throws {
        try assertRefused(["init", "--cell", "lstm", "--input-size", "2", "--hidden", "-3", "-o", path("m.safetensors")],
                          "--hidden must be at least 1, got -3")
        try assertRefused(["train", "--hidden", "-3", "-o", path("m.safetensors")], "--hidden must be at least 1, got -3")
        try assertRefused(["compare", "--batch", "-2"], "--batch must be at least 1, got -2")
        try assertRefused(["bench", "--steps", "-5"], "--steps must be at least 1, got -5")
        try assertRefused(["train", "--log-every", "-1", "-o", path("m.safetensors")], "--log-every must be at least 1, got -1")
    }

    /// "-" (zoom out) is a documented key, so a key list may start with it.
    func testRenderKeysMayStartWithADash() throws {
        let zoomed = try Gatescope.run(["render", "--keys", "- -"])
        XCTAssertEqual(zoomed.status, 0, zoomed.stderr)
        let plain = try Gatescope.run(["render"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertNotEqual(zoomed.stdout, plain.stdout)
    }

    func testEveryCommandNamesAnUnknownCellTheSameWay() throws {
        let message = "unknown cell \"bogus\", expected one of lstm, gru, gru-reset-before, rnn, elman, gru-cho, gru-reset-after"
        try assertRefused(["trace", "--cell", "bogus"], message)
        try assertRefused(["train", "--cell", "bogus", "-o", path("m.safetensors")], message)
        try assertRefused(["compare", "--cells", "lstm,bogus"], message)
        try assertRefused(["bench", "--cell", "bogus"], message)
        try assertRefused(["init", "--cell", "bogus", "--input-size", "1", "--hidden", "1", "-o", path("m.safetensors")], message)
    }

    func testInitAndTrainRefusePipelinesTheyCannotBuild() throws {
        let target = path("m.safetensors")
        try assertRefused(["init", "--input-size", "2", "--hidden", "3", "-o", target],
                          "give --cell KIND, or --cells KIND,KIND,... for a hybrid stack")
        try assertRefused(["init", "--cell", "gru", "--cells", "gru,lstm", "--input-size", "2", "--hidden", "3", "-o", target],
                          "give --cell or --cells, not both")
        try assertRefused(["init", "--cells", "gru,lstm", "--layers", "3", "--input-size", "2", "--hidden", "3", "-o", target],
                          "--layers 3 does not match the 2 kinds of --cells")
        try assertRefused(["init", "--cell", "lstm", "--proj-size", "3", "--input-size", "2", "--hidden", "3", "-o", target],
                          "the projection size must be between 1 and the hidden size - 1 (2), got 3")
        try assertRefused(["train", "--cell", "gru", "--proj-size", "2", "-o", target],
                          "a projection (proj_size) is an LSTM's; this stack has no LSTM layer")
        XCTAssertFalse(FileManager.default.fileExists(atPath: target))
    }
}
