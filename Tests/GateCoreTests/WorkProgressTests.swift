import Foundation
import Testing
@testable import GateCore

/// The gradient computations the visualizer runs off its loop report each step and stop
/// at the next one once cancelled.
@Suite struct WorkProgressTests {
    private static func lstm(steps: Int, hidden: Int = 8) throws -> (RecurrentModel, Trace) {
        var rng = SeededGenerator(seed: 11)
        let inputs = (0..<steps).map { _ in (0..<3).map { _ in rng.uniform(-1, 1) } }
        let model = RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: hidden, layers: 2, seed: 4)
        return (model, try model.trace(inputs))
    }

    @Test func reportsEveryStepAndChangesNoNumber() throws {
        let (model, trace) = try Self.lstm(steps: 12)
        let progress = WorkProgress(parts: 2)
        #expect(progress.fraction == 0)
        let watched = try model.sensitivity(trace, layer: 1, progress: progress)
        // One part of two: both LSTM passes (h and c) over the 12 steps are done.
        #expect(progress.fraction == 0.5)
        #expect(watched == (try model.sensitivity(trace, layer: 1)))
        _ = try model.sensitivity(trace, layer: 0, progress: progress)
        #expect(progress.fraction == 1)
    }

    @Test func theForwardTraceReportsItsStepsToo() throws {
        let (model, trace) = try Self.lstm(steps: 12)
        let progress = WorkProgress(parts: 1)
        let watched = try model.trace(trace.inputs, progress: progress)
        #expect(progress.fraction == 1)
        #expect(watched.hiddenStates == trace.hiddenStates)
        #expect(watched.activations == trace.activations)
        let cancelled = WorkProgress(parts: 1)
        cancelled.cancel()
        #expect(throws: CancellationError.self) { try model.trace(trace.inputs, progress: cancelled) }
    }

    @Test func cancelledBeforeItBeginsComputesNothing() throws {
        let (model, trace) = try Self.lstm(steps: 12)
        let progress = WorkProgress(parts: 1)
        progress.cancel()
        #expect(throws: CancellationError.self) { try model.sensitivity(trace, layer: 0, progress: progress) }
        #expect(throws: CancellationError.self) { try model.traceGradients(trace, progress: progress) }
        #expect(progress.fraction == 0)
    }

    /// Cancelled from another thread once the sweep has begun, as the visualizer does: the
    /// sweep stops before its end (a finished sweep would return, not throw).
    @Test func cancellationStopsTheSweep() throws {
        let (model, trace) = try Self.lstm(steps: 4000, hidden: 32)
        let progress = WorkProgress(parts: 1)
        let canceller = Thread {
            while progress.fraction == 0 { usleep(100) }
            progress.cancel()
        }
        canceller.start()
        #expect(throws: CancellationError.self) { try model.sensitivity(trace, layer: 1, progress: progress) }
        #expect(progress.isCancelled)
        #expect(progress.fraction < 1)
    }
}
