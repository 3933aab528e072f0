/// The inputs of a sequence, T rows of float32 values in one flat array: a million steps are
/// one allocation instead of a million small arrays (which cost more in headers than in
/// values). It reads and writes as a collection of rows. Rows normally share one width (the
/// model's input size); a row of another length (which the trace refuses, naming its step)
/// is kept as given.
public struct StepRows: RandomAccessCollection, MutableCollection, Equatable, Sendable, ExpressibleByArrayLiteral {
    /// The rows one after the other.
    private var values: [Float] = []
    private var rowCount = 0
    /// The length of every row while they share one.
    private var width: Int
    /// Where each row ends in `values`, once rows differ in length; nil while all have `width`.
    private var ends: [Int]?

    /// No rows yet, each to have `width` values.
    public init(width: Int) { self.width = width }

    public init(_ rows: [[Float]]) {
        self.init(width: rows.first?.count ?? 0)
        values.reserveCapacity(rows.count * width)
        for row in rows { append(row) }
    }

    public init(arrayLiteral rows: [Float]...) { self.init(rows) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { rowCount }

    /// Where row t lies in `values`.
    private func bounds(_ t: Int) -> Range<Int> {
        guard let ends else { return t * width..<(t + 1) * width }
        return (t == 0 ? 0 : ends[t - 1])..<ends[t]
    }

    public subscript(t: Int) -> [Float] {
        get { Array(values[bounds(t)]) }
        set {
            let old = bounds(t)
            if newValue.count != old.count {
                keepEnds()
                // The rows after it move by the difference.
                for later in t..<rowCount { ends?[later] += newValue.count - old.count }
            }
            values.replaceSubrange(old, with: newValue)
        }
    }

    /// Adds a row at the end; the first row of an empty collection sets the width.
    public mutating func append(_ row: [Float]) {
        if rowCount == 0 && ends == nil { width = row.count }
        if row.count != width { keepEnds() }
        values.append(contentsOf: row)
        rowCount += 1
        ends?.append(values.count)
    }

    /// Records where each row ends, as rows are about to differ in length.
    private mutating func keepEnds() {
        guard ends == nil else { return }
        ends = (0..<rowCount).map { ($0 + 1) * width }
    }

    public static func == (lhs: StepRows, rhs: StepRows) -> Bool {
        lhs.rowCount == rhs.rowCount && lhs.values == rhs.values
            && (0..<lhs.rowCount).allSatisfy { lhs.bounds($0) == rhs.bounds($0) }
    }
}

/// How each step's input reads to a person ("'a'", "(0.58, 0.31, …)"). Labels of plain values
/// (random or CSV input) are made from the values when read, so that a million steps hold no
/// million strings; a label set afterwards (a poked input) is kept as given.
public struct StepLabels: RandomAccessCollection, MutableCollection, Equatable, Sendable, ExpressibleByArrayLiteral {
    private enum Source: Sendable {
        case given([String])
        /// `InputSequence.valueLabel` of each row, except the steps in `replaced`.
        case values(StepRows, replaced: [Int: String])
    }

    private var source: Source

    public init(_ labels: [String]) { source = .given(labels) }

    public init(arrayLiteral labels: String...) { self.init(labels) }

    /// Each row's values as `InputSequence.valueLabel` shows them.
    public init(valuesOf rows: StepRows) { source = .values(rows, replaced: [:]) }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch source {
        case .given(let labels): labels.count
        case .values(let rows, _): rows.count
        }
    }

    public subscript(t: Int) -> String {
        get {
            switch source {
            case .given(let labels): labels[t]
            case .values(let rows, let replaced): replaced[t] ?? InputSequence.valueLabel(rows[t])
            }
        }
        set {
            switch source {
            case .given(var labels):
                labels[t] = newValue
                source = .given(labels)
            case .values(let rows, var replaced):
                replaced[t] = newValue
                source = .values(rows, replaced: replaced)
            }
        }
    }

    public static func == (lhs: StepLabels, rhs: StepLabels) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }
}
