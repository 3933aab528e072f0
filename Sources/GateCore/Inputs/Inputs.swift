import Foundation

/// An input sequence ready to run: T steps of `inputSize` values, how each step reads to a
/// person, and one line on what the whole sequence is.
public struct InputSequence: Equatable, Sendable {
    public var values: StepRows
    public var labels: StepLabels
    public var description: String
    /// The token ids whose embedding rows `values` are; nil for other input.
    public var tokens: [Int]?
    /// The tokens' names from a vocabulary; nil without one.
    public var tokenNames: [String]?

    public init(values: [[Float]], labels: [String], description: String) {
        self.init(values: StepRows(values), labels: StepLabels(labels), description: description)
    }

    public init(values: StepRows, labels: StepLabels, description: String) {
        self.values = values
        self.labels = labels
        self.description = description
    }

    public var steps: Int { values.count }
}

/// Where an input sequence comes from: the `--input`, `--text` and `--random` options.
public enum InputSource: Equatable, Sendable {
    /// One row per step, one column per feature, an optional header row.
    case csv(path: String)
    /// One-hot vectors over the model's vocabulary, one character per step; for an
    /// embedding model, the tokens' ids through its vocabulary.
    case text(String)
    /// Token ids for an embedding model.
    case tokens([Int])
    /// Values drawn uniformly from [-1, 1), the same for the same seed.
    case random(steps: Int, seed: UInt64)

    /// What runs when the user gives no input: the model's vocabulary in order for a text
    /// model (a neutral probe), else 16 random steps.
    public static func defaultInput(for model: RecurrentModel, seed: UInt64) -> InputSource {
        if let vocab = model.vocab, !vocab.isEmpty { return .text(String(vocab)) }
        if let embedding = model.embedding { return .tokens(Array(0..<min(embedding.vocabularySize, 16))) }
        return .random(steps: 16, seed: seed)
    }

    /// The fewest steps this source can give, known before any file is read: a CSV file
    /// gives at least one.
    public var leastSteps: Int {
        switch self {
        case .csv: 1
        case .tokens(let ids): ids.count
        case .text(let text): text.count
        case .random(let steps, _): steps
        }
    }

    /// Reads or generates the sequence for `model`, checking that it fits the model's input
    /// size and that its trace can be held in memory. An embedding model reads token ids
    /// (named by `vocabulary`, else by the model's own vocab).
    public func load(for model: RecurrentModel, vocabulary: Vocabulary? = nil) throws -> InputSequence {
        if let embedding = model.embedding {
            return try loadTokens(embedding: embedding, vocabulary: vocabulary ?? model.vocab.map(Vocabulary.init), model: model)
        }
        if vocabulary != nil {
            throw GateError("--vocab names the rows of an embedding, and this model has none; its inputs are \(model.inputSize) numbers per step")
        }
        switch self {
        case .tokens:
            throw GateError("--tokens gives token ids to an embedding, and this model has none; use --input FILE.csv, --text or --random N")
        case .csv(let path):
            return try InputSequence.loadCSV(path: path, width: model.inputSize) { steps in
                try InputSequence.checkInputSize(model: model, steps: steps)
            }
        case .text(let text):
            guard let vocab = model.vocab, !vocab.isEmpty else {
                throw GateError("--text needs a model with a vocabulary, and this one has none; use --input FILE.csv or --random N")
            }
            guard vocab.count == model.inputSize else {
                throw GateError("the model's vocabulary has \(vocab.count) symbols but the model takes \(model.inputSize) inputs per step")
            }
            let sequence = try InputSequence.oneHot(text, vocab: vocab)
            try InputSequence.checkInputSize(model: model, steps: sequence.steps)
            return sequence
        case .random(let steps, let seed):
            try InputSequence.checkInputSize(model: model, steps: steps)
            return try InputSequence.random(steps: steps, width: model.inputSize, seed: seed)
        }
    }

