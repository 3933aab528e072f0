import Foundation

/// The setting `compare` can sweep: one list of values, every cell trained at each.
public enum SweepAxis: String, Sendable, CaseIterable {
    case delay, hidden
    case trainSize = "train-size"

    public var option: String { "--" + rawValue }

    /// The axis as a chart or table heading names it.
    public var title: String {
        switch self {
        case .delay: "delay"
        case .hidden: "hidden"
        case .trainSize: "train size"
        }
    }
}

/// One entry of `compare --cells`: a cell kind, or kinds joined by `+`, one per layer from
/// the input upwards ("gru+lstm": a GRU layer under an LSTM layer). A `+` list sets the
/// layer count itself; a single kind is stacked `--layers` times.
public struct CellStack: Sendable, Hashable {
    /// The kind of the bottom layer, and of every layer unless `upper` names others.
    public let bottom: CellKind
    /// The kinds of the layers above the bottom one, in order; empty for a single kind.
    public let upper: [CellKind]

    public init(_ kind: CellKind) {
        bottom = kind
        upper = []
    }

    /// Nil for an empty list.
    public init?(kinds: [CellKind]) {
        guard let first = kinds.first else { return nil }
        bottom = first
        upper = Array(kinds.dropFirst())
    }

    /// Bottom first.
    public var kinds: [CellKind] { [bottom] + upper }
    /// Whether the entry is a `+` list, which fixes its own layer count.
    public var isJoined: Bool { !upper.isEmpty }
    /// As `--cells` and the JSON spell it: "gru+lstm".
    public var name: String { kinds.map(\.rawValue).joined(separator: "+") }
    /// As tables, charts and progress lines name it: "GRU+LSTM".
    public var displayName: String { kinds.map(\.displayName).joined(separator: "+") }
}

/// Everything about a training run except the cell and the swept value: the options
/// `train` and `compare` share, before they are checked against a task.
public struct ExperimentSetup: Sendable {
    public var task: TaskKind
    public var delay: Int?
    public var length: Int?
    public var textFile: String?
    public var hidden: Int
    /// Nil: one layer, or as many as a `+` list names.
    public var layers: Int?
    public var steps: Int?
    public var batch: Int
    public var learningRate: Double?
    public var clip: Float
    public var seed: UInt64
    public var forgetBias: Float?
    public var trainSize: Int?

    public init(task: TaskKind, delay: Int? = nil, length: Int? = nil, textFile: String? = nil,
                hidden: Int = 12, layers: Int? = nil, steps: Int? = nil, batch: Int = 16,
                learningRate: Double? = nil, clip: Float = 1, seed: UInt64 = 1, forgetBias: Float? = 1,
                trainSize: Int? = nil) {
        self.task = task
        self.delay = delay
        self.length = length
        self.textFile = textFile
        self.hidden = hidden
        self.layers = layers
        self.steps = steps
        self.batch = batch
        self.learningRate = learningRate
        self.clip = clip
        self.seed = seed
        self.forgetBias = forgetBias
        self.trainSize = trainSize
    }

    /// This setup with `axis` set to `value`.
    public func setting(_ axis: SweepAxis, to value: Int) -> ExperimentSetup {
        var copy = self
        switch axis {
        case .delay: copy.delay = value
        case .hidden: copy.hidden = value
        case .trainSize: copy.trainSize = value
        }
        return copy
    }

    /// The task and a validated configuration for `stack`, or a one-line error.
    public func resolve(_ stack: CellStack) throws -> (TrainingTask, TrainingConfig) {
        let task = try TrainingTask(kind: self.task, delay: delay, length: length, textFile: textFile)
        // A `+` list names every layer, so a --layers that says otherwise is a contradiction.
        if stack.isJoined, let layers, layers != stack.kinds.count {
            throw GateError("--layers \(layers) does not match --cells \(stack.name), whose '+' list sets \(stack.kinds.count) layers")
        }
        var config = TrainingConfig(task: task, cell: stack.bottom, hiddenSize: hidden,
                                    layers: stack.isJoined ? stack.kinds.count : layers ?? 1, steps: steps,
                                    batchSize: batch, learningRate: learningRate, clipNorm: clip, seed: seed,
                                    forgetBias: forgetBias, trainingSetSize: trainSize)
        if stack.isJoined { config.cells = stack.kinds }
        try config.validate(for: task)
        return (task, config)
    }
}

