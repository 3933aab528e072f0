import XCTest
@testable import GateCore

/// Builds safetensors bytes by hand, so that tests can make any file, good or broken.
enum SafeTensorsBytes {
    static func littleEndian(_ value: UInt64, width: Int = 8) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    /// The 8-byte length, the header as given, then the data.
    static func file(header: String, data: [UInt8] = []) -> [UInt8] {
        let headerBytes = Array(header.utf8)
        return littleEndian(UInt64(headerBytes.count)) + headerBytes + data
    }

    /// A file with tensors of any dtype whose raw little-endian data is given.
    static func file(_ tensors: [(name: String, dtype: String, shape: [Int], data: [UInt8])],
                     metadata: [String: String] = [:]) -> [UInt8] {
        var fields: [String] = []
        if !metadata.isEmpty {
            let items = metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }
            fields.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        var data: [UInt8] = []
        for tensor in tensors {
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\"\(tensor.name)\":{\"dtype\":\"\(tensor.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + tensor.data.count)]}")
            offset += tensor.data.count
            data += tensor.data
        }
        return file(header: "{" + fields.joined(separator: ",") + "}", data: data)
    }

    static func f32(_ values: [Float]) -> [UInt8] {
        values.flatMap { littleEndian(UInt64($0.bitPattern), width: 4) }
    }
}

/// Asserts that `body` throws a GateError whose message contains every fragment.
func assertGateError(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                     _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error containing \(fragments)", file: file, line: line)
    } catch let error as GateError {
        for fragment in fragments where !error.message.contains(fragment) {
            XCTFail("\"\(error.message)\" does not contain \"\(fragment)\"", file: file, line: line)
        }
        XCTAssertFalse(error.message.contains("\n"), "message is not one line", file: file, line: line)
    } catch {
        XCTFail("expected a GateError, got \(error)", file: file, line: line)
    }
}

final class SafeTensorsTests: XCTestCase {
    private func parse(_ bytes: [UInt8]) throws -> SafeTensorsFile {
        try SafeTensorsFile(bytes: bytes, source: "m.safetensors")
    }

    private func assertParseError(_ bytes: [UInt8], _ fragments: [String],
                                  file: StaticString = #filePath, line: UInt = #line) {
        assertGateError(["m.safetensors: "] + fragments, file: file, line: line) { _ = try parse(bytes) }
    }

    // MARK: Conversions, against values computed by numpy and PyTorch

    func testHalfBitsConvertAsNumpyDoes() throws {
        // (binary16 bits, float32 bits), computed with numpy:
        //   np.array(bits, dtype=np.uint16).view(np.float16).astype(np.float32).view(np.uint32)
        // zeros, ±1, smallest and largest subnormal, smallest normal, max, 1/3, ±inf, NaNs
        // (a quiet one and two with payloads, which numpy keeps).
        let cases: [(UInt16, UInt32)] = [
            (0x0000, 0x0000_0000), (0x8000, 0x8000_0000), (0x3C00, 0x3F80_0000), (0xBC00, 0xBF80_0000),
            (0x0001, 0x3380_0000), (0x8001, 0xB380_0000), (0x03FF, 0x387F_C000), (0x0400, 0x3880_0000),
            (0x7BFF, 0x477F_E000), (0x3555, 0x3EAA_A000), (0x7C00, 0x7F80_0000), (0xFC00, 0xFF80_0000),
            (0x7E00, 0x7FC0_0000), (0x7C01, 0x7F80_2000), (0xFE01, 0xFFC0_2000),
        ]
        for (half, expected) in cases {
            XCTAssertEqual(HalfPrecision.float(fromHalfBits: half).bitPattern, expected, "F16 0x\(String(half, radix: 16))")
        }
        // The same values read from an F16 tensor of a file (little-endian bytes).
        let data = cases.flatMap { SafeTensorsBytes.littleEndian(UInt64($0.0), width: 2) }
        let file = try parse(SafeTensorsBytes.file([("t", "F16", [cases.count], data)]))
        let values = try file.floats(XCTUnwrap(file.tensor(named: "t")))
        XCTAssertEqual(values.map(\.bitPattern), cases.map(\.1))
    }

