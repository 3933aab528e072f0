import Foundation

/// The built-in training tasks. Each gives the gates a job a person can watch them do.
public enum TaskKind: String, CaseIterable, Sendable {
    case delay, adding, text, sine, count, sign

    /// One line on what the model must do.
    public var summary: String {
        switch self {
        case .delay: "remember the first symbol and give it back after k distractors"
        case .adding: "add the two marked numbers of a sequence (Hochreiter & Schmidhuber 1997)"
        case .text: "predict the next character of a text"
        case .sine: "predict the next value of a sine wave"
        case .count: "report the bracket depth after every bracket"
        case .sign: "tell whether the first k inputs sum to more or less than zero, after a delay"
        }
    }

    /// Whether `--delay` sets the sequence (the distractors between what matters and the query).
    public var usesDelay: Bool { self == .delay || self == .sign }
}

/// How a task's success is measured on held-out sequences.
public enum TaskMetric: Sendable, Equatable {
    /// Fraction of labelled steps whose largest output is the target class.
    case accuracy
    /// Mean cross-entropy over labelled steps, in bits.
    case bitsPerCharacter
    /// Mean squared error over labelled steps and outputs.
    case meanSquaredError

    public var higherIsBetter: Bool { self == .accuracy }

    /// Whether `value` is strictly better than `other` (NaN is never better).
    public func isBetter(_ value: Float, than other: Float) -> Bool {
        guard !value.isNaN else { return false }
        guard !other.isNaN else { return true }
        return higherIsBetter ? value > other : value < other
    }

    /// Whether `value` meets `target`.
    public func reaches(_ value: Float, target: Float) -> Bool {
        higherIsBetter ? value >= target : value <= target
    }

    /// `value` in the unit people read it in.
    public func format(_ value: Float) -> String {
        guard value.isFinite else { return "\(value)" }
        switch self {
        case .accuracy: return String(format: "%.1f%%", Double(value) * 100)
        case .bitsPerCharacter: return String(format: "%.3f", Double(value))
        case .meanSquaredError: return String(format: "%.3g", Double(value))
        }
    }
}

/// Sequences to train or evaluate on: inputs [sequence][t][feature] and, for each
/// sequence, the loss that says which output is wanted at which step.
public struct TaskBatch: Sendable {
    public var inputs: [[[Float]]]
    public var losses: [Loss]
    public var count: Int { inputs.count }
}

/// A hand-picked sequence for the visualizer, with a label for every step.
public struct TaskDemo: Sendable {
    public var inputs: [[Float]]
    /// How each step's input reads: a character ("'a'") or values ("0.42 marked").
    public var stepLabels: [String]
    /// What the sequence is, in one line.
    public var description: String
}

/// A built-in task with its settings: a generator of sequences of any length, the loss
/// that fits it, a metric and the value of that metric that counts as solved.
public struct TrainingTask: Sendable {
    public let kind: TaskKind
    /// Steps in every sequence (for `delay`: the symbol, k distractors and the query).
    public let sequenceLength: Int
    /// The delay k of the `delay` and `sign` tasks; 0 for the others.
    public let delay: Int
    public let inputSize: Int
    public let outputSize: Int
    /// One symbol per input feature for one-hot inputs (delay, text, count); nil for numbers.
    public let vocab: [Character]?
    /// A name for every output of the head.
    public let outputLabels: [String]
    public let metric: TaskMetric
    /// What the metric measures here, e.g. "recall accuracy".
    public let metricName: String
    /// The metric value at which the task counts as solved (`compare` reports when).
    public let target: Float
    /// What a model that learned nothing scores, and how it does so.
    public let baseline: (value: Float, note: String)?
    public let learningRate: Double
    /// A budget that solves the task with the default model on two cores in minutes.
    public let defaultSteps: Int
    /// Where the text came from (`text` task): "built-in corpus" or the file's path.
    public let textSource: String?
    private let corpus: Corpus?

