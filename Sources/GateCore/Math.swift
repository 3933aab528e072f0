import Foundation

/// The logistic sigmoid, evaluated so that no finite input overflows: for x < 0 it uses
/// e^x / (1 + e^x), which never computes e^(-x) of a large negative number.
@inline(__always)
public func sigmoid(_ x: Float) -> Float {
    if x >= 0 {
        return 1 / (1 + expf(-x))
    }
    let e = expf(x)
    return e / (1 + e)
}

/// Hyperbolic tangent; libm's `tanhf` saturates to ±1 and never overflows.
@inline(__always)
public func tanhStable(_ x: Float) -> Float { tanhf(x) }

/// y[r] = bias[r] + Σ_k W[row0 + r, k] · v[k] for `rows` rows of a row-major matrix with
/// `cols` columns. Eight lanes at a time: float sums are not reassociated by the compiler,
/// so the vector accumulator is written out by hand. Each product is rounded before it is
/// added, as `addProduct` would compile to one libm `fmaf` call per lane on x86-64 without
/// FMA, which made this loop ten times slower.
@inline(__always)
func matVec(_ weight: UnsafePointer<Float>, rows: Int, cols: Int, _ v: UnsafePointer<Float>,
            bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
    let vectorCols = cols & ~7
    @inline(__always) func lanes(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    // Adds the scalar tail and the bias to row r's lane sums; every row sums in the same
    // order whether or not it was part of a group of four.
    @inline(__always) func finish(_ r: Int, _ acc: SIMD8<Float>) {
        let row = weight + r * cols
        var sum = acc.sum()
        var k = vectorCols
        while k < cols {
            sum += row[k] * v[k]
            k += 1
        }
        y[r] = sum + (bias?[r] ?? 0)
    }
    var r = 0
    // Four rows at a time: each load of v serves four rows, and the four independent
    // accumulators keep the adder busy instead of waiting on one chain.
    while r + 4 <= rows {
        let row0 = weight + r * cols, row1 = row0 + cols, row2 = row1 + cols, row3 = row2 + cols
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
        var k = 0
        while k < vectorCols {
            let x = lanes(v + k)
            acc0 += lanes(row0 + k) * x
            acc1 += lanes(row1 + k) * x
            acc2 += lanes(row2 + k) * x
            acc3 += lanes(row3 + k) * x
            k += 8
        }
        finish(r, acc0)
        finish(r + 1, acc1)
        finish(r + 2, acc2)
        finish(r + 3, acc3)
        r += 4
    }
    while r < rows {
        let row = weight + r * cols
        var acc = SIMD8<Float>()
        var k = 0
        while k < vectorCols {
            acc += lanes(row + k) * lanes(v + k)
            k += 8
        }
        finish(r, acc)
        r += 1
    }
}

/// The backward pass of y = W v over `rows` rows of a row-major matrix with `cols` columns,
/// given dL/dy: adds Wᵀ dy into `inputGrad` (dL/dv) and, when `weightGrad` is given, the
/// rank-1 update dy ⊗ v into it (dL/dW). Four rows at a time, so each slice of dL/dv is
/// loaded and stored once per four rows, eight lanes at a time. Products and sums are
/// separate: `addingProduct` asks for a fused multiply-add, which the baseline x86-64 target
/// lacks, and becomes a libm `fmaf` call per lane.
@inline(__always)
func linearBackward(_ weight: UnsafePointer<Float>, rows: Int, cols: Int,
                    input v: UnsafePointer<Float>, upstream dy: UnsafePointer<Float>,
                    inputGrad dv: UnsafeMutablePointer<Float>,
                    weightGrad dW: UnsafeMutablePointer<Float>?) {
    @inline(__always) func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) func add(_ x: SIMD8<Float>, to p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: load(p) + x, as: SIMD8<Float>.self)
    }
    let vectorCols = cols & ~7
    var r = 0
    while r + 4 <= rows {
        let w0 = weight + r * cols, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols
        let a0 = dy[r], a1 = dy[r + 1], a2 = dy[r + 2], a3 = dy[r + 3]
        let lanes0 = SIMD8(repeating: a0), lanes1 = SIMD8(repeating: a1)
        let lanes2 = SIMD8(repeating: a2), lanes3 = SIMD8(repeating: a3)
        var k = 0
        while k < vectorCols {
            add(lanes0 * load(w0 + k) + lanes1 * load(w1 + k) + lanes2 * load(w2 + k) + lanes3 * load(w3 + k), to: dv + k)
            k += 8
        }
        while k < cols {
            dv[k] += a0 * w0[k] + a1 * w1[k] + a2 * w2[k] + a3 * w3[k]
            k += 1
        }
        if let dW {
            let g0 = dW + r * cols, g1 = g0 + cols, g2 = g1 + cols, g3 = g2 + cols
            k = 0
            while k < vectorCols {
                let x = load(v + k)
                add(lanes0 * x, to: g0 + k)
                add(lanes1 * x, to: g1 + k)
                add(lanes2 * x, to: g2 + k)
                add(lanes3 * x, to: g3 + k)
                k += 8
            }
            while k < cols {
                g0[k] += a0 * v[k]
                g1[k] += a1 * v[k]
                g2[k] += a2 * v[k]
                g3[k] += a3 * v[k]
                k += 1
            }
        }
        r += 4
    }
    // The last rows % 4 rows, one at a time.
    while r < rows {
        let a = dy[r]
        let row = weight + r * cols
        for k in 0..<cols { dv[k] += a * row[k] }
        if let dW {
            let gradRow = dW + r * cols
            for k in 0..<cols { gradRow[k] += a * v[k] }
        }
        r += 1
    }
}
