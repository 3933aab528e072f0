import Foundation

/// The element types a safetensors header may declare, with the names and sizes of the
/// reference implementation (huggingface/safetensors). gatescope converts the four float
/// types to Float; the others are understood well enough to validate and list a file.
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL", u8 = "U8", i8 = "I8"
    case f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3", f8e8m0 = "F8_E8M0"
    case f8e4m3fnuz = "F8_E4M3FNUZ", f8e5m2fnuz = "F8_E5M2FNUZ"
    case f4 = "F4", f6e2m3 = "F6_E2M3", f6e3m2 = "F6_E3M2"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case c64 = "C64", f64 = "F64", i64 = "I64", u64 = "U64"

    /// Bits per element: the sub-byte float formats are packed.
    public var bitWidth: Int {
        switch self {
        case .f4: 4
        case .f6e2m3, .f6e3m2: 6
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz: 8
        case .i16, .u16, .f16, .bf16: 16
        case .i32, .u32, .f32: 32
        case .c64, .f64, .i64, .u64: 64
        }
    }

    /// The types gatescope reads as weights.
    public static let readable: [SafeTensorsDType] = [.f32, .f64, .f16, .bf16]
}

/// A safetensors file: an 8-byte little-endian header length N, N bytes of JSON naming every
/// tensor's dtype, shape and byte range, then the tensors' raw little-endian bytes.
///
/// Opening a file reads and checks only the header, as strictly as the reference parser
/// (size limit, UTF-8, JSON, every byte range contiguous, non-overlapping, matching
/// shape × dtype and covering the data exactly); tensor data is read on demand.
public struct SafeTensorsFile: Sendable {
    public struct Tensor: Equatable, Sendable {
        public let name: String
        public let dtype: SafeTensorsDType
        public let shape: [Int]
        /// `data_offsets`, relative to the start of the data that follows the header.
        public let dataOffsets: Range<Int>
        /// The product of `shape` (1 for a scalar), known not to overflow.
        public let elementCount: Int
    }

    /// The header's size limit in the reference implementation.
    public static let maxHeaderLength: UInt64 = 100_000_000

    /// Where the bytes came from (a path), the start of every error message.
    public let source: String
    /// Every tensor of the header, in the order of their data.
    public let tensors: [Tensor]
    /// The header's `__metadata__` (empty when absent).
    public let metadata: [String: String]
    public let headerLength: Int
    public let fileSize: Int

    private let storage: Storage
    private let tensorsByName: [String: Tensor]

    private enum Storage: Sendable {
        case memory([UInt8])
        case file(String)
    }

    /// Opens `path` and checks its header, and that its tensors fit `ModelBudget`.
    public init(path: String) throws {
        let (descriptor, status) = try LocalFile.openForReading(path, kind: "a .safetensors file")
        defer { close(descriptor) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw GateError("\(path): not a regular file, expected a .safetensors file")
        }
        try self.init(source: path, storage: .file(path), fileSize: Int(status.st_size)) { range in
            try [UInt8](unsafeUninitializedCapacity: range.count) { buffer, initialized in
                try LocalFile.read(descriptor, into: UnsafeMutableRawBufferPointer(buffer), at: range.lowerBound, source: path)
                initialized = range.count
            }
        }
        try ModelBudget.check(entries, source: path)
    }

    /// Parses a safetensors file held in memory; `source` names it in error messages.
    public init(bytes: [UInt8], source: String) throws {
        try self.init(source: source, storage: .memory(bytes), fileSize: bytes.count) { range in
            Array(bytes[range])
        }
    }

