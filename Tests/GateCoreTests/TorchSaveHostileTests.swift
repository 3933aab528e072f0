import Foundation
import Testing
import ZIPFoundation
@testable import GateCore

/// Pickle bytes written by hand, opcode by opcode (pickletools' names), so that tests can
/// make any pickle torch would write, and many it never would.
enum PickleBytes {
    static let proto2: [UInt8] = [0x80, 0x02]
    static let mark: [UInt8] = [0x28], tuple: [UInt8] = [0x74], emptyTuple: [UInt8] = [0x29]
    static let emptyDict: [UInt8] = [0x7D], setItems: [UInt8] = [0x75], emptyList: [UInt8] = [0x5D]
    static let reduce: [UInt8] = [0x52], newObj: [UInt8] = [0x81], build: [UInt8] = [0x62]
    static let binPersId: [UInt8] = [0x51], newFalse: [UInt8] = [0x89], stop: [UInt8] = [0x2E]
    static let append: [UInt8] = [0x61], none: [UInt8] = [0x4E], tuple1: [UInt8] = [0x85]

    static func string(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        return [0x58] + SafeTensorsBytes.littleEndian(UInt64(utf8.count), width: 4) + utf8
    }

    static func int(_ value: Int) -> [UInt8] {
        [0x4A] + SafeTensorsBytes.littleEndian(UInt64(UInt32(truncatingIfNeeded: value)), width: 4)
    }

    static func global(_ module: String, _ name: String) -> [UInt8] {
        [0x63] + Array("\(module)\n\(name)\n".utf8)
    }

    static func ints(_ values: [Int]) -> [UInt8] { mark + values.flatMap(int) + tuple }
    static func put(_ slot: UInt8) -> [UInt8] { [0x71, slot] }
    static func get(_ slot: UInt8) -> [UInt8] { [0x68, slot] }

    /// `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', count), offset, shape, strides, False, {})`.
    static func tensor(storage type: String = "FloatStorage", key: String = "0", count: Int,
                       offset: Int = 0, shape: [Int], strides: [Int]) -> [UInt8] {
        global("torch._utils", "_rebuild_tensor_v2") + mark
            + mark + string("storage") + global("torch", type) + string(key) + string("cpu") + int(count) + tuple
            + binPersId + int(offset) + ints(shape) + ints(strides) + newFalse + emptyDict + tuple + reduce
    }

    /// A state_dict (a plain dict) of named tensors.
    static func stateDict(_ tensors: [(String, [UInt8])]) -> [UInt8] {
        proto2 + emptyDict + mark + tensors.flatMap { string($0.0) + $0.1 } + setItems + stop
    }
}

/// A torch.save archive made by hand: `<folder>/data.pkl`, `<folder>/data/<key>`, `byteorder`.
private func torchArchive(pickle: [UInt8], storages: [String: [UInt8]] = [:], byteorder: String? = "little",
                          folder: String = "archive", compression: CompressionMethod = .none) throws -> String {
    let url = try temporaryPath("model.pt")
    let archive = try Archive(url: url, accessMode: .create)
    var records = [("\(folder)/data.pkl", pickle)]
    if let byteorder { records.append(("\(folder)/byteorder", Array(byteorder.utf8))) }
    records += storages.sorted { $0.key < $1.key }.map { ("\(folder)/data/\($0.key)", $0.value) }
    for (name, bytes) in records {
        try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(bytes.count),
                             compressionMethod: compression) { position, size in
            Data(bytes[Int(position)..<Int(position) + size])
        }
    }
    return url.path
}

private func floatBytes(_ values: [Float], bigEndian: Bool = false) -> [UInt8] {
    values.flatMap { value -> [UInt8] in
        let little = SafeTensorsBytes.littleEndian(UInt64(value.bitPattern), width: 4)
        return bigEndian ? little.reversed() : little
    }
}

@Suite("torch.save files made by hand, hostile or odd")
struct TorchSaveHostileTests {
    let six: [Float] = [0, 1, 2, 3, 4, 5]

    @Test func broadcastAndOffsetViewsAreMaterialisedRowMajor() throws {
        let path = try torchArchive(
            pickle: PickleBytes.stateDict([
                ("repeated", PickleBytes.tensor(count: 6, offset: 4, shape: [2, 3], strides: [0, 0])),
                ("tail", PickleBytes.tensor(count: 6, offset: 3, shape: [3], strides: [1])),
            ]),
            storages: ["0": floatBytes(six)])
        let file = try TorchSaveFile(path: path)
        #expect(try file.floats(named: "repeated") == [4, 4, 4, 4, 4, 4])
        #expect(try file.floats(named: "tail") == [3, 4, 5])
    }