    func testBFloat16BitsConvertAsPyTorchDoes() throws {
        // (bfloat16 bits, float32 bits), computed with PyTorch:
        //   torch.tensor(bits_as_int16).view(torch.bfloat16).float().view(torch.int32)
        let cases: [(UInt16, UInt32)] = [
            (0x0000, 0x0000_0000), (0x8000, 0x8000_0000), (0x3F80, 0x3F80_0000), (0xC049, 0xC049_0000),
            (0x0001, 0x0001_0000), (0x807F, 0x807F_0000), (0x7F7F, 0x7F7F_0000), (0x7F80, 0x7F80_0000),
            (0xFF80, 0xFF80_0000), (0x7FC0, 0x7FC0_0000), (0x7F81, 0x7F81_0000), (0x3EAA, 0x3EAA_0000),
        ]
        for (bf16, expected) in cases {
            XCTAssertEqual(HalfPrecision.float(fromBFloat16Bits: bf16).bitPattern, expected)
        }
        let data = cases.flatMap { SafeTensorsBytes.littleEndian(UInt64($0.0), width: 2) }
        let file = try parse(SafeTensorsBytes.file([("t", "BF16", [3, 4], data)]))
        let values = try file.floats(XCTUnwrap(file.tensor(named: "t")))
        XCTAssertEqual(values.map(\.bitPattern), cases.map(\.1))
    }

    func testDoublesRoundToNearestFloatAsNumpyDoes() throws {
        // (float64 bits, float32 bits), computed with numpy `.astype(np.float32)` (and the
        // same with torch `.float()`): 0, -0, 0.1, 1/3, -2.5, 1e-46 (→ 0), 1e-40 (→ subnormal),
        // ±1e39 (→ ±inf), just past FLT_MAX (→ inf), a tie 1 + 2⁻²⁴ (→ 1, even), 1 + 3·2⁻²⁴
        // (→ 1 + 2⁻²², even), inf, NaN, the smallest double (→ 0).
        let cases: [(UInt64, UInt32)] = [
            (0x0000_0000_0000_0000, 0x0000_0000), (0x8000_0000_0000_0000, 0x8000_0000),
            (0x3FB9_9999_9999_999A, 0x3DCC_CCCD), (0x3FD5_5555_5555_5555, 0x3EAA_AAAB),
            (0xC004_0000_0000_0000, 0xC020_0000), (0x3662_44CE_242C_5561, 0x0000_0000),
            (0x37A1_6C26_2777_579C, 0x0001_16C2), (0x4807_8287_F49C_4A1D, 0x7F80_0000),
            (0xC807_8287_F49C_4A1D, 0xFF80_0000), (0x47EF_FFFF_F000_0000, 0x7F80_0000),
            (0x3FF0_0000_1000_0000, 0x3F80_0000), (0x3FF0_0000_3000_0000, 0x3F80_0002),
            (0x7FF0_0000_0000_0000, 0x7F80_0000), (0x7FF8_0000_0000_0000, 0x7FC0_0000),
            (0x0000_0000_0000_0001, 0x0000_0000),
        ]
        let data = cases.flatMap { SafeTensorsBytes.littleEndian($0.0) }
        let file = try parse(SafeTensorsBytes.file([("t", "F64", [cases.count], data)]))
        let values = try file.floats(XCTUnwrap(file.tensor(named: "t")))
        XCTAssertEqual(values.map(\.bitPattern), cases.map(\.1))
    }

    // MARK: Writing

