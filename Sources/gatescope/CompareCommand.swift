import ArgumentParser
import Foundation
import CursesTerminal
import GateCore

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train several cell kinds on the same task and data with the same budget, and compare them.",
        discussion: """
        Every cell sees the same sequences in the same order. The table gives each one's \
        parameters, multiply-adds per step, training time, the update at which the held-out \
        metric first met the task's target, and the metric at the end; the loss curves below \
        it share one scale.
        """)

    @OptionGroup var settings: TrainingOptions

    @Option(help: "Comma-separated cell kinds to compare.")
    var cells: String = "lstm,gru,rnn"

    func run() throws {
        let kinds = try cells.split(separator: ",", omittingEmptySubsequences: false).map {
            try CellKind(validating: $0.trimmingCharacters(in: .whitespaces))
        }
        guard !kinds.isEmpty else { throw GateError("--cells is empty") }
        var runs: [(cell: CellKind, task: TrainingTask, config: TrainingConfig)] = []
        for kind in kinds {
            let (task, config) = try settings.resolve(cell: kind.rawValue)
            runs.append((kind, task, config))
        }
        guard let task = runs.first?.task, let first = runs.first?.config else { return }
        let setting = task.kind == .delay ? "\(task.kind.rawValue), delay \(task.delay)" : "\(task.kind.rawValue), length \(task.sequenceLength)"
        print("task \(setting): \(task.kind.summary)")
        print("\(Wording.count(first.steps, "update")) of \(Wording.count(first.batchSize, "sequence")), hidden \(first.hiddenSize), \(Wording.count(first.layers, "layer")), seed \(first.seed); "
              + "target: \(task.metricName) \(task.metric.higherIsBetter ? "≥" : "≤") \(task.metric.format(task.target))")
        if let baseline = task.baseline {
            print("baseline (\(baseline.note)): \(task.metric.format(baseline.value))")
        }

        let stop = StopFlag()
        let interrupt = InterruptHandler(stop: stop)
        defer { interrupt.cancel() }
        var results: [(cell: CellKind, result: TrainingResult)] = []
        for run in runs where !stop.isRequested {
            let reporter = ProgressReporter(label: run.cell.displayName, task: run.task,
                                            logEvery: max(1, run.config.steps / 10))
            let result = try Training.run(task: run.task, config: run.config, stop: stop, progress: reporter.report)
            reporter.finish()
            results.append((run.cell, result))
        }
        print()
        print(comparisonTable(task: task, results: results))
        print()
        print(lossCurves(results: results, width: 60, height: 5, unicode: localeIsUTF8()))
    }
}

/// The table: one row per cell.
func comparisonTable(task: TrainingTask, results: [(cell: CellKind, result: TrainingResult)]) -> String {
    let header = ["cell", "params", "mult-adds/step", "time", "updates/s", "target reached", "final", "best"]
    var rows: [[String]] = [header]
    // One format for the whole time column, so that "9.9 s" never stands above "0:11".
    let times = Wording.durations(results.map(\.result.seconds))
    for ((cell, result), time) in zip(results, times) {
        let model = result.best
        let rate = result.seconds > 0 ? Double(result.stepsTaken) / result.seconds : 0
        rows.append([
            cell.displayName,
            String(model.parameterCount),
            String(model.multiplyAddsPerStep),
            time,
            String(format: "%.1f", rate),
            result.stepsToTarget.map { "at update \($0)" } ?? "not reached",
            result.evaluations.last.map { task.metric.format($0.metric) } ?? "-",
            task.metric.format(result.bestMetric),
        ] + (result.interrupted ? ["(stopped at \(result.stepsTaken))"] : []))
    }
    let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { column, text in
            // Names and phrases left-aligned, numbers right-aligned; nothing trails a line.
            let pad = String(repeating: " ", count: max(0, (column < widths.count ? widths[column] : 0) - text.count))
            if column == 0 || column >= 5 { return column == row.count - 1 ? text : text + pad }
            return pad + text
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}

/// Each run's training loss as a bar chart `height` rows high: the updates are averaged
/// into at most `width` columns, and every chart shares one scale, from 0 to the highest
/// column (a single spiky update does not flatten the others).
func lossCurves(results: [(cell: CellKind, result: TrainingResult)], width: Int, height: Int, unicode: Bool) -> String {
    let columns: [[Float]] = results.map { run in
        let losses = run.result.losses
        let count = min(width, losses.count)
        return (0..<count).map { c in
            let slice = losses[(c * losses.count / count)..<((c + 1) * losses.count / count)].filter(\.isFinite)
            return slice.isEmpty ? .nan : slice.reduce(0, +) / Float(slice.count)
        }
    }
    guard let top = columns.joined().filter(\.isFinite).max(), top > 0 else { return "" }
    let levels: [Character] = unicode ? [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
                                      : [" ", ".", ".", ":", ":", "|", "|", "#", "#"]
    let label = results.map { $0.cell.displayName.count }.max() ?? 0
    let bar = unicode ? "│" : "|"
    var lines = ["training loss (0 to \(String(format: "%.3g", Double(top))) on every chart; each column averages a share of the updates)"]
    for ((cell, result), means) in zip(results, columns) where !means.isEmpty {
        // Heights in eighths of a row; a column without a finite loss is drawn full.
        let eighths = means.map { $0.isFinite ? Int(($0 / top * Float(height * 8)).rounded()) : height * 8 }
        for row in (0..<height).reversed() {
            let name = row == height - 1 ? cell.displayName : ""
            let bars = eighths.map { levels[min(max($0 - row * 8, 0), 8)] }
            lines.append(name.padding(toLength: label, withPad: " ", startingAt: 0) + " " + bar + String(bars))
        }
        let axis = (unicode ? "└" : "+") + String(repeating: unicode ? "─" : "-", count: means.count)
        lines.append(String(repeating: " ", count: label + 1) + axis + " " + Wording.count(result.stepsTaken, "update"))
    }
    return lines.joined(separator: "\n")
}