/// Every run of an experiment, planned and checked before any is trained: each cell at
/// each swept value with each seed, all with the same budget.
public struct ExperimentPlan: Sendable {
    public struct Run: Sendable {
        public let index: Int
        public let cell: CellStack
        /// The swept value, nil without a sweep.
        public let value: Int?
        public let task: TrainingTask
        public let config: TrainingConfig

        /// A file name without extension that tells the runs of a plan apart.
        public var fileStem: String {
            var parts = [cell.name, task.kind.rawValue]
            parts.append(task.kind.usesDelay ? "delay\(task.delay)" : "length\(task.sequenceLength)")
            parts.append("h\(config.hiddenSize)")
            if let size = config.trainingSetSize { parts.append("n\(size)") }
            parts.append("seed\(config.seed)")
            return parts.joined(separator: "-")
        }

        /// The CSV of the demo sequence of the run's task setting, in `folder`.
        public func demoPath(in folder: String) -> String {
            let setting = task.kind.usesDelay ? "delay\(task.delay)" : "length\(task.sequenceLength)"
            return (folder as NSString).appendingPathComponent("\(task.kind.rawValue)-\(setting)-demo.csv")
        }

        /// "GRU, delay 20, seed 3": the run as progress lines name it.
        public func label(axis: SweepAxis?) -> String {
            var text = cell.displayName
            if let axis, let value { text += ", \(axis.title) \(value)" }
            return text + ", seed \(config.seed)"
        }
    }

    public let cells: [CellStack]
    public let axis: SweepAxis?
    /// The swept values in the order given; empty without a sweep.
    public let values: [Int]
    public let seeds: Int
    /// Value by value, seed by seed, cell by cell: runs that are compared finish close together.
    public let runs: [Run]

    public static let maxSeeds = 100
    public static let maxRuns = 10_000

    public init(setup: ExperimentSetup, cells: [CellStack], sweep: (axis: SweepAxis, values: [Int])? = nil,
                seeds: Int = 1) throws {
        guard !cells.isEmpty else { throw GateError("--cells is empty") }
        guard seeds >= 1 else { throw GateError("--seeds must be at least 1, got \(seeds)") }
        guard seeds <= Self.maxSeeds else { throw GateError("--seeds \(seeds) is more than \(Self.maxSeeds)") }
        // Without a sweep, one setting: the setup as it is.
        let settings: [(value: Int?, setup: ExperimentSetup)] = sweep.map { sweep in
            sweep.values.map { ($0, setup.setting(sweep.axis, to: $0)) }
        } ?? [(nil, setup)]
        guard settings.count * seeds * cells.count <= Self.maxRuns else {
            throw GateError("\(settings.count * seeds * cells.count) runs (cells × values × seeds) are more than \(Self.maxRuns)")
        }
        var runs: [Run] = []
        for (value, valued) in settings {
            for s in 0..<seeds {
                var seeded = valued
                seeded.seed = setup.seed &+ UInt64(s)
                for cell in cells {
                    let (task, config) = try seeded.resolve(cell)
                    runs.append(Run(index: runs.count, cell: cell, value: value, task: task, config: config))
                }
            }
        }
        // Entries that build the same layers (gru with --layers 2 and gru+gru) would train one model twice.
        let first = runs.prefix(cells.count)
        for (i, run) in first.enumerated() {
            if let same = first.prefix(i).first(where: { $0.config.stack == run.config.stack }) {
                throw GateError("--cells \(same.cell.name) and \(run.cell.name) build the same \(Wording.count(run.config.layers, "layer")) (\(run.config.stack.map(\.displayName).joined(separator: ", "))); give one of them")
            }
        }
        self.cells = cells
        self.axis = sweep?.axis
        self.values = sweep?.values ?? []
        self.seeds = seeds
        self.runs = runs
    }

