import Foundation
import GateCore
import Testing

/// gatescope's math against PyTorch: every fixture's model file is loaded with
/// `ModelFile.load`, traced on the fixture's inputs, and every gate, c, h and y must match
/// what PyTorch computed (Tools/reference/make_fixtures.py) within 1e-5.
@Suite("PyTorch reference fixtures")
struct ReferenceTests {
    static let tolerance: Float = 1e-5

    @Test("the index lists every fixture file and covers every cell kind and dtype")
    func indexListsEveryFixture() throws {
        let cases = try ReferenceFixtures.loadIndex()
        let files = try FileManager.default.contentsOfDirectory(atPath: ReferenceFixtures.directory.path)
        func stems(_ suffix: String) -> Set<String> {
            Set(files.filter { $0.hasSuffix(suffix) && $0 != "index.json" }.map { String($0.dropLast(suffix.count)) })
        }
        #expect(Set(cases.map(\.name)) == stems(".safetensors"))
        #expect(stems(".json") == stems(".safetensors"))
        let kinds = try Set(cases.map { try ReferenceFixtures.expected($0).cell })
        #expect(kinds == Set(CellKind.allCases.map(\.rawValue)))
        #expect(Set(cases.map(\.dtype)) == ["F32", "F64", "F16", "BF16"])
        #expect(cases.contains { !$0.bias })
        #expect(cases.contains { $0.vocab != nil })
        #expect(cases.contains { $0.isRoundTrip })
    }

    /// The round-trip fixtures were written by `gatescope init` and loaded by PyTorch with
    /// `load_state_dict(strict=True)`; saving them again must give the same bytes, so what
    /// PyTorch accepted is still what gatescope writes.
    @Test("gatescope still writes the round-trip files byte for byte",
          arguments: ReferenceFixtures.cases.filter(\.isRoundTrip))
    func roundTripFilesAreWhatGatescopeWrites(_ reference: ReferenceCase) throws {
        let committed = try Data(contentsOf: URL(fileURLWithPath: reference.modelPath))
        let model = try ModelFile.load(path: reference.modelPath)
        let rewritten = FileManager.default.temporaryDirectory
            .appendingPathComponent("gatescope-roundtrip-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: rewritten) }
        try ModelFile.save(model, to: rewritten.path)
        #expect(try Data(contentsOf: rewritten) == committed)
    }

    @Test("gatescope's trace matches PyTorch within 1e-5", arguments: ReferenceFixtures.cases)
    func matchesPyTorch(_ reference: ReferenceCase) throws {
        let expected = try ReferenceFixtures.expected(reference)
        let cell = try #require(CellKind(rawValue: expected.cell))
        let override = try reference.loadCell.map { try #require(CellKind(rawValue: $0)) }
        let model = try ModelFile.load(path: reference.modelPath, cell: override)
        #expect(model.cell == cell)
        #expect(model.inputSize == expected.inputSize)
        #expect(model.hiddenSize == expected.hiddenSize)
        #expect(model.layerCount == expected.layers)
        #expect(model.hasBias == reference.bias)
        #expect(model.vocab == reference.vocab.map(Array.init))
        #expect((model.head != nil) == (expected.steps.first?.y != nil))

        let trace = try model.trace(expected.steps.map(\.x), initialHidden: expected.initialH,
                                    initialCell: expected.initialC)
        var values = ErrorTally()
        var preactivations = ErrorTally(relative: true)
        for (t, step) in expected.steps.enumerated() {
            guard step.t == t, step.layers.count == model.layerCount else {
                values.note("step \(t) of the fixture is malformed")
                continue
            }
            for (k, layer) in step.layers.enumerated() {
                let place = "t=\(t) layer \(k)"
                if Set(layer.gates.keys) != Set(cell.gates.map(\.rawValue)) {
                    values.note("\(place): fixture gates \(layer.gates.keys.sorted())")
                }
                for gate in cell.gates {
                    values.compare(trace.gate(gate, t: t, layer: k), layer.gates[gate.rawValue] ?? [],
                                   "\(place) \(gate.rawValue)")
                }
                values.compare(trace.cellState(t: t, layer: k), layer.c ?? [], "\(place) c")
                values.compare(trace.hidden(t: t, layer: k), layer.h, "\(place) h")
                preactivations.compare((0..<cell.blockCount).flatMap { trace.preactivation(block: $0, t: t, layer: k) },
                                       layer.preactivations, "\(place) pre-activation")
            }
            values.compare(trace.output(t: t), step.y ?? [], "t=\(t) y")
        }
        #expect(values.worst <= Self.tolerance && values.mismatches.isEmpty,
                "\(reference.name) (\(reference.about)): gates, c, h, y \(values.summary)")
        #expect(preactivations.worst <= Self.tolerance && preactivations.mismatches.isEmpty,
                "\(reference.name) (\(reference.about)): pre-activations \(preactivations.summary)")
    }
}