    /// Token ids for an embedding model from any source: ids, text through the vocabulary,
    /// a one-column CSV of ids, or seeded random ids.
    private func loadTokens(embedding: Embedding, vocabulary: Vocabulary?, model: RecurrentModel) throws -> InputSequence {
        let ids: [Int], what: String, description: String
        switch self {
        case .tokens(let list):
            (ids, what) = (list, "--tokens")
            description = "\(list.count) token id\(list.count == 1 ? "" : "s")"
        case .text(let text):
            guard let vocabulary else {
                throw GateError("--text needs a vocabulary to turn text into token ids: give --vocab FILE (one token per line, line n is id n), or use --tokens 3,1,4")
            }
            (ids, what) = (try InputSequence.tokenIDs(text, vocabulary: vocabulary), "--text")
            description = "text through \(vocabulary.origin) (\(ids.count) token\(ids.count == 1 ? "" : "s"))"
        case .csv(let path):
            let table = try InputSequence.loadCSV(path: path, width: 1) { steps in
                try InputSequence.checkInputSize(model: model, steps: steps)
            }
            (ids, what) = (try InputSequence.tokenIDs(csv: table, file: path), path)
            description = table.description + " of token ids"
        case .random(let steps, let seed):
            guard steps >= 1 else { throw GateError("--random needs at least 1 step, got \(steps)") }
            var rng = SeededGenerator(seed: InputSequence.inputSeed(seed))
            ids = (0..<steps).map { _ in min(Int(rng.uniform(0, 1) * Float(embedding.vocabularySize)), embedding.vocabularySize - 1) }
            what = "--random"
            description = "\(steps) random token ids, seed \(seed)"
        }
        try InputSequence.checkInputSize(model: model, steps: ids.count)
        return try InputSequence.embedded(ids, embedding: embedding, vocabulary: vocabulary, what: what, description: description)
    }
}

extension InputSequence {
    /// The most float32 values held at once (256 MiB): a whole trace where one is held (the
    /// visualizer, `--grad`, a bidirectional layer), the inputs of any sequence. Larger
    /// requests are refused with a message before anything is allocated; `trace` streams a
    /// longer sequence a piece at a time.
    public static let maxTraceValues = 1 << 26

    /// The values one step records: x, y, and per layer and direction every block's
    /// pre-activation and activation, c or the GRU's recurrent part, o ⊙ tanh(c) before a
    /// projection, and h.
    static func traceValuesPerStep(_ model: RecurrentModel) -> Int {
        var perStep = model.inputSize + (model.head?.outputSize ?? 0)
        for layer in model.layers {
            let H = layer.hiddenSize
            perStep += layer.directionCount * (2 * layer.cell.blockCount * H + H + layer.stateSize
                + (layer.projectionSize > 0 ? H : 0))
        }
        return perStep
    }

    /// Refuses a sequence whose whole trace must be held at once (`heldFor` says for what:
    /// "the visualizer", "--grad's backward pass") and would not fit the budget.
    public static func checkTraceSize(model: RecurrentModel, steps: Int, heldFor: String) throws {
        guard steps > 0 else { return }
        // Counted in Double, which cannot overflow; anything near the limit is refused anyway.
        if Double(traceValuesPerStep(model)) * Double(steps) > Double(maxTraceValues) {
            let widths = model.layers.map(\.hiddenSize)
            throw traceTooLarge(steps: steps, layers: model.layerCount,
                                hidden: Set(widths).count == 1 ? "\(widths[0])" : widths.map(String.init).joined(separator: ", "),
                                heldFor: heldFor)
        }
    }

    /// Refuses a sequence whose inputs alone (held for any use) would not fit the budget.
    public static func checkInputSize(model: RecurrentModel, steps: Int) throws {
        if Double(max(model.inputSize, 1)) * Double(steps) > Double(maxTraceValues) {
            throw GateError("too large to hold: \(Wording.count(steps, "step")) of \(Wording.count(model.inputSize, "input")) need more than \(maxTraceValues) values (256 MiB) held at once; use fewer steps")
        }
    }

