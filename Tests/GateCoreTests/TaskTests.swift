import Foundation
import Testing
@testable import GateCore

/// The index of the single 1 of a one-hot vector, nil if `x` is not one-hot.
private func hotIndex(_ x: [Float]) -> Int? {
    guard x.filter({ $0 == 1 }).count == 1, x.allSatisfy({ $0 == 0 || $0 == 1 }) else { return nil }
    return x.firstIndex(of: 1)
}

private func batch(_ task: TrainingTask, size: Int = 50, seed: UInt64 = 3, validation: Bool = false) -> TaskBatch {
    var rng = SeededGenerator(seed: seed)
    return task.batch(size: size, using: &rng, validation: validation)
}

@Suite struct TaskTests {
    @Test(arguments: TaskKind.allCases)
    func generatorsAreDeterministicPerSeed(kind: TaskKind) throws {
        let task = try TrainingTask(kind: kind)
        let a = batch(task, seed: 9), b = batch(task, seed: 9), c = batch(task, seed: 10)
        #expect(a.inputs == b.inputs)
        #expect(a.inputs != c.inputs)
        for (x, loss) in zip(a.inputs, a.losses) {
            if kind.usesDelay {
                #expect((task.sequenceLength - task.delay / 2...task.sequenceLength).contains(x.count))
            } else {
                #expect(x.count == task.sequenceLength)
            }
            #expect(x.allSatisfy { $0.count == task.inputSize })
            switch loss {
            case .crossEntropy(let targets):
                #expect(targets.count == x.count)
                #expect(targets.compactMap { $0 }.allSatisfy { (0..<task.outputSize).contains($0) })
            case .meanSquared(let targets):
                #expect(targets.count == x.count)
                #expect(targets.compactMap { $0 }.allSatisfy { $0.count == task.outputSize })
            }
        }
    }

    @Test func delayTargetIsTheFirstSymbolAndOnlyAtTheQuery() throws {
        let task = try TrainingTask(kind: .delay, delay: 7)
        #expect(task.sequenceLength == 9)
        let b = batch(task, size: 200)
        var seen = Set<Int>()
        var delays = Set<Int>()
        for (x, loss) in zip(b.inputs, b.losses) {
            guard case .crossEntropy(let targets) = loss else { Issue.record("delay uses cross-entropy"); continue }
            let first = try #require(hotIndex(x[0]))
            #expect(first < 3, "step 0 shows one of the symbols to remember")
            seen.insert(first)
            let query = x.count - 1
            delays.insert(query - 1)
            for t in 1..<query {
                let d = try #require(hotIndex(x[t]))
                #expect(TrainingTask.delayVocab[d] == "x" || TrainingTask.delayVocab[d] == "y")
            }
            #expect(TrainingTask.delayVocab[try #require(hotIndex(x[query]))] == "?")
            #expect(targets == [Int?](repeating: nil, count: query) + [first])
        }
        #expect(seen == [0, 1, 2], "every symbol occurs")
        #expect(delays == Set(4...7), "delays vary from k/2 to k, so a drifting memory cannot be read")
        #expect(task.demo().inputs.count == 9, "the demo uses the full delay")
    }

    @Test func addingTargetIsTheSumOfOneMarkedValueInEachHalf() throws {
        let task = try TrainingTask(kind: .adding, length: 12)
        for (x, loss) in zip(batch(task).inputs, batch(task).losses) {
            guard case .meanSquared(let targets) = loss else { Issue.record("adding uses MSE"); continue }
            let marked = x.indices.filter { x[$0][1] == 1 }
            #expect(marked.count == 2)
            #expect(marked[0] < 6 && marked[1] >= 6)
            #expect(x.allSatisfy { (0..<1).contains($0[0]) && ($0[1] == 0 || $0[1] == 1) })
            #expect(targets.dropLast().allSatisfy { $0 == nil })
            #expect(targets.last! == [x[marked[0]][0] + x[marked[1]][0]])
        }
    }

