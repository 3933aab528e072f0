import Foundation

/// The head's output at one step as a person reads it; the screen's input line and the
/// `trace` table both show it this way.
public enum HeadOutput: Sendable {
    /// One named output (a regression, e.g. "sum"): its value.
    case value(name: String, value: Float)
    /// Named classes (a vocabulary, or the classes a trained model lists in its "outputs"
    /// metadata): the likeliest first, with their softmax probabilities.
    case classes([(name: String, probability: Float)])
    /// Outputs without names: the values themselves.
    case values([Float])

    /// How many classes are shown.
    public static let shownClasses = 3

    /// `y` read with `names` (one per output, or none).
    public init(_ y: [Float], names: [String]) {
        if names.count == 1, y.count == 1 {
            self = .value(name: names[0], value: y[0])
        } else if !names.isEmpty, names.count == y.count {
            let probabilities = Self.softmax(y)
            // Stable order for ties: the lower index first, as argmax picks it.
            let top = probabilities.indices.sorted {
                probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1)
            }.prefix(Self.shownClasses)
            self = .classes(top.map { (names[$0], probabilities[$0]) })
        } else {
            self = .values(y)
        }
    }

    /// Softmax without overflow: the largest finite logit is subtracted first.
    public static func softmax(_ logits: [Float]) -> [Float] {
        let largest = logits.filter(\.isFinite).max() ?? 0
        let exponentials = logits.map { $0.isNaN ? 0 : expf($0 - largest) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { total > 0 ? $0 / total : 0 }
    }
}

extension Scenario {
    /// A name per head output: the vocabulary's symbols quoted ('a', '\n'), else the class
    /// names a trained model lists in its "outputs" metadata; none when they are unnamed or
    /// the count disagrees.
    public func outputNames(count: Int) -> [String] {
        if let vocab = model.vocab, vocab.count == count { return vocab.map(TrainingTask.symbolName) }
        let labels = model.metadata["outputs"]?.split(separator: ",").map(String.init) ?? []
        return labels.count == count ? labels : []
    }

    /// The head's output at step `t` (0-based) as a person reads it; nil without a head.
    public func headOutput(_ trace: Trace, t: Int) -> HeadOutput? {
        guard trace.outputSize > 0 else { return nil }
        let y = Array(trace.output(t: t))
        return HeadOutput(y, names: outputNames(count: y.count))
    }
}
