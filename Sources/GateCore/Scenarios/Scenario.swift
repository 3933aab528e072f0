/// What the visualizer, `trace` and `render` show: a model, the input sequence it runs
/// on, and the words that describe both to a person.
public struct Scenario: Sendable {
    public var model: RecurrentModel
    /// "built-in demo", or the file name the model was loaded from.
    public var modelName: String
    /// x_t of every step (the embedding rows for an embedding model).
    public var inputs: StepRows
    /// The token ids whose embedding rows `inputs` are (an embedding model); nil otherwise.
    public var tokens: [Int]?
    /// The tokens' names from a vocabulary; nil without one.
    public var tokenNames: [String]?
    /// How each step's input reads to a person: a character ("'a'") or a few values.
    public var stepLabels: StepLabels
    /// One line on what the sequence is (task and what to watch), for the header.
    public var inputDescription: String
    /// How to obtain the same scenario with another cell kind (the visualizer's Tab key),
    /// or nil when that is not possible.
    public var makeVariant: (@Sendable (CellKind) throws -> Scenario)?
    /// What the variant of a kind is, in words ("trained on the same task and sequence"):
    /// the visualizer says it on arriving at a kind and on the Tab key's hint. Per kind,
    /// because a file's own kind differs from the random-weight others.
    public var variantNote: @Sendable (CellKind) -> String
    /// The unit the description tells the reader to watch (0-based, as PyTorch indexes h):
    /// the visualizer opens with it selected. nil when the description names none.
    public var watchedUnit: Int?
    /// Whether the model's weights are random (PyTorch's initialisation), not trained or
    /// read from a file: what it shows is the cell kind, not a learned behaviour.
    public var hasRandomWeights = false
    /// The interventions the run is made with (see `poked`); empty for the model's own run.
    public internal(set) var pokes: [Poke] = []

    public init(model: RecurrentModel, modelName: String, inputs: [[Float]], stepLabels: [String],
                inputDescription: String, variantNote: @escaping @Sendable (CellKind) -> String = { _ in "" },
                makeVariant: (@Sendable (CellKind) throws -> Scenario)? = nil) {
        self.init(model: model, modelName: modelName, inputs: StepRows(inputs), stepLabels: StepLabels(stepLabels),
                  inputDescription: inputDescription, variantNote: variantNote, makeVariant: makeVariant)
    }

    public init(model: RecurrentModel, modelName: String, inputs: StepRows, stepLabels: StepLabels,
                inputDescription: String, variantNote: @escaping @Sendable (CellKind) -> String = { _ in "" },
                makeVariant: (@Sendable (CellKind) throws -> Scenario)? = nil) {
        self.model = model
        self.modelName = modelName
        self.inputs = inputs
        self.stepLabels = stepLabels
        self.inputDescription = inputDescription
        self.variantNote = variantNote
        self.makeVariant = makeVariant
    }

    /// The model's trace on the inputs, pokes made: through the embedding when there are
    /// token ids. The whole trace is held at once, so it must fit the budget
    /// (`InputSequence.checkTraceSize`); `StepwiseRun` computes a long one a window at a time.
    /// `progress` may stop it (`CancellationError`).
    public func trace(progress: WorkProgress? = nil) throws -> Trace {
        try StepwiseRun(self).trace(steps: 0..<inputs.count, progress: progress)
    }
}