    /// Long enough that the plain RNN stays near chance where the LSTM and GRU solve it
    /// (`compare --task delay` with its defaults shows that, as docs/training.md says), and
    /// the length the demos were trained at.
    public static let defaultDelay = 20
    public static let delayVocab: [Character] = ["a", "b", "c", "x", "y", "?"]
    /// The symbols to remember are the first three of `delayVocab`, and the head's classes.
    static let delaySymbolCount = 3
    static let delayDistractors = 3...4
    static let delayQuery = 5
    public static let countVocab: [Character] = ["(", ")"]
    public static let maximumDepth = 4
    /// The sign task's counted inputs (odd, so that their ±1 values never sum to zero).
    public static let signTerms = 5
    /// The sign task's input channels: the value, the mark of a counted step, the query.
    static let signChannels = 3

    /// Builds a task. `delay` is for the delay task, `length` (sequence length) for the
    /// others, `textFile` replaces the built-in corpus of the text task.
    public init(kind: TaskKind, delay: Int? = nil, length: Int? = nil, textFile: String? = nil) throws {
        self.kind = kind
        if delay != nil && !kind.usesDelay {
            throw GateError("--delay is for --task delay and --task sign; use --length for the \(kind.rawValue) task")
        }
        if textFile != nil && kind != .text {
            throw GateError("--text-file is for --task text")
        }
        if length != nil && kind.usesDelay {
            throw GateError("the \(kind.rawValue) task's length is set by --delay (length = delay + \(kind == .delay ? 2 : Self.signTerms + 1))")
        }
        func checkedLength(_ defaultValue: Int, minimum: Int) throws -> Int {
            let value = length ?? defaultValue
            guard value >= minimum else {
                throw GateError("--length \(value) is too short for the \(kind.rawValue) task (minimum \(minimum))")
            }
            guard value <= 10_000 else { throw GateError("--length \(value) is more than 10000 steps") }
            return value
        }
        var corpus: Corpus?
        var textSource: String?
        func checkedDelay() throws -> Int {
            let k = delay ?? Self.defaultDelay
            guard k >= 1 else { throw GateError("--delay must be at least 1, got \(k)") }
            guard k <= 10_000 else { throw GateError("--delay \(k) is more than 10000 steps") }
            return k
        }
        switch kind {
        case .delay:
            let k = try checkedDelay()
            self.delay = k
            sequenceLength = k + 2
            vocab = Self.delayVocab
            inputSize = Self.delayVocab.count
            outputSize = Self.delaySymbolCount
            outputLabels = Self.delayVocab.prefix(Self.delaySymbolCount).map { String($0) }
            metric = .accuracy
            metricName = "recall accuracy"
            target = 0.99
            baseline = (1 / Float(Self.delaySymbolCount), "chance")
            learningRate = 1e-2
            defaultSteps = 1000
        case .adding:
            self.delay = 0
            sequenceLength = try checkedLength(20, minimum: 4)
            vocab = nil
            inputSize = 2
            outputSize = 1
            outputLabels = ["sum"]
            metric = .meanSquaredError
            metricName = "MSE of the sum"
            target = 0.01
            // The sum of two U(0,1) values has mean 1 and variance 1/6.
            baseline = (1.0 / 6.0, "always answering 1")
            learningRate = 1e-2
            defaultSteps = 1500
        case .text:
            self.delay = 0
            sequenceLength = try checkedLength(32, minimum: 2)
            let text: String
            if let textFile {
                text = try Self.readText(textFile)
                textSource = textFile
            } else {
                text = builtInCorpus
                textSource = Self.builtInCorpusName
            }
            let loaded = try Corpus(text: text, window: sequenceLength + 1, source: textSource ?? "")
            corpus = loaded
            vocab = loaded.vocab
            inputSize = loaded.vocab.count
            outputSize = loaded.vocab.count
            outputLabels = loaded.vocab.map { Self.symbolName($0) }
            metric = .bitsPerCharacter
            metricName = "bits per character"
            target = 3
            baseline = (Float(log2(Double(loaded.vocab.count))), "uniform guess")
            learningRate = 1e-2
            defaultSteps = 1000
        case .sine:
            self.delay = 0
            sequenceLength = try checkedLength(40, minimum: Self.sineWarmUp + 1)
            vocab = nil
            inputSize = 1
            outputSize = 1
            outputLabels = ["next"]
            metric = .meanSquaredError
            metricName = "MSE of the next value"
            target = 0.002
            baseline = nil
            learningRate = 1e-2
            defaultSteps = 1500
        case .count:
            self.delay = 0
            sequenceLength = try checkedLength(24, minimum: 2)
            vocab = Self.countVocab
            inputSize = Self.countVocab.count
            outputSize = Self.maximumDepth + 1
            outputLabels = (0...Self.maximumDepth).map { "depth \($0)" }
            metric = .accuracy
            metricName = "depth accuracy"
            target = 0.99
            baseline = nil
            learningRate = 1e-2
            defaultSteps = 1000
        case .sign:
            let k = try checkedDelay()
            self.delay = k
            sequenceLength = Self.signTerms + k + 1
            vocab = nil
            inputSize = Self.signChannels
            outputSize = 2
            outputLabels = ["positive", "negative"]
            metric = .accuracy
            metricName = "sign accuracy"
            target = 0.99
            baseline = (0.5, "chance")
            learningRate = 1e-2
            defaultSteps = 1000
        }
        self.corpus = corpus
        self.textSource = textSource
    }

