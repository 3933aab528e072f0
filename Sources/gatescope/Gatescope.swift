import ArgumentParser
import Foundation
import GateCore

@main
struct Gatescope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatescope",
        abstract: "Open an LSTM, GRU or RNN cell and watch its gates, step by step.",
        discussion: "With no subcommand name, the default subcommand runs with the options given.",
        // One line per command. The default, the visualizer, runs when no subcommand name
        // is given.
        subcommands: [
            Show.self,
            TraceCommand.self,
            Render.self,
            Inspect.self,
            Init.self,
            Bench.self,
            Train.self,
            Compare.self,
        ],
        defaultSubcommand: Show.self)

    /// Runs the command line, printing every failure as one line `error: <message>` on
    /// stderr with a non-zero status; help and version print as argument-parser does.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as GateError {
            // Our messages are one line already and may start with a path, whose case counts.
            fail(error.message, status: ExitCode.failure, lowercasingFirst: false)
        } catch {
            let status = exitCode(for: error)
            let text = message(for: error)
            if status == .success || text.isEmpty { exit(withError: error) }
            fail(text, status: status, lowercasingFirst: true)
        }
    }

    private static func fail(_ message: String, status: ExitCode, lowercasingFirst: Bool) -> Never {
        // argument-parser's messages start with a capital and may span lines; gatescope's
        // errors are one line, starting in lower case.
        var line = message.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
        if lowercasingFirst, let first = line.first, first.isUppercase,
           line.dropFirst().first.map({ $0.isLowercase || $0 == " " }) ?? true {
            line = first.lowercased() + line.dropFirst()
        }
        FileHandle.standardError.write(Data("error: \(line)\n".utf8))
        Foundation.exit(status.rawValue == 0 ? 1 : status.rawValue)
    }
}
