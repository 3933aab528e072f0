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

    /// Refuses a file that cannot be written, before any long work.
    func check() throws {
        if let record { try OutputFile.checkWritable(record) }
    }

    /// The recorder for --record, nil without it. Made just before the terminal is taken,
    /// so that nothing else can fail between its start and the session's.
    func makeRecorder() throws -> CastRecorder? {
        try record.map { try CastRecorder(path: $0, term: ProcessInfo.processInfo.environment["TERM"]) }
    }
}
