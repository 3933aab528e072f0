/// What a torch.save pickle holds, as the model loader needs it: the tensors of one model
/// (named as in `model.state_dict()`), the module tree of a whole pickled model, and a
/// description of everything else.
struct TorchContents {
    var tensors: [(name: String, tensor: Pickle.Tensor)] = []
    var modules: [ModuleHint] = []
    var other: [String] = []

    /// Checkpoint keys that name the model, most specific first.
    static let modelKeys = [
        "model_state_dict", "state_dict", "model_state", "model", "net", "network",
        "net_state_dict", "module", "weights", "params", "model_weights",
    ]

    private let heap: Pickle.Heap
    private let source: String

    init(_ pickle: Pickle.Result, source: String) throws {
        heap = pickle.heap
        self.source = source
        switch pickle.root {
        case .dict(let index) where isStateDict(heap.dicts[index]):
            collect(stateDict: heap.dicts[index])
        case .dict(let index):
            try collect(checkpoint: heap.dicts[index])
        case .object(let index) where isModule(heap.objects[index]):
            try collect(module: index, path: "", depth: 0)
        case .list(let index):
            try collect(sequence: heap.lists[index])
        case .tuple(let index):
            try collect(sequence: heap.tuples[index])
        case .tensor(let tensor):
            tensors = [("tensor", tensor)]
        default:
            throw GateError("\(source): holds a \(pickle.root.kindName(in: heap)), not a state_dict, a checkpoint or a model")
        }
    }

    // MARK: What is what

    /// A state_dict: string keys, tensor values (OrderedDict or dict).
    private func isStateDict(_ dict: Pickle.Dict) -> Bool {
        guard !dict.values.isEmpty else { return false }
        return dict.keys.allSatisfy { if case .string = $0 { true } else { false } }
            && dict.values.allSatisfy { if case .tensor = $0 { true } else { false } }
    }

    /// An `nn.Module` instance: its state has `_parameters` and `_modules`.
    private func isModule(_ object: Pickle.Object) -> Bool {
        guard case .dict(let state)? = object.state else { return false }
        return heap.dicts[state].value(for: "_parameters") != nil
            && heap.dicts[state].value(for: "_modules") != nil
    }

    private func holdsModel(_ value: Pickle.Value) -> Bool {
        switch value {
        case .dict(let index): isStateDict(heap.dicts[index])
        case .object(let index): isModule(heap.objects[index])
        default: false
        }
    }

    // MARK: Collecting

    private mutating func collect(stateDict dict: Pickle.Dict) {
        for (key, value) in zip(dict.keys, dict.values) {
            if case .string(let name) = key, case .tensor(let tensor) = value {
                tensors.append((name, tensor))
            }
        }
    }

    /// A checkpoint: the model is the entry under the most specific known key, else the only
    /// entry that is a state_dict or a module; the rest is described.
    private mutating func collect(checkpoint dict: Pickle.Dict) throws {
        let entries = zip(dict.keys, dict.values).map { (key: describe(key: $0.0), value: $0.1) }
        let models = entries.filter { holdsModel($0.value) }
        let chosen: (key: String, value: Pickle.Value)
        if let known = Self.modelKeys.lazy.compactMap({ key in models.first { $0.key == key } }).first {
            chosen = known
        } else if models.count == 1, let only = models.first {
            chosen = only
        } else if models.isEmpty {
            let listed = entries.map { "\($0.key) (\($0.value.kindName(in: heap)))" }.joined(separator: ", ")
            throw GateError("\(source): holds a dict with no state_dict or model in it: \(listed.isEmpty ? "empty" : listed)")
        } else {
            throw GateError("\(source): holds several models (\(models.map(\.key).joined(separator: ", "))) and none under a key gatescope knows (\(Self.modelKeys.joined(separator: ", "))); save the one to open on its own: torch.save(checkpoint[\"KEY\"], \"model.pt\")")
        }
        switch chosen.value {
        case .dict(let index): collect(stateDict: heap.dicts[index])
        case .object(let index): try collect(module: index, path: "", depth: 0)
        default: break
        }
        other = entries.filter { $0.key != chosen.key }.map { "\($0.key): \(describe($0.value))" }
    }

