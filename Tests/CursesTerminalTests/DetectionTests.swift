import GateView
import Testing
@testable import CursesTerminal

@Suite("capability detection")
struct DetectionTests {
    private func detect(_ colors: Int, noColor: String? = nil, monochrome: Bool = false,
                        codeset: String = "UTF-8") -> Capabilities {
        Capabilities.detect(colorCount: colors, noColor: noColor, monochrome: monochrome, codeset: codeset)
    }

    @Test("colour depth from the terminal's colour count")
    func depth() {
        #expect(detect(256).colors == .full)
        #expect(detect(16_777_216).colors == .full)  // direct-colour terminfo entries
        #expect(detect(255).colors == .eight)
        #expect(detect(16).colors == .eight)
        #expect(detect(8).colors == .eight)
        #expect(detect(2).colors == .none)
        #expect(detect(0).colors == .none)
        #expect(detect(-1).colors == .none)  // tigetnum: capability absent
    }

    @Test("NO_COLOR set and non-empty, or a forced monochrome, turns colour off")
    func noColor() {
        #expect(detect(256, noColor: "1").colors == .none)
        #expect(detect(256, noColor: "no").colors == .none)
        #expect(detect(256, noColor: "").colors == .full)
        #expect(detect(8, monochrome: true).colors == .none)
    }

    @Test("Unicode glyphs only in a UTF-8 locale, however the codeset is spelled")
    func unicode() {
        #expect(detect(256, codeset: "UTF-8").unicode)
        #expect(detect(256, codeset: "utf8").unicode)
        #expect(!detect(256, codeset: "ANSI_X3.4-1968").unicode)  // the C locale
        #expect(!detect(256, codeset: "ISO-8859-1").unicode)
        #expect(!detect(256, codeset: "").unicode)
    }
}