    /// The refusal of a trace over the budget: it names the sizes that make it large, so
    /// that a student knows whether the steps or the model are to blame, and what holds it.
    static func traceTooLarge(steps: Int, layers: Int, hidden: String, heldFor: String) -> GateError {
        GateError("too large: \(Wording.count(steps, "step")) of a model with \(Wording.count(layers, "layer")) of hidden size \(hidden) need more than \(maxTraceValues) values (256 MiB) held at once for \(heldFor); use fewer steps, layers or hidden units (`gatescope trace` streams any length without --grad or a bidirectional layer)")
    }

    /// `checkTraceSize(model:steps:)` for a model of these sizes, before it is built.
    public static func checkTraceSize(cell: CellKind, inputSize: Int, hiddenSize: Int, layers layerCount: Int,
                                      outputSize: Int, steps: Int, heldFor: String = "a whole trace") throws {
        // Fewer than one step records nothing; the input's own check says what is wrong.
        guard steps > 0 else { return }
        let perLayer = hiddenSize.multipliedReportingOverflow(by: 2 * cell.blockCount + 2)
        let layers = perLayer.partialValue.multipliedReportingOverflow(by: layerCount)
        let perStep = layers.partialValue.addingReportingOverflow(inputSize + outputSize)
        let total = perStep.partialValue.multipliedReportingOverflow(by: steps)
        if perLayer.overflow || layers.overflow || perStep.overflow || total.overflow
            || total.partialValue > maxTraceValues {
            throw traceTooLarge(steps: steps, layers: layerCount, hidden: "\(hiddenSize)", heldFor: heldFor)
        }
    }

    // MARK: CSV

    /// The largest CSV file read (128 MiB), so that an endless stream ends.
    public static let maxCSVBytes = 128 << 20

