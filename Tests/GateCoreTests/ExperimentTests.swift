import Foundation
import Testing
@testable import GateCore

/// A small, fast setup: the delay task at delay 3, 4 hidden units, a few updates.
private func tinySetup(steps: Int = 30) -> ExperimentSetup {
    ExperimentSetup(task: .delay, delay: 3, hidden: 4, steps: steps, batch: 4)
}

/// Compare entries of one kind each.
private func stacks(_ kinds: CellKind...) -> [CellStack] { kinds.map(CellStack.init) }

/// The hybrid entry of `--cells gru+lstm`: a GRU layer under an LSTM layer.
private func gruUnderLSTM() throws -> CellStack { try #require(CellStack(kinds: [.gru, .lstm])) }

@Suite struct ExperimentTests {
    // MARK: the sign task

    @Test func signTargetIsTheSignOfTheCountedSumAtTheQueryOnly() throws {
        let task = try TrainingTask(kind: .sign, delay: 6)
        #expect(task.sequenceLength == TrainingTask.signTerms + 6 + 1)
        var rng = SeededGenerator(seed: 4)
        let b = task.batch(size: 300, using: &rng)
        var classes = Set<Int>()
        for (x, loss) in zip(b.inputs, b.losses) {
            guard case .crossEntropy(let targets) = loss else { Issue.record("sign uses cross-entropy"); continue }
            let counted = x.prefix(TrainingTask.signTerms)
            // Counted steps: ±1 with the mark; then unmarked distractors in [-1, 1]; then the query.
            #expect(counted.allSatisfy { ($0[0] == 1 || $0[0] == -1) && $0[1] == 1 && $0[2] == 0 })
            let distractors = x.dropFirst(TrainingTask.signTerms).dropLast()
            #expect((3...6).contains(distractors.count))
            #expect(distractors.allSatisfy { abs($0[0]) <= 1 && $0[1] == 0 && $0[2] == 0 })
            #expect(x.last == [0, 0, 1])
            // Worked out here from the inputs alone: class 0 when the counted values sum above zero.
            let sum = counted.map { Int($0[0]) }.reduce(0, +)
            let wanted = sum > 0 ? 0 : 1
            #expect(targets == [Int?](repeating: nil, count: x.count - 1) + [wanted])
            classes.insert(wanted)
        }
        #expect(classes == [0, 1])
    }

    @Test func signDemoSumsToPlusOneAndTakesTheDelay() throws {
        let demo = try TrainingTask(kind: .sign, delay: 4).demo()
        #expect(demo.inputs.count == TrainingTask.signTerms + 4 + 1)
        #expect(demo.inputs.prefix(TrainingTask.signTerms).map { $0[0] }.reduce(0, +) == 1)
        #expect(demo.stepLabels.first == "+1.00 counted")
        #expect(demo.stepLabels.last == "?")
        #expect(throws: GateError.self) { try TrainingTask(kind: .sign, length: 9) }
    }

    // MARK: fixed training sets and the held-out set

    @Test func heldOutSequencesAreNeverTrainingSequences() throws {
        // Delay 4 has only 3 · (2² + 2³ + 2⁴) = 84 distinct sequences: independent draws collide.
        let task = try TrainingTask(kind: .delay, delay: 4)
        var dataRNG = SeededGenerator(seed: 1)
        let training = task.batch(size: 40, using: &dataRNG)
        var rng = SeededGenerator(seed: 2)
        var plain = SeededGenerator(seed: 2)
        let independent = task.batch(size: 30, using: &plain, validation: true)
        #expect(independent.inputs.contains { Set(training.inputs).contains($0) },
                "the check below would be empty if plain draws never collided")
        let heldOut = try task.heldOutBatch(size: 30, excluding: training, using: &rng)
        #expect(heldOut.count == 30)
        #expect(Set(heldOut.inputs).isDisjoint(with: Set(training.inputs)))
    }

    @Test func aTaskWithTooFewSequencesToHoldOutIsRefused() throws {
        // Delay 1: 3 symbols × 2 distractors = 6 sequences, all of them in 200 training draws.
        let task = try TrainingTask(kind: .delay, delay: 1)
        var config = TrainingConfig(task: task, cell: .gru, hiddenSize: 2, steps: 1, trainingSetSize: 200)
        config.validationSize = 8
        #expect(throws: GateError.self) { try Training.run(task: task, config: config) }
    }

    @Test func aFixedTrainingSetReportsEpochsAndItsOwnMetric() throws {
        let task = try TrainingTask(kind: .delay, delay: 3)
        let config = TrainingConfig(task: task, cell: .lstm, hiddenSize: 4, steps: 50, batchSize: 4,
                                    evaluationInterval: 5, trainingSetSize: 20)
        let result = try Training.run(task: task, config: config)
        let training = try #require(result.trainingMetric)
        #expect((0...1).contains(training))
        #expect(config.epochs(forUpdates: 50) == 10)
        let run = ExperimentRun(run: try ExperimentPlan(setup: tinySetup(), cells: stacks(.lstm)).runs[0], result: result)
        #expect(run.epochsToTarget == nil || run.result.stepsToTarget != nil)
        #expect(TrainingConfig(task: task, cell: .gru).epochs(forUpdates: 10) == nil)
    }

    @Test func anOversizedTrainingSetIsRefusedBeforeAllocating() throws {
        let task = try TrainingTask(kind: .delay, delay: 10_000)
        let config = TrainingConfig(task: task, cell: .gru, hiddenSize: 2, trainingSetSize: 1_000_000)
        #expect(throws: GateError("1000000 sequences (--batch 16, 128 held out, --train-size 1000000) of 10002 steps × 6 inputs need more than 67108864 values (256 MiB); use a smaller --train-size or a shorter sequence")) {
            try config.validate(for: task)
        }
        #expect(throws: GateError("--train-size must be at least 1, got 0")) {
            try TrainingConfig(task: task, cell: .gru, trainingSetSize: 0).validate()
        }
    }

    // MARK: plans and parallel runs

    @Test func cellListsAndBadHybridsAreChecked() throws {
        #expect(try ExperimentPlan.parseCells("lstm, gru,rnn") == stacks(.lstm, .gru, .rnn))
        #expect(try ExperimentPlan.parseCells("lstm, gru + lstm") == [CellStack(.lstm), try gruUnderLSTM()])
        #expect(throws: GateError("--cells gru+: a '+' needs a cell kind on each side (one per layer, bottom first: gru+lstm)")) {
            try ExperimentPlan.parseCells("lstm,gru+")
        }
        #expect(throws: GateError("--cells gru+foo: unknown cell \"foo\", expected one of lstm, gru, gru-reset-before, rnn, elman, gru-cho, gru-reset-after")) {
            try ExperimentPlan.parseCells("gru+foo")
        }
        #expect(throws: GateError("--cells names gru twice")) { try ExperimentPlan.parseCells("gru,gru") }
        #expect(throws: GateError("--cells names gru+lstm twice")) { try ExperimentPlan.parseCells("gru+lstm,gru-reset-after+lstm") }
        #expect(throws: GateError("--layers 3 does not match --cells gru+lstm, whose '+' list sets 2 layers")) {
            var setup = tinySetup()
            setup.layers = 3
            return try ExperimentPlan(setup: setup, cells: [CellStack(.lstm), try gruUnderLSTM()])
        }
        #expect(throws: GateError("--cells gru and gru+gru build the same 2 layers (GRU, GRU); give one of them")) {
            var setup = tinySetup()
            setup.layers = 2
            return try ExperimentPlan(setup: setup, cells: try ExperimentPlan.parseCells("gru,gru+gru"))
        }
        #expect(try ExperimentPlan.parseValues("5, 10,20", option: "--delay") == [5, 10, 20])
        #expect(throws: GateError("--delay 5,x: 'x' is not a whole number")) { try ExperimentPlan.parseValues("5,x", option: "--delay") }
        #expect(throws: GateError("--delay 5,5: 5 is given twice")) { try ExperimentPlan.parseValues("5,5", option: "--delay") }
        #expect(throws: GateError("--seeds must be at least 1, got 0")) {
            try ExperimentPlan(setup: tinySetup(), cells: stacks(.gru), seeds: 0)
        }
    }

    @Test func aPlanRunsEveryCellAtEveryValueWithEverySeedAndTheSameBudget() throws {
        let plan = try ExperimentPlan(setup: tinySetup(), cells: stacks(.lstm, .gru), sweep: (.delay, [2, 5]), seeds: 3)
        #expect(plan.runs.count == 12)
        #expect(Set(plan.runs.map(\.config.steps)) == [30])
        for value in [2, 5] {
            for cell in [CellKind.lstm, .gru] {
                let runs = plan.runs.filter { $0.value == value && $0.cell == CellStack(cell) }
                #expect(runs.map(\.config.seed) == [1, 2, 3])
                #expect(runs.allSatisfy { $0.task.delay == value })
            }
        }
        #expect(Set(plan.runs.map(\.fileStem)).count == 12)
    }

    @Test func aHybridEntryTrainsAGRULayerUnderAnLSTMLayer() throws {
        let plan = try ExperimentPlan(setup: tinySetup(), cells: ExperimentPlan.parseCells("lstm,gru+lstm"))
        let hybrid = try #require(plan.runs.last)
        #expect(hybrid.cell.displayName == "GRU+LSTM")
        #expect(hybrid.config.layers == 2 && hybrid.config.stack == [.gru, .lstm])
        #expect(hybrid.fileStem == "gru+lstm-delay-delay3-h4-seed1")
        #expect(hybrid.label(axis: nil) == "GRU+LSTM, seed 1")
        // The single kind keeps --layers (one by default): the hybrid does not change it.
        #expect(plan.runs.first?.config.stack == [.lstm])
        let runs = try Experiment.run(plan, workers: 2)
        let model = try #require(runs.last?.result.best)
        #expect(model.layers.map(\.cell) == [.gru, .lstm])
        #expect(model.layers.map(\.inputSize) == [hybrid.task.inputSize, 4])
        let summaries = ExperimentSummary.summarize(plan, runs)
        #expect(summaries.map(\.parameters) == [runs[0].result.best.parameterCount, model.parameterCount])
        let task = hybrid.task
        let costs = ExperimentReport.costLines(plan, summaries, metric: task.metric, target: task.target)
        #expect(costs.count == 1 && costs[0].hasPrefix("GRU+LSTM against the LSTM: "), "\(costs)")
    }

    /// The issue's check: what `compare --keep` writes is the model it trained. The model
    /// in memory and the one loaded back from its file compute every value of a trace alike.
    @Test func aHybridModelKeptByCompareTracesTheSameLoadedFromItsFile() throws {
        let plan = try ExperimentPlan(setup: tinySetup(), cells: [try gruUnderLSTM()])
        let runs = try Experiment.run(plan, workers: 1)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-keep-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let kept = try Experiment.keep(runs, in: folder, command: "gatescope compare --cells gru+lstm")
        let run = try #require(runs.first)
        let path = try #require(kept[run.run.index])
        #expect(path.hasSuffix("/gru+lstm-delay-delay3-h4-seed1.safetensors"))
        let trained = run.result.best
        let loaded = try ModelFile.load(path: path)
        #expect(loaded.layers.map(\.cell) == [.gru, .lstm])
        #expect(loaded.metadata["command"] == "gatescope compare --cells gru+lstm")
        // The demo sequence written beside the model, read back as `show --input` reads it.
        let csv = try String(contentsOfFile: run.run.demoPath(in: folder), encoding: .utf8)
        let inputs = csv.split(separator: "\n").map { $0.split(separator: ",").compactMap { Float(String($0)) } }
        #expect(inputs == run.run.task.demo().inputs)
        let a = try trained.trace(inputs)
        let b = try loaded.trace(inputs)
        #expect(a.stack == b.stack)
        let parts: [(String, KeyPath<Trace, [Float]>)] = [
            ("preactivations", \.preactivations), ("activations", \.activations),
            ("candidateRecurrent", \.candidateRecurrent), ("cellStates", \.cellStates),
            ("hiddenBeforeProjection", \.hiddenBeforeProjection), ("hiddenStates", \.hiddenStates), ("outputs", \.outputs),
        ]
        for (name, part) in parts {
            #expect(a[keyPath: part].map(\.bitPattern) == b[keyPath: part].map(\.bitPattern), "\(name)")
        }
        // Both layers recorded something: the GRU's recurrent candidate part and the LSTM's c.
        #expect(!a.candidateRecurrent.isEmpty && a.cellStates.contains { $0 != 0 } && !a.outputs.isEmpty)
    }

    @Test func parallelRunsAreBitIdenticalToSerialOnes() throws {
        let plan = try ExperimentPlan(setup: tinySetup(), cells: stacks(.lstm, .gru, .rnn), seeds: 2)
        let serial = try Experiment.run(plan, workers: 1)
        let parallel = try Experiment.run(plan, workers: 2)
        #expect(serial.count == 6 && parallel.count == 6)
        for (a, b) in zip(serial, parallel) {
            #expect(a.run.index == b.run.index)
            #expect(a.result.losses.map(\.bitPattern) == b.result.losses.map(\.bitPattern))
            #expect(a.result.evaluations.map(\.metric.bitPattern) == b.result.evaluations.map(\.metric.bitPattern))
            #expect(a.result.best.flatParameters().map(\.bitPattern) == b.result.best.flatParameters().map(\.bitPattern))
        }
        // Different seeds do give different runs, so the comparison above is not vacuous.
        #expect(serial[0].result.losses != serial[3].result.losses)
    }

    @Test func aStoppedExperimentReturnsOnlyWhatStartedAndSummariesSkipTheInterrupted() throws {
        let plan = try ExperimentPlan(setup: tinySetup(steps: 200), cells: stacks(.lstm, .gru), seeds: 2)
        let stop = StopFlag()
        let runs = try Experiment.run(plan, workers: 1, stop: stop) { event in
            if case .progress(let run, let p) = event, run.index == 1, p.step == 10 { stop.request() }
        }
        #expect(runs.count == 2)
        #expect(!runs[0].result.interrupted && runs[1].result.interrupted && runs[1].result.stepsTaken == 10)
        let summaries = ExperimentSummary.summarize(plan, runs)
        #expect(summaries.map(\.cell) == stacks(.lstm))
    }

    // MARK: reports

    @Test func theTableAndTheJSONAgree() throws {
        let plan = try ExperimentPlan(setup: tinySetup(steps: 40), cells: [CellStack(.lstm), CellStack(.rnn), try gruUnderLSTM()],
                                      sweep: (.delay, [2, 4]), seeds: 2)
        let runs = try Experiment.run(plan, workers: 2)
        let task = try #require(plan.runs.first?.task)
        let summaries = ExperimentSummary.summarize(plan, runs)
        let table = ExperimentReport.table(plan, summaries, metric: task.metric, metricName: task.metricName)
        let json = try ExperimentReport.json(plan, runs, interrupted: false)
        let document = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let records = try #require(document["runs"] as? [[String: Any]])
        #expect(records.count == 12)
        #expect(document["axis"] as? String == "delay" && document["values"] as? [Int] == [2, 4])
        #expect(document["cells"] as? [String] == ["lstm", "rnn", "gru+lstm"])
        let rows = table.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.count == 6)
        let layers = ["lstm": ["lstm"], "rnn": ["rnn"], "gru+lstm": ["gru", "lstm"]]
        let names = ["lstm": "LSTM", "rnn": "RNN", "gru+lstm": "GRU+LSTM"]
        for cell in ["lstm", "rnn", "gru+lstm"] {
            for value in [2, 4] {
                let group = records.filter { $0["cell"] as? String == cell && $0["value"] as? Int == value }
                #expect(group.count == 2)
                let metrics = group.compactMap { ($0["heldOutMetric"] as? NSNumber)?.floatValue }
                let mean = metrics.map(Double.init).reduce(0, +) / Double(metrics.count)
                let low = try #require(metrics.min()), high = try #require(metrics.max())
                let expected = task.metric.format(low) == task.metric.format(high) ? task.metric.format(Float(mean))
                    : "\(task.metric.format(Float(mean))) (\(task.metric.format(low))–\(task.metric.format(high)))"
                let reached = group.filter { $0["updatesToTarget"] is Int }.count
                #expect(group.allSatisfy { $0["stack"] as? [String] == layers[cell] })
                let row = try #require(rows.first { $0.first == names[cell] && $0[1] == String(value) })
                #expect(row.joined(separator: " ").hasSuffix(expected), "\(row) against \(expected)")
                #expect(row.joined(separator: " ").contains("\(reached) of 2"))
                let parameters = try #require(group.first?["parameters"] as? Int)
                #expect(row[2] == String(parameters))
                #expect((group.first?["losses"] as? [Any])?.count == 40)
            }
        }
    }

    @Test func costLinesPhraseTheRatiosAsTheArticlesDoAndSayWhenSlower() {
        #expect(ExperimentReport.relative(76, 100, noun: "parameters", less: "fewer parameters", more: "more parameters")
                == "24 % fewer parameters")
        #expect(ExperimentReport.relative(1.12, 1, noun: "speed", less: "faster per update", more: "slower per update")
                == "12 % slower per update")
        #expect(ExperimentReport.relative(1.001, 1, noun: "speed per update", less: "x", more: "y") == "the same speed per update")
    }

    @Test func spreadIsMeanRangeAndSampleDeviation() throws {
        let s = try #require(Spread([1, 2, 6]))
        #expect(s.mean == 3 && s.min == 1 && s.max == 6 && s.count == 3)
        #expect(abs(s.standardDeviation - 7.0.squareRoot()) < 1e-12)
        #expect(Spread([]) == nil)
        #expect(ExperimentReport.spread(s) { String(format: "%.1f", $0) } == "3.0 (1.0–6.0)")
        #expect(ExperimentReport.spread(try #require(Spread([2, 2]))) { String(format: "%.1f", $0) } == "2.0")
    }

    @Test func sweepChartDrawsMarkersSpreadsAndLabels() {
        let lines = SweepChart.lines(
            title: "accuracy against delay", xTitle: "delay", xValues: [5, 10, 20], range: 0...1,
            format: { String(format: "%.0f%%", $0 * 100) },
            series: [
                .init(label: "LSTM", points: [.init(mean: 1, low: 1, high: 1), .init(mean: 1, low: 1, high: 1),
                                              .init(mean: 0.9, low: 0.6, high: 1)]),
                .init(label: "RNN", points: [.init(mean: 0.5, low: 0.5, high: 0.5), nil, .init(mean: 0, low: 0, high: 0.2)]),
            ],
            height: 6, unicode: true)
        let expected = """
        accuracy against delay
        100% ┤  L·····L·····L
             │              │
             │    R         │
         40% ┤
             │                │
          0% ┤                R
             └──────────────────
                5     10    20    delay
        L LSTM   R RNN
        """
        #expect(lines == expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        let ascii = SweepChart.lines(title: "t", xTitle: "x", xValues: [1], range: 0...1, format: { "\($0)" },
                                     series: [.init(label: "GRU", points: [.init(mean: 0.5, low: 0, high: 1)])],
                                     height: 3, unicode: false)
        #expect(ascii == ["t", "1.0 +  |", "0.5 +  G", "0.0 +  |", "    +----", "      1    x", "G GRU"])
    }
}