    @Test func addingBaselineOfAnsweringOneIsAboutOneSixth() throws {
        // The stated baseline, checked on the generator: mean of (sum - 1)² over many samples.
        let task = try TrainingTask(kind: .adding)
        var total: Double = 0
        let b = batch(task, size: 20_000)
        for loss in b.losses {
            guard case .meanSquared(let targets) = loss, let sum = targets.last??.first else { continue }
            total += Double((sum - 1) * (sum - 1))
        }
        #expect(abs(total / 20_000 - Double(try #require(task.baseline).value)) < 0.005)
    }

    @Test func textTargetsAreTheNextCharacterOfTheCorpus() throws {
        let task = try TrainingTask(kind: .text, length: 16)
        let vocab = try #require(task.vocab)
        #expect(vocab == Array(Set(builtInCorpus)).sorted())
        for (x, loss) in zip(batch(task).inputs, batch(task).losses) {
            guard case .crossEntropy(let targets) = loss else { Issue.record("text uses cross-entropy"); continue }
            let read = try x.map { vocab[try #require(hotIndex($0))] }
            let next = targets.map { vocab[$0!] }
            #expect(Array(read.dropFirst()) == Array(next.dropLast()), "each target is the next input")
            #expect(builtInCorpus.contains(String(read + [next.last!])), "the window is a piece of the corpus")
        }
    }

    @Test func textValidationWindowsComeFromTheHeldOutTail() throws {
        let task = try TrainingTask(kind: .text, length: 16)
        let vocab = try #require(task.vocab)
        let tail = String(builtInCorpus.suffix(builtInCorpus.count / 10))
        for x in batch(task, validation: true).inputs {
            let read = try String(x.map { vocab[try #require(hotIndex($0))] })
            #expect(tail.contains(read))
        }
    }

    @Test func textFileErrorsNameTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-tasks-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let short = directory.appendingPathComponent("short.txt").path
        try "hello".write(toFile: short, atomically: true, encoding: .utf8)
        #expect(throws: GateError.self) { try TrainingTask(kind: .text, textFile: short) }
        do { _ = try TrainingTask(kind: .text, textFile: short) } catch let error as GateError {
            #expect(error.message.hasPrefix("\(short): 5 characters"))
        }
        let binary = directory.appendingPathComponent("binary.txt").path
        try Data([0xFF, 0xFE, 0xFD, 0x80]).write(to: URL(fileURLWithPath: binary))
        #expect(throws: GateError("\(binary): not UTF-8 text")) { try TrainingTask(kind: .text, textFile: binary) }
        let missing = directory.appendingPathComponent("missing.txt").path
        #expect(throws: GateError("\(missing): no such file")) { try TrainingTask(kind: .text, textFile: missing) }
        let good = directory.appendingPathComponent("good.txt").path
        try String(repeating: "ab\r\ncd ", count: 40).write(toFile: good, atomically: true, encoding: .utf8)
        let task = try TrainingTask(kind: .text, length: 8, textFile: good)
        #expect(task.vocab == ["\n", " ", "a", "b", "c", "d"], "CRLF becomes one newline symbol")
        #expect(task.textSource == good)
    }

    @Test func sineTargetIsTheNextInputAfterTheWarmUp() throws {
        let task = try TrainingTask(kind: .sine, length: 30)
        for (x, loss) in zip(batch(task).inputs, batch(task).losses) {
            guard case .meanSquared(let targets) = loss else { Issue.record("sine uses MSE"); continue }
            #expect(targets.prefix(3).allSatisfy { $0 == nil })
            for t in 3..<29 { #expect(targets[t] == x[t + 1]) }
            #expect(x.allSatisfy { abs($0[0]) <= 1 })
        }
    }

    @Test func countTargetIsTheBracketDepth() throws {
        let task = try TrainingTask(kind: .count, length: 40)
        var deepest = 0
        for (x, loss) in zip(batch(task).inputs, batch(task).losses) {
            guard case .crossEntropy(let targets) = loss else { Issue.record("count uses cross-entropy"); continue }
            var depth = 0
            for (t, step) in x.enumerated() {
                depth += try #require(hotIndex(step)) == 0 ? 1 : -1
                #expect(depth >= 0 && depth <= TrainingTask.maximumDepth)
                #expect(targets[t] == depth)
                deepest = max(deepest, depth)
            }
        }
        #expect(deepest == TrainingTask.maximumDepth)
    }

    @Test(arguments: TaskKind.allCases)
    func demoHasALabelPerStepAndMatchesTheTaskShape(kind: TaskKind) throws {
        let task = try TrainingTask(kind: kind)
        let demo = task.demo()
        #expect(demo.inputs.count == task.sequenceLength)
        #expect(demo.stepLabels.count == demo.inputs.count)
        #expect(demo.inputs.allSatisfy { $0.count == task.inputSize })
        #expect(!demo.description.isEmpty)
        #expect(!task.watchNote(for: .lstm).isEmpty)
    }

    @Test func delayDemoShowsTheSymbolsAsCharacters() throws {
        let demo = try TrainingTask(kind: .delay, delay: 4).demo()
        #expect(demo.stepLabels.first == "'a'")
        #expect(demo.stepLabels.last == "'?'")
        #expect(demo.stepLabels.dropFirst().dropLast().allSatisfy { $0 == "'x'" || $0 == "'y'" })
    }

    @Test func badSettingsAreRefused() {
        #expect(throws: GateError("--delay must be at least 1, got 0")) { try TrainingTask(kind: .delay, delay: 0) }
        #expect(throws: GateError.self) { try TrainingTask(kind: .adding, delay: 3) }
        #expect(throws: GateError.self) { try TrainingTask(kind: .adding, length: 3) }
        #expect(throws: GateError.self) { try TrainingTask(kind: .delay, textFile: "/tmp/x") }
    }

    @Test func metricsAreComputedFromTheOutputs() throws {
        // A head-only model (zero recurrent weights) whose outputs are set by its bias, so
        // the metric can be checked by hand: accuracy of a constant class, MSE of a constant.
        let delay = try TrainingTask(kind: .delay, delay: 2)
        var model = RecurrentModel.random(cell: .rnn, inputSize: delay.inputSize, hiddenSize: 2,
                                          outputSize: delay.outputSize, seed: 1)
        model.head?.weight = [Float](repeating: 0, count: 6)
        model.head?.bias = [0, 5, 0] // always answers 'b'
        let b = batch(delay, size: 300)
        let answeredB = b.losses.filter { if case .crossEntropy(let t) = $0 { t.last == 1 } else { false } }.count
        #expect(try delay.measure(model, on: b) == Float(answeredB) / 300)

        let text = try TrainingTask(kind: .text)
        var uniform = RecurrentModel.random(cell: .rnn, inputSize: text.inputSize, hiddenSize: 2,
                                            outputSize: text.outputSize, seed: 1)
        uniform.head?.weight = [Float](repeating: 0, count: 2 * text.outputSize)
        uniform.head?.bias = [Float](repeating: 0.5, count: text.outputSize)
        let bits = try text.measure(uniform, on: batch(text, size: 5))
        #expect(abs(bits - log2(Float(text.outputSize))) < 1e-5, "a uniform guess costs log2(vocab) bits")

        let adding = try TrainingTask(kind: .adding)
        var one = RecurrentModel.random(cell: .gru, inputSize: 2, hiddenSize: 3, outputSize: 1, seed: 1)
        one.head?.weight = [0, 0, 0]
        one.head?.bias = [1]
        let ab = batch(adding, size: 100)
        var expected: Double = 0
        for loss in ab.losses { if case .meanSquared(let t) = loss, let s = t.last??.first { expected += Double((s - 1) * (s - 1)) } }
        #expect(abs(Double(try adding.measure(one, on: ab)) - expected / 100) < 1e-6)
    }
}

@Suite struct TextDemoTests {
    @Test func textDemoStartsAtAHeldOutSentenceAndStaysOnOneLine() throws {
        let task = try TrainingTask(kind: .text)
        let demo = task.demo()
        #expect(demo.description.contains("\"Every value that is kept takes r\""), "\(demo.description)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-demo-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("lines.txt").path
        try String(repeating: "one line\ttab\nnext\n", count: 30).write(toFile: file, atomically: true, encoding: .utf8)
        let lines = try TrainingTask(kind: .text, length: 16, textFile: file).demo()
        #expect(!lines.description.contains("\n"))
        #expect(lines.description.contains("\"one line\\ttab\\nnex\""), "\(lines.description)")
        #expect(lines.stepLabels.contains("'\\n'"))
    }
}
