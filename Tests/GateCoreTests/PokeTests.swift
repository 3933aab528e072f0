import Foundation
import GateCore
import Testing

/// Pokes against PyTorch: each fixture of Tests/Fixtures/pokes (Tools/reference/
/// make_poke_fixtures.py) is a model file, its inputs, a list of pokes and the run PyTorch
/// recomputed step by step with them made; every gate, pre-activation, c, h and y must
/// match within 1e-5.
@Suite("Pokes")
struct PokeTests {
    static let directory = ReferenceFixtures.directory.deletingLastPathComponent().appendingPathComponent("pokes")

    struct Fixture: Decodable {
        struct FixturePoke: Decodable {
            var kind: String
            var layer: Int?
            var gate: String?
            var unit: Int?
            var value: Float?
            var delta: Float?
            var t: Int?
            var x: [Float]?
            var tFirst: Int?
            var tLast: Int?

            enum CodingKeys: String, CodingKey {
                case kind = "poke"
                case layer, gate, unit, value, delta, t, x
                case tFirst = "t_first"
                case tLast = "t_last"
            }

            /// A field the kind of poke needs, or an error naming it.
            private func need<T>(_ value: T?, _ name: String) throws -> T {
                guard let value else { throw GateError("a \(kind) poke without \(name)") }
                return value
            }

            func make() throws -> Poke {
                if kind == "set_input" { return .setInput(step: try need(t, "t"), input: .values(try need(x, "x"))) }
                let gateName = try need(gate, "gate")
                guard let gate = Gate(rawValue: gateName) else { throw GateError("no gate \(gateName)") }
                let site = PokeSite(layer: try need(layer, "layer"), gate: gate, unit: try need(unit, "unit"))
                if kind == "nudge" { return .nudge(site, delta: try need(delta, "delta")) }
                return .clamp(site, value: try need(value, "value"), span: StepSpan(first: try need(tFirst, "t_first"), last: tLast))
            }
        }

        var pokes: [FixturePoke]
        var x: [[Float]]
        var steps: [ReferenceTrace.Step]
    }

    static let names: [String] = {
        struct Index: Decodable {
            struct Case: Decodable { var name: String }
            var cases: [Case]
        }
        let data = try? Data(contentsOf: directory.appendingPathComponent("index.json"))
        return (data.flatMap { try? JSONDecoder().decode(Index.self, from: $0) }?.cases ?? []).map(\.name)
    }()

    @Test("the index lists LSTM and GRU cases with clamps, nudges and input changes")
    func indexCoversEveryPoke() throws {
        #expect(Self.names.count == 5)
        let fixtures = try Self.names.map(Self.fixture)
        let kinds = Set(fixtures.flatMap { $0.pokes.map(\.kind) })
        #expect(kinds == ["clamp", "nudge", "set_input"])
    }

