import ArgumentParser
import GateCore

/// `gatescope trace`: every gate, c and h of every step, printed or written to a file.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Print every gate activation, c and h of every step.",
        discussion: """
            table: per step, the input and one row per layer and unit (4 decimals). \
            csv: one row per step, layer and unit with activations, c, h and pre-activations. \
            json: all of it plus the inputs and the head's output. csv and json numbers read \
            back as the exact float32 values.
            """)

    @OptionGroup var scenario: ScenarioOptions

    @Option(help: ArgumentHelp("table, csv or json.", valueName: "format"))
    var format: String = TraceFormat.table.rawValue

    @Option(help: ArgumentHelp("Write to this file (whole or not at all) instead of stdout.", valueName: "file"))
    var output: String?

    @Option(parsing: .unconditional, help: "Only this layer (0 reads the input).")
    var layer: Int?

    @Flag(help: "Add the gradient flow ‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖) per step and layer to the JSON.")
    var grad = false

    func run() throws {
        let format = try TraceFormat(spelling: format)
        let scenario = try scenario.makeScenario()
        _ = try TraceFormat.layers(selecting: layer, of: scenario.model.layerCount)
        let trace = try scenario.trace()
        let gradients = grad ? try scenario.model.traceGradients(trace) : nil
        let text = try format.render(trace, of: scenario, layer: layer, gradients: gradients)
        if let output {
            try OutputFile.write(text, to: output)
        } else {
            print(text, terminator: "")
        }
    }
}
