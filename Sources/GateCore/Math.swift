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
/// so the vector accumulator is written out by hand.
@inline(__always)
func matVec(_ weight: UnsafePointer<Float>, rows: Int, cols: Int, _ v: UnsafePointer<Float>,
            bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>) {
    let vectorCols = cols & ~7
    for r in 0..<rows {
        let row = weight + r * cols
        var acc = SIMD8<Float>()
        var k = 0
        while k < vectorCols {
            let w = UnsafeRawPointer(row + k).loadUnaligned(as: SIMD8<Float>.self)
            let x = UnsafeRawPointer(v + k).loadUnaligned(as: SIMD8<Float>.self)
            acc.addProduct(w, x)
            k += 8
        }
        var sum = acc.sum()
        while k < cols {
            sum += row[k] * v[k]
            k += 1
        }
        y[r] = sum + (bias?[r] ?? 0)
    }
}
