import GateCore
import XCTest
@testable import GateView

/// A sequence kept at checkpoints (`TraceHolding.checkpointed`), forced on a short one so
/// that windows move often: every frame at every step is the frame of the whole trace, a
/// far jump waits for its checkpoints with a progress line, and what is held stays bounded.
final class CheckpointedViewTests: XCTestCase {
    static let steps = 3000
    static let interval = 32
    static let window = 512
    static let checkpointed = TraceHolding.checkpointed(interval: interval, window: window)

    /// The fixture's text model (a head, text symbols, other kinds for Tab) on 3000 steps.
    private func app(_ holding: TraceHolding, width: Int = 160, height: Int = 50,
                     colors: Capabilities.ColorDepth = .full, unicode: Bool = true) throws -> GateScopeApp {
        try GateScopeApp(scenario: Fixture.scenario(.lstm, hidden: 8, steps: Self.steps),
                         capabilities: Capabilities(colors: colors, unicode: unicode),
                         width: width, height: height, holding: holding)
    }

    /// Shows `target` (0-based) with any job it asks for done here, as `render --step` does.
    private func go(_ app: inout GateScopeApp, to target: Int) {
        _ = app.finishingWork(app.goTo(target))
    }

    /// The frames are the same cell for cell; a failure prints the lines that differ.
    private func assertSameFrame(_ kept: Buffer, _ whole: Buffer, _ what: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        guard kept != whole else { return }
        let lines = zip(kept.plainText.split(separator: "\n", omittingEmptySubsequences: false),
                        whole.plainText.split(separator: "\n", omittingEmptySubsequences: false))
            .enumerated().filter { $0.element.0 != $0.element.1 }
            .map { "row \($0.offset):\n  kept:  \($0.element.0)\n  whole: \($0.element.1)" }
        XCTFail("\(what): the frames differ\(lines.isEmpty ? " in style only" : ":\n" + lines.joined(separator: "\n"))",
                file: file, line: line)
    }

    private func assertSameFrame(_ kept: GateScopeApp, _ whole: GateScopeApp, _ what: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        assertSameFrame(kept.frame(), whole.frame(), what, file: file, line: line)
    }

    /// What is held is bounded by the window and the checkpoints, never the sequence.
    private func assertBounded(_ app: GateScopeApp, file: StaticString = #filePath, line: UInt = #line) {
        let held = app.trace.heldSteps
        XCTAssertTrue(held.contains(app.step), "step \(app.step) outside \(held)", file: file, line: line)
        XCTAssertLessThanOrEqual(held.count, Self.window + Self.interval, file: file, line: line)
        XCTAssertLessThanOrEqual(app.current.checkpoints?.checkpoints.count ?? .max, Self.steps / Self.interval + 1,
                                 file: file, line: line)
    }

    func testTheHoldingIsChosenByTheTraceSize() throws {
        let small = try Fixture.app()
        XCTAssertTrue(small.trace.isWhole)
        XCTAssertNil(small.current.checkpoints)
        let forced = try app(Self.checkpointed)
        XCTAssertFalse(forced.trace.isWhole)
        XCTAssertEqual(forced.trace.steps, Self.steps)
        XCTAssertEqual(forced.stepCount, Self.steps)
        XCTAssertEqual(forced.trace.heldSteps, 0..<Self.window, "opens on the first window only")
    }

    func testFarStepsShowTheWholeTracesFramesOnceTheEndIsComputed() throws {
        for (width, height, colors, unicode) in [(160, 50, Capabilities.ColorDepth.full, true), (80, 24, .none, false)] {
            var whole = try app(.whole, width: width, height: height, colors: colors, unicode: unicode)
            var kept = try app(Self.checkpointed, width: width, height: height, colors: colors, unicode: unicode)
            // The end first: the scale of c then covers every step, as the whole trace's does.
            try kept.press("G")
            try whole.press("G")
            XCTAssertEqual(kept.step, Self.steps - 1)
            for target in [Self.steps - 1, 1500, 1501, 0, 1, 777, 2040, 2999, 256, 255] {
                go(&whole, to: target)
                go(&kept, to: target)
                assertBounded(kept)
                assertSameFrame(kept, whole, "\(width)×\(height) at step \(target + 1)")
            }
            // Help, the diagram and the unit selection read the same values.
            for keys in ["v", "j j j", "]"] {
                try kept.press(keys)
                try whole.press(keys)
                assertSameFrame(kept, whole, "after \(keys)")
            }
        }
    }

