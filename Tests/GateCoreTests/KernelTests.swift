import CKernels
import Foundation
import Testing
@testable import GateCore

/// The C kernels under the math: every implementation this machine runs (the portable one
/// always, AVX2 + FMA and AVX-512 when the CPU has them) against independent
/// double-precision computations, and the activations against libm in double precision.
@Suite("C kernels")
struct KernelTests {
    /// The kernel tables this CPU can run.
    static var tables: [gs_kernels] {
        [gs_portable_kernels().pointee] + [gs_avx2_fma_kernels(), gs_avx512_kernels()].compactMap { $0?.pointee }
    }

    static func name(_ kernels: gs_kernels) -> String { String(cString: kernels.name) }

    // MARK: Activations

    /// Every 0.001 in [-20, 20] (where σ and tanh change), then ± 1.5^n from 1e-45 (the
    /// smallest subnormal) past 3e38 (the largest float): subnormal results, saturation,
    /// and the largest finite inputs.
    static let sweep: [Float] = {
        var values = (-20_000...20_000).map { Float($0) / 1000 }
        var magnitude: Float = .leastNonzeroMagnitude
        while magnitude.isFinite {
            values += [magnitude, -magnitude, magnitude.nextUp, -magnitude.nextDown]
            magnitude *= 1.5
        }
        return values + [0, -0.0, .greatestFiniteMagnitude, -.greatestFiniteMagnitude]
    }()

    /// Distance in float32 steps (units in the last place), across zero and subnormals.
    static func ulps(_ a: Float, _ b: Float) -> Int64 {
        func ordered(_ x: Float) -> Int64 {
            let magnitude = Int64(x.bitPattern & 0x7fff_ffff)
            return x.sign == .minus ? -magnitude : magnitude
        }
        return abs(ordered(a) - ordered(b))
    }

    /// The algorithms (kernel_bodies.h) stay within about 2 ulps by their error analysis:
    /// range reduction and the polynomial contribute under 1 ulp to e^x, and each later
    /// rounding (1 + e, the division, e · s) at most half an ulp, partly damped. Reference:
    /// libm in double precision, rounded once to float.
    static let maxUlps: Int64 = 2

