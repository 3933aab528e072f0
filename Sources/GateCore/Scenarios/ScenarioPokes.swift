extension Scenario {
    /// The scenario with `pokes` made: checked against the model and the sequence, input
    /// pokes written into the inputs and their step labels, the rest kept for `trace`.
    /// Call it on the unpoked scenario: input pokes made before stay in the inputs.
    public func poked(_ pokes: [Poke]) throws -> Scenario {
        var copy = self
        copy.pokes = pokes
        for poke in pokes {
            try model.check(poke, steps: inputs.count)
            guard case .setInput(let t, let input) = poke else { continue }
            switch input {
            case .token(let id):
                copy.tokens?[t] = id
                copy.inputs[t] = try model.embeddingRows([id])[0]
                copy.stepLabels[t] = tokenLabel(id)
                copy.tokenNames?[t] = model.vocab.map { id < $0.count ? String($0[id]) : "#\(id)" } ?? "#\(id)"
            case .values(let values):
                copy.inputs[t] = values
                copy.stepLabels[t] = hotSymbol(values).map(InputSequence.characterLabel) ?? InputSequence.valueLabel(values)
            }
        }
        return copy
    }

    /// "'a'" for a token the model's vocabulary names, else "#id".
    private func tokenLabel(_ id: Int) -> String {
        guard let vocab = model.vocab, id < vocab.count else { return "#\(id)" }
        return InputSequence.characterLabel(vocab[id])
    }

    /// The symbol whose one-hot vector `values` is, for a model with a vocabulary and no
    /// embedding.
    func hotSymbol(_ values: [Float]) -> Character? {
        guard model.embedding == nil, let vocab = model.vocab, values.count == vocab.count,
              values.allSatisfy({ $0 == 0 || $0 == 1 }), values.filter({ $0 == 1 }).count == 1,
              let hot = values.firstIndex(of: 1) else { return nil }
        return vocab[hot]
    }

    /// What "the next symbol" at step t is: the next token id, or the one-hot vector of the
    /// vocabulary's next symbol, wrapping round; nil for numeric inputs.
    public func nextSymbol(at t: Int) -> StepInput? {
        guard inputs.indices.contains(t) else { return nil }
        if let embedding = model.embedding, let id = tokens?[t] {
            return .token((id + 1) % max(embedding.vocabularySize, 1))
        }
        guard let vocab = model.vocab, hotSymbol(inputs[t]) != nil, let hot = inputs[t].firstIndex(of: 1) else { return nil }
        var values = [Float](repeating: 0, count: vocab.count)
        values[(hot + 1) % vocab.count] = 1
        return .values(values)
    }

    /// An input spelled on the command line: a symbol of the model's vocabulary (one-hot, or
    /// its token id through the embedding), a token id for an embedding model, or the
    /// step's values separated by commas. nil when it is none of these.
    public func stepInput(spelling: String) -> StepInput? {
        if let vocab = model.vocab, spelling.count == 1, let symbol = spelling.first, let index = vocab.firstIndex(of: symbol) {
            if model.embedding != nil { return .token(index) }
            var values = [Float](repeating: 0, count: vocab.count)
            values[index] = 1
            return .values(values)
        }
        if model.embedding != nil { return Int(spelling).map(StepInput.token) }
        let fields = spelling.split(separator: ",", omittingEmptySubsequences: false)
        let values = fields.compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        return values.count == fields.count ? .values(values) : nil
    }
}

/// The command line's spelling of pokes (`--set-input`, `--clamp`, `--nudge`): each parsed
/// into a `Poke` on a scenario, or refused with an error naming the option, the text and
/// what was expected.
public enum PokeSpelling {
    public static let setInputForm = "STEP=SYMBOL or STEP=v1,v2,… (STEP counted from 1)"
    public static let clampForm = "GATE:UNIT=VALUE@STEP, @STEP- (to the end) or @STEP-STEP, such as forget:2=0@5-"
    public static let nudgeForm = "GATE:UNIT=DELTA, such as forget:2=0.5"
    static let gateNames = "input, forget, output, reset or update"

