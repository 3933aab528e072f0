import Foundation
import ZIPFoundation

/// A `.pt`/`.pth` file written by `torch.save` in the zip format of PyTorch ≥ 1.6: a zip
/// whose one top folder (named after the file when it was saved) holds `data.pkl`, the
/// pickled object, `data/<key>` for each storage (raw little-endian values), and
/// `byteorder`.
///
/// Opening reads only the pickle (through the restricted `Pickle` reader, which runs
/// nothing) and checks every tensor's view against its storage; values are read when asked,
/// streamed from the storage record into the result, so memory holds them once.
///
/// What the file may hold: a state_dict; a checkpoint dict with one (`model_state_dict`,
/// `state_dict`, `model`, …), whose other entries are listed in `otherContents`; a whole
/// pickled module (`torch.save(model)`), whose module tree becomes `modules`; or a list of
/// tensors (named "0", "1", …). Module attributes are written as text: `true`/`false`,
/// `none`, numbers as Python prints them, strings as they are.
public struct TorchSaveFile: TensorSource {
    public let source: String
    public let entries: [TensorEntry]
    public var metadata: [String: String] { [:] }
    public let modules: [ModuleHint]
    public let otherContents: [String]

    /// The largest `data.pkl` read: a pickle is ~100 bytes per tensor, so this is generous.
    public static let maxPickleBytes: UInt64 = 64 << 20

    private let tensors: [String: Pickle.Tensor]
    /// The archive's folder: storage `key` is the record `<folder>/data/<key>`.
    private let folder: String
    private let bigEndian: Bool

