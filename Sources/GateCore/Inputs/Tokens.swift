import Foundation

/// The names of an embedding's rows: line n of a `--vocab` file is token id n, or the
/// model's `vocab` metadata, one character per row.
public struct Vocabulary: Equatable, Sendable {
    public var tokens: [String]
    /// Where the names came from, for messages ("vocab.txt", "the model's vocab").
    public var origin: String

    public init(tokens: [String], origin: String) {
        self.tokens = tokens
        self.origin = origin
    }

    /// Text is one token per character when every token is one character long; else it is
    /// split on whitespace.
    public var splitsOnWhitespace: Bool { tokens.contains { $0.count != 1 } }

    /// Reads a vocabulary file: one token per line (line n is id n), a final newline allowed.
    /// Empty lines and repeated tokens are errors naming the line, since either would make
    /// an id unreachable.
    public static func load(path: String) throws -> Vocabulary {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GateError("\(path): cannot be read (no such file, or not a file)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw GateError("\(path): not UTF-8 text") }
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        if lines.last == "" { lines.removeLast() }
        guard !lines.isEmpty else { throw GateError("\(path): the vocabulary is empty; it needs one token per line") }
        var seen: [String: Int] = [:]
        for (index, token) in lines.enumerated() {
            guard !token.isEmpty else { throw GateError("\(path), line \(index + 1): empty line; every line names token id \(index)") }
            if let first = seen[token] {
                throw GateError("\(path), line \(index + 1): \(String(reflecting: token)) is already token id \(first) (line \(first + 1))")
            }
            seen[token] = index
        }
        return Vocabulary(tokens: lines, origin: URL(fileURLWithPath: path).lastPathComponent)
    }

    /// The model's `vocab` characters as token names.
    public init(_ symbols: [Character]) {
        self.init(tokens: symbols.map { String($0) }, origin: "the model's vocab")
    }
}

extension InputSequence {
    /// Token ids through `embedding`: x_t is the row of id t; labels are the tokens' names
    /// when `vocabulary` has them, else "#id". An id outside the table is an error naming
    /// it and its position (from 1); `what` names where the ids came from.
    public static func embedded(_ ids: [Int], embedding: Embedding, vocabulary: Vocabulary?,
                                what: String, description: String) throws -> InputSequence {
        guard !ids.isEmpty else { throw GateError("\(what) has no token ids; give at least one") }
        var values: [[Float]] = []
        values.reserveCapacity(ids.count)
        for (position, id) in ids.enumerated() {
            guard let row = embedding.row(id) else {
                throw GateError("\(what): token id \(id) at position \(position + 1) is outside the embedding's \(embedding.vocabularySize) rows (ids 0 to \(embedding.vocabularySize - 1))")
            }
            values.append(row)
        }
        let names = vocabulary.map { vocabulary in ids.map { $0 < vocabulary.tokens.count ? vocabulary.tokens[$0] : "#\($0)" } }
        var sequence = InputSequence(values: values, labels: names?.map(tokenLabel) ?? ids.map { "#\($0)" },
                                     description: description)
        sequence.tokens = ids
        sequence.tokenNames = names
        return sequence
    }

    /// `--tokens 3,1,4`: ids separated by commas (spaces allowed).
    public static func parseTokenList(_ text: String) throws -> [Int] {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        return try fields.enumerated().map { position, field in
            guard let id = Int(field), field.allSatisfy(\.isASCII) else {
                throw GateError("--tokens: '\(field)' at position \(position + 1) is not a token id (a whole number ≥ 0)")
            }
            return id
        }
    }

    /// The ids of `text` in `vocabulary`: one token per character, or per whitespace-separated
    /// word when the vocabulary has longer tokens. An unknown token is an error naming it and
    /// its position (from 1).
    public static func tokenIDs(_ text: String, vocabulary: Vocabulary) throws -> [Int] {
        let pieces = vocabulary.splitsOnWhitespace
            ? text.split(whereSeparator: { $0.isWhitespace }).map(String.init) : text.map { String($0) }
        guard !pieces.isEmpty else { throw GateError("--text is empty; give at least one token") }
        var index: [String: Int] = [:]
        for (id, token) in vocabulary.tokens.enumerated() where index[token] == nil { index[token] = id }
        return try pieces.enumerated().map { position, piece in
            guard let id = index[piece] else {
                throw GateError("--text: \(tokenLabel(piece)) at position \(position + 1) is not in the vocabulary (\(vocabulary.origin), \(vocabulary.tokens.count) tokens)")
            }
            return id
        }
    }

    /// A token as a person reads it: quoted, control characters escaped.
    public static func tokenLabel(_ token: String) -> String {
        "'" + ModelFile.escaped(token) + "'"
    }

    /// Token ids from a CSV of one column of whole numbers (an optional header).
    static func tokenIDs(csv sequence: InputSequence, file: String) throws -> [Int] {
        try sequence.values.enumerated().map { t, row in
            let value = row.first ?? .nan
            guard value == value.rounded(), value >= 0, value < Float(1 << 24) else {
                throw GateError("\(file), step \(t + 1): \(value) is not a token id (a whole number ≥ 0)")
            }
            return Int(value)
        }
    }
}
