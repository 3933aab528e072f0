import Foundation
import GateCore
import GateView

/// Records a session as an asciicast v2 file while it runs (`--record`): the run loop hands
/// it every frame it draws. The file is written as it goes, beside its name, and appears
/// under its name whole when the session ends (`finish`), however it ended; after an error
/// `discard` leaves nothing.
public final class CastRecorder {
    private let stream: OutputFile.Stream
    private var cast: Asciicast
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    /// The first write that failed: the session goes on, and `finish` reports it.
    private var failure: (any Error)?

    /// Starts a recording into `path`; `term` is $TERM, kept in the header.
    public init(path: String, term: String?) throws {
        stream = try OutputFile.Stream(path)
        cast = Asciicast(timestamp: Int(Date().timeIntervalSince1970), term: term)
        start = clock.now
    }

    /// Appends `frame`, drawn now.
    func record(_ frame: Buffer) {
        guard failure == nil else { return }
        let lines = cast.lines(for: frame, at: (clock.now - start) / .seconds(1))
        guard !lines.isEmpty else { return }
        do {
            try stream.append(Array(lines.utf8))
        } catch {
            failure = error
        }
    }

    /// Ends the recording and puts the file in place; throws the first failed write, if
    /// any (then nothing is left under the name).
    public func finish() throws {
        if let failure {
            stream.discard()
            throw failure
        }
        try stream.finish()
    }

    /// Ends the recording without keeping it.
    public func discard() { stream.discard() }
}