    func testAFarJumpWaitsForItsCheckpointsWithProgressAndCanBeCancelled() throws {
        var kept = try app(Self.checkpointed, width: 100, height: 30, colors: .none)
        guard case .start(let job) = kept.update(.key(.end)) else { return XCTFail("the far end needs a job") }
        XCTAssertEqual(kept.step, 0, "the screen stays on its step while the job runs")
        XCTAssertEqual(kept.working?.title, "computing the checkpoints to step 3000")
        XCTAssertTrue(kept.frame().plainText.contains("computing the checkpoints to step 3000"))
        _ = kept.update(.progress(job: job.id, fraction: 0.42))
        XCTAssertTrue(kept.frame().plainText.contains("42%"))
        XCTAssertEqual(kept.update(.key(.escape)), .cancel(job: job.id))
        XCTAssertEqual(kept.step, 0)
        XCTAssertEqual(kept.trace.heldSteps, 0..<Self.window)
        // A late answer of the cancelled job changes nothing.
        _ = kept.update(job.run())
        XCTAssertEqual(kept.step, 0)
        try kept.press("G")
        XCTAssertEqual(kept.step, Self.steps - 1)
        assertBounded(kept)
        // Back to the start needs no job: its checkpoints are computed.
        XCTAssertEqual(kept.update(.key(.home)), .none)
        XCTAssertEqual(kept.step, 0)
    }

    func testPlayingAndSteppingThroughWindowsNeedsNoJobAndShowsTheWholeTracesValues() throws {
        let whole = try app(.whole, colors: .none)
        var kept = try app(Self.checkpointed, colors: .none)
        XCTAssertEqual(kept.update(.key(.character(" "))), .none)
        var windows = Set<Int>()
        while kept.isPlaying {
            // 4 steps per second by default: a tick of a second moves 4 steps.
            XCTAssertEqual(kept.update(.tick(seconds: 1)), .none, "at step \(kept.step + 1)")
            windows.insert(kept.trace.heldSteps.lowerBound)
            assertBounded(kept)
            let t = kept.step
            for quantity in Quantity.tableColumns(for: .lstm) {
                XCTAssertEqual(quantity.values(in: kept.trace, t: t, layer: 0), quantity.values(in: whole.trace, t: t, layer: 0),
                               "\(quantity) at step \(t + 1)")
            }
        }
        XCTAssertEqual(kept.step, Self.steps - 1)
        XCTAssertGreaterThan(windows.count, 4, "the window moved along")
        // Stepping back by hand, one step at a time across a window's start, needs no job either.
        for _ in 0..<700 { XCTAssertEqual(kept.update(.key(.left)), .none) }
        XCTAssertEqual(kept.step, Self.steps - 701)
        assertBounded(kept)
        XCTAssertEqual(Array(kept.trace.hidden(t: kept.step, layer: 0)), Array(whole.trace.hidden(t: kept.step, layer: 0)))
    }

