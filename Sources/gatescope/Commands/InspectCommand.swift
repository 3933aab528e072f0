import ArgumentParser
import GateCore

/// `gatescope inspect FILE`: what a model file holds, without running it.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe a model file: cell kind, sizes, parameter count, tensors, vocab, head.")

    @Argument(help: "A model file with PyTorch state_dict names: embedding, nn.LSTM / nn.GRU / nn.RNN layers or cells, linear head.")
    var file: String

    @Option(help: "Read the weights as this cell (lstm, gru, gru-reset-before, rnn) instead of the file's.")
    var cell: String?

    @Option(name: .customLong("head"), help: ArgumentHelp(
        "Prefix of the linear head's weight and bias.", valueName: "prefix"))
    var headPrefix: String?

    @Flag(name: .customLong("no-head"), help: "Leave out the linear head.")
    var noHead = false

    @Option(help: ArgumentHelp("The recurrent module to describe when the file holds several.", valueName: "name"))
    var prefix: String?

    func run() throws {
        let kind = try cell.map { try CellKind(validating: $0) }
        if noHead && headPrefix != nil { throw GateError("give --head PREFIX or --no-head, not both") }
        let options = LoadOptions(cell: kind, headPrefix: headPrefix, noHead: noHead, prefix: prefix)
        do {
            print(try ModelFile.report(path: file, options: options))
        } catch let error as GateError {
            // No model could be made of it: still show what the file holds, then why.
            if let contents = try? ModelFile.contents(path: file) { print(contents) }
            throw error
        }
    }
}
