import Foundation

/// What `compare` prints about an experiment: a table of the summaries, the cost of each
/// cell against the LSTM as the articles phrase it, a chart of a sweep, and every run as JSON.
public enum ExperimentReport {
    /// One row per cell and swept value. Over several seeds a number reads "mean (min–max)".
    public static func table(_ plan: ExperimentPlan, _ summaries: [ExperimentSummary], metric: TaskMetric,
                             metricName: String) -> String {
        let fixedSet = plan.runs.contains { $0.config.trainingSetSize != nil }
        var header = ["cell"]
        if let axis = plan.axis { header.append(axis.title) }
        header += ["params", "mult-adds/step", "ms/update", "target reached", "updates to target"]
        if fixedSet { header += ["epochs to target", "training " + metricName] }
        header.append("held-out " + metricName)
        var rows = [header]
        for summary in summaries {
            var row = [summary.cell.displayName]
            if plan.axis != nil { row.append(summary.value.map(String.init) ?? "-") }
            row += [String(summary.parameters), String(summary.multiplyAddsPerStep),
                    spread(summary.secondsPerUpdate) { String(format: "%.2f", $0 * 1000) },
                    "\(summary.reached) of \(summary.runs)",
                    summary.updatesToTarget.map { spread($0) { String(format: "%.0f", $0) } } ?? "-"]
            if fixedSet {
                row.append(summary.epochsToTarget.map { spread($0) { String(format: "%.1f", $0) } } ?? "-")
                row.append(summary.training.map { spread($0) { metric.format(Float($0)) } } ?? "-")
            }
            row.append(spread(summary.heldOut) { metric.format(Float($0)) })
            rows.append(row)
        }
        return aligned(rows, leftColumns: 1)
    }

    /// "97.1% (93.8%–100.0%)" over values that differ, "97.1%" when they do not.
    static func spread(_ s: Spread, _ format: (Double) -> String) -> String {
        let (low, high) = (format(s.min), format(s.max))
        return low == high ? format(s.mean) : "\(format(s.mean)) (\(low)–\(high))"
    }

