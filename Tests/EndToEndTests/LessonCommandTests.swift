import Foundation
import XCTest

/// `gatescope lesson` and `render --lesson` as a teacher runs them.
final class LessonCommandTests: XCTestCase {
    /// `lesson` lists every built-in lesson with its title and length.
    func testListsTheBuiltinLessons() throws {
        let result = try Gatescope.run(["lesson"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 8, result.stdout)
        XCTAssertTrue(lines[0].hasPrefix("lstm-gates "), result.stdout)
        XCTAssertTrue(lines.allSatisfy { $0.hasSuffix(" beats") }, result.stdout)
    }

    /// The built-in lessons speak the language of the environment, looked up as gettext does
    /// (LC_ALL, then LC_MESSAGES, then LANG); the list aligns the titles by display width.
    func testTheEnvironmentChoosesTheLessonsLanguage() throws {
        let chinese = try Gatescope.run(["lesson"], environment: ["LANG": "zh_CN.UTF-8"])
        XCTAssertEqual(chinese.status, 0, chinese.stderr)
        let lines = chinese.stdout.split(separator: "\n")
        XCTAssertTrue(lines.first?.hasPrefix("lstm-gates           LSTM 的三个门") ?? false, chinese.stdout)
        // A Chinese character takes two columns: the beat counts start in one column.
        func columns(_ text: Substring) -> Int {
            text.unicodeScalars.reduce(0) { $0 + ((0x3000...0x9FFF).contains($1.value) || (0xFF00...0xFF60).contains($1.value) ? 2 : 1) }
        }
        let starts = lines.map { line in columns(line[..<(line.range(of: " beat")?.lowerBound ?? line.endIndex)]) - 2 }
        XCTAssertEqual(Set(starts).count, 1, chinese.stdout)
        let spanish = try Gatescope.run(["render", "--lesson", "forget-memory", "--beat", "5"],
                                        environment: ["LC_MESSAGES": "es_ES.UTF-8", "LANG": "de_DE.UTF-8"])
        XCTAssertEqual(spanish.status, 0, spanish.stderr)
        XCTAssertTrue(spanish.stdout.contains("┃ La misma ejecución con la puerta de olvido"), spanish.stdout)
        XCTAssertTrue(spanish.stdout.contains("respuesta en '?': a 1.00 → c 0.98"), "the beat's pokes:\n\(spanish.stdout)")
        let english = try Gatescope.run(["lesson"], environment: ["LC_ALL": "C", "LANG": "pt_BR.UTF-8"])
        XCTAssertTrue(english.stdout.hasPrefix("lstm-gates           The LSTM's three gates"), english.stdout)
    }

    /// Every beat of every built-in lesson renders at 80×24 and 100×30: the header names the
    /// lesson and beat, no placeholder is left, no line is wider than the frame.
    func testEveryBuiltinBeatRenders() throws {
        let listing = try Gatescope.run(["lesson"]).stdout
        for line in listing.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            let name = String(parts[0])
            let beats = try XCTUnwrap(Int(parts[parts.count - 2]))
            for beat in 1...beats {
                for (width, height) in [(80, 24), (100, 30)] {
                    let result = try Gatescope.run(["render", "--lesson", name, "--beat", "\(beat)",
                                                    "--width", "\(width)", "--height", "\(height)"])
                    XCTAssertEqual(result.status, 0, "\(name) \(beat): \(result.stderr)")
                    let rows = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                    XCTAssertEqual(rows.count, height, "\(name) \(beat)")
                    XCTAssertTrue(rows.first?.hasPrefix(" lesson \(name) · beat \(beat)/\(beats)") ?? false,
                                  "\(name) \(beat): \(rows.first ?? "")")
                    XCTAssertFalse(result.stdout.contains("{"), "\(name) \(beat) left a placeholder:\n\(result.stdout)")
                    XCTAssertTrue(rows.allSatisfy { $0.count <= width }, "\(name) \(beat)")
                }
            }
        }
    }

