import GateCore
import XCTest
@testable import GateView

/// The poke menu (`p`) and a poked screen: keys, what they poke, undo, and the frames.
final class PokeViewTests: XCTestCase {
    private func demo() throws -> GateScopeApp { try Fixture.delayDemo() }

    func testMenuKeysClampTheSelectedGateFromThisStepOn() throws {
        var app = try demo()
        try app.press("l p")
        XCTAssertEqual(app.pokeMenu?.gate, .input)
        try app.press("f >")
        XCTAssertEqual(app.pokeMenu?.gate, .forget)
        XCTAssertEqual(app.pokeMenu?.fromHere, true)
        try app.press("0")
        XCTAssertNil(app.pokeMenu, "a poke closes the menu so the difference shows")
        let site = PokeSite(gate: .forget, unit: Demos.lstmDelayMemoryUnit)
        XCTAssertEqual(app.pokes, [.clamp(site, value: 0, span: .from(1))])
        // The trace on screen is the core's poked trace.
        let expected = try Demos.scenario(kind: .lstm, task: .delay).poked(app.pokes).trace()
        XCTAssertEqual(app.trace.held.cellStates, expected.cellStates)
        for t in 1..<app.trace.steps {
            XCTAssertEqual(Array(app.trace.gate(.forget, t: t, layer: 0))[Demos.lstmDelayMemoryUnit], 0)
        }
    }

    func testNudgeUndoAndClear() throws {
        var app = try demo()
        try app.press("p o + p o - p 1")
        let site = PokeSite(gate: .output, unit: Demos.lstmDelayMemoryUnit)
        XCTAssertEqual(app.pokes, [.nudge(site, delta: 0.5), .nudge(site, delta: -0.5),
                                   .clamp(PokeSite(gate: .input, unit: Demos.lstmDelayMemoryUnit), value: 1, span: .step(0))])
        try app.press("u")
        XCTAssertEqual(app.pokes.count, 2)
        try app.press("U")
        XCTAssertTrue(app.pokes.isEmpty)
        XCTAssertNil(app.baseline)
        XCTAssertEqual(app.trace.held.cellStates, try Demos.scenario(kind: .lstm, task: .delay).trace().cellStates)
        try app.press("u")
        XCTAssertEqual(app.status, "nothing to undo: p pokes the selected unit")
    }

    func testTypedValueAndNextInput() throws {
        var app = try demo()
        try app.press("p = 0 . 2 5 enter")
        XCTAssertEqual(app.pokes, [.clamp(PokeSite(gate: .input, unit: Demos.lstmDelayMemoryUnit), value: 0.25, span: .step(0))])
        try app.press("p x")
        // The demo's first symbol 'a' becomes the vocabulary's next, 'b'.
        XCTAssertEqual(app.scenario.stepLabels[0], "'b'")
        XCTAssertTrue(app.frame().plainText.contains("answer at '?': a 1.00 → b"), app.frame().plainText)
        try app.press("p = x")
        XCTAssertEqual(app.status, "type a number, Enter to clamp to it, Esc to stop typing")
    }

    func testTheRNNHasNothingToPokeAndTabDropsThePokes() throws {
        var app = try demo()
        try app.press("p f 0")
        XCTAssertFalse(app.pokes.isEmpty)
        try app.press("tab")
        XCTAssertTrue(app.pokes.isEmpty, "pokes name gates of the kind they were made on")
        try app.press("tab")
        XCTAssertEqual(app.cell, .rnn)
        try app.press("p")
        XCTAssertNil(app.pokeMenu)
        XCTAssertEqual(app.status, "the RNN has no gates to poke")
    }

    /// A large model's poked run is recomputed by a background job, as Tab's traces are: the
    /// screen says so, Esc cancels and leaves the run as it was.
    func testRecomputationOfALargeModelRunsAsAJobAndEscCancelsIt() throws {
        var app = try Fixture.app(.lstm, hidden: 256)
        XCTAssertGreaterThan(app.scenario.inputs.count * app.scenario.model.multiplyAddsPerStep, GateScopeApp.instantPokeWork)
        try app.press("p f")
        guard case .start(let job) = app.update(.key(.character("0"))) else {
            return XCTFail("a poke starts a job")
        }
        XCTAssertEqual(app.working?.title, "recomputing the poked run")
        XCTAssertTrue(app.pokes.isEmpty, "nothing changes before the job ends")
        XCTAssertEqual(app.update(.key(.escape)), .cancel(job: job.id))
        XCTAssertNil(app.working)
        XCTAssertTrue(app.pokes.isEmpty)
        XCTAssertEqual(app.status, "stopped recomputing the poked run")
        // Run to its end, the job's result is the poked run.
        try app.press("p f")
        guard case .start(let second) = app.update(.key(.character("0"))) else {
            return XCTFail("a poke starts a job")
        }
        _ = app.update(second.run())
        XCTAssertEqual(app.pokes.count, 1)
        XCTAssertNotNil(app.baseline)
        XCTAssertEqual(Array(app.trace.gate(.forget, t: 0, layer: 0))[0], 0)
    }

    /// The demo is small: its poked run is there at once, and the next key is not held up.
    func testASmallModelIsRecomputedAtOnce() throws {
        var app = try demo()
        try app.press("p f")
        XCTAssertEqual(app.update(.key(.character("0"))), .none)
        XCTAssertNil(app.working)
        XCTAssertEqual(app.pokes.count, 1)
    }
}