    static func fixture(_ name: String) throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: directory.appendingPathComponent("\(name).json")))
    }

    @Test("a poked trace matches PyTorch's poked recomputation within 1e-5", arguments: names)
    func matchesPyTorch(_ name: String) throws {
        let fixture = try Self.fixture(name)
        let model = try ModelFile.load(path: Self.directory.appendingPathComponent("\(name).safetensors").path)
        let pokes = try fixture.pokes.map { try $0.make() }
        let trace = try model.trace(fixture.x, tokens: nil, pokes: pokes)
        #expect(trace.pokes == pokes)
        var values = ErrorTally(), pre = ErrorTally(relative: true)
        for step in fixture.steps {
            let t = step.t
            values.compare(trace.inputs[t], step.x, "x[\(t)]")
            for (k, layer) in step.layers.enumerated() {
                for (name, expected) in layer.gates {
                    let gate = try #require(Gate(rawValue: name))
                    values.compare(trace.gate(gate, t: t, layer: k), expected, "\(name)[t=\(t), layer \(k)]")
                }
                if let c = layer.c { values.compare(trace.cellState(t: t, layer: k), c, "c[t=\(t), layer \(k)]") }
                values.compare(trace.hidden(t: t, layer: k), layer.h, "h[t=\(t), layer \(k)]")
                let blocks = (0..<model.layers[k].cell.blockCount).flatMap {
                    trace.preactivation(block: $0, t: t, layer: k)
                }
                pre.compare(blocks, layer.preactivations, "pre[t=\(t), layer \(k)]")
            }
            if let y = step.y { values.compare(trace.output(t: t), y, "y[\(t)]") }
        }
        #expect(values.worst <= 1e-5 && values.mismatches.isEmpty, "\(values.summary)")
        #expect(pre.worst <= 1e-5 && pre.mismatches.isEmpty, "\(pre.summary)")
        // The run really differs from the unpoked one.
        let plain = try model.trace(fixture.x)
        #expect(plain.hiddenStates != trace.hiddenStates)
    }

    @Test("without pokes the trace is the model's own run, bit for bit")
    func noPokesIsThePlainTrace() throws {
        let model = RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 4, layers: 2, outputSize: 2, seed: 5)
        let inputs = (0..<6).map { t in (0..<3).map { Float(t - $0) / 4 } }
        let plain = try model.trace(inputs)
        let poked = try model.trace(inputs, tokens: nil, pokes: [])
        #expect(plain.hiddenStates == poked.hiddenStates && plain.outputs == poked.outputs && poked.pokes.isEmpty)
    }

    @Test("a clamp acts in the reverse direction of a bidirectional layer only")
    func reverseDirection() throws {
        let model = RecurrentModel.random(cells: [.gru], inputSize: 2, hiddenSize: 3, bidirectional: true, seed: 9)
        let inputs = (0..<5).map { t in [Float(t) / 5, 1 - Float(t) / 5] }
        let plain = try model.trace(inputs)
        let site = PokeSite(direction: .reverse, gate: .update, unit: 1)
        let poked = try model.trace(inputs, tokens: nil, pokes: [.clamp(site, value: 1, span: .step(2))])
        #expect(Array(poked.gate(.update, t: 2, layer: 0, direction: .reverse))[1] == 1)
        #expect(poked.preactivation(.update, t: 2, layer: 0, direction: .reverse)
            == plain.preactivation(.update, t: 2, layer: 0, direction: .reverse))
        for t in 0..<5 { #expect(poked.hidden(t: t, layer: 0) == plain.hidden(t: t, layer: 0)) }
        // The reverse pass runs from the last step: steps after 2 in time are untouched.
        #expect(poked.hidden(t: 3, layer: 0, direction: .reverse) == plain.hidden(t: 3, layer: 0, direction: .reverse))
        #expect(poked.hidden(t: 1, layer: 0, direction: .reverse) != plain.hidden(t: 1, layer: 0, direction: .reverse))
    }

    @Test("a poke that does not fit the model is refused, saying what fits", arguments: [
        (Poke.clamp(PokeSite(gate: .reset, unit: 0), value: 0, span: .step(0)), "the LSTM has no reset gate: its gates are input, forget, output"),
        (.clamp(PokeSite(gate: .candidate, unit: 0), value: 0, span: .step(0)), "the LSTM has no candidate gate: its gates are input, forget, output"),
        (.clamp(PokeSite(gate: .forget, unit: 4), value: 0, span: .step(0)), "unit 4 is outside layer 1's units 0 to 3"),
        (.clamp(PokeSite(layer: 2, gate: .forget, unit: 0), value: 0, span: .step(0)), "layer 3 is outside the model's layers 1 to 2"),
        (.clamp(PokeSite(direction: .reverse, gate: .forget, unit: 0), value: 0, span: .step(0)), "layer 1 has no reverse direction"),
        (.clamp(PokeSite(gate: .forget, unit: 0), value: 0, span: .step(6)), "step 7 is outside the sequence's steps 1 to 6"),
        (.clamp(PokeSite(gate: .forget, unit: 0), value: 0, span: StepSpan(first: 3, last: 1)), "the steps 4-2 run backwards"),
        (.clamp(PokeSite(gate: .forget, unit: 0), value: .nan, span: .step(0)), "the clamp value must be a finite number"),
        (.nudge(PokeSite(gate: .forget, unit: 0), delta: .infinity), "the nudge must be a finite number"),
        (.setInput(step: 0, input: .values([1, 2])), "2 values given, the model reads 3 per step"),
        (.setInput(step: 0, input: .token(1)), "this model has no embedding: give the step's 3 values"),
    ])
    func refusesWhatDoesNotFit(_ poke: Poke, _ message: String) throws {
        let model = RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 4, layers: 2, seed: 5)
        let inputs = [[Float]](repeating: [0.5, -0.5, 0.25], count: 6)
        #expect(throws: GateError(message)) { try model.trace(inputs, tokens: nil, pokes: [poke]) }
    }

    @Test("the RNN has no gates to poke")
    func rnnRefuses() {
        let model = RecurrentModel.random(cell: .rnn, inputSize: 2, hiddenSize: 2, seed: 1)
        #expect(throws: GateError("the RNN has no gates to poke")) {
            try model.trace([[0, 1]], tokens: nil, pokes: [.nudge(PokeSite(gate: .forget, unit: 0), delta: 1)])
        }
    }
}
