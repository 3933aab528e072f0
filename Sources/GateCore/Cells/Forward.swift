extension RecurrentModel {
    /// Runs the model over `inputs` (T × inputSize) from the given initial states (zeros by
    /// default; h0 [layer][direction][unit of P], c0 [LSTM layer][direction][unit]) and records
    /// every intermediate value, as PyTorch computes them. `progress` (one part, a step per t
    /// and layer direction) hears of every step and may stop the work: it then throws
    /// `CancellationError`.
    public func trace(_ inputs: some Collection<[Float]>, initialHidden: [Float]? = nil,
                      initialCell: [Float]? = nil, progress: WorkProgress? = nil) throws -> Trace {
        try run(Array(inputs), tokens: nil, initialHidden: initialHidden, initialCell: initialCell, clamps: [], progress: progress)
    }

    /// Runs an embedding model over token ids: x_t is row `tokens[t]` of the embedding, as
    /// `nn.Embedding` looks it up. An id outside the table is an error naming it and its
    /// position (counted from 1).
    public func trace(tokens: [Int], initialHidden: [Float]? = nil, initialCell: [Float]? = nil,
                      progress: WorkProgress? = nil) throws -> Trace {
        try run(embeddingRows(tokens), tokens: tokens, initialHidden: initialHidden, initialCell: initialCell,
                clamps: [], progress: progress)
    }

    /// The embedding rows of `tokens`.
    public func embeddingRows(_ tokens: [Int]) throws -> [[Float]] {
        guard let embedding else {
            throw GateError("token ids need a model with an embedding, and this one has none")
        }
        return try tokens.enumerated().map { position, id in
            guard let row = embedding.row(id) else {
                throw GateError("token id \(id) at position \(position + 1) is outside the embedding's \(embedding.vocabularySize) rows (ids 0 to \(embedding.vocabularySize - 1))")
            }
            return row
        }
    }

    /// Refuses a step whose input is not `inputSize` values wide, naming it.
    func checkWidths(_ inputs: [[Float]]) throws {
        for (t, x) in inputs.enumerated() where x.count != inputSize {
            throw GateError("input step \(t + 1) has \(Wording.count(x.count, "value")), the model expects \(inputSize)")
        }
    }

    /// `trace(_:initialHidden:initialCell:progress:)` written into `trace`, whose arrays'
    /// storage is kept where it has room (the values are the same, bit for bit): tracing
    /// sequences of one length one after another then faults in no new pages. Whatever
    /// `trace` held is replaced; after an error it holds no meaningful values.
    public func trace(_ inputs: some Collection<[Float]>, into trace: inout Trace, initialHidden: [Float]? = nil,
                      initialCell: [Float]? = nil, progress: WorkProgress? = nil) throws {
        try run(Array(inputs), tokens: nil, initialHidden: initialHidden, initialCell: initialCell, clamps: [],
                progress: progress, into: &trace)
    }

    /// `clamps` (from `Poke`s) holds, per layer and direction (index 2k + d), the activations
    /// to replace; empty when nothing is poked.
    func run(_ inputs: [[Float]], tokens: [Int]?, initialHidden: [Float]? = nil,
             initialCell: [Float]? = nil, clamps: [[StepClamp]], progress: WorkProgress?) throws -> Trace {
        let (h0, c0) = try checkedInitialStates(inputs, initialHidden: initialHidden, initialCell: initialCell)
        var trace = Trace(model: self, inputs: inputs, tokens: tokens, initialHidden: h0, initialCell: c0)
        try record(&trace, clamps: clamps, progress: progress)
        return trace
    }

    /// `run` into `trace`'s storage (`Trace.relayOut`).
    func run(_ inputs: [[Float]], tokens: [Int]?, initialHidden: [Float]? = nil, initialCell: [Float]? = nil,
             clamps: [[StepClamp]], progress: WorkProgress?, into trace: inout Trace) throws {
        let (h0, c0) = try checkedInitialStates(inputs, initialHidden: initialHidden, initialCell: initialCell)
        trace.relayOut(model: self, inputs: inputs, tokens: tokens, initialHidden: h0, initialCell: c0)
        try record(&trace, clamps: clamps, progress: progress)
    }

    /// The initial states a run starts from, zeros where not given; refuses inputs of the
    /// wrong width and states of the wrong size, naming them.
    private func checkedInitialStates(_ inputs: [[Float]], initialHidden: [Float]?,
                                      initialCell: [Float]?) throws -> (hidden: [Float], cell: [Float]) {
        try checkWidths(inputs)
        let sizes = Trace.initialSizes(layers.map(Trace.LayerShape.init))
        let h0 = initialHidden ?? [Float](repeating: 0, count: sizes.hidden)
        let c0 = initialCell ?? [Float](repeating: 0, count: sizes.cell)
        guard h0.count == sizes.hidden else {
            throw GateError("initial h has \(h0.count) values, expected \(sizes.hidden) (each layer's directions × its h size)")
        }
        guard c0.count == sizes.cell else {
            throw GateError("initial c has \(c0.count) values, expected \(sizes.cell) (each LSTM layer's directions × its hidden size)")
        }
        return (h0, c0)
    }

    /// Traces of every sequence of a batch of equally long sequences, from zero states, each
    /// bit for bit what `trace` gives for it alone: the batch goes through each layer
    /// together, step by step, so that each step's recurrent product W_hh [h_1 … h_B] is one
    /// matrix-matrix product that loads W_hh once for the whole batch.
    func traceBatch(_ batch: [[[Float]]]) throws -> [Trace] {
        guard let steps = batch.first?.count else { return [] }
        guard batch.allSatisfy({ $0.count == steps }) else {
            throw GateError("a batch traced together needs sequences of one length")
        }
        for (b, inputs) in batch.enumerated() {
            for (t, x) in inputs.enumerated() where x.count != inputSize {
                throw GateError("sequence \(b + 1), input step \(t + 1) has \(Wording.count(x.count, "value")), the model expects \(inputSize)")
            }
        }
        let sizes = Trace.initialSizes(layers.map(Trace.LayerShape.init))
        let h0 = [Float](repeating: 0, count: sizes.hidden), c0 = [Float](repeating: 0, count: sizes.cell)
        var traces = batch.map { Trace(model: self, inputs: $0, tokens: nil, initialHidden: h0, initialCell: c0) }
        try traces.withUnsafeMutableBufferPointer { try record($0, clamps: [], progress: nil) }
        return traces
    }

    /// `record` for one trace.
    private func record(_ trace: inout Trace, clamps: [[StepClamp]], progress: WorkProgress?) throws {
        try withUnsafeMutablePointer(to: &trace) {
            try record(UnsafeMutableBufferPointer(start: $0, count: 1), clamps: clamps, progress: progress)
        }
    }

    /// Fills `traces` (of one length, laid out by `Trace.init` or `relayOut`), all of them
    /// together step by step; `clamps` apply to every trace.
    private func record(_ traces: UnsafeMutableBufferPointer<Trace>, clamps: [[StepClamp]], progress: WorkProgress?) throws {
        let T = traces.first?.steps ?? 0
        try progress?.beginPart(steps: layers.reduce(0) { $0 + $1.directionCount } * T)
        let scratch = StepScratch(model: self, batch: traces.count)
        // Layer by layer, direction by direction: a layer's input projection does not depend
        // on its own state, so it is done for the whole sequence first, and each part of W_ih
        // passes through the cache once instead of once per step. `matMul` sums each step's
        // rows exactly as `matVec` would, so every value is the one a step-by-step computation
        // gives. (With no steps or no units there is nothing to compute, and no array to point into.)
        var stopped: (any Error)?
        for k in layers.indices where T > 0 && layers[k].hiddenSize > 0 {
            for direction in layers[k].directions where stopped == nil {
                for b in traces.indices { projectInputs(layer: k, direction: direction, trace: &traces[b], scratch: scratch) }
                let offsets = traces[0].offsets[k]
                let directionClamps = clamps.isEmpty ? [] : clamps[2 * k + direction.rawValue]
                // The reverse pass starts from the last step, as PyTorch's does.
                let order = direction == .forward ? stride(from: 0, to: T, by: 1) : stride(from: T - 1, to: -1, by: -1)
                // The weights are opened once for all the direction's steps.
                layers[k].withOpened(direction) { weights in
                    Trace.withStepBuffers(of: traces) { batch in
                        for t in order {
                            let gh = recurrentParts(t: t, steps: T, weights: weights, offsets: offsets, batch: batch,
                                                    scratch: scratch)
                            for (b, records) in batch.enumerated() {
                                step(t: t, steps: T, weights: weights, offsets: offsets, records: records,
                                     recurrent: gh + b * weights.cell.blockCount * weights.H, scratch: scratch,
                                     clamps: directionClamps)
                            }
                            do { try progress?.step() } catch {
                                stopped = error
                                return
                            }
                        }
                    }
                }
            }
            if let stopped { throw stopped }
        }
        if let head, T > 0 {
            for b in traces.indices { applyHead(head, trace: &traces[b]) }
        }
    }

    /// h entering step t of one direction (t - 1 forward, t + 1 in reverse): what that step
    /// wrote, or the initial state.
    @inline(__always)
    private func previousHidden(t: Int, steps: Int, weights: OpenDirection, offsets: Trace.LayerOffsets,
                                records: StepRecords) -> UnsafePointer<Float> {
        let previous = weights.d == 0 ? t - 1 : t + 1
        guard previous >= 0 && previous < steps else {
            return records.initialHidden + offsets.initialHidden + weights.d * weights.P
        }
        return UnsafePointer(records.hidden + offsets.hidden + (previous * weights.D + weights.d) * weights.P)
    }

    /// gh = W_hh h + b_hh for every block of step t of every trace of the batch (for the
    /// reset-before GRU only r and z, as n's recurrent part waits for r), trace b's at
    /// b · (blocks · H) in the scratch: for a batch, the previous states are gathered side
    /// by side and multiplied together, each trace's rows summed exactly as alone.
    private func recurrentParts(t: Int, steps: Int, weights: OpenDirection, offsets: Trace.LayerOffsets,
                                batch: [StepRecords], scratch: StepScratch) -> UnsafeMutablePointer<Float> {
        let rows = (weights.cell == .gruResetBefore ? 2 : weights.cell.blockCount) * weights.H
        let gh = scratch.recurrentPart
        if batch.count == 1 {
            let h = previousHidden(t: t, steps: steps, weights: weights, offsets: offsets, records: batch[0])
            // W_hh (4 H² floats for the LSTM) passes through the L1 cache at every step, in
            // alternate directions, so that a step starts on the rows the one before ended on.
            matVec(weights.whh, rows: rows, cols: weights.P, h, bias: weights.bhh, into: gh, descending: t % 2 == 1)
            return gh
        }
        let P = weights.P
        for (b, records) in batch.enumerated() {
            let h = previousHidden(t: t, steps: steps, weights: weights, offsets: offsets, records: records)
            (scratch.hiddenBatch + b * P).update(from: h, count: P)
        }
        matMul(weights.whh, rows: rows, cols: P, scratch.hiddenBatch, stride: P, count: batch.count,
               bias: weights.bhh, into: gh, stride: weights.cell.blockCount * weights.H)
        return gh
    }

    /// gi = W_ih x + b_ih for every block (the input's contribution) at every step, written
    /// into the direction's pre-activation slots, where `step` adds the recurrent part. x is
    /// the input for layer 0 and the layer below's output (both directions) otherwise.
    private func projectInputs(layer k: Int, direction: Direction, trace: inout Trace, scratch: StepScratch) {
        let layer = layers[k]
        let weights = layer.weights(direction)
        let H = layer.hiddenSize
        let rows = layer.cell.blockCount * H
        let cols = weights.inputSize
        let slotStride = layer.directionCount * rows
        let steps = trace.steps
        let inputs = trace.inputs
        let gates = trace.offsets[k].gates + direction.rawValue * rows
        let below = k > 0 ? trace.offsets[k - 1].hidden : 0
        weights.weightIH.withUnsafeBufferPointer { wih in
        withOptionalPointer(weights.biasIH) { bih in
        trace.preactivations.withUnsafeMutableBufferPointer { pre in
            let gi = pre.baseAddress! + gates
            if k > 0 {
                trace.hiddenStates.withUnsafeBufferPointer { h in
                    matMul(wih.baseAddress!, rows: rows, cols: cols, h.baseAddress! + below, stride: cols,
                           count: steps, bias: bih, into: gi, stride: slotStride)
                }
                return
            }
            // Layer 0's inputs are one array per step: they are copied into the staging buffer
            // a chunk of steps at a time, and each chunk shares the loads of W_ih between its
            // steps. (A flat copy of the whole sequence would be new memory, and so page
            // faults, at every trace.)
            let chunk = scratch.inputChunk
            let chunkSteps = chunk.count / max(cols, 1)
            for first in stride(from: 0, to: steps, by: chunkSteps) {
                let count = min(chunkSteps, steps - first)
                for t in 0..<count {
                    inputs[first + t].withUnsafeBufferPointer { x in
                        (chunk.baseAddress! + t * cols).update(from: x.baseAddress!, count: cols)
                    }
                }
                matMul(wih.baseAddress!, rows: rows, cols: cols, chunk.baseAddress!, stride: cols, count: count,
                       bias: bih, into: gi + first * slotStride, stride: slotStride)
            }
        }
        }
        }
    }

    /// One layer, one direction, one step: fills the trace's slots for (t, k, direction) from
    /// the input projection and the state the direction's previous step left (t - 1 forward,
    /// t + 1 in reverse). `clamps` replace gate activations as soon as they are computed, so
    /// everything that reads them sees the clamped value.
    private func step(t: Int, steps: Int, weights: OpenDirection, offsets: Trace.LayerOffsets,
                      records: StepRecords, recurrent gh: UnsafeMutablePointer<Float>, scratch: StepScratch,
                      clamps: [StepClamp]) {
        let cell = weights.cell
        let H = weights.H, P = weights.P, D = weights.D, d = weights.d
        let G = cell.blockCount
        let whh = weights.whh, bhh = weights.bhh
        // Offsets in the layer's segments ([t][direction][block][unit], [t][direction][unit]);
        // the state entering the step is the initial one or what the previous step wrote.
        let previous = d == 0 ? t - 1 : t + 1
        let hasPrevious = previous >= 0 && previous < steps
        let row = t * D + d
        let h = previousHidden(t: t, steps: steps, weights: weights, offsets: offsets, records: records)
        let pre = records.preactivations + offsets.gates + row * G * H
        let act = records.activations + offsets.gates + row * G * H
        let hOut = records.hidden + offsets.hidden + row * P
        // On entry the pre-activation slots hold gi (projectInputs) and `gh` holds W_hh h +
        // b_hh (`recurrentParts`; for the reset-before GRU r and z only); each gi is read
        // before it is overwritten with the full pre-activation.
        let gi = UnsafePointer(pre)

        switch cell {
        case .lstm:
            // i, f, o = σ(gi + gh); g = tanh(gi + gh), blocks in order i, f, g, o.
            for j in 0..<(4 * H) { pre[j] = gi[j] + gh[j] }
            sigmoid(pre, into: act, count: 2 * H)
            tanhStable(pre + 2 * H, into: act + 2 * H, count: H)
            sigmoid(pre + 3 * H, into: act + 3 * H, count: H)
            clamp(act, clamps, t: t)
            let i = UnsafePointer(act), f = i + H, g = f + H, o = g + H
            let cells = records.cell!
            let c = hasPrevious ? UnsafePointer(cells + offsets.cell + (previous * D + d) * H)
                : records.initialCell! + offsets.initialCell + d * H
            let cOut = cells + offsets.cell + row * H
            // c' = f ⊙ c + i ⊙ g: the additive memory update.
            for u in 0..<H { cOut[u] = f[u] * c[u] + i[u] * g[u] }
            // o ⊙ tanh(c'): the output gate filters the memory; that is h, or, with a
            // projection, what W_hr maps to h.
            let filtered = weights.whr == nil ? hOut : records.projection! + offsets.projection + row * H
            tanhStable(cOut, into: filtered, count: H)
            for u in 0..<H { filtered[u] *= o[u] }
            if let whr = weights.whr {
                // h' = W_hr (o ⊙ tanh c'), no bias, as PyTorch's proj_size.
                matVec(whr, rows: P, cols: H, filtered, bias: nil, into: hOut)
            }
        case .gru, .gruResetBefore:
            // r, z = σ(gi + gh) over the first two blocks.
            for j in 0..<(2 * H) { pre[j] = gi[j] + gh[j] }
            sigmoid(pre, into: act, count: 2 * H)
            clamp(act, clamps, t: t)
            let r = UnsafePointer(act), z = r + H, n = act + 2 * H
            if cell == .gruResetBefore {
                // Cho 2014: the reset gate scales h before the matrix product,
                // W_hn (r ⊙ h) + b_hn.
                let resetHidden = scratch.resetHidden
                for u in 0..<H { resetHidden[u] = r[u] * h[u] }
                matVec(whh + 2 * H * H, rows: H, cols: H, resetHidden, bias: bhh.map { $0 + 2 * H }, into: gh + 2 * H)
            }
            let recurrent = UnsafePointer(gh + 2 * H), rec = records.candidateRecurrent! + offsets.recurrent + row * H
            let nPre = pre + 2 * H, nInput = gi + 2 * H
            rec.update(from: recurrent, count: H)
            // n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) (reset after), or
            // tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn) (reset before).
            if cell == .gru {
                for u in 0..<H { nPre[u] = nInput[u] + r[u] * recurrent[u] }
            } else {
                for u in 0..<H { nPre[u] = nInput[u] + recurrent[u] }
            }
            tanhStable(nPre, into: n, count: H)
            // h' = (1 - z) ⊙ n + z ⊙ h: z near 1 keeps the old state.
            for u in 0..<H { hOut[u] = (1 - z[u]) * n[u] + z[u] * h[u] }
        case .rnn:
            // h' = tanh (or relu)(W_ih x + b_ih + W_hh h + b_hh).
            for u in 0..<H { pre[u] = gi[u] + gh[u] }
            if weights.relu {
                for u in 0..<H { act[u] = max(pre[u], 0) }
            } else {
                tanhStable(pre, into: act, count: H)
            }
            hOut.update(from: act, count: H)
        }
    }

    /// Replaces the clamped activations of step t (the pre-activations stay as computed).
    @inline(__always)
    private func clamp(_ act: UnsafeMutablePointer<Float>, _ clamps: [StepClamp], t: Int) {
        for clamp in clamps where clamp.first <= t && t <= clamp.last { act[clamp.slot] = clamp.value }
    }

    /// y_t = W h_t + b on the last layer's output, for every step at once.
    private func applyHead(_ head: LinearHead, trace: inout Trace) {
        guard let last = layers.indices.last else { return }
        let start = trace.offsets[last].hidden
        let width = layers[last].outputSize
        let steps = trace.steps
        head.weight.withUnsafeBufferPointer { w in
        trace.hiddenStates.withUnsafeBufferPointer { h in
        withOptionalPointer(head.bias) { b in
        trace.outputs.withUnsafeMutableBufferPointer { y in
            matMul(w.baseAddress!, rows: head.outputSize, cols: head.inputSize, h.baseAddress! + start,
                   stride: width, count: steps, bias: b, into: y.baseAddress!, stride: head.outputSize)
        }
        }
        }
        }
    }
}

