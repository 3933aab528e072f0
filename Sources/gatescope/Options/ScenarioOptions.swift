import ArgumentParser
import Foundation
import GateCore

/// The model and input options shared by every command that runs a cell (`trace`, `show`,
/// `render`): which model, and which sequence it steps through.
struct ScenarioOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A model file with PyTorch state_dict names (embedding, recurrent layers, head found by themselves). Without it: a built-in demo.", valueName: "file"))
    var model: String?

    @Option(help: ArgumentHelp("""
        The built-in demo without --model: delay (a trained cell recalls a symbol after a \
        delay; the default), text (a trained next-character model), or random (untrained \
        weights, sized by --hidden, --layers and --seed).
        """, valueName: "name"))
    var demo: String?

    @Option(help: ArgumentHelp(
        "The cell kind: \(ScenarioOptions.cellSpellings). With --model it overrides the kind in the file. Kinds joined by + (gru+lstm, bottom layer first) make the random demo a hybrid stack.",
        valueName: "kind"))
    var cell: String?

    @Option(help: ArgumentHelp("Where the model file keeps its linear head (default: the only linear layer that reads the last layer's output).", valueName: "prefix"))
    var head: String?

    @Flag(name: .customLong("no-head"), help: "Run the model file without its linear head.")
    var noHead = false

    @Option(help: ArgumentHelp("The recurrent module to open when the file holds several (for example encoder or decoder).", valueName: "name"))
    var prefix: String?

    // `.unconditional` reads "-3" as a value, so a negative size gets its own message
    // rather than "missing value".
    @Option(parsing: .unconditional, help: "Hidden units of the built-in model (default: 8).")
    var hidden: Int?

    @Option(parsing: .unconditional, help: "Stacked layers of the built-in model (default: 1).")
    var layers: Int?

    @Option(parsing: .unconditional, help: "Seed of the random demo's weights and of --random's values.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Input steps from a CSV file: one row per step, one column per feature, optional header.",
                               valueName: "file.csv"))
    var input: String?

    @Option(help: ArgumentHelp("Input text, one character per step, one-hot over the model's vocabulary; for an embedding model, tokens through its vocabulary (split on whitespace when tokens are words).",
                               valueName: "string"))
    var text: String?

    @Option(help: ArgumentHelp("Token ids for an embedding model, such as 3,1,4.", valueName: "ids"))
    var tokens: String?

    @Option(help: ArgumentHelp("The embedding's vocabulary: one token per line, line n is token id n.", valueName: "file"))
    var vocab: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("This many steps of seeded uniform(-1, 1) values. A model file given no input runs the demo sequence of the task it was trained on (its metadata says which), else its vocabulary as text, else 16 random steps.", valueName: "steps"))
    var random: Int?

    /// The built-in model's sizes when none are given, and the most parameters it may
    /// have, so that a typo such as --hidden 100000 is refused before allocating.
    static let defaultHidden = 8
    static let defaultLayers = 1
    static let maxBuiltinParameters = 1 << 26

    static let cellSpellings = CellKind.allCases.map(\.rawValue).joined(separator: ", ")
        + " (also " + CellKind.aliases.keys.sorted().joined(separator: ", ") + ")"

    /// Whether no option names a model, a demo, a cell or an input (a lesson sets them).
    var isEmpty: Bool {
        [model, demo, cell, head, prefix, input, text, tokens, vocab].allSatisfy { $0 == nil }
            && hidden == nil && layers == nil && random == nil && !noHead
    }

    /// The files these options read, with the option that named each, so that a command
    /// writing a file can refuse to overwrite one of them.
    var inputFiles: [(option: String, path: String)] {
        [("--model", model), ("--input", input), ("--vocab", vocab)].compactMap { option, path in path.map { (option, $0) } }
    }

    /// The model and input these options describe, refused if its inputs would exceed the
    /// budget of what is held at once, or, when `heldFor` names what holds its trace (the
    /// visualizer), if what it holds would: the whole trace, or a window of a sequence long
    /// enough to be kept at checkpoints (`TraceHolding`). Every way of choosing them (a model file or a
    /// demo; its own input, --input, --text or --random) meets this one check; the inputs
    /// that are read or made from options are also measured before they are allocated.
    func makeScenario(heldFor: String? = nil) throws -> Scenario {
        let scenario = try uncheckedScenario(heldFor: heldFor)
        try InputSequence.checkInputSize(model: scenario.model, steps: scenario.inputs.count)
        if let heldFor {
            // A long sequence is kept at checkpoints: only a window of it is held.
            let steps = scenario.inputs.count
            let held = TraceHolding.choose(model: scenario.model, steps: steps).heldSteps(of: steps)
            try InputSequence.checkTraceSize(model: scenario.model, steps: held,
                                             heldFor: Self.holder(heldFor, holds: held, of: steps))
        }
        return scenario
    }

    private func uncheckedScenario(heldFor: String?) throws -> Scenario {
        // KIND+KIND: a hybrid stack of the random demo, one kind per layer, bottom first.
        let stack = try cell?.split(separator: "+", omittingEmptySubsequences: false).map { try CellKind(validating: String($0)) }
        let hybrid = stack.map { $0.count > 1 } ?? false
        let kind = hybrid ? nil : stack?.first
        if let cell, hybrid, model != nil || (demo ?? "random") != "random" {
            throw GateError("--cell \(cell): a hybrid stack (kinds joined by +) is the random demo's; a model file or a trained demo has its own kinds")
        }
        let source = try inputSource()
        if let model {
            if hidden != nil || layers != nil {
                throw GateError("--hidden and --layers size the built-in model; \(model) sets its own sizes")
            }
            if noHead && head != nil { throw GateError("give --head PREFIX or --no-head, not both") }
            let options = LoadOptions(cell: kind, headPrefix: head, noHead: noHead, prefix: prefix)
            let loaded = try ModelFile.load(path: model, options: options)
            let vocabulary = try vocab.map(Vocabulary.load(path:))
            // Without an input: the demo sequence of the task the file was trained on, else
            // the default for its kind of model.
            let sequence = try source.map { try $0.load(for: loaded, vocabulary: vocabulary) }
                ?? InputSequence.trainedTaskDemo(for: loaded)
                ?? InputSource.defaultInput(for: loaded, seed: seed).load(for: loaded, vocabulary: vocabulary)
            let name = URL(fileURLWithPath: model).lastPathComponent
            return Scenario.loaded(loaded, name: name, inputs: sequence, seed: seed)
        }
        if head != nil || noHead || prefix != nil || vocab != nil {
            throw GateError("--head, --no-head, --prefix and --vocab describe a model file; give --model too")
        }
        if !hybrid, let trained = try trainedDemo(kind: kind) {
            let scenario = try Demos.scenario(kind: trained.kind, task: trained.task)
            guard let source else { return scenario }
            return scenario.replacingInputs(try source.load(for: scenario.model))
        }
        let hidden = self.hidden ?? Self.defaultHidden
        let layers = self.layers ?? stack.map(\.count) ?? Self.defaultLayers
        if let stack, hybrid, layers != stack.count {
            throw GateError("--layers \(layers) does not match the \(stack.count) kinds of --cell \(cell ?? "")")
        }
        // The kind with the most blocks bounds every layer's size.
        let widest = stack?.max { $0.blockCount < $1.blockCount } ?? .lstm
        try Self.checkBuiltinSize(cell: widest, hidden: hidden, layers: layers)
        if let heldFor {
            // Measured before the model is built too, since building a large one takes long.
            let steps = source?.leastSteps ?? BuiltinDemo.steps
            let held = TraceHolding.leastHeldSteps(steps, windowed: true)
            try InputSequence.checkTraceSize(cell: widest, inputSize: BuiltinDemo.inputSize, hiddenSize: hidden,
                                             layers: layers, outputSize: 0, steps: held,
                                             heldFor: Self.holder(heldFor, holds: held, of: steps))
        }
        let cells = hybrid ? stack ?? [] : Array(repeating: widest, count: layers)
        let demo = BuiltinDemo.scenario(cells: cells, hidden: hidden, seed: seed)
        guard let source else { return demo }
        return demo.replacingInputs(try source.load(for: demo.model))
    }

    /// The trained demo to open, or nil for the random-weight one: --demo random, a size for
    /// the built-in model, or a cell kind that has no trained demo. --seed seeds --random's
    /// values with any demo, so it alone never changes which model opens.
    private func trainedDemo(kind: CellKind?) throws -> (kind: CellKind, task: Demos.Task)? {
        let sized = hidden != nil || layers != nil
        guard let demo else {
            let kind = kind ?? .lstm
            return sized || !Demos.kinds.contains(kind) ? nil : (kind, .delay)
        }
        if demo == "random" { return nil }
        guard let task = Demos.Task(rawValue: demo) else {
            throw GateError("unknown demo '\(demo)': expected one of \((Demos.Task.allCases.map(\.rawValue) + ["random"]).joined(separator: ", "))")
        }
        if sized { throw GateError("--hidden and --layers size the random demo; the trained \(demo) demo has its own sizes") }
        let kind = kind ?? .lstm
        guard Demos.kinds.contains(kind) else {
            throw GateError("there is no trained \(demo) demo for the \(kind.displayName): trained demos exist for \(Demos.kinds.map(\.rawValue).joined(separator: ", ")); try --demo random")
        }
        return (kind, task)
    }

    /// What holds `held` of `steps` steps, as a refusal names it: "the visualizer", or its
    /// window when it keeps the sequence at checkpoints.
    static func holder(_ heldFor: String, holds held: Int, of steps: Int) -> String {
        held < steps ? heldFor + "'s window (it keeps a longer sequence at checkpoints)" : heldFor
    }

    /// At most one of --input, --text and --random.
    private func inputSource() throws -> InputSource? {
        var sources: [(flag: String, source: InputSource)] = []
        if let input { sources.append(("--input", .csv(path: input))) }
        if let text { sources.append(("--text", .text(text))) }
        if let tokens { sources.append(("--tokens", .tokens(try InputSequence.parseTokenList(tokens)))) }
        if let random { sources.append(("--random", .random(steps: random, seed: seed))) }
        guard sources.count <= 1 else {
            throw GateError("give one input, not \(sources.map(\.flag).joined(separator: " and "))")
        }
        return sources.first?.source
    }

    /// Positive sizes, and a parameter count G·(H·I + H·H + 2H) + (L-1)·G·(2H·H + 2H) within
    /// the limit, computed without overflow for any Int the user types.
    static func checkBuiltinSize(cell: CellKind, hidden: Int, layers: Int) throws {
        guard hidden >= 1 else { throw GateError("--hidden must be at least 1, got \(hidden)") }
        guard layers >= 1 else { throw GateError("--layers must be at least 1, got \(layers)") }
        let tooLarge = GateError("--hidden \(hidden) --layers \(layers): the built-in \(cell.displayName) would have more than \(maxBuiltinParameters) parameters, its limit")
        // Beyond these bounds the count exceeds the limit anyway; checking them first keeps
        // the arithmetic below far from overflow.
        guard hidden <= maxBuiltinParameters, layers <= maxBuiltinParameters else { throw tooLarge }
        let G = cell.blockCount
        let first = G * (hidden * BuiltinDemo.inputSize + hidden * hidden + 2 * hidden)
        let (rest, overflow) = (G * (2 * hidden * hidden + 2 * hidden)).multipliedReportingOverflow(by: layers - 1)
        guard !overflow, first + rest <= maxBuiltinParameters else { throw tooLarge }
    }
}