    /// The pokes of all three options on `scenario`, `layer` 0-based, in the order: inputs,
    /// clamps, nudges (each option's in the order given). An error names the option as
    /// `prefix` + its name ("--clamp" on the command line, "pokes: clamp" in a lesson).
    public static func pokes(setInput: [String], clamp: [String], nudge: [String], layer: Int,
                             on scenario: Scenario, prefix: String = "--") throws -> [Poke] {
        var pokes: [Poke] = []
        for text in setInput { pokes.append(try checked(prefix + "set-input", text, on: scenario) { try parseSetInput(text, on: scenario) }) }
        for text in clamp { pokes.append(try checked(prefix + "clamp", text, on: scenario) { try parseClamp(text, layer: layer) }) }
        for text in nudge { pokes.append(try checked(prefix + "nudge", text, on: scenario) { try parseNudge(text, layer: layer) }) }
        return pokes
    }

    /// Why the spelling of a poke is wrong before any model is known (a lesson file is
    /// checked so), or nil: `option` is set-input, clamp or nudge.
    static func spellingProblem(_ option: String, _ text: String) -> String? {
        do {
            switch option {
            case "set-input": _ = try setInputParts(text)
            case "clamp": _ = try parseClamp(text, layer: 0)
            default: _ = try parseNudge(text, layer: 0)
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Parses with `parse` and checks the poke against the scenario; either failure is an
    /// error beginning with the option and its text.
    private static func checked(_ option: String, _ text: String, on scenario: Scenario,
                                _ parse: () throws -> Poke) throws -> Poke {
        do {
            let poke = try parse()
            try scenario.model.check(poke, steps: scenario.inputs.count)
            return poke
        } catch let error as GateError {
            throw GateError("\(option) '\(text)': \(error.message)")
        }
    }

    static func parseSetInput(_ text: String, on scenario: Scenario) throws -> Poke {
        let (step, spelling) = try setInputParts(text)
        guard let input = scenario.stepInput(spelling: spelling) else {
            let vocab = scenario.model.vocab.map { " or one of the symbols \"\(String($0))\"" } ?? ""
            let what = scenario.model.embedding != nil ? "a token id" : "\(scenario.model.inputSize) numbers separated by commas"
            throw GateError("'\(spelling)' is not an input: expected \(what)\(vocab)")
        }
        return .setInput(step: step - 1, input: input)
    }

    /// "STEP=INPUT": the step, from 1, and the input as spelled (what it means depends on
    /// the model).
    private static func setInputParts(_ text: String) throws -> (step: Int, spelling: String) {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let step = Int(parts[0]), step >= 1, !parts[1].isEmpty else {
            throw GateError("expected \(setInputForm)")
        }
        return (step, String(parts[1]))
    }

    static func parseClamp(_ text: String, layer: Int) throws -> Poke {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw GateError("expected \(clampForm)") }
        let (site, value) = try siteAndNumber(String(parts[0]), layer: layer, form: clampForm)
        let span = parts[1].split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = Int(span[0]), first >= 1 else { throw GateError("expected \(clampForm)") }
        guard span.count == 2 else { return .clamp(site, value: value, span: .step(first - 1)) }
        if span[1].isEmpty { return .clamp(site, value: value, span: .from(first - 1)) }
        guard let last = Int(span[1]), last >= 1 else { throw GateError("expected \(clampForm)") }
        return .clamp(site, value: value, span: StepSpan(first: first - 1, last: last - 1))
    }

    static func parseNudge(_ text: String, layer: Int) throws -> Poke {
        let (site, delta) = try siteAndNumber(text, layer: layer, form: nudgeForm)
        return .nudge(site, delta: delta)
    }

    /// "GATE:UNIT=NUMBER".
    private static func siteAndNumber(_ text: String, layer: Int, form: String) throws -> (PokeSite, Float) {
        let sides = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let names = sides[0].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard sides.count == 2, names.count == 2 else { throw GateError("expected \(form)") }
        guard let gate = Gate(rawValue: String(names[0])), gate != .candidate else {
            throw GateError("unknown gate '\(names[0])': expected \(gateNames)")
        }
        guard let unit = Int(names[1]), unit >= 0 else {
            throw GateError("'\(names[1])' is not a unit: expected a whole number from 0")
        }
        guard let number = Float(sides[1]), number.isFinite else {
            throw GateError("'\(sides[1])' is not a finite number")
        }
        return (PokeSite(layer: layer, gate: gate, unit: unit), number)
    }
}
