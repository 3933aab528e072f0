import Foundation
import Testing
@testable import GateCore

/// Long sequences a piece at a time: a window of steps traced from the state entering it is
/// the whole trace's values at those steps, bit for bit, and `trace`'s streamed output is the
/// in-memory output byte for byte.
@Suite("Streaming")
struct StreamingTests {
    /// A scenario of `model` on `steps` seeded random steps.
    static func scenario(_ model: RecurrentModel, steps: Int, seed: UInt64 = 7) throws -> Scenario {
        Scenario.loaded(model, name: "m", inputs: try InputSequence.random(steps: steps, width: model.inputSize, seed: seed),
                        seed: 0)
    }

    /// The trained delay LSTM (the default model), a plain 2-layer GRU, a pipeline of three
    /// kinds with a projection and a head, and an embedding model on token ids.
    static func scenarios() throws -> [(name: String, scenario: Scenario, csv: Bool)] {
        let delay = try Demos.scenario(kind: .lstm, task: .delay)
            .replacingInputs(try InputSequence.random(steps: 23, width: 6, seed: 3))
        let gru = try scenario(RecurrentModel.random(cell: .gru, inputSize: 3, hiddenSize: 4, layers: 2, outputSize: 2, seed: 5),
                               steps: 19)
        let pipeline = try scenario(RecurrentModel.random(cells: [.lstm, .gruResetBefore, .rnn], inputSize: 3, hiddenSize: 5,
                                                          projectionSize: 2, outputSize: 3, seed: 6), steps: 17)
        var embedded = RecurrentModel.random(cell: .rnn, inputSize: 3, hiddenSize: 4, seed: 8)
        embedded.embedding = Embedding(vocabularySize: 5, dimension: 3, weight: (0..<15).map { Float($0) / 7 - 1 })
        let tokens = Scenario.loaded(embedded, name: "e", inputs: try InputSource.tokens([1, 4, 0, 2, 3, 3, 1, 0, 4]).load(for: embedded),
                                     seed: 0)
        return [("delay LSTM", delay, true), ("2-layer GRU", gru, true), ("pipeline", pipeline, false), ("tokens", tokens, true)]
    }

    /// Pokes of every kind, a clamp across pieces among them.
    static func poked(_ scenario: Scenario) throws -> Scenario {
        let layer = scenario.model.layers[0]
        let gate = layer.cell.gates.first { $0 != .candidate }
        var pokes: [Poke] = []
        if let gate {
            pokes.append(.clamp(PokeSite(gate: gate, unit: 1), value: 0.25, span: StepSpan(first: 3, last: 11)))
            pokes.append(.nudge(PokeSite(gate: gate, unit: 0), delta: 0.5))
        }
        if scenario.model.embedding != nil {
            pokes.append(.setInput(step: 5, input: .token(2)))
        } else {
            pokes.append(.setInput(step: 5, input: .values([Float](repeating: 0.5, count: scenario.model.inputSize))))
        }
        return try scenario.poked(pokes)
    }

    @Test("streamed output equals the in-memory output byte for byte, every format, pieces of any size")
    func streamedEqualsWhole() throws {
        for (name, plain, csv) in try Self.scenarios() {
            for scenario in [plain, try Self.poked(plain)] {
                let whole = try scenario.trace()
                for format in TraceFormat.allCases where format != .csv || csv {
                    for layer in [nil, scenario.model.layerCount] {
                        let expected = try format.render(whole, of: scenario, layer: layer)
                        for pieceSteps in [1, 4, 7, 1000] {
                            var streamed = ""
                            try format.stream(scenario, layer: layer, pieceSteps: pieceSteps) { streamed += $0 }
                            #expect(streamed == expected, "\(name) \(format) layer \(layer ?? 0) pieces of \(pieceSteps), \(scenario.pokes.count) pokes")
                        }
                    }
                }
            }
        }
    }

    /// Every value the trace records at step t, in one array, for comparing bit for bit.
    static func values(_ trace: Trace, t: Int) -> [Float] {
        var all = trace.inputs[t] + trace.output(t: t)
        for k in 0..<trace.layerCount {
            let cell = trace.cell(layer: k)
            for block in cell.gates.indices { all += trace.preactivation(block: block, t: t, layer: k) }
            for gate in cell.gates { all += trace.gate(gate, t: t, layer: k) }
            all += trace.cellState(t: t, layer: k)
            all += trace.hiddenBeforeProjection(t: t, layer: k)
            all += trace.candidateRecurrentPart(t: t, layer: k)
            all += trace.hidden(t: t, layer: k)
        }
        return all
    }

