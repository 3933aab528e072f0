import GateCore
@testable import GateView

/// The scenario every view test draws: a seeded random model (weights scaled up so that
/// gates saturate, as in a trained model) reading a fixed string of one-hot symbols, with a
/// head over the same vocabulary. It does not depend on the built-in demo.
enum Fixture {
    static let text = Array("abcabbcacbaabcbcaacbbaca")
    static let vocab: [Character] = ["a", "b", "c"]

    /// A vocabulary of Chinese characters, two columns each on a terminal.
    static let chineseText = Array("你好世界好世界你界你好世")
    static let chineseVocab: [Character] = ["你", "好", "世", "界"]

    static func scenario(_ cell: CellKind = .lstm, hidden: Int = 8, layers: Int = 1,
                         steps: Int = 24, seed: UInt64 = 7, chinese: Bool = false) -> Scenario {
        let text = chinese ? chineseText : text, vocab = chinese ? chineseVocab : vocab
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
            model: model, modelName: chinese ? "测试模型 test model" : "test model", inputs: inputs,
            stepLabels: symbols.map { "'\($0)'" },
            inputDescription: chinese ? "一个固定的字符串 a fixed string of 你, 好, 世 and 界" : "a fixed string of a, b and c",
            variantNote: { _ in "same seed" },
            makeVariant: { kind in
                scenario(kind, hidden: hidden, layers: layers, steps: steps, seed: seed, chinese: chinese)
            })
    }

    static func app(_ cell: CellKind = .lstm, theme: Theme = .standard, width: Int = 80, height: Int = 24, hidden: Int = 8,
                    layers: Int = 1, steps: Int = 24, unicode: Bool = true,
                    colors: Capabilities.ColorDepth = .none, chinese: Bool = false) throws -> GateScopeApp {
        try GateScopeApp(scenario: scenario(cell, hidden: hidden, layers: layers, steps: steps, chinese: chinese),
                         capabilities: Capabilities(colors: colors, unicode: unicode), theme: theme,
                         width: width, height: height)
    }
}

extension Fixture {
    /// The LSTM delay demo, its memory unit selected: what the poke tests poke.
    static func delayDemo(width: Int = 80, height: Int = 24, unicode: Bool = true) throws -> GateScopeApp {
        try GateScopeApp(scenario: Demos.scenario(kind: .lstm, task: .delay),
                         capabilities: Capabilities(colors: .none, unicode: unicode), width: width, height: height)
    }
}

extension GateScopeApp {
    /// The current frame at the app's size.
    func frame() -> Buffer {
        var buffer = Buffer(width: width, height: height)
        view(into: &buffer)
        return buffer
    }

    /// Presses keys in order, each one's work done before the next, as `render` does, and
    /// returns the last command.
    @discardableResult
    mutating func press(_ script: String) throws -> Command {
        var command = Command.none
        for key in try KeyScript.parse(script) { command = updateFinishingWork(.key(key)) }
        return command
    }
}
