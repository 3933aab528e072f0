import GateCore
@testable import GateView

/// The scenario every view test draws: a seeded random model (weights scaled up so that
/// gates saturate, as in a trained model) reading a fixed string of one-hot symbols, with a
/// head over the same vocabulary. It does not depend on the built-in demo.
enum Fixture {
    static let text = Array("abcabbcacbaabcbcaacbbaca")
    static let vocab: [Character] = ["a", "b", "c"]

    static func scenario(_ cell: CellKind = .lstm, hidden: Int = 8, layers: Int = 1,
                         steps: Int = 24, seed: UInt64 = 7) -> Scenario {
        var model = RecurrentModel.random(cell: cell, inputSize: vocab.count, hiddenSize: hidden,
                                          layers: layers, outputSize: vocab.count, seed: seed)
        for k in model.layers.indices {
            model.layers[k].forward.weightIH = model.layers[k].forward.weightIH.map { $0 * 6 }
            model.layers[k].forward.weightHH = model.layers[k].forward.weightHH.map { $0 * 3 }
        }
        model.vocab = vocab
        let symbols = (0..<steps).map { text[$0 % text.count] }
        let inputs = symbols.map { symbol in vocab.map { $0 == symbol ? Float(1) : 0 } }
        return Scenario(
            model: model, modelName: "test model", inputs: inputs,
            stepLabels: symbols.map { "'\($0)'" },
            inputDescription: "a fixed string of a, b and c",
            variantNote: { _ in "same seed" },
            makeVariant: { kind in scenario(kind, hidden: hidden, layers: layers, steps: steps, seed: seed) })
    }

    static func app(_ cell: CellKind = .lstm, theme: Theme = .standard, width: Int = 80, height: Int = 24, hidden: Int = 8,
                    layers: Int = 1, steps: Int = 24, unicode: Bool = true,
                    colors: Capabilities.ColorDepth = .none) throws -> GateScopeApp {
        try GateScopeApp(scenario: scenario(cell, hidden: hidden, layers: layers, steps: steps),
                         capabilities: Capabilities(colors: colors, unicode: unicode), theme: theme,
                         width: width, height: height)
    }
}

extension GateScopeApp {
    /// The current frame at the app's size.
    func frame() -> Buffer {
        var buffer = Buffer(width: width, height: height)
        view(into: &buffer)
        return buffer
    }

    /// Presses keys in order and returns the last command.
    @discardableResult
    mutating func press(_ script: String) throws -> Command {
        var command = Command.none
        for key in try KeyScript.parse(script) { command = update(.key(key)) }
        return command
    }
}
