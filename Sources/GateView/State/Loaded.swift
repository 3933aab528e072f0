import GateCore

/// A scenario with its trace and what the screen derives from it: the scales of the
/// unbounded quantities and the width of their numbers. Built once per cell kind, so that
/// drawing a frame reads values and computes nothing.
///
/// A sequence whose whole trace would be large (`TraceHolding`) is kept at checkpoints: the
/// trace holds a window of steps around the step shown, and `hold(_:)` moves the window
/// when the step nears its edge, recomputing it exactly from the checkpoint at its start.
/// The scales then cover the steps computed so far, every step once the checkpoints reach
/// the end.
struct Loaded: Sendable {
    let scenario: Scenario
    /// What the panels read, by the sequence's steps.
    private(set) var trace: ShownTrace
    /// The checkpoints of a sequence kept at them; nil when the trace is held whole.
    private(set) var checkpoints: CheckpointedTrace?
    /// How the trace is held: whole, or at checkpoints with a window of `windowLength`.
    let holding: TraceHolding
    /// The steps a window holds (the whole sequence when held whole).
    let windowLength: Int
    /// Per layer, the largest finite magnitude of c (LSTM) or of the RNN's pre-activation
    /// over the steps computed so far, both directions.
    private var largestUnbounded: [Float]
    /// Per layer, the symmetric scale of that quantity and the width of its widest number,
    /// from `largestUnbounded`.
    private var unboundedScale: [Float] = []
    private var unboundedNumberWidth: [Int] = []
    /// The head's output at the last step, once a window has reached it (at once when held
    /// whole): the poke line's answer, wherever the window is.
    private(set) var finalOutput: HeadOutput?
    /// The input as text, a string per step (`Scenario.textSymbols`, made once: it reads
    /// every step's input); nil for numbers.
    let textSymbols: [String]?
    /// The gradient flow, computed the first time the gradient panel needs it.
    var gradients = GradientCache()

    /// Traces `scenario`: whole, or (by `TraceHolding.choose`, or `holding` when given) the
    /// first window of a sequence kept at checkpoints; `progress` may stop the trace
    /// (`CancellationError`).
    init(_ scenario: Scenario, holding: TraceHolding? = nil, progress: WorkProgress? = nil) throws {
        let run = try StepwiseRun(scenario)
        self.scenario = scenario
        textSymbols = scenario.textSymbols
        let holding = holding ?? TraceHolding.choose(model: scenario.model, steps: run.steps)
        self.holding = holding
        let held: Trace
        switch holding {
        case .whole:
            held = try run.trace(steps: 0..<run.steps, progress: progress)
            windowLength = run.steps
        case .checkpointed(let interval, let window):
            var checkpoints = try CheckpointedTrace(run, interval: interval)
            held = try checkpoints.hold(checkpoints.heldWindow(around: 0, length: window), progress: progress)
            self.checkpoints = checkpoints
            windowLength = window
        }
        trace = ShownTrace(held: held, steps: run.steps)
        finalOutput = trace.headOutput(of: scenario, t: run.steps - 1)
        largestUnbounded = Self.largestUnbounded(in: held)
        deriveScales()
    }

    var cell: CellKind { trace.cell }

    // MARK: The window

    /// Steps kept between the step shown and either end of the window, unless the
    /// sequence ends there: more than a panel shows on either side of the step.
    private var margin: Int { windowLength / 4 }

    /// Whether `step` is far enough inside the window for every panel around it.
    func holds(_ step: Int) -> Bool {
        let held = trace.heldSteps
        guard held.contains(step) else { return false }
        return (held.lowerBound == 0 || step - held.lowerBound >= margin)
            && (held.upperBound == trace.steps || held.upperBound - step > margin)
    }

    /// Whether the window around `step` can be traced at once, without a forward pass from
    /// the last checkpoint computed (which takes a job, `Preparation.hold`).
    func canHoldAtOnce(_ step: Int) -> Bool {
        guard let checkpoints else { return true }
        return checkpoints.isReady(at: checkpoints.heldWindow(around: step, length: windowLength).lowerBound)
    }

    /// Moves the window to be around `step`, unless it holds it already: the checkpoints
    /// first, as far as needed (`progress` hears of them and may stop them), then the
    /// window from the one at its start. Every step computed widens the scales.
    mutating func hold(_ step: Int, progress: WorkProgress? = nil) throws {
        guard !holds(step), var checkpoints else { return }
        var largest = largestUnbounded
        let held = try checkpoints.hold(checkpoints.heldWindow(around: step, length: windowLength), progress: progress) {
            largest = zip(largest, Self.largestUnbounded(in: $0)).map { max($0, $1) }
        }
        self.checkpoints = checkpoints
        trace = ShownTrace(held: held, steps: trace.steps)
        // The gradients were the last window's.
        gradients = GradientCache()
        if finalOutput == nil { finalOutput = trace.headOutput(of: scenario, t: trace.steps - 1) }
        if largest != largestUnbounded {
            largestUnbounded = largest
            deriveScales()
        }
    }

    // MARK: Scales

    /// Per layer, the largest finite magnitude of the layer's unbounded quantity in `trace`:
    /// c for an LSTM layer, the pre-activation for an RNN layer, over both directions.
    private static func largestUnbounded(in trace: Trace) -> [Float] {
        let shown = ShownTrace(held: trace, steps: trace.steps)
        return (0..<trace.layerCount).map { layer in
            var largest: Float = 0
            guard let unbounded = Quantity.tableColumns(for: trace.cell(layer: layer)).first(where: \.isUnbounded) else {
                return largest
            }
            for direction in trace.stack[layer].directions {
                for t in 0..<trace.steps {
                    for value in unbounded.values(in: shown, t: t, layer: layer, direction: direction) where value.isFinite {
                        largest = max(largest, abs(value))
                    }
                }
            }
            return largest
        }
    }

    private mutating func deriveScales() {
        unboundedScale = largestUnbounded.map(niceBound)
        // The largest magnitude has the widest number; "+inf" and "nan" are narrower.
        unboundedNumberWidth = largestUnbounded.map { max(5, formatFixed($0, signed: true).count) }
    }

    func scale(of quantity: Quantity, layer: Int) -> Scale {
        if quantity.isSigmoid { return .unit }
        if quantity.isUnbounded, unboundedScale.indices.contains(layer) {
            return .symmetric(unboundedScale[layer])
        }
        return .symmetric(1)
    }

    /// Characters of the widest number in this column: "0.12" for gates, "+0.44" for
    /// tanh values, wider for a large c.
    func numberWidth(of quantity: Quantity, layer: Int) -> Int {
        if quantity.isSigmoid { return 4 }
        if quantity.isUnbounded, unboundedNumberWidth.indices.contains(layer) {
            return unboundedNumberWidth[layer]
        }
        return 5
    }

    /// One unit's value; NaN past the end of a projected h, or at a step not held.
    func value(_ quantity: Quantity, t: Int, layer: Int, unit: Int, direction: Direction = .forward) -> Float {
        let values = quantity.values(in: trace, t: t, layer: layer, direction: direction)
        return unit < values.count ? values[values.startIndex + unit] : .nan
    }
}
