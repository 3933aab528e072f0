import Foundation
import GateCore
import XCTest

/// `--set-input`, `--clamp`, `--nudge` and `--poke-layer` on `trace`, `render` and `show`.
final class PokeCommandTests: XCTestCase {
    private func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The JSON trace of a poked run lists the pokes and holds the core's poked values.
    func testJSONTraceListsThePokesAndHoldsThePokedRun() throws {
        let result = try Gatescope.run(["trace", "--format", "json", "--clamp", "forget:2=0@2-", "--clamp", "input:1=0.5@3-4",
                                        "--nudge", "output:0=-0.5", "--set-input", "1=b"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let doc = try json(result.stdout)
        let pokes = try XCTUnwrap(doc["pokes"] as? [[String: Any]])
        XCTAssertEqual(pokes.count, 4)
        XCTAssertEqual(pokes[0]["poke"] as? String, "set_input")
        XCTAssertEqual(pokes[1]["gate"] as? String, "forget")
        XCTAssertEqual(pokes[1]["t_first"] as? Int, 1)
        XCTAssertTrue(pokes[1]["t_last"] is NSNull, "from step 2 to the end")
        XCTAssertEqual(pokes[2]["t_last"] as? Int, 3)
        XCTAssertEqual(pokes[3]["delta"] as? Double, -0.5)

        let demo = try Demos.defaultScenario()
        let site = { (gate: Gate, unit: Int) in PokeSite(gate: gate, unit: unit) }
        let expected = try demo.poked([
            .setInput(step: 0, input: try XCTUnwrap(demo.stepInput(spelling: "b"))),
            .clamp(site(.forget, 2), value: 0, span: .from(1)),
            .clamp(site(.input, 1), value: 0.5, span: StepSpan(first: 2, last: 3)),
            .nudge(site(.output, 0), delta: -0.5),
        ]).trace()
        let steps = try XCTUnwrap(doc["steps"] as? [[String: Any]])
        XCTAssertEqual(steps.first?["label"] as? String, "'b'")
        for (t, step) in steps.enumerated() {
            let layer = try XCTUnwrap((step["layers"] as? [[String: Any]])?.first)
            let c = try XCTUnwrap(layer["c"] as? [Double]).map(Float.init)
            XCTAssertEqual(c, Array(expected.cellState(t: t, layer: 0)), "c at t = \(t)")
            let forget = try XCTUnwrap((layer["gates"] as? [String: Any])?["forget"] as? [Double])
            if t >= 1 { XCTAssertEqual(forget[2], 0) }
        }
        // Without pokes: no "pokes" field.
        let plain = try json(try Gatescope.run(["trace", "--format", "json"]).stdout)
        XCTAssertNil(plain["pokes"])
    }

    /// render draws the poked run and says how the answer moved.
    func testRenderShowsThePokeAndTheAnswerBeforeAndAfter() throws {
        let wide = try Gatescope.run(["render", "--clamp", "forget:2=0@2-", "--step", "22", "--width", "100"])
        XCTAssertEqual(wide.status, 0, wide.stderr)
        XCTAssertTrue(wide.stdout.contains("poke: forget f of unit 2 = 0.00 from step 2 · answer at '?': a 1.00 → a 0.99 · Δc -9.26 Δh -0.65"),
                      wide.stdout)
        // At 80 columns the poke is said as the option spells it, so that Δ still fits.
        let narrow = try Gatescope.run(["render", "--clamp", "forget:2=0@2-", "--step", "22"])
        XCTAssertTrue(narrow.stdout.contains(" poke forget:2=0@2- · answer at '?': a 1.00 → a 0.99 · Δc -9.26 Δh -0.65"),
                      narrow.stdout)
    }

    /// Every malformed or misplaced poke: one `error:` line naming the option and what was
    /// expected, a non-zero exit, nothing on stdout.
    func testEveryMalformedPokeIsOneErrorNamingTheOption() throws {
        let vocab = String(try XCTUnwrap(try Demos.defaultScenario().model.vocab))
        let cases: [([String], String)] = [
            (["--clamp", "forget:2=0"], "--clamp 'forget:2=0': expected \(PokeSpelling.clampForm)"),
            (["--clamp", "forget:2=0@x"], "--clamp 'forget:2=0@x': expected \(PokeSpelling.clampForm)"),
            (["--clamp", "forget:2=0@0"], "--clamp 'forget:2=0@0': expected \(PokeSpelling.clampForm)"),
            (["--clamp", "forget:2=0@3-x"], "--clamp 'forget:2=0@3-x': expected \(PokeSpelling.clampForm)"),
            (["--clamp", "forget=0@3"], "--clamp 'forget=0@3': expected \(PokeSpelling.clampForm)"),
            (["--clamp", "forgot:2=0@3"], "--clamp 'forgot:2=0@3': unknown gate 'forgot': expected input, forget, output, reset or update"),
            (["--clamp", "candidate:2=0@3"], "--clamp 'candidate:2=0@3': unknown gate 'candidate': expected input, forget, output, reset or update"),
            (["--clamp", "reset:2=0@3"], "--clamp 'reset:2=0@3': the LSTM has no reset gate: its gates are input, forget, output"),
            (["--clamp", "forget:-1=0@3"], "--clamp 'forget:-1=0@3': '-1' is not a unit: expected a whole number from 0"),
            (["--clamp", "forget:8=0@3"], "--clamp 'forget:8=0@3': unit 8 is outside layer 1's units 0 to 7"),
            (["--clamp", "forget:2=nan@3"], "--clamp 'forget:2=nan@3': 'nan' is not a finite number"),
            (["--clamp", "forget:2=0@23"], "--clamp 'forget:2=0@23': step 23 is outside the sequence's steps 1 to 22"),
            (["--clamp", "forget:2=0@5-3"], "--clamp 'forget:2=0@5-3': the steps 5-3 run backwards"),
            (["--nudge", "forget:2"], "--nudge 'forget:2': expected \(PokeSpelling.nudgeForm)"),
            (["--nudge", "forget:2=inf"], "--nudge 'forget:2=inf': 'inf' is not a finite number"),
            (["--set-input", "b"], "--set-input 'b': expected \(PokeSpelling.setInputForm)"),
            (["--set-input", "0=b"], "--set-input '0=b': expected \(PokeSpelling.setInputForm)"),
            (["--set-input", "1=Q"], "--set-input '1=Q': 'Q' is not an input: expected 6 numbers separated by commas or one of the symbols \"\(vocab)\""),
            (["--set-input", "1=1,2"], "--set-input '1=1,2': 2 values given, the model reads 6 per step"),
            (["--set-input", "30=a"], "--set-input '30=a': step 30 is outside the sequence's steps 1 to 22"),
            (["--poke-layer", "2", "--clamp", "forget:2=0@3"], "--poke-layer 2: the model has one layer, 1"),
            (["--poke-layer", "1"], "--poke-layer says where --clamp and --nudge act; give one of them too"),
            (["--demo", "random", "--cell", "rnn", "--nudge", "forget:0=1"], "--nudge 'forget:0=1': the RNN has no gates to poke"),
        ]
        for (options, message) in cases {
            for command in ["trace", "render"] {
                let result = try Gatescope.run([command] + options)
                XCTAssertNotEqual(result.status, 0, "\(command) \(options)")
                XCTAssertEqual(result.stdout, "", "\(command) \(options)")
                XCTAssertEqual(result.stderr, "error: \(message)\n", "\(command) \(options)")
            }
        }
    }
}
