import ArgumentParser
import GateCore

/// `gatescope init`: a freshly initialised model file, so that a student has a file to
/// inspect, trace and load in PyTorch.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a freshly initialised model file (PyTorch's U(-1/√H, 1/√H), seeded).",
        discussion: """
        The file uses PyTorch's state_dict names without prefix. For example, after
        gatescope init --cell lstm --input-size 3 --hidden 8 --head 2 -o m.safetensors
        this Python loads it (GRU and RNN alike; bias=False with --no-bias):

        \(Init.pythonExample)

        --bidirectional adds the _reverse tensors of nn.LSTM(..., bidirectional=True) and
        --proj-size the weight_hr of nn.LSTM(..., proj_size=P). --cells gru,lstm writes a
        hybrid stack, one module per layer kind (rnn0., rnn1., ...), the order in the
        metadata's "modules".
        """)

    /// Loads the file of the example command into PyTorch, strictly. Each line fits 80
    /// columns and starts where Python expects it, so the help can be pasted as it is.
    static let pythonExample = """
        import torch
        from safetensors.torch import load_file
        sd = load_file("m.safetensors")
        rnn = torch.nn.LSTM(input_size=3, hidden_size=8, num_layers=1)
        rnn.load_state_dict({k: v for k, v in sd.items()
                             if not k.startswith("head.")})
        head = torch.nn.Linear(8, 2)
        head.load_state_dict({k[5:]: v for k, v in sd.items()
                              if k.startswith("head.")})
        """

    @Option(help: "lstm, gru, gru-reset-before (alias gru-cho) or rnn.")
    var cell: String?

    @OptionGroup var pipeline: PipelineOptions

    @Option(name: .customLong("input-size"), parsing: .unconditional, help: "Features per step (default: the --vocab size).")
    var inputSize: Int?

    @Option(parsing: .unconditional, help: "Hidden size H.")
    var hidden: Int

    @Option(parsing: .unconditional, help: "Stacked layers, as PyTorch's num_layers (default 1, or the --cells count).")
    var layers: Int?

    @Flag(name: .customLong("no-bias"), help: "No bias tensors, as bias=False.")
    var noBias = false

    @Option(name: .customLong("head"), parsing: .unconditional, help: ArgumentHelp(
        "Add a linear head with this many outputs on the last layer's h.", valueName: "outputs"))
    var outputSize: Int?

    @Option(help: "Symbols for one-hot text input, one per input feature, e.g. \"abc \".")
    var vocab: String?

    @Option(parsing: .unconditional, help: "Seed of the initialisation; the same seed gives the same weights.")
    var seed: UInt64 = 0

    @Option(name: .shortAndLong, help: "The .safetensors file to write.")
    var output: String

    @Flag(name: .shortAndLong, help: "Replace the --output file if it exists.")
    var force = false

    func run() throws {
        try OutputFile.checkOutput(output, option: "--output", inputs: [], replacing: force)
        let kinds: [CellKind]
        switch (cell, try pipeline.kinds()) {
        case (let one?, nil): kinds = Array(repeating: try CellKind(validating: one), count: max(1, min(layers ?? 1, 2)))
        case (nil, let list?): kinds = list
        case (nil, nil): throw GateError("give --cell KIND, or --cells KIND,KIND,... for a hybrid stack")
        case (_?, _?): throw GateError("give --cell or --cells, not both")
        }
        let hybrid = pipeline.cells != nil
        let layers = self.layers ?? (hybrid ? kinds.count : 1)
        if hybrid && layers != kinds.count {
            throw GateError("--layers \(layers) does not match the \(kinds.count) kinds of --cells")
        }
        let bidirectional = pipeline.bidirectional, projSize = pipeline.projSize
        let kind = kinds[0]
        let symbols = vocab.map(Array.init)
        if let symbols, let inputSize, inputSize != symbols.count {
            throw GateError("--input-size \(inputSize) does not match the \(symbols.count) symbols of --vocab")
        }
        guard let inputSize = inputSize ?? symbols?.count else {
            throw GateError("--input-size is required (or --vocab, whose length sets it)")
        }
        guard inputSize >= 1 else { throw GateError("--input-size must be at least 1, got \(inputSize)") }
        guard hidden >= 1 else { throw GateError("--hidden must be at least 1, got \(hidden)") }
        guard layers >= 1 else { throw GateError("--layers must be at least 1, got \(layers)") }
        if let outputSize, outputSize < 1 {
            throw GateError("--head must be at least 1 output, got \(outputSize)")
        }
        try RecurrentModel.checkSizes(cells: kinds, inputSize: inputSize, hiddenSize: hidden, bidirectional: bidirectional,
                                      projectionSize: projSize, bias: !noBias, outputSize: outputSize, layerCount: layers)
        let stack = hybrid ? kinds : Array(repeating: kind, count: layers)
        var model = RecurrentModel.random(cells: stack, inputSize: inputSize, hiddenSize: hidden, bidirectional: bidirectional,
                                          projectionSize: projSize, bias: !noBias, outputSize: outputSize, seed: seed)
        model.vocab = symbols
        model.metadata["seed"] = String(seed)
        try ModelFile.save(model, to: output)
        let kindName = model.isHybrid ? model.layers.map(\.cell.displayName).joined(separator: " → ") : kind.displayName
        print("wrote \(output): \(bidirectional ? "bidirectional " : "")\(kindName), input \(inputSize), hidden \(hidden), "
            + "\(layers) layer\(layers == 1 ? "" : "s"), \(model.parameterCount) parameters")
    }
}

/// The pipeline options `init` and `train` share: a hybrid stack's kinds, both directions,
/// and the LSTM layers' projection.
struct PipelineOptions: ParsableArguments {
    @Option(help: ArgumentHelp("One kind per layer, bottom first, for a hybrid stack: gru,lstm.", valueName: "kinds"))
    var cells: String?

    @Flag(help: "Both directions in every layer, as bidirectional=True.")
    var bidirectional = false

    @Option(name: .customLong("proj-size"), parsing: .unconditional, help: "Project the LSTM layers' h to this size, as proj_size.")
    var projSize: Int = 0

    /// The kinds --cells lists, nil without it.
    func kinds() throws -> [CellKind]? {
        try cells?.split(separator: ",", omittingEmptySubsequences: false).map { try CellKind(validating: String($0)) }
    }
}
