import Foundation

/// A reader for the part of HDF5 that h5py writes for Keras models: superblocks version 0–3,
/// object headers version 1 and 2, groups as symbol tables (B-tree version 1, local heap) or
/// compact link messages, datasets stored contiguous or compact, little-endian float32 and
/// float64 values, and string attributes (fixed length or variable length in the global
/// heap). Anything else (chunked or filtered data, dense link storage, big-endian floats) is
/// refused with a message naming it.
///
/// Every address and size comes from the file, so each is checked against the file's length
/// before it is used; recursion (group nesting, B-tree levels) and counts (messages,
/// continuation blocks, links) are bounded, and an object header reached twice ends the walk.
/// Wrong input is a `GateError` naming the file and what was wrong, never a trap.
struct HDF5File {
    let source: String
    private let bytes: [UInt8]
    private var offsetSize = 8
    private var lengthSize = 8
    /// The root group's object header.
    private(set) var rootAddress = 0

    /// What one object header says: its links (a group's members), string attributes, and,
    /// for a dataset, its shape, element type and where its values are.
    struct Object {
        var links: [(name: String, address: Int)] = []
        var attributes: [String: [String]] = [:]
        var dataset: Dataset?
        /// A version-1 group's symbol table: B-tree and local heap addresses.
        var symbolTable: (btree: Int, heap: Int)?
    }

    struct Dataset {
        var shape: [Int]
        /// 4 or 8 (little-endian IEEE float).
        var elementSize: Int
        /// (offset, count) of the raw values in the file, or nil when the dataset has none
        /// written yet (h5py's undefined address).
        var storage: (offset: Int, count: Int)?
        /// Why its values cannot be read (a layout or type this reader does not handle).
        var unsupported: String?
    }

    /// The deepest group nesting, B-tree, and count of messages, continuation blocks and links
    /// the reader follows: far beyond any model file, small enough to bound the work.
    static let maxDepth = 32
    static let maxMessages = 10_000
    static let maxLinks = 100_000
    /// The most strings of one attribute, and of global heap collections one object's
    /// attributes may point into.
    static let maxStrings = 4096
    static let maxHeapCollections = 64

    private static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    private static let undefined = -1

    static func isHDF5(_ head: [UInt8]) -> Bool { head.starts(with: signature) }

    init(bytes: [UInt8], source: String) throws {
        self.bytes = bytes
        self.source = source
        guard bytes.starts(with: Self.signature) else { throw fail("not an HDF5 file (no HDF5 signature at byte 0)") }
        var cursor = Cursor(at: 8)
        let version = try u8(&cursor)
        switch version {
        case 0, 1:
            cursor.position = 13
            offsetSize = Int(try u8(&cursor))
            lengthSize = Int(try u8(&cursor))
            try checkSizes()
            // Group K values (2 × 2), consistency flags (4), and in version 1 the indexed
            // storage K (2) and 2 reserved bytes.
            cursor.position = 24 + (version == 1 ? 4 : 0)
            // Base, free-space, end-of-file and driver addresses, then the root symbol table entry.
            let base = try offset(&cursor)
            guard base == 0 else { throw fail("HDF5 base address \(base) is not 0 (a file embedded in another), which gatescope does not read") }
            cursor.position += 3 * offsetSize + offsetSize  // free space, end of file, driver; entry's name offset
            rootAddress = try offset(&cursor)
        case 2, 3:
            offsetSize = Int(try u8(&cursor))
            lengthSize = Int(try u8(&cursor))
            try checkSizes()
            cursor.position += 1  // flags
            let base = try offset(&cursor)
            guard base == 0 else { throw fail("HDF5 base address \(base) is not 0 (a file embedded in another), which gatescope does not read") }
            cursor.position += 2 * offsetSize  // superblock extension, end of file
            rootAddress = try offset(&cursor)
        default:
            throw fail("HDF5 superblock version \(version), which gatescope does not read (it reads 0 to 3)")
        }
        guard rootAddress >= 0, rootAddress < bytes.count else {
            throw fail("HDF5 root group address \(rootAddress) is outside the file (\(bytes.count) bytes)")
        }
    }