    public init(path: String) throws {
        source = path
        let archive = try Self.openArchive(path)
        folder = try Self.torchFolder(in: archive, source: path)
        let byteorder = try Self.readRecord("\(folder)/byteorder", in: archive, source: path, limit: 16)
        switch byteorder.map({ String(decoding: $0, as: UTF8.self) }) {
        case nil, "little"?: bigEndian = false
        case "big"?: bigEndian = true
        case let other?: throw GateError("\(path): \(folder)/byteorder says \"\(other)\", expected little or big")
        }
        let pickleName = "\(folder)/data.pkl"
        guard let pickle = try Self.readRecord(pickleName, in: archive, source: path, limit: Self.maxPickleBytes) else {
            throw GateError("\(path): the archive has no \(pickleName)")
        }
        let result = try Pickle.read(pickle, source: "\(path): \(pickleName)")
        let contents = try TorchContents(result, source: path)
        var records: [String: UInt64] = [:]
        for entry in archive where entry.type == .file {
            // Deflate packs at most ~1032 bytes into one: a record claiming more is a zip bomb.
            let packed = entry.isCompressed ? entry.compressedSize.multipliedReportingOverflow(by: 1032) : (partialValue: entry.compressedSize, overflow: false)
            guard !packed.overflow, entry.uncompressedSize <= packed.partialValue else {
                throw GateError("\(path): \(entry.path) claims \(entry.uncompressedSize) bytes from \(entry.compressedSize) stored, more than a zip record can hold")
            }
            records[entry.path] = entry.uncompressedSize
        }
        for (name, tensor) in contents.tensors {
            try Self.check(tensor, named: name, recordSize: records["\(folder)/data/\(tensor.storage.key)"],
                           source: path, folder: folder)
        }
        entries = contents.tensors.map {
            let typeName = $0.tensor.storage.typeName
            return TensorEntry(name: $0.name, shape: $0.tensor.shape, dtype: StorageFormat(typeName: typeName)?.dtype ?? typeName)
        }
        tensors = Dictionary(contents.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        modules = contents.modules
        otherContents = contents.other
    }

    /// The tensor's values as float32, row-major, whatever its strides in the storage.
    public func floats(named name: String) throws -> [Float] {
        guard let tensor = tensors[name] else { throw GateError("\(source): no tensor named \(name)") }
        guard let format = StorageFormat(typeName: tensor.storage.typeName), format.isReadable else {
            throw GateError("\(source): tensor \(name) is stored as \(tensor.storage.typeName); gatescope reads \(StorageFormat.readableNames)")
        }
        let archive = try Self.openArchive(source)
        let record = "\(folder)/data/\(tensor.storage.key)"
        guard let entry = archive[record] else {
            throw GateError("\(source): tensor \(name): the archive has no \(record) (it changed while being read?)")
        }
        var gather = StridedGather(tensor: tensor, format: format, bigEndian: bigEndian)
        do {
            _ = try archive.extract(entry, bufferSize: 1 << 16, skipCRC32: true) { chunk in
                try gather.consume(chunk)
            }
        } catch is StridedGather.Finished {
            // Every value needed was read before the end of the record.
        } catch let error as GateError {
            throw GateError("\(source): tensor \(name): \(error.message)")
        } catch {
            throw GateError("\(source): tensor \(name): cannot read \(record) (\(error))")
        }
        guard gather.isFinished else {
            throw GateError("\(source): tensor \(name): \(record) ended before the tensor's last value")
        }
        return gather.values
    }

    // MARK: The archive

    private static func openArchive(_ path: String) throws -> Archive {
        do {
            return try openZip(path)
        } catch let error as GateError {
            throw error
        } catch {
            throw GateError("\(path): not a readable zip archive (\(describeZipError(error))), so not a torch.save file")
        }
    }

    /// Opens the zip at `path` by the bytes the user gave: a name that is not UTF-8 cannot
    /// travel in a URL, so the file is opened by its bytes and the archive reads it through
    /// the descriptor's /dev/fd name, which opens the same file again.
    static func openZip(_ path: String) throws -> Archive {
        let name = try LocalFile.systemName(path)
        guard String(validatingCString: name) != path else {
            return try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        }
        let (descriptor, _) = try LocalFile.openForReading(path, kind: "a model file (.safetensors, .pt, .pth)")
        defer { close(descriptor) }
        return try Archive(url: URL(fileURLWithPath: "/dev/fd/\(descriptor)"), accessMode: .read)
    }

    /// A zip library's error in a person's words, without the library's type names.
    static func describeZipError(_ error: any Error) -> String {
        if let archiveError = error as? Archive.ArchiveError {
            switch archiveError {
            case .missingEndOfCentralDirectoryRecord: return "its directory at the end is missing: cut short?"
            case .unreadableArchive: return "it cannot be read"
            default: return "its zip structure is damaged"
            }
        }
        return (error as NSError).localizedDescription
    }

    /// The folder holding `data.pkl`: its name is whatever the file was called when saved.
    static func torchFolder(in archive: Archive, source: String) throws -> String {
        let folders = archive.compactMap { entry -> String? in
            let parts = entry.path.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == 2 && parts[1] == "data.pkl" ? String(parts[0]) : nil
        }
        guard let folder = folders.first else {
            throw GateError("\(source): the zip archive has no <folder>/data.pkl, so it is not a torch.save file")
        }
        guard folders.count == 1 else {
            throw GateError("\(source): the zip archive has \(folders.count) data.pkl records (\(folders.joined(separator: ", "))); a torch.save file has one")
        }
        return folder
    }

    /// A whole small record (nil when absent), refused beyond `limit` bytes.
    private static func readRecord(_ name: String, in archive: Archive, source: String, limit: UInt64) throws -> [UInt8]? {
        guard let entry = archive[name] else { return nil }
        guard entry.uncompressedSize <= limit else {
            throw GateError("\(source): \(name) is \(entry.uncompressedSize) bytes, over the \(limit) bytes gatescope reads")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(entry.uncompressedSize))
        do {
            let checksum = try archive.extract(entry, skipCRC32: false) { chunk in
                guard UInt64(bytes.count + chunk.count) <= limit else {
                    throw GateError("\(source): \(name) holds more bytes than its size says")
                }
                bytes += chunk
            }
            guard checksum == entry.checksum else {
                throw GateError("\(source): \(name) is damaged (its CRC-32 does not match)")
            }
        } catch let error as GateError {
            throw error
        } catch {
            throw GateError("\(source): cannot read \(name) (\(error))")
        }
        return bytes
    }

    /// A tensor's view must lie inside its storage, and the storage record must hold exactly
    /// the storage's values.
    private static func check(_ tensor: Pickle.Tensor, named name: String, recordSize: UInt64?,
                              source: String, folder: String) throws {
        let place = "\(source): tensor \(name)"
        let storage = tensor.storage
        let record = "\(folder)/data/\(storage.key)"
        guard let recordSize else { throw GateError("\(place): its storage \(record) is not in the archive") }
        if let format = StorageFormat(typeName: storage.typeName) {
            let (bytes, overflow) = storage.elementCount.multipliedReportingOverflow(by: format.width)
            guard !overflow, UInt64(bytes) == recordSize else {
                throw GateError("\(place): storage \(record) should hold \(storage.elementCount) × \(format.width) bytes but holds \(recordSize)")
            }
        }
        guard tensor.shape.allSatisfy({ $0 >= 0 }) else {
            throw GateError("\(place): shape \(tensor.shape) has a negative size")
        }
        guard tensor.strides.allSatisfy({ $0 >= 0 }), tensor.offset >= 0 else {
            throw GateError("\(place): negative stride or offset (strides \(tensor.strides), offset \(tensor.offset))")
        }
        guard let count = elementCount(tensor.shape) else {
            throw GateError("\(place): shape \(tensor.shape) has too many elements to address")
        }
        guard count > 0 else { return }
        // The last element the view touches: offset + Σ (size − 1) × stride.
        var last = tensor.offset
        for (size, stride) in zip(tensor.shape, tensor.strides) {
            let (step, overflowStep) = (size - 1).multipliedReportingOverflow(by: stride)
            let (sum, overflowSum) = last.addingReportingOverflow(step)
            guard !overflowStep, !overflowSum else {
                throw GateError("\(place): shape \(tensor.shape) with strides \(tensor.strides) addresses past any storage")
            }
            last = sum
        }
        guard last < storage.elementCount else {
            throw GateError("\(place): shape \(tensor.shape), strides \(tensor.strides) and offset \(tensor.offset) reach element \(last) of a storage of \(storage.elementCount)")
        }
        // A broadcast view (stride 0) may hold more values than its storage, but not unboundedly.
        guard count <= max(storage.elementCount, 1 << 24) else {
            throw GateError("\(place): shape \(tensor.shape) repeats a storage of \(storage.elementCount) values \(count) times over")
        }
    }
}

/// The element types of torch storages, by the storage class torch.save names.
struct StorageFormat {
    enum Kind { case f32, f64, f16, bf16, other }
    let kind: Kind
    let width: Int
    /// The type as safetensors names it ("F32", "BF16", "I64"), so that `inspect` lists the
    /// tensors of every format in one vocabulary.
    let dtype: String

