import GateView
import Glibc

extension Capabilities {
    /// What a terminal can show, from what curses and the environment report.
    /// - colorCount: curses' COLORS after start_color (0 when the terminal has no colours).
    /// - noColor: the NO_COLOR environment variable; any non-empty value means no colour
    ///   (https://no-color.org).
    /// - monochrome: the user forced a colourless display.
    /// - codeset: the locale's character set (nl_langinfo(CODESET)); only UTF-8 gets the
    ///   Unicode glyphs, so a Latin-1 or C locale sees ASCII instead of mojibake.
    static func detect(colorCount: Int, noColor: String?, monochrome: Bool,
                       codeset: String) -> Capabilities {
        let colors: ColorDepth
        if monochrome || !(noColor ?? "").isEmpty {
            colors = .none
        } else if colorCount >= 256 {
            colors = .full
        } else if colorCount >= 8 {
            colors = .eight
        } else {
            colors = .none
        }
        return Capabilities(colors: colors, unicode: isUTF8(codeset: codeset))
    }

    /// Whether a codeset name means UTF-8, however it is spelled ("UTF-8", "utf8").
    static func isUTF8(codeset: String) -> Bool {
        codeset.uppercased().filter { $0 != "-" && $0 != "_" } == "UTF8"
    }
}

/// Whether the user's locale (LC_ALL, LC_CTYPE, LANG) uses UTF-8, decided as for the screen,
/// for text printed outside curses (progress bars, charts).
public func localeIsUTF8() -> Bool {
    // Until setlocale is called the program runs in the C locale, whatever the environment.
    setlocale(LC_CTYPE, "")
    return Capabilities.isUTF8(codeset: nl_langinfo(nl_item(CODESET)).map { String(cString: $0) } ?? "")
}
