import GateCore
import XCTest
@testable import GateView

/// `update` as a pure function: messages in, state out; no clock, no terminal.
final class UpdateTests: XCTestCase {
    func testSteppingClampsAtBothEnds() throws {
        var app = try Fixture.app()
        try app.press("h left")
        XCTAssertEqual(app.step, 0)
        try app.press("l right l")
        XCTAssertEqual(app.step, 3)
        try app.press("G l right")
        XCTAssertEqual(app.step, 23)
        try app.press("g")
        XCTAssertEqual(app.step, 0)
        try app.press("end h")
        XCTAssertEqual(app.step, 22)
        try app.press("home")
        XCTAssertEqual(app.step, 0)
    }

    func testTicksAdvanceBySpeedTimesTimeAndKeepTheRemainder() throws {
        var app = try Fixture.app()
        XCTAssertEqual(app.speed, 4)
        try app.press("space")
        XCTAssertTrue(app.isPlaying)
        XCTAssertEqual(app.tickInterval, 0.25)
        _ = app.update(.tick(seconds: 0.375))  // 1.5 steps
        XCTAssertEqual(app.step, 1)
        XCTAssertEqual(app.pendingSteps, 0.5)
        _ = app.update(.tick(seconds: 0.125))  // 0.5 more: a whole step
        XCTAssertEqual(app.step, 2)
        XCTAssertEqual(app.pendingSteps, 0)
        try app.press("+")
        XCTAssertEqual(app.speed, 8)
        _ = app.update(.tick(seconds: 0.5))
        XCTAssertEqual(app.step, 6)
    }

    func testTicksWhilePausedOrInvalidDoNothing() throws {
        var app = try Fixture.app()
        _ = app.update(.tick(seconds: 10))
        XCTAssertEqual(app.step, 0)
        XCTAssertNil(app.tickInterval)
        try app.press("space")
        for seconds in [-1, .nan, .infinity, 0] {
            _ = app.update(.tick(seconds: seconds))
        }
        XCTAssertEqual(app.step, 0)
    }

    func testPlaybackStopsAtTheLastStepAndRestartsFromTheStart() throws {
        var app = try Fixture.app()
        try app.press("space")
        _ = app.update(.tick(seconds: 1e300))
        XCTAssertEqual(app.step, 23)
        XCTAssertFalse(app.isPlaying)
        XCTAssertNil(app.tickInterval)
        try app.press("space")
        XCTAssertEqual(app.step, 0)
        XCTAssertTrue(app.isPlaying)
        try app.press("space")
        XCTAssertFalse(app.isPlaying)
    }

    func testSteppingByHandPausesPlayback() throws {
        var app = try Fixture.app()
        try app.press("space l")
        XCTAssertFalse(app.isPlaying)
        XCTAssertEqual(app.step, 1)
    }

    func testSpeedStaysWithinItsRange() throws {
        var app = try Fixture.app()
        try app.press("+ + + + + + =")
        XCTAssertEqual(app.speed, GateScopeApp.speeds.last)
        try app.press("- - - - - - - -")
        XCTAssertEqual(app.speed, GateScopeApp.speeds.first)
        XCTAssertEqual(app.status, "1 step per second")
        try app.press("+")
        XCTAssertEqual(app.status, "2 steps per second")
    }

    func testTabCyclesTheCellKindAndKeepsTheStep() throws {
        var app = try Fixture.app()
        try app.press("l l l j j")
        var kinds: [CellKind] = []
        for _ in 0..<3 {
            try app.press("tab")
            kinds.append(app.cell)
            XCTAssertEqual(app.step, 3)
            XCTAssertEqual(app.unit, 2)
            XCTAssertEqual(app.trace.cell, app.cell)
        }
        XCTAssertEqual(kinds, [.gru, .rnn, .lstm])
        XCTAssertEqual(app.status, "RNN → LSTM: same seed")
        try app.press("backtab")
        XCTAssertEqual(app.cell, .rnn)
    }