    private init(source: String, storage: Storage, fileSize: Int,
                 read: (Range<Int>) throws -> [UInt8]) throws {
        self.source = source
        self.storage = storage
        self.fileSize = fileSize
        guard fileSize > 0 else {
            throw GateError("\(source): empty file, expected a safetensors model")
        }
        guard fileSize >= 8 else {
            throw GateError("\(source): file is \(fileSize) bytes, too short for the 8-byte header length that starts a safetensors file")
        }
        let declared = try read(0..<8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard declared <= Self.maxHeaderLength else {
            throw GateError("\(source): header length \(declared) bytes is over the \(Self.maxHeaderLength / 1_000_000) MB limit (not a safetensors file?)")
        }
        // Both sides fit in Int: declared ≤ 10⁸.
        guard 8 + Int(declared) <= fileSize else {
            throw GateError("\(source): header length \(declared) runs past the end of the file (\(fileSize) bytes)")
        }
        headerLength = Int(declared)
        let header = try read(8..<8 + headerLength)
        let parsed = try Self.parseHeader(header, source: source, dataLength: fileSize - 8 - headerLength)
        tensors = parsed.tensors
        metadata = parsed.metadata
        tensorsByName = Dictionary(uniqueKeysWithValues: parsed.tensors.map { ($0.name, $0) })
    }

    public func tensor(named name: String) -> Tensor? { tensorsByName[name] }

    /// Elements decoded per read when the stored type is not float32: the bytes in flight
    /// stay a few MB, whatever the tensor's size.
    static let chunkElements = 1 << 20

    /// The tensor's values as Float (from F32, F64, F16 or BF16 data). The values are
    /// decoded straight into the returned array, a bounded chunk of the file at a time, so
    /// that reading never holds more than one copy of the tensor.
    public func floats(_ tensor: Tensor) throws -> [Float] {
        guard SafeTensorsDType.readable.contains(tensor.dtype) else {
            let names = SafeTensorsDType.readable.map(\.rawValue).joined(separator: ", ")
            throw GateError("\(source): tensor \(tensor.name) has dtype \(tensor.dtype.rawValue); gatescope reads \(names)")
        }
        let start = 8 + headerLength + tensor.dataOffsets.lowerBound
        let width = tensor.dtype.bitWidth / 8
        let count = tensor.elementCount
        switch storage {
        case .memory(let all):
            return [Float](unsafeUninitializedCapacity: count) { values, initialized in
                all.withUnsafeBytes { bytes in
                    Self.decode(UnsafeRawBufferPointer(rebasing: bytes[start..<start + count * width]),
                                as: tensor.dtype, into: values)
                }
                initialized = count
            }
        case .file(let path):
            let (descriptor, _) = try LocalFile.openForReading(path, kind: "a .safetensors file")
            defer { close(descriptor) }
            return try [Float](unsafeUninitializedCapacity: count) { values, initialized in
                if tensor.dtype == .f32 {
                    // The file's bytes are the values: read them in place, then put them in
                    // the machine's byte order.
                    try LocalFile.read(descriptor, into: UnsafeMutableRawBufferPointer(values), at: start, source: path)
                    Self.fromLittleEndian(values)
                } else {
                    var chunk = [UInt8](repeating: 0, count: min(count, Self.chunkElements) * width)
                    var done = 0
                    while done < count {
                        let n = min(Self.chunkElements, count - done)
                        try chunk.withUnsafeMutableBytes { bytes in
                            let part = UnsafeMutableRawBufferPointer(rebasing: bytes[..<(n * width)])
                            try LocalFile.read(descriptor, into: part, at: start + done * width, source: path)
                            Self.decode(UnsafeRawBufferPointer(part), as: tensor.dtype,
                                        into: UnsafeMutableBufferPointer(rebasing: values[done..<done + n]))
                        }
                        done += n
                    }
                }
                initialized = count
            }
        }
    }

    /// Float32 values read as little-endian bytes, put in the machine's order (nothing to
    /// do on a little-endian machine).
    private static func fromLittleEndian(_ values: UnsafeMutableBufferPointer<Float>) {
        #if _endian(big)
        for i in values.indices { values[i] = Float(bitPattern: UInt32(littleEndian: values[i].bitPattern)) }
        #endif
    }

    /// Little-endian `bytes` of one of the readable dtypes to Float, one value per element
    /// of `values`.
    private static func decode(_ bytes: UnsafeRawBufferPointer, as dtype: SafeTensorsDType,
                               into values: UnsafeMutableBufferPointer<Float>) {
        func word<T: FixedWidthInteger>(_ index: Int, _: T.Type) -> T {
            T(littleEndian: bytes.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self))
        }
        switch dtype {
        case .f32: for i in values.indices { values[i] = Float(bitPattern: word(i, UInt32.self)) }
        case .f64: for i in values.indices { values[i] = Float(Double(bitPattern: word(i, UInt64.self))) }
        case .f16: for i in values.indices { values[i] = HalfPrecision.float(fromHalfBits: word(i, UInt16.self)) }
        case .bf16: for i in values.indices { values[i] = HalfPrecision.float(fromBFloat16Bits: word(i, UInt16.self)) }
        default: preconditionFailure("decode called for \(dtype.rawValue), which floats(_:) refuses")
        }
    }

    // MARK: Header

