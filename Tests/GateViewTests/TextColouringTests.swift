import GateCore
import XCTest
@testable import GateView

/// `t`: the input text coloured by the selected unit's value, step by step.
final class TextColouringTests: XCTestCase {
    /// Step 7, unit 1, as the goldens.
    private let stepSevenUnitOne = "l l l l l l j"

    func testGoldenWithoutColourShowsADigitRow() throws {
        var app = try Fixture.app(width: 100, height: 30)
        try app.press(stepSevenUnitOne + " t")
        try assertMatchesGolden("text-colour-100x30", app.frame().plainText + "\n")
        // t again: h instead of c.
        try app.press("t")
        try assertMatchesGolden("text-colour-h-100x30", app.frame().plainText + "\n")
    }

    func testGoldenOfChineseTextKeepsTwoColumnsACharacter() throws {
        var app = try Fixture.app(width: 100, height: 30, chinese: true)
        try app.press(stepSevenUnitOne + " t")
        try assertMatchesGolden("text-colour-chinese-100x30", app.frame().plainText + "\n")
    }

    /// With colour, each character's background is its step's c of unit 1 on the diverging
    /// scale, its text black or white to read on it, the current step underlined.
    func testEachCharacterIsColouredByItsStepsValue() throws {
        var app = try Fixture.app(width: 100, height: 30, colors: .full)
        try app.press(stepSevenUnitOne + " t")
        let rect = try XCTUnwrap(app.layout().textColouring)
        let frame = app.frame()
        let y = rect.y + 1
        let scale = app.current.scale(of: .cellState, layer: 0)
        guard case .symmetric = scale else { return XCTFail("c on a unit scale") }
        for t in 0..<app.trace.steps {
            let cell = frame[t, y]
            XCTAssertEqual(cell.symbol, Fixture.text[t % Fixture.text.count], "step \(t + 1)")
            let c = app.trace.cellState(t: t, layer: 0, direction: .forward)
            let expected = app.theme.color(c[c.startIndex + 1], on: scale, depth: .full)
            XCTAssertEqual(cell.style.background, expected, "step \(t + 1)")
            XCTAssertNotEqual(cell.style.foreground, .default)
            XCTAssertEqual(cell.style.underline, t == 6, "step \(t + 1)")
        }
        // Values of both signs: the colours differ along the text.
        XCTAssertGreaterThan(Set((0..<24).map { frame[$0, y].style.background }).count, 3)
        XCTAssertTrue(frame.plainText.contains("text coloured by cell c of unit 1"))
    }

    /// Without colour, the digit under each character is its value from 0 (the scale's low
    /// end) to 9 (its high end), and the current character is in reverse video.
    func testDigitsCarryTheValueWithoutColour() throws {
        var app = try Fixture.app(width: 100, height: 30, unicode: false)
        try app.press(stepSevenUnitOne + " t")
        let rect = try XCTUnwrap(app.layout().textColouring)
        let frame = app.frame()
        guard case .symmetric(let bound) = app.current.scale(of: .cellState, layer: 0) else { return XCTFail("c unscaled") }
        for t in 0..<app.trace.steps {
            let values = app.trace.cellState(t: t, layer: 0, direction: .forward)
            let c = values[values.startIndex + 1]
            let digit = Int(((c / bound + 1) / 2 * 9).rounded())
            XCTAssertEqual(frame[t, rect.y + 2].symbol, Character(String(digit)), "step \(t + 1)")
            XCTAssertEqual(frame[t, rect.y + 1].style.reverse, t == 6)
        }
    }

    func testLongTextWrapsByDisplayWidthAroundTheCurrentStep() throws {
        var app = try Fixture.app(width: 40, height: 24, steps: 200, chinese: true)
        try app.press("t G")
        let widget = try XCTUnwrap(app.textColouringWidget())
        let lines = widget.lines(width: 40)
        // Two columns a character: 20 characters a line.
        XCTAssertEqual(lines.first, 0..<20)
        XCTAssertEqual(lines.count, 10)
        let rect = try XCTUnwrap(app.layout().textColouring)
        let frame = app.frame()
        // The last step's line is on screen, its last character at columns 38–39.
        let rows = (rect.y + 1..<rect.y + rect.height).map { y in (0..<40).map { frame[$0, y].symbol } }
        XCTAssertTrue(rows.contains { $0[38] == Fixture.chineseText[199 % Fixture.chineseText.count] })
    }

    func testNumericInputSaysItIsNotText() throws {
        var app = try GateScopeApp(scenario: BuiltinDemo.scenario(cell: .lstm, hidden: 8, layers: 1, seed: 0),
                                   capabilities: Capabilities(colors: .none, unicode: true), width: 100, height: 30)
        try app.press("t")
        XCTAssertNil(app.layout().textColouring)
        XCTAssertEqual(app.status, "t colours the input text by a unit's value; this input is numbers, not text")
    }

    func testTCyclesCThenHThenOffAndGRUHasOnlyH() throws {
        var app = try Fixture.app(width: 100, height: 30)
        try app.press("t")
        XCTAssertEqual(app.textColouring, .cellState)
        try app.press("t")
        XCTAssertEqual(app.textColouring, .hidden)
        try app.press("t")
        XCTAssertNil(app.textColouring)
        XCTAssertNil(app.layout().textColouring)
        var gru = try Fixture.app(.gru, width: 100, height: 30)
        try gru.press("t")
        XCTAssertEqual(gru.textColouring, .hidden)
    }

    func testRenderTakesTInItsKeyScript() throws {
        let capabilities = Capabilities(colors: .none, unicode: true)
        let frame = try GateScopeApp.renderFrame(scenario: Fixture.scenario(), width: 100, height: 30, step: 7,
                                                 keys: KeyScript.parse("j t"), capabilities: capabilities)
        var app = try Fixture.app(width: 100, height: 30)
        try app.press(stepSevenUnitOne + " t")
        XCTAssertEqual(frame, app.frame())
    }
}
