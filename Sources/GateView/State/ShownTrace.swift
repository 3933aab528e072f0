import GateCore

/// The trace the screen reads, by the sequence's own steps: the whole trace, or, for a
/// sequence kept at checkpoints (`Loaded`), the window of it held around the step shown.
/// Every accessor takes t counted from the sequence's first step, so that no panel knows
/// which; a step outside the window reads as no values (the panels draw nothing there), and
/// `Loaded` keeps every step a panel shows inside it.
struct ShownTrace: Sendable {
    /// The steps held: the whole trace, or a window of the sequence (its `firstStep` the
    /// window's start).
    let held: Trace
    /// The sequence's length: `held.steps` when held whole.
    let steps: Int

    /// The steps `held` covers.
    var heldSteps: Range<Int> { held.firstStep..<held.firstStep + held.steps }
    var isWhole: Bool { held.steps == steps }

    var stack: [Trace.LayerShape] { held.stack }
    var layerCount: Int { held.layerCount }
    var cell: CellKind { held.cell }
    var isHybrid: Bool { held.isHybrid }
    var hiddenSize: Int { held.hiddenSize }
    func cell(layer: Int) -> CellKind { held.cell(layer: layer) }
    func hiddenSize(layer: Int) -> Int { held.hiddenSize(layer: layer) }

    /// Step t of the sequence as a step of `held`, or nil when it is not held.
    func heldStep(_ t: Int) -> Int? { heldSteps.contains(t) ? t - held.firstStep : nil }

    private func read(_ t: Int, _ body: (Int) -> ArraySlice<Float>) -> ArraySlice<Float> {
        heldStep(t).map(body) ?? []
    }

    func gate(_ gate: Gate, t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        read(t) { held.gate(gate, t: $0, layer: layer, direction: direction) }
    }

    func preactivation(_ gate: Gate, t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        read(t) { held.preactivation(gate, t: $0, layer: layer, direction: direction) }
    }

    func preactivation(block: Int, t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        read(t) { held.preactivation(block: block, t: $0, layer: layer, direction: direction) }
    }

    func hidden(t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        read(t) { held.hidden(t: $0, layer: layer, direction: direction) }
    }

    func hiddenBeforeProjection(t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        read(t) { held.hiddenBeforeProjection(t: $0, layer: layer, direction: direction) }
    }

    func cellState(t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        read(t) { held.cellState(t: $0, layer: layer, direction: direction) }
    }

    /// h entering step t; at a window's first step, the state the window was traced from,
    /// which is h after the step before it.
    func previousHidden(t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        read(t) { held.previousHidden(t: $0, layer: layer, direction: direction) }
    }

    func previousCellState(t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        read(t) { held.previousCellState(t: $0, layer: layer, direction: direction) }
    }

    func candidateRecurrentPart(t: Int, layer: Int, direction: Direction = .forward) -> ArraySlice<Float> {
        read(t) { held.candidateRecurrentPart(t: $0, layer: layer, direction: direction) }
    }

    /// The head's output at step t as a person reads it; nil without a head or when step t
    /// is not held.
    func headOutput(of scenario: Scenario, t: Int) -> HeadOutput? {
        heldStep(t).flatMap { scenario.headOutput(held, t: $0) }
    }

    /// x_t, or no values when step t is not held.
    func input(t: Int) -> [Float] {
        heldStep(t).map { held.inputs[$0] } ?? []
    }
}