    /// Reads a CSV file of `width` columns (see `parseCSV`); `path` names the file in errors.
    /// It may be a pipe (`<(command)`); binary data (a NUL byte, as /dev/zero gives) and
    /// more than `maxCSVBytes` are refused while reading.
    public static func loadCSV(path: String, width: Int,
                               checkSteps: (Int) throws -> Void = { _ in }) throws -> InputSequence {
        let bytes = try LocalFile.readText(path, limit: maxCSVBytes, kind: "a CSV file")
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw GateError("\(path): not UTF-8 text")
        }
        return try parseCSV(text, file: path, width: width, checkSteps: checkSteps)
    }

    /// Parses CSV text into steps: one row per step, one comma-separated column per input
    /// feature, spaces around fields allowed, blank lines at the end ignored. A first row
    /// that is not all numbers is a header; its names describe the columns. Every error
    /// names `file`, the line and the column. `checkSteps` sees the number of steps, first
    /// counted from the lines (so that a file far too long is refused before its values
    /// are parsed), then from the rows read.
    public static func parseCSV(_ text: String, file: String, width: Int,
                                checkSteps: (Int) throws -> Void = { _ in }) throws -> InputSequence {
        // Spreadsheets often start UTF-8 files with a byte-order mark.
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let firstLine = body.prefix { !$0.isNewline }
        try checkSteps(nonBlankLineCount(text) - (isHeader(fields(of: firstLine)) ? 1 : 0))
        // `isNewline` treats "\r\n" as one separator, so Windows files read the same.
        var lines = body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        while let last = lines.last, isBlank(last) { lines.removeLast() }
        guard !lines.isEmpty else { throw GateError("\(file): the file is empty; it needs one row per step") }

        var header: [String]?
        var values = StepRows(width: width)
        for (index, line) in lines.enumerated() {
            let lineNumber = index + 1
            let place = "\(file), line \(lineNumber)"
            guard !isBlank(line) else {
                throw GateError("\(place): empty line; every line is one step (remove it)")
            }
            if line.drop(while: { $0 == " " || $0 == "\t" }).hasPrefix("#") {
                throw GateError("\(place): a line starting with # is not a comment in CSV input; remove it (every line is one step, the first may be a header of column names)")
            }
            let fields = fields(of: line)
            try checkWidth(fields.count, expected: width, place: place, firstRow: index == 0)
            if index == 0, isHeader(fields) {
                header = fields.map(unquoted)
                continue
            }
            var row: [Float] = []
            row.reserveCapacity(width)
            for (column, field) in fields.enumerated() {
                row.append(try number(field, at: "\(place), column \(column + 1)"))
            }
            values.append(row)
        }
        guard !values.isEmpty else {
            throw GateError("\(file): only a header row; it needs one row per step after it")
        }
        try checkSteps(values.count)
        let name = URL(fileURLWithPath: file).lastPathComponent
        var description = "\(name): \(values.count) step\(values.count == 1 ? "" : "s")"
        if let header { description += ", columns " + header.joined(separator: ", ") }
        return InputSequence(values: values, labels: StepLabels(valuesOf: values), description: description)
    }

    /// Lines holding more than spaces and tabs, counted over the bytes: no more than
    /// `parseCSV` finds, since it also splits at Unicode line separators, and fast enough
    /// for a file of millions of lines.
    private static func nonBlankLineCount(_ text: String) -> Int {
        var count = 0
        var blank = true
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                if !blank { count += 1 }
                blank = true
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                break
            default:
                blank = false
            }
        }
        return blank ? count : count + 1
    }

    private static func fields(of line: Substring) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// A row is a header when a field is text: not a number, nor a number written with a
    /// dash other than '-', which is a value to report, not a column name.
    private static func isHeader(_ fields: [String]) -> Bool {
        fields.contains { !$0.isEmpty && Float($0) == nil && asciiMinus($0) == nil }
    }

    /// Dashes that word processors and spreadsheets put where a minus sign belongs.
    private static let minusLookalikes: Set<Character> = ["\u{2212}", "\u{2012}", "\u{2013}", "\u{2014}", "\u{FE63}", "\u{FF0D}"]

    /// `field` with its look-alike minus signs replaced by '-', if that makes it a decimal
    /// number (and it had one); nil otherwise.
    private static func asciiMinus(_ field: String) -> String? {
        guard field.contains(where: minusLookalikes.contains) else { return nil }
        let fixed = String(field.map { minusLookalikes.contains($0) ? "-" : $0 })
        return isDecimal(fixed) ? fixed : nil
    }

    private static func isBlank(_ line: Substring) -> Bool {
        line.allSatisfy { $0 == " " || $0 == "\t" }
    }

    /// Every row has the model's width; the message names the first missing or extra column.
    private static func checkWidth(_ count: Int, expected: Int, place: String, firstRow: Bool) throws {
        guard count != expected else { return }
        let has = "the row has \(count) column\(count == 1 ? "" : "s")"
        let wanted = firstRow
            ? "the model takes \(expected) input\(expected == 1 ? "" : "s") per step"
            : "the rows above have \(expected)"
        if count < expected {
            throw GateError("\(place), column \(count + 1): missing value (\(has), \(wanted))")
        }
        throw GateError("\(place), column \(expected + 1): extra value (\(has), \(wanted))")
    }

    /// A finite float32 from one CSV field, or an error saying why not.
    private static func number(_ field: String, at place: String) throws -> Float {
        guard !field.isEmpty else { throw GateError("\(place): empty field, a number is needed") }
        guard isDecimal(field), let value = Float(field) else {
            if let fixed = asciiMinus(field), let dash = field.unicodeScalars.first(where: { minusLookalikes.contains(Character($0)) }) {
                throw GateError("\(place): '\(field)' has the sign U+\(String(dash.value, radix: 16, uppercase: true)), not the minus '-' a number needs; write \(fixed)")
            }
            let spelled = field.lowercased()
            if spelled.contains("nan") || spelled.contains("inf") {
                throw GateError("\(place): '\(field)' is not a finite number; NaN and infinities cannot be traced")
            }
            throw GateError("\(place): '\(field)' is not a decimal number")
        }
        guard value.isFinite else { throw GateError("\(place): '\(field)' is beyond float32's range (±3.4e38)") }
        return value
    }

    /// A decimal number as spreadsheets write it: an optional sign, digits with an optional
    /// point (at least one digit), an optional exponent. `Float()` alone also takes
    /// hexadecimal ("0x10"), "nan" and "infinity".
    static func isDecimal(_ field: String) -> Bool {
        var bytes = field.utf8[...]
        func digits() -> Int {
            let count = bytes.prefix(while: { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }).count
            bytes = bytes.dropFirst(count)
            return count
        }
        func skip(_ characters: String) -> Bool {
            guard let first = bytes.first, characters.utf8.contains(first) else { return false }
            bytes = bytes.dropFirst()
            return true
        }
        _ = skip("+-")
        var mantissa = digits()
        if skip(".") { mantissa += digits() }
        guard mantissa > 0 else { return false }
        if skip("eE") {
            _ = skip("+-")
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }

    private static func unquoted(_ name: String) -> String {
        name.count >= 2 && name.hasPrefix("\"") && name.hasSuffix("\"")
            ? String(name.dropFirst().dropLast()) : name
    }

    // MARK: Text

    /// One step per character of `text`, each a one-hot vector over `vocab`. A character
    /// outside the vocabulary is an error that names it, its position and the vocabulary.
    public static func oneHot(_ text: String, vocab: [Character]) throws -> InputSequence {
        guard !text.isEmpty else { throw GateError("--text is empty; give at least one character") }
        var index: [Character: Int] = [:]
        for (i, symbol) in vocab.enumerated() where index[symbol] == nil { index[symbol] = i }
        var values: [[Float]] = []
        values.reserveCapacity(text.count)
        for (position, character) in text.enumerated() {
            guard let hot = index[character] else {
                throw GateError("--text: \(characterLabel(character)) at position \(position + 1) is not in the model's vocabulary \(vocabularyLabel(vocab))")
            }
            var row = [Float](repeating: 0, count: vocab.count)
            row[hot] = 1
            values.append(row)
        }
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        return InputSequence(
            values: values, labels: text.map(characterLabel),
            description: "text \(vocabularyLabel(Array(shown))) (\(text.count) character\(text.count == 1 ? "" : "s"), one-hot over \(vocab.count) symbols)")
    }

    /// A character as a person reads it: quoted, control characters escaped.
    public static func characterLabel(_ character: Character) -> String {
        "'" + ModelFile.escaped(String(character)) + "'"
    }

    private static func vocabularyLabel(_ vocab: [Character]) -> String {
        "\"" + ModelFile.escaped(String(vocab)) + "\""
    }

    // MARK: Random

    /// The input stream's generator is seeded apart from the weights' (which use `seed`
    /// itself), so a built-in model and its random input never share numbers.
    static func inputSeed(_ seed: UInt64) -> UInt64 { seed ^ 0x1A7E_5EED_0000_0001 }

    /// `steps` steps of `width` values uniform in [-1, 1), determined by `seed`.
    public static func random(steps: Int, width: Int, seed: UInt64) throws -> InputSequence {
        guard steps >= 1 else { throw GateError("--random needs at least 1 step, got \(steps)") }
        var rng = SeededGenerator(seed: inputSeed(seed))
        var values = StepRows(width: width)
        for _ in 0..<steps { values.append((0..<width).map { _ in rng.uniform(-1, 1) }) }
        return InputSequence(values: values, labels: StepLabels(valuesOf: values),
                             description: "\(Wording.count(steps, "random step")), uniform in [-1, 1), seed \(seed)")
    }

    // MARK: Labels

    /// A few values as a person reads them, "(1, -0.25, 0.5)": at most two decimals, and
    /// long vectors shortened to their first four values.
    public static func valueLabel(_ values: [Float]) -> String {
        let shown = values.prefix(4).map(shortNumber)
        return "(" + shown.joined(separator: ", ") + (values.count > 4 ? ", …)" : ")")
    }

    private static func shortNumber(_ value: Float) -> String {
        var text = String(format: "%.2f", Double(value))
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}

extension Scenario {
    /// The same model on another input sequence; Tab variants keep that input too.
    public func replacingInputs(_ sequence: InputSequence) -> Scenario {
        var copy = self
        copy.inputs = sequence.values
        copy.tokens = sequence.tokens
        copy.tokenNames = sequence.tokenNames
        copy.stepLabels = sequence.labels
        copy.inputDescription = sequence.description
        // The new description names no unit to watch.
        copy.watchedUnit = nil
        if let variant = makeVariant {
            let model = self.model
            copy.makeVariant = { kind in
                try Scenario.checkVariant(kind, like: model, steps: sequence.steps)
                return try variant(kind).replacingInputs(sequence)
            }
        }
        return copy
    }

    /// A model loaded from a file. A plain stack holds weights of one cell kind only, so Tab gives
    /// a model of the other kind with the same sizes, bias, head and vocabulary but random
    /// weights (PyTorch's initialisation, `seed`), clearly named as such; Tab back to the
    /// file's kind returns the file's model.
    public static func loaded(_ model: RecurrentModel, name: String, inputs: InputSequence,
                              seed: UInt64) -> Scenario {
        variant(of: model, name: name, kind: model.cell, inputs: inputs, seed: seed)
    }

    private static func variant(of fileModel: RecurrentModel, name: String, kind: CellKind,
                                inputs: InputSequence, seed: UInt64) -> Scenario {
        var model = fileModel
        var modelName = name
        if kind != fileModel.cell && fileModel.isPlainStack {
            model = RecurrentModel.random(
                cell: kind, inputSize: fileModel.inputSize, hiddenSize: fileModel.hiddenSize,
                layers: fileModel.layerCount, bias: fileModel.hasBias,
                outputSize: fileModel.head?.outputSize, seed: seed)
            model.vocab = fileModel.vocab
            modelName = "random \(kind.displayName) weights, seed \(seed) (sizes of \(name))"
        }
        // The header's name is cut at 80 columns; the input line has room for the framework.
        let note = kind == fileModel.cell ? fileModel.frameworkNote.map { " · \($0)" } ?? "" : ""
        let fileCell = fileModel.cell
        var scenario = Scenario(
            model: model, modelName: modelName, inputs: inputs.values, stepLabels: inputs.labels,
            // A model from another framework says so: Keras with its words for the gates, ONNX
            // with the conventions read differently.
            inputDescription: inputs.description + note
                + (fileModel.frameworkNote == nil ? fileModel.sourceFrameworkNote.map { "; " + $0 } ?? "" : ""),
            // Short enough to follow "LSTM → GRU: " on an 80-column line; the header names the file.
            variantNote: { other in
                other == fileCell ? "the file's own weights"
                    : "random weights (seed \(seed)), same sizes as the file's \(fileCell.displayName)"
            },
            makeVariant: { other in
                if other != fileCell { try checkVariant(other, like: fileModel, steps: inputs.steps) }
                return variant(of: fileModel, name: name, kind: other, inputs: inputs, seed: seed)
            })
        scenario.hasRandomWeights = kind != fileModel.cell
        scenario.tokens = inputs.tokens
        scenario.tokenNames = inputs.tokenNames
        // A pipeline beyond a plain stack has no random twin of another kind: Tab is off.
        if !fileModel.isPlainStack { scenario.makeVariant = nil }
        return scenario
    }

    /// Refuses, before it is built, a model of kind `cell` with `model`'s sizes (Tab's
    /// variants) that would exceed the model limit, or whose trace of `steps` steps would
    /// exceed the trace budget: an LSTM has more parameters and records more values per
    /// step than a GRU or RNN of the same sizes.
    public static func checkVariant(_ cell: CellKind, like model: RecurrentModel, steps: Int) throws {
        try RecurrentModel.checkSizes(cell: cell, inputSize: model.inputSize, hiddenSize: model.hiddenSize,
                                      layers: model.layerCount, bias: model.hasBias, outputSize: model.head?.outputSize)
        try InputSequence.checkTraceSize(cell: cell, inputSize: model.inputSize, hiddenSize: model.hiddenSize,
                                         layers: model.layerCount, outputSize: model.head?.outputSize ?? 0,
                                         steps: TraceHolding.leastHeldSteps(steps, windowed: model.isWindowed),
                                         heldFor: "the visualizer")
    }
}
