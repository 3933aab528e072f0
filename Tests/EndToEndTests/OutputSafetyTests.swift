import Foundation
import XCTest

/// No command destroys a file it reads: an output that is the same file as an input (by
/// name, through a symbolic link, or as a hard link) is refused before any work, and `init`
/// replaces an existing file only when told to.
final class OutputSafetyTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-safety-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    private func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// A small model file to read, written by `gatescope init`.
    private func makeModel(_ name: String) throws -> String {
        let model = path(name)
        let result = try Gatescope.run(["init", "--cell", "lstm", "--input-size", "2", "--hidden", "3", "-o", model])
        XCTAssertEqual(result.status, 0, result.stderr)
        return model
    }

    /// Runs `arguments`, expects exactly `message` as the one error line, and checks that
    /// `input` still holds what it held before.
    private func assertRefused(_ arguments: [String], _ message: String, keeps input: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let before = contents(input)
        XCTAssertNotNil(before, file: file, line: line)
        let result = try Gatescope.run(arguments)
        XCTAssertEqual(result.status, 1, "\(arguments): \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stderr, "error: \(message)\n", "\(arguments)", file: file, line: line)
        XCTAssertEqual(result.stdout, "", file: file, line: line)
        XCTAssertEqual(contents(input), before, "\(input) changed", file: file, line: line)
    }

    func testTraceRefusesToWriteOverItsModel() throws {
        let model = try makeModel("m.safetensors")
        try assertRefused(["trace", "--model", model, "--output", model],
                          "--output \(model) is the same file as --model \(model): writing it would destroy the input; choose another output file",
                          keeps: model)
        try assertRefused(["trace", "--model", model, "-o", model],
                          "--output \(model) is the same file as --model \(model): writing it would destroy the input; choose another output file",
                          keeps: model)
    }

    func testTraceRefusesToWriteOverItsInputCSV() throws {
        let model = try makeModel("m.safetensors")
        let csv = path("s.csv")
        try Data("1,2\n3,4\n".utf8).write(to: URL(fileURLWithPath: csv))
        try assertRefused(["trace", "--model", model, "--input", csv, "--output", csv, "--format", "csv"],
                          "--output \(csv) is the same file as --input \(csv): writing it would destroy the input; choose another output file",
                          keeps: csv)
        // The built-in demo reads the CSV too.
        try Data("1,0,0,0,0,0\n".utf8).write(to: URL(fileURLWithPath: csv))
        try assertRefused(["trace", "--input", csv, "-o", csv],
                          "--output \(csv) is the same file as --input \(csv): writing it would destroy the input; choose another output file",
                          keeps: csv)
    }

    /// The same file under another name: a symbolic link and a hard link.
    func testLinksToAnInputAreTheSameFile() throws {
        let model = try makeModel("m.safetensors")
        let symbolic = path("symbolic.safetensors")
        let hard = path("hard.safetensors")
        XCTAssertEqual(symlink(model, symbolic), 0)
        XCTAssertEqual(link(model, hard), 0)
        try assertRefused(["trace", "--model", model, "--output", symbolic],
                          "--output \(symbolic) is the same file as --model \(model): writing it would destroy the input; choose another output file",
                          keeps: model)
        try assertRefused(["trace", "--model", hard, "--output", model],
                          "--output \(model) is the same file as --model \(hard): writing it would destroy the input; choose another output file",
                          keeps: model)
        // The model named through the link, written to its target.
        try assertRefused(["trace", "--model", symbolic, "--format", "json", "-o", model],
                          "--output \(model) is the same file as --model \(symbolic): writing it would destroy the input; choose another output file",
                          keeps: model)
    }

    func testTrainRefusesToWriteOverItsTextFile() throws {
        let corpus = path("c.txt")
        try Data(String(repeating: "the cat sat on the mat. ", count: 20).utf8).write(to: URL(fileURLWithPath: corpus))
        for flag in ["-o", "--output"] {
            try assertRefused(["train", "--task", "text", "--text-file", corpus, flag, corpus, "--steps", "1"],
                              "--output \(corpus) is the same file as --text-file \(corpus): writing it would destroy the input; choose another output file",
                              keeps: corpus)
        }
    }

    func testInitReplacesAnExistingFileOnlyWithForce() throws {
        let model = try makeModel("m.safetensors")
        let arguments = ["init", "--cell", "gru", "--input-size", "4", "--hidden", "2", "-o", model]
        try assertRefused(arguments, "--output \(model) already exists; give --force to replace it", keeps: model)
        for (flag, seed) in [("--force", "1"), ("-f", "2")] {
            let before = contents(model)
            let result = try Gatescope.run(arguments + [flag, "--seed", seed])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertNotEqual(contents(model), before, flag)
        }
    }

    /// A new name, or one that is no input, is written as before.
    func testAnOutputBesideTheInputsIsWritten() throws {
        let model = try makeModel("m.safetensors")
        let trace = path("t.csv")
        let result = try Gatescope.run(["trace", "--model", model, "--format", "csv", "-o", trace])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(contents(trace), try Gatescope.run(["trace", "--model", model, "--format", "csv"]).stdout.data(using: .utf8))
    }
}