    /// A batch of `size` sequences; `validation` draws text windows from the held-out part.
    public func batch(size: Int, using rng: inout SeededGenerator, validation: Bool = false) -> TaskBatch {
        var inputs: [[[Float]]] = []
        var losses: [Loss] = []
        inputs.reserveCapacity(size)
        losses.reserveCapacity(size)
        for _ in 0..<size {
            let (x, loss) = sample(using: &rng, validation: validation)
            inputs.append(x)
            losses.append(loss)
        }
        return TaskBatch(inputs: inputs, losses: losses)
    }

    /// One sequence and its loss.
    public func sample(using rng: inout SeededGenerator, validation: Bool = false) -> (inputs: [[Float]], loss: Loss) {
        switch kind {
        case .delay:
            let symbol = rng.index(below: Self.delaySymbolCount)
            // Delays vary from k/2 to k, so a memory that drifts with time cannot be read
            // out: the cell has to hold the value still.
            let shortest = max(1, (delay + 1) / 2)
            let length = shortest + rng.index(below: delay - shortest + 1)
            let distractors = (0..<length).map { _ in Self.delayDistractors.lowerBound + rng.index(below: Self.delayDistractors.count) }
            return delaySequence(symbol: symbol, distractors: distractors)
        case .adding:
            let values = (0..<sequenceLength).map { _ in rng.uniform(0, 1) }
            let half = sequenceLength / 2
            let first = rng.index(below: half)
            let second = half + rng.index(below: sequenceLength - half)
            return addingSequence(values: values, marked: (first, second))
        case .text:
            guard let corpus else { preconditionFailure("text task without a corpus") }
            let range = validation ? corpus.validationStarts : corpus.trainingStarts
            let start = range.lowerBound + rng.index(below: range.count)
            return textSequence(Array(corpus.indices[start...(start + sequenceLength)]))
        case .sine:
            let frequency = rng.uniform(Self.sineFrequencies.lowerBound, Self.sineFrequencies.upperBound)
            let amplitude = rng.uniform(Self.sineAmplitudes.lowerBound, Self.sineAmplitudes.upperBound)
            let phase = rng.uniform(0, 2 * Float.pi)
            return sineSequence(frequency: frequency, amplitude: amplitude, phase: phase)
        case .count:
            var depth = 0
            var brackets: [Int] = []
            for _ in 0..<sequenceLength {
                // Open at depth 0, close at the maximum, otherwise a fair coin.
                let open = depth == 0 || (depth < Self.maximumDepth && rng.index(below: 2) == 0)
                depth += open ? 1 : -1
                brackets.append(open ? 0 : 1)
            }
            return countSequence(brackets)
        case .sign:
            let terms = (0..<Self.signTerms).map { _ in rng.index(below: 2) == 0 ? Float(1) : -1 }
            // Delays vary from k/2 to k, as in the delay task, so the total must be held still.
            let shortest = max(1, (delay + 1) / 2)
            let length = shortest + rng.index(below: delay - shortest + 1)
            let distractors = (0..<length).map { _ in rng.uniform(-1, 1) }
            return signSequence(terms: terms, distractors: distractors)
        }
    }

