import Foundation
@testable import GateCore
import Testing

/// Keras files (Tests/Fixtures/keras/, written by Tools/reference/make_keras_fixtures.py with
/// Keras 3 on the torch backend): every h and c of the trace against Keras' own, the gates
/// against Keras' formulas recomputed from the Keras weights, and a refusal per feature
/// gatescope does not compute.
@Suite("Keras models against Keras")
struct KerasFileTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/keras")

    static var cases: [ModelFixtureCase] {
        struct Index: Decodable { var cases: [ModelFixtureCase] }
        let data = (try? Data(contentsOf: directory.appendingPathComponent("index.json"))) ?? Data()
        return (try? JSONDecoder().decode(Index.self, from: data).cases) ?? []
    }

    static func path(_ file: String) -> String { directory.appendingPathComponent(file).path }

    @Test func theFixturesCoverEveryKerasForm() {
        let files = Set(Self.cases.map(\.file))
        #expect(files.contains { $0.hasSuffix(".keras") } && files.contains { $0.hasSuffix(".weights.h5") }
            && files.contains { $0.hasSuffix(".h5") && !$0.hasSuffix(".weights.h5") }, "\(files)")
    }

    @Test("The pipeline gatescope finds in a Keras file matches Keras within 1e-5", arguments: cases)
    func matchesKeras(_ reference: ModelFixtureCase) throws {
        try ModelFixtureTests.check(reference, in: Self.directory)
    }

    /// Each refusal names the feature, so a student knows what to change.
    @Test(arguments: [
        ("hard_sigmoid.keras", "recurrent_activation=\"hard_sigmoid\""),
        ("layer_between.keras", "LayerNormalization"),
        ("merge_sum.keras", "merges its directions by sum"),
        ("mask_zero.keras", "mask_zero=True"),
        ("ambiguous.weights.h5", "without their architecture, and the recurrent layers' sizes chain in 2 orders"),
    ])
    func refusalNamesTheFeature(_ file: String, _ named: String) throws {
        let path = Self.path(file)
        let error = #expect(throws: GateError.self) { _ = try ModelFile.load(path: path) }
        #expect(error?.message.hasPrefix(path + ": ") == true && error?.message.contains(named) == true,
                "\(error?.message ?? "")")
    }

    @Test func inspectNamesKerasAndItsConventions() throws {
        let report = try ModelFile.report(path: Self.path("stack.keras"))
        #expect(report.contains("from Keras: Keras 3 .keras archive"))
        #expect(report.contains("hybrid — LSTM → GRU (reset before), from the Keras config"))
        // Keras 3 files the weights by class ("layers/gru"), not by the layer's name.
        #expect(report.contains(".weight_ih_l0 ← layers/gru/cell/vars/0 (kernel) transposed, blocks z, r, h → r, z, n"))
        #expect(report.contains("Keras calls the candidate c"))
        #expect(report.contains("reset_after=False, r acts before the recurrent product"))
        // The screen's input line carries the same in short.
        #expect(try ModelFile.load(path: Self.path("stack.keras")).frameworkNote
            == "from Keras: candidate c = g, h = n, reset before")
        #expect(try ModelFile.load(path: Self.path("simple_rnn.keras")).frameworkNote == "from Keras")
        #expect(RecurrentModel.random(cell: .gru, inputSize: 2, hiddenSize: 2, seed: 1).frameworkNote == nil)
    }

    // MARK: Hostile HDF5

    /// Every prefix of a real Keras HDF5 file, and the file with each byte in turn flipped,
    /// is refused with an error naming it or opens: never a trap, never a hang.
    /// Both layouts: superblock 0 with symbol tables, superblock 3 with OHDR headers and links.
    @Test(arguments: ["stack_legacy.h5", "stack_latest.h5"])
    func damagedHDF5IsAnErrorNeverATrap(_ file: String) throws {
        let original = try [UInt8](Data(contentsOf: Self.directory.appendingPathComponent(file)))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-hdf5-\(getpid()).h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var refused = 0
        func attempt(_ bytes: [UInt8]) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                _ = try ModelFile.load(path: path)
            } catch let error as GateError {
                #expect(error.message.hasPrefix(path), "\(error.message)")
                refused += 1
            }
        }
        for length in stride(from: 0, to: original.count, by: max(1, original.count / 97)) {
            try attempt(Array(original.prefix(length)))
        }
        // The structure (superblock, object headers, B-trees, heaps) sits in the first bytes
        // and between the datasets; flip every fifth of the first 2 KiB to large values.
        for offset in stride(from: 0, to: min(2048, original.count), by: 5) {
            var damaged = original
            damaged[offset] ^= 0xF0
            try attempt(damaged)
        }
        #expect(refused > 100)
    }

    @Test func anHDF5FileThatIsNotKerasSaysSo() throws {
        // The signature and a version-0 superblock whose root address points past the end.
        var bytes: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0, 0, 8, 8, 0]
        bytes += [UInt8](repeating: 0, count: 8) + [UInt8](repeating: 0, count: 32)
        bytes += [0, 0, 0, 0, 0, 0, 0, 0] + [0xFF, 0xFF, 0, 0, 0, 0, 0, 0]
        let error = #expect(throws: GateError.self) { _ = try HDF5File(bytes: bytes, source: "x.h5") }
        #expect(error?.message == "x.h5: HDF5 address 65535 at byte 64 is outside the file (72 bytes)")
    }
}

extension KerasFileTests {
    /// A group B-tree whose node lists itself as its child is a loop, refused at once rather
    /// than followed until the depth limit (or forever).
    @Test func aGroupBTreeThatLoopsIsRefused() throws {
        var bytes = try [UInt8](Data(contentsOf: Self.directory.appendingPathComponent("stack_legacy.h5")))
        let tree = try #require((0..<bytes.count - 4).first { bytes[$0..<$0 + 4].elementsEqual("TREE".utf8) })
        // Node type (0: group), level, entries used, two sibling addresses, then key 0 and child 0.
        bytes[tree + 5] = 1
        let child = tree + 8 + 16 + 8
        for index in 0..<8 { bytes[child + index] = UInt8(truncatingIfNeeded: tree >> (8 * index)) }
        let error = #expect(throws: GateError.self) { _ = try HDF5File(bytes: bytes, source: "loop.h5").walk() }
        #expect(error?.message == "loop.h5: HDF5 group B-tree reaches the node at byte \(tree) twice")
    }
}