    private static func parseHeader(_ header: [UInt8], source: String,
                                    dataLength: Int) throws -> (tensors: [Tensor], metadata: [String: String]) {
        let root: JSONValue
        do {
            var parser = JSONParser(bytes: header)
            root = try parser.parseDocument()
        } catch let error as JSONParser.SyntaxError {
            // Byte positions count from the start of the file, where a hex dump shows them.
            switch error.kind {
            case .notUTF8:
                throw GateError("\(source): header is not valid UTF-8 (at byte \(8 + error.offset))")
            case .overLimit:
                throw GateError("\(source): header has \(error.message) at byte \(8 + error.offset), beyond gatescope's limits for a model's header (\(JSONParser.maxItems) tensors or list items, \(JSONParser.maxValues) values, strings of \(JSONParser.maxStringBytes / 1024) KiB)")
            case .syntax:
                throw GateError("\(source): header is not valid JSON (\(error.message) at byte \(8 + error.offset))")
            }
        }
        guard case .object(let entries) = root else {
            throw GateError("\(source): header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [Tensor] = []
        var seen = Set<String>()
        for (name, value) in entries {
            guard seen.insert(name).inserted else {
                throw GateError("\(source): \"\(name)\" appears twice in the header")
            }
            if name == "__metadata__" {
                metadata = try parseMetadata(value, source: source)
            } else {
                tensors.append(try parseTensor(name, value, source: source))
            }
        }
        tensors.sort {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound, $0.name)
                < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound, $1.name)
        }
        try checkLayout(tensors, dataLength: dataLength, source: source)
        return (tensors, metadata)
    }

    private static func parseMetadata(_ value: JSONValue, source: String) throws -> [String: String] {
        guard case .object(let entries) = value else {
            throw GateError("\(source): __metadata__ is not a JSON object")
        }
        var metadata: [String: String] = [:]
        for (key, item) in entries {
            guard case .string(let text) = item else {
                throw GateError("\(source): __metadata__ entry \"\(key)\" is \(item.kindName), expected a string")
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw GateError("\(source): __metadata__ entry \"\(key)\" appears twice")
            }
        }
        return metadata
    }

    private static func parseTensor(_ name: String, _ value: JSONValue, source: String) throws -> Tensor {
        let place = "\(source): tensor \(name)"
        guard case .object(let fields) = value else {
            throw GateError("\(place): header entry is \(value.kindName), expected an object")
        }
        var byKey: [String: JSONValue] = [:]
        for (key, field) in fields {
            guard byKey.updateValue(field, forKey: key) == nil else {
                throw GateError("\(place): field \"\(key)\" appears twice")
            }
        }
        guard case .string(let dtypeName)? = byKey["dtype"] else {
            throw GateError("\(place): \"dtype\" is missing or not a string")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw GateError("\(place): unsupported dtype \"\(dtypeName)\"")
        }
        guard case .array(let shapeItems)? = byKey["shape"],
              let shape = nonNegativeIntegers(shapeItems) else {
            throw GateError("\(place): \"shape\" is missing or not a list of non-negative integers")
        }
        guard case .array(let offsetItems)? = byKey["data_offsets"],
              let offsets = nonNegativeIntegers(offsetItems), offsets.count == 2 else {
            throw GateError("\(place): \"data_offsets\" is missing or not two non-negative integers")
        }
        let shapeText = bracketed(shape)
        guard offsets[0] <= offsets[1] else {
            throw GateError("\(place): data_offsets \(bracketed(offsets)) end before they begin")
        }
        guard let elements = elementCount(shape) else {
            throw GateError("\(place): shape \(shapeText) has too many elements to address")
        }
        let (bits, overflow) = elements.multipliedReportingOverflow(by: dtype.bitWidth)
        guard !overflow else {
            throw GateError("\(place): shape \(shapeText) of \(dtype.rawValue) is too large to address")
        }
        guard bits % 8 == 0 else {
            throw GateError("\(place): shape \(shapeText) of \(dtype.rawValue) does not fill whole bytes")
        }
        let span = offsets[1] - offsets[0]
        guard bits / 8 == span else {
            throw GateError("\(place): shape \(shapeText) of \(dtype.rawValue) needs \(bits / 8) bytes but data_offsets \(bracketed(offsets)) hold \(span)")
        }
        return Tensor(name: name, dtype: dtype, shape: shape,
                      dataOffsets: offsets[0]..<offsets[1], elementCount: elements)
    }