    /// A fixed sequence for the visualizer, chosen so the task's mechanism shows.
    public func demo() -> TaskDemo {
        switch kind {
        case .delay:
            // A fixed distractor pattern, so every demo model reads the same sequence.
            var rng = SeededGenerator(seed: 7)
            let distractors = (0..<delay).map { _ in Self.delayDistractors.lowerBound + rng.index(below: Self.delayDistractors.count) }
            let x = delaySequence(symbol: 0, distractors: distractors).inputs
            return TaskDemo(inputs: x, stepLabels: x.map(oneHotLabel),
                            description: "delay task: remember 'a' across \(delay) distractors, answer at '?'")
        case .adding:
            var rng = SeededGenerator(seed: 11)
            let values = (0..<sequenceLength).map { _ in (rng.uniform(0, 1) * 100).rounded() / 100 }
            let marked = (1, sequenceLength / 2 + 2 < sequenceLength ? sequenceLength / 2 + 2 : sequenceLength - 1)
            let x = addingSequence(values: values, marked: marked).inputs
            let sum = values[marked.0] + values[marked.1]
            return TaskDemo(inputs: x, stepLabels: x.map { String(format: "%.2f", Double($0[0])) + ($0[1] > 0 ? " marked" : "") },
                            description: "adding task: the marked numbers sum to \(String(format: "%.2f", Double(sum))), answer at the last step")
        case .text:
            guard let corpus else { preconditionFailure("text task without a corpus") }
            let start = corpus.demoStart
            let x = textSequence(Array(corpus.indices[start...(start + sequenceLength)])).inputs
            return TaskDemo(inputs: x, stepLabels: x.map(oneHotLabel),
                            description: "text task: predict each next character of \"\(x.map(oneHotSymbol).joined().escapingControlCharacters)\"")
        case .sine:
            let x = sineSequence(frequency: 0.3, amplitude: 0.9, phase: 0).inputs
            return TaskDemo(inputs: x, stepLabels: x.map { String(format: "%+.2f", Double($0[0])) },
                            description: "sine task: predict the next value of 0.9·sin(0.3·t), t = 0, 1, 2, …")
        case .count:
            let pattern: [Int] = [0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1]
            let brackets = (0..<sequenceLength).map { pattern[$0 % pattern.count] }
            let x = countSequence(brackets).inputs
            return TaskDemo(inputs: x, stepLabels: x.map(oneHotLabel),
                            description: "count task: the depth of \(x.map(oneHotSymbol).joined()) after every bracket")
        case .sign:
            // Three +1 and two −1: a sum of +1, the closest call, then exactly k distractors.
            var rng = SeededGenerator(seed: 13)
            let distractors = (0..<delay).map { _ in (rng.uniform(-1, 1) * 100).rounded() / 100 }
            let x = signSequence(terms: [1, -1, 1, 1, -1], distractors: distractors).inputs
            let labels = x.map { step -> String in
                if step[2] > 0 { return "?" }
                return String(format: "%+.2f", Double(step[0])) + (step[1] > 0 ? " counted" : "")
            }
            return TaskDemo(inputs: x, stepLabels: labels,
                            description: "sign task: +1 −1 +1 +1 −1 sum to +1, then \(delay) distractors; answer 'positive' at '?'")
        }
    }

    /// What to watch in a trained model of kind `cell` on the demo sequence.
    public func watchNote(for cell: CellKind) -> String { Self.watchNoteText(kind: kind, cell: cell) }