    func testEncodingMatchesTheReferenceWriterByteForByte() throws {
        // safetensors.numpy.save({"b": [1.5, -2.0], "a": [[0.25, 3.0]]} as float32,
        // metadata={"format": "pt"}) with the reference implementation (safetensors 0.8.0).
        let reference: [UInt8] = [
            0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7b, 0x22, 0x5f, 0x5f, 0x6d, 0x65, 0x74, 0x61,
            0x64, 0x61, 0x74, 0x61, 0x5f, 0x5f, 0x22, 0x3a, 0x7b, 0x22, 0x66, 0x6f, 0x72, 0x6d, 0x61, 0x74,
            0x22, 0x3a, 0x22, 0x70, 0x74, 0x22, 0x7d, 0x2c, 0x22, 0x61, 0x22, 0x3a, 0x7b, 0x22, 0x64, 0x74,
            0x79, 0x70, 0x65, 0x22, 0x3a, 0x22, 0x46, 0x33, 0x32, 0x22, 0x2c, 0x22, 0x73, 0x68, 0x61, 0x70,
            0x65, 0x22, 0x3a, 0x5b, 0x31, 0x2c, 0x32, 0x5d, 0x2c, 0x22, 0x64, 0x61, 0x74, 0x61, 0x5f, 0x6f,
            0x66, 0x66, 0x73, 0x65, 0x74, 0x73, 0x22, 0x3a, 0x5b, 0x30, 0x2c, 0x38, 0x5d, 0x7d, 0x2c, 0x22,
            0x62, 0x22, 0x3a, 0x7b, 0x22, 0x64, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x22, 0x46, 0x33, 0x32,
            0x22, 0x2c, 0x22, 0x73, 0x68, 0x61, 0x70, 0x65, 0x22, 0x3a, 0x5b, 0x32, 0x5d, 0x2c, 0x22, 0x64,
            0x61, 0x74, 0x61, 0x5f, 0x6f, 0x66, 0x66, 0x73, 0x65, 0x74, 0x73, 0x22, 0x3a, 0x5b, 0x38, 0x2c,
            0x31, 0x36, 0x5d, 0x7d, 0x7d, 0x20, 0x20, 0x20, 0x00, 0x00, 0x80, 0x3e, 0x00, 0x00, 0x40, 0x40,
            0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0,
        ]
        let encoded = try SafeTensorsFile.encode([
            .init(name: "b", shape: [2], values: [1.5, -2.0]),
            .init(name: "a", shape: [1, 2], values: [0.25, 3.0]),
        ], metadata: ["format": "pt"])
        XCTAssertEqual(encoded, reference)
        let file = try parse(reference)
        XCTAssertEqual(file.tensors.map(\.name), ["a", "b"])
        XCTAssertEqual(try file.floats(XCTUnwrap(file.tensor(named: "b"))), [1.5, -2.0])
        XCTAssertEqual(file.metadata, ["format": "pt"])
    }

