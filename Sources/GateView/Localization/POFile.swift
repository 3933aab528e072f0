import Foundation
import GateCore

/// The part of gettext's `.po` format the translations use: `#` comments, `msgid`,
/// `msgid_plural`, `msgstr` and `msgstr[N]`, each a quoted string that may go on over
/// following lines of quoted strings (joined), with the escapes \n \t \" \\. Obsolete
/// entries (`#~`) are comments. Anything else is an error naming the file and line.
enum POFile {
    struct Entry: Equatable {
        var msgid: String
        var msgidPlural: String?
        /// One string, or the plural forms in order.
        var msgstr: [String]
        /// The line of the entry's msgid, for messages about it.
        var line: Int
    }

    /// The entries of `text`, the header (msgid "") included. `source` names the file in
    /// errors: "es.po:12: …".
    static func parse(_ text: String, source: String) throws -> [Entry] {
        var entries: [Entry] = []
        var current: Entry?
        // The field the last keyword opened, which a line starting with a quote continues.
        var field: Field?
        var seen: [String: Int] = [:]

        func fail(_ line: Int, _ message: String) -> GateError { GateError("\(source):\(line): \(message)") }

        /// Ends the entry being read: it must have its msgstr, and its msgid only once.
        func close() throws {
            guard let entry = current else { return }
            guard !entry.msgstr.isEmpty else { throw fail(entry.line, "msgid without msgstr") }
            if let first = seen[entry.msgid] {
                throw fail(entry.line, "msgid \"\(entry.msgid)\" again (first at line \(first))")
            }
            seen[entry.msgid] = entry.line
            entries.append(entry)
            current = nil
        }

        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("\"") {
                guard let open = field, current != nil else { throw fail(number, "a string continues no msgid or msgstr") }
                let more = try string(line, line: number, fail: fail)
                switch open {
                case .msgid: current?.msgid += more
                case .msgidPlural: current?.msgidPlural? += more
                case .msgstr(let form): current?.msgstr[form] += more
                }
                continue
            }
            let keyword = String(line.prefix { !$0.isWhitespace })
            let value = try string(line.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces),
                                   line: number, fail: fail)
            switch keyword {
            case "msgid":
                try close()
                current = Entry(msgid: value, msgidPlural: nil, msgstr: [], line: number)
                field = .msgid
            case "msgid_plural":
                guard current != nil, current?.msgstr.isEmpty == true, current?.msgidPlural == nil else {
                    throw fail(number, "msgid_plural must follow a msgid")
                }
                current?.msgidPlural = value
                field = .msgidPlural
            case "msgstr":
                guard let entry = current, entry.msgstr.isEmpty, entry.msgidPlural == nil else {
                    throw fail(number, current?.msgidPlural != nil ? "a plural msgid takes msgstr[0], msgstr[1], …"
                                                                   : "msgstr must follow a msgid")
                }
                current?.msgstr = [value]
                field = .msgstr(0)
            case let form where form.hasPrefix("msgstr[") && form.hasSuffix("]"):
                let expected = current?.msgstr.count ?? 0
                guard let entry = current, entry.msgidPlural != nil, form == "msgstr[\(expected)]" else {
                    throw fail(number, current?.msgidPlural == nil ? "\(form) needs a msgid_plural before it"
                                                                   : "expected msgstr[\(expected)], found \(form)")
                }
                current?.msgstr.append(value)
                field = .msgstr(expected)
            default:
                throw fail(number, "expected msgid, msgid_plural, msgstr, a quoted string or a # comment, found \"\(keyword)\"")
            }
        }
        try close()
        return entries
    }

    private enum Field {
        case msgid, msgidPlural, msgstr(Int)
    }

    /// The text of a quoted string that makes up the whole of `text`, escapes resolved.
    private static func string(_ text: String, line: Int, fail: (Int, String) -> GateError) throws -> String {
        guard text.first == "\"" else { throw fail(line, "expected a quoted string, found \(text.isEmpty ? "nothing" : text)") }
        var result = ""
        var characters = text.dropFirst().makeIterator()
        while let character = characters.next() {
            switch character {
            case "\"":
                guard characters.next() == nil else { throw fail(line, "text after the closing quote") }
                return result
            case "\\":
                switch characters.next() {
                case "n"?: result += "\n"
                case "t"?: result += "\t"
                case "\""?: result += "\""
                case "\\"?: result += "\\"
                case let other: throw fail(line, "unknown escape \\\(other.map(String.init) ?? "") (use \\n \\t \\\" \\\\)")
                }
            default:
                result.append(character)
            }
        }
        throw fail(line, "the string has no closing quote")
    }
}