    static func watchNoteText(kind: TaskKind, cell: CellKind) -> String {
        switch (kind, cell) {
        case (.delay, .lstm):
            "watch a unit whose forget gate stays near 1 from 'a' to '?': its cell state carries the symbol"
        case (.delay, .gru), (.delay, .gruResetBefore):
            "watch a unit whose update gate z stays near 1 after 'a': z ≈ 1 keeps the old h"
        case (.delay, .rnn):
            "no gate protects the state: watch the trace of 'a' in h fade during the distractors"
        case (.adding, _):
            "watch a unit that changes only at the marked steps and holds its value in between"
        case (.text, _):
            "watch which units switch at spaces and word boundaries"
        case (.sine, _):
            "watch two units trace the wave a quarter period apart, like sine and cosine"
        case (.count, _):
            "watch a unit whose state climbs at '(' and falls at ')': it counts the depth"
        case (.sign, _):
            "watch a unit that steps up or down at each counted input and holds its total through the distractors"
        }
    }

    // MARK: sequences from their contents

    private func oneHot(_ index: Int) -> [Float] {
        var x = [Float](repeating: 0, count: inputSize)
        x[index] = 1
        return x
    }

    private func oneHotSymbol(_ x: [Float]) -> String {
        guard let vocab, let index = x.firstIndex(of: 1) else { return "?" }
        return String(vocab[index])
    }

    private func oneHotLabel(_ x: [Float]) -> String {
        guard let vocab, let index = x.firstIndex(of: 1) else { return "?" }
        return Self.symbolName(vocab[index])
    }

    /// A character as a step label: quoted, with invisible ones spelled out.
    public static func symbolName(_ symbol: Character) -> String {
        switch symbol {
        case "\n": "'\\n'"
        case "\t": "'\\t'"
        case "\r": "'\\r'"
        default: "'\(symbol)'"
        }
    }

    private func delaySequence(symbol: Int, distractors: [Int]) -> (inputs: [[Float]], loss: Loss) {
        let x = [oneHot(symbol)] + distractors.map(oneHot) + [oneHot(Self.delayQuery)]
        var targets = [Int?](repeating: nil, count: x.count)
        targets[x.count - 1] = symbol
        return (x, .crossEntropy(targets: targets))
    }

    private func addingSequence(values: [Float], marked: (Int, Int)) -> (inputs: [[Float]], loss: Loss) {
        let x = values.indices.map { [values[$0], $0 == marked.0 || $0 == marked.1 ? 1 : 0] }
        var targets = [[Float]?](repeating: nil, count: x.count)
        targets[x.count - 1] = [values[marked.0] + values[marked.1]]
        return (x, .meanSquared(targets: targets))
    }

    private func textSequence(_ window: [Int]) -> (inputs: [[Float]], loss: Loss) {
        // Input the first L characters; each step's target is the character after it.
        (window.dropLast().map(oneHot), .crossEntropy(targets: window.dropFirst().map { $0 }))
    }

    static let sineFrequencies: ClosedRange<Float> = 0.15...0.6
    static let sineAmplitudes: ClosedRange<Float> = 0.5...1.0
    /// Steps without a target: a wave's frequency cannot be told from fewer values.
    static let sineWarmUp = 3

    private func sineSequence(frequency: Float, amplitude: Float, phase: Float) -> (inputs: [[Float]], loss: Loss) {
        let wave = (0...sequenceLength).map { amplitude * sinf(frequency * Float($0) + phase) }
        let targets: [[Float]?] = (0..<sequenceLength).map { $0 < Self.sineWarmUp ? nil : [wave[$0 + 1]] }
        return (wave.dropLast().map { [$0] }, .meanSquared(targets: targets))
    }

    private func countSequence(_ brackets: [Int]) -> (inputs: [[Float]], loss: Loss) {
        var depth = 0
        var targets: [Int?] = []
        for bracket in brackets {
            depth = min(max(depth + (bracket == 0 ? 1 : -1), 0), Self.maximumDepth)
            targets.append(depth)
        }
        return (brackets.map(oneHot), .crossEntropy(targets: targets))
    }

