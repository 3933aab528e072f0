extension RecurrentModel {
    /// Runs the model over `inputs` (T × inputSize) from the given initial states (zeros by
    /// default, [layer][unit]) and records every intermediate value, as PyTorch computes them.
    /// `progress` (one part, a step per t and layer) hears of every step and may stop the
    /// work: it then throws `CancellationError`.
    public func trace(_ inputs: [[Float]], initialHidden: [Float]? = nil,
                      initialCell: [Float]? = nil, progress: WorkProgress? = nil) throws -> Trace {
        let stateCount = layerCount * hiddenSize
        for (t, x) in inputs.enumerated() where x.count != inputSize {
            throw GateError("input step \(t + 1) has \(Wording.count(x.count, "value")), the model expects \(inputSize)")
        }
        let h0 = initialHidden ?? [Float](repeating: 0, count: stateCount)
        let c0 = initialCell ?? (cell.hasCellState ? [Float](repeating: 0, count: stateCount) : [])
        guard h0.count == stateCount else {
            throw GateError("initial h has \(h0.count) values, expected layers × hidden = \(stateCount)")
        }
        guard !cell.hasCellState || c0.count == stateCount else {
            throw GateError("initial c has \(c0.count) values, expected layers × hidden = \(stateCount)")
        }
        try progress?.beginPart(steps: layerCount * inputs.count)
        var trace = Trace(model: self, inputs: inputs, initialHidden: h0, initialCell: c0)
        let scratch = StepScratch(model: self)
        // Layer by layer: a layer's input projection does not depend on its own state, so it
        // is done for the whole sequence first, and each part of W_ih passes through the
        // cache once instead of once per step. `matMul` sums each step's rows exactly as
        // `matVec` would, so every value is the one a step-by-step computation gives.
        // (With no steps or no units there is nothing to compute, and no array to point into.)
        var stopped: (any Error)?
        for k in 0..<layerCount where !inputs.isEmpty && hiddenSize > 0 {
            projectInputs(layer: k, trace: &trace, scratch: scratch)
            trace.withStepBuffers { records in
                for t in 0..<inputs.count {
                    step(t: t, layer: k, records: records, scratch: scratch)
                    do { try progress?.step() } catch {
                        stopped = error
                        return
                    }
                }
            }
            if let stopped { throw stopped }
        }
        if let head { applyHead(head, trace: &trace) }
        return trace
    }

    /// gi = W_ih x + b_ih for every block (the input's contribution) at every step, written
    /// into layer k's pre-activation slots, where `step` adds the recurrent part. x is the
    /// input for layer 0 and the layer below's h otherwise.
    private func projectInputs(layer k: Int, trace: inout Trace, scratch: StepScratch) {
        let weights = layers[k]
        let rows = cell.blockCount * hiddenSize
        let cols = weights.inputSize
        let slotStride = layerCount * rows
        let steps = trace.steps
        let inputs = trace.inputs
        weights.weightIH.withUnsafeBufferPointer { wih in
        withOptionalPointer(weights.biasIH) { bih in
        trace.preactivations.withUnsafeMutableBufferPointer { pre in
            let gi = pre.baseAddress! + k * rows
            if k > 0 {
                trace.hiddenStates.withUnsafeBufferPointer { h in
                    matMul(wih.baseAddress!, rows: rows, cols: cols, h.baseAddress! + (k - 1) * hiddenSize,
                           stride: layerCount * hiddenSize, count: steps, bias: bih, into: gi, stride: slotStride)
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

    /// One layer, one step: fills the trace's slots for (t, k) from the input projection and
    /// the state after t - 1.
    private func step(t: Int, layer k: Int, records: StepRecords, scratch: StepScratch) {
        let weights = layers[k]
        let H = hiddenSize
        let G = cell.blockCount
        // Offsets in the trace's arrays ([t][layer][block][unit] and [t][layer][unit]); the
        // state entering the step is the initial one or what step t - 1 wrote.
        let state = (t * layerCount + k) * H
        let previous = state - layerCount * H
        let h = t == 0 ? records.initialHidden + k * H : UnsafePointer(records.hidden + previous)
        let pre = records.preactivations + state * G
        let act = records.activations + state * G
        let hOut = records.hidden + state
        let gh = scratch.recurrentPart
        // On entry the pre-activation slots hold gi (projectInputs); each is read before it
        // is overwritten with the full pre-activation.
        let gi = UnsafePointer(pre)

        weights.weightHH.withUnsafeBufferPointer { whh in
        withOptionalPointer(weights.biasHH) { bhh in
            // gh = W_hh h + b_hh for every block (the previous state's contribution); for the
            // reset-before GRU only r and z here, as n's recurrent part waits for r below.
            matVec(whh.baseAddress!, rows: (cell == .gruResetBefore ? 2 : G) * H, cols: H, h,
                   bias: bhh, into: gh)
            switch cell {
            case .lstm:
                // i, f, o = σ(gi + gh); g = tanh(gi + gh), blocks in order i, f, g, o.
                for j in 0..<(4 * H) { pre[j] = gi[j] + gh[j] }
                sigmoid(pre, into: act, count: 2 * H)
                tanhStable(pre + 2 * H, into: act + 2 * H, count: H)
                sigmoid(pre + 3 * H, into: act + 3 * H, count: H)
                let i = UnsafePointer(act), f = i + H, g = f + H, o = g + H
                let cells = records.cell!
                let c = t == 0 ? records.initialCell! + k * H : UnsafePointer(cells + previous)
                let cOut = cells + state
                // c' = f ⊙ c + i ⊙ g: the additive memory update.
                for u in 0..<H { cOut[u] = f[u] * c[u] + i[u] * g[u] }
                // h' = o ⊙ tanh(c'): the output gate filters the memory.
                tanhStable(cOut, into: hOut, count: H)
                for u in 0..<H { hOut[u] *= o[u] }
            case .gru, .gruResetBefore:
                // r, z = σ(gi + gh) over the first two blocks.
                for j in 0..<(2 * H) { pre[j] = gi[j] + gh[j] }
                sigmoid(pre, into: act, count: 2 * H)
                let r = UnsafePointer(act), z = r + H, n = act + 2 * H
                if cell == .gruResetBefore {
                    // Cho 2014: the reset gate scales h before the matrix product,
                    // W_hn (r ⊙ h) + b_hn.
                    let resetHidden = scratch.resetHidden
                    for u in 0..<H { resetHidden[u] = r[u] * h[u] }
                    matVec(whh.baseAddress! + 2 * H * H, rows: H, cols: H, resetHidden,
                           bias: bhh.map { $0 + 2 * H }, into: gh + 2 * H)
                }
                let recurrent = UnsafePointer(gh + 2 * H), rec = records.candidateRecurrent! + state
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
                // h' = tanh(W_ih x + b_ih + W_hh h + b_hh).
                for u in 0..<H { pre[u] = gi[u] + gh[u] }
                tanhStable(pre, into: act, count: H)
                hOut.update(from: act, count: H)
            }
        }
        }
    }

    /// y_t = W h_t + b on the last layer's h, for every step at once.
    private func applyHead(_ head: LinearHead, trace: inout Trace) {
        let lastLayer = (layerCount - 1) * hiddenSize
        let steps = trace.steps
        head.weight.withUnsafeBufferPointer { w in
        trace.hiddenStates.withUnsafeBufferPointer { h in
        withOptionalPointer(head.bias) { b in
        trace.outputs.withUnsafeMutableBufferPointer { y in
            matMul(w.baseAddress!, rows: head.outputSize, cols: head.inputSize, h.baseAddress! + lastLayer,
                   stride: layerCount * hiddenSize, count: steps, bias: b, into: y.baseAddress!,
                   stride: head.outputSize)
        }
        }
        }
        }
    }
}

/// The trace's arrays as the steps read and write them, valid only inside
/// `Trace.withStepBuffers`; `cell` (LSTM) and `candidateRecurrent` (GRUs) are nil when
/// the cell does not record them.
struct StepRecords {
    let preactivations: UnsafeMutablePointer<Float>
    let activations: UnsafeMutablePointer<Float>
    let hidden: UnsafeMutablePointer<Float>
    let cell: UnsafeMutablePointer<Float>?
    let candidateRecurrent: UnsafeMutablePointer<Float>?
    let initialHidden: UnsafePointer<Float>
    let initialCell: UnsafePointer<Float>?
}

extension Trace {
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
            body(StepRecords(preactivations: pre.baseAddress!, activations: act.baseAddress!,
                             hidden: h.baseAddress!, cell: c.isEmpty ? nil : c.baseAddress,
                             candidateRecurrent: rec.isEmpty ? nil : rec.baseAddress,
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

/// Work space for the steps, allocated once per trace.
final class StepScratch {
    /// Layer 0's inputs for a chunk of steps: about 4096 floats, at least 8 steps.
    let inputChunk: UnsafeMutableBufferPointer<Float>
    /// gh = W_hh h + b_hh, every block.
    let recurrentPart: UnsafeMutablePointer<Float>
    /// r ⊙ h (reset-before GRU).
    let resetHidden: UnsafeMutablePointer<Float>

    init(model: RecurrentModel) {
        let H = model.hiddenSize
        let width = max(model.inputSize, 1)
        inputChunk = .allocate(capacity: max(8, 4096 / width) * width)
        recurrentPart = .allocate(capacity: model.cell.blockCount * H)
        resetHidden = .allocate(capacity: H)
    }

    deinit {
        inputChunk.deallocate()
        recurrentPart.deallocate()
        resetHidden.deallocate()
    }
}

@inline(__always)
func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
