/// A restricted reader of Python pickles, as `torch.save` writes them (protocol 2; the few
/// opcodes of protocols 3 and 4 that carry plain data are understood too).
///
/// The pickle is interpreted as data, never executed: a `GLOBAL` only names a class or
/// function, and nothing named is imported or called. Calls (`REDUCE`) are understood for the
/// handful of callables that rebuild tensors, containers and the plain values torch's own
/// `weights_only` loader accepts (`torch.Size`, `torch.device`, bytes); an instance of any
/// other class (`NEWOBJ` + `BUILD`, how a whole pickled module is written) becomes an inert
/// record of its class name and state. Everything else is an error naming the opcode or the global and
/// the byte where it was found.
///
/// Containers live in a heap and values refer to them by index, so a hostile pickle cannot
/// build a reference cycle or a nesting deep enough to exhaust the stack when freed; every
/// walk over the result is bounded by `Pickle.maxDepth`.
enum Pickle {
    /// How deep a walk over the rebuilt values may go (a whole module is ~4 levels per
    /// submodule level; state dicts are 2).
    static let maxDepth = 200

    /// A module-qualified name, as `GLOBAL` writes it ("torch._utils", "_rebuild_tensor_v2").
    struct Global: Equatable {
        let module: String
        let name: String
        var dotted: String { "\(module).\(name)" }
    }

