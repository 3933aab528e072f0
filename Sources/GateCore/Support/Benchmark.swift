/// How fast `model.trace` runs, every gate recorded: the figures behind `gatescope bench`.
public enum Benchmark {
    /// The hidden sizes measured by default; the input size equals H.
    public static let hiddenSizes = [8, 32, 128, 512]
    public static let cells: [CellKind] = [.lstm, .gru, .rnn]
    public static let defaultSteps = 100

    /// One measurement: the median over several runs of the time per step.
    public struct Result: Codable, Equatable, Sendable {
        public var cell: String
        public var hidden: Int
        public var input: Int
        public var steps: Int
        public var microsecondsPerStep: Double

        enum CodingKeys: String, CodingKey {
            case cell, hidden, input, steps
            case microsecondsPerStep = "us_per_step"
        }
    }

    /// Times `model.trace` over a seeded uniform(-1, 1) sequence of `steps` steps for a
    /// freshly initialised one-layer model with input size = hidden size. Each run traces into
    /// the storage of the run before (`trace(_:into:)`, as windows and streamed pieces are
    /// traced one after another), or, with `fresh`, into new arrays as a one-off trace does.
    /// Runs repeat until at least `minimumRuns` and about `budget` of time have passed; the
    /// median of the per-run figures resists the odd run slowed by another process.
    public static func measure(cell: CellKind, hidden: Int, steps: Int = defaultSteps, fresh: Bool = false,
                               minimumRuns: Int = 7, budget: Duration = .milliseconds(300)) throws -> Result {
        try checkSizes(cell: cell, hidden: hidden, steps: steps)
        let model = RecurrentModel.random(cell: cell, inputSize: hidden, hiddenSize: hidden, seed: 1)
        var rng = SeededGenerator(seed: 2)
        let inputs = (0..<steps).map { _ in (0..<hidden).map { _ in rng.uniform(-1, 1) } }

        let clock = ContinuousClock()
        let start = clock.now
        var perStep: [Double] = []
        // The first run, untimed, makes the storage the others reuse.
        var trace = try model.trace(inputs)
        while perStep.count < minimumRuns || start.duration(to: clock.now) < budget {
            let began = clock.now
            if fresh {
                trace = try model.trace(inputs)
            } else {
                try model.trace(inputs, into: &trace)
            }
            let elapsed = began.duration(to: clock.now)
            // Reading the result keeps the optimiser from dropping the work, and a
            // non-finite state would mean the figures measure something broken.
            guard trace.hiddenStates.last?.isFinite == true else {
                throw GateError("bench: \(cell.rawValue) H=\(hidden) produced a non-finite state")
            }
            perStep.append(microseconds(elapsed) / Double(steps))
        }
        perStep.sort()
        return Result(cell: cell.rawValue, hidden: hidden, input: hidden, steps: steps,
                      microsecondsPerStep: perStep[perStep.count / 2])
    }

    /// Refuses, before anything is allocated, a model or a trace larger than gatescope
    /// builds from any other command's sizes.
    public static func checkSizes(cell: CellKind, hidden: Int, steps: Int) throws {
        guard hidden > 0 else { throw GateError("bench: hidden size must be at least 1, got \(hidden)") }
        guard steps > 0 else { throw GateError("bench: steps must be at least 1, got \(steps)") }
        try RecurrentModel.checkSizes(cell: cell, inputSize: hidden, hiddenSize: hidden, layers: 1)
        try InputSequence.checkTraceSize(cell: cell, inputSize: hidden, hiddenSize: hidden, layers: 1,
                                         outputSize: 0, steps: steps)
    }

    /// Every cell at every size, in the order of `cells` then `hiddenSizes`; every size is
    /// checked before the first measurement.
    public static func run(cells: [CellKind] = cells, hiddenSizes: [Int] = hiddenSizes,
                           steps: Int = defaultSteps, fresh: Bool = false) throws -> [Result] {
        for cell in cells {
            for hidden in hiddenSizes { try checkSizes(cell: cell, hidden: hidden, steps: steps) }
        }
        return try cells.flatMap { cell in
            try hiddenSizes.map { try measure(cell: cell, hidden: $0, steps: steps, fresh: fresh) }
        }
    }

    private static func microseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1e6 + Double(attoseconds) * 1e-12
    }
}