/// One direction of one layer as the loops over its steps (forward and backward) need it:
/// sizes, and its weights open as pointers, valid only inside `RecurrentLayer.withOpened`.
struct OpenDirection {
    let cell: CellKind
    let relu: Bool
    let H: Int
    /// The size of h: the projection's, or H.
    let P: Int
    let D: Int
    /// 0 forward, 1 reverse.
    let d: Int
    /// What the layer reads per step, and what it outputs (D · P).
    let inputWidth: Int
    let outputWidth: Int
    let wih: UnsafePointer<Float>
    let whh: UnsafePointer<Float>
    let bhh: UnsafePointer<Float>?
    /// W_hr of a projected LSTM.
    let whr: UnsafePointer<Float>?
}

extension RecurrentLayer {
    /// Runs `body` with one direction's weights open as pointers.
    func withOpened<R>(_ direction: Direction, _ body: (OpenDirection) -> R) -> R {
        let weights = self.weights(direction)
        return weights.weightIH.withUnsafeBufferPointer { wih in
        weights.weightHH.withUnsafeBufferPointer { whh in
        withOptionalPointer(weights.biasHH) { bhh in
        withOptionalPointer(weights.projection) { whr in
            body(OpenDirection(cell: cell, relu: nonlinearity == .relu, H: hiddenSize, P: stateSize, D: directionCount,
                               d: direction.rawValue, inputWidth: weights.inputSize, outputWidth: outputSize,
                               wih: wih.baseAddress!, whh: whh.baseAddress!, bhh: bhh, whr: whr))
        }
        }
        }
        }
    }
}