    /// A storage named by `persistent_load`: `('storage', torch.FloatStorage, key, location, numel)`.
    struct Storage: Equatable {
        /// "torch.FloatStorage", "torch.HalfStorage", …
        let typeName: String
        /// The record `data/<key>` of the archive.
        let key: String
        let location: String
        let elementCount: Int
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, …)`: a view of a storage.
    struct Tensor: Equatable {
        let storage: Storage
        let offset: Int
        let shape: [Int]
        let strides: [Int]
    }

    enum Value: Equatable {
        case none
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
        /// Data understood only well enough to name it ("bytes (12)", "int of 9 bytes").
        case opaque(String)
        case global(Global)
        case storage(Storage)
        case tensor(Tensor)
        // Containers, by index into the heap.
        case tuple(Int)
        case list(Int)
        case dict(Int)
        case object(Int)
    }

    /// A dict (or OrderedDict) in insertion order, as Python keeps it.
    struct Dict {
        var keys: [Value] = []
        var values: [Value] = []
        var index: [Key: Int] = [:]

        /// The hashable keys pickled dicts use; Python's `1 == True` holds here too.
        enum Key: Hashable {
            case string(String), int(Int), float(UInt64), none
        }

        /// The value for a string key.
        func value(for key: String) -> Value? {
            index[.string(key)].map { values[$0] }
        }
    }

    /// An instance of a class the pickle named, never constructed: what it would be built from.
    struct Object {
        let type: Global
        /// `BUILD`'s state, usually the instance `__dict__` (nil before `BUILD`).
        var state: Value?
    }

    /// Every container the pickle built.
    struct Heap {
        var tuples: [[Value]] = []
        var lists: [[Value]] = []
        var dicts: [Dict] = []
        var objects: [Object] = []
    }

    struct Result {
        let root: Value
        let heap: Heap
    }

    /// Interprets `bytes`; `source` ("model.pt: archive/data.pkl") starts every error.
    static func read(_ bytes: [UInt8], source: String) throws -> Result {
        var machine = Machine(bytes: bytes, source: source)
        return try machine.run()
    }
}

extension Pickle.Value {
    /// The value's kind in Python's words, for messages.
    func kindName(in heap: Pickle.Heap) -> String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .opaque(let what): what
        case .global(let global): global.dotted
        case .storage(let storage): storage.typeName
        case .tensor: "tensor"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case .object(let index): heap.objects[index].type.dotted
        }
    }
}

/// The pickle virtual machine, restricted: a stack, a mark stack and a memo.
private struct Machine {
    let bytes: [UInt8]
    let source: String
    var position = 0
    /// Where the opcode being run starts, for messages.
    var opcodeStart = 0
    var stack: [Pickle.Value] = []
    var marks: [Int] = []
    var memo: [Int: Pickle.Value] = [:]
    var heap = Pickle.Heap()

    init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    func fail(_ message: String) -> GateError {
        GateError("\(source): \(message) (at byte \(opcodeStart))")
    }

    mutating func run() throws -> Pickle.Result {
        while true {
            opcodeStart = position
            let opcode = try readByte()
            if opcode == Opcode.stop {
                guard stack.count == 1, marks.isEmpty else {
                    throw fail("the pickle ends with \(stack.count) values on its stack instead of one")
                }
                return Pickle.Result(root: stack[0], heap: heap)
            }
            try execute(opcode)
        }
    }

    // MARK: Reading the byte stream

    mutating func readByte() throws -> UInt8 {
        guard position < bytes.count else { throw fail("the pickle ends before its STOP opcode") }
        defer { position += 1 }
        return bytes[position]
    }

    /// `count` bytes; a declared length larger than what is left is an error, never an allocation.
    mutating func readBytes(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - position else {
            throw fail("a length of \(count) bytes runs past the end of the pickle (\(bytes.count) bytes)")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    /// A little-endian unsigned integer of `width` bytes (≤ 8).
    mutating func readUnsigned(_ width: Int) throws -> UInt64 {
        try readBytes(width).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A length field of `width` bytes, as an Int.
    mutating func readLength(_ width: Int) throws -> Int {
        let length = try readUnsigned(width)
        guard length <= UInt64(bytes.count) else {
            throw fail("a length of \(length) bytes runs past the end of the pickle (\(bytes.count) bytes)")
        }
        return Int(length)
    }

    mutating func readUTF8(_ count: Int) throws -> String {
        let raw = try readBytes(count)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw fail("a string is not valid UTF-8")
        }
        return text
    }

    /// A newline-terminated line (`GLOBAL`'s operands).
    mutating func readLine() throws -> String {
        guard let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else {
            throw fail("GLOBAL's name has no end of line")
        }
        let text = try readUTF8(end - position)
        position += 1
        return text
    }

    /// LONG1/LONG4: little-endian two's complement of any length.
    mutating func readLong(_ count: Int) throws -> Pickle.Value {
        let raw = try readBytes(count)
        guard count <= 8 else { return .opaque("int of \(count) bytes") }
        guard let last = raw.last else { return .int(0) }
        var value = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if last & 0x80 != 0, count < 8 {
            value |= UInt64.max << (8 * UInt64(count))  // sign-extend
        }
        return .int(Int(bitPattern: UInt(value)))
    }

    // MARK: The stack

    /// The top value; the values below the last MARK belong to an unfinished container.
    mutating func pop() throws -> Pickle.Value {
        guard stack.count > (marks.last ?? 0), let value = stack.popLast() else {
            throw fail("the pickle takes a value from an empty stack")
        }
        return value
    }

    /// The values pushed since the last MARK, which is removed.
    mutating func popToMark() throws -> [Pickle.Value] {
        guard let mark = marks.popLast() else { throw fail("the pickle uses a MARK it never set") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    func top() throws -> Pickle.Value {
        guard stack.count > (marks.last ?? 0), let value = stack.last else {
            throw fail("the pickle reads a value from an empty stack")
        }
        return value
    }

    mutating func push(tuple items: [Pickle.Value]) {
        heap.tuples.append(items)
        stack.append(.tuple(heap.tuples.count - 1))
    }

    mutating func newDict(pairs: [Pickle.Value]) throws -> Pickle.Value {
        heap.dicts.append(Pickle.Dict())
        let index = heap.dicts.count - 1
        try setItems(pairs, into: index)
        return .dict(index)
    }

    mutating func setItems(_ pairs: [Pickle.Value], into index: Int) throws {
        guard pairs.count.isMultiple(of: 2) else { throw fail("SETITEMS has a key without a value") }
        for pair in stride(from: 0, to: pairs.count, by: 2) {
            let key = pairs[pair]
            let hashable: Pickle.Dict.Key
            switch key {
            case .string(let text): hashable = .string(text)
            case .int(let number): hashable = .int(number)
            case .bool(let flag): hashable = .int(flag ? 1 : 0)
            case .float(let number): hashable = .float(number.bitPattern)
            case .none: hashable = .none
            default: throw fail("a dict key is a \(key.kindName(in: heap)), which gatescope does not read")
            }
            if let existing = heap.dicts[index].index[hashable] {
                heap.dicts[index].values[existing] = pairs[pair + 1]
            } else {
                heap.dicts[index].index[hashable] = heap.dicts[index].keys.count
                heap.dicts[index].keys.append(key)
                heap.dicts[index].values.append(pairs[pair + 1])
            }
        }
    }

    mutating func append(_ items: [Pickle.Value], to target: Pickle.Value, opcode: String) throws {
        guard case .list(let index) = target else {
            throw fail("\(opcode) adds to a \(target.kindName(in: heap)), not a list")
        }
        heap.lists[index] += items
    }

    func tupleItems(_ value: Pickle.Value) -> [Pickle.Value]? {
        guard case .tuple(let index) = value else { return nil }
        return heap.tuples[index]
    }

    // MARK: Opcodes

    mutating func execute(_ opcode: UInt8) throws {
        switch opcode {
        case Opcode.proto:
            let version = try readByte()
            guard version <= 5 else { throw fail("pickle protocol \(version) is newer than Python's") }
        case Opcode.frame:
            _ = try readBytes(8)  // a length hint only
        case Opcode.mark:
            marks.append(stack.count)
        case Opcode.pop:
            _ = try pop()
        case Opcode.popMark:
            _ = try popToMark()
        case Opcode.dup:
            stack.append(try top())

        // Scalars
        case Opcode.none: stack.append(.none)
        case Opcode.newTrue: stack.append(.bool(true))
        case Opcode.newFalse: stack.append(.bool(false))
        case Opcode.binInt1: stack.append(.int(Int(try readUnsigned(1))))
        case Opcode.binInt2: stack.append(.int(Int(try readUnsigned(2))))
        case Opcode.binInt: stack.append(.int(Int(Int32(bitPattern: UInt32(try readUnsigned(4))))))
        case Opcode.long1: stack.append(try readLong(try readLength(1)))
        case Opcode.long4: stack.append(try readLong(try readLength(4)))
        case Opcode.binFloat:
            // The only big-endian field of a pickle.
            let bits = try readBytes(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            stack.append(.float(Double(bitPattern: bits)))
        case Opcode.shortBinUnicode: stack.append(.string(try readUTF8(try readLength(1))))
        case Opcode.binUnicode: stack.append(.string(try readUTF8(try readLength(4))))
        case Opcode.binUnicode8: stack.append(.string(try readUTF8(try readLength(8))))
        case Opcode.shortBinBytes: stack.append(.opaque("bytes (\(try readBytes(try readLength(1)).count))"))
        case Opcode.binBytes: stack.append(.opaque("bytes (\(try readBytes(try readLength(4)).count))"))

        // Containers
        case Opcode.emptyTuple: push(tuple: [])
        case Opcode.tuple1: push(tuple: [try pop()])
        case Opcode.tuple2:
            let second = try pop()
            push(tuple: [try pop(), second])
        case Opcode.tuple3:
            let third = try pop(), second = try pop()
            push(tuple: [try pop(), second, third])
        case Opcode.tuple: push(tuple: try popToMark())
        case Opcode.emptyList, Opcode.emptySet:
            heap.lists.append([])
            stack.append(.list(heap.lists.count - 1))
        case Opcode.list:
            heap.lists.append(try popToMark())
            stack.append(.list(heap.lists.count - 1))
        case Opcode.append:
            let item = try pop()
            try append([item], to: try top(), opcode: "APPEND")
        case Opcode.appends, Opcode.addItems:
            let items = try popToMark()
            try append(items, to: try top(), opcode: opcode == Opcode.appends ? "APPENDS" : "ADDITEMS")
        case Opcode.emptyDict: stack.append(try newDict(pairs: []))
        case Opcode.dict: stack.append(try newDict(pairs: try popToMark()))
        case Opcode.setItem:
            let value = try pop(), key = try pop()
            try setItems([key, value], into: try dictIndex(try top(), opcode: "SETITEM"))
        case Opcode.setItems:
            let pairs = try popToMark()
            try setItems(pairs, into: try dictIndex(try top(), opcode: "SETITEMS"))

        // Memo
        case Opcode.binPut: memo[Int(try readUnsigned(1))] = try top()
        case Opcode.longBinPut: memo[Int(try readUnsigned(4))] = try top()
        case Opcode.memoize: memo[memo.count] = try top()
        case Opcode.binGet: try pushMemo(Int(try readUnsigned(1)))
        case Opcode.longBinGet: try pushMemo(Int(try readUnsigned(4)))

        // Names, calls, instances, storages
        case Opcode.global:
            let module = try readLine()
            stack.append(.global(Pickle.Global(module: module, name: try readLine())))
        case Opcode.stackGlobal:
            let name = try pop(), module = try pop()
            guard case .string(let moduleName) = module, case .string(let globalName) = name else {
                throw fail("STACK_GLOBAL's operands are not strings")
            }
            stack.append(.global(Pickle.Global(module: moduleName, name: globalName)))
        case Opcode.reduce:
            let arguments = try pop(), callable = try pop()
            stack.append(try call(callable, arguments))
        case Opcode.newObj:
            let arguments = try pop(), type = try pop()
            stack.append(try instantiate(type, arguments))
        case Opcode.build:
            let state = try pop()
            try build(try top(), state: state)
        case Opcode.binPersId:
            stack.append(.storage(try storage(try pop())))

        default:
            let name = Opcode.names[opcode].map { "\($0) " } ?? ""
            throw fail("pickle opcode \(name)(0x\(String(opcode, radix: 16))) is not one gatescope reads")
        }
    }

    mutating func pushMemo(_ key: Int) throws {
        guard let value = memo[key] else { throw fail("the pickle reads memo entry \(key), never stored") }
        stack.append(value)
    }

    func dictIndex(_ value: Pickle.Value, opcode: String) throws -> Int {
        guard case .dict(let index) = value else {
            throw fail("\(opcode) stores into a \(value.kindName(in: heap)), not a dict")
        }
        return index
    }

    /// REDUCE: only the callables that rebuild tensors and containers; nothing is called.
    mutating func call(_ callable: Pickle.Value, _ arguments: Pickle.Value) throws -> Pickle.Value {
        guard case .global(let global) = callable else {
            throw fail("REDUCE calls a \(callable.kindName(in: heap)), which gatescope does not call")
        }
        guard let arguments = tupleItems(arguments) else {
            throw fail("REDUCE of \(global.dotted) has arguments that are not a tuple")
        }
        switch (global.module, global.name) {
        case ("collections", "OrderedDict"):
            // OrderedDict() or OrderedDict([(key, value), …]).
            var pairs: [Pickle.Value] = []
            if let first = arguments.first {
                guard arguments.count == 1, case .list(let list) = first else {
                    throw fail("OrderedDict is rebuilt from arguments gatescope does not read")
                }
                for item in heap.lists[list] {
                    guard let pair = tupleItems(item), pair.count == 2 else {
                        throw fail("OrderedDict is rebuilt from items that are not pairs")
                    }
                    pairs += pair
                }
            }
            return try newDict(pairs: pairs)
        case ("__builtin__", "set"), ("builtins", "set"), ("__builtin__", "frozenset"), ("builtins", "frozenset"):
            // A set of names (`_non_persistent_buffers_set`), kept as a list.
            guard arguments.count == 1, case .list(let list) = arguments[0] else {
                throw fail("\(global.dotted) is rebuilt from arguments gatescope does not read")
            }
            heap.lists.append(heap.lists[list])
            return .list(heap.lists.count - 1)
        case ("torch", "Size"):
            // torch.Size((2, 3)) is its tuple.
            guard arguments.count == 1, case .tuple = arguments[0] else {
                throw fail("torch.Size is rebuilt from arguments gatescope does not read")
            }
            return arguments[0]
        case ("torch", "device"):
            return .opaque("torch.device")
        case ("_codecs", "encode"):
            // How protocol 2 writes bytes: encode(text, "latin1").
            guard case .string(let text)? = arguments.first else {
                throw fail("_codecs.encode is called with arguments gatescope does not read")
            }
            return .opaque("bytes (\(text.unicodeScalars.count))")
        case ("torch._utils", "_rebuild_tensor_v2"):
            return .tensor(try rebuildTensor(arguments))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            // A Parameter is its tensor; requires_grad, hooks and state do not matter here.
            guard let data = arguments.first, case .tensor = data else {
                throw fail("\(global.name) wraps a \(arguments.first?.kindName(in: heap) ?? "nothing"), not a tensor")
            }
            return data
        default:
            throw fail("REDUCE would call \(global.dotted); gatescope never calls anything a file names, it only rebuilds tensors and containers")
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
    func rebuildTensor(_ arguments: [Pickle.Value]) throws -> Pickle.Tensor {
        guard arguments.count >= 4, case .storage(let storage) = arguments[0],
              case .int(let offset) = arguments[1],
              let shape = integers(arguments[2]), let strides = integers(arguments[3]) else {
            throw fail("_rebuild_tensor_v2 has arguments gatescope does not read (expected storage, offset, size, stride)")
        }
        guard shape.count == strides.count else {
            throw fail("_rebuild_tensor_v2 has \(shape.count) sizes but \(strides.count) strides")
        }
        return Pickle.Tensor(storage: storage, offset: offset, shape: shape, strides: strides)
    }

    func integers(_ value: Pickle.Value) -> [Int]? {
        guard let items = tupleItems(value) else { return nil }
        var result: [Int] = []
        for item in items {
            guard case .int(let number) = item else { return nil }
            result.append(number)
        }
        return result
    }

    /// NEWOBJ: `cls.__new__(cls, *args)` is never run; the instance is a record of its class.
    mutating func instantiate(_ type: Pickle.Value, _ arguments: Pickle.Value) throws -> Pickle.Value {
        guard case .global(let global) = type else {
            throw fail("NEWOBJ makes an instance of a \(type.kindName(in: heap)), not of a named class")
        }
        guard tupleItems(arguments) != nil else {
            throw fail("NEWOBJ of \(global.dotted) has arguments that are not a tuple")
        }
        if global == Pickle.Global(module: "collections", name: "OrderedDict") {
            return try newDict(pairs: [])
        }
        heap.objects.append(Pickle.Object(type: global, state: nil))
        return .object(heap.objects.count - 1)
    }

    /// BUILD: an instance's state is recorded; a dict's attributes (an OrderedDict's
    /// `_metadata`) are not needed and dropped.
    mutating func build(_ target: Pickle.Value, state: Pickle.Value) throws {
        switch target {
        case .object(let index):
            guard heap.objects[index].state == nil else {
                throw fail("BUILD sets the state of \(heap.objects[index].type.dotted) twice")
            }
            // (dict, slots) state: the dict is the instance's __dict__.
            if let pair = tupleItems(state), pair.count == 2 {
                heap.objects[index].state = pair[0]
            } else {
                heap.objects[index].state = state
            }
        case .dict:
            break
        default:
            throw fail("BUILD sets the state of a \(target.kindName(in: heap)), which gatescope does not read")
        }
    }

    /// BINPERSID: `('storage', torch.FloatStorage, key, location, numel)`.
    func storage(_ pid: Pickle.Value) throws -> Pickle.Storage {
        guard let fields = tupleItems(pid), fields.count == 5, fields[0] == .string("storage"),
              case .global(let type) = fields[1], case .string(let key) = fields[2],
              case .string(let location) = fields[3], case .int(let count) = fields[4] else {
            throw fail("a persistent id is not ('storage', type, key, location, numel)")
        }
        guard count >= 0 else { throw fail("storage \(key) has a negative size \(count)") }
        return Pickle.Storage(typeName: type.dotted, key: key, location: location, elementCount: count)
    }
}

/// The opcodes gatescope reads (pickletools' names), and the names of the others for messages.
private enum Opcode {
    static let mark: UInt8 = 0x28, stop: UInt8 = 0x2E, pop: UInt8 = 0x30, popMark: UInt8 = 0x31
    static let dup: UInt8 = 0x32, binFloat: UInt8 = 0x47, binInt: UInt8 = 0x4A, binInt1: UInt8 = 0x4B
    static let binInt2: UInt8 = 0x4D, none: UInt8 = 0x4E, binPersId: UInt8 = 0x51, reduce: UInt8 = 0x52
    static let binUnicode: UInt8 = 0x58, emptyList: UInt8 = 0x5D, append: UInt8 = 0x61, build: UInt8 = 0x62
    static let global: UInt8 = 0x63, dict: UInt8 = 0x64, appends: UInt8 = 0x65, binGet: UInt8 = 0x68
    static let longBinGet: UInt8 = 0x6A, list: UInt8 = 0x6C, binPut: UInt8 = 0x71, longBinPut: UInt8 = 0x72
    static let setItem: UInt8 = 0x73, tuple: UInt8 = 0x74, setItems: UInt8 = 0x75, emptyDict: UInt8 = 0x7D
    static let emptyTuple: UInt8 = 0x29, proto: UInt8 = 0x80, newObj: UInt8 = 0x81, tuple1: UInt8 = 0x85
    static let tuple2: UInt8 = 0x86, tuple3: UInt8 = 0x87, newTrue: UInt8 = 0x88, newFalse: UInt8 = 0x89
    static let long1: UInt8 = 0x8A, long4: UInt8 = 0x8B, shortBinUnicode: UInt8 = 0x8C
    static let binUnicode8: UInt8 = 0x8D, emptySet: UInt8 = 0x8F, addItems: UInt8 = 0x90
    static let stackGlobal: UInt8 = 0x93, memoize: UInt8 = 0x94, frame: UInt8 = 0x95
    static let binBytes: UInt8 = 0x42, shortBinBytes: UInt8 = 0x43

    /// The opcodes gatescope refuses, named in its messages.
    static let names: [UInt8: String] = [
        0x49: "INT", 0x4C: "LONG", 0x46: "FLOAT", 0x53: "STRING", 0x54: "BINSTRING",
        0x55: "SHORT_BINSTRING", 0x56: "UNICODE", 0x70: "PUT", 0x67: "GET", 0x69: "INST",
        0x6F: "OBJ", 0x50: "PERSID", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4", 0x8E: "BINBYTES8",
        0x91: "FROZENSET", 0x92: "NEWOBJ_EX", 0x96: "BYTEARRAY8", 0x97: "NEXT_BUFFER",
        0x98: "READONLY_BUFFER",
    ]
}
