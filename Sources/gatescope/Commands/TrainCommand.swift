import ArgumentParser
import Dispatch
import Foundation
import CursesTerminal
import GateCore

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a cell on a built-in task and save it as a safetensors file.",
        discussion: """
        Tasks: \(TaskKind.allCases.map { "\($0.rawValue) (\($0.summary))" }.joined(separator: "; ")).
        Ctrl-C stops after the current update and saves the best model so far.
        """)

    @OptionGroup var settings: TrainingOptions

    @Option(help: "The cell kind: lstm, gru, gru-reset-before or rnn.")
    var cell: String = "lstm"

    @OptionGroup var pipeline: PipelineOptions

    @Option(name: .shortAndLong, help: "The model file to write (safetensors).")
    var output: String

    @Option(name: .customLong("log-every"), parsing: .unconditional, help: "Updates between log lines when stderr is not a terminal (default: steps / 20).")
    var logEvery: Int?

    func run() throws {
        var (task, config) = try settings.resolve(cell: cell)
        if let kinds = try pipeline.kinds() {
            // As in init: the list names every layer, so a --layers that says otherwise is refused.
            if let layers = settings.layers, layers != kinds.count {
                throw GateError("--layers \(layers) does not match the \(kinds.count) kinds of --cells")
            }
            config.cells = kinds
            config.layers = kinds.count
        }
        config.bidirectional = pipeline.bidirectional
        config.projectionSize = pipeline.projSize
        try config.validate(for: task)
        try OutputFile.checkOutput(output, option: "--output", inputs: settings.inputFiles)
        if let logEvery, logEvery < 1 { throw GateError("--log-every must be at least 1, got \(logEvery)") }

        let stop = StopFlag()
        let interrupt = InterruptHandler(stop: stop)
        defer { interrupt.cancel() }
        let kinds = config.cells == nil ? config.cell.displayName : config.stack.map(\.displayName).joined(separator: "→")
        let reporter = ProgressReporter(label: (config.bidirectional ? "Bi" : "") + kinds, task: task,
                                        logEvery: logEvery ?? max(1, config.steps / 20))
        let result = try Training.run(task: task, config: config, stop: stop, progress: reporter.report)
        reporter.finish()

        var model = result.best
        // Recorded as typed, with the program named as installed rather than by its build path.
        model.metadata["command"] = (["gatescope"] + CommandLine.arguments.dropFirst()).map(shellQuoted).joined(separator: " ")
        try ModelFile.save(model, to: output)
        let ending = result.interrupted ? "stopped after \(result.stepsTaken) of \(Wording.count(config.steps, "update"))" : Wording.count(result.stepsTaken, "update")
        print("\(ending) in \(Wording.duration(result.seconds)); saved the model of step \(result.bestStep) to \(output): "
              + "\(task.metricName) \(task.metric.format(result.bestMetric))")
        if result.skippedSteps > 0 {
            print("note: \(Wording.count(result.skippedSteps, "update")) skipped because the gradient was not finite")
        }
    }
}

/// The settings `train` and `compare` share; the cell is not one of them (compare takes
/// a list), and negative numbers are read as values so that they reach the range checks.
/// `--delay`, `--hidden` and `--train-size` take a comma-separated list, which `compare`
/// sweeps and `train` refuses.
struct TrainingOptions: ParsableArguments {
    @Option(help: "The task: \(TaskKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var task: String = "delay"

    @Option(parsing: .unconditional, help: "Hidden units per layer (compare: a list such as 8,16,32 sweeps it).")
    var hidden: String = "12"

    @Option(parsing: .unconditional, help: "Stacked layers (default 1, or as many as a '+' list of kinds names).")
    var layers: Int?

    @Option(parsing: .unconditional, help: "Updates (default: the task's budget).")
    var steps: Int?

    @Option(parsing: .unconditional, help: "Sequences per update.")
    var batch: Int = 16

    @Option(parsing: .unconditional, help: "Adam learning rate (default: the task's).")
    var lr: Double?

    @Option(parsing: .unconditional, help: "Clip the total gradient norm to this; 0 turns clipping off.")
    var clip: Float = 1

    @Option(parsing: .unconditional, help: "Distractor steps of the delay and sign tasks (default \(TrainingTask.defaultDelay); compare: a list such as 5,10,20 sweeps it).")
    var delay: String?

    @Option(parsing: .unconditional, help: "Sequence length of the other tasks.")
    var length: Int?

    @Option(name: .customLong("text-file"), help: "Train the text task on this UTF-8 file instead of the built-in corpus.")
    var textFile: String?

    @Option(parsing: .unconditional, help: "Seed of the weights and of the data.")
    var seed: UInt64 = 1

    @Option(name: .customLong("train-size"), parsing: .unconditional, help: "Train on this many fixed sequences, in epochs, and measure on held-out ones (default: fresh sequences every update; compare: a list sweeps it).")
    var trainSize: String?

    @Flag(name: .customLong("torch-init"), help: "Keep PyTorch's random start for the LSTM forget-gate bias instead of 1.")
    var torchInit = false

    /// The files these settings read, for the check that an output does not overwrite one.
    var inputFiles: [(option: String, path: String)] {
        textFile.map { [("--text-file", $0)] } ?? []
    }

    /// The task and a validated configuration for `cell`, or a one-line error.
    func resolve(cell spelling: String) throws -> (TrainingTask, TrainingConfig) {
        let (setup, sweep) = try experiment()
        if let sweep { throw GateError("\(sweep.axis.option) takes one value here; a list of values is for gatescope compare") }
        return try setup.resolve(CellStack(CellKind(validating: spelling)))
    }

    /// The settings, and the one setting given as a list of values, if any.
    func experiment() throws -> (ExperimentSetup, sweep: (axis: SweepAxis, values: [Int])?) {
        guard let kind = TaskKind(rawValue: task.lowercased()) else {
            throw GateError("unknown task '\(task)' (known: \(TaskKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var setup = ExperimentSetup(task: kind, length: length, textFile: textFile, layers: layers, steps: steps,
                                    batch: batch, learningRate: lr, clip: clip, seed: seed,
                                    forgetBias: torchInit ? nil : 1)
        var sweep: (axis: SweepAxis, values: [Int])?
        for (axis, text) in [(SweepAxis.delay, delay), (.hidden, Optional(hidden)), (.trainSize, trainSize)] {
            guard let text else { continue }
            let values = try ExperimentPlan.parseValues(text, option: axis.option)
            if values.count > 1 {
                if let other = sweep?.axis {
                    throw GateError("sweep one setting at a time: \(other.option) and \(axis.option) both have lists")
                }
                sweep = (axis, values)
            } else if let value = values.first {
                setup = setup.setting(axis, to: value)
            }
        }
        return (setup, sweep)
    }
}

/// Turns Ctrl-C into a stop request; a second Ctrl-C ends the program at once.
final class InterruptHandler {
    private let source: DispatchSourceSignal

    init(stop: StopFlag) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            if stop.isRequested { _exit(130) }
            stop.request()
            FileHandle.standardError.write(Data("\nstopping after this update (Ctrl-C again to quit without saving)\n".utf8))
        }
        source.resume()
    }