/// The trace's arrays as the steps read and write them, valid only inside
/// `Trace.withStepBuffers`; `cell` (LSTM), `candidateRecurrent` (GRUs) and `projection`
/// (projected LSTM) are nil when no layer records them.
struct StepRecords {
    let preactivations: UnsafeMutablePointer<Float>
    let activations: UnsafeMutablePointer<Float>
    let hidden: UnsafeMutablePointer<Float>
    let cell: UnsafeMutablePointer<Float>?
    let candidateRecurrent: UnsafeMutablePointer<Float>?
    let projection: UnsafeMutablePointer<Float>?
    let initialHidden: UnsafePointer<Float>
    let initialCell: UnsafePointer<Float>?
}

extension Trace {
    /// `withStepBuffers` for every trace of a batch at once: `body` gets their records in order.
    static func withStepBuffers(of traces: UnsafeMutableBufferPointer<Trace>, _ body: ([StepRecords]) -> Void) {
        func open(_ index: Int, _ opened: [StepRecords]) {
            guard index < traces.count else { return body(opened) }
            traces[index].withStepBuffers { open(index + 1, opened + [$0]) }
        }
        open(0, [])
    }

    /// Runs `body` with the arrays a step writes open as pointers, so that a layer's steps
    /// share one access to each array instead of opening them at every step.
    mutating func withStepBuffers(_ body: (StepRecords) -> Void) {
        initialHidden.withUnsafeBufferPointer { h0 in
        initialCell.withUnsafeBufferPointer { c0 in
        preactivations.withUnsafeMutableBufferPointer { pre in
        activations.withUnsafeMutableBufferPointer { act in
        hiddenStates.withUnsafeMutableBufferPointer { h in
        cellStates.withUnsafeMutableBufferPointer { c in
        candidateRecurrent.withUnsafeMutableBufferPointer { rec in
        hiddenBeforeProjection.withUnsafeMutableBufferPointer { projected in
            body(StepRecords(preactivations: pre.baseAddress!, activations: act.baseAddress!,
                             hidden: h.baseAddress!, cell: c.isEmpty ? nil : c.baseAddress,
                             candidateRecurrent: rec.isEmpty ? nil : rec.baseAddress,
                             projection: projected.isEmpty ? nil : projected.baseAddress,
                             initialHidden: h0.baseAddress!, initialCell: c0.isEmpty ? nil : c0.baseAddress))
        }
        }
        }
        }
        }
        }
        }
        }
    }
}

