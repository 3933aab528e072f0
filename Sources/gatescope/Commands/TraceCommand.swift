import ArgumentParser
import GateCore

/// `gatescope trace`: every gate, c and h of every step, printed or written to a file.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Print every gate activation, c and h of every step.",
        discussion: """
            table: per step, the input and the head's output as the screen shows them, then one row \
            per layer and unit in the screen's column order (4 decimals); steps and layers count \
            from 1 as on the screen. \
            csv: one row per step, layer and unit with activations, c, h and pre-activations. \
            json: all of it plus the inputs and the head's output. csv and json numbers read \
            back as the exact float32 values; there t and layer are 0-based indices (t = step - 1). \
            Rows are written as the steps are computed, so any length streams in bounded memory; \
            --grad and a bidirectional layer need the whole trace held at once, within a budget.
            """)

    @OptionGroup var scenario: ScenarioOptions

    @OptionGroup(title: "What if") var pokes: PokeOptions

    @Option(help: ArgumentHelp("table, csv or json.", valueName: "format"))
    var format: String = TraceFormat.table.rawValue

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file (whole or not at all) instead of stdout.", valueName: "file"))
    var output: String?

    @Option(parsing: .unconditional, help: "Only this layer, counted from 1 as on the screen (1 reads the input).")
    var layer: Int?

    @Flag(help: "Add the gradient flow per step and layer to the JSON: grad_h (and grad_c), with grad_of and grad_meaning saying what they are: \"loss\", ‖∂L/∂h_t‖ of the next-symbol loss (a text or token model with a head), or \"last_state\", ‖uᵀ∂h_T/∂h_t‖, how much the top layer's last state depends on h_t (any other model).")
    var grad = false

    func run() throws {
        let format = try TraceFormat(spelling: format)
        if let output { try OutputFile.checkOutput(output, option: "--output", inputs: scenario.inputFiles) }
        let unpoked = try scenario.makeScenario()
        let scenario = try unpoked.poked(pokes.pokes(on: unpoked))
        _ = try TraceFormat.layers(selecting: layer, of: scenario.model.layerCount)
        // A file appears whole or not at all; stdout gets each piece as it is computed.
        let file = try output.map(OutputFile.Stream.init)
        let write: (String) throws -> Void = { text in
            if let file { try file.append(Array(text.utf8)) } else { print(text, terminator: "") }
        }
        if grad || !scenario.model.isWindowed {
            // The gradient flow runs backward from the last step, and a reverse pass forward
            // from it: the whole trace is held, within the budget.
            try InputSequence.checkTraceSize(model: scenario.model, steps: scenario.inputs.count,
                                             heldFor: grad ? "--grad's backward pass" : "a bidirectional layer's reverse pass")
            let trace = try scenario.trace()
            let gradients = grad ? try scenario.model.traceGradients(trace) : nil
            try write(try format.render(trace, of: scenario, layer: layer, gradients: gradients))
        } else {
            // A piece holds at least one step.
            try InputSequence.checkTraceSize(model: scenario.model, steps: 1, heldFor: "one step")
            try format.stream(scenario, layer: layer, to: write)
        }
        try file?.finish()
    }
}
