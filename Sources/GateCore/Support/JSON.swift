/// `text` as a JSON string literal, for every JSON gatescope writes (traces, reports,
/// safetensors headers, asciicast recordings): quotes, backslashes and the control characters
/// (DEL too, and so the escape of every ANSI sequence) escaped, everything else as UTF-8.
public func jsonString(_ text: String) -> String {
    var json = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": json += "\\\""
        case "\\": json += "\\\\"
        case "\n": json += "\\n"
        case "\r": json += "\\r"
        case "\t": json += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            let hex = String(scalar.value, radix: 16)
            json += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: json.unicodeScalars.append(scalar)
        }
    }
    return json + "\""
}