    @Test func bigEndianStorages() throws {
        let path = try torchArchive(
            pickle: PickleBytes.stateDict([("w", PickleBytes.tensor(count: 6, shape: [3, 2], strides: [1, 3]))]),
            storages: ["0": floatBytes(six, bigEndian: true)], byteorder: "big")
        #expect(try TorchSaveFile(path: path).floats(named: "w") == [0, 3, 1, 4, 2, 5])
    }

    /// A re-zipped file (deflated records, so chunks end mid-value) with a transposed view
    /// spanning many chunks.
    @Test func deflatedRecordsAndLongTransposedViews() throws {
        let (rows, columns) = (300, 200)
        let matrix = (0..<rows * columns).map { Float($0) / 7 }
        let path = try torchArchive(
            pickle: PickleBytes.stateDict([
                ("matrix", PickleBytes.tensor(count: rows * columns, shape: [rows, columns], strides: [columns, 1])),
                ("transposed", PickleBytes.tensor(count: rows * columns, shape: [columns, rows], strides: [1, columns])),
            ]),
            storages: ["0": floatBytes(matrix)], compression: .deflate)
        let file = try TorchSaveFile(path: path)
        #expect(try file.floats(named: "matrix") == matrix)
        let transposed = (0..<columns).flatMap { column in (0..<rows).map { matrix[$0 * columns + column] } }
        #expect(try file.floats(named: "transposed") == transposed)
    }

