extension RecurrentModel {
    /// Runs the model over `inputs` (T × inputSize) from the given initial states (zeros by
    /// default, [layer][unit]) and records every intermediate value, as PyTorch computes them.
    public func trace(_ inputs: [[Float]], initialHidden: [Float]? = nil,
                      initialCell: [Float]? = nil) throws -> Trace {
        let stateCount = layerCount * hiddenSize
        for (t, x) in inputs.enumerated() where x.count != inputSize {
            throw GateError("input step \(t) has \(x.count) values, the model expects \(inputSize)")
        }
        let h0 = initialHidden ?? [Float](repeating: 0, count: stateCount)
        let c0 = initialCell ?? (cell.hasCellState ? [Float](repeating: 0, count: stateCount) : [])
        guard h0.count == stateCount else {
            throw GateError("initial h has \(h0.count) values, expected layers × hidden = \(stateCount)")
        }
        guard !cell.hasCellState || c0.count == stateCount else {
            throw GateError("initial c has \(c0.count) values, expected layers × hidden = \(stateCount)")
        }
        var trace = Trace(model: self, inputs: inputs, initialHidden: h0, initialCell: c0)
        var scratch = StepScratch(model: self)
        // Layer by layer: a layer's input projection does not depend on its own state, so it
        // is done for the whole sequence first, and each part of W_ih passes through the
        // cache once instead of once per step. `matMul` sums each step's rows exactly as
        // `matVec` would, so every value is the one a step-by-step computation gives.
        for k in 0..<layerCount {
            projectInputs(layer: k, trace: &trace, scratch: &scratch)
            for t in 0..<inputs.count {
                step(t: t, layer: k, trace: &trace, scratch: &scratch)
            }
        }
        if let head { applyHead(head, trace: &trace) }
        return trace
    }