    /// The cells of `--cells`, comma-separated. A `+` joins the kinds of a hybrid stack, one
    /// per layer from the input upwards: "lstm,gru+lstm".
    public static func parseCells(_ text: String) throws -> [CellStack] {
        let entries = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        var cells: [CellStack] = []
        for entry in entries {
            let kinds = try entry.split(separator: "+", omittingEmptySubsequences: false).map { part in
                let spelling = part.trimmingCharacters(in: .whitespaces)
                guard entry.contains("+") else { return try CellKind(validating: spelling) }
                // In a hybrid, the message names the entry: "gru+" lacks a kind, "gru+foo" has an unknown one.
                guard !spelling.isEmpty else {
                    throw GateError("--cells \(entry): a '+' needs a cell kind on each side (one per layer, bottom first: gru+lstm)")
                }
                do { return try CellKind(validating: spelling) } catch let error as GateError {
                    throw GateError("--cells \(entry): \(error.message)")
                }
            }
            guard let cell = CellStack(kinds: kinds) else { throw GateError("--cells has an empty entry") }
            guard !cells.contains(cell) else { throw GateError("--cells names \(cell.name) twice") }
            cells.append(cell)
        }
        return cells
    }

    /// A comma-separated list of whole numbers for `option`, such as "5,10,20".
    public static func parseValues(_ text: String, option: String) throws -> [Int] {
        var values: [Int] = []
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            guard let value = Int(trimmed) else {
                throw GateError("\(option) \(text): '\(trimmed)' is not a whole number")
            }
            guard !values.contains(value) else { throw GateError("\(option) \(text): \(value) is given twice") }
            values.append(value)
        }
        guard values.count <= 64 else { throw GateError("\(option): \(values.count) values are more than 64") }
        return values
    }
}

/// What a run produced, with the plan entry it came from.
public struct ExperimentRun: Sendable {
    public let run: ExperimentPlan.Run
    public let result: TrainingResult

    /// Wall time per update, held-out measurements included.
    public var secondsPerUpdate: Double { result.stepsTaken > 0 ? result.seconds / Double(result.stepsTaken) : 0 }
    public var epochsToTarget: Double? { result.stepsToTarget.flatMap(run.config.epochs(forUpdates:)) }
}

/// What an experiment reports while it runs; delivered from the worker threads.
public enum ExperimentEvent: Sendable {
    case started(ExperimentPlan.Run)
    case progress(ExperimentPlan.Run, TrainingProgress)
    case finished(ExperimentRun)
}

public enum Experiment {
    /// Trains the plan's runs on `workers` threads, each taking the next run not yet
    /// started. Runs share nothing and every one is seeded, so the results are the same bit
    /// for bit whatever the number of workers. When `stop` is set, running runs end after
    /// their current update and no new one starts. Returns the runs that started, in plan order.
    public static func run(_ plan: ExperimentPlan, workers: Int, stop: StopFlag? = nil,
                           events: @escaping @Sendable (ExperimentEvent) -> Void = { _ in }) throws -> [ExperimentRun] {
        let board = Board(count: plan.runs.count)
        let halt = StopFlag()
        DispatchQueue.concurrentPerform(iterations: max(1, min(workers, plan.runs.count))) { _ in
            while !(stop?.isRequested ?? false) && !halt.isRequested, let index = board.take() {
                let run = plan.runs[index]
                events(.started(run))
                do {
                    // A stop from outside reaches the run; an error elsewhere only stops new ones.
                    let result = try Training.run(task: run.task, config: run.config, stop: stop) {
                        events(.progress(run, $0))
                    }
                    let finished = ExperimentRun(run: run, result: result)
                    board.store(.success(finished), at: index)
                    events(.finished(finished))
                } catch {
                    board.store(.failure(error), at: index)
                    halt.request()
                }
            }
        }
        return try board.results().map { try $0.get() }
    }

    /// Writes each finished run's best model into `folder` as its `fileStem`.safetensors, with
    /// `command` in its metadata, and each task setting's demo sequence once as CSV beside
    /// them, so that every model opens in the visualizer. Returns each kept run's file by index.
    public static func keep(_ runs: [ExperimentRun], in folder: String, command: String) throws -> [Int: String] {
        var kept: [Int: String] = [:]
        var demos: Set<String> = []
        for run in runs where !run.result.interrupted {
            var model = run.result.best
            model.metadata["command"] = command
            let path = (folder as NSString).appendingPathComponent(run.run.fileStem + ".safetensors")
            try ModelFile.save(model, to: path)
            kept[run.run.index] = path
            let demo = run.run.demoPath(in: folder)
            if demos.insert(demo).inserted {
                let rows = run.run.task.demo().inputs.map { $0.map { String($0) }.joined(separator: ",") }
                try OutputFile.write(rows.joined(separator: "\n") + "\n", to: demo)
            }
        }
        return kept
    }

