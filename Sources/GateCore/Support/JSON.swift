/// `text` as a JSON string literal, for every JSON gatescope writes (traces, reports,
/// safetensors headers, asciicast recordings): quotes, backslashes and the control characters
/// (DEL too, and so the escape of every ANSI sequence) escaped, everything else as UTF-8.
public func jsonString(_ text: String) -> String {
    "\"" + backslashEscaped(text) { scalar in
        guard scalar.value < 0x20 || scalar.value == 0x7F else { return nil }
        let hex = String(scalar.value, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    } + "\""
}

/// `text` with the quote, the backslash, newline, return and tab written as backslash
/// escapes, as JSON and Swift both write them, and every other scalar that `escape` names
/// written as it says: the escaping of JSON strings and of text shown on one line
/// (`ModelFile.escaped`).
func backslashEscaped(_ text: String, _ escape: (Unicode.Scalar) -> String?) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if let escaped = escape(scalar) { out += escaped } else { out.unicodeScalars.append(scalar) }
        }
    }
    return out
}
