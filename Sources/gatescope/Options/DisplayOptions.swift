import ArgumentParser
import Foundation
import GateCore
import GateView

/// `--theme`, `--no-color` and `--lang`: how the visualizer looks and which language its
/// screen speaks, the same for `show`, `render` and `lesson`.
struct DisplayOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Colours: " + Theme.all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ") + ".",
        valueName: "name"))
    var theme = Theme.standard.name

    @Flag(name: .customLong("no-color"), help: "No colour, as with NO_COLOR=1: shades and glyphs carry the values.")
    var noColor = false

    @Option(help: ArgumentHelp(
        "The screen's language: " + Language.allCases.map(\.code).joined(separator: ", ")
            + " (default: from LC_ALL, LC_MESSAGES or LANG, else en). Help and error lines stay English.",
        valueName: "code"))
    var lang: String?

    /// The theme --theme names; throws naming the value and the themes there are.
    func chosenTheme() throws -> Theme {
        guard let chosen = Theme.named(theme) else {
            throw GateError("--theme \(theme): expected one of \(Theme.all.map(\.name).joined(separator: ", "))")
        }
        return chosen
    }

    /// The language --lang names, else the environment's; throws naming a code we do not speak.
    func language(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Language {
        guard let lang else { return Language.fromEnvironment(environment) }
        guard let chosen = Language(rawValue: lang) else {
            throw GateError("--lang \(lang): expected one of \(Language.allCases.map(\.code).joined(separator: ", "))")
        }
        return chosen
    }
}
