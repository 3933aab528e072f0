import Foundation
import GateCore
import XCTest
@testable import GateView

/// Work too long for one update (the gradient panel's curves, Tab to a kind not traced yet)
/// is asked for as a job; the screen says it is working, Esc or q cancels, and the job's
/// result comes back as a message. All of it through the pure `update`.
final class WorkTests: XCTestCase {
    /// Presses `key` and returns the job it asks for, failing when it asks for none.
    private func job(after key: Key, in app: inout GateScopeApp,
                     file: StaticString = #filePath, line: UInt = #line) throws -> Job {
        guard case .start(let job) = app.update(.key(key)) else {
            XCTFail("\(key) asked for no job", file: file, line: line)
            throw CancellationError()
        }
        return job
    }

    func testDAsksForAJobAndTheScreenSaysItIsWorking() throws {
        var app = try Fixture.app(.lstm)
        let job = try job(after: .character("d"), in: &app)
        XCTAssertEqual(app.working?.job, job.id)
        XCTAssertEqual(app.working?.title, "computing the gradient flow")
        XCTAssertEqual(app.gradientPlot, .dependence)
        XCTAssertNil(app.variants[.lstm]?.curves(.dependence, layer: 0), "update computed nothing itself")
        XCTAssertEqual(app.tickInterval, GateScopeApp.spinnerInterval, "ticks turn the spinner")
        let footer = app.frame().plainText.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(footer.contains("computing the gradient flow… 0%"), footer)
        XCTAssertTrue(footer.contains("esc/q cancel"), footer)
    }

    func testProgressAndTicksShowOnTheFooter() throws {
        var app = try Fixture.app(.lstm)
        let job = try job(after: .character("d"), in: &app)
        XCTAssertEqual(app.update(.progress(job: job.id, fraction: 0.425)), .none)
        XCTAssertEqual(app.working?.fraction, 0.425)
        _ = app.update(.progress(job: job.id + 1, fraction: 0.9))
        XCTAssertEqual(app.working?.fraction, 0.425, "another job's progress is not this one's")
        let before = app.frame().plainText
        XCTAssertTrue(before.contains("⠋ computing the gradient flow… 42%"), before)
        _ = app.update(.tick(seconds: 0.1))
        XCTAssertTrue(app.frame().plainText.contains("⠙ computing"), "a tick turns the spinner")
    }

    func testTheFinishedJobGivesRendersFrame() throws {
        var app = try Fixture.app(.lstm)
        let job = try job(after: .character("d"), in: &app)
        XCTAssertEqual(app.update(job.run()), .none)
        XCTAssertNil(app.working)
        let rendered = try GateScopeApp.renderFrame(scenario: Fixture.scenario(.lstm), width: 80, height: 24,
                                                    keys: [.character("d")], capabilities: app.capabilities)
        XCTAssertEqual(app.frame().plainText, rendered.plainText)
    }

    func testEscCancelsAndTheLateResultIsDropped() throws {
        var app = try Fixture.app(.lstm)
        let job = try job(after: .character("d"), in: &app)
        XCTAssertEqual(app.update(.key(.escape)), .cancel(job: job.id))
        XCTAssertNil(app.working)
        XCTAssertNil(app.gradientPlot, "back to the heatmaps shown before d")
        XCTAssertEqual(app.status, "stopped computing the gradient flow")
        XCTAssertNil(app.tickInterval, "idle again: no ticks")
        _ = app.update(job.run())
        XCTAssertNil(app.variants[.lstm]?.curves(.dependence, layer: 0), "a cancelled job's answer is not used")
        XCTAssertNil(app.gradientPlot)
    }

    func testQCancelsAndASecondQQuits() throws {
        var app = try Fixture.app(.lstm)
        let job = try job(after: .character("d"), in: &app)
        XCTAssertEqual(app.update(.key(.character("q"))), .cancel(job: job.id))
        XCTAssertEqual(app.update(.key(.character("q"))), .quit)
    }

