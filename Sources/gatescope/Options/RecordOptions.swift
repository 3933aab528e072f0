import ArgumentParser
import CursesTerminal
import Foundation
import GateCore

/// `--record FILE.cast`: the session as an asciinema v2 recording. A group of its own, so
/// every command that runs the visualizer offers it the same way.
struct RecordOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Record the session as it happens into an asciinema v2 file (play it with `asciinema play FILE`); "
            + "the file appears when the session ends.",
        valueName: "file.cast"))
    var record: String?

    /// Refuses, before any long work, a file that cannot be written or that is one of the
    /// session's `inputs` (the model, the CSV).
    func check(inputs: [(option: String, path: String)]) throws {
        if let record { try OutputFile.checkOutput(record, option: "--record", inputs: inputs) }
    }

    /// Runs `session` with the recorder for --record (nil without it) and puts the
    /// recording in place however the session ended, a signal included; a session that
    /// throws leaves no file. The recorder starts just before the session, so that nothing
    /// else can fail in between.
    func run(_ session: (CastRecorder?) throws -> Terminal.Ending) throws -> Terminal.Ending {
        let recorder = try record.map { try CastRecorder(path: $0, term: ProcessInfo.processInfo.environment["TERM"]) }
        let ending: Terminal.Ending
        do {
            ending = try session(recorder)
        } catch {
            recorder?.discard()
            throw error
        }
        try recorder?.finish()
        return ending
    }
}
