import Testing
@testable import GateCore

@Suite struct LanguageTests {
    @Test func localeNamesGiveTheirLanguage() {
        #expect(Language(locale: "es_ES.UTF-8") == .spanish)
        #expect(Language(locale: "pt_BR") == .portuguese)
        #expect(Language(locale: "zh_CN.utf8") == .chinese)
        #expect(Language(locale: "de_AT@euro") == .german)
        #expect(Language(locale: "en_GB.UTF-8") == .english)
        #expect(Language(locale: "C") == nil)
        #expect(Language(locale: "POSIX") == nil)
        #expect(Language(locale: "fr_FR.UTF-8") == nil)
    }

    @Test func environmentFollowsGettextOrder() {
        // LC_ALL overrides LC_MESSAGES, which overrides LANG; an empty value is skipped.
        #expect(Language.fromEnvironment(["LC_ALL": "de_DE.UTF-8", "LC_MESSAGES": "es_ES", "LANG": "pt_BR"]) == .german)
        #expect(Language.fromEnvironment(["LC_ALL": "", "LC_MESSAGES": "es_ES", "LANG": "pt_BR"]) == .spanish)
        #expect(Language.fromEnvironment(["LANG": "zh_CN.UTF-8"]) == .chinese)
        // A locale we do not speak is English, even when a later variable names one we do.
        #expect(Language.fromEnvironment(["LC_ALL": "fr_FR.UTF-8", "LANG": "de_DE"]) == .english)
        #expect(Language.fromEnvironment(["LC_ALL": "C", "LANG": "de_DE"]) == .english)
        #expect(Language.fromEnvironment([:]) == .english)
    }
}
