import Foundation

/// The trained models that ship with gatescope, in Sources/GateCore/Demos (each made by
/// `gatescope train`; the commands are in that folder's README and in each file's metadata).
/// The files are compiled into the binary (DemoFiles.swift), so gatescope runs wherever
/// its executable is copied.
public enum Demos {
    /// The tasks that have trained demos.
    public enum Task: String, CaseIterable, Sendable {
        case delay, text
    }

    /// The cell kinds that have a trained demo for every task.
    public static let kinds: [CellKind] = [.lstm, .gru, .rnn]

    /// What `gatescope` opens with no arguments: the LSTM holding a symbol across a delay.
    public static func defaultScenario() throws -> Scenario {
        try scenario(kind: .lstm, task: .delay)
    }

    /// The trained `kind` model of `task` on the task's demo sequence. Tab (`makeVariant`)
    /// gives the same task and sequence with the next kind's trained model.
    public static func scenario(kind: CellKind, task: Task) throws -> Scenario {
        let model = try self.model(kind: kind, task: task)
        guard let trainingTask = TrainingTask.recorded(in: model) else {
            throw GateError("the demo model \(name(kind: kind, task: task)) does not record the task it was trained on")
        }
        let demo = trainingTask.demo()
        var scenario = Scenario(model: model, modelName: "built-in demo \(name(kind: kind, task: task))",
                                inputs: demo.inputs, stepLabels: demo.stepLabels,
                                inputDescription: "\(demo.description); \(watchNote(kind: kind, task: task))",
                                variantNote: { _ in "trained on the same task and sequence" },
                                makeVariant: { other in try Demos.scenario(kind: other, task: task) })
        scenario.watchedUnit = watchedUnit(kind: kind, task: task)
        return scenario
    }

    /// The trained model of `kind` on `task`, as saved by `gatescope train`.
    public static func model(kind: CellKind, task: Task) throws -> RecurrentModel {
        guard kinds.contains(kind) else {
            throw GateError("there is no trained demo for the \(kind.displayName); demos exist for \(kinds.map(\.displayName).joined(separator: ", "))")
        }
        let file = name(kind: kind, task: task) + ".safetensors"
        guard let encoded = DemoFiles.base64[file], let bytes = Data(base64Encoded: encoded) else {
            throw GateError("the demo model \(file) is missing from this build of gatescope")
        }
        return try ModelFile.load(bytes: [UInt8](bytes), source: "built-in \(file)")
    }

    static func name(kind: CellKind, task: Task) -> String { "\(kind.rawValue)-\(task.rawValue)" }

    /// Which unit to watch in each demo, found by tracing it (Demos/README.md says how, and
    /// DemoTests check the claims).
    static func watchNote(kind: CellKind, task: Task) -> String {
        switch (kind, task) {
        case (.lstm, .delay):
            "watch unit \(lstmDelayMemoryUnit): 'a' writes c ≈ +1, the forget gate stays near 1 to '?', and c keeps its sign"
        case (.gru, .delay):
            "watch unit \(gruDelayMemoryUnit): 'a' sets h ≈ +0.9; z stays above 0.8 and the candidate agrees with h, so h holds"
        case (.rnn, .delay):
            "no gate protects h: the trace of 'a' is gone within a few steps, and the answer at '?' is a guess"
        default:
            TrainingTask.watchNoteText(kind: task == .delay ? .delay : .text, cell: kind)
        }
    }

    /// The unit `watchNote` names, if any.
    static func watchedUnit(kind: CellKind, task: Task) -> Int? {
        switch (kind, task) {
        case (.lstm, .delay): lstmDelayMemoryUnit
        case (.gru, .delay): gruDelayMemoryUnit
        default: nil
        }
    }

    /// The LSTM delay demo's memory unit (see Demos/README.md).
    public static let lstmDelayMemoryUnit = 2
    /// The GRU delay demo's memory unit.
    public static let gruDelayMemoryUnit = 0
}
