import Foundation
import GateCore
import XCTest
@testable import GateView

/// Frames compared character for character with files in Golden/. A missing golden fails
/// and prints the frame; `GATESCOPE_RECORD=1 swift test --filter GoldenTests` rewrites
/// them on purpose (then read the diff before committing).
final class GoldenTests: XCTestCase {
    /// Step 7, unit 1: a step where the gates differ across units.
    private let stepSevenUnitOne = "l l l l l l j"

    func testLSTMAtClassicSize() throws {
        try assertGolden("lstm-80x24", Fixture.app(.lstm), keys: stepSevenUnitOne)
    }

    func testGRUAtClassicSize() throws {
        try assertGolden("gru-80x24", Fixture.app(.gru), keys: stepSevenUnitOne)
    }

    func testRNNAtClassicSize() throws {
        try assertGolden("rnn-80x24", Fixture.app(.rnn), keys: stepSevenUnitOne)
    }

    func testLSTMWide() throws {
        try assertGolden("lstm-120x36", Fixture.app(.lstm, width: 120, height: 36), keys: stepSevenUnitOne)
    }

    func testGRUWide() throws {
        try assertGolden("gru-120x36", Fixture.app(.gru, width: 120, height: 36), keys: stepSevenUnitOne)
    }

    func testGRUResetBeforeShowsItsOwnCandidateEquation() throws {
        try assertGolden("gru-reset-before-120x36", Fixture.app(.gruResetBefore, width: 120, height: 36),
                         keys: stepSevenUnitOne)
    }

    func testRNNWide() throws {
        try assertGolden("rnn-120x36", Fixture.app(.rnn, width: 120, height: 36), keys: stepSevenUnitOne)
    }

    func testLSTMVeryWideShowsTheEquationsBesideTheTable() throws {
        try assertGolden("lstm-160x50", Fixture.app(.lstm, width: 160, height: 50), keys: stepSevenUnitOne)
    }

    func testMinimumSize() throws {
        try assertGolden("lstm-40x12", Fixture.app(.lstm, width: 40, height: 12), keys: stepSevenUnitOne)
    }

    func testTooSmall() throws {
        try assertGolden("too-small-30x8", Fixture.app(.lstm, width: 30, height: 8), keys: "")
    }

    func testHelp() throws {
        try assertGolden("help-80x24", Fixture.app(.lstm), keys: "?")
    }

    /// d pressed, its job a third done, the spinner turned twice: the footer says so.
    func testWorkingOnTheGradientPanel() throws {
        var app = try Fixture.app(.lstm)
        guard case .start(let job) = app.update(.key(.character("d"))) else { return XCTFail("d asked for no job") }
        _ = app.update(.progress(job: job.id, fraction: 1 / 3))
        _ = app.update(.tick(seconds: 0.1))
        _ = app.update(.tick(seconds: 0.1))
        try assertGolden("working-gradient-80x24", app, keys: "")
    }

    func testAfterStepsAndTab() throws {
        try assertGolden("keys-l-l-tab-80x24", Fixture.app(.lstm), keys: "l l Tab")
    }

    func testSecondLayerOfTwo() throws {
        try assertGolden("lstm-2-layers-layer-2-100x30", Fixture.app(.lstm, width: 100, height: 30, layers: 2),
                         keys: "] l l l")
    }

    func testScrolledTallModel() throws {
        try assertGolden("lstm-h32-pgdn-80x24", Fixture.app(.lstm, hidden: 32), keys: "pgdn j")
    }

    func testASCII() throws {
        try assertGolden("lstm-ascii-80x24", Fixture.app(.lstm, unicode: false), keys: stepSevenUnitOne)
    }

    /// A vocabulary of Chinese characters: shown (two columns each) in the input line and
    /// the head's output, the columns after them where they belong.
    func testChineseVocabulary() throws {
        try assertGolden("chinese-vocab-80x24", Fixture.app(.lstm, chinese: true), keys: stepSevenUnitOne)
        try assertGolden("chinese-vocab-100x30", Fixture.app(.lstm, width: 100, height: 30, chinese: true),
                         keys: stepSevenUnitOne)
        try assertGolden("chinese-vocab-ascii-80x24", Fixture.app(.lstm, unicode: false, chinese: true),
                         keys: stepSevenUnitOne)
    }

    func testColorEscapes() throws {
        try assertGolden("lstm-80x24.ansi", Fixture.app(.lstm, colors: .full), keys: stepSevenUnitOne, ansi: true)
    }

    // MARK: Gradient flow

    func testGradientFlowLSTMAtClassicSize() throws {
        try assertGolden("gradient-lstm-80x24", Fixture.app(.lstm), keys: stepSevenUnitOne + " d")
    }

    func testGradientFlowGRUAtClassicSize() throws {
        try assertGolden("gradient-gru-80x24", Fixture.app(.gru), keys: stepSevenUnitOne + " d")
    }

    func testGradientFlowRNNAtClassicSize() throws {
        try assertGolden("gradient-rnn-80x24", Fixture.app(.rnn), keys: stepSevenUnitOne + " d")
    }

    func testGradientFlowLSTMWide() throws {
        try assertGolden("gradient-lstm-120x36", Fixture.app(.lstm, width: 120, height: 36), keys: stepSevenUnitOne + " d")
    }

