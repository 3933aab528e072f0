import ArgumentParser
import GateCore

/// The what-if options shared by `show`, `render` and `trace`: pokes made in the run, each
/// repeatable, all stacking.
struct PokeOptions: ParsableArguments {
    @Option(name: .customLong("set-input"), help: ArgumentHelp(
        "Replace the input at a step: \(PokeSpelling.setInputForm); a symbol of the model's vocabulary, a token id for an embedding model, or the step's values.",
        valueName: "step=input"))
    var setInput: [String] = []

    @Option(help: ArgumentHelp(
        "Clamp a gate of one unit (its activation; the pre-activation is kept): \(PokeSpelling.clampForm). GATE is input, forget or output (LSTM), reset or update (GRU); UNIT counts from 0, STEP from 1.",
        valueName: "gate:unit=value@steps"))
    var clamp: [String] = []

    @Option(help: ArgumentHelp("Add to a gate's bias for one unit at every step: \(PokeSpelling.nudgeForm).",
                               valueName: "gate:unit=delta"))
    var nudge: [String] = []

    @Option(name: .customLong("poke-layer"), parsing: .unconditional, help: ArgumentHelp(
        "The layer --clamp and --nudge act on, counted from 1 (default 1); they act on its forward direction.",
        valueName: "n"))
    var pokeLayer: Int?

    /// These pokes on `scenario`, checked against it.
    func pokes(on scenario: Scenario) throws -> [Poke] {
        let layerCount = scenario.model.layerCount
        if let pokeLayer, !(1...max(layerCount, 1)).contains(pokeLayer) {
            throw GateError("--poke-layer \(pokeLayer): the model has \(layerCount == 1 ? "one layer, 1" : "layers 1 to \(layerCount)")")
        }
        if pokeLayer != nil && clamp.isEmpty && nudge.isEmpty {
            throw GateError("--poke-layer says where --clamp and --nudge act; give one of them too")
        }
        return try PokeSpelling.pokes(setInput: setInput, clamp: clamp, nudge: nudge,
                                      layer: (pokeLayer ?? 1) - 1, on: scenario)
    }
}