    func cancel() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}

/// Training progress on stderr: one bar redrawn in place on a terminal, else a log line
/// every `logEvery` updates.
final class ProgressReporter {
    private let label: String
    private let task: TrainingTask
    private let logEvery: Int
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let unicode = localeIsUTF8()
    private var lastDraw = -Double.infinity
    private var drewBar = false

    init(label: String, task: TrainingTask, logEvery: Int) {
        self.label = label
        self.task = task
        self.logEvery = logEvery
    }

    func report(_ p: TrainingProgress) {
        let metric = p.metric.map { "\(task.metricName) \(task.metric.format($0))" } ?? ""
        let rate = String(format: "%.1f steps/s", p.stepsPerSecond)
        let loss = String(format: "loss %.4f", Double(p.loss))
        if isTerminal {
            // Redraw at most ten times a second, and always at the last step.
            guard p.elapsed - lastDraw >= 0.1 || p.step == p.steps else { return }
            lastDraw = p.elapsed
            let left = p.secondsLeft.map { Wording.duration($0) + " left" } ?? ""
            let bar = progressBar(Double(p.step) / Double(p.steps), width: 20, unicode: unicode)
            let line = "\(label) \(p.step)/\(p.steps) \(bar) \(loss)  \(metric)  \(rate)  \(left)"
            // A line longer than the terminal would wrap, and \r would then redraw only its tail.
            writeError("\r\u{1B}[K" + String(line.prefix(max(terminalColumns() - 1, 20))))
            drewBar = true
        } else if p.step % logEvery == 0 || p.step == p.steps {
            let best = p.bestMetric.map { " (best \(task.metric.format($0)))" } ?? ""
            writeError("\(label) step \(p.step)/\(p.steps)  \(loss)  \(metric)\(best)  \(rate)\n")
        }
    }

    /// Ends the bar's line so that what follows starts on its own.
    func finish() {
        if drewBar { writeError("\n") }
        drewBar = false
    }
}

/// The width of the terminal on stderr, 80 when it cannot be asked.
func terminalColumns() -> Int {
    var size = winsize()
    guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
    return Int(size.ws_col)
}

func writeError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

/// A bar of `width` cells filled to `fraction`, in eighths with block glyphs or in '#'.
func progressBar(_ fraction: Double, width: Int, unicode: Bool) -> String {
    let clamped = min(max(fraction.isFinite ? fraction : 0, 0), 1)
    if !unicode {
        let filled = Int((clamped * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
    }
    let eighths = Int((clamped * Double(width * 8)).rounded(.down))
    let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"][eighths % 8]
    let full = eighths / 8
    let blank = width - full - (partial.isEmpty ? 0 : 1)
    return "▕" + String(repeating: "█", count: full) + partial + String(repeating: " ", count: blank) + "▏"
}

/// An argument as a POSIX shell would need it written, for the recorded command line.
func shellQuoted(_ argument: String) -> String {
    let plain = argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=,:+@%".contains($0) }
    if plain && !argument.isEmpty { return argument }
    return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
