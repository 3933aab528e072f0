extension TrainingTask {
    /// The task a model was trained on, rebuilt from what `gatescope train` records in the
    /// file's metadata (`task`, `delay` or `length`, `text`); nil for a file that records
    /// none, whose text file is gone, or whose sizes do not match the task's.
    public static func recorded(in model: RecurrentModel) -> TrainingTask? {
        guard let name = model.metadata["task"], let kind = TaskKind(rawValue: name) else { return nil }
        let source = model.metadata["text"]
        guard let task = try? TrainingTask(
            kind: kind,
            delay: kind == .delay ? model.metadata["delay"].flatMap { Int($0) } : nil,
            length: kind == .delay ? nil : model.metadata["length"].flatMap { Int($0) },
            textFile: kind == .text && source != nil && source != builtInCorpusName ? source : nil)
        else { return nil }
        // One-hot tasks must read the model's own symbols in the same order.
        guard task.inputSize == model.inputSize, task.vocab == nil || task.vocab == model.vocab else { return nil }
        return task
    }

    /// What `textSource` says for the corpus that ships with gatescope.
    static let builtInCorpusName = "built-in corpus"
}

extension InputSequence {
    /// The demo sequence of the task `model` was trained on, with what to watch in it, when
    /// its file records the task (see `TrainingTask.recorded`).
    public static func trainedTaskDemo(for model: RecurrentModel) throws -> InputSequence? {
        guard let task = TrainingTask.recorded(in: model) else { return nil }
        let demo = task.demo()
        try checkInputSize(model: model, steps: demo.inputs.count)
        return InputSequence(values: demo.inputs, labels: demo.stepLabels,
                             description: "\(demo.description); \(task.watchNote(for: model.cell))")
    }
}
