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
        // cache once instead of once per step. Every value is computed as step by step.
        for k in 0..<layerCount {
            projectInputs(layer: k, trace: &trace)
            for t in 0..<inputs.count {
                step(t: t, layer: k, trace: &trace, scratch: &scratch)
            }
        }
        if let head {
            for t in 0..<inputs.count { applyHead(head, t: t, trace: &trace) }
        }
        return trace
    }

    /// gi = W_ih x + b_ih for every block (the input's contribution) at every step, written
    /// into layer k's pre-activation slots, where `step` adds the recurrent part. x is the
    /// input for layer 0 and the layer below's h otherwise.
    private func projectInputs(layer k: Int, trace: inout Trace) {
        let weights = layers[k]
        let rows = cell.blockCount * hiddenSize
        let cols = weights.inputSize
        // Rows per pass: about 16 KB of W_ih, which then stays in the L1 cache for all steps.
        let rowsPerPass = max(4, (4096 / max(cols, 1)) & ~3)
        let source = k == 0 ? trace.inputs.flatMap { $0 } : trace.hiddenStates
        let (first, stride) = k == 0 ? (0, cols) : ((k - 1) * hiddenSize, layerCount * hiddenSize)
        let steps = trace.steps
        let slots = (0..<steps).map { trace.blockOffset(t: $0, layer: k, block: 0) }
        weights.weightIH.withUnsafeBufferPointer { wih in
        withOptionalPointer(weights.biasIH) { bih in
        source.withUnsafeBufferPointer { x in
        trace.preactivations.withUnsafeMutableBufferPointer { pre in
            var row = 0
            while row < rows {
                let count = min(rowsPerPass, rows - row)
                for t in 0..<steps {
                    matVec(wih.baseAddress! + row * cols, rows: count, cols: cols,
                           x.baseAddress! + first + t * stride, bias: bih.map { $0 + row },
                           into: pre.baseAddress! + slots[t] + row)
                }
                row += count
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
            if cell == .gruResetBefore {
                // r and z see W_hh h + b_hh as usual; n's recurrent part waits for r below.
                matVec(whh.baseAddress!, rows: 2 * H, cols: H, h.baseAddress!,
                       bias: bhh, into: gh.baseAddress!)
            } else {
                // gh = W_hh h + b_hh for every block (the previous state's contribution).
                matVec(whh.baseAddress!, rows: G * H, cols: H, h.baseAddress!,
                       bias: bhh, into: gh.baseAddress!)
            }

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
                    // One loop per block keeps a division and a branch out of the loop.
                    for j in 0..<(4 * H) { pre[j] = gi[j] + gh[j] }
                    for j in 0..<(2 * H) { act[j] = sigmoid(pre[j]) }
                    for j in (2 * H)..<(3 * H) { act[j] = tanhStable(pre[j]) }
                    for j in (3 * H)..<(4 * H) { act[j] = sigmoid(pre[j]) }
                    trace.cellStates.withUnsafeMutableBufferPointer { c in
                    trace.hiddenStates.withUnsafeMutableBufferPointer { hOut in
                        for u in 0..<H {
                            let i = act[u], f = act[H + u], g = act[2 * H + u], o = act[3 * H + u]
                            // c' = f ⊙ c + i ⊙ g: the additive memory update.
                            let cNew = f * scratch.previousCell[u] + i * g
                            c[state + u] = cNew
                            // h' = o ⊙ tanh(c'): the output gate filters the memory.
                            hOut[state + u] = o * tanhStable(cNew)
                        }
                    }
                    }
                case .gru, .gruResetBefore:
                    // r, z = σ(gi + gh) over the first two blocks.
                    for j in 0..<(2 * H) {
                        pre[j] = gi[j] + gh[j]
                        act[j] = sigmoid(pre[j])
                    }
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
                        for u in 0..<H {
                            let r = act[u], z = act[H + u]
                            let recurrent = gh[2 * H + u]
                            rec[state + u] = recurrent
                            // n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) (reset after), or
                            // tanh(W_in x + b_in + W_hn (r ⊙ h) + b_hn) (reset before).
                            let nPre = gi[2 * H + u] + (cell == .gru ? r * recurrent : recurrent)
                            pre[2 * H + u] = nPre
                            let n = tanhStable(nPre)
                            act[2 * H + u] = n
                            // h' = (1 - z) ⊙ n + z ⊙ h: z near 1 keeps the old state.
                            hOut[state + u] = (1 - z) * n + z * h[u]
                        }
                    }
                    }
                case .rnn:
                    // h' = tanh(W_ih x + b_ih + W_hh h + b_hh).
                    trace.hiddenStates.withUnsafeMutableBufferPointer { hOut in
                        for u in 0..<H {
                            pre[u] = gi[u] + gh[u]
                            act[u] = tanhStable(pre[u])
                            hOut[state + u] = act[u]
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

    /// y_t = W h_t + b on the last layer's h.
    private func applyHead(_ head: LinearHead, t: Int, trace: inout Trace) {
        let h = Array(trace.hidden(t: t, layer: layerCount - 1))
        let start = t * head.outputSize
        head.weight.withUnsafeBufferPointer { w in
        h.withUnsafeBufferPointer { hp in
        withOptionalPointer(head.bias) { b in
        trace.outputs.withUnsafeMutableBufferPointer { y in
            matVec(w.baseAddress!, rows: head.outputSize, cols: head.inputSize, hp.baseAddress!,
                   bias: b, into: y.baseAddress! + start)
        }
        }
        }
        }
    }
}

/// Per-step work space, allocated once per trace.
struct StepScratch {
    var hPart: [Float]
    var resetHidden: [Float]
    /// Copies of h and c entering the step.
    var previousHidden: [Float]
    var previousCell: [Float]

    init(model: RecurrentModel) {
        let rows = model.cell.blockCount * model.hiddenSize
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
