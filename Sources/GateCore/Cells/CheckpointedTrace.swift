/// A run too long to hold whole, kept at checkpoints: the state entering every `interval`-th
/// step. The trace of any window of steps is recomputed from the checkpoint at or before
/// its start (`StepwiseRun`), so it is exactly the whole trace's at those steps, and only
/// the checkpoints (a state per `interval` steps) and the window are held.
///
/// The checkpoints are computed from the first step on, as far as asked (`extend`), and as
/// far as a window traced from the last one reaches (`hold`): a window near the start is at
/// hand at once, a far one after a forward pass up to it.
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
        self.interval = max(1, interval ?? Self.defaultInterval(model: run.model, steps: run.steps))
        checkpoints = [try run.trace(steps: 0..<0).finalState]
    }

    /// At least 256 steps, more when a sequence is so long that its checkpoints would pass
    /// about 4M values (16 MiB): a window then costs at most one interval more steps.
    static func defaultInterval(model: RecurrentModel, steps: Int) -> Int {
        // h of every layer, c of every LSTM layer.
        let state = model.layers.reduce(1) { $0 + $1.stateSize + ($1.cell.hasCellState ? $1.hiddenSize : 0) }
        return max(256, (steps * state) / (1 << 22) + 1)
    }

    public var steps: Int { run.steps }

    /// Whether the window starting at `step` can be traced without computing checkpoints.
    public func isReady(at step: Int) -> Bool { step / interval < checkpoints.count }

    /// Computes the checkpoints up to the one at or before `step`: a forward pass from the
    /// last one computed, a piece between two checkpoints at a time, each traced into the
    /// storage of the one before and handed to `observe` (the visualizer's scales see every
    /// step computed). `progress` hears of one part, a step per checkpoint, and may stop it
    /// (`CancellationError`), keeping those computed.
    public mutating func extend(to step: Int, progress: WorkProgress? = nil,
                                observe: (Trace) -> Void = { _ in }) throws {
        let needed = min(max(step, 0), max(steps - 1, 0)) / interval
        let last = checkpoints.count - 1
        try progress?.beginPart(steps: needed - last)
        guard last < needed, let state = checkpoints.last else { return }
        let run = self.run
        try run.forEachPiece(of: last * interval..<needed * interval, chunk: interval, from: state) { piece in
            observe(piece)
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

    /// The steps to hold around `step`: `length` of them centred on it, or the last
    /// `length` near the end, widened back to the checkpoint at or before their start so
    /// that tracing them computes no step twice. `step` is then at least half a length from
    /// the window's start and half a length from its end, unless the sequence ends first.
    public func heldWindow(around step: Int, length: Int) -> Range<Int> {
        let length = max(1, min(length, steps))
        let centred = max(0, min(step - length / 2, steps - length))
        return centred / interval * interval..<min(steps, centred + length)
    }

    /// The trace of `window`, which starts at a checkpoint (`heldWindow`): computes the
    /// checkpoints up to it first if needed (`extend`), then keeps those the window passes
    /// beyond the last computed, so that stepping on from a window finds the next one ready.
    public mutating func hold(_ window: Range<Int>, progress: WorkProgress? = nil,
                              observe: (Trace) -> Void = { _ in }) throws -> Trace {
        try extend(to: window.lowerBound, progress: progress, observe: observe)
        let trace = try self.window(window)
        observe(trace)
        // The states entering the checkpoint steps inside the window, in order, from the
        // first one not yet kept.
        var next = checkpoints.count * interval
        while next <= window.upperBound, next > window.lowerBound, next < steps {
            checkpoints.append(trace.state(entering: next - window.lowerBound))
            next += interval
        }
        return trace
    }
}

/// How the visualizer holds a model's run on a sequence: whole, or at checkpoints with a
/// window of steps around the one shown, when the whole trace would be large.
public enum TraceHolding: Sendable, Equatable {
    case whole
    /// Checkpoints every `interval` steps and `window` steps held at once.
    case checkpointed(interval: Int, window: Int)

    /// Whole traces up to 16M values (64 MiB); beyond, checkpoints, unless a bidirectional
    /// layer needs the whole sequence.
    public static let wholeTraceValues = 1 << 24
    /// The values a window holds: about 8M (32 MiB), between 1,024 and 16,384 steps.
    static let windowValues = 1 << 23
    static let smallestWindow = 1 << 10

    /// The holding of `model`'s trace of `steps` steps.
    public static func choose(model: RecurrentModel, steps: Int) -> TraceHolding {
        choose(valuesPerStep: InputSequence.traceValuesPerStep(model), steps: steps,
               interval: CheckpointedTrace.defaultInterval(model: model, steps: steps), windowed: model.isWindowed)
    }

    static func choose(valuesPerStep: Int, steps: Int, interval: Int, windowed: Bool) -> TraceHolding {
        // At least 2 intervals: a window widened back to its checkpoint then holds at most
        // half as many steps again.
        let window = max(2 * interval, min(1 << 14, max(smallestWindow, windowValues / max(1, valuesPerStep))))
        guard windowed, steps > window, Double(steps) * Double(valuesPerStep) > Double(wholeTraceValues) else {
            return .whole
        }
        return .checkpointed(interval: interval, window: window)
    }

    /// The fewest steps held at once of a sequence of `steps` steps, whatever the sizes: all
    /// of them when the run cannot be windowed, else at most the smallest window. A model's
    /// sizes are checked against it before the model is built, and against `heldSteps` after.
    public static func leastHeldSteps(_ steps: Int, windowed: Bool) -> Int {
        windowed ? min(steps, smallestWindow) : steps
    }

    /// Of a sequence of `steps` steps, the steps held at once: all of them, or a window.
    public func heldSteps(of steps: Int) -> Int {
        switch self {
        case .whole: steps
        case .checkpointed(_, let window): min(steps, window)
        }
    }
}

extension Trace {
    /// The state entering step t of the trace (0 < t ≤ steps): h of every layer, and c of
    /// every LSTM layer, after step t − 1 (forward directions; see `StepwiseRun.isWindowed`).
    func state(entering t: Int) -> StepState {
        var hidden: [Float] = [], cell: [Float] = []
        for k in stack.indices {
            hidden += self.hidden(t: t - 1, layer: k)
            if stack[k].cell.hasCellState { cell += cellState(t: t - 1, layer: k) }
        }
        return StepState(hidden: hidden, cell: cell)
    }
}
