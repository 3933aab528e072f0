import ArgumentParser
import Foundation
import CursesTerminal
import GateCore

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train several cell kinds on the same task and data with the same budget, and compare them.",
        discussion: """
        Every cell sees the same sequences in the same order. A list for --delay, --hidden or \
        --train-size (such as 5,10,20) sweeps that setting: every cell is trained at every \
        value and a chart shows the held-out metric against it. --seeds N repeats each \
        configuration with N seeds and reports the mean and the range. The table gives each \
        cell's parameters, multiply-adds per step, time per update, updates (and epochs) to \
        the task's target and the held-out metric; a line per cell sets its cost against the \
        LSTM's. Independent runs train at once on --jobs threads; Ctrl-C stops them and \
        reports the runs that finished.
        """)

    @OptionGroup var settings: TrainingOptions

    @Option(help: "Comma-separated cell kinds to compare; kinds joined by '+' are a hybrid stack, one per layer from the input up (gru+lstm: a GRU layer under an LSTM layer).")
    var cells: String = "lstm,gru,rnn"

    @Option(parsing: .unconditional, help: "Train each configuration with this many seeds: --seed, --seed + 1, …")
    var seeds: Int = 1

    @Option(parsing: .unconditional, help: "Runs to train at once (default: the number of cores).")
    var jobs: Int?

    @Flag(help: "Print every run (settings, seed, loss curve, measurements, times) as JSON instead of the tables.")
    var json = false

    @Option(help: ArgumentHelp("Write every trained model (its best) into this folder, with its task's demo sequence as CSV.",
                               valueName: "folder"))
    var keep: String?

    func run() throws {
        let (setup, sweep) = try settings.experiment()
        let plan = try ExperimentPlan(setup: setup, cells: ExperimentPlan.parseCells(cells), sweep: sweep, seeds: seeds)
        let workers = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        guard (1...64).contains(workers) else { throw GateError("--jobs must be from 1 to 64, got \(workers)") }
        if let keep { try prepareFolder(keep) }
        guard let task = plan.runs.first?.task, let first = plan.runs.first?.config else { return }
        if !json { printHeading(plan, task: task, config: first) }

        let stop = StopFlag()
        let interrupt = InterruptHandler(stop: stop)
        defer { interrupt.cancel() }
        let progress = ExperimentProgress(plan: plan, task: task)
        let runs = try Experiment.run(plan, workers: workers, stop: stop, events: progress.handle)
        progress.finish()
        let command = (["gatescope"] + CommandLine.arguments.dropFirst()).map(shellQuoted).joined(separator: " ")
        let kept = try keep.map { try Experiment.keep(runs, in: $0, command: command) } ?? [:]
        if json {
            print(try ExperimentReport.json(plan, runs, kept: kept, interrupted: stop.isRequested))
            return
        }
        let finished = runs.filter { !$0.result.interrupted }
        if finished.count < plan.runs.count {
            print("stopped: \(finished.count) of \(plan.runs.count) runs finished; the \(plan.runs.count - finished.count) stopped or never started are left out")
        }
        let summaries = ExperimentSummary.summarize(plan, runs)
        print()
        print(ExperimentReport.table(plan, summaries, metric: task.metric, metricName: task.metricName))
        let costs = ExperimentReport.costLines(plan, summaries, metric: task.metric, target: task.target)
        if !costs.isEmpty { print(); costs.forEach { print($0) } }
        let unicode = localeIsUTF8()
        if plan.axis != nil {
            print()
            ExperimentReport.chart(plan, summaries, metric: task.metric, metricName: task.metricName, unicode: unicode).forEach { print($0) }
        } else if plan.seeds == 1, !finished.isEmpty {
            print()
            print(lossCurves(results: finished.map { ($0.run.cell.displayName, $0.result) }, width: 60, height: 5, unicode: unicode))
        }
        if let keep, let example = runs.first(where: { kept[$0.run.index] != nil }),
           let model = kept[example.run.index] {
            print()
            print("\(kept.count) models written to \(keep); open one in the visualizer on its task's sequence:")
            print("  gatescope show --model \(shellQuoted(model)) --input \(shellQuoted(example.run.demoPath(in: keep)))")
        }
    }

    /// What is compared, the budget and the target, before training starts.
    private func printHeading(_ plan: ExperimentPlan, task: TrainingTask, config: TrainingConfig) {
        let swept = plan.axis.map { "\($0.title) \(plan.values.map(String.init).joined(separator: ", "))" }
        let setting = plan.axis == .delay ? swept ?? "" :
            (task.kind.usesDelay ? "delay \(task.delay)" : "length \(task.sequenceLength)") + (swept.map { ", " + $0 } ?? "")
        print("task \(task.kind.rawValue), \(setting): \(task.kind.summary)")
        let data = config.trainingSetSize.map { " from a fixed set of \($0)" } ?? ""
        let seeds = plan.seeds > 1 ? "seeds \(config.seed) to \(config.seed &+ UInt64(plan.seeds - 1))" : "seed \(config.seed)"
        // A '+' list sets its own layer count; the single kinds share --layers.
        let single = plan.runs.first { !$0.cell.isJoined }.map { [Wording.count($0.config.layers, "layer")] } ?? []
        let layers = single + plan.cells.filter(\.isJoined).map { "\($0.displayName) \(Wording.count($0.kinds.count, "layer"))" }
        print("\(Wording.count(config.steps, "update")) of \(Wording.count(config.batchSize, "sequence"))\(data), hidden \(config.hiddenSize), \(layers.joined(separator: ", ")), \(seeds); "
              + "target: \(task.metricName) \(task.metric.higherIsBetter ? "≥" : "≤") \(task.metric.format(task.target))")
        if let baseline = task.baseline {
            print("baseline (\(baseline.note)): \(task.metric.format(baseline.value))")
        }
    }

    /// Creates the folder if need be and checks that files can be written in it.
    private func prepareFolder(_ folder: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw GateError("--keep \(folder): not a folder") }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw GateError("--keep \(folder): cannot create the folder")
            }
        }
        try OutputFile.checkOutput((folder as NSString).appendingPathComponent("probe.safetensors"), option: "--keep", inputs: settings.inputFiles)
    }
}