    func testTabWithoutAVariantSaysWhy() throws {
        var scenario = Fixture.scenario()
        scenario.makeVariant = nil
        var app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true))
        try app.press("tab")
        XCTAssertEqual(app.cell, .lstm)
        XCTAssertEqual(app.status, "this model is a LSTM; it has no other cell kind")
        XCTAssertTrue(app.frame().plainText.contains("this model is a LSTM; it has no other cell kind"))
        try app.press("l")
        XCTAssertNil(app.status)
    }

    /// A loaded file holds one kind: Tab says that the others are random weights of its
    /// sizes and that Tab comes back to the file's own weights, on the status line after
    /// the key and on the footer's Tab hint when it has room.
    func testTabOnALoadedFileSaysWhatTheVariantIs() throws {
        let file = Fixture.scenario(.lstm).model
        let inputs = try InputSequence.oneHot("abcab", vocab: Fixture.vocab)
        let scenario = Scenario.loaded(file, name: "m.safetensors", inputs: inputs, seed: 4)
        // Wide enough for every key and the description of where Tab goes.
        var app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true),
                                   width: 240, height: 40)
        let random = "random weights (seed 4), same sizes as the file's LSTM"
        XCTAssertTrue(app.frame().plainText.contains("tab → GRU: \(random)"), app.frame().plainText)
        try app.press("tab")
        XCTAssertEqual(app.status, "LSTM → GRU: \(random)")
        let footer = try XCTUnwrap(app.frame().plainText.split(separator: "\n").last)
        XCTAssertTrue(footer.contains("LSTM → GRU: \(random) · 2 gates and no c"), "\(footer)")
        try app.press("tab")
        XCTAssertEqual(app.status, "GRU → RNN: \(random)")
        try app.press("l")
        XCTAssertTrue(app.frame().plainText.contains("tab → LSTM: the file's own weights"))
        try app.press("tab")
        XCTAssertEqual(app.status, "RNN → LSTM: the file's own weights")
        XCTAssertEqual(app.scenario.model, file)
        // At 80 columns the status keeps what the variant is and leaves out the remark.
        try app.press("tab")
        _ = app.update(.resize(width: 80, height: 24))
        let narrow = try XCTUnwrap(app.frame().plainText.split(separator: "\n").last)
        XCTAssertEqual(narrow.trimmingCharacters(in: .whitespaces), "LSTM → GRU: \(random)")
    }

    func testTabOnATrainedDemoSaysItIsTheOtherKindsTrainedModel() throws {
        var app = try GateScopeApp(scenario: Demos.scenario(kind: .lstm, task: .delay),
                                   capabilities: Capabilities(colors: .none, unicode: true), width: 100, height: 30)
        try app.press("tab")
        XCTAssertEqual(app.cell, .gru)
        XCTAssertEqual(app.status, "LSTM → GRU: trained on the same task and sequence")
        XCTAssertEqual(app.scenario.modelName, "built-in demo gru-delay")
    }

    func testUnitSelectionClampsAndScrollKeepsItVisible() throws {
        var app = try Fixture.app(hidden: 32)
        try app.press("k up")
        XCTAssertEqual(app.unit, 0)
        for _ in 0..<40 { try app.press("j") }
        XCTAssertEqual(app.unit, 31)
        let rows = try XCTUnwrap(app.layout().table?.units)
        XCTAssertTrue(rows.contains(31))
        XCTAssertLessThan(rows.count, 32, "the test needs a model taller than the screen")
        try app.press("pgup")
        XCTAssertEqual(app.unit, 31 - rows.count)
        XCTAssertTrue(try XCTUnwrap(app.layout().table?.units).contains(app.unit))
        var fresh = try Fixture.app(hidden: 32)
        try fresh.press("pgdn")
        XCTAssertEqual(fresh.unit, rows.count)
    }

    func testLayerKeysChangeLayerWithinRange() throws {
        var app = try Fixture.app(layers: 2)
        try app.press("]")
        XCTAssertEqual(app.layer, 1)
        try app.press("] ]")
        XCTAssertEqual(app.layer, 1)
        try app.press("[ [")
        XCTAssertEqual(app.layer, 0)
        var single = try Fixture.app()
        try single.press("]")
        XCTAssertEqual(single.layer, 0)
        XCTAssertEqual(single.status, "this model has one layer")
    }

    func testQuitKeys() throws {
        for script in ["q", "esc", "ctrl-c"] {
            var app = try Fixture.app()
            XCTAssertEqual(try app.press(script), .quit, script)
        }
    }

    func testHelpClosesOnEscapeWithoutQuitting() throws {
        var app = try Fixture.app()
        try app.press("?")
        XCTAssertTrue(app.showsHelp)
        XCTAssertEqual(try app.press("esc"), Command.none)
        XCTAssertFalse(app.showsHelp)
        try app.press("? l ?")
        XCTAssertFalse(app.showsHelp)
        XCTAssertEqual(app.step, 0, "keys other than the help's own do nothing under the help")
        XCTAssertEqual(try app.press("? q"), .quit)
    }

    func testToggles() throws {
        var app = try Fixture.app()
        func unitThreeRow() throws -> Substring {
            let lines = app.frame().plainText.split(separator: "\n")
            return try XCTUnwrap(lines.first { $0.hasPrefix("   3 ") })
        }
        XCTAssertTrue(try unitThreeRow().contains("."))
        try app.press("n")
        XCTAssertFalse(app.showsNumbers)
        XCTAssertFalse(try unitThreeRow().contains("."))
        try app.press("n")
        XCTAssertTrue(app.showsNumbers)
    }

    func testUnknownKeyLeavesAHint() throws {
        var app = try Fixture.app()
        try app.press("x")
        XCTAssertEqual(app.status, "that key does nothing here · ? lists the keys")
    }

    func testResizeStoresTheSize() throws {
        var app = try Fixture.app()
        _ = app.update(.resize(width: 100, height: 30))
        XCTAssertEqual(app.width, 100)
        XCTAssertEqual(app.height, 30)
        _ = app.update(.resize(width: -4, height: -1))
        XCTAssertEqual(app.frame().cells.count, 0)
    }

    /// "no room for the equations at 80×24" names a size: a resize says it again for the
    /// new size, or clears it once the panel fits, so that the footer comes back.
    func testAResizeRecomputesTheNoRoomStatus() throws {
        var app = try Fixture.app(width: 80, height: 24)
        repeat { try app.press("v") } while app.sidePanel == .none
        let name = app.sidePanel == .diagram ? "the cell diagram" : "the equations"
        XCTAssertEqual(app.status?.hasPrefix("no room for \(name) at 80×24"), true, app.status ?? "no status")
        _ = app.update(.resize(width: 90, height: 26))
        XCTAssertEqual(app.status?.hasPrefix("no room for \(name) at 90×26"), true, app.status ?? "no status")
        _ = app.update(.resize(width: 140, height: 40))
        XCTAssertNotNil(app.layout().sidePanel)
        XCTAssertNil(app.status)
        XCTAssertTrue(app.frame().plainText.contains("q quit"), "the footer is back")
        // Any other status stays as it was.
        try app.press("x")
        _ = app.update(.resize(width: 80, height: 24))
        XCTAssertEqual(app.status, "that key does nothing here · ? lists the keys")
    }

    func testClickOnATableRowSelectsThatUnit() throws {
        var app = try Fixture.app()
        let lines = app.frame().plainText.split(separator: "\n", omittingEmptySubsequences: false)
        let row = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("   5 ") })
        _ = app.update(.click(x: 10, y: row))
        XCTAssertEqual(app.unit, 5)
        XCTAssertEqual(app.step, 0)
    }

    func testClickOnAHeatmapCellSelectsItsUnitAndStep() throws {
        var app = try Fixture.app()
        let lines = app.frame().plainText.split(separator: "\n", omittingEmptySubsequences: false)
        // The second row labelled "   2" is unit 2 in the first heatmap, whose steps start
        // right after the 5-character label.
        let rows = lines.indices.filter { lines[$0].hasPrefix("   2 ") }
        XCTAssertEqual(rows.count, 2)
        _ = app.update(.click(x: 5 + 10, y: rows[1]))
        XCTAssertEqual(app.unit, 2)
        XCTAssertEqual(app.step, 10)
        XCTAssertTrue(app.frame().plainText.contains("step 11/24"))
    }

    func testClickElsewhereChangesNothing() throws {
        var app = try Fixture.app()
        _ = app.update(.click(x: 0, y: 0))
        _ = app.update(.click(x: 500, y: 500))
        XCTAssertEqual(app.unit, 0)
        XCTAssertEqual(app.step, 0)
    }
}
