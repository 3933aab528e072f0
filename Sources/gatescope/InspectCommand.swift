import ArgumentParser
import GateCore

/// `gatescope inspect FILE`: what a model file holds, without running it.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a model file: cell kind, sizes, parameter count, tensors, vocab, head.")

    @Argument(help: "A .safetensors file with nn.LSTM / nn.GRU / nn.RNN state_dict names.")
    var file: String

    @Option(help: "Read the weights as this cell (lstm, gru, gru-reset-before, rnn) instead of the file's.")
    var cell: String?

    @Option(name: .customLong("head"), help: ArgumentHelp(
        "Prefix of the linear head's weight and bias.", valueName: "prefix"))
    var headPrefix: String?

    func run() throws {
        let kind = try cell.map { try CellKind(validating: $0) }
        print(try ModelFile.report(path: file, cell: kind, headPrefix: headPrefix))
    }
}
