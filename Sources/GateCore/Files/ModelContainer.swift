import Foundation
import ZIPFoundation

/// Opens a model file whatever its container, recognised by its first bytes (not its name):
/// safetensors, torch.save zips, Keras files (.keras, .weights.h5, whole-model .h5) and ONNX
/// models are read; the other formats students meet (the pre-1.6 torch format, plain pickles,
/// other HDF5, TorchScript, other zips, text) are named in the error with what to do.
public func openTensorSource(path: String) throws -> any TensorSource {
    let head = try ModelContainer.head(of: path)
    switch try ModelContainer.recognise(head: head, path: path) {
    case .safetensors: return try SafeTensorsFile(path: path)
    case .torchSave:
        let file = try TorchSaveFile(path: path)
        try ModelBudget.check(file.entries, source: path)
        return file
    case .kerasArchive: return try KerasFile.open(archive: path)
    case .hdf5: return try KerasFile.open(hdf5: path)
    case .onnx: return try ONNXFile(path: path)
    case .refused(let reason): throw GateError("\(path): \(reason)")
    }
}

enum ModelContainer {
    enum Format: Equatable {
        case safetensors, torchSave, onnx
        /// Keras 3's zip of config.json and model.weights.h5.
        case kerasArchive
        /// HDF5: a Keras whole-model .h5 or a Keras 3 .weights.h5.
        case hdf5
        /// A file gatescope does not read: what it is and what to do.
        case refused(String)
    }

    /// How many leading bytes decide the format.
    static let headLength = 512

    static let formats = "gatescope reads .safetensors files, .pt/.pth files written by torch.save, Keras files (.keras, .h5) and .onnx models"

    /// The first `headLength` bytes (fewer for a short file), after the checks every path gets.
    static func head(of path: String) throws -> [UInt8] {
        let (descriptor, status) = try LocalFile.openForReading(path, kind: "a model file (.safetensors, .pt, .pth)")
        defer { close(descriptor) }
        let count = min(headLength, Int(max(0, status.st_size)))
        return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try LocalFile.read(descriptor, into: UnsafeMutableRawBufferPointer(buffer), at: 0, source: path)
            initialized = count
        }
    }

    static func recognise(head: [UInt8], path: String) throws -> Format {
        let suffix = URL(fileURLWithPath: path).pathExtension.lowercased()
        if suffix == "safetensors" { return .safetensors }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return try recogniseZip(path)
        }
        if head.count >= 2, head[0] == 0x80, (2...5).contains(head[1]) {
            // torch's legacy format starts with its magic number, pickled as LONG1.
            let legacyMagic: [UInt8] = [0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
            if head.dropFirst(2).starts(with: legacyMagic) {
                return .refused("a PyTorch file in the legacy format (PyTorch before 1.6, or _use_new_zipfile_serialization=False), which gatescope does not read; re-save it with a current PyTorch, torch.save(torch.load(\"FILE\"), \"model.pt\"), or as safetensors")
            }
            return .refused("a plain Python pickle, not a torch.save file; \(formats): save the weights with torch.save(model.state_dict(), \"model.pt\")")
        }
        if HDF5File.isHDF5(head) { return .hdf5 }
        if head.count > 8, head[8] == UInt8(ascii: "{"), head[4...7].allSatisfy({ $0 == 0 }) {
            return .safetensors  // an 8-byte little-endian header length, then JSON
        }
        if suffix == "onnx", let tag = head.first, [0, 2].contains(tag & 7), (1...20).contains(tag >> 3) {
            return .onnx  // a protobuf field tag: ModelProto's ir_version, graph, opset_import, …
        }
        if !head.isEmpty, isText(head) {
            let what = head.contains(UInt8(ascii: ",")) ? "a text file (CSV?)" : "a text file"
            return .refused("\(what), not a model file; \(formats) (inputs go with --input)")
        }
        if ["pt", "pth", "bin", "ckpt", "tar"].contains(suffix) {
            let bytes = head.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " ")
            return .refused("not a torch.save file: it is not a zip archive (it starts with \(head.isEmpty ? "nothing, the file is empty" : bytes))")
        }
        // Anything else gets the safetensors reader's precise account of what is wrong.
        return .safetensors
    }

    /// A zip: a torch.save archive, or which other kind.
    static func recogniseZip(_ path: String) throws -> Format {
        let archive: Archive
        do {
            archive = try TorchSaveFile.openZip(path)
        } catch let error as GateError {
            throw error
        } catch {
            return .refused("starts like a zip archive but cannot be read as one (\(TorchSaveFile.describeZipError(error))); a torch.save file may be truncated")
        }
        let names = archive.map(\.path)
        if names.contains(where: { $0.hasSuffix("/data.pkl") }) {
            // torchFolder names what is wrong with an archive of several data.pkl records.
            let folder = try TorchSaveFile.torchFolder(in: archive, source: path)
            if names.contains("\(folder)/constants.pkl") || names.contains(where: { $0.hasPrefix("\(folder)/code/") }) {
                return .refused("a TorchScript archive (torch.jit.save), which gatescope does not read; save its weights in PyTorch: torch.save(torch.jit.load(\"FILE\").state_dict(), \"model.pt\")")
            }
            return .torchSave
        }
        if names.contains("config.json"), names.contains(where: { $0.hasSuffix(".h5") }) || names.contains("metadata.json") {
            return .kerasArchive
        }
        let listed = names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", …" : "")
        return .refused("a zip archive but not a torch.save file (no <folder>/data.pkl; it holds \(names.isEmpty ? "nothing" : listed))")
    }

    /// UTF-8 text with no control characters but tab, newline and carriage return (the last
    /// character may be cut by the head's end).
    static func isText(_ head: [UInt8]) -> Bool {
        guard !head.contains(where: { ($0 < 0x20 && ![0x09, 0x0A, 0x0D].contains($0)) || $0 == 0x7F }) else {
            return false
        }
        return (0...3).contains { cut in String(validating: head.dropLast(cut), as: UTF8.self) != nil }
    }
}