    func testGradientFlowOfTheLossLSTMWide() throws {
        try assertGolden("gradient-loss-lstm-120x36", Fixture.app(.lstm, width: 120, height: 36),
                         keys: stepSevenUnitOne + " d d")
    }

    func testGradientFlowASCII() throws {
        try assertGolden("gradient-lstm-ascii-80x24", Fixture.app(.lstm, unicode: false), keys: stepSevenUnitOne + " d")
    }

    func testGradientFlowColorEscapes() throws {
        try assertGolden("gradient-lstm-80x24.ansi", Fixture.app(.lstm, colors: .full), keys: stepSevenUnitOne + " d",
                         ansi: true)
    }

    func testGradientFlowWithoutVariantsShowsTheCellAlone() throws {
        var scenario = Fixture.scenario(.gru)
        scenario.makeVariant = nil
        let app = try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true))
        try assertGolden("gradient-gru-alone-80x24", app, keys: stepSevenUnitOne + " d")
    }

    func testGradientFlowSecondLayerOfTwo() throws {
        try assertGolden("gradient-lstm-2-layers-layer-2-100x30",
                         Fixture.app(.lstm, width: 100, height: 30, layers: 2), keys: "] l l l d")
    }

    // MARK: Right-hand panel (v) and sizes

    func testLSTMAtProjectorSizeShowsTheEquationsBesideTheHeatmaps() throws {
        try assertGolden("lstm-100x30", Fixture.app(.lstm, width: 100, height: 30), keys: stepSevenUnitOne)
    }

    func testDiagramOfEachKind() throws {
        for (kind, name) in [(CellKind.lstm, "lstm"), (.gru, "gru"), (.gruResetBefore, "gru-reset-before"), (.rnn, "rnn")] {
            try assertGolden("diagram-\(name)-100x30", Fixture.app(kind, width: 100, height: 30),
                             keys: stepSevenUnitOne + " v")
            try assertGolden("diagram-\(name)-ascii-100x30", Fixture.app(kind, width: 100, height: 30, unicode: false),
                             keys: stepSevenUnitOne + " v")
        }
    }

    func testThirdVLeavesNoPanel() throws {
        try assertGolden("panel-none-100x30", Fixture.app(.lstm, width: 100, height: 30), keys: stepSevenUnitOne + " v v")
    }

    func testDiagramAtClassicSizeSaysWhatItNeeds() throws {
        try assertGolden("diagram-no-room-80x24", Fixture.app(.lstm), keys: stepSevenUnitOne + " v")
    }

    func testDiagramLarge() throws {
        try assertGolden("diagram-lstm-160x50", Fixture.app(.lstm, width: 160, height: 50), keys: stepSevenUnitOne + " v")
        try assertGolden("diagram-gru-220x60", Fixture.app(.gru, width: 220, height: 60), keys: stepSevenUnitOne + " v")
    }

    func testLSTMAt220x60() throws {
        try assertGolden("lstm-220x60", Fixture.app(.lstm, width: 220, height: 60), keys: stepSevenUnitOne)
    }

    /// A large screen filled: the heatmaps in fewer, wider columns with wider cells, the
    /// gradient plot with the heatmaps under it, the diagram beside the table.
    func testLargeScreensUseTheirRoom() throws {
        for (width, height) in [(160, 50), (220, 60)] {
            try assertGolden("gradient-lstm-\(width)x\(height)", Fixture.app(.lstm, width: width, height: height),
                             keys: stepSevenUnitOne + " d")
        }
        try assertGolden("diagram-lstm-220x60", Fixture.app(.lstm, width: 220, height: 60), keys: stepSevenUnitOne + " v")
    }

    /// The trained delay demo as it opens on a large screen, at step 12 (its memory unit
    /// selected): the main screen, the gradient flow, the diagram.
    func testDelayDemoOnLargeScreens() throws {
        let stepTwelve = Array(repeating: "l", count: 11).joined(separator: " ")
        for (width, height) in [(160, 50), (220, 60)] {
            for (name, keys) in [("", ""), ("-gradient", " d"), ("-diagram", " v")] {
                try assertGolden("demo\(name)-\(width)x\(height)", Fixture.delayDemo(width: width, height: height),
                                 keys: stepTwelve + keys)
            }
        }
    }

    func testLightThemeColorEscapes() throws {
        try assertGolden("lstm-light-80x24.ansi", Fixture.app(.lstm, theme: .light, colors: .full), keys: stepSevenUnitOne,
                         ansi: true)
    }

    // MARK: -

    // MARK: Pokes

    /// The menu on the delay demo's memory unit at step 2 (forget gate, from here on), then
    /// the screen at the last step after 0: forget clamped to 0 from step 2.
    func testPokeMenuAndPokedScreen() throws {
        for (width, height) in [(80, 24), (100, 30)] {
            try assertGolden("poke-menu-\(width)x\(height)", Fixture.delayDemo(width: width, height: height), keys: "l p f >")
            try assertGolden("poked-\(width)x\(height)", Fixture.delayDemo(width: width, height: height), keys: "l p f > 0 G")
        }
        try assertGolden("poked-ascii-80x24", Fixture.delayDemo(unicode: false), keys: "l p f > 0 G")
    }

    private func assertGolden(_ name: String, _ app: GateScopeApp, keys: String, ansi: Bool = false,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        var app = app
        try app.press(keys)
        let frame = app.frame()
        try assertMatchesGolden(name, (ansi ? frame.ansiText : frame.plainText) + "\n", file: file, line: line)
    }
}