    private func checkSizes() throws {
        guard [2, 4, 8].contains(offsetSize), [2, 4, 8].contains(lengthSize) else {
            throw fail("HDF5 sizes of offsets \(offsetSize) and lengths \(lengthSize) bytes are not 2, 4 or 8")
        }
    }

    func fail(_ message: String) -> GateError { GateError("\(source): \(message)") }

    // MARK: Reading checked values

    struct Cursor {
        var position: Int
        init(at position: Int) { self.position = position }
    }

    /// The `count` bytes at `cursor`, which moves past them; an error when they run past `end`
    /// (the file's end unless a smaller block is given).
    private func take(_ count: Int, _ cursor: inout Cursor, end: Int? = nil, what: String = "data") throws -> ArraySlice<UInt8> {
        let limit = min(end ?? bytes.count, bytes.count)
        guard count >= 0, cursor.position >= 0, cursor.position <= limit, count <= limit - cursor.position else {
            throw fail("HDF5 \(what) at byte \(cursor.position) (\(count) bytes) runs past the end of \(end == nil ? "the file" : "its block") (\(limit) bytes)")
        }
        defer { cursor.position += count }
        return bytes[cursor.position..<cursor.position + count]
    }

    private func unsigned(_ size: Int, _ cursor: inout Cursor, end: Int? = nil) throws -> UInt64 {
        let slice = try take(size, &cursor, end: end)
        return slice.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A size in bytes of something in the file: no larger than the file.
    private func byteCount(_ size: Int, _ cursor: inout Cursor, end: Int? = nil) throws -> Int {
        let value = try unsigned(size, &cursor, end: end)
        guard value <= UInt64(bytes.count) else { throw fail("HDF5 size \(value) bytes at byte \(cursor.position - size) is larger than the file (\(bytes.count) bytes)") }
        return Int(value)
    }

    private func u8(_ cursor: inout Cursor, end: Int? = nil) throws -> Int { Int(try unsigned(1, &cursor, end: end)) }
    private func u16(_ cursor: inout Cursor, end: Int? = nil) throws -> Int { Int(try unsigned(2, &cursor, end: end)) }
    private func u32(_ cursor: inout Cursor, end: Int? = nil) throws -> Int { Int(try unsigned(4, &cursor, end: end)) }

    /// An address: `undefined` for all ones; an error when it is beyond what an Int holds.
    private func offset(_ cursor: inout Cursor, end: Int? = nil) throws -> Int {
        let value = try unsigned(offsetSize, &cursor, end: end)
        if value == (offsetSize == 8 ? UInt64.max : (UInt64(1) << (8 * offsetSize)) - 1) { return Self.undefined }
        guard value <= UInt64(bytes.count) else {
            throw fail("HDF5 address \(value) at byte \(cursor.position - offsetSize) is outside the file (\(bytes.count) bytes)")
        }
        return Int(value)
    }

    private func length(_ cursor: inout Cursor, end: Int? = nil) throws -> Int {
        let value = try unsigned(lengthSize, &cursor, end: end)
        guard value <= UInt64(Int.max) else { throw fail("HDF5 length \(value) is beyond any file") }
        return Int(value)
    }

    private func expect(_ tag: String, at address: Int, what: String) throws {
        var cursor = Cursor(at: address)
        guard address >= 0, try take(4, &cursor, what: what).elementsEqual(tag.utf8) else {
            throw fail("HDF5 \(what) at byte \(address) does not start with \(tag)")
        }
    }

    // MARK: Object headers

    /// Reads the object header at `address`; its string attributes only when asked (the
    /// Keras loader needs the root's), since each may lead into the global heap.
    func object(at address: Int, readAttributes: Bool = false) throws -> Object {
        guard address >= 0, address < bytes.count else {
            throw fail("HDF5 object header address \(address) is outside the file (\(bytes.count) bytes)")
        }
        var object = Object()
        // Where each block's messages lie (a version-2 block's checksum excluded), and the
        // message header's form: 1, 2, or 3 for version 2 with creation order.
        var blocks: [(start: Int, end: Int, version: Int)] = []
        var cursor = Cursor(at: address)
        if bytes[address...].starts(with: "OHDR".utf8) {
            cursor.position += 4
            let version = try u8(&cursor)
            guard version == 2 else { throw fail("HDF5 object header version \(version) at byte \(address)") }
            let flags = try u8(&cursor)
            if flags & 0x20 != 0 { cursor.position += 16 }  // access, modification, change, birth times
            if flags & 0x10 != 0 { cursor.position += 4 }  // attribute storage phase change values
            let size = try byteCount(1 << (flags & 3), &cursor)
            blocks.append((cursor.position, cursor.position + size, flags & 0x04 != 0 ? 3 : 2))
        } else {
            let version = try u8(&cursor)
            guard version == 1 else { throw fail("HDF5 object header at byte \(address) has version \(version), expected 1 or an OHDR signature") }
            cursor.position += 3  // reserved, message count
            _ = try u32(&cursor)  // reference count
            let size = try u32(&cursor)
            // Messages start on the next 8-byte boundary after the 12-byte prefix.
            blocks.append((address + 16, address + 16 + size, 1))
        }
        var messages = 0
        var index = 0
        // The global heap collections the attributes point into, each read once.
        var heaps: [Int: [Int: ArraySlice<UInt8>]] = [:]
        while index < blocks.count {
            let block = blocks[index]
            index += 1
            guard block.end <= bytes.count, block.start <= block.end else {
                throw fail("HDF5 object header block at byte \(block.start) (\(block.end - block.start) bytes) runs past the end of the file")
            }
            var cursor = Cursor(at: block.start)
            let headerSize = block.version == 1 ? 8 : (block.version == 3 ? 6 : 4)
            let end = block.end
            while end - cursor.position >= headerSize {
                messages += 1
                guard messages <= Self.maxMessages else { throw fail("HDF5 object at byte \(address) has more than \(Self.maxMessages) messages") }
                let type: Int, size: Int
                if block.version == 1 {
                    type = try u16(&cursor, end: end)
                    size = try u16(&cursor, end: end)
                    cursor.position += 4  // flags, reserved
                } else {
                    type = try u8(&cursor, end: end)
                    size = try u16(&cursor, end: end)
                    cursor.position += block.version == 3 ? 3 : 1  // flags (and creation order)
                }
                let body = try take(size, &cursor, end: end, what: "message \(type)")
                let bodyEnd = body.endIndex
                var inner = Cursor(at: body.startIndex)
                switch type {
                case 0x10:  // continuation: more messages elsewhere
                    let at = try offset(&inner, end: bodyEnd), count = try byteCount(lengthSize, &inner, end: bodyEnd)
                    guard blocks.count < Self.maxMessages else { throw fail("HDF5 object at byte \(address) has too many continuation blocks") }
                    if block.version == 1 {
                        blocks.append((at, at + count, 1))
                    } else {
                        // The signature, the messages, a 4-byte checksum.
                        try expect("OCHK", at: at, what: "object header continuation")
                        guard count >= 8 else { throw fail("HDF5 object header continuation at byte \(at) of \(count) bytes") }
                        blocks.append((at + 4, at + count - 4, blocks[0].version))
                    }
                case 0x11:  // symbol table: a version-1 group
                    object.symbolTable = (try offset(&inner, end: bodyEnd), try offset(&inner, end: bodyEnd))
                case 0x06:
                    if let link = try parseLink(&inner, end: bodyEnd) { object.links.append(link) }
                case 0x02:  // link info: only the compact form (links as messages) is read
                    _ = try u8(&inner, end: bodyEnd)  // version
                    if try u8(&inner, end: bodyEnd) & 1 != 0 { inner.position += 8 }  // maximum creation index
                    let heap = try offset(&inner, end: bodyEnd)
                    guard heap == Self.undefined else {
                        throw fail("HDF5 group at byte \(address) keeps its links in a fractal heap (dense storage, a group of many members), which gatescope does not read")
                    }
                case 0x0C:
                    guard readAttributes else { continue }
                    if let (name, value) = try parseAttribute(&inner, end: bodyEnd, heaps: &heaps) {
                        object.attributes[name] = value
                    }
                case 0x01, 0x03, 0x08, 0x0B:
                    try parseDatasetMessage(type, &inner, end: bodyEnd, into: &object)
                default:
                    continue
                }
            }
        }
        if object.symbolTable != nil {
            object.links = try symbolTableLinks(object)
        }
        return object
    }

    /// A link message: name and, for a hard link, the object's address (soft and external
    /// links are skipped).
    private func parseLink(_ cursor: inout Cursor, end: Int) throws -> (name: String, address: Int)? {
        _ = try u8(&cursor, end: end)  // version
        let flags = try u8(&cursor, end: end)
        let type = flags & 0x08 != 0 ? try u8(&cursor, end: end) : 0
        if flags & 0x04 != 0 { cursor.position += 8 }  // creation order
        if flags & 0x10 != 0 { cursor.position += 1 }  // character set
        let nameLength = try byteCount(1 << (flags & 3), &cursor, end: end)
        let name = String(decoding: try take(nameLength, &cursor, end: end, what: "link name"), as: UTF8.self)
        guard type == 0 else { return nil }
        return (name, try offset(&cursor, end: end))
    }

    /// Dataspace, datatype, layout and filter messages.
    private func parseDatasetMessage(_ type: Int, _ cursor: inout Cursor, end: Int, into object: inout Object) throws {
        var dataset = object.dataset ?? Dataset(shape: [], elementSize: 0, storage: nil)
        switch type {
        case 0x01:
            dataset.shape = try parseDataspace(&cursor, end: end)
        case 0x03:
            let (size, problem) = try parseFloatType(&cursor, end: end)
            dataset.elementSize = size
            if let problem { dataset.unsupported = problem }
        case 0x08:
            let version = try u8(&cursor, end: end)
            guard version == 3 || version == 4 else {
                dataset.unsupported = "data layout version \(version)"
                break
            }
            switch try u8(&cursor, end: end) {
            case 0:  // compact: the values sit in the message
                let size = try u16(&cursor, end: end)
                dataset.storage = (cursor.position, size)
                _ = try take(size, &cursor, end: end, what: "compact data")
            case 1:
                let at = try offset(&cursor, end: end), size = try length(&cursor, end: end)
                dataset.storage = at == Self.undefined ? nil : (at, size)
            case 2:
                dataset.unsupported = "chunked storage (saved with compression or chunks?)"
            case let layout:
                dataset.unsupported = "data layout class \(layout)"
            }
        default:  // a filter pipeline: compressed or otherwise transformed values
            dataset.unsupported = "filtered (compressed) storage"
        }
        object.dataset = dataset
    }

    private func parseDataspace(_ cursor: inout Cursor, end: Int) throws -> [Int] {
        let version = try u8(&cursor, end: end)
        let rank = try u8(&cursor, end: end)
        let flags = try u8(&cursor, end: end)
        if version == 1 {
            cursor.position += 5
        } else {
            guard version == 2 else { throw fail("HDF5 dataspace version \(version)") }
            if try u8(&cursor, end: end) == 2 { return [0] }  // null dataspace: no elements
        }
        guard rank <= Self.maxDepth else { throw fail("HDF5 dataspace of rank \(rank)") }
        let shape = try (0..<rank).map { _ in try length(&cursor, end: end) }
        if flags & 1 != 0 { cursor.position += rank * lengthSize }  // maximum sizes
        return shape
    }

    /// A datatype message for a dataset's values: its size, and why it cannot be read when it
    /// is not a little-endian IEEE float of 4 or 8 bytes.
    private func parseFloatType(_ cursor: inout Cursor, end: Int) throws -> (Int, String?) {
        let classAndVersion = try u8(&cursor, end: end)
        let bits = try u8(&cursor, end: end)
        cursor.position += 2
        let size = try u32(&cursor, end: end)
        guard classAndVersion & 0x0F == 1 else { return (size, "values of HDF5 type class \(classAndVersion & 0x0F) (not floating point)") }
        guard bits & 0x41 == 0 else { return (size, "big-endian floating-point values") }
        guard size == 4 || size == 8 else { return (size, "\(size * 8)-bit floating-point values") }
        return (size, nil)
    }

    /// An attribute message; the value only when it is text (a string, or a list of strings).
    private func parseAttribute(_ cursor: inout Cursor, end: Int,
                                heaps: inout [Int: [Int: ArraySlice<UInt8>]]) throws -> (String, [String])? {
        let version = try u8(&cursor, end: end)
        guard (1...3).contains(version) else { throw fail("HDF5 attribute message version \(version)") }
        cursor.position += 1  // reserved (v1) or flags
        let nameSize = try u16(&cursor, end: end)
        let typeSize = try u16(&cursor, end: end)
        let spaceSize = try u16(&cursor, end: end)
        if version == 3 { cursor.position += 1 }  // name character set
        func padded(_ size: Int) -> Int { version == 1 ? (size + 7) / 8 * 8 : size }
        let nameBytes = try take(padded(nameSize), &cursor, end: end, what: "attribute name").prefix(nameSize)
        let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
        var typeCursor = cursor
        _ = try take(padded(typeSize), &cursor, end: end, what: "attribute type")
        var spaceCursor = cursor
        _ = try take(padded(spaceSize), &cursor, end: end, what: "attribute space")
        let count = try parseDataspace(&spaceCursor, end: end).reduce(1) { product, size in
            product.multipliedReportingOverflow(by: size).overflow ? Self.maxStrings + 1 : product * size
        }
        guard count <= Self.maxStrings else { return nil }
        let typeClass = try u8(&typeCursor, end: end) & 0x0F
        let typeBits = try u8(&typeCursor, end: end)
        typeCursor.position += 2
        let size = try u32(&typeCursor, end: end)
        switch typeClass {
        case 3:  // fixed-length string
            let values = try (0..<count).map { _ in
                String(decoding: try take(size, &cursor, end: end, what: "attribute value").prefix { $0 != 0 }, as: UTF8.self)
            }
            return (name, values)
        case 9 where typeBits & 0x0F == 1:  // variable-length string: length, then a global heap id
            let values = try (0..<count).map { _ in
                let length = try u32(&cursor, end: end)
                let collection = try offset(&cursor, end: end)
                let index = try u32(&cursor, end: end)
                if heaps[collection] == nil {
                    guard heaps.count < Self.maxHeapCollections else {
                        throw fail("HDF5 attribute \(name) points into more than \(Self.maxHeapCollections) global heaps")
                    }
                    heaps[collection] = try globalHeap(at: collection)
                }
                guard let data = heaps[collection]?[index] else {
                    throw fail("HDF5 global heap at byte \(collection) has no object \(index)")
                }
                guard length <= data.count else { throw fail("HDF5 string of \(length) bytes in a heap object of \(data.count)") }
                return String(decoding: data.prefix(length), as: UTF8.self)
            }
            return (name, values)
        default:
            return nil
        }
    }

    /// The objects of the global heap collection at `collection`, by index.
    private func globalHeap(at collection: Int) throws -> [Int: ArraySlice<UInt8>] {
        try expect("GCOL", at: collection, what: "global heap")
        var cursor = Cursor(at: collection + 8)
        let size = try length(&cursor)
        guard size <= bytes.count - collection else {
            throw fail("HDF5 global heap at byte \(collection) (\(size) bytes) runs past the end of the file")
        }
        let end = collection + size
        var objects: [Int: ArraySlice<UInt8>] = [:]
        while end - cursor.position >= 8 + lengthSize {
            let objectIndex = try u16(&cursor, end: end)
            cursor.position += 6  // reference count, reserved
            let objectSize = try length(&cursor, end: end)
            if objectIndex == 0 { break }  // free space to the end of the collection
            objects[objectIndex] = try take(objectSize, &cursor, end: end, what: "global heap object")
            cursor.position += (8 - objectSize % 8) % 8
        }
        return objects
    }

    // MARK: Groups of version 1: B-tree and local heap

    private func symbolTableLinks(_ object: Object) throws -> [(name: String, address: Int)] {
        guard let table = object.symbolTable else { return [] }
        try expect("HEAP", at: table.heap, what: "local heap")
        var cursor = Cursor(at: table.heap + 8)
        let heapSize = try length(&cursor)
        _ = try length(&cursor)  // free list
        let heapData = try offset(&cursor)
        var dataCursor = Cursor(at: heapData)
        let heap = try take(heapSize, &dataCursor, what: "local heap data")
        var links: [(name: String, address: Int)] = []
        var visited: Set<Int> = []
        try collect(btree: table.btree, heap: heap, depth: 0, visited: &visited, into: &links)
        return links
    }

    /// The symbols under B-tree node `address`; a node reached twice is a loop.
    private func collect(btree address: Int, heap: ArraySlice<UInt8>, depth: Int, visited: inout Set<Int>,
                         into links: inout [(name: String, address: Int)]) throws {
        guard depth <= Self.maxDepth else { throw fail("HDF5 group B-tree deeper than \(Self.maxDepth) levels (a loop?)") }
        guard visited.insert(address).inserted else { throw fail("HDF5 group B-tree reaches the node at byte \(address) twice") }
        try expect("TREE", at: address, what: "group B-tree node")
        var cursor = Cursor(at: address + 4)
        guard try u8(&cursor) == 0 else { throw fail("HDF5 B-tree at byte \(address) is not a group node") }
        let level = try u8(&cursor)
        let used = try u16(&cursor)
        cursor.position += 2 * offsetSize  // siblings
        for _ in 0..<used {
            _ = try length(&cursor)  // key: a heap offset
            let child = try offset(&cursor)
            if level > 0 {
                try collect(btree: child, heap: heap, depth: depth + 1, visited: &visited, into: &links)
                continue
            }
            guard visited.insert(child).inserted else { throw fail("HDF5 group B-tree reaches the node at byte \(child) twice") }
            try expect("SNOD", at: child, what: "symbol table node")
            var node = Cursor(at: child + 6)
            let symbols = try u16(&node)
            for _ in 0..<symbols {
                let nameOffset = try offset(&node)
                let objectAddress = try offset(&node)
                node.position += 24  // cache type, reserved, scratch pad
                guard nameOffset >= 0, nameOffset < heap.count else {
                    throw fail("HDF5 link name offset \(nameOffset) is outside its local heap (\(heap.count) bytes)")
                }
                let name = heap[(heap.startIndex + nameOffset)...].prefix { $0 != 0 }
                links.append((String(decoding: name, as: UTF8.self), objectAddress))
                guard links.count <= Self.maxLinks else { throw fail("HDF5 group with more than \(Self.maxLinks) members") }
            }
        }
    }

    // MARK: Walking and reading values

    /// Every object under the root, by path ("layers/lstm/cell/vars/0"), parents first.
    func walk() throws -> [(path: String, object: Object)] {
        var found: [(path: String, object: Object)] = []
        var visited: Set<Int> = []
        func visit(_ address: Int, path: String, depth: Int) throws {
            guard depth <= Self.maxDepth else { throw fail("HDF5 groups nested deeper than \(Self.maxDepth) levels at \(path)") }
            guard visited.insert(address).inserted else { return }
            let object = try self.object(at: address)
            found.append((path, object))
            guard found.count <= Self.maxLinks else { throw fail("HDF5 file with more than \(Self.maxLinks) objects") }
            for link in object.links {
                try visit(link.address, path: path.isEmpty ? link.name : path + "/" + link.name, depth: depth + 1)
            }
        }
        try visit(rootAddress, path: "", depth: 0)
        return found
    }

    /// The values of a dataset as float32, row-major; `name` names it in errors.
    func floats(_ dataset: Dataset, name: String) throws -> [Float] {
        if let unsupported = dataset.unsupported {
            throw fail("\(name) is stored with \(unsupported), which gatescope does not read")
        }
        guard let count = elementCount(dataset.shape) else { throw fail("\(name) has shape \(bracketed(dataset.shape))") }
        guard let storage = dataset.storage else {
            guard count == 0 else { throw fail("\(name) has no values written") }
            return []
        }
        let (needed, overflow) = count.multipliedReportingOverflow(by: dataset.elementSize)
        guard !overflow, needed <= storage.count else {
            throw fail("\(name) has shape \(bracketed(dataset.shape)) but \(storage.count) bytes of values")
        }
        var cursor = Cursor(at: storage.offset)
        let raw = try take(needed, &cursor, what: "values of \(name)")
        return stride(from: raw.startIndex, to: raw.endIndex, by: dataset.elementSize).map { start in
            let word = raw[start..<start + dataset.elementSize].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return dataset.elementSize == 4 ? Float(bitPattern: UInt32(truncatingIfNeeded: word)) : Float(Double(bitPattern: word))
        }
    }
}