    func testCtrlCQuitsAtOnceAndOtherKeysWait() throws {
        var app = try Fixture.app(.lstm)
        _ = try job(after: .character("d"), in: &app)
        XCTAssertEqual(app.update(.key(.right)), .none)
        XCTAssertEqual(app.step, 0, "keys wait while the screen works")
        XCTAssertNotNil(app.working)
        XCTAssertEqual(app.update(.key(.interrupt)), .quit)
    }

    func testCancellingALossPlotGoesBackToTheFlowBeforeIt() throws {
        var app = try Fixture.app(.lstm)
        try app.press("d")
        XCTAssertEqual(app.gradientPlot, .dependence)
        let job = try job(after: .character("d"), in: &app)
        XCTAssertEqual(app.working?.title, "computing the loss gradient")
        XCTAssertEqual(app.update(.key(.escape)), .cancel(job: job.id))
        XCTAssertEqual(app.gradientPlot, .dependence)
    }

    func testTabTracesTheOtherKindAsAJob() throws {
        var app = try Fixture.app(.lstm)
        let job = try job(after: .tab, in: &app)
        XCTAssertEqual(app.working?.title, "tracing the GRU")
        XCTAssertEqual(app.cell, .lstm, "the LSTM stays on screen until the GRU is traced")
        _ = app.update(job.run())
        XCTAssertEqual(app.cell, .gru)
        XCTAssertEqual(app.status, "LSTM → GRU: same seed")
        // Back to a traced kind costs nothing: no job.
        XCTAssertEqual(app.update(.key(.backTab)), .none)
        XCTAssertEqual(app.cell, .lstm)
    }

    func testTabWithThePanelOpenComputesWhatTheNewCellLacks() throws {
        var app = try Fixture.app(.lstm)
        // d traces every compared kind, so Tab switches at once; the GRU's own report
        // (whether it has a loss) is the work left.
        try app.press("d")
        let report = try job(after: .tab, in: &app)
        XCTAssertEqual(app.cell, .gru)
        XCTAssertEqual(app.working?.title, "computing the gradient flow")
        XCTAssertEqual(app.update(report.run()), .none)
        XCTAssertNil(app.working)
        let rendered = try GateScopeApp.renderFrame(scenario: Fixture.scenario(.lstm), width: 80, height: 24,
                                                    keys: [.character("d"), .tab], capabilities: app.capabilities)
        XCTAssertEqual(app.frame().plainText, rendered.plainText)
    }

    /// The job on its own thread, as the terminal runs it: it reports, finishes, and a
    /// cancelled one stops with no result.
    func testARunningJobFinishesOrStopsWhenCancelled() throws {
        var app = try Fixture.app(.lstm, hidden: 32, steps: 3000)
        let job = try job(after: .character("d"), in: &app)
        let running = job.start()
        running.cancel()
        let outcome = try XCTUnwrap(waitForOutcome(running))
        XCTAssertNil(outcome.prepared, "a cancelled job returns nothing")

        var small = try Fixture.app(.lstm)
        let finished = try XCTUnwrap(waitForOutcome(try self.job(after: .character("d"), in: &small).start()))
        XCTAssertNotNil(finished.prepared)
        _ = small.update(.finished(finished))
        XCTAssertNotNil(small.variants[.gru]?.curves(.dependence, layer: 0))
    }

    func testACancelledTabTraceStops() throws {
        var app = try Fixture.app(.lstm, hidden: 32, steps: 3000)
        let running = try job(after: .tab, in: &app).start()
        running.cancel()
        XCTAssertNil(try XCTUnwrap(waitForOutcome(running)).prepared, "the trace stopped: no GRU")
    }

    private func waitForOutcome(_ running: RunningJob) -> JobOutcome? {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if case .finished(let outcome)? = running.poll() { return outcome }
            usleep(1000)
        }
        return nil
    }
}
