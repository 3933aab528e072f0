extension Scenario {
    /// The input as text, one string per step, when it is text: the names of the tokens of
    /// an embedding model, or the symbols of one-hot vectors over the model's vocabulary
    /// (`--text`, the text demos). nil for numeric inputs, where no step is a character.
    public var textSymbols: [String]? {
        if tokens != nil, let names = tokenNames, names.count == inputs.count, !names.isEmpty { return names }
        let symbols = inputs.compactMap(hotSymbol)
        guard !symbols.isEmpty, symbols.count == inputs.count else { return nil }
        return symbols.map { String($0) }
    }
}