    /// Rows that overlap by all but one value, far apart in the record: read in one pass
    /// they would need the record twice, so they are refused rather than read slowly.
    @Test func overlappingViewsAreRefused() throws {
        let count = 40_001
        let path = try torchArchive(
            pickle: PickleBytes.stateDict([("w", PickleBytes.tensor(count: count, shape: [2, count - 1], strides: [1, 1]))]),
            storages: ["0": floatBytes([Float](repeating: 1, count: count))])
        #expect(errorMessage { _ = try TorchSaveFile(path: path).floats(named: "w") }
            == "\(path): tensor w: its strides visit the storage out of order (overlapping view), which gatescope does not read")
    }

    /// A deflated record whose central directory claims 2 GB: refused before any allocation.
    @Test func aRecordClaimingMoreThanDeflateCanHoldIsRefused() throws {
        let path = try torchArchive(
            pickle: PickleBytes.stateDict([("w", PickleBytes.tensor(count: 4, shape: [4], strides: [1]))]),
            storages: ["0": floatBytes([1, 1, 1, 1])], compression: .deflate)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let name = Array("archive/data/0".utf8)
        // The central directory header (PK 1 2) naming the record: its uncompressed size is at +24.
        let header = try #require(bytes.indices.first { start in
            bytes[start...].starts(with: [0x50, 0x4B, 0x01, 0x02]) && bytes[(start + 46)...].starts(with: name)
        })
        bytes.replaceSubrange(header + 24..<header + 28, with: [0x00, 0x00, 0x00, 0x80])
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let message = try #require(errorMessage { _ = try TorchSaveFile(path: path) })
        #expect(message.hasPrefix("\(path): archive/data/0 claims 2147483648 bytes from "))
        #expect(message.hasSuffix(" stored, more than a zip record can hold"))
    }

    @Test func aViewPastItsStorageIsRefused() throws {
        let path = try torchArchive(
            pickle: PickleBytes.stateDict([("w", PickleBytes.tensor(count: 6, offset: 2, shape: [2, 3], strides: [3, 1]))]),
            storages: ["0": floatBytes(six)])
        #expect(errorMessage { _ = try TorchSaveFile(path: path) }
            == "\(path): tensor w: shape [2, 3], strides [3, 1] and offset 2 reach element 7 of a storage of 6")
    }

    @Test func aStorageRecordOfTheWrongSizeIsRefused() throws {
        let path = try torchArchive(
            pickle: PickleBytes.stateDict([("w", PickleBytes.tensor(count: 8, shape: [8], strides: [1]))]),
            storages: ["0": floatBytes(six)])
        #expect(errorMessage { _ = try TorchSaveFile(path: path) }
            == "\(path): tensor w: storage archive/data/0 should hold 8 × 4 bytes but holds 24")
    }

    @Test func aMissingStorageRecordIsRefused() throws {
        let path = try torchArchive(
            pickle: PickleBytes.stateDict([("w", PickleBytes.tensor(key: "7", count: 6, shape: [6], strides: [1]))]),
            storages: ["0": floatBytes(six)])
        #expect(errorMessage { _ = try TorchSaveFile(path: path) }
            == "\(path): tensor w: its storage archive/data/7 is not in the archive")
    }

    @Test func negativeAndOverflowingStridesAreRefused() throws {
        let negative = try torchArchive(
            pickle: PickleBytes.stateDict([("w", PickleBytes.tensor(count: 6, offset: 5, shape: [6], strides: [-1]))]),
            storages: ["0": floatBytes(six)])
        #expect(errorMessage { _ = try TorchSaveFile(path: negative) }
            == "\(negative): tensor w: negative stride or offset (strides [-1], offset 5)")
        let huge = try torchArchive(
            pickle: PickleBytes.stateDict([("w", PickleBytes.tensor(count: 6, shape: [65536, 65536, 65536, 65536], strides: [0, 0, 0, 0]))]),
            storages: ["0": floatBytes(six)])
        #expect(errorMessage { _ = try TorchSaveFile(path: huge) }
            == "\(huge): tensor w: shape [65536, 65536, 65536, 65536] has too many elements to address")
        let repeated = try torchArchive(
            pickle: PickleBytes.stateDict([("w", PickleBytes.tensor(count: 6, shape: [65536, 65536], strides: [0, 0]))]),
            storages: ["0": floatBytes(six)])
        #expect(errorMessage { _ = try TorchSaveFile(path: repeated) }
            == "\(repeated): tensor w: shape [65536, 65536] repeats a storage of 6 values 4294967296 times over")
    }

    @Test func integerStoragesAreListedButNotRead() throws {
        let path = try torchArchive(
            pickle: PickleBytes.stateDict([("steps", PickleBytes.tensor(storage: "LongStorage", count: 1, shape: [], strides: []))]),
            storages: ["0": SafeTensorsBytes.littleEndian(7)])
        let file = try TorchSaveFile(path: path)
        #expect(file.entries == [TensorEntry(name: "steps", shape: [], dtype: "I64")])
        #expect(errorMessage { _ = try file.floats(named: "steps") }
            == "\(path): tensor steps is stored as torch.LongStorage; gatescope reads torch.FloatStorage, torch.DoubleStorage, torch.HalfStorage, torch.BFloat16Storage")
    }

    @Test func aWholeModuleThatContainsItselfIsBounded() throws {
        // Net() whose _modules holds the instance itself: a cycle, walked no deeper than the limit.
        let pickle = PickleBytes.proto2 + PickleBytes.global("__main__", "Net") + PickleBytes.emptyTuple
            + PickleBytes.newObj + PickleBytes.put(0) + PickleBytes.emptyDict + PickleBytes.mark
            + PickleBytes.string("_parameters") + PickleBytes.emptyDict
            + PickleBytes.string("_modules") + PickleBytes.emptyDict + PickleBytes.mark
            + PickleBytes.string("again") + PickleBytes.get(0) + PickleBytes.setItems
            + PickleBytes.setItems + PickleBytes.build + PickleBytes.stop
        let path = try torchArchive(pickle: pickle)
        #expect(errorMessage { _ = try TorchSaveFile(path: path) } == "\(path): modules nest deeper than 200 levels")
    }

    @Test func aListHoldingItselfIsNotAModel() throws {
        let pickle = PickleBytes.proto2 + PickleBytes.emptyList + PickleBytes.put(0) + PickleBytes.get(0)
            + PickleBytes.append + PickleBytes.stop
        let path = try torchArchive(pickle: pickle)
        #expect(errorMessage { _ = try TorchSaveFile(path: path) }
            == "\(path): holds a list whose item 0 is a list, not a tensor")
    }

    @Test func deepTupleNestingIsNoTrap() throws {
        // 200 000 nested one-tuples: built and freed without recursion.
        let pickle = PickleBytes.proto2 + PickleBytes.none
            + Array(repeating: PickleBytes.tuple1, count: 200_000).flatMap { $0 } + PickleBytes.stop
        let path = try torchArchive(pickle: pickle)
        #expect(errorMessage { _ = try TorchSaveFile(path: path) }
            == "\(path): holds a list whose item 0 is a tuple, not a tensor")
    }

    @Test("pickle errors name what was found and where", arguments: [
        (PickleBytes.proto2 + [0x58, 0xFF, 0xFF, 0xFF, 0x7F], "a length of 2147483647 bytes runs past the end of the pickle (7 bytes) (at byte 2)"),
        (PickleBytes.proto2 + PickleBytes.global("os", "system") + PickleBytes.mark + PickleBytes.string("ls") + PickleBytes.tuple + PickleBytes.reduce + PickleBytes.stop,
         "REDUCE would call os.system; gatescope never calls anything a file names, it only rebuilds tensors and containers (at byte 22)"),
        (PickleBytes.proto2 + [0x69] + Array("os\nsystem\n".utf8), "pickle opcode INST (0x69) is not one gatescope reads (at byte 2)"),
        (PickleBytes.proto2 + PickleBytes.get(9) + PickleBytes.stop, "the pickle reads memo entry 9, never stored (at byte 2)"),
        (PickleBytes.proto2 + PickleBytes.none, "the pickle ends before its STOP opcode (at byte 3)"),
        (PickleBytes.proto2 + PickleBytes.stop, "the pickle ends with 0 values on its stack instead of one (at byte 2)"),
        (PickleBytes.proto2 + PickleBytes.mark + PickleBytes.append + PickleBytes.stop, "the pickle takes a value from an empty stack (at byte 3)"),
        (PickleBytes.proto2 + PickleBytes.none + PickleBytes.emptyTuple + PickleBytes.reduce + PickleBytes.stop,
         "REDUCE calls a None, which gatescope does not call (at byte 4)"),
    ] as [([UInt8], String)])
    func pickleErrors(_ pickle: [UInt8], _ expected: String) throws {
        let path = try torchArchive(pickle: pickle)
        #expect(errorMessage { _ = try TorchSaveFile(path: path) } == "\(path): archive/data.pkl: \(expected)")
    }

    @Test func twoDataPickles() throws {
        let path = try temporaryPath("two.pt").path
        let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
        for name in ["a/data.pkl", "b/data.pkl"] {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(3)) { _, _ in Data([0x80, 0x02, 0x2E]) }
        }
        #expect(errorMessage { _ = try openTensorSource(path: path) }
            == "\(path): the zip archive has 2 data.pkl records (a, b); a torch.save file has one")
    }

    // MARK: Fuzz-ish: damaged files throw, never trap

    /// Every fixture cut short at 64 lengths and with bytes overwritten at 64 places: opening
    /// and reading every tensor either works or throws a GateError.
    @Test(arguments: ["state_dict.pt", "checkpoint.pth", "whole_module.pt", "views.pt", "dtypes.pt"])
    func damagedFixturesThrowCleanly(_ name: String) throws {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TorchSaveExpected.path(name))))
        var variants: [[UInt8]] = []
        for step in 0..<64 {
            let place = original.count * step / 64
            variants.append(Array(original.prefix(place)))
            var damaged = original
            for offset in place..<min(place + 4, damaged.count) { damaged[offset] ^= 0x5A }
            variants.append(damaged)
        }
        for (index, bytes) in variants.enumerated() {
            let path = try temporaryFile(name, bytes)
            do {
                let file = try openTensorSource(path: path)
                for entry in file.entries { _ = try file.floats(named: entry.name) }
            } catch let error as GateError {
                #expect(error.message.hasPrefix(path), "variant \(index)")
            }
            try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
        }
    }

    /// The unpickler on a real state_dict's pickle with every byte replaced by 0x00, 0x80 and
    /// 0xFF in turn (the archive is remade each time so its checksums hold).
    @Test func everyPickleByteDamagedThrowsCleanly() throws {
        let archive = try Archive(url: URL(fileURLWithPath: TorchSaveExpected.path("views.pt")), accessMode: .read)
        let entry = try #require(archive["views/data.pkl"])
        var pickle: [UInt8] = []
        _ = try archive.extract(entry) { pickle += $0 }
        for position in pickle.indices {
            for replacement: UInt8 in [0x00, 0x80, 0xFF] where pickle[position] != replacement {
                var damaged = pickle
                damaged[position] = replacement
                do {
                    let result = try Pickle.read(damaged, source: "views.pt")
                    _ = try TorchContents(result, source: "views.pt")
                } catch let error as GateError {
                    #expect(error.message.hasPrefix("views.pt"), "byte \(position)")
                }
            }
        }
    }
}