    /// `torch.save([t0, t1])`: tensors named by position.
    private mutating func collect(sequence items: [Pickle.Value]) throws {
        for (position, item) in items.enumerated() {
            guard case .tensor(let tensor) = item else {
                throw GateError("\(source): holds a list whose item \(position) is a \(item.kindName(in: heap)), not a tensor")
            }
            tensors.append((String(position), tensor))
        }
        guard !tensors.isEmpty else { throw GateError("\(source): holds an empty list, no tensors") }
    }

    /// A module, as `state_dict()` walks it: its parameters, its persistent buffers, then
    /// each submodule in registration order.
    private mutating func collect(module index: Int, path: String, depth: Int) throws {
        let object = heap.objects[index]
        let place = path.isEmpty ? "the model" : "module \(path)"
        guard depth < Pickle.maxDepth else { throw GateError("\(source): modules nest deeper than \(Pickle.maxDepth) levels") }
        guard case .dict(let stateIndex)? = object.state else {
            throw GateError("\(source): \(place) (\(object.type.dotted)) has no attribute dict")
        }
        let state = heap.dicts[stateIndex]
        var attributes: [String: String] = [:]
        for (key, value) in zip(state.keys, state.values) {
            guard case .string(let name) = key, !name.hasPrefix("_"), name != "training",
                  let text = scalarText(value) else { continue }
            attributes[name] = text
        }
        modules.append(ModuleHint(path: path, className: object.type.name, attributes: attributes))
        let prefix = path.isEmpty ? "" : path + "."
        let nonPersistent = Set(stringItems(state.value(for: "_non_persistent_buffers_set")))
        for field in ["_parameters", "_buffers"] {
            guard let value = state.value(for: field) else { continue }
            guard case .dict(let tensorsIndex) = value else {
                throw GateError("\(source): \(place): \(field) is a \(value.kindName(in: heap)), not a dict")
            }
            let dict = heap.dicts[tensorsIndex]
            for (key, value) in zip(dict.keys, dict.values) {
                guard case .string(let name) = key, !(field == "_buffers" && nonPersistent.contains(name)) else { continue }
                switch value {
                case .tensor(let tensor): tensors.append((prefix + name, tensor))
                case .none: continue  // a parameter registered as None (bias=False)
                default:
                    throw GateError("\(source): \(place): \(field)[\(name)] is a \(value.kindName(in: heap)), not a tensor")
                }
            }
        }
        guard case .dict(let childrenIndex)? = state.value(for: "_modules") else { return }
        let children = heap.dicts[childrenIndex]
        for (key, value) in zip(children.keys, children.values) {
            guard case .string(let name) = key else { continue }
            switch value {
            case .object(let child) where isModule(heap.objects[child]):
                try collect(module: child, path: prefix + name, depth: depth + 1)
            case .none: continue
            default:
                throw GateError("\(source): \(place): submodule \(name) is a \(value.kindName(in: heap)), not a module")
            }
        }
    }

    // MARK: Describing

    private func stringItems(_ value: Pickle.Value?) -> [String] {
        guard case .list(let index)? = value else { return [] }
        return heap.lists[index].compactMap { if case .string(let text) = $0 { text } else { nil } }
    }

    /// A scalar as text: `true`/`false`, `none`, numbers as Python prints them, strings as is.
    private func scalarText(_ value: Pickle.Value) -> String? {
        switch value {
        case .none: "none"
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .float(let number): String(number)
        case .string(let text): text
        default: nil
        }
    }

    private func describe(key: Pickle.Value) -> String {
        scalarText(key) ?? key.kindName(in: heap)
    }

    /// One line for `inspect`: a scalar's value, a container's kind and size.
    private func describe(_ value: Pickle.Value) -> String {
        if case .string(let text) = value {
            return "\"" + (text.count > 40 ? String(text.prefix(40)) + "…" : text) + "\""
        }
        if let text = scalarText(value) { return text }
        switch value {
        case .dict(let index): return "dict of \(heap.dicts[index].keys.count)"
        case .list(let index): return "list of \(heap.lists[index].count)"
        case .tuple(let index): return "tuple of \(heap.tuples[index].count)"
        case .tensor(let tensor): return "tensor \(bracketed(tensor.shape))"
        default: return value.kindName(in: heap)
        }
    }
}
