/// The languages gatescope speaks: English and the languages of its source articles.
/// The interface and the built-in lessons are translated into each; command-line help and
/// `error:` lines stay English.
public enum Language: String, CaseIterable, Sendable {
    case english = "en"
    case spanish = "es"
    case portuguese = "pt"
    case chinese = "zh"
    case german = "de"

    /// The two-letter code as `--lang` takes it and as the lesson folders are named.
    public var code: String { rawValue }

    /// The language a POSIX locale name asks for: "es_ES.UTF-8", "pt_BR", "zh_CN.utf8",
    /// "de", "de_AT@euro". nil for a language we do not speak, and for "C" and "POSIX".
    public init?(locale: String) {
        // The language is what precedes the territory, codeset and modifier.
        let language = locale.prefix { $0 != "_" && $0 != "." && $0 != "@" && $0 != "-" }
        guard let known = Language(rawValue: language.lowercased()) else { return nil }
        self = known
    }

    /// The language the environment asks for, looked up as gettext does: the first of
    /// `LC_ALL`, `LC_MESSAGES` and `LANG` that is set and not empty decides, and a locale
    /// we do not speak (or "C") means English.
    public static func fromEnvironment(_ environment: [String: String]) -> Language {
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let value = environment[name], !value.isEmpty {
                return Language(locale: value) ?? .english
            }
        }
        return .english
    }
}
