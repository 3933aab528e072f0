import Foundation
import XCTest

/// `gatescope init --help` shows Python that runs as pasted.
final class InitHelpTests: XCTestCase {
    /// The example's lines as the help prints them: from `import torch` to the blank line or
    /// the usage line after it.
    private func pythonExample(_ help: String) throws -> [String] {
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try XCTUnwrap(lines.firstIndex(of: "import torch"), help)
        return Array(lines[start...].prefix { !$0.isEmpty && !$0.hasPrefix("USAGE:") })
    }

    /// Runs `python3` with `script` on stdin in `directory`; nil when python3 is not found.
    private func python(_ script: String, in directory: URL) throws -> (status: Int32, output: String)? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-"]
        process.currentDirectoryURL = directory
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(script.utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 127 ? nil : (process.terminationStatus, text)
    }

    func testThePythonExampleRunsAsPasted() throws {
        let help = try Gatescope.run(["init", "--help"])
        XCTAssertEqual(help.status, 0, help.stderr)
        let example = try pythonExample(help.stdout)
        XCTAssertGreaterThan(example.count, 3, help.stdout)
        // Nothing wraps in an 80-column terminal, and the first line of every statement
        // starts in column 0, as Python's prompt and a script expect.
        for line in example { XCTAssertLessThan(line.count, 80, line) }
        XCTAssertTrue(help.stdout.contains("gatescope init --cell lstm --input-size 3 --hidden 8 --head 2 -o m.safetensors"))

        // The example command, then the example itself: with PyTorch where it is installed
        // (CI has none), else at least Python's parser.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-init-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let made = try Gatescope.run(["init", "--cell", "lstm", "--input-size", "3", "--hidden", "8", "--head", "2",
                                      "-o", directory.appendingPathComponent("m.safetensors").path])
        XCTAssertEqual(made.status, 0, made.stderr)
        let code = example.joined(separator: "\n") + "\n"
        let check = """
            import ast, importlib.util, sys
            code = \(String(decoding: try JSONSerialization.data(withJSONObject: [code]), as: UTF8.self))[0]
            ast.parse(code)
            if importlib.util.find_spec("torch") and importlib.util.find_spec("safetensors"):
                exec(code)
                print("ran")
            else:
                print("parsed")
            """
        guard let result = try python(check, in: directory) else { return }
        XCTAssertEqual(result.status, 0, result.output)
    }
}
