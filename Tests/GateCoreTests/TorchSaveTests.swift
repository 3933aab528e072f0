import Foundation
import GateCore
import Testing

/// Tests/Fixtures/torchsave/expected.json, written by Tools/reference/make_torchsave_fixtures.py:
/// what torch.load gets back from each file.
struct TorchSaveExpected: Decodable {
    struct Tensor: Decodable {
        var name: String
        var shape: [Int]
        var dtype: String
        var values: [Double]
    }

    struct Module: Decodable {
        var path: String
        var `class`: String
        var attributes: [String: String]
    }

    struct Case: Decodable, CustomTestStringConvertible {
        var file: String
        var about: String
        var tensors: [Tensor]
        var modules: [Module]
        var other: [String]
        var testDescription: String { file }
    }

    var readable: [Case]

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/torchsave")

    static func path(_ file: String) -> String { directory.appendingPathComponent(file).path }

    static let cases: [Case] = {
        do {
            let data = try Data(contentsOf: directory.appendingPathComponent("expected.json"))
            return try JSONDecoder().decode(TorchSaveExpected.self, from: data).readable
        } catch {
            Issue.record("cannot read the torchsave fixtures: \(error)")
            return []
        }
    }()
}

/// A path named `name` in a fresh temporary folder.
func temporaryPath(_ name: String) throws -> URL {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("gatescope-torchsave-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent(name)
}

/// Writes `bytes` to a fresh temporary file named `name` and returns its path.
func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> String {
    let url = try temporaryPath(name)
    try Data(bytes).write(to: url)
    return url.path
}

/// The message of the GateError `body` throws (nil when it does not throw one).
func errorMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let error as GateError {
        return error.message
    } catch {
        return "not a GateError: \(error)"
    }
}

@Suite("torch.save files")
struct TorchSaveTests {
    @Test("every tensor is torch's, exactly", arguments: TorchSaveExpected.cases)
    func tensorsMatchTorch(_ expected: TorchSaveExpected.Case) throws {
        let file = try openTensorSource(path: TorchSaveExpected.path(expected.file))
        #expect(file is TorchSaveFile)
        #expect(file.entries.map(\.name) == expected.tensors.map(\.name))
        for tensor in expected.tensors {
            let entry = try #require(file.entries.first { $0.name == tensor.name })
            #expect(entry.shape == tensor.shape, "\(tensor.name)")
            #expect(entry.dtype == tensor.dtype, "\(tensor.name)")
            let values = try file.floats(named: tensor.name)
            // Bit for bit: torch's float32 values went through JSON as exact doubles.
            #expect(values.map(\.bitPattern) == tensor.values.map { Float($0).bitPattern }, "\(tensor.name)")
        }
    }

    @Test("a whole module's tree: paths, classes and attributes in order", arguments: TorchSaveExpected.cases)
    func moduleHints(_ expected: TorchSaveExpected.Case) throws {
        let file = try openTensorSource(path: TorchSaveExpected.path(expected.file))
        let hints = expected.modules.map { ModuleHint(path: $0.path, className: $0.class, attributes: $0.attributes) }
        #expect(file.modules == hints)
    }

    @Test func wholeModuleSaysBidirectionalAndProjection() throws {
        let sentiment = try TorchSaveFile(path: TorchSaveExpected.path("whole_module.pt"))
        let lstm = try #require(sentiment.modules.first { $0.path == "lstm" })
        #expect(lstm.className == "LSTM")
        #expect(lstm.attributes["bidirectional"] == "true")
        #expect(sentiment.modules.map(\.className) == ["SentimentNet", "Embedding", "LSTM", "Linear"])
        let projected = try TorchSaveFile(path: TorchSaveExpected.path("projected_module.pt"))
        #expect(projected.modules.first { $0.path == "lstm" }?.attributes["proj_size"] == "2")
        // A non-persistent buffer is not in the state_dict, a persistent one is.
        #expect(projected.entries.contains { $0.name == "scale" })
        #expect(!projected.entries.contains { $0.name == "scratch" })
    }

    @Test("a checkpoint's other entries are listed, in order", arguments: TorchSaveExpected.cases)
    func otherContents(_ expected: TorchSaveExpected.Case) throws {
        let file = try openTensorSource(path: TorchSaveExpected.path(expected.file))
        #expect(file.otherContents.map { String($0.prefix { $0 != ":" }) } == expected.other)
    }

