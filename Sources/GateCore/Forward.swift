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
        for t in 0..<inputs.count {
            for k in 0..<layerCount {
                step(t: t, layer: k, trace: &trace, scratch: &scratch)
            }
            if let head { applyHead(head, t: t, trace: &trace) }
        }
        return trace
    }

    /// One layer, one step: fills the trace's slots for (t, k) from x (or the layer below)
    /// and the state after t - 1.
    private func step(t: Int, layer k: Int, trace: inout Trace, scratch: inout StepScratch) {
        let weights = layers[k]
        let H = hiddenSize
        let G = cell.blockCount
        // The states read here live in the arrays this step writes, so they are copied to
        // scratch space first (no allocation per step).
        let input: [Float]
        if k == 0 {
            input = trace.inputs[t]
        } else {
            scratch.lowerHidden.overwrite(with: trace.hidden(t: t, layer: k - 1))
            input = scratch.lowerHidden
        }
        scratch.previousHidden.overwrite(with: trace.previousHidden(t: t, layer: k))
        scratch.previousCell.overwrite(with: trace.previousCellState(t: t, layer: k))
        let blocks = trace.blockOffset(t: t, layer: k, block: 0)
        let state = trace.stateOffset(t: t, layer: k)

        weights.weightIH.withUnsafeBufferPointer { wih in
        weights.weightHH.withUnsafeBufferPointer { whh in
        scratch.xPart.withUnsafeMutableBufferPointer { gi in
        scratch.hPart.withUnsafeMutableBufferPointer { gh in
        input.withUnsafeBufferPointer { x in
        scratch.previousHidden.withUnsafeBufferPointer { h in
        withOptionalPointer(weights.biasIH) { bih in
        withOptionalPointer(weights.biasHH) { bhh in
            // gi = W_ih x + b_ih for every block (the input's contribution).
            matVec(wih.baseAddress!, rows: G * H, cols: weights.inputSize, x.baseAddress!,
                   bias: bih, into: gi.baseAddress!)
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
    var xPart: [Float]
    var hPart: [Float]
    var resetHidden: [Float]
    /// Copies of h and c entering the step, and of the layer below's h (a layer's input).
    var previousHidden: [Float]
    var previousCell: [Float]
    var lowerHidden: [Float]

    init(model: RecurrentModel) {
        let rows = model.cell.blockCount * model.hiddenSize
        xPart = [Float](repeating: 0, count: rows)
        hPart = [Float](repeating: 0, count: rows)
        resetHidden = [Float](repeating: 0, count: model.hiddenSize)
        previousHidden = resetHidden
        previousCell = model.cell.hasCellState ? resetHidden : []
        lowerHidden = resetHidden
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
