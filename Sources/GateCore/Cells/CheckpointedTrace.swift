/// A run too long to hold whole, kept at checkpoints: the state entering every `interval`-th
/// step. The trace of any window of steps is recomputed from the checkpoint at or before
/// its start (`StepwiseRun`), so it is exactly the whole trace's at those steps, and only
/// the checkpoints (a state per `interval` steps) and the window are held.
///
/// The checkpoints are computed from the first step on, as far as asked (`extend`): a window
/// near the start is at hand at once, a far one after a forward pass up to it.
public struct CheckpointedTrace: Sendable {
    public let run: StepwiseRun
    /// Steps between checkpoints.
    public let interval: Int
    /// checkpoints[i] is the state entering step i · interval, for every i computed so far.
    public private(set) var checkpoints: [StepState]

    /// Checkpoints every `interval` steps (by default `defaultInterval`); only the first, the
    /// initial state, is computed yet. The run must be windowed (no bidirectional layer).
    public init(_ run: StepwiseRun, interval: Int? = nil) throws {
        guard run.isWindowed else {
            throw GateError("a bidirectional layer's reverse pass needs the whole sequence: it cannot be kept at checkpoints")
        }
        self.run = run
        self.interval = max(1, interval ?? Self.defaultInterval(run))
        checkpoints = [try run.trace(steps: 0..<0).finalState]
    }

    /// At least 256 steps, more when a sequence is so long that its checkpoints would pass
    /// about 4M values (16 MiB): a window then costs at most one interval more steps.
    static func defaultInterval(_ run: StepwiseRun) -> Int {
        // h of every layer, c of every LSTM layer.
        let state = run.model.layers.reduce(1) { $0 + $1.stateSize + ($1.cell.hasCellState ? $1.hiddenSize : 0) }
        return max(256, (run.steps * state) / (1 << 22) + 1)
    }

    public var steps: Int { run.steps }

    /// Whether the window starting at `step` can be traced without computing checkpoints.
    public func isReady(at step: Int) -> Bool { step / interval < checkpoints.count }

    /// Computes the checkpoints up to the one at or before `step`: a forward pass from the
    /// last one computed. `progress` hears of one part, a step per checkpoint, and may stop
    /// it (`CancellationError`), keeping those computed.
    public mutating func extend(to step: Int, progress: WorkProgress? = nil) throws {
        let needed = min(max(step, 0), max(steps - 1, 0)) / interval
        try progress?.beginPart(steps: needed - (checkpoints.count - 1))
        while checkpoints.count - 1 < needed {
            let start = (checkpoints.count - 1) * interval
            let piece = try run.trace(steps: start..<start + interval, from: checkpoints[checkpoints.count - 1])
            checkpoints.append(piece.finalState)
            try progress?.step()
        }
    }

    /// The trace of steps `window` (its `firstStep` the window's start), recomputed from
    /// the checkpoint at or before it: the whole trace's values at those steps, bit for
    /// bit. That checkpoint must be computed (`isReady`, `extend`).
    public func window(_ window: Range<Int>, progress: WorkProgress? = nil) throws -> Trace {
        let index = window.lowerBound / interval
        guard window.lowerBound >= 0, index < checkpoints.count else {
            throw GateError("step \(window.lowerBound + 1) is beyond the checkpoints computed so far (to step \((checkpoints.count - 1) * interval + 1))")
        }
        let start = index * interval
        var state = checkpoints[index]
        // From the checkpoint to the window's start: steps computed only for the state they end in.
        if start < window.lowerBound { state = try run.trace(steps: start..<window.lowerBound, from: state).finalState }
        return try run.trace(steps: window, from: state, progress: progress)
    }
}