    /// The data must be tiled exactly: each tensor starts where the previous one ends, the
    /// first at 0, the last at the end of the file.
    private static func checkLayout(_ tensors: [Tensor], dataLength: Int, source: String) throws {
        var end = 0
        var previous: Tensor?
        for tensor in tensors {
            let range = tensor.dataOffsets
            let offsets = bracketed([range.lowerBound, range.upperBound])
            guard range.upperBound <= dataLength else {
                throw GateError("\(source): tensor \(tensor.name): data_offsets \(offsets) run past the end of the data (\(dataLength) bytes after the header)")
            }
            if range.lowerBound < end, let previous {
                let other = bracketed([previous.dataOffsets.lowerBound, previous.dataOffsets.upperBound])
                throw GateError("\(source): tensor \(tensor.name) (data_offsets \(offsets)) overlaps tensor \(previous.name) (data_offsets \(other))")
            }
            guard range.lowerBound == end else {
                throw GateError("\(source): tensor \(tensor.name): data_offsets \(offsets) leave \(range.lowerBound - end) bytes unused before it (previous data ends at \(end))")
            }
            end = range.upperBound
            previous = tensor
        }
        guard end == dataLength else {
            throw GateError("\(source): \(dataLength - end) bytes at the end of the file belong to no tensor (tensors end at \(end) of \(dataLength) data bytes)")
        }
    }

    private static func nonNegativeIntegers(_ items: [JSONValue]) -> [Int]? {
        var values: [Int] = []
        for item in items {
            guard case .number(let text) = item, let value = Int(text), value >= 0,
                  text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
            else { return nil }
            values.append(value)
        }
        return values
    }

    // MARK: Writing

    /// A Float32 tensor to write: `values` row-major, `shape.reduce(1, *) == values.count`.
    public struct F32Tensor: Sendable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The bytes of a safetensors file holding `tensors` as F32, laid out as the reference
    /// writer does: names sorted, `__metadata__` first, header padded with spaces to a
    /// multiple of 8 bytes so that the data is aligned.
    public static func encode(_ tensors: [F32Tensor], metadata: [String: String]) throws -> [UInt8] {
        let sorted = tensors.sorted { $0.name < $1.name }
        var header = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0] ?? ""))" }
            fields.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for tensor in sorted {
            guard elementCount(tensor.shape) == tensor.values.count else {
                throw GateError("tensor \(tensor.name): shape \(bracketed(tensor.shape)) does not hold \(tensor.values.count) values")
            }
            let end = offset + 4 * tensor.values.count
            fields.append("\(jsonString(tensor.name)):{\"dtype\":\"F32\",\"shape\":\(bracketed(tensor.shape, separator: ",")),\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        headerBytes += [UInt8](repeating: UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + headerBytes.count + offset)
        let length = UInt64(headerBytes.count)
        for b in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: length >> (8 * UInt64(b)))) }
        bytes += headerBytes
        for tensor in sorted {
            for value in tensor.values {
                let bits = value.bitPattern
                for b in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(b)))) }
            }
        }
        return bytes
    }
}

/// The product of a shape's extents (1 for a scalar), or nil if it overflows Int.
func elementCount(_ shape: [Int]) -> Int? {
    var count = 1
    for extent in shape {
        let (product, overflow) = count.multipliedReportingOverflow(by: extent)
        guard !overflow else { return nil }
        count = product
    }
    return count
}

/// "[24, 8]": how shapes and offsets appear in messages.
func bracketed(_ values: [Int], separator: String = ", ") -> String {
    "[" + values.map(String.init).joined(separator: separator) + "]"
}

// MARK: - JSON