    /// A lesson file opens by path; its relative model path is read beside it, keys explore.
    func testRendersALessonFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lesson-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models")
        let model = "grucell_nohead.pt"
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent(model), to: folder.appendingPathComponent(model))
        let lesson = folder.appendingPathComponent("mine.yaml")
        try """
            name: mine
            title: My lesson
            beats:
              - model: \(model)
                input: [--random, "5"]
                step: 2
                say: My model at step {step} of {steps}.
              - model: gru-text
                say: Next.
            """.write(to: lesson, atomically: true, encoding: .utf8)
        let result = try Gatescope.run(["render", "--lesson", lesson.path, "--keys", "l"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("┃ My model at step 2 of 5."), result.stdout)
        XCTAssertTrue(result.stdout.contains("step 3/5"), "l steps inside the beat:\n\(result.stdout)")
        let second = try Gatescope.run(["render", "--lesson", lesson.path, "--keys", "right"])
        XCTAssertTrue(second.stdout.contains("beat 2/2"), second.stdout)
    }

    /// Mistakes are one `error:` line naming where they are.
    func testErrors() throws {
        let cases: [([String], String)] = [
            (["render", "--lesson", "cost", "--beat", "9"], "error: --beat 9: the lesson cost has 3 beats, so it must be between 1 and 3\n"),
            (["render", "--lesson", "nope"], "error: no built-in lesson 'nope': expected one of lstm-gates"),
            (["render", "--lesson", "cost", "--cell", "gru"], "error: --lesson sets the model, input and step of each beat"),
            (["render", "--beat", "2"], "error: --beat needs --lesson\n"),
            (["lesson", "--file", "/nonexistent/x.yaml"], "error: /nonexistent/x.yaml: cannot read the lesson"),
        ]
        for (arguments, expected) in cases {
            let result = try Gatescope.run(arguments)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.hasPrefix(expected), "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stdout, "")
        }
    }

    /// The hybrid lesson's model: `--cell` with kinds joined by + builds the random demo as a
    /// stack, bottom first; a trained demo or a model file keeps its own kinds.
    func testAHybridStackOfTheRandomDemo() throws {
        let result = try Gatescope.run(["render", "--demo", "random", "--cell", "gru+lstm", "--keys", "]"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix(" gatescope  GRU→LSTM"), result.stdout)
        XCTAssertTrue(result.stdout.contains("layer 2 of 2 (LSTM)"), result.stdout)
        let cases: [([String], String)] = [
            (["render", "--cell", "gru+lstm", "--demo", "delay"], "error: --cell gru+lstm: a hybrid stack (kinds joined by +) is the random demo's"),
            (["render", "--cell", "gru+lstm", "--layers", "3"], "error: --layers 3 does not match the 2 kinds of --cell gru+lstm\n"),
            (["render", "--cell", "gru+"], "error: unknown cell \"\", expected one of"),
        ]
        for (arguments, expected) in cases {
            let refused = try Gatescope.run(arguments)
            XCTAssertNotEqual(refused.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(refused.stderr.hasPrefix(expected), "\(arguments): \(refused.stderr)")
        }
    }

    /// A beat whose model or input options are wrong points at its line in the file.
    func testABeatsBadOptionNamesItsLine() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "name: bad\ntitle: Bad\nbeats:\n  - say: one\n  - model: missing.safetensors\n    say: two\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let result = try Gatescope.run(["render", "--lesson", file.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.hasPrefix("error: \(file.path):5: beat 2: "), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
    }

    /// The complete example in docs/lessons.md opens, and every one of its beats renders.
    func testTheDocumentedExampleWorks() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/lessons.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let start = try XCTUnwrap(text.range(of: "```yaml\n"))
        let end = try XCTUnwrap(text.range(of: "```", range: start.upperBound..<text.endIndex))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("example-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try String(text[start.upperBound..<end.lowerBound]).write(to: file, atomically: true, encoding: .utf8)
        for beat in 1...4 {
            let result = try Gatescope.run(["render", "--lesson", file.path, "--beat", "\(beat)"])
            XCTAssertEqual(result.status, 0, "beat \(beat): \(result.stderr)")
            XCTAssertTrue(result.stdout.hasPrefix(" lesson mine · beat \(beat)/4"), result.stdout)
        }
    }
}
