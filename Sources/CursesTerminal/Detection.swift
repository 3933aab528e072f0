import GateView

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
        let normalized = codeset.uppercased().filter { $0 != "-" && $0 != "_" }
        return Capabilities(colors: colors, unicode: normalized == "UTF8")
    }
}