/// A parsed JSON value. Objects keep their entries in order (and duplicates, so that the
/// caller can refuse them); numbers keep their text so integers are read exactly.
indirect enum JSONValue {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    var kindName: String {
        switch self {
        case .object: "an object"
        case .array: "a list"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}

/// A strict RFC 8259 parser over UTF-8 bytes, with limits checked while parsing so that
/// hostile input can exhaust neither the stack (nesting) nor memory and time (items in one
/// object or list, values in all): what it builds stays a small multiple of the input.
struct JSONParser {
    struct SyntaxError: Error {
        enum Kind { case syntax, notUTF8, overLimit }
        var message: String
        var offset: Int
        var kind = Kind.syntax
    }

    static let maxDepth = 64
    /// Entries of one object or items of one list.
    static let maxItems = 1 << 16
    /// Values in the whole document.
    static let maxValues = 1 << 20
    /// Bytes of one string (a name or a metadata value).
    static let maxStringBytes = 1 << 20
    private let bytes: [UInt8]
    private var index = 0
    private var valueCount = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws -> JSONValue {
        let value = try parseValue(depth: 0)
        skipWhitespace()
        guard index == bytes.count else { throw fail("unexpected text after the end of the value") }
        return value
    }

    /// A syntax error at `index`, or the UTF-8 error it really is when the byte there is
    /// not the start of a valid UTF-8 sequence.
    private func fail(_ message: String) -> SyntaxError {
        guard let byte = current, byte >= 0x80 else { return SyntaxError(message: message, offset: index) }
        var rest = bytes[index...].makeIterator()
        var decoder = Unicode.UTF8.ForwardParser()
        if case .valid = decoder.parseScalar(from: &rest) { return SyntaxError(message: message, offset: index) }
        return SyntaxError(message: "", offset: index, kind: .notUTF8)
    }

    private func overLimit(_ message: String) -> SyntaxError {
        SyntaxError(message: message, offset: index, kind: .overLimit)
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            index += 1
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        skipWhitespace()
        guard current == byte else { throw fail("expected \(what)") }
        index += 1
    }

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth < Self.maxDepth else { throw fail("nested more than \(Self.maxDepth) levels deep") }
        valueCount += 1
        guard valueCount <= Self.maxValues else { throw overLimit("more than \(Self.maxValues) values") }
        skipWhitespace()
        guard let byte = current else { throw fail("unexpected end of the header") }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail("unexpected character")
        }
    }

    private mutating func parseObject(depth: Int) throws -> JSONValue {
        index += 1
        var entries: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if current == UInt8(ascii: "}") { index += 1; return .object(entries) }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw fail("expected a quoted name") }
            guard entries.count < Self.maxItems else { throw overLimit("an object of more than \(Self.maxItems) entries") }
            let key = try parseString()
            try expect(UInt8(ascii: ":"), "':'")
            entries.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            guard let next = current else { throw fail("unexpected end of the header") }
            index += 1
            if next == UInt8(ascii: "}") { return .object(entries) }
            guard next == UInt8(ascii: ",") else { index -= 1; throw fail("expected ',' or '}'") }
        }
    }

    private mutating func parseArray(depth: Int) throws -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            guard items.count < Self.maxItems else { throw overLimit("a list of more than \(Self.maxItems) items") }
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard let next = current else { throw fail("unexpected end of the header") }
            index += 1
            if next == UInt8(ascii: "]") { return .array(items) }
            guard next == UInt8(ascii: ",") else { index -= 1; throw fail("expected ',' or ']'") }
        }
    }

    private mutating func parseLiteral(_ word: String) throws {
        for expected in word.utf8 {
            guard current == expected else { throw fail("unexpected character") }
            index += 1
        }
    }

    private mutating func parseNumber() throws -> String {
        let start = index
        func digits() -> Int {
            let first = index
            while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { index += 1 }
            return index - first
        }
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            throw fail("malformed number")
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw fail("malformed number") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw fail("malformed number") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// A string at `index` (on its opening quote): raw bytes are copied and checked to be
    /// UTF-8 (the only place where JSON text may hold other bytes than ASCII); escapes are
    /// decoded, surrogate pairs joined.
    private mutating func parseString() throws -> String {
        let start = index
        index += 1
        var utf8: [UInt8] = []
        while true {
            guard let byte = current else { throw fail("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(bytes: utf8, encoding: .utf8) else {
                    throw SyntaxError(message: "", offset: start, kind: .notUTF8)
                }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard let escape = current else { throw fail("unterminated string") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"): utf8 += try parseUnicodeEscape()
                default: index -= 1; throw fail("invalid escape")
                }
            case 0..<0x20:
                throw fail("control character in a string")
            default:
                // A run of plain bytes is copied at once.
                var end = index + 1
                while end < bytes.count, bytes[end] >= 0x20, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") {
                    end += 1
                }
                guard utf8.count + (end - index) <= Self.maxStringBytes else {
                    throw overLimit("a string of more than \(Self.maxStringBytes) bytes")
                }
                utf8 += bytes[index..<end]
                index = end
            }
        }
    }

    /// After `\u`: four hex digits, or a surrogate pair written as two escapes.
    private mutating func parseUnicodeEscape() throws -> [UInt8] {
        var value = try parseHex4()
        if (0xD800..<0xDC00).contains(value) {
            guard current == UInt8(ascii: "\\") else { throw fail("lone surrogate in \\u escape") }
            index += 1
            guard current == UInt8(ascii: "u") else { throw fail("lone surrogate in \\u escape") }
            index += 1
            let low = try parseHex4()
            guard (0xDC00..<0xE000).contains(low) else { throw fail("lone surrogate in \\u escape") }
            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(value) {
            throw fail("lone surrogate in \\u escape")
        }
        guard let scalar = Unicode.Scalar(value) else { throw fail("invalid \\u escape") }
        return Array(String(Character(scalar)).utf8)
    }

    private mutating func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = current, let digit = hexValue(byte) else { throw fail("invalid \\u escape") }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