    static func apply(_ function: (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?, Int) -> Void,
                      _ x: [Float]) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { xs in
            y.withUnsafeMutableBufferPointer { ys in function(xs.baseAddress, ys.baseAddress, x.count) }
        }
        return y
    }

    @Test("sigmoid is within 2 ulps of libm's double-precision value and in [0, 1] for every finite input")
    func sigmoidAgainstLibm() {
        for kernels in Self.tables {
            let y = Self.apply(kernels.sigmoid!, Self.sweep)
            var worst: (ulps: Int64, x: Float) = (0, 0)
            for (x, value) in zip(Self.sweep, y) {
                let reference = Float(1 / (1 + exp(-Double(x))))
                #expect(value >= 0 && value <= 1, "\(Self.name(kernels)): σ(\(x)) = \(value)")
                let error = Self.ulps(value, reference)
                if error > worst.ulps { worst = (error, x) }
            }
            #expect(worst.ulps <= Self.maxUlps, "\(Self.name(kernels)): \(worst.ulps) ulps at x = \(worst.x)")
        }
    }

    @Test("tanh is within 2 ulps of libm's double-precision value and in [-1, 1] for every finite input")
    func tanhAgainstLibm() {
        for kernels in Self.tables {
            let y = Self.apply(kernels.tanh!, Self.sweep)
            var worst: (ulps: Int64, x: Float) = (0, 0)
            for (x, value) in zip(Self.sweep, y) {
                let reference = Float(tanh(Double(x)))
                #expect(value >= -1 && value <= 1, "\(Self.name(kernels)): tanh(\(x)) = \(value)")
                let error = Self.ulps(value, reference)
                if error > worst.ulps { worst = (error, x) }
            }
            #expect(worst.ulps <= Self.maxUlps, "\(Self.name(kernels)): \(worst.ulps) ulps at x = \(worst.x)")
        }
    }

    @Test("every implementation, the scalar functions and any array length give the same bits")
    func activationsAgreeBitForBit() {
        // 8 lanes at a time plus a tail: lengths around multiples of 8 take both paths.
        for count in [1, 7, 8, 9, 23, 40] {
            var rng = SeededGenerator(seed: UInt64(count))
            let x = Array(Self.sweep.shuffled(using: &rng).prefix(count))
            let sigmoids = x.map(sigmoid), tanhs = x.map(tanhStable)
            for kernels in Self.tables {
                #expect(Self.apply(kernels.sigmoid!, x).map(\.bitPattern) == sigmoids.map(\.bitPattern), "\(Self.name(kernels))")
                #expect(Self.apply(kernels.tanh!, x).map(\.bitPattern) == tanhs.map(\.bitPattern), "\(Self.name(kernels))")
            }
        }
        let all = Self.sweep
        let reference = Self.apply(Self.tables[0].tanh!, all)
        for kernels in Self.tables.dropFirst() {
            #expect(Self.apply(kernels.tanh!, all).map(\.bitPattern) == reference.map(\.bitPattern))
            #expect(Self.apply(kernels.sigmoid!, all).map(\.bitPattern) == Self.apply(Self.tables[0].sigmoid!, all).map(\.bitPattern))
        }
    }

    @Test("infinities saturate, NaN stays NaN, and the sign of zero survives tanh")
    func specialValues() {
        for kernels in Self.tables {
            let x: [Float] = [.infinity, -.infinity, .nan, -0.0, 0]
            let s = Self.apply(kernels.sigmoid!, x), t = Self.apply(kernels.tanh!, x)
            #expect(Array(s.prefix(2)) == [1, 0] && s[2].isNaN && s[3] == 0.5 && s[4] == 0.5)
            #expect(Array(t.prefix(2)) == [1, -1] && t[2].isNaN)
            #expect(t[3].bitPattern == (-0.0 as Float).bitPattern && t[4].bitPattern == 0)
        }
    }

    // MARK: Matrix kernels

    /// Uniform(-1, 1) values.
    static func values(_ count: Int, _ rng: inout SeededGenerator) -> [Float] {
        (0..<count).map { _ in rng.uniform(-1, 1) }
    }

    /// |computed - exact| ≤ (n + 1) · 2^-24 · (Σ |terms|): the worst case of float32
    /// summation of n + 1 terms in any order (with or without fused multiply-adds).
    static func withinSummationBound(_ computed: Float, exact: Double, magnitudes: Double, terms: Int) -> Bool {
        abs(Double(computed) - exact) <= Double(terms + 1) * 0x1p-24 * magnitudes
    }

    /// Shapes around every tile size and tail (rows 8 / 4 / 1 per tile, 8 columns per pass,
    /// row blocks of about 4096 floats) and step counts around the steps per tile.
    static let shapes: [(rows: Int, cols: Int)] = [(1, 1), (3, 7), (4, 8), (5, 9), (8, 16), (13, 31), (12, 3),
                                                   (64, 128), (67, 33), (40, 130), (9, 600)]

    @Test("y_t = W x_t + b matches a double-precision product for every shape, step count and bias")
    func matmulAgainstDoubles() {
        var rng = SeededGenerator(seed: 1)
        for kernels in Self.tables {
            for (rows, cols) in Self.shapes {
                for count in [1, 2, 3, 5] {
                    for hasBias in [true, false] {
                        // Strides wider than the vectors, with sentinels in the gaps.
                        let xStride = cols + 3, yStride = rows + 2
                        let w = Self.values(rows * cols, &rng), x = Self.values(count * xStride, &rng)
                        let bias = hasBias ? Self.values(rows, &rng) : nil
                        var y = [Float](repeating: 7, count: count * yStride)
                        w.withUnsafeBufferPointer { w in
                        x.withUnsafeBufferPointer { x in
                        withOptionalPointer(bias) { b in
                        y.withUnsafeMutableBufferPointer { y in
                            kernels.matmul!(w.baseAddress, rows, cols, x.baseAddress, xStride, count, b, y.baseAddress, yStride)
                        }
                        }
                        }
                        }
                        for t in 0..<count {
                            for r in 0..<rows {
                                var exact = Double(bias?[r] ?? 0), magnitudes = abs(exact)
                                for k in 0..<cols {
                                    let term = Double(w[r * cols + k]) * Double(x[t * xStride + k])
                                    exact += term
                                    magnitudes += abs(term)
                                }
                                #expect(Self.withinSummationBound(y[t * yStride + r], exact: exact, magnitudes: magnitudes, terms: cols),
                                        "\(Self.name(kernels)) \(rows)×\(cols) count \(count) t \(t) r \(r)")
                            }
                            #expect(y[(t * yStride + rows)..<((t + 1) * yStride)].allSatisfy { $0 == 7 }, "wrote past row \(rows)")
                        }
                    }
                }
            }
        }
    }

    @Test("a step's result does not depend on how many steps are computed with it, nor on the direction of a one-vector product")
    func matmulStepsAreIndependent() {
        var rng = SeededGenerator(seed: 2)
        for kernels in Self.tables {
            for (rows, cols) in Self.shapes {
                let count = 7
                let w = Self.values(rows * cols, &rng), x = Self.values(count * cols, &rng), bias = Self.values(rows, &rng)
                var together = [Float](repeating: 0, count: count * rows), alone = together
                w.withUnsafeBufferPointer { w in
                x.withUnsafeBufferPointer { x in
                bias.withUnsafeBufferPointer { b in
                    together.withUnsafeMutableBufferPointer { y in
                        kernels.matmul!(w.baseAddress, rows, cols, x.baseAddress, cols, count, b.baseAddress, y.baseAddress, rows)
                    }
                    alone.withUnsafeMutableBufferPointer { y in
                        for t in 0..<count {
                            kernels.matmul!(w.baseAddress, rows, cols, x.baseAddress! + t * cols, 0, 1, b.baseAddress,
                                           y.baseAddress! + t * rows, 0)
                        }
                    }
                }
                }
                }
                #expect(together.map(\.bitPattern) == alone.map(\.bitPattern), "\(Self.name(kernels)) \(rows)×\(cols)")
                // One vector at a time, the rows from the first and from the last.
                for descending: Int32 in [0, 1] {
                    var single = [Float](repeating: 0, count: count * rows)
                    w.withUnsafeBufferPointer { w in
                    x.withUnsafeBufferPointer { x in
                    bias.withUnsafeBufferPointer { b in
                    single.withUnsafeMutableBufferPointer { y in
                        for t in 0..<count {
                            kernels.matvec!(w.baseAddress, rows, cols, x.baseAddress! + t * cols, b.baseAddress,
                                            y.baseAddress! + t * rows, descending)
                        }
                    }
                    }
                    }
                    }
                    #expect(single.map(\.bitPattern) == alone.map(\.bitPattern),
                            "\(Self.name(kernels)) \(rows)×\(cols) matvec, descending \(descending)")
                }
            }
        }
    }

    @Test("the backward pass adds Wᵀ dy and dy ⊗ v as a double-precision computation does")
    func linearBackwardAgainstDoubles() {
        var rng = SeededGenerator(seed: 3)
        for kernels in Self.tables {
            for (rows, cols) in Self.shapes {
                for withWeights in [true, false] {
                    let w = Self.values(rows * cols, &rng), v = Self.values(cols, &rng), dy = Self.values(rows, &rng)
                    let dv0 = Self.values(cols, &rng), dW0 = Self.values(rows * cols, &rng)
                    var dv = dv0, dW = dW0
                    w.withUnsafeBufferPointer { w in
                    v.withUnsafeBufferPointer { v in
                    dy.withUnsafeBufferPointer { dy in
                    dv.withUnsafeMutableBufferPointer { dv in
                    dW.withUnsafeMutableBufferPointer { dW in
                        kernels.linear_backward!(w.baseAddress, rows, cols, v.baseAddress, dy.baseAddress, dv.baseAddress,
                                                withWeights ? dW.baseAddress : nil)
                    }
                    }
                    }
                    }
                    }
                    for k in 0..<cols {
                        var exact = Double(dv0[k]), magnitudes = abs(exact)
                        for r in 0..<rows {
                            let term = Double(dy[r]) * Double(w[r * cols + k])
                            exact += term
                            magnitudes += abs(term)
                        }
                        #expect(Self.withinSummationBound(dv[k], exact: exact, magnitudes: magnitudes, terms: rows),
                                "\(Self.name(kernels)) \(rows)×\(cols) dv[\(k)]")
                    }
                    for r in 0..<rows {
                        for k in 0..<cols {
                            let index = r * cols + k
                            let exact = Double(dW0[index]) + Double(dy[r]) * Double(v[k])
                            let expected = withWeights ? exact : Double(dW0[index])
                            #expect(Self.withinSummationBound(dW[index], exact: expected,
                                                              magnitudes: abs(Double(dW0[index])) + abs(Double(dy[r]) * Double(v[k])),
                                                              terms: 1))
                        }
                    }
                }
            }
        }
    }

    // MARK: The forward pass on top of them

    /// The cell equations of SUBJECT.md in double precision, one step and one row at a time,
    /// with no kernel involved: every layer's h, c and activations at every step.
    static func plainForward(_ model: RecurrentModel, _ inputs: [[Float]])
        -> (h: [[[Double]]], c: [[[Double]]], activations: [[[Double]]]) {
        let H = model.hiddenSize
        func sigma(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        func affine(_ w: [Float], _ b: [Float]?, rows: Range<Int>, _ v: [Double]) -> [Double] {
            rows.map { r in (0..<v.count).reduce(Double(b?[r] ?? 0)) { $0 + Double(w[r * v.count + $1]) * v[$1] } }
        }
        var hs: [[[Double]]] = [], cs: [[[Double]]] = [], acts: [[[Double]]] = []
        var h = Array(repeating: [Double](repeating: 0, count: H), count: model.layerCount), c = h
        for x in inputs {
            var input = x.map(Double.init)
            var stepActs: [[Double]] = []
            for (k, layer) in model.layers.map(\.forward).enumerated() {
                let g = model.cell.blockCount
                let gi = affine(layer.weightIH, layer.biasIH, rows: 0..<(g * H), input)
                let block = { (j: Int) in (j * H)..<((j + 1) * H) }
                switch model.cell {
                case .lstm:
                    let gh = affine(layer.weightHH, layer.biasHH, rows: 0..<(g * H), h[k])
                    let a = (0..<(g * H)).map { j in j / H == 2 ? tanh(gi[j] + gh[j]) : sigma(gi[j] + gh[j]) }
                    for u in 0..<H {
                        c[k][u] = a[H + u] * c[k][u] + a[u] * a[2 * H + u]
                        h[k][u] = a[3 * H + u] * tanh(c[k][u])
                    }
                    stepActs.append(a)
                case .gru, .gruResetBefore:
                    let gh = affine(layer.weightHH, layer.biasHH, rows: 0..<(2 * H), h[k])
                    let r = block(0).map { sigma(gi[$0] + gh[$0]) }, z = block(1).map { sigma(gi[$0] + gh[$0]) }
                    let recurrent = model.cell == .gru
                        ? zip(affine(layer.weightHH, layer.biasHH, rows: block(2), h[k]), r).map { $0 * $1 }
                        : affine(layer.weightHH, layer.biasHH, rows: block(2), zip(r, h[k]).map { $0 * $1 })
                    let n = (0..<H).map { tanh(gi[2 * H + $0] + recurrent[$0]) }
                    h[k] = (0..<H).map { (1 - z[$0]) * n[$0] + z[$0] * h[k][$0] }
                    stepActs.append(r + z + n)
                case .rnn:
                    let gh = affine(layer.weightHH, layer.biasHH, rows: 0..<H, h[k])
                    h[k] = (0..<H).map { tanh(gi[$0] + gh[$0]) }
                    stepActs.append(h[k])
                }
                input = h[k]
            }
            hs.append(h)
            cs.append(c)
            acts.append(stepActs)
        }
        return (hs, cs, acts)
    }

    /// Wider inputs than the fixtures have (layer 0's inputs then go through several staging
    /// chunks), a hidden size that is not a multiple of 8 and two layers.
    @Test("traces of wide, long inputs match a plain double-precision forward pass within 1e-5",
          arguments: CellKind.allCases)
    func traceMatchesPlainForward(_ cell: CellKind) throws {
        let model = RecurrentModel.random(cell: cell, inputSize: 520, hiddenSize: 37, layers: 2, seed: 5)
        var rng = SeededGenerator(seed: 6)
        let inputs = (0..<21).map { _ in Self.values(520, &rng) }
        let trace = try model.trace(inputs)
        let expected = Self.plainForward(model, inputs)
        var worst: Double = 0
        for t in 0..<inputs.count {
            for k in 0..<model.layerCount {
                let blocks = trace.blockOffset(t: t, layer: k, block: 0)
                let computed = Array(trace.hidden(t: t, layer: k)) + trace.cellState(t: t, layer: k)
                    + trace.activations[blocks..<(blocks + cell.blockCount * model.hiddenSize)]
                let exact = expected.h[t][k] + (cell == .lstm ? expected.c[t][k] : []) + expected.activations[t][k]
                #expect(computed.count == exact.count)
                for (value, reference) in zip(computed, exact) { worst = max(worst, abs(Double(value) - reference)) }
            }
        }
        #expect(worst <= 1e-5, "\(cell): largest difference \(worst)")
    }

    @Test("the functions GateCore calls use the widest kernels the CPU runs: AVX-512, else AVX2 + FMA, else portable")
    func activeKernelsFollowTheCPU() throws {
        let expected = try #require(gs_avx512_kernels() ?? gs_avx2_fma_kernels() ?? gs_portable_kernels())
        #expect(gs_active_kernels() == expected)
        #expect(kernelPath == Self.name(expected.pointee))
    }

    // MARK: The batched backward kernels

    @Test("Wᵀ dy for several steps gives each step's dv bit for bit as the one-step backward pass does")
    func linearBackwardManyEqualsOneStepAtATime() {
        var rng = SeededGenerator(seed: 4)
        for kernels in Self.tables {
            for (rows, cols) in Self.shapes {
                for count in [1, 2, 3, 5, 9] {
                    // Strides wider than the rows, with sentinels in the gaps.
                    let dyStride = rows + 1, dvStride = cols + 2
                    let w = Self.values(rows * cols, &rng), dy = Self.values(count * dyStride, &rng)
                    let dv0 = Self.values(count * dvStride, &rng).enumerated().map { $0 % dvStride < cols ? $1 : 7 }
                    var many = dv0, alone = dv0
                    var unusedWeights = [Float](repeating: 0, count: rows * cols)
                    w.withUnsafeBufferPointer { w in
                    dy.withUnsafeBufferPointer { dy in
                        many.withUnsafeMutableBufferPointer { dv in
                            kernels.linear_backward_many!(w.baseAddress, rows, cols, count, dy.baseAddress, dyStride,
                                                          dv.baseAddress, dvStride)
                        }
                        alone.withUnsafeMutableBufferPointer { dv in
                            unusedWeights.withUnsafeMutableBufferPointer { dW in
                                for t in 0..<count {
                                    kernels.linear_backward!(w.baseAddress, rows, cols, w.baseAddress, dy.baseAddress! + t * dyStride,
                                                             dv.baseAddress! + t * dvStride, t % 2 == 0 ? nil : dW.baseAddress)
                                }
                            }
                        }
                    }
                    }
                    #expect(many.map(\.bitPattern) == alone.map(\.bitPattern), "\(Self.name(kernels)) \(rows)×\(cols) count \(count)")
                }
            }
        }
    }

    @Test("Σ dy_t ⊗ v_t over several steps, strides forward, backward and 0, equals the one-step updates in order bit for bit")
    func outerSumEqualsOneStepAtATime() {
        var rng = SeededGenerator(seed: 5)
        for kernels in Self.tables {
            for (rows, cols) in Self.shapes {
                for count in [1, 2, 7] {
                    for vStep in [1, -1, 0] {
                        let w = Self.values(rows * cols, &rng), dy = Self.values(count * rows, &rng)
                        let v = Self.values(count * cols, &rng), dW0 = Self.values(rows * cols, &rng)
                        // v_t runs forward, backward from the last row, or repeats row 0.
                        let vStart = vStep < 0 ? (count - 1) * cols : 0
                        var summed = dW0, stepped = dW0
                        var unusedDv = [Float](repeating: 0, count: cols)
                        w.withUnsafeBufferPointer { w in
                        dy.withUnsafeBufferPointer { dy in
                        v.withUnsafeBufferPointer { v in
                            summed.withUnsafeMutableBufferPointer { dW in
                                kernels.outer_sum!(rows, cols, count, dy.baseAddress, rows, v.baseAddress! + vStart,
                                                   vStep * cols, dW.baseAddress)
                            }
                            stepped.withUnsafeMutableBufferPointer { dW in
                                unusedDv.withUnsafeMutableBufferPointer { dv in
                                    for t in 0..<count {
                                        kernels.linear_backward!(w.baseAddress, rows, cols, v.baseAddress! + vStart + t * vStep * cols,
                                                                 dy.baseAddress! + t * rows, dv.baseAddress, dW.baseAddress)
                                    }
                                }
                            }
                        }
                        }
                        }
                        #expect(summed.map(\.bitPattern) == stepped.map(\.bitPattern),
                                "\(Self.name(kernels)) \(rows)×\(cols) count \(count) stride \(vStep)")
                    }
                }
            }
        }
    }

    // MARK: Each fast path against the portable one

    /// Every kernel of `kernels` against the portable table on the same data: activations bit
    /// for bit; products within the summation bound of the double-precision value, as both are.
    static func checkAgainstPortable(_ kernels: gs_kernels) {
        let portable = gs_portable_kernels().pointee
        let x = Array(sweep.prefix(5003))
        #expect(apply(kernels.sigmoid!, x).map(\.bitPattern) == apply(portable.sigmoid!, x).map(\.bitPattern))
        #expect(apply(kernels.tanh!, x).map(\.bitPattern) == apply(portable.tanh!, x).map(\.bitPattern))
        var rng = SeededGenerator(seed: 6)
        for (rows, cols) in shapes {
            let count = 6
            let w = values(rows * cols, &rng), xs = values(count * cols, &rng), bias = values(rows, &rng)
            func product(_ table: gs_kernels) -> [Float] {
                var y = [Float](repeating: 0, count: count * rows)
                w.withUnsafeBufferPointer { w in
                xs.withUnsafeBufferPointer { xs in
                bias.withUnsafeBufferPointer { b in
                y.withUnsafeMutableBufferPointer { y in
                    table.matmul!(w.baseAddress, rows, cols, xs.baseAddress, cols, count, b.baseAddress, y.baseAddress, rows)
                }
                }
                }
                }
                return y
            }
            let fast = product(kernels), reference = product(portable)
            for t in 0..<count {
                for r in 0..<rows {
                    var magnitudes = abs(Double(bias[r]))
                    for k in 0..<cols { magnitudes += abs(Double(w[r * cols + k]) * Double(xs[t * cols + k])) }
                    // Both lie within (cols + 1) 2^-24 Σ|terms| of the exact value.
                    #expect(abs(Double(fast[t * rows + r]) - Double(reference[t * rows + r]))
                                <= 2 * Double(cols + 1) * 0x1p-24 * magnitudes,
                            "\(name(kernels)) \(rows)×\(cols) t \(t) r \(r)")
                }
            }
        }
    }

    @Test("the AVX2 + FMA kernels agree with the portable ones",
          .enabled(if: gs_avx2_fma_kernels() != nil, "this CPU has no AVX2 + FMA"))
    func avx2AgainstPortable() throws {
        Self.checkAgainstPortable(try #require(gs_avx2_fma_kernels()).pointee)
    }

    @Test("the AVX-512 kernels agree with the portable ones",
          .enabled(if: gs_avx512_kernels() != nil, "this CPU has no AVX-512 (F, VL, DQ, BW): the AVX-512 kernels are compiled but cannot run here"))
    func avx512AgainstPortable() throws {
        Self.checkAgainstPortable(try #require(gs_avx512_kernels()).pointee)
    }
}

