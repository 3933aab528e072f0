import Foundation

/// The values of ONNX tensors (initializers and `Constant` nodes), read with the same care as
/// the safetensors reader: every count and byte length is checked before it is used.
enum ONNXTensors {
    /// TensorProto.DataType codes gatescope reads as weights.
    enum ElementType: Int32 {
        case float = 1, float16 = 10, double = 11, bfloat16 = 16

        var name: String {
            switch self {
            case .float: "float32"
            case .float16: "float16"
            case .double: "float64"
            case .bfloat16: "bfloat16"
            }
        }
    }

    /// The tensor's dimensions, refused when one is negative.
    static func shape(_ tensor: Onnx_TensorProto, source: String) throws -> [Int] {
        try tensor.dims.map { dim in
            guard dim >= 0, let size = Int(exactly: dim) else {
                throw GateError("\(source): tensor '\(tensor.name)' has the dimension \(dim)")
            }
            return size
        }
    }

    /// The number of values of `shape`, nil on overflow.
    static func count(_ shape: [Int]) -> Int? {
        var total = 1
        for size in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            total = product
        }
        return total
    }

    /// The tensor's values as float32, row-major in `shape`'s order.
    static func floats(_ tensor: Onnx_TensorProto, source: String) throws -> [Float] {
        let place = "\(source): tensor '\(tensor.name)'"
        guard let type = ElementType(rawValue: tensor.dataType) else {
            throw GateError("\(place) holds values of ONNX data type \(tensor.dataType); gatescope reads float32, float16, bfloat16 and float64 weights")
        }
        guard let count = count(try shape(tensor, source: source)) else {
            throw GateError("\(place) has more values than can be counted")
        }
        let width = type == .double ? 8 : type == .float ? 4 : 2
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow else { throw GateError("\(place) has more values than can be counted") }
        let raw = tensor.dataLocation == .external
            ? try externalBytes(tensor, byteCount: byteCount, place: place, source: source) : tensor.rawData
        if !raw.isEmpty || tensor.dataLocation == .external {
            guard raw.count == byteCount else {
                throw GateError("\(place) should hold \(count) \(type.name) values (\(byteCount) bytes) but holds \(raw.count) bytes")
            }
            // raw_data is little-endian whatever the machine.
            return raw.withUnsafeBytes { buffer in
                (0..<count).map { index in
                    let offset = index * width
                    switch type {
                    case .float: return Float(bitPattern: buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
                    case .double: return Float(Double(bitPattern: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian))
                    case .float16: return HalfPrecision.float(fromHalfBits: buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian)
                    case .bfloat16: return HalfPrecision.float(fromBFloat16Bits: buffer.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian)
                    }
                }
            }
        }
        // Without raw_data the values sit in the typed field of their kind; 16-bit values are
        // kept one per int32_data entry.
        let values: [Float]
        switch type {
        case .float: values = tensor.floatData
        case .double: values = tensor.doubleData.map { Float($0) }
        case .float16: values = tensor.int32Data.map { HalfPrecision.float(fromHalfBits: UInt16(truncatingIfNeeded: $0)) }
        case .bfloat16: values = tensor.int32Data.map { HalfPrecision.float(fromBFloat16Bits: UInt16(truncatingIfNeeded: $0)) }
        }
        guard values.count == count else {
            throw GateError("\(place) should hold \(count) values but holds \(values.count)")
        }
        return values
    }

    /// The bytes of a tensor kept in an external data file (torch.onnx.export's dynamo
    /// exporter writes MODEL.onnx.data beside the model): `location` relative to the model's
    /// folder, never outside it, and `offset` / `length` checked against the file.
    static func externalBytes(_ tensor: Onnx_TensorProto, byteCount: Int, place: String, source: String) throws -> Data {
        let fields = Dictionary(tensor.externalData.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard let location = fields["location"], !location.isEmpty, !location.hasPrefix("/"),
              !location.split(separator: "/").contains("..") else {
            throw GateError("\(place) keeps its values in an external file at \(String(reflecting: fields["location"] ?? "")); gatescope reads a data file in the model's own folder")
        }
        guard let offset = Int(fields["offset"] ?? "0"), offset >= 0 else {
            throw GateError("\(place): external data offset \(String(reflecting: fields["offset"] ?? "")) is not a byte position")
        }
        if let length = fields["length"], Int(length) != byteCount {
            throw GateError("\(place): external data length \(length), but its shape needs \(byteCount) bytes")
        }
        let path = URL(fileURLWithPath: source).deletingLastPathComponent().appendingPathComponent(location).path
        let (descriptor, status) = try LocalFile.openForReading(path, kind: "the external data of \(source)")
        defer { close(descriptor) }
        let (end, overflow) = offset.addingReportingOverflow(byteCount)
        guard !overflow, end <= Int(status.st_size) else {
            throw GateError("\(place): bytes \(offset) to \(offset) + \(byteCount) of \(path) are past its end (\(status.st_size) bytes)")
        }
        var bytes = Data(count: byteCount)
        try bytes.withUnsafeMutableBytes { try LocalFile.read(descriptor, into: $0, at: offset, source: path) }
        return bytes
    }

    /// Whether every value of the tensor is zero, whatever its data type (a zero initial state
    /// may be stored as floats, or as the int64 zero a `ConstantOfShape` fills in).
    static func isAllZero(_ tensor: Onnx_TensorProto) -> Bool {
        // The bit patterns of +0 and -0 differ only in the sign bit of each value; any other
        // set bit is a non-zero value. Raw bytes are checked as zero bytes, which +0 is.
        tensor.rawData.allSatisfy { $0 == 0 } && tensor.floatData.allSatisfy { $0 == 0 }
            && tensor.doubleData.allSatisfy { $0 == 0 } && tensor.int32Data.allSatisfy { $0 == 0 }
            && tensor.int64Data.allSatisfy { $0 == 0 } && tensor.uint64Data.allSatisfy { $0 == 0 }
    }
}
