import Foundation
import GateCore

/// Frames as an asciicast v2 recording, the format asciinema plays and converts
/// (https://docs.asciinema.org/manual/asciicast/v2/): newline-delimited JSON, a header
/// object with the terminal's size, then one `[seconds, code, data]` array per event. Each
/// frame is an output event ("o") whose data redraws what changed as ANSI text; a new size
/// is a resize event ("r", "WxH") followed by the whole frame. Only the last frame is kept,
/// to compare the next one with.
public struct Asciicast {
    /// Unix time the recording began, for the header.
    private let timestamp: Int
    /// $TERM, for the header's env (players read it to pick a terminal type).
    private let term: String?
    private var last: Buffer?
    private var lastSeconds = 0.0

    public init(timestamp: Int, term: String?) {
        self.timestamp = timestamp
        self.term = term
    }

    /// The lines to append for `frame`, drawn `seconds` after the recording began (each
    /// line ends with a newline): the header and the whole frame the first time; nothing
    /// when the frame is the last one again; after a resize the resize event and the whole
    /// frame; otherwise the rows that changed. Times never go back, so a player sees them
    /// in order even if the clock did not advance.
    public mutating func lines(for frame: Buffer, at seconds: Double) -> String {
        guard frame != last else { return "" }
        let time = String(format: "%.6f", max(seconds, lastSeconds))
        lastSeconds = max(seconds, lastSeconds)
        var lines = ""
        var rows = Array(0..<frame.height)
        // The terminal's cursor stays hidden, as gatescope hides it.
        var data = "\u{1B}[?25l"
        if let last {
            if last.width != frame.width || last.height != frame.height {
                lines += "[\(time), \"r\", \"\(frame.width)x\(frame.height)\"]\n"
            } else {
                data = ""
                rows = rows.filter { row in
                    let range = row * frame.width..<(row + 1) * frame.width
                    return frame.cells[range] != last.cells[range]
                }
            }
        } else {
            lines += Self.header(width: frame.width, height: frame.height, timestamp: timestamp, term: term)
        }
        // Each row from its first column: the old row erased, then the new one (erasing
        // after writing would erase the last column, where the cursor stops).
        for row in rows { data += "\u{1B}[\(row + 1);1H\u{1B}[2K" + frame.ansiLine(row) }
        last = frame
        return lines + "[\(time), \"o\", \(jsonString(data))]\n"
    }

    /// The header line: format version, size, start time, and TERM.
    static func header(width: Int, height: Int, timestamp: Int, term: String?) -> String {
        var header = "{\"version\": 2, \"width\": \(width), \"height\": \(height), \"timestamp\": \(timestamp)"
        if let term { header += ", \"env\": {\"TERM\": \(jsonString(term))}" }
        return header + "}\n"
    }
}
