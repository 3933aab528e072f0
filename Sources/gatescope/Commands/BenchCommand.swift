import ArgumentParser
import Foundation
import GateCore

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the forward trace, every gate recorded, in µs per step (one thread).",
        discussion: """
            Measures LSTM, GRU and RNN at H = 8, 32, 128, 512 with input size H, and names \
            the kernels this CPU runs (avx512, avx2+fma or portable). \
            Tools/reference/bench_torch.py measures PyTorch on the same sizes; \
            Tools/reference/bench_side_by_side.sh runs both.
            """)

    @Flag(help: "Print {\"kernels\",\"results\":[{\"cell\",\"hidden\",\"input\",\"steps\",\"us_per_step\"},…]}; with --train {\"kernels\",\"results\":[{\"cell\",\"hidden\",\"input\",\"batch\",\"length\",\"updates_per_s\"},…]}; with --frames {\"frames\":[…],\"launch_ms\":{…}}.")
    var json = false

    @Option(parsing: .unconditional, help: "Steps in the measured sequence.")
    var steps = Benchmark.defaultSteps

    @Option(help: "Measure only this cell (lstm, gru, gru-reset-before, rnn).")
    var cell: String?

    @Option(parsing: .unconditional, help: "Measure only this hidden size.")
    var hidden: Int?

    @Flag(help: "Trace into new arrays at every run, as a one-off trace does, instead of into the last run's (as windows and streamed pieces are traced).")
    var fresh = false

    @Flag(help: "Time the visualizer instead: update + view + draw per frame at 80×24 and 160×50 for H = 8, 32, 128, and launch to first frame; progress on stderr.")
    var frames = false

    @Flag(help: "Time training instead: updates per second (input 16, batch 16, length 32, BPTT, clipping, Adam) at H = 8, 16, 32, 64; Tools/reference/bench_torch_train.py measures PyTorch.")
    var train = false

    func validate() throws {
        if frames && train { throw GateError("--frames and --train measure different things: give one") }
        if fresh && (frames || train) { throw GateError("--fresh is for the forward trace: leave out --frames and --train") }
        guard steps >= 1 else { throw GateError("--steps must be at least 1, got \(steps)") }
        if let hidden, hidden < 1 { throw GateError("--hidden must be at least 1, got \(hidden)") }
    }

    func run() throws {
        if frames {
            warnOfADebugBuild()
            let progress = BenchProgress()
            let report = try FrameBenchmark.report(json: json, progress: progress.report)
            progress.finish()
            print(report)
            return
        }
        if train {
            try runTraining()
            return
        }
        let cells = try cell.map { [try CellKind(validating: $0)] } ?? Benchmark.cells
        let sizes = hidden.map { [$0] } ?? Benchmark.hiddenSizes
        for kind in cells {
            for size in sizes { try Benchmark.checkSizes(cell: kind, hidden: size, steps: steps) }
        }
        warnOfADebugBuild()
        let results = try Benchmark.run(cells: cells, hiddenSizes: sizes, steps: steps, fresh: fresh)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            struct Report: Encodable { var kernels: String, results: [Benchmark.Result] }
            print(String(decoding: try encoder.encode(Report(kernels: kernelPath, results: results)), as: UTF8.self))
            return
        }
        let cellWidth = results.map(\.cell.count).max() ?? 4
        print(pad("cell", cellWidth, left: true), "hidden  input  steps  µs/step")
        for result in results {
            print(pad(result.cell, cellWidth, left: true), pad(result.hidden, 6), pad(result.input, 6),
                  pad(result.steps, 6), pad(String(format: "%.2f", result.microsecondsPerStep), 8))
        }
        print("kernels: \(kernelPath)")
    }

    /// Updates per second for each cell and hidden size, as a table or JSON lines.
    private func runTraining() throws {
        let cells = try cell.map { [try CellKind(validating: $0)] } ?? [.lstm, .gru, .rnn]
        let sizes = hidden.map { [$0] } ?? [8, 16, 32, 64]
        for kind in cells {
            for size in sizes { try TrainingBenchmark.checkSizes(cell: kind, hiddenSize: size) }
        }
        warnOfADebugBuild()
        if !json { print("cell  hidden  input  batch  length  updates/s") }
        var rows: [String] = []
        for kind in cells {
            for size in sizes {
                let m = try TrainingBenchmark.run(cell: kind, hiddenSize: size)
                if json {
                    rows.append("{\"cell\":\"\(kind.rawValue)\",\"hidden\":\(size),\"input\":\(m.inputSize),\"batch\":\(m.batchSize),\"length\":\(m.length),\"updates_per_s\":\(String(format: "%.1f", m.stepsPerSecond))}")
                } else {
                    print(pad(kind.rawValue, 4, left: true), pad(size, 6), pad(m.inputSize, 6), pad(m.batchSize, 6),
                          pad(m.length, 7), pad(String(format: "%.1f", m.stepsPerSecond), 10))
                }
            }
        }
        if json {
            print("{\"kernels\":\"\(kernelPath)\",\"results\":[" + rows.joined(separator: ",") + "]}")
        } else {
            print("kernels: \(kernelPath)")
        }
    }

    /// One line on stderr in a debug build, once the options are known to be good: its
    /// figures say little about gatescope's speed.
    private func warnOfADebugBuild() {
        #if DEBUG
        writeError("warning: a debug build is much slower than a release build, so these figures are not representative; "
            + "measure with `swift build -c release` and `.build/release/gatescope bench`\n")
        #endif
    }

    private func pad(_ value: some CustomStringConvertible, _ width: Int, left: Bool = false) -> String {
        let text = value.description
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + fill : fill + text
    }
}

/// What `bench --frames` is measuring now, on stderr: one line redrawn in place on a
/// terminal, else a line per measurement, so that a minute of silence never looks stuck.
final class BenchProgress {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var drewLine = false

    func report(_ what: String, _ index: Int, _ count: Int) {
        let line = "measuring \(index)/\(count): \(what)"
        if isTerminal {
            writeError("\r\u{1B}[K" + String(line.prefix(max(terminalColumns() - 1, 20))))
            drewLine = true
        } else {
            writeError(line + "\n")
        }
    }

    /// Clears the redrawn line so that the figures start on a clean one.
    func finish() {
        if drewLine { writeError("\r\u{1B}[K") }
        drewLine = false
    }
}
