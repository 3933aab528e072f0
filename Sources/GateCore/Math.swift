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
