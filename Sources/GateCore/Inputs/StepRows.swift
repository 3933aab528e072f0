/// The inputs of a sequence, T rows of `width` float32 values in one flat array: a million
/// steps are one allocation instead of a million small arrays (which cost more in headers
/// than in values). It reads and writes as a collection of rows.
public struct StepRows: RandomAccessCollection, MutableCollection, Equatable, Sendable, ExpressibleByArrayLiteral {
    /// Values per row (0 for no rows).
    public private(set) var width: Int
    /// Row t is values[t·width ..< (t+1)·width].
    private var values: [Float]
    private var rowCount: Int

    /// No rows yet, each to have `width` values.
    public init(width: Int) {
        self.width = width
        values = []
        rowCount = 0
    }

    /// `rows`, which must all have the same length (every reader of inputs checks the width
    /// against the model's first).
    public init(_ rows: [[Float]]) {
        self.init(width: rows.first?.count ?? 0)
        values.reserveCapacity(rows.count * width)
        for row in rows { append(row) }
    }

    public init(arrayLiteral rows: [Float]...) { self.init(rows) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { rowCount }

    public subscript(t: Int) -> [Float] {
        get { Array(values[t * width..<(t + 1) * width]) }
        set {
            precondition(newValue.count == width, "a row of \(newValue.count) values in rows of \(width)")
            values.replaceSubrange(t * width..<(t + 1) * width, with: newValue)
        }
    }

    /// Adds a row at the end; the first row of an empty collection sets the width.
    public mutating func append(_ row: [Float]) {
        if rowCount == 0 { width = row.count }
        precondition(row.count == width, "a row of \(row.count) values in rows of \(width)")
        values.append(contentsOf: row)
        rowCount += 1
    }

    public static func == (lhs: StepRows, rhs: StepRows) -> Bool {
        lhs.rowCount == rhs.rowCount && lhs.values == rhs.values
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
