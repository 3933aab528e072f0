import Foundation
import XCTest
@testable import GateCore

final class TraceFormatTests: XCTestCase {
    private let hidden = 3
    private let layers = 2

    private func demo(_ cell: CellKind, hidden: Int? = nil) throws -> (Scenario, Trace) {
        let scenario = BuiltinDemo.scenario(cell: cell, hidden: hidden ?? self.hidden, layers: layers, seed: 4)
        return (scenario, try scenario.model.trace(scenario.inputs))
    }

    private func parseJSON(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try XCTUnwrap(object as? [String: Any])
    }

    /// JSON numbers as the float32 they spell.
    private func floats(_ value: Any?) throws -> [Float] {
        let numbers = try XCTUnwrap(value as? [NSNumber])
        return numbers.map { Float($0.doubleValue) }
    }

    // MARK: JSON

    func testJSONHasTheDocumentedShapeAndTheTracedValuesForEveryCell() throws {
        for cell in CellKind.allCases {
            let (scenario, trace) = try demo(cell)
            let json = try parseJSON(try TraceFormat.json.render(trace, of: scenario))
            XCTAssertEqual(json["cell"] as? String, cell.rawValue)
            XCTAssertEqual(json["input_size"] as? Int, 3)
            XCTAssertEqual(json["hidden_size"] as? Int, hidden)
            XCTAssertEqual(json["layers"] as? Int, layers)
            XCTAssertNil(json["y"])
            let steps = try XCTUnwrap(json["steps"] as? [[String: Any]])
            XCTAssertEqual(steps.count, BuiltinDemo.steps)
            for (t, step) in steps.enumerated() {
                XCTAssertEqual(step["t"] as? Int, t)
                XCTAssertEqual(step["label"] as? String, scenario.stepLabels[t])
                XCTAssertEqual(try floats(step["x"]), scenario.inputs[t])
                let stepLayers = try XCTUnwrap(step["layers"] as? [[String: Any]])
                XCTAssertEqual(stepLayers.count, layers)
                for (k, layer) in stepLayers.enumerated() {
                    XCTAssertEqual(layer["layer"] as? Int, k)
                    let gates = try XCTUnwrap(layer["gates"] as? [String: Any])
                    XCTAssertEqual(Set(gates.keys), Set(cell.gates.map(\.rawValue)), "\(cell)")
                    for gate in cell.gates {
                        XCTAssertEqual(try floats(gates[gate.rawValue]), Array(trace.gate(gate, t: t, layer: k)))
                        let pre = try XCTUnwrap(layer["preactivations"] as? [String: Any])
                        XCTAssertEqual(try floats(pre[gate.rawValue]), Array(trace.preactivation(gate, t: t, layer: k)))
                    }
                    XCTAssertEqual(try floats(layer["h"]), Array(trace.hidden(t: t, layer: k)))
                    if cell == .lstm {
                        XCTAssertEqual(try floats(layer["c"]), Array(trace.cellState(t: t, layer: k)))
                    } else {
                        XCTAssertNil(layer["c"], "\(cell) has no cell state")
                    }
                    if cell == .rnn {
                        // The RNN's single block is h itself: its pre-activation is listed as "h".
                        let pre = try XCTUnwrap(layer["preactivations"] as? [String: Any])
                        let h = try floats(layer["h"])
                        XCTAssertEqual(try floats(pre["h"]).map(tanhStable), h)
                    }
                }
            }
        }
    }