/// Work space for the steps, allocated once per trace.
final class StepScratch {
    /// Layer 0's inputs for a chunk of steps: about 4096 floats, a multiple of 12 steps (at
    /// least 12), so that the kernels' tiles of 1 to 4 steps divide it and no step of a full
    /// chunk takes the slower one-step path.
    let inputChunk: UnsafeMutableBufferPointer<Float>
    /// gh = W_hh h + b_hh, every block, for the widest layer, for each trace of the batch.
    let recurrentPart: UnsafeMutablePointer<Float>
    /// The batch's previous states side by side, for the widest layer.
    let hiddenBatch: UnsafeMutablePointer<Float>
    /// r ⊙ h (reset-before GRU).
    let resetHidden: UnsafeMutablePointer<Float>

    init(model: RecurrentModel, batch: Int = 1) {
        let width = max(model.inputSize, 1)
        inputChunk = .allocate(capacity: max(1, 4096 / width / 12) * 12 * width)
        recurrentPart = .allocate(capacity: batch * max(1, model.layers.map { $0.cell.blockCount * $0.hiddenSize }.max() ?? 0))
        hiddenBatch = .allocate(capacity: batch * max(1, model.layers.map(\.stateSize).max() ?? 0))
        resetHidden = .allocate(capacity: max(1, model.layers.map(\.hiddenSize).max() ?? 0))
    }

    deinit {
        inputChunk.deallocate()
        recurrentPart.deallocate()
        hiddenBatch.deallocate()
        resetHidden.deallocate()
    }
}

@inline(__always)
func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