    init?(typeName: String) {
        switch typeName {
        case "torch.FloatStorage": (kind, width, dtype) = (.f32, 4, "F32")
        case "torch.DoubleStorage": (kind, width, dtype) = (.f64, 8, "F64")
        case "torch.HalfStorage": (kind, width, dtype) = (.f16, 2, "F16")
        case "torch.BFloat16Storage": (kind, width, dtype) = (.bf16, 2, "BF16")
        case "torch.LongStorage": (kind, width, dtype) = (.other, 8, "I64")
        case "torch.ComplexFloatStorage": (kind, width, dtype) = (.other, 8, "C64")
        case "torch.IntStorage": (kind, width, dtype) = (.other, 4, "I32")
        case "torch.ShortStorage": (kind, width, dtype) = (.other, 2, "I16")
        case "torch.CharStorage": (kind, width, dtype) = (.other, 1, "I8")
        case "torch.ByteStorage": (kind, width, dtype) = (.other, 1, "U8")
        case "torch.BoolStorage": (kind, width, dtype) = (.other, 1, "BOOL")
        case "torch.ComplexDoubleStorage": (kind, width, dtype) = (.other, 16, "C128")
        default: return nil
        }
    }

    var isReadable: Bool { kind != .other }
    static let readableNames = "torch.FloatStorage, torch.DoubleStorage, torch.HalfStorage, torch.BFloat16Storage"