    /// Counted steps carry ±1 and a mark, distractors a value without one, the query only
    /// its flag; the answer is class 0 (positive) or 1 (negative) at the query.
    private func signSequence(terms: [Float], distractors: [Float]) -> (inputs: [[Float]], loss: Loss) {
        let x = terms.map { [$0, 1, 0] } + distractors.map { [$0, 0, 0] } + [[0, 0, 1]]
        var targets = [Int?](repeating: nil, count: x.count)
        targets[x.count - 1] = terms.reduce(0, +) > 0 ? 0 : 1
        return (x, .crossEntropy(targets: targets))
    }

    /// The largest text file trained on (128 MiB), so that an endless stream ends.
    static let maxTextFileBytes = 128 << 20

    private static func readText(_ path: String) throws -> String {
        let data = try LocalFile.readText(path, limit: maxTextFileBytes, kind: "a UTF-8 text file")
        guard let text = String(bytes: data, encoding: .utf8) else {
            throw GateError("\(path): not UTF-8 text")
        }
        return text
    }
}

/// A text as indices into its sorted set of characters, split into a training part and a
/// held-out tail for validation.
private struct Corpus: Sendable {
    static let maximumVocabulary = 256
    let vocab: [Character]
    let indices: [Int]
    /// Window starts (each window is `window` characters) in each part.
    let trainingStarts: Range<Int>
    let validationStarts: Range<Int>
    let demoStart: Int

    init(text: String, window: Int, source: String) throws {
        // "\r\n" is one Character in Swift; fold it so line ends have one symbol.
        let characters = Array(text.replacingOccurrences(of: "\r\n", with: "\n"))
        let vocab = Array(Set(characters)).sorted()
        guard vocab.count <= Self.maximumVocabulary else {
            throw GateError("\(source): \(vocab.count) distinct characters, at most \(Self.maximumVocabulary) are supported")
        }
        // The last tenth (at least two windows) is held out for the metric.
        let held = max(characters.count / 10, 2 * window)
        guard characters.count >= held + 2 * window else {
            throw GateError("\(source): \(characters.count) characters, the text task with --length \(window - 1) needs at least \(held + 2 * window)")
        }
        let position = Dictionary(uniqueKeysWithValues: vocab.enumerated().map { ($1, $0) })
        self.vocab = vocab
        indices = characters.map { position[$0] ?? 0 }
        let split = characters.count - held
        trainingStarts = 0..<(split - window + 1)
        validationStarts = split..<(characters.count - window + 1)
        // The demo starts at the first sentence or line that begins in the held-out part.
        let starts = validationStarts
        demoStart = starts.first { i in
            i >= 2 && (characters[i - 1] == "\n" || (characters[i - 1] == " " && ".!?".contains(characters[i - 2])))
        } ?? starts.lowerBound
    }
}

extension String {
    /// Newlines, tabs and carriage returns written as \n, \t, \r, so a text stays on one line.
    var escapingControlCharacters: String {
        replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t")
            .replacingOccurrences(of: "\r", with: "\\r")
    }
}

extension SeededGenerator {
    /// A uniform integer in 0..<n from the high bits of a 64 × 64-bit product, written out
    /// so that sequences do not depend on the standard library's sampling algorithm.
    mutating func index(below n: Int) -> Int {
        precondition(n > 0, "empty range")
        return Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }
}

extension TrainingTask {
    /// The task's metric of `model` on `batch` (held-out sequences).
    public func measure(_ model: RecurrentModel, on batch: TaskBatch) throws -> Float {
        var sum: Double = 0
        var count = 0
        for (x, loss) in zip(batch.inputs, batch.losses) {
            let trace = try model.trace(x)
            switch loss {
            case .crossEntropy(let targets):
                for (t, target) in targets.enumerated() {
                    guard let target else { continue }
                    let y = trace.output(t: t)
                    if metric == .accuracy {
                        // The first of equal maxima, as torch.argmax.
                        var best = y.startIndex
                        for j in y.indices where y[j] > y[best] { best = j }
                        sum += best - y.startIndex == target ? 1 : 0
                    } else {
                        let maximum = Double(y.max() ?? 0)
                        let logSum = maximum + log(y.reduce(0) { $0 + exp(Double($1) - maximum) })
                        sum += (logSum - Double(y[y.startIndex + target])) / log(2)
                    }
                    count += 1
                }
            case .meanSquared(let targets):
                for (t, target) in targets.enumerated() {
                    guard let target else { continue }
                    for (output, wanted) in zip(trace.output(t: t), target) {
                        let error = Double(output) - Double(wanted)
                        sum += error * error
                        count += 1
                    }
                }
            }
        }
        return count == 0 ? .nan : Float(sum / Double(count))
    }
}

