import Foundation

/// The link between a long computation and whoever waits for it (the visualizer, on another
/// thread): the computation says how far it got after every step, and stops at the next
/// step once the waiting side cancels. The work is made of `parts` (a backward sweep over the
/// sequence, a trace), each of a number of steps known when it begins.
public final class WorkProgress: @unchecked Sendable {
    // Every field is read and written under `lock`: both threads use them.
    private let lock = NSLock()
    private let parts: Int
    private var partsBegun = 0
    private var stepsInPart = 1
    private var stepsDone = 0
    private var cancelled = false

    public init(parts: Int) {
        self.parts = max(1, parts)
    }

    /// Starts the next part, of `steps` steps. Throws `CancellationError` once cancelled.
    public func beginPart(steps: Int) throws {
        try locked {
            if cancelled { throw CancellationError() }
            partsBegun += 1
            stepsInPart = max(1, steps)
            stepsDone = 0
        }
    }

    /// One more step of the current part is done. Throws `CancellationError` once
    /// cancelled, so that the computation stops here.
    public func step() throws {
        try locked {
            if cancelled { throw CancellationError() }
            stepsDone = min(stepsDone + 1, stepsInPart)
        }
    }

    /// Asks the computation to stop at its next step.
    public func cancel() {
        locked { cancelled = true }
    }

    public var isCancelled: Bool { locked { cancelled } }

    /// How much of the work is done, from 0 to 1.
    public var fraction: Double {
        locked {
            let finished = Double(max(0, partsBegun - 1)) + Double(stepsDone) / Double(stepsInPart)
            return min(1, finished / Double(parts))
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