    /// Columns padded to their widest entry: the first `leftColumns` left-aligned, the rest
    /// right-aligned; nothing trails a line.
    static func aligned(_ rows: [[String]], leftColumns: Int) -> String {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.map { row in
            let cells = row.enumerated().map { c, text in
                let pad = String(repeating: " ", count: widths[c] - text.count)
                return c < leftColumns ? text + pad : pad + text
            }
            return cells.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }

    /// For each cell other than the LSTM and each swept value, one line in the articles'
    /// terms: "GRU: 24 % fewer parameters, 18 % faster per update, 30 % fewer updates to
    /// 99.0%". Without an LSTM in the plan there is nothing to set them against.
    public static func costLines(_ plan: ExperimentPlan, _ summaries: [ExperimentSummary], metric: TaskMetric,
                                 target: Float) -> [String] {
        var lines: [String] = []
        let unit = plan.runs.contains { $0.config.trainingSetSize != nil } ? "epochs" : "updates"
        let goal = "\(unit) to \(metric.format(target))"
        // The single-kind LSTM entry, stacked as --layers says; a hybrid is set against it too.
        let reference = CellStack(.lstm)
        for summary in summaries where summary.cell != reference {
            guard let lstm = summaries.first(where: { $0.cell == reference && $0.value == summary.value }) else { continue }
            var parts = [
                relative(Double(summary.parameters), Double(lstm.parameters), noun: "parameters",
                         less: "fewer parameters", more: "more parameters"),
                relative(summary.secondsPerUpdate.mean, lstm.secondsPerUpdate.mean, noun: "speed per update",
                         less: "faster per update", more: "slower per update"),
            ]
            let mine = unit == "epochs" ? summary.epochsToTarget : summary.updatesToTarget
            let theirs = unit == "epochs" ? lstm.epochsToTarget : lstm.updatesToTarget
            switch (mine, theirs) {
            case let (mine?, theirs?):
                var phrase = relative(mine.mean, theirs.mean, noun: goal, less: "fewer " + goal, more: "more " + goal)
                if summary.reached < summary.runs || lstm.reached < lstm.runs {
                    phrase += " (of the runs that got there: \(summary.reached) of \(summary.runs) and \(lstm.reached) of \(lstm.runs))"
                }
                parts.append(phrase)
            case (_?, nil):
                parts.append("reached \(metric.format(target)) in \(summary.reached) of \(summary.runs) runs, the LSTM in none")
            case (nil, _?):
                parts.append("never reached \(metric.format(target)), the LSTM did in \(lstm.reached) of \(lstm.runs) runs")
            case (nil, nil):
                parts.append("neither reached \(metric.format(target))")
            }
            let at = plan.axis.map { axis in summary.value.map { " at \(axis.title) \($0)" } ?? "" } ?? ""
            lines.append("\(summary.cell.displayName) against the LSTM\(at): " + parts.joined(separator: ", "))
        }
        return lines
    }

    /// "24 % fewer parameters" for 0.76, "12 % more …" for 1.12, "the same …" within 0.5 %.
    static func relative(_ value: Double, _ reference: Double, noun: String, less: String, more: String) -> String {
        guard reference > 0, value.isFinite, reference.isFinite else { return "\(noun) not comparable" }
        let ratio = value / reference
        let percent = Int((abs(1 - ratio) * 100).rounded())
        if percent == 0 { return "the same \(noun)" }
        return ratio < 1 ? "\(percent) % \(less)" : "\(percent) % \(more)"
    }

    /// The sweep's chart: the held-out metric of each cell against the swept value.
    public static func chart(_ plan: ExperimentPlan, _ summaries: [ExperimentSummary], metric: TaskMetric,
                             metricName: String, unicode: Bool) -> [String] {
        guard let axis = plan.axis else { return [] }
        let series = plan.cells.map { cell in
            SweepChart.Series(label: cell.displayName, points: plan.values.map { value in
                summaries.first { $0.cell == cell && $0.value == value }.map {
                    SweepChart.Point(mean: $0.heldOut.mean, low: $0.heldOut.min, high: $0.heldOut.max)
                }
            })
        }
        let highest = summaries.map(\.heldOut.max).filter(\.isFinite).max() ?? 1
        let range = metric == .accuracy ? 0.0...1.0 : 0.0...Swift.max(highest, 1e-9)
        let spread = plan.seeds > 1 ? "mean over the seeds, bars from the lowest to the highest" : "one seed"
        return SweepChart.lines(title: "held-out \(metricName) against \(axis.title) (\(spread))",
                                xTitle: axis.title, xValues: plan.values, range: range,
                                format: { metric.format(Float($0)) }, series: series, height: 11, unicode: unicode)
    }

    /// Every run, for scripts: its settings, seed, curves, metrics and times. `kept` maps a
    /// run's index to the file its model was written to.
    public static func json(_ plan: ExperimentPlan, _ runs: [ExperimentRun], kept: [Int: String] = [:],
                            interrupted: Bool) throws -> String {
        let task = plan.runs.first?.task
        let document = Document(
            task: task?.kind.rawValue ?? "", metric: task?.metricName ?? "", target: task?.target ?? 0,
            axis: plan.axis?.rawValue, values: plan.values, seeds: plan.seeds,
            cells: plan.cells.map(\.name), interrupted: interrupted,
            runs: runs.map { RunRecord($0, axis: plan.axis, file: kept[$0.run.index]) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    struct Document: Encodable {
        let task: String
        let metric: String
        let target: Float
        let axis: String?
        let values: [Int]
        let seeds: Int
        let cells: [String]
        let interrupted: Bool
        let runs: [RunRecord]
    }

    struct Evaluation: Encodable {
        let update: Int
        let metric: Float
    }

    struct RunRecord: Encodable {
        /// The --cells entry ("gru+lstm"), and the kind of every layer it trained, bottom first.
        let cell: String
        let stack: [String]
        let axis: String?
        let value: Int?
        let seed: UInt64
        let delay: Int?
        let length: Int
        let hidden: Int
        let layers: Int
        let batch: Int
        let learningRate: Double
        let trainSize: Int?
        let updatesPlanned: Int
        let updates: Int
        let epochs: Double?
        let interrupted: Bool
        let skippedUpdates: Int
        let parameters: Int
        let multiplyAddsPerStep: Int
        let seconds: Double
        let secondsPerUpdate: Double
        let heldOutMetric: Float
        let bestUpdate: Int
        let finalMetric: Float?
        let trainingMetric: Float?
        let updatesToTarget: Int?
        let epochsToTarget: Double?
        let losses: [Float]
        let evaluations: [Evaluation]
        let file: String?

        init(_ run: ExperimentRun, axis: SweepAxis?, file: String?) {
            let (plan, result) = (run.run, run.result)
            cell = plan.cell.name
            stack = plan.config.stack.map(\.rawValue)
            self.axis = axis?.rawValue
            value = plan.value
            seed = plan.config.seed
            delay = plan.task.kind.usesDelay ? plan.task.delay : nil
            length = plan.task.sequenceLength
            hidden = plan.config.hiddenSize
            layers = plan.config.layers
            batch = plan.config.batchSize
            learningRate = plan.config.learningRate
            trainSize = plan.config.trainingSetSize
            updatesPlanned = plan.config.steps
            updates = result.stepsTaken
            epochs = plan.config.epochs(forUpdates: result.stepsTaken)
            interrupted = result.interrupted
            skippedUpdates = result.skippedSteps
            parameters = result.best.parameterCount
            multiplyAddsPerStep = result.best.multiplyAddsPerStep
            seconds = result.seconds
            secondsPerUpdate = run.secondsPerUpdate
            heldOutMetric = result.bestMetric
            bestUpdate = result.bestStep
            finalMetric = result.evaluations.last?.metric
            trainingMetric = result.trainingMetric
            updatesToTarget = result.stepsToTarget
            epochsToTarget = run.epochsToTarget
            losses = result.losses
            evaluations = result.evaluations.map { Evaluation(update: $0.step, metric: $0.metric) }
            self.file = file
        }
    }
}

/// A chart of values against a swept setting, drawn in text: one marker per series at
/// each swept value, dots between a series' markers, and a bar through its spread.
public enum SweepChart {
    public struct Point: Sendable, Equatable {
        public var mean: Double
        public var low: Double
        public var high: Double
        public init(mean: Double, low: Double, high: Double) {
            self.mean = mean
            self.low = low
            self.high = high
        }
    }

    public struct Series: Sendable {
        public var label: String
        /// One per swept value; nil where there is nothing to show.
        public var points: [Point?]
        public init(label: String, points: [Point?]) {
            self.label = label
            self.points = points
        }
    }

    /// The chart as lines: a title, `height` rows of plot with the range's ends and middle
    /// marked on the axis, the swept values under their columns, and a legend. The swept
    /// values are evenly spaced whatever their size (5, 10, 20, 40 read as doublings).
    public static func lines(title: String, xTitle: String, xValues: [Int], range: ClosedRange<Double>,
                             format: (Double) -> String, series: [Series], height: Int, unicode: Bool) -> [String] {
        let height = max(height, 3)
        let markers = self.markers(series.map(\.label))
        let xLabels = xValues.map(String.init)
        // Each swept value gets a slot wide enough for its label and one column per series.
        let slot = max((xLabels.map(\.count).max() ?? 1) + 2, 2 * series.count + 2)
        let width = slot * xValues.count
        var grid = [[Character]](repeating: [Character](repeating: " ", count: width), count: height)
        func row(_ value: Double) -> Int {
            let span = range.upperBound - range.lowerBound
            let fraction = span > 0 ? (value - range.lowerBound) / span : 0
            return min(max(Int((fraction * Double(height - 1)).rounded()), 0), height - 1)
        }
        func column(_ point: Int, _ s: Int) -> Int { point * slot + slot / 2 - series.count + 2 * s + 1 }
        func put(_ glyph: Character, _ r: Int, _ c: Int, over: Set<Character>) {
            guard c >= 0, c < width, over.contains(grid[r][c]) else { return }
            grid[r][c] = glyph
        }
        // Dots first, so that spreads and markers draw over them.
        let dot: Character = unicode ? "·" : "."
        let bar: Character = unicode ? "│" : "|"
        for (s, line) in series.enumerated() {
            for i in line.points.indices.dropLast() {
                guard let a = line.points[i], let b = line.points[i + 1] else { continue }
                let (from, to) = (column(i, s), column(i + 1, s))
                for c in (from + 1)..<to {
                    let t = Double(c - from) / Double(to - from)
                    put(dot, row(a.mean + t * (b.mean - a.mean)), c, over: [" "])
                }
            }
        }
        for (s, line) in series.enumerated() {
            for (i, point) in line.points.enumerated() {
                guard let point else { continue }
                for r in row(point.low)...row(point.high) { put(bar, r, column(i, s), over: [" ", dot]) }
            }
        }
        for (s, line) in series.enumerated() {
            for (i, point) in line.points.enumerated() {
                guard let point else { continue }
                put(markers[s], row(point.mean), column(i, s), over: [" ", dot, bar])
            }
        }
        // The axis: the range's ends and its middle row are labelled with the values they stand for.
        let ticks = Dictionary(uniqueKeysWithValues: [0, (height - 1) / 2, height - 1].map { r in
            (r, range.lowerBound + Double(r) / Double(height - 1) * (range.upperBound - range.lowerBound))
        })
        let labelWidth = ticks.values.map { format($0).count }.max() ?? 0
        var lines = [title]
        for r in (0..<height).reversed() {
            let label = ticks[r].map(format) ?? ""
            let axis = ticks[r] != nil ? (unicode ? "┤" : "+") : (unicode ? "│" : "|")
            lines.append(String(repeating: " ", count: labelWidth - label.count) + label + " " + axis + String(grid[r]))
        }
        lines.append(String(repeating: " ", count: labelWidth + 1) + (unicode ? "└" : "+")
                     + String(repeating: unicode ? "─" : "-", count: width))
        var under = [Character](repeating: " ", count: width)
        for (i, label) in xLabels.enumerated() {
            let start = i * slot + (slot - label.count) / 2
            for (k, ch) in label.enumerated() where start + k < width { under[start + k] = ch }
        }
        lines.append(String(repeating: " ", count: labelWidth + 2) + String(under) + "  " + xTitle)
        lines.append(zip(markers, series).map { "\($0) \($1.label)" }.joined(separator: "   "))
        return lines.map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
    }

    /// Each series' marker: its label's first letter, or its number when letters repeat.
    static func markers(_ labels: [String]) -> [Character] {
        let firsts = labels.map { $0.uppercased().first ?? "?" }
        let unique = Set(firsts).count == firsts.count
        return unique ? firsts : labels.indices.map { Character(String(($0 + 1) % 10)) }
    }
}