    func testJSONNumbersReadBackAsTheSameFloat32() {
        var rng = SeededGenerator(seed: 99)
        var values: [Float] = [0, -0.0, 1e-5, 0.1, 1 / 3, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                               .leastNonzeroMagnitude, .leastNormalMagnitude, 16_777_216, -123_456.79]
        while values.count < 20_000 {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            if value.isFinite { values.append(value) }
        }
        for value in values {
            let text = TraceFormat.exactNumber(value)
            XCTAssertEqual(Float(text)?.bitPattern, value.bitPattern, text)
            // JSON numbers: optional minus, digits, optional fraction and exponent; no "nan"/"inf".
            XCTAssertNotNil(text.range(of: #"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$"#, options: .regularExpression), text)
        }
        XCTAssertEqual(TraceFormat.exactNumber(.nan), "null")
        XCTAssertEqual(TraceFormat.exactNumber(.infinity), "null")
        XCTAssertEqual(TraceFormat.exactNumber(-.infinity), "null")
    }

    func testJSONCarriesTheHeadOutputVocabularyAndEscapedLabels() throws {
        let vocab: [Character] = ["a", "\"", "\n", "\\"]
        var model = RecurrentModel.random(cell: .gru, inputSize: 4, hiddenSize: 3, outputSize: 4, seed: 1)
        model.vocab = vocab
        let inputs = try InputSource.text("a\"\n\\a").load(for: model)
        let scenario = Scenario.loaded(model, name: "odd \"name\".safetensors", inputs: inputs, seed: 0)
        let trace = try model.trace(scenario.inputs)
        let json = try parseJSON(try TraceFormat.json.render(trace, of: scenario))
        XCTAssertEqual(json["output_size"] as? Int, 4)
        XCTAssertEqual(json["vocab"] as? String, String(vocab))
        XCTAssertEqual(json["model"] as? String, "odd \"name\".safetensors")
        let steps = try XCTUnwrap(json["steps"] as? [[String: Any]])
        XCTAssertEqual(steps.map { $0["label"] as? String }, scenario.stepLabels.map(Optional.some))
        for (t, step) in steps.enumerated() {
            XCTAssertEqual(try floats(step["y"]), Array(trace.output(t: t)))
        }
    }

    func testLayerOptionKeepsOnlyThatLayerAndNamesIt() throws {
        let (scenario, trace) = try demo(.lstm)
        // --layer counts from 1 as the screen does; JSON keeps the 0-based index.
        let json = try parseJSON(try TraceFormat.json.render(trace, of: scenario, layer: 2))
        let steps = try XCTUnwrap(json["steps"] as? [[String: Any]])
        let onlyLayer = try XCTUnwrap((steps[5]["layers"] as? [[String: Any]])?.first)
        XCTAssertEqual((steps[5]["layers"] as? [Any])?.count, 1)
        XCTAssertEqual(onlyLayer["layer"] as? Int, 1)
        XCTAssertEqual(try floats(onlyLayer["h"]), Array(trace.hidden(t: 5, layer: 1)))

        for format in TraceFormat.allCases {
            for layer in [0, 3] {
                XCTAssertThrowsError(try format.render(trace, of: scenario, layer: layer)) {
                    XCTAssertEqual(($0 as? GateError)?.message,
                                   "--layer \(layer) is out of range: layers count from 1, and the model has 2 layers, so 1 to 2")
                }
            }
        }
    }

    func testUnknownFormatListsTheValidOnes() {
        XCTAssertEqual(try TraceFormat(spelling: "JSON"), .json)
        XCTAssertThrowsError(try TraceFormat(spelling: "xml")) {
            XCTAssertEqual(($0 as? GateError)?.message, "unknown format 'xml': expected one of table, csv, json")
        }
    }

    // MARK: CSV

    func testCSVHasOneRowPerStepLayerAndUnitWithExactValues() throws {
        let headers: [CellKind: String] = [
            .lstm: "t,layer,unit,i,f,g,o,c,h,i_pre,f_pre,g_pre,o_pre",
            .gru: "t,layer,unit,r,z,n,h,r_pre,z_pre,n_pre,n_recurrent",
            .gruResetBefore: "t,layer,unit,r,z,n,h,r_pre,z_pre,n_pre,n_recurrent",
            .rnn: "t,layer,unit,h,h_pre",
        ]
        for cell in CellKind.allCases {
            let (scenario, trace) = try demo(cell)
            let lines = try TraceFormat.csv.render(trace, of: scenario).split(separator: "\n")
            XCTAssertEqual(lines.first.map(String.init), headers[cell])
            let header = lines[0].split(separator: ",").map(String.init)
            let rows = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            XCTAssertEqual(rows.count, BuiltinDemo.steps * layers * hidden)
            let hColumn = try XCTUnwrap(header.firstIndex(of: "h"))
            for row in rows {
                XCTAssertEqual(row.count, header.count)
                let (t, k, u) = (Int(row[0]) ?? -1, Int(row[1]) ?? -1, Int(row[2]) ?? -1)
                let h = trace.hidden(t: t, layer: k)
                XCTAssertEqual(Float(row[hColumn]), h[h.startIndex + u])
                if let first = cell.gates.first {
                    let gate = trace.gate(first, t: t, layer: k)
                    XCTAssertEqual(Float(row[3]), gate[gate.startIndex + u])
                }
            }
            // Rows run t, then layer, then unit.
            XCTAssertEqual(rows[hidden].prefix(3), ["0", "1", "0"])
            XCTAssertEqual(try TraceFormat.csv.render(trace, of: scenario, layer: 1).split(separator: "\n").count,
                           BuiltinDemo.steps * hidden + 1)
        }
    }

    // MARK: Table

    func testTableFitsEightyColumnsAndShowsEveryUnit() throws {
        for cell in CellKind.allCases {
            let (scenario, trace) = try demo(cell, hidden: 8)
            let text = try TraceFormat.table.render(trace, of: scenario)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            for line in lines { XCTAssertLessThanOrEqual(line.count, 80, "\(cell): \(line)") }
            // Steps count from 1, as on the screen.
            let stepLines = lines.filter { $0.hasPrefix("step ") }
            XCTAssertEqual(stepLines.map { $0.split(separator: " ")[1] }, (1...BuiltinDemo.steps).map { "\($0)"[...] })
            // The columns in the screen's order: gates, candidate, then c and h.
            let screenOrder: [CellKind: String] = [.lstm: "i f o g c h", .gru: "r z n h", .gruResetBefore: "r z n h", .rnn: "a h"]
            let header = try XCTUnwrap(lines.first { $0.hasPrefix(" layer unit") })
            XCTAssertEqual(header.split(separator: " ").dropFirst(2).joined(separator: " "), screenOrder[cell])

            // Unit rows: optional layer number (from 1), unit number, then one column per value.
            var t = -1, layer = 0, unitRows = 0
            for line in lines {
                if line.hasPrefix("step ") { t += 1; continue }
                let fields = line.split(separator: " ")
                guard t >= 0, let lastField = fields.last, let h = Float(lastField),
                      fields.count >= 2, fields.allSatisfy({ Float($0) != nil }) else { continue }
                let columns = 1 + (screenOrder[cell]?.split(separator: " ").count ?? 0)
                if fields.count == columns + 1, let k = Int(fields[0]) { layer = k - 1 }
                let unit = Int(fields[fields.count - columns]) ?? -1
                let expected = trace.hidden(t: t, layer: layer)
                XCTAssertEqual(h, expected[expected.startIndex + unit], accuracy: 5e-5)
                unitRows += 1
            }
            XCTAssertEqual(unitRows, BuiltinDemo.steps * layers * 8, "\(cell)")
        }
    }

    /// A hybrid stack's layers differ in width: the table's first line names each.
    func testTableNamesEveryLayersWidthOfAHybridStack() throws {
        var model = RecurrentModel.random(cells: [.gru], inputSize: 3, hiddenSize: 7, seed: 1)
        model.layers += RecurrentModel.random(cells: [.lstm], inputSize: 7, hiddenSize: 5, seed: 2).layers
        let inputs = try InputSource.random(steps: 3, seed: 0).load(for: model, vocabulary: nil)
        let scenario = Scenario.loaded(model, name: "hybrid.pth", inputs: inputs, seed: 0)
        let text = try TraceFormat.table.render(try model.trace(scenario.inputs), of: scenario)
        XCTAssertTrue(text.hasPrefix("GRU → LSTM, 2 layers, input 3, hidden 7, 5, 3 steps\n"), text)
        XCTAssertEqual(Wording.widths([8, 8]), "8")
        XCTAssertEqual(Wording.widths([7, 5]), "7, 5")
    }

    func testTableNamesTheMostLikelyNextCharactersOfATextModel() throws {
        var model = RecurrentModel.random(cell: .lstm, inputSize: 3, hiddenSize: 4, outputSize: 3, seed: 5)
        model.vocab = ["x", "y", "z"]
        let scenario = Scenario.loaded(model, name: "m", inputs: try InputSource.text("xyz").load(for: model), seed: 0)
        let trace = try model.trace(scenario.inputs)
        let yLines = try TraceFormat.table.render(trace, of: scenario).split(separator: "\n").filter { $0.hasPrefix("step ") }
        XCTAssertEqual(yLines.count, 3)
        for (t, line) in yLines.enumerated() {
            let y = trace.output(t: t).map(Double.init)
            let exp = y.map { Foundation.exp($0) }
            let best = exp.indices.max { exp[$0] < exp[$1] } ?? 0
            let probability = String(format: "%.2f", exp[best] / exp.reduce(0, +))
            // As the screen's input line: the input, then the likeliest next characters.
            let x = ["'x'", "'y'", "'z'"][t]
            XCTAssertTrue(line.hasPrefix("step \(t + 1)  x = \(x)   output: '\(model.vocab?[best] ?? "?")' \(probability)"), String(line))
        }
    }

    // MARK: Values beyond the usual

    /// A one-step trace of an RNN with these weights and no biases.
    private func rnnTrace(input: [Float], weightIH: [Float], hidden: Int, head: LinearHead? = nil) throws -> (Scenario, Trace) {
        let layer = LayerWeights(inputSize: input.count, hiddenSize: hidden, weightIH: weightIH,
                                 weightHH: [Float](repeating: 0, count: hidden * hidden), biasIH: nil, biasHH: nil)
        let model = RecurrentModel(cell: .rnn, layers: [layer], head: head)
        let scenario = Scenario(model: model, modelName: "extreme weights", inputs: [input],
                                stepLabels: ["x"], inputDescription: "one step")
        return (scenario, try model.trace([input]))
    }

    func testCSVSpellsInfinitiesAndNaNSoThatFloatReadsThemBack() throws {
        // float32 pre-activations that overflow, from finite weights: 3e38·2 = +inf and
        // -3e38·2 = -inf. Whether +inf - inf (NaN) arises depends on the kernel's order of
        // additions, so the third unit's NaN is put into the record directly.
        let big: Float = 3e38
        let (scenario, traced) = try rnnTrace(input: [2, 2], weightIH: [big, big, -big, -big, 0, 0], hidden: 3)
        var trace = traced
        trace.preactivations[2] = .nan
        let lines = try TraceFormat.csv.render(trace, of: scenario).split(separator: "\n")
        XCTAssertEqual(lines.first, "t,layer,unit,h,h_pre")
        let preactivations = lines.dropFirst().map { $0.split(separator: ",").last.map(String.init) ?? "" }
        XCTAssertEqual(preactivations, ["inf", "-inf", "nan"])
        for (u, field) in preactivations.enumerated() {
            let value = try XCTUnwrap(Float(field), field)
            let traced = trace.preactivations[u]
            XCTAssertTrue(value == traced || (value.isNaN && traced.isNaN), "\(field) vs \(traced)")
        }
    }

    func testTablePrintsHugeValuesWithAnExponentWithinTheColumn() throws {
        // y = W h with h = tanh(5) ≈ 1: one output near 2.9e38, one near 0.5.
        let head = LinearHead(outputSize: 2, inputSize: 1, weight: [2.9e38, 0.5], bias: nil)
        let (scenario, trace) = try rnnTrace(input: [5], weightIH: [1], hidden: 1, head: head)
        let table = try TraceFormat.table.render(trace, of: scenario)
        // Unnamed outputs: their values after the input, on the step's line.
        let stepLine = try XCTUnwrap(table.split(separator: "\n").first { $0.hasPrefix("step 1 ") })
        let yPart = try XCTUnwrap(stepLine.range(of: "y = ("))
        let fields = stepLine[yPart.upperBound...].dropLast().components(separatedBy: ", ")
        let y = trace.output(t: 0)
        XCTAssertEqual(fields.count, y.count)
        XCTAssertEqual(fields.last, String(format: "%.4f", Double(y[y.startIndex + 1])))  // small: four decimals
        let huge = Double(y[y.startIndex])
        XCTAssertGreaterThan(abs(huge), 1e6)
        XCTAssertTrue(fields[0].contains("e+"), fields[0])
        XCTAssertLessThanOrEqual(fields[0].count, 9, fields[0])
        let printed = try XCTUnwrap(Double(fields[0]))
        XCTAssertEqual(printed, huge, accuracy: abs(huge) * 0.01)
    }

    // MARK: Output files

    func testOutputFileIsWrittenWholeOrNotAtAll() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("trace.json").path
        try OutputFile.write("first", to: target)
        try OutputFile.write("second ✓", to: target)
        XCTAssertEqual(try String(contentsOfFile: target, encoding: .utf8), "second ✓")

        // A target that is a directory cannot be replaced: an error naming it, no leftovers.
        let blocked = directory.appendingPathComponent("blocked").path
        try FileManager.default.createDirectory(atPath: blocked, withIntermediateDirectories: false)
        XCTAssertThrowsError(try OutputFile.write("x", to: blocked)) {
            XCTAssertEqual(($0 as? GateError)?.message, "\(blocked): cannot write: is a directory")
        }
        let missing = directory.appendingPathComponent("no/such/dir.json").path
        XCTAssertThrowsError(try OutputFile.write("x", to: missing)) {
            XCTAssertEqual(($0 as? GateError)?.message, "\(missing): cannot write: directory \(directory.path)/no/such does not exist")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["blocked", "trace.json"])
    }
}
