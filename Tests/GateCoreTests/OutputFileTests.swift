import Foundation
import XCTest
@testable import GateCore

/// The one writer of traces and models: whole or not at all, and never replacing what is
/// not a regular file, a read-only file, or a file's permissions.
final class OutputFileTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-output-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func fileType(_ path: String) -> mode_t {
        var status = stat()
        return lstat(path, &status) == 0 ? status.st_mode & S_IFMT : 0
    }

    private func permissions(_ path: String) -> mode_t {
        var status = stat()
        return stat(path, &status) == 0 ? status.st_mode & 0o7777 : 0
    }

    private func assertMessage(_ expected: String, _ body: () throws -> Void, line: UInt = #line) {
        XCTAssertThrowsError(try body(), line: line) {
            XCTAssertEqual(($0 as? GateError)?.message, expected, line: line)
        }
    }

    /// A FIFO stands for every file that is not a regular one (a terminal, /dev/stdout,
    /// /dev/null): the bytes go into it, and it is still a FIFO afterwards.
    func testANonRegularTargetIsWrittenInPlaceNotReplaced() throws {
        let fifo = path("pipe")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        // A reader that does not block, so that the writer can open the FIFO and a broken
        // writer cannot hang the test; the text fits the pipe's buffer.
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        XCTAssertGreaterThanOrEqual(reader, 0)
        defer { close(reader) }

        try OutputFile.write("through the pipe ✓\n", to: fifo)
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = read(reader, &buffer, buffer.count)
        XCTAssertEqual(String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self), "through the pipe ✓\n")
        XCTAssertEqual(fileType(fifo), S_IFIFO)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["pipe"])
    }

    func testAReadOnlyFileIsRefusedAndLeftAsItWas() throws {
        let target = path("kept.json")
        XCTAssertTrue(FileManager.default.createFile(atPath: target, contents: Data("earlier".utf8),
                                                    attributes: [.posixPermissions: 0o444]))
        assertMessage("\(target) is read-only") { try OutputFile.write("later", to: target) }
        assertMessage("\(target) is read-only") { try OutputFile.checkOutput(target, option: "--output", inputs: []) }
        assertMessage("\(target) is read-only") {
            try ModelFile.save(RecurrentModel.random(cell: .rnn, inputSize: 1, hiddenSize: 1, seed: 1), to: target)
        }
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "earlier")
        XCTAssertEqual(permissions(target), 0o444)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["kept.json"])
    }

    func testAReplacedFileKeepsItsPermissionBits() throws {
        let target = path("trace.csv")
        XCTAssertTrue(FileManager.default.createFile(atPath: target, contents: Data("earlier".utf8),
                                                    attributes: [.posixPermissions: 0o640]))
        try OutputFile.write("later", to: target)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "later")
        XCTAssertEqual(permissions(target), 0o640)
        // Write permission for the group only still counts as writable.
        XCTAssertEqual(chmod(target, 0o464), 0)
        try OutputFile.write("again", to: target)
        XCTAssertEqual(permissions(target), 0o464)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "again")
    }

    func testASymbolicLinkIsKeptAndTheFileItNamesReplaced() throws {
        let real = path("real.json")
        let link = path("link.json")
        XCTAssertTrue(FileManager.default.createFile(atPath: real, contents: Data("earlier".utf8)))
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        try OutputFile.write("later", to: link)
        XCTAssertEqual(fileType(link), S_IFLNK)
        XCTAssertEqual(try String(contentsOfFile: real, encoding: .utf8), "later")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["link.json", "real.json"])
    }

    func testPathsThatCannotBeWrittenAreRefusedBeforeAnyWork() throws {
        assertMessage("the output file name is empty") { try OutputFile.checkOutput("", option: "--output", inputs: []) }
        assertMessage("\(directory.path): cannot write: is a directory") { try OutputFile.checkOutput(directory.path, option: "--output", inputs: []) }
        let missing = path("none/m.safetensors")
        assertMessage("\(missing): cannot write: directory \(path("none")) does not exist") {
            try OutputFile.checkOutput(missing, option: "--output", inputs: [])
        }
        try OutputFile.checkOutput(path("new.json"), option: "--output", inputs: [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }
}
