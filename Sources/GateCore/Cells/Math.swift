internal import CKernels

// The inner loops live in the CKernels C target, which runs them with AVX2 and fused
// multiply-add when the CPU has them (chosen once at start-up) and portable vector code
// otherwise. The Swift functions here keep the math's names for the rest of GateCore.

/// The logistic sigmoid, evaluated so that no finite input overflows: from e = e^-|x|, which
/// is at most 1, as 1 / (1 + e) for x ≥ 0 and e / (1 + e) for x < 0. Within 2 float32 ulps
/// of the exact value, in [0, 1], and bit for bit what `sigmoid(_:into:count:)` gives.
@inline(__always)
public func sigmoid(_ x: Float) -> Float { gs_sigmoidf(x) }

/// Hyperbolic tangent within 2 float32 ulps, saturating to ±1 without overflow, and bit for
/// bit what `tanhStable(_:into:count:)` gives.
@inline(__always)
public func tanhStable(_ x: Float) -> Float { gs_tanhf(x) }

/// y[j] = σ(x[j]) for j < count, 16 lanes at a time; `y` may be `x`.
@inline(__always)
func sigmoid(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    gs_sigmoid(x, y, count)
}

/// y[j] = tanh(x[j]) for j < count, 16 lanes at a time; `y` may be `x`.
@inline(__always)
func tanhStable(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    gs_tanh(x, y, count)
}

/// y[r] = bias[r] + Σ_k W[r, k] · v[k] for `rows` rows of a row-major matrix with `cols`
/// columns. Eight rows per pass share each load of v, eight lanes at a time, with one
/// accumulator per row; each row's lanes are then summed in a fixed order, so a row's
/// result does not depend on the rows around it. `descending` takes the tiles from the last
/// rows to the first, for the same bits: a loop that multiplies by one W at every step
/// alternates it, so that each product starts on the rows the one before left in the L1
/// cache.
@inline(__always)
func matVec(_ weight: UnsafePointer<Float>, rows: Int, cols: Int, _ v: UnsafePointer<Float>,
            bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, descending: Bool = false) {
    gs_matvec(weight, rows, cols, v, bias, y, descending ? 1 : 0)
}

/// The backward pass of y = W v over `rows` rows of a row-major matrix with `cols` columns,
/// given dL/dy: adds Wᵀ dy into `inputGrad` (dL/dv) and, when `weightGrad` is given, the
/// rank-1 update dy ⊗ v into it (dL/dW). Several rows per pass, so each slice of dL/dv is
/// loaded and stored once per group of rows, eight lanes at a time.
@inline(__always)
func linearBackward(_ weight: UnsafePointer<Float>, rows: Int, cols: Int,
                    input v: UnsafePointer<Float>, upstream dy: UnsafePointer<Float>,
                    inputGrad dv: UnsafeMutablePointer<Float>,
                    weightGrad dW: UnsafeMutablePointer<Float>?) {
    gs_linear_backward(weight, rows, cols, v, dy, dv, dW)
}

/// y_t = W x_t + b for t < count, where x_t = x + t · xStride and y_t = y + t · yStride: the
/// product for a whole sequence at once. Rows are summed exactly as by `matVec`; several
/// steps share each load of W, and W is taken in blocks that stay in the L1 cache while all
/// the steps pass through them.
@inline(__always)
func matMul(_ weight: UnsafePointer<Float>, rows: Int, cols: Int, _ x: UnsafePointer<Float>, stride xStride: Int,
            count: Int, bias: UnsafePointer<Float>?, into y: UnsafeMutablePointer<Float>, stride yStride: Int) {
    gs_matmul(weight, rows, cols, x, xStride, count, bias, y, yStride)
}

/// dv_t += Wᵀ dy_t for `count` steps, dy_t = dy + t · dyStride, dv_t = dv + t · dvStride:
/// `linearBackward` without dL/dW for several steps at once, each dv_t bit for bit what it
/// gives for that step alone, the steps sharing each load of W.
@inline(__always)
func linearBackward(_ weight: UnsafePointer<Float>, rows: Int, cols: Int, count: Int,
                    upstream dy: UnsafePointer<Float>, stride dyStride: Int,
                    inputGrad dv: UnsafeMutablePointer<Float>, stride dvStride: Int) {
    gs_linear_backward_many(weight, rows, cols, count, dy, dyStride, dv, dvStride)
}

/// dW += dy_t ⊗ v_t for t = 0 … count - 1 in order, dy_t = dy + t · dyStride (rows values),
/// v_t = v + t · vStride (cols values; a stride may be negative, or 0): the weight half of
/// `linearBackward` for several steps at once, bit for bit, each entry of dW loaded once.
@inline(__always)
func outerProductSum(rows: Int, cols: Int, count: Int, _ dy: UnsafePointer<Float>, stride dyStride: Int,
                     _ v: UnsafePointer<Float>, stride vStride: Int, into dW: UnsafeMutablePointer<Float>) {
    gs_outer_sum(rows, cols, count, dy, dyStride, v, vStride, dW)
}

/// The name of the kernels this CPU runs ("avx512", "avx2+fma" or "portable"), chosen at
/// start-up: what `gatescope bench` reports beside its figures.
public var kernelPath: String { String(cString: gs_active_kernels().pointee.name) }
