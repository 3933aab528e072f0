import Foundation
import Testing
import GateCore
@testable import GateView

/// The translations: the .po files parse, the binary carries them as committed, every
/// language has every string the screen shows, and keeps its placeholders.
private let poFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Sources/GateView/Localization/po")
private let sourcesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Sources")

/// The languages with a .po file: every one but English.
private let translated = Language.allCases.filter { $0 != .english }

/// Each translated language's file on disk, parsed (a malformed file fails with its name and line).
private func entries(_ language: Language) throws -> [POFile.Entry] {
    let url = poFolder.appendingPathComponent("\(language.code).po")
    return try POFile.parse(String(contentsOf: url, encoding: .utf8), source: "\(language.code).po")
}

/// The English strings the sources wrap: the first string literal of every `tr(` and
/// `trn(` call (as xgettext would find them), with the plural of each `trn`.
private func wrappedStrings() throws -> (singular: [String], plural: [String: String], interpolated: [String]) {
    let literal = #""((?:[^"\\]|\\.)*)""#
    let single = try NSRegularExpression(pattern: #"\btr\(\s*"# + literal)
    let counted = try NSRegularExpression(pattern: #"\btrn\(\s*"# + literal + #"\s*,\s*"# + literal)
    var singular: [String] = [], plural: [String: String] = [:], interpolated: [String] = []
    let files = FileManager.default.enumerator(at: sourcesFolder, includingPropertiesForKeys: nil)
    while let url = files?.nextObject() as? URL {
        guard url.pathExtension == "swift" else { continue }
        let text = try String(contentsOf: url, encoding: .utf8)
        let range = NSRange(text.startIndex..., in: text)
        func group(_ match: NSTextCheckingResult, _ index: Int) -> String {
            Range(match.range(at: index), in: text).map { unescape(String(text[$0])) } ?? ""
        }
        for match in single.matches(in: text, range: range) { singular.append(group(match, 1)) }
        for match in counted.matches(in: text, range: range) {
            singular.append(group(match, 1))
            plural[group(match, 1)] = group(match, 2)
        }
    }
    interpolated = singular.filter { $0.contains("\\(") }
    return (singular, plural, interpolated)
}

/// A Swift string literal's text: the escapes the wrapped strings use.
private func unescape(_ literal: String) -> String {
    literal.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\n", with: "\n")
}

/// Texts the screen shows that come from outside GateView's literals, looked up whole: the
/// themes' colour keys and the built-in demos' names, descriptions and Tab notes.
private func shownTexts() throws -> [String] {
    var texts = Theme.all.map(\.colourKey)
    for task in Demos.Task.allCases {
        for kind in Demos.kinds {
            let scenario = try Demos.scenario(kind: kind, task: task)
            texts += [scenario.modelName, scenario.inputDescription, scenario.variantNote(kind.next)]
        }
    }
    let random = BuiltinDemo.scenario(cell: .lstm, hidden: 8, layers: 1, seed: 0)
    return texts + [random.inputDescription, random.variantNote(.gru)]
}

@Test func embeddedTranslationsAreTheCommittedFiles() throws {
    let files = try FileManager.default.contentsOfDirectory(atPath: poFolder.path).filter { $0.hasSuffix(".po") }.sorted()
    #expect(files == TranslationFiles.base64.map { "\($0.language).po" }, "run python3 Tools/embed_translations.py")
    for file in TranslationFiles.base64 {
        let onDisk = try Data(contentsOf: poFolder.appendingPathComponent("\(file.language).po"))
        #expect(Data(base64Encoded: file.text) == onDisk, "\(file.language).po differs: run python3 Tools/embed_translations.py")
    }
    #expect(Set(files) == Set(translated.map { "\($0.code).po" }))
}

@Test(arguments: translated)
func everyStringTheScreenShowsIsTranslated(_ language: Language) throws {
    let parsed = try entries(language)
    let byMsgid = Dictionary(parsed.map { ($0.msgid, $0) }, uniquingKeysWith: { first, _ in first })
    let wrapped = try wrappedStrings()
    #expect(wrapped.singular.count > 150, "the scan finds the wrapped strings")
    #expect(wrapped.interpolated.isEmpty, "a wrapped string uses {1} placeholders, not \\(…): \(wrapped.interpolated)")
    let shown = try shownTexts()
    let needed = Set(wrapped.singular + shown)
    for msgid in needed.sorted() {
        guard let entry = byMsgid[msgid] else {
            Issue.record("\(language.code).po lacks msgid \"\(msgid)\"")
            continue
        }
        let complete = entry.msgstr.allSatisfy { !$0.isEmpty }
        #expect(complete, "\(language.code).po:\(entry.line): \"\(msgid)\" is not translated")
        #expect(entry.msgidPlural == wrapped.plural[msgid], "\(language.code).po:\(entry.line): msgid_plural of \"\(msgid)\"")
        let forms = language == .chinese ? 1 : 2
        if entry.msgidPlural != nil {
            #expect(entry.msgstr.count == forms, "\(language.code).po:\(entry.line): \(forms) plural forms")
        }
    }
    // A string the sources no longer show is taken out of the catalogues too.
    let stale = parsed.map(\.msgid).filter { !$0.isEmpty && !needed.contains($0) }
    #expect(stale.isEmpty, "\(language.code).po has msgids nothing shows: \(stale)")
    // What the binary carries is what the file says.
    let catalogue = Catalogue.builtin(language)
    #expect(catalogue.messages.count == parsed.count - 1)
}

@Test(arguments: translated)
func everyTranslationKeepsItsPlaceholders(_ language: Language) throws {
    for entry in try entries(language) {
        for (index, form) in entry.msgstr.enumerated() {
            // Each plural form says the count ({1}) as its msgid does, the others alike.
            let english = index == 0 ? entry.msgid : entry.msgidPlural ?? entry.msgid
            #expect(Catalogue.placeholders(in: form) == Catalogue.placeholders(in: english),
                    "\(language.code).po:\(entry.line): \"\(form)\" has other placeholders than \"\(english)\"")
        }
    }
}

@Test func lookupsFillPlaceholdersInTheTranslationsOrder() {
    let catalogue = Catalogue(language: .chinese, messages: ["unit {1} at step {2}": ["第 {2} 步, 单元 {1}"]])
    #expect(catalogue.tr("unit {1} at step {2}", 3, 12) == "第 12 步, 单元 3")
    // A string the catalogue lacks stays English, its placeholders filled.
    #expect(catalogue.tr("step {1}/{2}", 1, 22) == "step 1/22")
    #expect(Catalogue.builtin(.english).tr("paused") == "paused")
    #expect(Catalogue.builtin(.german).tr("forget {1}", "f") == "Forget f")
    #expect(Catalogue.builtin(.chinese).tr("forget {1}", "f") == "遗忘门 f")
}

@Test func placeholdersAreFilledOnceEachWithTheArgumentsAsWritten() {
    let english = Catalogue.builtin(.english)
    // A placeholder without an argument, or not one of {1} … {9}, stays as it is.
    #expect(english.tr("{1} of {2} {0} {10} {", "a") == "a of {2} {0} {10} {")
    // An argument's own text is not searched for placeholders.
    #expect(english.tr("{1}, {2}", "{2}", "b") == "{2}, b")
    // Arguments of any type read as string interpolation writes them.
    #expect(english.tr("{1} {2} {3} {4} {5}", 0.5 as Float, Character("é"), UInt8(7), -3, "中") == "0.5 é 7 -3 中")
}

@Test func countsTakeTheLanguagesPluralForm() {
    let english = Catalogue.builtin(.english), german = Catalogue.builtin(.german)
    let portuguese = Catalogue.builtin(.portuguese), chinese = Catalogue.builtin(.chinese)
    #expect(english.trn("{1} layer", "{1} layers", 1) == "1 layer")
    #expect(english.trn("{1} layer", "{1} layers", 0) == "0 layers")
    #expect(german.trn("{1} layer", "{1} layers", 2) == "2 Schichten")
    #expect(german.trn("{1} layer", "{1} layers", 0) == "0 Schichten")
    // Brazilian Portuguese counts 0 as singular, as its Plural-Forms says.
    #expect(portuguese.trn("{1} layer", "{1} layers", 0) == "0 camada")
    #expect(portuguese.trn("{1} layer", "{1} layers", 3) == "3 camadas")
    #expect(chinese.trn("{1} layer", "{1} layers", 3) == "3 层")
}

@Test func poFilesReadMultiLineStringsEscapesAndPlurals() throws {
    let text = """
        # translator's comment
        msgid ""
        msgstr "Language: de\\n"

        #: a reference
        msgid "say \\"{1}\\""
        msgstr "sag "
        "\\"{1}\\"\\t\\\\"

        msgid "{1} layer"
        msgid_plural "{1} layers"
        msgstr[0] "{1} Schicht"
        msgstr[1] "{1} Schichten"
        #~ msgid "obsolete"
        #~ msgstr "veraltet"
        """
    let entries = try POFile.parse(text, source: "de.po")
    #expect(entries.count == 3)
    #expect(entries[1] == POFile.Entry(msgid: "say \"{1}\"", msgidPlural: nil, msgstr: ["sag \"{1}\"\t\\"], line: 6))
    #expect(entries[2].msgstr == ["{1} Schicht", "{1} Schichten"])
    #expect(entries[0].msgstr == ["Language: de\n"])
}

@Test(arguments: [
    ("msgstr \"x\"", "es.po:1: msgstr must follow a msgid"),
    ("msgid \"a\"\nmsgstr \"b", "es.po:2: the string has no closing quote"),
    ("msgid \"a\"\nmsgtsr \"b\"", "es.po:2: expected msgid, msgid_plural, msgstr, a quoted string or a # comment, found \"msgtsr\""),
    ("msgid \"a\"\nmsgstr \"\\q\"", "es.po:2: unknown escape \\q (use \\n \\t \\\" \\\\)"),
    ("msgid \"a\"\n\nmsgid \"b\"\nmsgstr \"c\"", "es.po:1: msgid without msgstr"),
    ("msgid \"a\"\nmsgstr \"b\"\nmsgid \"a\"\nmsgstr \"c\"", "es.po:3: msgid \"a\" again (first at line 1)"),
    ("msgid \"a\"\nmsgstr \"b\" x", "es.po:2: text after the closing quote"),
    ("\"loose\"", "es.po:1: a string continues no msgid or msgstr"),
    ("msgid \"a\"\nmsgid_plural \"as\"\nmsgstr[1] \"x\"", "es.po:3: expected msgstr[0], found msgstr[1]"),
    ("msgid \"a\"\nmsgid_plural \"as\"\nmsgstr \"x\"", "es.po:3: a plural msgid takes msgstr[0], msgstr[1], …"),
    ("msgid \"a\"\nmsgstr[0] \"x\"", "es.po:2: msgstr[0] needs a msgid_plural before it"),
    ("msgid a", "es.po:1: expected a quoted string, found a"),
])
func malformedPOFilesAreReportedWithTheirLine(_ text: String, _ message: String) {
    #expect(throws: GateError(message)) { try POFile.parse(text, source: "es.po") }
}