    @Test("a window traced from the state entering it is the whole trace's values bit for bit")
    func windowsAreTheWholeTrace() throws {
        let models = CellKind.allCases.map { RecurrentModel.random(cell: $0, inputSize: 3, hiddenSize: 6, seed: 11) }
            + [RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 6, layers: 3, outputSize: 2, seed: 12),
               RecurrentModel.random(cells: [.gru, .lstm], inputSize: 3, hiddenSize: 5, projectionSize: 3, seed: 13)]
        var rng = SeededGenerator(seed: 99)
        for model in models {
            for scenario in [try Self.scenario(model, steps: 41), try Self.poked(try Self.scenario(model, steps: 41))] {
                let whole = try scenario.trace()
                let run = try StepwiseRun(scenario)
                for _ in 0..<6 {
                    let start = Int(rng.uniform(0, 40)), end = min(41, start + 1 + Int(rng.uniform(0, 15)))
                    // The state entering the window, as a stream reaches it: piece by piece.
                    var state: StepState?
                    if start > 0 {
                        try run.forEachPiece(of: 0..<start, chunk: 5) { state = $0.finalState }
                    }
                    let window = try run.trace(steps: start..<end, from: state)
                    #expect(window.firstStep == start && window.steps == end - start)
                    for t in start..<end {
                        #expect(Self.values(window, t: t - start) == Self.values(whole, t: t), "\(model.cellName) steps \(start)..<\(end) at \(t)")
                    }
                }
            }
        }
    }

    /// Every array of `trace` filled with NaN, its length kept: storage whose old values must
    /// not show through.
    static func poisoned(_ trace: Trace) -> Trace {
        var trace = trace
        for path in [\Trace.preactivations, \.activations, \.candidateRecurrent, \.cellStates,
                     \.hiddenBeforeProjection, \.hiddenStates, \.outputs] as [WritableKeyPath<Trace, [Float]>] {
            trace[keyPath: path] = [Float](repeating: .nan, count: trace[keyPath: path].count)
        }
        return trace
    }

    /// Every recorded value of the trace, bit patterns (so that a NaN left behind is seen).
    static func bits(_ trace: Trace) -> [UInt32] {
        (0..<trace.steps).flatMap { values(trace, t: $0) }.map(\.bitPattern)
    }

    @Test("a trace written into reused storage equals a fresh one bit for bit, whatever the storage held")
    func reusedStorageIsAFreshTrace() throws {
        var models = CellKind.allCases.map { RecurrentModel.random(cell: $0, inputSize: 3, hiddenSize: 6, seed: 31) }
        models += [RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 6, layers: 3, outputSize: 2, seed: 32),
                   RecurrentModel.random(cells: [.gru, .lstm, .rnn], inputSize: 3, hiddenSize: 5, projectionSize: 3,
                                         outputSize: 2, seed: 33),
                   RecurrentModel.random(cells: [.lstm, .gruResetBefore], inputSize: 3, hiddenSize: 4, bidirectional: true,
                                         outputSize: 2, seed: 34)]
        let inputs = Array(try InputSequence.random(steps: 13, width: 3, seed: 35).values)
        for model in models {
            let fresh = try model.trace(inputs)
            // Storage of the same size, a larger and a smaller one, of another model, poisoned.
            let other = RecurrentModel.random(cells: [.lstm, .lstm], inputSize: 3, hiddenSize: 7, outputSize: 4, seed: 36)
            for var storage in [Self.poisoned(fresh), Self.poisoned(try other.trace(inputs + inputs)),
                                Self.poisoned(try other.trace(Array(inputs.prefix(2))))] {
                storage.firstStep = 9
                try model.trace(inputs, into: &storage)
                #expect(Self.bits(storage) == Self.bits(fresh), "\(model.cellName), storage of \(storage.steps) steps")
                #expect(storage.stack == fresh.stack && storage.firstStep == 0 && storage.steps == 13)
                // Every array whole, both directions of a bidirectional layer included.
                for path in [\Trace.preactivations, \.activations, \.candidateRecurrent, \.cellStates,
                             \.hiddenBeforeProjection, \.hiddenStates, \.outputs] as [KeyPath<Trace, [Float]>] {
                    #expect(storage[keyPath: path].map(\.bitPattern) == fresh[keyPath: path].map(\.bitPattern),
                            "\(model.cellName), storage of \(storage.steps) steps, \(path)")
                }
            }
        }
    }

    @Test("windows traced one after another into one trace keep its storage and are the whole trace's values")
    func windowsIntoOneTrace() throws {
        let model = RecurrentModel.random(cells: [.lstm, .gru], inputSize: 3, hiddenSize: 6, outputSize: 2, seed: 41)
        let scenario = try Self.poked(try Self.scenario(model, steps: 40))
        let whole = try scenario.trace()
        let run = try StepwiseRun(scenario)
        var window = Self.poisoned(try run.trace(steps: 0..<8))
        let storage = window.preactivations.withUnsafeBufferPointer { $0.baseAddress }
        var state = window.finalState
        for start in stride(from: 0, to: 40, by: 8) {
            try run.trace(steps: start..<start + 8, from: start == 0 ? nil : state, into: &window)
            #expect(window.firstStep == start && window.pokes == scenario.pokes)
            for t in 0..<8 {
                #expect(Self.values(window, t: t).map(\.bitPattern) == Self.values(whole, t: start + t).map(\.bitPattern),
                        "window at \(start), step \(t)")
            }
            #expect(window.preactivations.withUnsafeBufferPointer { $0.baseAddress } == storage)
            state = window.finalState
        }
    }

    @Test("a bidirectional layer is traced whole only, and says why")
    func bidirectionalIsWholeOnly() throws {
        let model = RecurrentModel.random(cells: [.gru], inputSize: 2, hiddenSize: 3, bidirectional: true, seed: 1)
        let run = try StepwiseRun(try Self.scenario(model, steps: 6))
        #expect(!run.isWindowed)
        #expect(try run.trace(steps: 0..<6).steps == 6)
        #expect(throws: GateError("a bidirectional layer's reverse pass needs the whole sequence: it can only be traced whole")) {
            try run.trace(steps: 2..<4, from: StepState(hidden: [0, 0, 0, 0, 0, 0], cell: []))
        }
    }

    @Test("a checkpointed trace's window is the whole trace's values bit for bit, across checkpoints")
    func checkpointedWindowsAreTheWholeTrace() throws {
        let models = CellKind.allCases.map { RecurrentModel.random(cell: $0, inputSize: 3, hiddenSize: 5, seed: 21) }
            + [RecurrentModel.random(cells: [.lstm, .gru, .rnn], inputSize: 3, hiddenSize: 4, projectionSize: 2,
                                     outputSize: 2, seed: 22)]
        var rng = SeededGenerator(seed: 5)
        for model in models {
            for scenario in [try Self.scenario(model, steps: 57), try Self.poked(try Self.scenario(model, steps: 57))] {
                let whole = try scenario.trace()
                var checkpointed = try CheckpointedTrace(try StepwiseRun(scenario), interval: 8)
                #expect(checkpointed.isReady(at: 7) && !checkpointed.isReady(at: 8))
                #expect(throws: GateError.self) { try checkpointed.window(20..<30) }
                try checkpointed.extend(to: 56)
                #expect(checkpointed.checkpoints.count == 8 && checkpointed.isReady(at: 56))
                // Windows inside one interval, across several, ending at the last step.
                var windows = [0..<3, 5..<20, 16..<24, 40..<57, 56..<57]
                for _ in 0..<5 {
                    let start = Int(rng.uniform(0, 56))
                    windows.append(start..<min(57, start + 1 + Int(rng.uniform(0, 20))))
                }
                for window in windows {
                    let trace = try checkpointed.window(window)
                    #expect(trace.firstStep == window.lowerBound && trace.steps == window.count)
                    for t in window {
                        #expect(Self.values(trace, t: t - window.lowerBound) == Self.values(whole, t: t),
                                "\(model.cellName) window \(window) at \(t)")
                    }
                }
            }
        }
    }

    @Test("held windows start at a checkpoint, keep the step inside, and leave the checkpoints they pass as extend would")
    func heldWindowsKeepTheirCheckpoints() throws {
        let model = RecurrentModel.random(cells: [.lstm, .gru], inputSize: 3, hiddenSize: 4, projectionSize: 2, outputSize: 2, seed: 9)
        let scenario = try Self.poked(try Self.scenario(model, steps: 300))
        let whole = try scenario.trace()
        var held = try CheckpointedTrace(try StepwiseRun(scenario), interval: 16)
        var extended = try CheckpointedTrace(try StepwiseRun(scenario), interval: 16)
        try extended.extend(to: 299)
        var observed = Set<Int>()
        for step in [0, 5, 40, 41, 120, 299, 150, 3] {
            let window = held.heldWindow(around: step, length: 64)
            #expect(window.contains(step) && window.lowerBound % 16 == 0 && window.count <= 64 + 15)
            // Half a length on either side, unless an end of the sequence comes first.
            #expect(window.lowerBound == 0 || step - window.lowerBound >= 32)
            #expect(window.upperBound == 300 || window.upperBound - step >= 32)
            let trace = try held.hold(window) { piece in observed.formUnion(piece.firstStep..<piece.firstStep + piece.steps) }
            #expect(trace.firstStep == window.lowerBound && trace.steps == window.count)
            for t in window { #expect(Self.values(trace, t: t - window.lowerBound) == Self.values(whole, t: t)) }
            // The checkpoints computed so far are the forward pass's, in order, up to the window's end.
            #expect(held.checkpoints == Array(extended.checkpoints.prefix(held.checkpoints.count)))
            #expect(held.checkpoints.count - 1 == min(window.upperBound, 299) / 16 || held.checkpoints.count == extended.checkpoints.count)
        }
        #expect(observed == Set(0..<300), "every step computed was seen by the observer")
    }

    @Test("a long or large run is held at checkpoints, a short, small or bidirectional one whole")
    func holdingChoice() {
        let lstm128 = RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 128, seed: 1)
        guard case .checkpointed(let interval, let window) = TraceHolding.choose(model: lstm128, steps: 1_000_000) else {
            Issue.record("a million steps at H = 128 are too many to hold whole")
            return
        }
        #expect(interval >= 256 && (1024...16384).contains(window))
        // The window holds about 8M values, far below the 256 MiB budget.
        #expect(window * InputSequence.traceValuesPerStep(lstm128) <= 1 << 23)
        #expect(TraceHolding.choose(model: lstm128, steps: 5000) == .whole)
        let small = RecurrentModel.random(cell: .gru, inputSize: 3, hiddenSize: 8, seed: 1)
        #expect(TraceHolding.choose(model: small, steps: 100_000) == .whole)
        let bidirectional = RecurrentModel.random(cells: [.lstm], inputSize: 3, hiddenSize: 128, bidirectional: true, seed: 1)
        #expect(TraceHolding.choose(model: bidirectional, steps: 1_000_000) == .whole)
        #expect(TraceHolding.whole.heldSteps(of: 77) == 77 && TraceHolding.checkpointed(interval: 4, window: 10).heldSteps(of: 77) == 10)
        #expect(TraceHolding.leastHeldSteps(1_000_000, windowed: true) == 1024)
        #expect(TraceHolding.leastHeldSteps(1_000_000, windowed: false) == 1_000_000)
    }

    @Test("extending the checkpoints reports progress and stops when cancelled, keeping what it computed")
    func checkpointProgress() throws {
        let scenario = try Self.scenario(RecurrentModel.random(cell: .gru, inputSize: 2, hiddenSize: 3, seed: 3), steps: 40)
        var checkpointed = try CheckpointedTrace(try StepwiseRun(scenario), interval: 4)
        let progress = WorkProgress(parts: 1)
        try checkpointed.extend(to: 21, progress: progress)
        #expect(progress.fraction == 1 && checkpointed.checkpoints.count == 6)
        let cancelled = WorkProgress(parts: 1)
        cancelled.cancel()
        #expect(throws: CancellationError.self) { try checkpointed.extend(to: 39, progress: cancelled) }
        #expect(checkpointed.checkpoints.count == 6)
        let bidirectional = RecurrentModel.random(cells: [.lstm], inputSize: 2, hiddenSize: 3, bidirectional: true, seed: 1)
        #expect(throws: GateError("a bidirectional layer's reverse pass needs the whole sequence: it cannot be kept at checkpoints")) {
            try CheckpointedTrace(try StepwiseRun(try Self.scenario(bidirectional, steps: 5)))
        }
    }

    @Test("inputs held flat read back as given, a row of another length too")
    func stepRows() throws {
        var rows: StepRows = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
        rows[1] = [0.5, 0.25]
        rows.append([10])
        #expect(Array(rows) == [[1, 2, 3], [0.5, 0.25], [7, 8, 9], [10]])
        rows[1] = [4, 5, 6]
        #expect(Array(rows) == [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10]])
        #expect(rows != [[1, 2, 3], [4, 5, 6], [7, 8, 9, 10]])
        // Labels of plain values are made from them; one set by hand stays.
        var labels = StepLabels(valuesOf: rows)
        labels[2] = "'x'"
        #expect(Array(labels) == ["(1, 2, 3)", "(4, 5, 6)", "'x'", "(10)"])
    }
}