    /// gi = W_ih x + b_ih for every block (the input's contribution) at every step, written
    /// into layer k's pre-activation slots, where `step` adds the recurrent part. x is the
    /// input for layer 0 and the layer below's h otherwise.
    private func projectInputs(layer k: Int, trace: inout Trace, scratch: inout StepScratch) {
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
            scratch.inputChunk.withUnsafeMutableBufferPointer { chunk in
                let chunkSteps = chunk.count / cols
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
    }

    /// One layer, one step: fills the trace's slots for (t, k) from the input projection and
    /// the state after t - 1.
    private func step(t: Int, layer k: Int, trace: inout Trace, scratch: inout StepScratch) {
        let weights = layers[k]
        let H = hiddenSize
        let G = cell.blockCount
        // The states read here live in the arrays this step writes, so they are copied to
        // scratch space first (no allocation per step).
        scratch.previousHidden.overwrite(with: trace.previousHidden(t: t, layer: k))
        scratch.previousCell.overwrite(with: trace.previousCellState(t: t, layer: k))
        let blocks = trace.blockOffset(t: t, layer: k, block: 0)
        let state = trace.stateOffset(t: t, layer: k)

        weights.weightHH.withUnsafeBufferPointer { whh in
        scratch.hPart.withUnsafeMutableBufferPointer { gh in
        scratch.previousHidden.withUnsafeBufferPointer { h in
        withOptionalPointer(weights.biasHH) { bhh in
            // gh = W_hh h + b_hh for every block (the previous state's contribution); for the
            // reset-before GRU only r and z here, as n's recurrent part waits for r below.
            matVec(whh.baseAddress!, rows: (cell == .gruResetBefore ? 2 : G) * H, cols: H, h.baseAddress!,
                   bias: bhh, into: gh.baseAddress!)

            trace.preactivations.withUnsafeMutableBufferPointer { pre in
            trace.activations.withUnsafeMutableBufferPointer { act in
                let pre = pre.baseAddress! + blocks
                let act = act.baseAddress! + blocks
                // On entry the slots hold gi (projectInputs); each is read before it is
                // overwritten with the full pre-activation.
                let gi = UnsafePointer(pre)
                switch cell {
                case .lstm:
                    // i, f, o = σ(gi + gh); g = tanh(gi + gh), blocks in order i, f, g, o.
                    for j in 0..<(4 * H) { pre[j] = gi[j] + gh[j] }
                    sigmoid(pre, into: act, count: 2 * H)
                    tanhStable(pre + 2 * H, into: act + 2 * H, count: H)
                    sigmoid(pre + 3 * H, into: act + 3 * H, count: H)
                    trace.cellStates.withUnsafeMutableBufferPointer { c in
                    trace.hiddenStates.withUnsafeMutableBufferPointer { hOut in
                        let c = c.baseAddress! + state, hOut = hOut.baseAddress! + state
                        for u in 0..<H {
                            let i = act[u], f = act[H + u], g = act[2 * H + u]
                            // c' = f ⊙ c + i ⊙ g: the additive memory update.
                            c[u] = f * scratch.previousCell[u] + i * g
                        }
                        // h' = o ⊙ tanh(c'): the output gate filters the memory.
                        tanhStable(c, into: hOut, count: H)
                        for u in 0..<H { hOut[u] *= act[3 * H + u] }
                    }
                    }
                case .gru, .gruResetBefore:
                    // r, z = σ(gi + gh) over the first two blocks.
                    for j in 0..<(2 * H) { pre[j] = gi[j] + gh[j] }
                    sigmoid(pre, into: act, count: 2 * H)
                    if cell == .gruResetBefore {
                        // Cho 2014: the reset gate scales h before the matrix product,
                        // W_hn (r ⊙ h) + b_hn.
                        for u in 0..<H { scratch.resetHidden[u] = act[u] * h[u] }
                        scratch.resetHidden.withUnsafeBufferPointer { rh in
                            matVec(whh.baseAddress! + 2 * H * H, rows: H, cols: H, rh.baseAddress!,
                                   bias: bhh.map { $0 + 2 * H }, into: gh.baseAddress! + 2 * H)
                        }
                    }
                    trace.candidateRecurrent.withUnsafeMutableBufferPointer { rec in
                    trace.hiddenStates.withUnsafeMutableBufferPointer { hOut in
                        let rec = rec.baseAddress! + state, hOut = hOut.baseAddress! + state
                        for u in 0..<H {
                            let r = act[u]
                            let recurrent = gh[2 * H + u]
                            rec[u] = recurrent
                            // n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) (reset after), or
                            // tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn) (reset before).
                            pre[2 * H + u] = gi[2 * H + u] + (cell == .gru ? r * recurrent : recurrent)
                        }
                        tanhStable(pre + 2 * H, into: act + 2 * H, count: H)
                        for u in 0..<H {
                            let z = act[H + u], n = act[2 * H + u]
                            // h' = (1 - z) ⊙ n + z ⊙ h: z near 1 keeps the old state.
                            hOut[u] = (1 - z) * n + z * h[u]
                        }
                    }
                    }
                case .rnn:
                    // h' = tanh(W_ih x + b_ih + W_hh h + b_hh).
                    for u in 0..<H { pre[u] = gi[u] + gh[u] }
                    tanhStable(pre, into: act, count: H)
                    trace.hiddenStates.withUnsafeMutableBufferPointer { hOut in
                        (hOut.baseAddress! + state).update(from: act, count: H)
                    }
                }
            }
            }
        }
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

/// Per-step work space, allocated once per trace.
struct StepScratch {
    /// Layer 0's inputs for a chunk of steps: about 4096 floats, at least 8 steps.
    var inputChunk: [Float]
    var hPart: [Float]
    var resetHidden: [Float]
    /// Copies of h and c entering the step.
    var previousHidden: [Float]
    var previousCell: [Float]

    init(model: RecurrentModel) {
        let rows = model.cell.blockCount * model.hiddenSize
        inputChunk = [Float](repeating: 0, count: max(8, 4096 / max(model.inputSize, 1)) * model.inputSize)
        hPart = [Float](repeating: 0, count: rows)
        resetHidden = [Float](repeating: 0, count: model.hiddenSize)
        previousHidden = resetHidden
        previousCell = model.cell.hasCellState ? resetHidden : []
    }
}

extension Array where Element == Float {
    /// Replaces the contents with `values`, which must have the same count, in place.
    @inline(__always)
    mutating func overwrite(with values: ArraySlice<Float>) {
        withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: values) }
    }
}

@inline(__always)
func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