/// The text task's built-in corpus, written for gatescope.
let builtInCorpus = """
A recurrent cell reads a sequence one step at a time. At every step it takes the new input and the state it kept from the step before, and it writes a new state. The state is all the cell knows about the past, so the question is always the same: what should be kept, and what should be let go?

A plain cell has no choice. It mixes the old state with the new input and squashes the sum, and it does this at every step. After a few steps the first input has been mixed and squashed so many times that almost nothing of it is left. When we train such a cell, the signal that should teach it about the distant past has to travel back through the same mixing, and it fades on the way. This is the vanishing gradient, and it is why a plain cell forgets.

A gate is a row of numbers between zero and one that multiplies another row of numbers. A gate near one lets a value pass. A gate near zero stops it. The cell learns when to open and when to close each gate, and the gates turn a blind mixer into something that can choose.

The long short-term memory cell has three gates and a separate memory. The forget gate decides how much of the old memory to keep. The input gate decides how much of the new candidate to write. The output gate decides how much of the memory to show as the hidden state. When the forget gate stays near one and the input gate stays near zero, the memory passes from step to step almost unchanged, and so does the signal that trains it. That is the whole trick: the memory is updated by addition, not by repeated squashing.

The gated recurrent unit does the same work with less. It has a reset gate and an update gate, and no separate memory. The update gate mixes the old hidden state with a new candidate. When the update gate is near one, the old state is kept; when it is near zero, the candidate takes its place. The reset gate decides how much of the old state the candidate may look at. With two gates instead of three, the unit has fewer weights and costs less at every step.

Which cell is better? On many tasks the two do about as well as each other. The long memory is said to hold a fact for longer, and the smaller unit is said to learn faster from little data. The honest answer is to train both on your task and compare them.

Watch a trained cell as it reads. Find the unit whose forget gate stays open while the rest of the sequence goes by. Its memory holds one number, and that number is the fact the cell was asked to remember. When the question comes, the output gate opens, and the fact appears in the hidden state just in time to be read.

A counter is another thing a gate can build. Give the cell a stream of open and close brackets and ask for the depth. One unit learns to add a little for every open bracket and to take a little away for every close bracket. Its memory climbs and falls like a staircase, and the gates around it keep the steps even.

Memory is not free. Every value that is kept takes room in the state, and every gate costs weights and time. A good cell keeps what it will need and lets the rest go. Training is how it finds out which is which: it tries, it is told how wrong it was, and the error flows back through the gates to every weight that played a part.
"""

extension TrainingTask {
    /// `size` held-out sequences, none with the inputs of a sequence in `training`: short
    /// tasks have few distinct sequences (the delay task at k = 4 has 3 · (2² + 2³ + 2⁴)), so
    /// independent draws would repeat training sequences and flatter a model that memorised
    /// them. Refuses, after a bounded number of draws, a task with too few to spare.
    public func heldOutBatch(size: Int, excluding training: TaskBatch,
                             using rng: inout SeededGenerator) throws -> TaskBatch {
        let seen = Set(training.inputs)
        var inputs: [[[Float]]] = []
        var losses: [Loss] = []
        var draws = 0
        let maxDraws = 20 * size + 1000
        while inputs.count < size {
            guard draws < maxDraws else {
                throw GateError("the \(kind.rawValue) task at this length has too few distinct sequences to hold out \(size) that are not among the \(training.count) training ones; use a smaller --train-size or a longer sequence")
            }
            draws += 1
            let (x, loss) = sample(using: &rng, validation: true)
            guard !seen.contains(x) else { continue }
            inputs.append(x)
            losses.append(loss)
        }
        return TaskBatch(inputs: inputs, losses: losses)
    }
}