    /// The next run to start and the outcomes so far, behind one lock.
    private final class Board: @unchecked Sendable {
        private let lock = NSLock()
        private var next = 0
        private let count: Int
        private var outcomes: [Int: Result<ExperimentRun, any Error>] = [:]

        init(count: Int) { self.count = count }

        func take() -> Int? {
            lock.withLock {
                guard next < count else { return nil }
                next += 1
                return next - 1
            }
        }

        func store(_ outcome: Result<ExperimentRun, any Error>, at index: Int) {
            lock.withLock { outcomes[index] = outcome }
        }

        /// In plan order, the first failure first if there is one.
        func results() -> [Result<ExperimentRun, any Error>] {
            lock.withLock {
                let ordered = outcomes.keys.sorted().compactMap { outcomes[$0] }
                let failures = ordered.filter { if case .failure = $0 { true } else { false } }
                return failures.isEmpty ? ordered : Array(failures.prefix(1))
            }
        }
    }
}

/// The mean and range of a few numbers, and their standard deviation (n − 1).
public struct Spread: Sendable, Equatable {
    public let mean: Double
    public let min: Double
    public let max: Double
    public let standardDeviation: Double
    public let count: Int

    /// Nil for no values.
    public init?(_ values: [Double]) {
        guard let low = values.min(), let high = values.max() else { return nil }
        let n = values.count
        let average = values.reduce(0, +) / Double(n)
        let squares = values.reduce(0) { $0 + ($1 - average) * ($1 - average) }
        count = n
        mean = average
        min = low
        max = high
        standardDeviation = n > 1 ? (squares / Double(n - 1)).squareRoot() : 0
    }
}

/// One cell at one swept value, over its seeds: the runs that finished their budget.
public struct ExperimentSummary: Sendable {
    public let cell: CellStack
    public let value: Int?
    public let runs: Int
    public let parameters: Int
    public let multiplyAddsPerStep: Int
    public let secondsPerUpdate: Spread
    /// The held-out metric of each run's kept (best) model.
    public let heldOut: Spread
    /// The same models on their training sets, with `--train-size`.
    public let training: Spread?
    /// Runs that met the target, and their updates (and epochs) to it.
    public let reached: Int
    public let updatesToTarget: Spread?
    public let epochsToTarget: Spread?

    /// Per swept value and cell, in plan order; interrupted runs are left out, and a
    /// configuration none of whose runs finished has no summary.
    public static func summarize(_ plan: ExperimentPlan, _ runs: [ExperimentRun]) -> [ExperimentSummary] {
        let finished = runs.filter { !$0.result.interrupted }
        var summaries: [ExperimentSummary] = []
        for value in plan.values.isEmpty ? [nil] : plan.values.map({ Optional($0) }) {
            for cell in plan.cells {
                let group = finished.filter { $0.run.cell == cell && $0.run.value == value }
                guard let first = group.first,
                      let time = Spread(group.map(\.secondsPerUpdate)),
                      let heldOut = Spread(group.map { Double($0.result.bestMetric) }) else { continue }
                let reached = group.filter { $0.result.stepsToTarget != nil }
                summaries.append(ExperimentSummary(
                    cell: cell, value: value, runs: group.count,
                    parameters: first.result.best.parameterCount,
                    multiplyAddsPerStep: first.result.best.multiplyAddsPerStep,
                    secondsPerUpdate: time, heldOut: heldOut,
                    training: Spread(group.compactMap { $0.result.trainingMetric.map(Double.init) }),
                    reached: reached.count,
                    updatesToTarget: Spread(reached.compactMap { $0.result.stepsToTarget.map(Double.init) }),
                    epochsToTarget: Spread(reached.compactMap(\.epochsToTarget))))
            }
        }
        return summaries
    }
}