    /// One value from its `width` bytes at `at`.
    func decode(_ bytes: UnsafeRawBufferPointer, at: Int, bigEndian: Bool) -> Float {
        var bits: UInt64 = 0
        for index in 0..<width {
            let byte = bytes[bigEndian ? at + index : at + width - 1 - index]
            bits = bits << 8 | UInt64(byte)
        }
        switch kind {
        case .f32: return Float(bitPattern: UInt32(truncatingIfNeeded: bits))
        case .f64: return Float(Double(bitPattern: bits))
        case .f16: return HalfPrecision.float(fromHalfBits: UInt16(truncatingIfNeeded: bits))
        case .bf16: return HalfPrecision.float(fromBFloat16Bits: UInt16(truncatingIfNeeded: bits))
        case .other: return .nan  // never asked: floats(named:) refuses these first
        }
    }
}

/// Fills a tensor's row-major values from its storage record as the record streams past.
///
/// The view's elements are visited in storage order (dimensions by decreasing stride), so a
/// transposed or sliced view is read in one forward pass; only the chunk at hand and the
/// result are in memory.
private struct StridedGather {
    struct Finished: Error {}

    let format: StorageFormat
    let bigEndian: Bool
    private(set) var values: [Float]
    private(set) var isFinished = false
    /// The dimensions in visiting order: size, storage stride, result stride.
    private let sizes: [Int], storageStrides: [Int], resultStrides: [Int]
    private var counter: [Int]
    private var storageIndex: Int
    private var resultIndex = 0
    /// Bytes of the record before `carry`, and the bytes of a value split between chunks.
    private var consumed = 0
    private var carry: [UInt8] = []

    init(tensor: Pickle.Tensor, format: StorageFormat, bigEndian: Bool) {
        self.format = format
        self.bigEndian = bigEndian
        let count = tensor.shape.reduce(1, *)
        values = [Float](repeating: 0, count: count)
        isFinished = count == 0
        var rowMajor = [Int](repeating: 1, count: tensor.shape.count)
        for dim in tensor.shape.indices.dropLast().reversed() {
            rowMajor[dim] = rowMajor[dim + 1] * tensor.shape[dim + 1]
        }
        // Outermost first: largest storage stride, ties kept in the tensor's order.
        let order = tensor.shape.indices.sorted { (tensor.strides[$0], $1) > (tensor.strides[$1], $0) }
        sizes = order.map { tensor.shape[$0] }
        storageStrides = order.map { tensor.strides[$0] }
        resultStrides = order.map { rowMajor[$0] }
        counter = [Int](repeating: 0, count: order.count)
        storageIndex = tensor.offset
    }

    /// Takes the next chunk of the record; throws `Finished` once every value is in.
    mutating func consume(_ chunk: Data) throws {
        let window = carry + chunk
        let windowStart = consumed
        let width = format.width
        try window.withUnsafeBytes { bytes in
            while !isFinished {
                let start = storageIndex * width - windowStart
                guard start >= 0 else {
                    throw GateError("its strides visit the storage out of order (overlapping view), which gatescope does not read")
                }
                guard start + width <= bytes.count else { break }
                values[resultIndex] = format.decode(bytes, at: start, bigEndian: bigEndian)
                advance()
            }
        }
        if isFinished { throw Finished() }
        // Keep the part of the window where the next value starts (less than one value).
        let next = storageIndex * width - windowStart
        let keep = max(0, min(window.count, window.count - next))
        carry = Array(window.suffix(keep))
        consumed = windowStart + window.count - keep
    }

    /// The next element in storage order, like an odometer over `counter`.
    private mutating func advance() {
        for dim in sizes.indices.reversed() {
            counter[dim] += 1
            storageIndex += storageStrides[dim]
            resultIndex += resultStrides[dim]
            if counter[dim] < sizes[dim] { return }
            storageIndex -= storageStrides[dim] * sizes[dim]
            resultIndex -= resultStrides[dim] * sizes[dim]
            counter[dim] = 0
        }
        isFinished = true
    }
}
