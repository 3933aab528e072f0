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
    var cell: String

    @Option(name: .customLong("input-size"), parsing: .unconditional, help: "Features per step (default: the --vocab size).")
    var inputSize: Int?

    @Option(parsing: .unconditional, help: "Hidden size H.")
    var hidden: Int

    @Option(parsing: .unconditional, help: "Stacked layers, as PyTorch's num_layers.")
    var layers: Int = 1

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
        let kind = try CellKind(validating: cell)
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
        try RecurrentModel.checkSizes(cell: kind, inputSize: inputSize, hiddenSize: hidden, layers: layers,
                                      bias: !noBias, outputSize: outputSize)
        var model = RecurrentModel.random(cell: kind, inputSize: inputSize, hiddenSize: hidden, layers: layers,
                                          bias: !noBias, outputSize: outputSize, seed: seed)
        model.vocab = symbols
        model.metadata["seed"] = String(seed)
        try ModelFile.save(model, to: output)
        print("wrote \(output): \(kind.displayName), input \(inputSize), hidden \(hidden), "
            + "\(layers) layer\(layers == 1 ? "" : "s"), \(model.parameterCount) parameters")
    }
}