    func testTabSideBySideAndPokesAtAFarStepShowTheWholeTracesFrames() throws {
        var whole = try app(.whole, width: 160, height: 50, colors: .none)
        var kept = try app(Self.checkpointed, width: 160, height: 50, colors: .none)
        // Near the end, where the window holds the last step the poke's answer is read at.
        for keys in ["G", "tab", "tab", "s", "s"] {
            try whole.press(keys)
            try kept.press(keys)
        }
        go(&whole, to: 2900)
        go(&kept, to: 2900)
        assertSameFrame(kept, whole, "at step 2901")
        for keys in ["s", "s tab", "p f > 0"] {
            try whole.press(keys)
            try kept.press(keys)
            assertBounded(kept)
            assertSameFrame(kept, whole, "after \(keys)")
        }
        XCTAssertFalse(kept.pokes.isEmpty)
        // The poked run and its baseline move their windows together.
        for target in [1200, 2999] {
            go(&whole, to: target)
            go(&kept, to: target)
            XCTAssertEqual(kept.baseline?.trace.heldSteps, kept.trace.heldSteps)
            assertSameFrame(kept, whole, "poked, at step \(target + 1)")
        }
    }

    /// Tab back to a kind traced at another step moves its window before it shows: by a
    /// job when its checkpoints do not reach the step.
    func testTabBackToAKindWhoseWindowIsElsewhere() throws {
        var whole = try app(.whole, colors: .none)
        var kept = try app(Self.checkpointed, colors: .none)
        for keys in ["tab", "G", "tab"] {
            try whole.press(keys)
            try kept.press(keys)
        }
        XCTAssertEqual(kept.cell, .rnn)
        guard case .start = kept.update(.key(.tab)) else { return XCTFail("the LSTM's window is at step 1: a job moves it") }
        XCTAssertEqual(kept.cell, .rnn, "the RNN stays on screen while the LSTM's checkpoints are computed")
        try kept.press("esc")
        XCTAssertEqual(kept.cell, .rnn, "cancelled: still the RNN")
        try kept.press("tab")
        try whole.press("tab")
        XCTAssertEqual(kept.cell, .lstm)
        assertBounded(kept)
        assertSameFrame(kept, whole, "back to the LSTM at the last step")
    }

    /// On a sequence kept at checkpoints the gradient panel plots the window's flow: how
    /// much the window's last state depends on each of its steps, the cell on screen alone
    /// (each kind's window is its own); a window that moves gets new curves.
    func testTheGradientPanelPlotsTheWindowsFlow() throws {
        var kept = try app(Self.checkpointed, colors: .none)
        go(&kept, to: 1500)
        try kept.press("d")
        XCTAssertEqual(kept.gradientPlot, .dependence)
        XCTAssertEqual(kept.comparedKinds, [.lstm])
        for target in [1500, 2999] {
            let held = kept.trace.held
            let expected = try kept.scenario.model.sensitivity(held, layer: 0)
            guard case .success(let curves)? = kept.current.curves(.dependence, layer: 0) else {
                return XCTFail("no curves at step \(target + 1)")
            }
            XCTAssertEqual(curves.firstStep, held.firstStep)
            XCTAssertEqual(curves.hidden, expected.hidden.map { $0[0] })
            XCTAssertEqual(curves.cell, expected.cell.map { $0[0] })
            let title = kept.glyphs.subscripted("h", held.firstStep + held.steps)
            XCTAssertTrue(kept.frame().plainText.contains("how much \(title) still depends on"), kept.frame().plainText)
            // To the end: the window moves, and its curves are computed again.
            try kept.press("G")
        }
        XCTAssertEqual(kept.step, Self.steps - 1)
        XCTAssertEqual(kept.trace.heldSteps.upperBound, Self.steps)
    }

    func testRenderOpensAFarStepOfALongSequence() throws {
        var whole = try app(.whole, colors: .none)
        go(&whole, to: 2499)
        let frame = try GateScopeApp.renderFrame(scenario: Fixture.scenario(.lstm, hidden: 8, steps: Self.steps), width: 160,
                                                 height: 50, step: 2500, capabilities: Capabilities(colors: .none, unicode: true),
                                                 holding: Self.checkpointed)
        XCTAssertTrue(frame.plainText.contains("step 2500/3000"))
        // The scale of c covers the steps computed to 2500 only; here that is the same scale.
        assertSameFrame(frame, whole.frame(), "render --step 2500")
    }
}
