/// What gatescope shows when given no model: a freshly initialised cell driven by a few
/// clear pulses, so every gate's reaction to an input, and the fading afterwards, is
/// visible step by step.
public enum BuiltinDemo {
    /// Three input channels, each pulsed at its own times.
    public static let inputSize = 3
    public static let steps = 24

    /// The demo for a cell kind and size. The same arguments give the same model; Tab
    /// keeps the input and the seed and changes only the cell kind.
    public static func scenario(cell: CellKind, hidden: Int, layers: Int, seed: UInt64) -> Scenario {
        scenario(cells: Array(repeating: cell, count: max(layers, 0)), hidden: hidden, seed: seed)
    }

    /// The demo with one layer per entry of `cells`, bottom first: a hybrid stack when they
    /// differ, which has no twin of another kind (Tab is off).
    public static func scenario(cells: [CellKind], hidden: Int, seed: UInt64) -> Scenario {
        let model = RecurrentModel.random(cells: cells, inputSize: inputSize, hiddenSize: hidden, seed: seed)
        let (inputs, labels) = pulses()
        var scenario = Scenario(
            model: model, modelName: "built-in demo (random weights, seed \(seed))",
            inputs: inputs, stepLabels: labels,
            inputDescription: "x0 +1 at steps 3,4,12, -1 at 18,19; x1 +1 at 8; x2 +1 at 22; else 0",
            variantNote: { _ in "same input, same seed" },
            makeVariant: { kind in
                try Scenario.checkVariant(kind, like: model, steps: steps)
                return Self.scenario(cell: kind, hidden: hidden, layers: cells.count, seed: seed)
            })
        scenario.hasRandomWeights = true
        if model.isHybrid { scenario.makeVariant = nil }
        return scenario
    }

    /// The pulse train described in `inputDescription` (which counts steps from 1, as the
    /// screen does; `events` is keyed by the 0-based t), with each step's values and event.
    static func pulses() -> (inputs: [[Float]], labels: [String]) {
        let events: [Int: (channel: Int, value: Float)] = [
            2: (0, 1), 3: (0, 1), 7: (1, 1), 11: (0, 1), 17: (0, -1), 18: (0, -1), 21: (2, 1),
        ]
        var inputs: [[Float]] = []
        var labels: [String] = []
        for t in 0..<steps {
            var x = [Float](repeating: 0, count: inputSize)
            var label = ""
            if let event = events[t] {
                x[event.channel] = event.value
                label = " pulse \(event.value > 0 ? "+" : "-")1 on x\(event.channel)"
            }
            inputs.append(x)
            labels.append(InputSequence.valueLabel(x) + label)
        }
        return (inputs, labels)
    }
}
