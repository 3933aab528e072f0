import GateCore
import XCTest
@testable import GateView

final class RenderTests: XCTestCase {
    func testKeyScriptNamesAndCharacters() throws {
        XCTAssertEqual(try KeyScript.parse("l h j k g G space tab Tab esc Esc enter q + - [ ] n d ?"), [
            .character("l"), .character("h"), .character("j"), .character("k"), .character("g"),
            .character("G"), .character(" "), .tab, .tab, .escape, .escape, .enter, .character("q"),
            .character("+"), .character("-"), .character("["), .character("]"), .character("n"),
            .character("d"), .character("?"),
        ])
        XCTAssertEqual(try KeyScript.parse(" left  right\tup down home end pgup pgdn PgDn "), [
            .left, .right, .up, .down, .home, .end, .pageUp, .pageDown, .pageDown,
        ])
        XCTAssertEqual(try KeyScript.parse(""), [])
    }

    func testUnknownKeyNameIsAnErrorNamingTheToken() {
        XCTAssertThrowsError(try KeyScript.parse("l lef l")) { error in
            let message = (error as? GateError)?.message ?? ""
            XCTAssertTrue(message.hasPrefix("--keys: unknown key \"lef\" (token 2)"), message)
        }
    }

    func testRenderAppliesStepThenKeys() throws {
        let capabilities = Capabilities(colors: .none, unicode: true)
        let frame = try GateScopeApp.renderFrame(scenario: Fixture.scenario(), width: 80, height: 24, step: 5,
                                                 keys: KeyScript.parse("l l tab"), capabilities: capabilities)
        var app = try Fixture.app()
        try app.press("l l l l l l tab")
        XCTAssertEqual(frame, app.frame())
        XCTAssertTrue(frame.plainText.contains("GRU"))
        XCTAssertTrue(frame.plainText.contains("step 7/24"))
    }

    func testRenderStopsAtQuit() throws {
        let capabilities = Capabilities(colors: .none, unicode: true)
        let frame = try GateScopeApp.renderFrame(scenario: Fixture.scenario(), width: 80, height: 24,
                                                 keys: KeyScript.parse("l q l l"), capabilities: capabilities)
        XCTAssertTrue(frame.plainText.contains("step 2/24"))
    }

    func testRenderRejectsAStepOutsideTheSequenceAndAbsurdSizes() {
        let capabilities = Capabilities(colors: .none, unicode: true)
        XCTAssertThrowsError(try GateScopeApp.renderFrame(scenario: Fixture.scenario(), width: 80, height: 24,
                                                          step: 25, capabilities: capabilities)) { error in
            XCTAssertEqual((error as? GateError)?.message,
                           "--step 25: the input has 24 steps, so it must be between 1 and 24")
        }
        XCTAssertThrowsError(try GateScopeApp.renderFrame(scenario: Fixture.scenario(), width: 80, height: 24,
                                                          step: 0, capabilities: capabilities))
        XCTAssertThrowsError(try GateScopeApp.renderFrame(scenario: Fixture.scenario(), width: 0, height: 24,
                                                          capabilities: capabilities)) { error in
            XCTAssertEqual((error as? GateError)?.message, "--width 0: must be between 1 and 1000")
        }
    }

    func testModelThatCannotRunOnItsInputIsAnError() {
        var scenario = Fixture.scenario()
        scenario.inputs[3] = [1, 0]
        // inputs[3] is the fourth step: messages count steps from 1, as the screen does.
        XCTAssertThrowsError(try GateScopeApp(scenario: scenario, capabilities: Capabilities(colors: .none, unicode: true))) {
            XCTAssertEqual(($0 as? GateError)?.message, "input step 4 has 2 values, the model expects 3")
        }
    }
}