    @Test func checkpointDescriptions() throws {
        let file = try TorchSaveFile(path: TorchSaveExpected.path("checkpoint.pth"))
        #expect(file.otherContents == [
            "epoch: 12", "optimizer_state_dict: dict of 2", "loss: 0.25", "note: \"trained on toy data\"",
            "device: torch.device", "input_shape: tuple of 2", "dtype: torch.float32", "tag: bytes (2)",
        ])
    }

    @Test func unknownTensorName() throws {
        let file = try TorchSaveFile(path: TorchSaveExpected.path("state_dict.pt"))
        let path = TorchSaveExpected.path("state_dict.pt")
        #expect(errorMessage { _ = try file.floats(named: "lstm.weight") } == "\(path): no tensor named lstm.weight")
    }

    // MARK: Refusals, one message each

    @Test func legacyFormat() {
        let path = TorchSaveExpected.path("legacy.pt")
        let message = errorMessage { _ = try openTensorSource(path: path) }
        #expect(message?.hasPrefix("\(path): a PyTorch file in the legacy format (PyTorch before 1.6") == true)
        #expect(message?.contains("re-save it with a current PyTorch") == true)
        #expect(message?.contains("safetensors") == true)
    }

    @Test func forbiddenGlobalIsNamedNeverCalled() {
        let path = TorchSaveExpected.path("forbidden.pt")
        let message = errorMessage { _ = try openTensorSource(path: path) }
        #expect(message?.hasPrefix("\(path): forbidden/data.pkl: REDUCE would call posix.system; gatescope never calls anything a file names") == true)
        #expect(message?.contains("(at byte ") == true)
    }

    @Test func plainPickle() {
        let path = TorchSaveExpected.path("plain.pkl")
        #expect(errorMessage { _ = try openTensorSource(path: path) }
            == "\(path): a plain Python pickle, not a torch.save file; gatescope reads .safetensors files, .pt/.pth files written by torch.save, Keras files (.keras, .h5) and .onnx models: save the weights with torch.save(model.state_dict(), \"model.pt\")")
    }

    @Test func torchScript() {
        let path = TorchSaveExpected.path("torchscript.pt")
        #expect(errorMessage { _ = try openTensorSource(path: path) }?
            .hasPrefix("\(path): a TorchScript archive (torch.jit.save), which gatescope does not read; save its weights in PyTorch") == true)
    }

    @Test func kerasArchive() {
        let path = TorchSaveExpected.path("model.keras")
        let message = errorMessage { _ = try openTensorSource(path: path) }
        // Read as Keras now (KerasFileTests); this one's weights are a cut-off HDF5 signature.
        #expect(message == "\(path): model.weights.h5: HDF5 data at byte 8 (1 bytes) runs past the end of the file (8 bytes)")
    }

    @Test func otherZip() {
        let path = TorchSaveExpected.path("notes.zip")
        #expect(errorMessage { _ = try openTensorSource(path: path) }
            == "\(path): a zip archive but not a torch.save file (no <folder>/data.pkl; it holds notes/readme.txt)")
    }

    @Test func hdf5() throws {
        let path = try temporaryFile("model.h5", [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0])
        let message = errorMessage { _ = try openTensorSource(path: path) }
        #expect(message == "\(path): HDF5 data at byte 13 (1 bytes) runs past the end of the file (12 bytes)")
    }

    @Test func onnx() throws {
        // ModelProto: field 1 (ir_version) = 8, then field 2 (producer_name), and no graph:
        // recognised as ONNX, and read by the ONNX reader (ONNXModelTests), which says so.
        let path = try temporaryFile("model.onnx", [0x08, 0x08, 0x12, 0x07] + Array("pytorch".utf8))
        #expect(errorMessage { _ = try openTensorSource(path: path) } == "\(path): an ONNX file without a graph")
    }

    @Test func csvGivenAsModel() throws {
        let path = try temporaryFile("steps.csv", Array("x0,x1\n0.5,1.0\n".utf8))
        #expect(errorMessage { _ = try openTensorSource(path: path) }
            == "\(path): a text file (CSV?), not a model file; gatescope reads .safetensors files, .pt/.pth files written by torch.save, Keras files (.keras, .h5) and .onnx models (inputs go with --input)")
    }

    @Test func plainTextGivenAsModel() throws {
        let path = try temporaryFile("model.txt", Array("my model\n".utf8))
        #expect(errorMessage { _ = try openTensorSource(path: path) }
            == "\(path): a text file, not a model file; gatescope reads .safetensors files, .pt/.pth files written by torch.save, Keras files (.keras, .h5) and .onnx models (inputs go with --input)")
    }

    @Test func brokenZip() throws {
        let path = try temporaryFile("model.pt", [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00])
        let message = errorMessage { _ = try openTensorSource(path: path) }
        #expect(message?.hasPrefix("\(path): starts like a zip archive but cannot be read as one (") == true)
        #expect(message?.hasSuffix("); a torch.save file may be truncated") == true)
    }

    @Test func emptyTorchFile() throws {
        let path = try temporaryFile("model.pth", [])
        #expect(errorMessage { _ = try openTensorSource(path: path) }
            == "\(path): not a torch.save file: it is not a zip archive (it starts with nothing, the file is empty)")
    }

    @Test func binaryWithTorchSuffix() throws {
        let path = try temporaryFile("model.pt", [0xDE, 0xAD, 0xBE, 0xEF, 0x00])
        #expect(errorMessage { _ = try openTensorSource(path: path) }
            == "\(path): not a torch.save file: it is not a zip archive (it starts with de ad be ef)")
    }

    @Test func safetensorsStillOpens() throws {
        let demo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/GateCore/Demos/lstm-delay.safetensors").path
        let file = try openTensorSource(path: demo)
        #expect(file is SafeTensorsFile)
        #expect(!file.entries.isEmpty)
    }

    @Test func missingFileAndDirectory() {
        #expect(errorMessage { _ = try openTensorSource(path: "/nonexistent/model.pt") } == "/nonexistent/model.pt: no such file")
        let directory = TorchSaveExpected.directory.path
        #expect(errorMessage { _ = try openTensorSource(path: directory) }
            == "\(directory): is a directory, not a model file (.safetensors, .pt, .pth)")
    }
}
