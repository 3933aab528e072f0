import Foundation
import XCTest

/// --lang and the locale variables, as a user runs them: the screen's words follow them,
/// help and error lines stay English.
final class LanguageCommandTests: XCTestCase {
    private let frame = ["render", "--width", "100", "--height", "30", "--step", "12"]

    func testLangChoosesTheScreensLanguage() throws {
        let cases: [(String, [String])] = [
            ("en", ["forget f", "step 12/22"]),
            ("es", ["olvido f", "paso 12/22", "puerta de olvido"]),
            ("pt", ["esquec. f", "passo 12/22", "porta de esquecimento"]),
            ("zh", ["遗忘门 f", "第 12/22 步"]),
            ("de", ["Forget f", "Schritt 12/22", "Forget-Gate"]),
        ]
        for (code, words) in cases {
            let result = try Gatescope.run(frame + ["--lang", code])
            XCTAssertEqual(result.status, 0, result.stderr)
            for word in words { XCTAssertTrue(result.stdout.contains(word), "--lang \(code): \(word)\n\(result.stdout)") }
        }
    }

    /// Without --lang, LC_ALL, then LC_MESSAGES, then LANG decide, as gettext reads them;
    /// C and languages gatescope does not speak mean English; --lang wins over all.
    func testTheEnvironmentDecidesWithoutLang() throws {
        let cases: [([String: String], [String], String)] = [
            (["LANG": "de_DE.UTF-8"], [], "Schritt 12/22"),
            (["LANG": "zh_CN.UTF-8"], [], "第 12/22 步"),
            (["LANG": "de_DE.UTF-8", "LC_MESSAGES": "pt_BR.UTF-8"], [], "passo 12/22"),
            (["LANG": "de_DE.UTF-8", "LC_ALL": "C"], [], "step 12/22"),
            (["LANG": "fr_FR.UTF-8"], [], "step 12/22"),
            (["LANG": "de_DE.UTF-8"], ["--lang", "es"], "paso 12/22"),
        ]
        for (environment, arguments, expected) in cases {
            let result = try Gatescope.run(frame + arguments, environment: environment)
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains(expected), "\(environment) \(arguments): \(expected)\n\(result.stdout)")
        }
    }

    /// An unknown code is one English error line naming it and the codes there are, from
    /// every command that takes --lang, before anything is loaded.
    func testAnUnknownLanguageIsAnError() throws {
        for command in [["render"], ["show"], [], ["lesson", "lstm-gates"]] {
            let result = try Gatescope.run(command + ["--lang", "fr"], environment: ["LANG": "de_DE.UTF-8"])
            XCTAssertEqual(result.status, 1, "\(command)")
            XCTAssertEqual(result.stdout, "")
            XCTAssertEqual(result.stderr, "error: --lang fr: expected one of en, es, pt, zh, de\n", "\(command)")
        }
    }

    /// The lesson's screen words follow --lang too (the narration is the lesson's).
    func testLessonChromeFollowsLang() throws {
        let result = try Gatescope.run(["render", "--lesson", "lstm-gates", "--width", "100", "--height", "30", "--lang", "es"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("lección lstm-gates"), result.stdout)
    }

    func testHelpStaysEnglish() throws {
        let result = try Gatescope.run(["render", "--help"], environment: ["LANG": "de_DE.UTF-8"])
        XCTAssertTrue(result.stdout.contains("--lang <code>"), result.stdout)
        // Words, whatever the help's line breaks.
        let words = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(words.contains("Help and error lines stay English"), result.stdout)
    }
}
