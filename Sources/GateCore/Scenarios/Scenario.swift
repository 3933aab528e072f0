/// What the visualizer, `trace` and `render` show: a model, the input sequence it runs
/// on, and the words that describe both to a person.
public struct Scenario: Sendable {
    public var model: RecurrentModel
    /// "built-in demo", or the file name the model was loaded from.
    public var modelName: String
    public var inputs: [[Float]]
    /// The token ids whose embedding rows `inputs` are (an embedding model); nil otherwise.
    public var tokens: [Int]?
    /// The tokens' names from a vocabulary; nil without one.
    public var tokenNames: [String]?
    /// How each step's input reads to a person: a character ("'a'") or a few values.
    public var stepLabels: [String]
    /// One line on what the sequence is (task and what to watch), for the header.
    public var inputDescription: String
    /// How to obtain the same scenario with another cell kind (the visualizer's Tab key),
    /// or nil when that is not possible.
    public var makeVariant: (@Sendable (CellKind) throws -> Scenario)?
    /// What the variant of a kind is, in words ("trained on the same task and sequence"):
    /// the visualizer says it on arriving at a kind and on the Tab key's hint. Per kind,
    /// because a file's own kind differs from the random-weight others.
    public var variantNote: @Sendable (CellKind) -> String

    public init(model: RecurrentModel, modelName: String, inputs: [[Float]], stepLabels: [String],
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

    /// The model's trace on the inputs: through the embedding when there are token ids.
    public func trace() throws -> Trace {
        if let tokens { return try model.trace(tokens: tokens) }
        return try model.trace(inputs)
    }
}
