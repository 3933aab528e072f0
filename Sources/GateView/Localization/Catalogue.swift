import Foundation
import GateCore

/// The interface's words in one language, read from a gettext `.po` file: the English text
/// is the key (msgid), so English needs no file and a string a catalogue lacks is shown in
/// English.
///
/// How to add a string to the screen:
/// 1. Wrap the English text where it is drawn: `tr("paused")`, or with values
///    `tr("unit {1} at step {2}", unit, step + 1)` (numbered placeholders `{1}` … `{9}`, so a
///    translation can put them in another order; never `\(…)` inside the text), or for a
///    count `trn("{1} layer", "{1} layers", n)`. Outside `GateScopeApp`, call the same
///    methods on a `Catalogue` (`catalogue.tr(…)`).
/// 2. Add the msgid with its msgstr to every file in Sources/GateView/Localization/po/
///    (es, pt, zh, de; a count takes `msgid_plural` and `msgstr[0]`, `msgstr[1]`).
/// 3. Run `python3 Tools/embed_translations.py`, which writes TranslationFiles.swift.
/// CatalogueTests fails while a language lacks a string the sources wrap, while a
/// translation's placeholders differ from its msgid's, and while TranslationFiles.swift is
/// older than the .po files.
public struct Catalogue: Sendable {
    public let language: Language
    /// msgid → msgstr, or for a count msgid → its plural forms in the language's order.
    let messages: [String: [String]]

    /// The catalogue for `language`, carried in the binary (TranslationFiles.swift). English,
    /// and a language whose file is damaged in this build (CatalogueTests rules that out), is
    /// the English text itself.
    /// `ascii`: for a terminal without UTF-8 (see `asciiOnly`).
    public static func builtin(_ language: Language, ascii: Bool = false) -> Catalogue {
        // English is the msgids themselves: no file to parse at start-up.
        guard language != .english else { return Catalogue(language: language, messages: [:]) }
        return (ascii ? asciiBuiltins : builtins)[language] ?? Catalogue(language: language, messages: [:])
    }

    private static let asciiBuiltins = builtins.mapValues { $0.asciiOnly() }

    /// The catalogue for a terminal that draws only ASCII: accents dropped (é → e, ß → ss),
    /// and a message that is still not ASCII (Chinese) left out, so that it shows in English.
    func asciiOnly() -> Catalogue {
        Catalogue(language: language, messages: messages.compactMapValues { forms in
            let folded = forms.map {
                $0.replacingOccurrences(of: "ß", with: "ss").folding(options: .diacriticInsensitive, locale: nil)
            }
            return folded.allSatisfy { $0.allSatisfy(\.isASCII) } ? folded : nil
        })
    }

    /// Every built-in catalogue, parsed once on first use and never changed after.
    private static let builtins: [Language: Catalogue] = {
        var catalogues: [Language: Catalogue] = [:]
        for file in TranslationFiles.base64 {
            guard let language = Language(rawValue: file.language), let data = Data(base64Encoded: file.text),
                  let text = String(data: data, encoding: .utf8),
                  let entries = try? POFile.parse(text, source: "\(file.language).po") else { continue }
            catalogues[language] = Catalogue(language: language, entries: entries)
        }
        return catalogues
    }()

    init(language: Language, messages: [String: [String]]) {
        self.language = language
        self.messages = messages
    }

    /// The translated entries of a parsed file; an empty msgstr means "not translated" (as
    /// in gettext) and leaves the English text.
    init(language: Language, entries: [POFile.Entry]) {
        var messages: [String: [String]] = [:]
        for entry in entries where !entry.msgid.isEmpty && !entry.msgstr.contains(where: \.isEmpty) {
            messages[entry.msgid] = entry.msgstr
        }
        self.init(language: language, messages: messages)
    }

    /// `msgid` in this language with `{1}`, `{2}`, … replaced by `arguments` in order.
    public func tr(_ msgid: String, _ arguments: Any...) -> String { text(msgid, arguments) }

    func text(_ msgid: String, _ arguments: [Any]) -> String {
        // English has no messages: its text needs no lookup.
        Self.fill(messages.isEmpty ? msgid : messages[msgid]?.first ?? msgid, arguments)
    }

    /// A count's wording: `singular` or `plural` (English), or the language's form for `n`;
    /// `{1}` is `n`, `{2}` … are `arguments`.
    public func trn(_ singular: String, _ plural: String, _ n: Int, _ arguments: Any...) -> String {
        count(singular, plural, n, arguments)
    }

    func count(_ singular: String, _ plural: String, _ n: Int, _ arguments: [Any]) -> String {
        let english = n == 1 ? singular : plural
        let forms = messages[singular] ?? []
        let index = pluralIndex(n)
        return Self.fill(forms.indices.contains(index) ? forms[index] : english, [n] + arguments)
    }

    /// Which plural form `n` takes, as gettext's Plural-Forms header says for each language:
    /// Chinese has one form; Brazilian Portuguese counts 0 as singular; the others only 1.
    func pluralIndex(_ n: Int) -> Int {
        switch language {
        case .chinese: 0
        case .portuguese: n > 1 ? 1 : 0
        case .english, .spanish, .german: n == 1 ? 0 : 1
        }
    }

    /// `text` with each `{k}` (k from 1 to 9) replaced by the k-th argument; a placeholder
    /// without an argument stays as it is.
    /// One pass over the bytes, since the screen fills dozens of strings a frame: an argument's
    /// own text is never searched for placeholders.
    static func fill(_ text: String, _ arguments: [Any]) -> String {
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), one = UInt8(ascii: "1")
        guard !arguments.isEmpty, text.utf8.contains(open) else { return text }
        let bytes = Array(text.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + 16)
        var index = 0
        while index < bytes.count {
            // "{k}" (one digit, 1 to 9) with an argument k: the argument's text.
            if bytes[index] == open, index + 2 < bytes.count, bytes[index + 2] == close,
               case let k = Int(bytes[index + 1]) - Int(one), (0..<min(9, arguments.count)).contains(k) {
                result += describe(arguments[k]).utf8
                index += 3
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// An argument as `"\(argument)"` writes it; strings and integers, nearly every
    /// argument, without the runtime's search for how to describe it.
    private static func describe(_ argument: Any) -> String {
        if let text = argument as? String { return text }
        if let number = argument as? Int { return String(number) }
        return "\(argument)"
    }

    /// The placeholders `{1}` … `{9}` in `text`, each once, in increasing order: a
    /// translation must have the same as its msgid.
    static func placeholders(in text: String) -> [Int] {
        (1...9).filter { text.contains("{\($0)}") }
    }
}

extension GateScopeApp {
    /// `msgid` in the screen's language (see `Catalogue` for how to add a string).
    func tr(_ msgid: String, _ arguments: Any...) -> String { catalogue.text(msgid, arguments) }

    /// A count's wording in the screen's language: `trn("{1} layer", "{1} layers", n)`.
    func trn(_ singular: String, _ plural: String, _ n: Int, _ arguments: Any...) -> String {
        catalogue.count(singular, plural, n, arguments)
    }
}
