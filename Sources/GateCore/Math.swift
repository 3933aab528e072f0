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
/// so the vector accumulator is written out by hand. Products and sums stay separate: a
/// fused multiply-add compiles to a libm call per lane on CPUs below x86-64-v3.
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
            acc += w * x
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

/// The backward pass of y = W v over `rows` rows of a row-major matrix with `cols` columns,
/// given dL/dy: adds Wᵀ dy into `inputGrad` (dL/dv) and, when `weightGrad` is given, the
/// rank-1 update dy ⊗ v into it (dL/dW). One pass over W's rows, eight lanes at a time.
@inline(__always)
func linearBackward(_ weight: UnsafePointer<Float>, rows: Int, cols: Int,
                    input v: UnsafePointer<Float>, upstream dy: UnsafePointer<Float>,
                    inputGrad dv: UnsafeMutablePointer<Float>,
                    weightGrad dW: UnsafeMutablePointer<Float>?) {
    let vectorCols = cols & ~7
    for r in 0..<rows {
        let a = dy[r]
        let row = weight + r * cols
        let lanes = SIMD8<Float>(repeating: a)
        var k = 0
        if let dW {
            let gradRow = dW + r * cols
            while k < vectorCols {
                let w = UnsafeRawPointer(row + k).loadUnaligned(as: SIMD8<Float>.self)
                let x = UnsafeRawPointer(v + k).loadUnaligned(as: SIMD8<Float>.self)
                let g = UnsafeRawPointer(gradRow + k).loadUnaligned(as: SIMD8<Float>.self)
                let d = UnsafeRawPointer(dv + k).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(gradRow + k).storeBytes(of: g + lanes * x, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(dv + k).storeBytes(of: d + lanes * w, as: SIMD8<Float>.self)
                k += 8
            }
            while k < cols {
                gradRow[k] += a * v[k]
                dv[k] += a * row[k]
                k += 1
            }
        } else {
            while k < vectorCols {
                let w = UnsafeRawPointer(row + k).loadUnaligned(as: SIMD8<Float>.self)
                let d = UnsafeRawPointer(dv + k).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(dv + k).storeBytes(of: d + lanes * w, as: SIMD8<Float>.self)
                k += 8
            }
            while k < cols {
                dv[k] += a * row[k]
                k += 1
            }
        }
    }
}