    func testHeaderIsPaddedToEightBytesAndStringsSurviveEscaping() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{7} é 😀"
        for nameLength in 1...9 {
            let name = String(repeating: "w", count: nameLength)
            let bytes = try SafeTensorsFile.encode([.init(name: name, shape: [1], values: [1])],
                                                   metadata: ["vocab": awkward])
            let file = try parse(bytes)
            XCTAssertEqual(file.headerLength % 8, 0)
            XCTAssertEqual(file.metadata["vocab"], awkward)
            XCTAssertEqual(file.tensors.map(\.name), [name])
        }
    }

    func testEscapesAndSurrogatePairsInTheHeaderAreDecoded() throws {
        let header = #"{"__metadata__":{"v":"\u00e9\ud83d\ude00\/\n"}}"#
        XCTAssertEqual(try parse(SafeTensorsBytes.file(header: header)).metadata["v"], "é😀/\n")
        assertParseError(SafeTensorsBytes.file(header: #"{"__metadata__":{"v":"\ud83d"}}"#), ["not valid JSON", "surrogate"])
    }

    // MARK: Errors, one per way a file can be wrong

    func testEmptyFile() {
        assertParseError([], ["empty file"])
    }

    func testFileShorterThanTheLengthField() {
        assertParseError([0x10, 0, 0], ["3 bytes", "too short"])
    }

    func testHeaderLengthPastTheEnd() {
        assertParseError(SafeTensorsBytes.littleEndian(100) + Array("{}".utf8),
                         ["header length 100 runs past the end of the file (10 bytes)"])
    }

    func testHeaderOverTheSizeLimitIsRefusedBeforeReading() {
        assertParseError(SafeTensorsBytes.littleEndian(100_000_001) + Array("{}".utf8), ["100000001", "100 MB limit"])
        assertParseError(SafeTensorsBytes.littleEndian(UInt64.max) + Array("{}".utf8), ["\(UInt64.max)", "limit"])
    }

    func testHeaderNotUTF8() {
        assertParseError(SafeTensorsBytes.littleEndian(4) + [0x7B, 0xC3, 0x28, 0x7D], ["not valid UTF-8"])
    }

    func testHeaderNotJSON() {
        // The offset counts from the start of the file: 8 + the position in the header.
        assertParseError(SafeTensorsBytes.file(header: #"{"a": }"#), ["not valid JSON", "at byte 14"])
        assertParseError(SafeTensorsBytes.file(header: "{} x"), ["not valid JSON", "after the end"])
        assertParseError(SafeTensorsBytes.file(header: ""), ["not valid JSON"])
        assertParseError(SafeTensorsBytes.file(header: "{\"a\":\"tab\tinside\"}"), ["control character"])
    }

    func testHeaderNotAnObject() {
        assertParseError(SafeTensorsBytes.file(header: "[1, 2]"), ["header is not a JSON object"])
    }

    func testHeaderNotUTF8InsideAString() {
        assertParseError(SafeTensorsBytes.littleEndian(9) + Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8),
                         ["not valid UTF-8", "at byte 13"])
    }

    /// Absurd headers within the 100 MB length limit are refused while parsing, after a
    /// bounded amount of work: a long list, a million tensors, a long string.
    func testAbsurdHeadersAreRefusedQuickly() {
        let cases: [(header: String, fragment: String)] = [
            ("[" + String(repeating: "0,", count: 5_000_000) + "0]", "a list of more than 65536 items"),
            (#"{"a":{"dtype":"F32","shape":["# + String(repeating: "0,", count: 5_000_000) + #"0],"data_offsets":[0,0]}}"#,
             "a list of more than 65536 items"),
            ("{" + (0..<1_000_000).map { #""t\#($0)":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}"# }.joined(separator: ",") + "}",
             "an object of more than 65536 entries"),
            ("{" + (0..<60_000).map { #""t\#($0)":{"dtype":"F32","shape":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"data_offsets":[0,0]}"# }.joined(separator: ",") + "}",
             "more than 1048576 values"),
            (#"{"__metadata__":{"a":""# + String(repeating: "x", count: 3_000_000) + #""}}"#, "a string of more than 1048576 bytes"),
        ]
        for (header, fragment) in cases {
            let bytes = SafeTensorsBytes.file(header: header)
            let started = Date()
            assertParseError(bytes, ["header has " + fragment, "beyond gatescope's limits"])
            XCTAssertLessThan(Date().timeIntervalSince(started), 10, fragment)
        }
    }

    /// Decoding from a file goes a bounded chunk at a time: values on both sides of a chunk
    /// boundary arrive in order. Float16 holds every integer up to 2048 exactly.
    func testLongTensorsAreDecodedAcrossChunks() throws {
        let count = SafeTensorsFile.chunkElements + 5
        let expected = (0..<count).map { Float($0 % 2049) }
        let half = expected.flatMap { SafeTensorsBytes.littleEndian(UInt64(Float16($0).bitPattern), width: 2) }
        let double = expected.flatMap { SafeTensorsBytes.littleEndian(Double($0).bitPattern) }
        let bytes = SafeTensorsBytes.file([("h", "F16", [count], half), ("d", "F64", [count], double),
                                           ("f", "F32", [count], SafeTensorsBytes.f32(expected))])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-chunks-\(UUID().uuidString).safetensors").path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try SafeTensorsFile(path: path)
        for name in ["h", "d", "f"] {
            XCTAssertEqual(try file.floats(XCTUnwrap(file.tensor(named: name))), expected, name)
        }
    }

    /// The parameter budget is checked on the header, before any value is read: a file of
    /// one value too many is refused however little of it is on disk (it is sparse here).
    func testModelFilesOverTheParameterBudgetAreRefusedBeforeReading() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-budget-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        func write(elements: Int) throws {
            var header = #"{"weight_ih_l0":{"dtype":"F16","shape":[\#(elements)],"data_offsets":[0,\#(2 * elements)]}}"#
            header += String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(SafeTensorsBytes.file(header: header))))
            XCTAssertEqual(truncate(path, off_t(8 + header.utf8.count + 2 * elements)), 0)
        }
        try write(elements: ModelBudget.maxParameters + 1)
        assertGateError(["\(path): its tensors hold 300,000,001 values; gatescope loads at most 300,000,000 parameters (1.2 GB as float32) from a model file"]) {
            _ = try SafeTensorsFile(path: path)
        }
        try write(elements: ModelBudget.maxParameters)
        XCTAssertEqual(try SafeTensorsFile(path: path).tensors.map(\.elementCount), [ModelBudget.maxParameters])
    }

    func testDeepNestingIsRefusedWithoutExhaustingTheStack() {
        let header = String(repeating: "[", count: 200_000)
        assertParseError(SafeTensorsBytes.file(header: header), ["nested more than 64 levels"])
    }

    func testUnknownDtypeIsNamed() {
        let bytes = SafeTensorsBytes.file([("rnn.weight_ih_l0", "Q4", [2], [0, 0])])
        assertParseError(bytes, ["tensor rnn.weight_ih_l0", "unsupported dtype \"Q4\""])
    }

    func testNonFloatDtypeIsListedButNotRead() throws {
        let file = try parse(SafeTensorsBytes.file([("steps", "I64", [1], [UInt8](repeating: 0, count: 8))]))
        XCTAssertEqual(file.tensor(named: "steps")?.dtype, .i64)
        assertGateError(["m.safetensors: tensor steps has dtype I64", "F32, F64, F16, BF16"]) {
            _ = try file.floats(XCTUnwrap(file.tensor(named: "steps")))
        }
    }

    func testOffsetsPastTheEnd() {
        let bytes = SafeTensorsBytes.file(header: #"{"w":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}}"#,
                                          data: [UInt8](repeating: 0, count: 8))
        assertParseError(bytes, ["tensor w", "data_offsets [0, 400] run past the end of the data (8 bytes"])
    }

    func testOffsetsThatDoNotMatchShapeAndDtype() {
        let bytes = SafeTensorsBytes.file(header: #"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#,
                                          data: [UInt8](repeating: 0, count: 20))
        assertParseError(bytes, ["tensor w", "shape [2, 3] of F32 needs 24 bytes", "[0, 20] hold 20"])
    }

    func testOffsetsThatEndBeforeTheyBegin() {
        let bytes = SafeTensorsBytes.file(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#,
                                          data: [UInt8](repeating: 0, count: 8))
        assertParseError(bytes, ["tensor w", "[8, 4] end before they begin"])
    }

    func testOverlappingTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        assertParseError(SafeTensorsBytes.file(header: header, data: [UInt8](repeating: 0, count: 12)),
                         ["tensor b (data_offsets [4, 12]) overlaps tensor a (data_offsets [0, 8])"])
    }

    func testGapBeforeATensor() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        assertParseError(SafeTensorsBytes.file(header: header, data: [UInt8](repeating: 0, count: 8)),
                         ["tensor a", "leave 4 bytes unused"])
    }

    func testTrailingBytesBelongToNoTensor() {
        let bytes = SafeTensorsBytes.file([("a", "F32", [1], [0, 0, 0, 0])]) + [1, 2, 3]
        assertParseError(bytes, ["3 bytes at the end of the file belong to no tensor"])
    }

    func testHugeShapesAreRefusedBeforeAllocating() {
        // Element count overflows Int.
        assertParseError(SafeTensorsBytes.file(header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}}"#),
                         ["tensor w", "shape [4294967296, 4294967296, 4] has too many elements"])
        // Element count fits, byte count does not.
        assertParseError(SafeTensorsBytes.file(header: #"{"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}}"#),
                         ["tensor w", "too large to address"])
        // Consistent with its offsets but far beyond the file: a billion floats.
        assertParseError(SafeTensorsBytes.file(header: #"{"w":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}"#,
                                                data: [0, 0, 0, 0]),
                         ["tensor w", "run past the end of the data (4 bytes"])
        // Integers beyond 64 bits are not numbers we can use.
        assertParseError(SafeTensorsBytes.file(header: #"{"w":{"dtype":"F32","shape":[99999999999999999999999],"data_offsets":[0,4]}}"#),
                         ["tensor w", "\"shape\" is missing or not a list of non-negative integers"])
    }

    func testMalformedTensorEntries() {
        func entry(_ body: String) -> [UInt8] { SafeTensorsBytes.file(header: "{\"w\":\(body)}", data: [0, 0, 0, 0]) }
        assertParseError(entry("[1]"), ["tensor w", "is a list, expected an object"])
        assertParseError(entry(#"{"shape":[1],"data_offsets":[0,4]}"#), ["tensor w", "\"dtype\" is missing"])
        assertParseError(entry(#"{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}"#), ["tensor w", "\"shape\""])
        assertParseError(entry(#"{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}"#), ["tensor w", "\"shape\""])
        assertParseError(entry(#"{"dtype":"F32","shape":[1],"data_offsets":[0]}"#), ["tensor w", "\"data_offsets\""])
        assertParseError(entry(#"{"dtype":"F32","shape":[1],"data_offsets":[0,4],"dtype":"F32"}"#), ["tensor w", "field \"dtype\" appears twice"])
    }

    func testDuplicateTensorNames() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        assertParseError(SafeTensorsBytes.file(header: header, data: [0, 0, 0, 0]), ["\"a\" appears twice"])
    }

    func testMetadataMustMapToStrings() {
        assertParseError(SafeTensorsBytes.file(header: #"{"__metadata__":{"seed":1}}"#),
                         ["__metadata__ entry \"seed\" is a number, expected a string"])
        assertParseError(SafeTensorsBytes.file(header: #"{"__metadata__":[]}"#), ["__metadata__ is not a JSON object"])
    }

    func testScalarsEmptyTensorsAndLeadingWhitespaceAreValid() throws {
        // As in the reference parser: shape [] holds one value, shape [0] none.
        let header = #"  {"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]}}"#
        let file = try parse(SafeTensorsBytes.file(header: header, data: SafeTensorsBytes.f32([2.5])))
        XCTAssertEqual(try file.floats(XCTUnwrap(file.tensor(named: "s"))), [2.5])
        XCTAssertEqual(try file.floats(XCTUnwrap(file.tensor(named: "e"))), [])
    }

    func testPathsThatAreNotReadableFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatescope-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        assertGateError(["\(directory.path)/none.safetensors: no such file"]) {
            _ = try SafeTensorsFile(path: directory.path + "/none.safetensors")
        }
        assertGateError(["\(directory.path): is a directory"]) { _ = try SafeTensorsFile(path: directory.path) }
        let empty = directory.appendingPathComponent("empty.safetensors")
        _ = FileManager.default.createFile(atPath: empty.path, contents: Data())
        assertGateError(["\(empty.path): empty file"]) { _ = try SafeTensorsFile(path: empty.path) }
        // A good file read from disk gives the same tensors as from memory.
        let good = directory.appendingPathComponent("good.safetensors")
        let bytes = SafeTensorsBytes.file([("a", "F32", [2], SafeTensorsBytes.f32([1, -1])), ("b", "BF16", [1], [0x80, 0x3F])])
        _ = FileManager.default.createFile(atPath: good.path, contents: Data(bytes))
        let file = try SafeTensorsFile(path: good.path)
        XCTAssertEqual(try file.floats(XCTUnwrap(file.tensor(named: "a"))), [1, -1])
        XCTAssertEqual(try file.floats(XCTUnwrap(file.tensor(named: "b"))), [1])
    }
}
