import Foundation
import Testing
@testable import GateCore

/// A small, fast setup: the delay task at delay 3, 4 hidden units, a few updates.
private func tinySetup(steps: Int = 30) -> ExperimentSetup {
    ExperimentSetup(task: .delay, delay: 3, hidden: 4, steps: steps, batch: 4)
}

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
        let run = ExperimentRun(run: try ExperimentPlan(setup: tinySetup(), cells: [.lstm]).runs[0], result: result)
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

    @Test func hybridStacksAreRefusedUntilThePipelineAndListsAreChecked() throws {
        #expect(try ExperimentPlan.parseCells("lstm, gru,rnn") == [.lstm, .gru, .rnn])
        #expect(throws: GateError("--cells gru+lstm: hybrid stacks (one kind per layer joined by '+') come with the model pipeline and cannot be trained yet; give one kind per entry")) {
            try ExperimentPlan.parseCells("lstm,gru+lstm")
        }
        #expect(throws: GateError("--cells names gru twice")) { try ExperimentPlan.parseCells("gru,gru") }
        #expect(try ExperimentPlan.parseValues("5, 10,20", option: "--delay") == [5, 10, 20])
        #expect(throws: GateError("--delay 5,x: 'x' is not a whole number")) { try ExperimentPlan.parseValues("5,x", option: "--delay") }
        #expect(throws: GateError("--delay 5,5: 5 is given twice")) { try ExperimentPlan.parseValues("5,5", option: "--delay") }
        #expect(throws: GateError("--seeds must be at least 1, got 0")) {
            try ExperimentPlan(setup: tinySetup(), cells: [.gru], seeds: 0)
        }
    }

    @Test func aPlanRunsEveryCellAtEveryValueWithEverySeedAndTheSameBudget() throws {
        let plan = try ExperimentPlan(setup: tinySetup(), cells: [.lstm, .gru], sweep: (.delay, [2, 5]), seeds: 3)
        #expect(plan.runs.count == 12)
        #expect(Set(plan.runs.map(\.config.steps)) == [30])
        for value in [2, 5] {
            for cell in [CellKind.lstm, .gru] {
                let runs = plan.runs.filter { $0.value == value && $0.cell == cell }
                #expect(runs.map(\.config.seed) == [1, 2, 3])
                #expect(runs.allSatisfy { $0.task.delay == value })
            }
        }
        #expect(Set(plan.runs.map(\.fileStem)).count == 12)
    }

    @Test func parallelRunsAreBitIdenticalToSerialOnes() throws {
        let plan = try ExperimentPlan(setup: tinySetup(), cells: [.lstm, .gru, .rnn], seeds: 2)
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
        let plan = try ExperimentPlan(setup: tinySetup(steps: 200), cells: [.lstm, .gru], seeds: 2)
        let stop = StopFlag()
        let runs = try Experiment.run(plan, workers: 1, stop: stop) { event in
            if case .progress(let run, let p) = event, run.index == 1, p.step == 10 { stop.request() }
        }
        #expect(runs.count == 2)
        #expect(!runs[0].result.interrupted && runs[1].result.interrupted && runs[1].result.stepsTaken == 10)
        let summaries = ExperimentSummary.summarize(plan, runs)
        #expect(summaries.map(\.cell) == [.lstm])
    }

    // MARK: reports

    @Test func theTableAndTheJSONAgree() throws {
        let plan = try ExperimentPlan(setup: tinySetup(steps: 40), cells: [.lstm, .rnn], sweep: (.delay, [2, 4]), seeds: 2)
        let runs = try Experiment.run(plan, workers: 2)
        let task = try #require(plan.runs.first?.task)
        let summaries = ExperimentSummary.summarize(plan, runs)
        let table = ExperimentReport.table(plan, summaries, metric: task.metric, metricName: task.metricName)
        let json = try ExperimentReport.json(plan, runs, interrupted: false)
        let document = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let records = try #require(document["runs"] as? [[String: Any]])
        #expect(records.count == 8)
        #expect(document["axis"] as? String == "delay" && document["values"] as? [Int] == [2, 4])
        let rows = table.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(rows.count == 4)
        for cell in ["lstm", "rnn"] {
            for value in [2, 4] {
                let group = records.filter { $0["cell"] as? String == cell && $0["value"] as? Int == value }
                #expect(group.count == 2)
                let metrics = group.compactMap { ($0["heldOutMetric"] as? NSNumber)?.floatValue }
                let mean = metrics.map(Double.init).reduce(0, +) / Double(metrics.count)
                let low = try #require(metrics.min()), high = try #require(metrics.max())
                let expected = task.metric.format(low) == task.metric.format(high) ? task.metric.format(Float(mean))
                    : "\(task.metric.format(Float(mean))) (\(task.metric.format(low))–\(task.metric.format(high)))"
                let reached = group.filter { $0["updatesToTarget"] is Int }.count
                let row = try #require(rows.first { $0.first == CellKind(rawValue: cell)?.displayName && $0[1] == String(value) })
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
