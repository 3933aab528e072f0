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

/// File names are bytes on Linux: names that are not UTF-8 open, and are written, exactly
/// as given.
final class FileNameBytesTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-names-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// A file name in the scratch directory, as bytes: `stem`, `bytes`, `suffix`.
    private func name(_ stem: String, _ bytes: [UInt8], _ suffix: String) -> [UInt8] {
        Array(stem.utf8) + bytes + Array(suffix.utf8)
    }

    private func path(_ name: [UInt8]) -> [UInt8] { Array((scratch.path + "/").utf8) + name }

    private func cName(_ bytes: [UInt8]) -> [CChar] { bytes.map { CChar(bitPattern: $0) } + [0] }

    private func words(_ text: String) -> [[UInt8]] { text.split(separator: " ").map { Array($0.utf8) } }

    /// The names in the scratch directory, as bytes.
    private func listing() -> Set<[UInt8]> {
        guard let directory = opendir(scratch.path) else { return [] }
        defer { closedir(directory) }
        var names = Set<[UInt8]>()
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != Array(".".utf8) && name != Array("..".utf8) { names.insert(name) }
        }
        return names
    }

    /// The whole file named by `bytes`.
    private func contents(_ bytes: [UInt8]) -> [UInt8] {
        let descriptor = open(cName(bytes), O_RDONLY)
        guard descriptor >= 0 else { return [] }
        defer { close(descriptor) }
        var all: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while case let count = read(descriptor, &chunk, chunk.count), count > 0 { all += chunk.prefix(count) }
        return all
    }

    func testNamesThatAreNotUTF8OpenAndAreWrittenAsGiven() throws {
        let (model, csv, trace) = (name("m", [0xFE], ".safetensors"), name("x", [0xFF], ".csv"), name("t", [0xFF, 0x80], ".json"))
        let initialised = try Gatescope.spawn(words("init --cell lstm --input-size 2 --hidden 3 -o") + [path(model)])
        XCTAssertEqual(initialised.result.status, 0, initialised.result.stderr)
        let descriptor = open(cName(path(csv)), O_WRONLY | O_CREAT, 0o600)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        XCTAssertEqual(write(descriptor, "1,2\n3,4\n", 8), 8)
        close(descriptor)

        // `--name=value` as well as `--name value`.
        let traced = try Gatescope.spawn(words("trace --format json --model") + [path(model), Array("--input=".utf8) + path(csv),
                                                                                     Array("-o".utf8), path(trace)])
        XCTAssertEqual(traced.result.status, 0, traced.result.stderr)
        XCTAssertEqual(listing(), [model, csv, trace])

        // The same trace as from UTF-8 names, but for the names it shows (U+FFFD where the bytes were).
        let plainModel = scratch.appendingPathComponent("m.safetensors").path
        let plainCSV = scratch.appendingPathComponent("x.csv").path
        XCTAssertEqual(link(cName(path(model)), plainModel), 0)
        XCTAssertEqual(link(cName(path(csv)), plainCSV), 0)
        let plain = try Gatescope.run(["trace", "--model", plainModel, "--input", plainCSV, "--format", "json"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(String(decoding: contents(path(trace)), as: UTF8.self)
                        .replacingOccurrences(of: "m\u{FFFD}.safetensors", with: "m.safetensors")
                        .replacingOccurrences(of: "x\u{FFFD}.csv", with: "x.csv"), plain.stdout)
    }

    /// A torch.save file (a zip) opens by its bytes too, whatever its name.
    func testATorchSaveFileWhoseNameIsNotUTF8Opens() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models/lstm_proj.pt")
        let bytes = [UInt8](try Data(contentsOf: fixture))
        let model = name("mod", [0xE9], "l.pt")
        let descriptor = open(cName(path(model)), O_WRONLY | O_CREAT, 0o600)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        XCTAssertEqual(write(descriptor, bytes, bytes.count), bytes.count)
        close(descriptor)
        let inspected = try Gatescope.spawn(words("inspect") + [path(model)])
        XCTAssertEqual(inspected.result.status, 0, inspected.result.stderr)
        let plain = try Gatescope.run(["inspect", fixture.path])
        // The same report as the fixture's, but for the file name it starts with.
        XCTAssertEqual(inspected.result.stdout.split(separator: "\n").dropFirst(), plain.stdout.split(separator: "\n").dropFirst())
    }
}