/// Progress of the runs on stderr: on a terminal, one line per running run redrawn in
/// place with a line for each that finished above them; otherwise plain log lines.
final class ExperimentProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let plan: ExperimentPlan
    private let task: TrainingTask
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let unicode = localeIsUTF8()
    private var active: [(index: Int, line: String)] = []
    private var drawnLines = 0
    private var lastDraw = ContinuousClock.now
    private var done = 0

    init(plan: ExperimentPlan, task: TrainingTask) {
        self.plan = plan
        self.task = task
    }

    func handle(_ event: ExperimentEvent) {
        lock.withLock {
            switch event {
            case .started(let run):
                active.append((run.index, label(run)))
                if !isTerminal { writeError("started \(label(run))\n") }
                redraw(finished: nil, force: true)
            case .progress(let run, let p):
                guard isTerminal, let slot = active.firstIndex(where: { $0.index == run.index }) else {
                    if !isTerminal, p.step % max(1, p.steps / 5) == 0 {
                        writeError("\(label(run)): update \(p.step)/\(p.steps)  \(measure(p))\n")
                    }
                    return
                }
                let bar = progressBar(Double(p.step) / Double(p.steps), width: 12, unicode: unicode)
                active[slot].line = "\(label(run)) \(p.step)/\(p.steps) \(bar) \(measure(p))"
                redraw(finished: nil, force: false)
            case .finished(let run):
                done += 1
                active.removeAll { $0.index == run.run.index }
                let result = run.result
                let reached = result.stepsToTarget.map { "target at update \($0)" } ?? "target not reached"
                let ending = result.interrupted ? "stopped at update \(result.stepsTaken)" : reached
                let line = "[\(done)/\(plan.runs.count)] \(run.run.label(axis: plan.axis)): \(task.metricName) \(task.metric.format(result.bestMetric)), \(ending), \(Wording.duration(result.seconds))"
                if isTerminal { redraw(finished: line, force: true) } else { writeError(line + "\n") }
            }
        }
    }

    /// Clears the live lines so that what follows starts on its own.
    func finish() {
        lock.withLock {
            if isTerminal && drawnLines > 0 { writeError("\u{1B}[\(drawnLines)F\u{1B}[J") }
            drawnLines = 0
        }
    }

    private func label(_ run: ExperimentPlan.Run) -> String { "run \(run.index + 1)/\(plan.runs.count) " + run.label(axis: plan.axis) }

    private func measure(_ p: TrainingProgress) -> String {
        String(format: "loss %.4f", Double(p.loss)) + (p.metric.map { "  held-out \(task.metric.format($0))" } ?? "")
    }

    /// Moves up over the lines drawn before, writes `finished` (kept for good) and the live
    /// lines, at most ten times a second unless forced.
    private func redraw(finished: String?, force: Bool) {
        guard isTerminal else { return }
        let now = ContinuousClock.now
        guard force || now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        let columns = max(terminalColumns() - 1, 20)
        var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)F\u{1B}[J" : ""
        if let finished { text += finished + "\n" }
        // Lines longer than the terminal would wrap, and the cursor would no longer go back to the first.
        for entry in active { text += String(entry.line.prefix(columns)) + "\n" }
        drawnLines = active.count
        writeError(text)
    }
}

/// Each run's training loss as a bar chart `height` rows high: the updates are averaged
/// into at most `width` columns, and every chart shares one scale, from 0 to the highest
/// column (a single spiky update does not flatten the others).
func lossCurves(results: [(label: String, result: TrainingResult)], width: Int, height: Int, unicode: Bool) -> String {
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
    let labelWidth = results.map(\.label.count).max() ?? 0
    let bar = unicode ? "│" : "|"
    var lines = ["training loss (0 to \(String(format: "%.3g", Double(top))) on every chart; each column averages a share of the updates)"]
    for ((label, result), means) in zip(results, columns) where !means.isEmpty {
        // Heights in eighths of a row; a column without a finite loss is drawn full.
        let eighths = means.map { $0.isFinite ? Int(($0 / top * Float(height * 8)).rounded()) : height * 8 }
        for row in (0..<height).reversed() {
            let name = row == height - 1 ? label : ""
            let bars = eighths.map { levels[min(max($0 - row * 8, 0), 8)] }
            lines.append(name.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + " " + bar + String(bars))
        }
        let axis = (unicode ? "└" : "+") + String(repeating: unicode ? "─" : "-", count: means.count)
        lines.append(String(repeating: " ", count: labelWidth + 1) + axis + " " + Wording.count(result.stepsTaken, "update"))
    }
    return lines.joined(separator: "\n")
}
