// The kernels, written once on 8-lane vectors (16 for the activations; clang's vector
// extension) and compiled
// more than once: kernels_portable.c includes this file as is, for the build's baseline, where an
// 8-lane operation becomes two SSE instructions (or two NEON ones on arm64);
// kernels_avx2_fma.c includes it with every function marked target("avx2,fma"), where it
// becomes one AVX2 instruction. Each file defines its table of the kernels from the
// static functions at the end. The includer first defines the tile sizes of the matrix
// kernels, as large as its vector registers allow: ONE_STEP_ROWS (rows per pass for one
// vector), MANY_STEPS and MANY_STEP_ROWS (steps and rows per pass for a sequence),
// BACKWARD_STEPS (steps per pass of Wᵀ dy) and OUTER_ROWS (rows per pass of Σ dy ⊗ v).
// kernels_avx512.c compiles it a third time, for AVX-512 (32 vector registers).
//
// In the matrix kernels `acc + w * x` is a single expression, which clang contracts where
// it may: a fused multiply-add where the target has one, a multiply and an add elsewhere
// (never a libm call). The activation functions switch contraction off, so that both
// compilations and the scalar entry points give the same bits.

#include "CKernels.h"

#include <stdint.h>

// Every helper taking or returning a vector is inlined, so the ABI of passing 8-lane
// vectors without AVX, which -Wpsabi warns about, never comes into play.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float f8 __attribute__((ext_vector_type(8)));
typedef float f4 __attribute__((ext_vector_type(4)));
typedef int32_t i8 __attribute__((ext_vector_type(8)));

#define INLINE static inline __attribute__((always_inline))

INLINE f8 load8(const float *p) {
    f8 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

INLINE void store8(float *p, f8 v) { __builtin_memcpy(p, &v, sizeof v); }

INLINE f4 load4(const float *p) {
    f4 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

// MARK: Activations

// The activations work on 16 lanes, two AVX2 vectors (four SSE ones) per operation: a value
// takes a chain of some 50 dependent operations, too long for the CPU to overlap with the
// next value's chain by itself, and two chains side by side keep more of its arithmetic
// units busy (about 20 % faster on Zen 3). Lane by lane the operations are the same, so are
// the bits.
typedef float f16 __attribute__((ext_vector_type(16)));
typedef int32_t i16 __attribute__((ext_vector_type(16)));

INLINE f16 load16(const float *p) {
    f16 v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

INLINE void store16(float *p, f16 v) { __builtin_memcpy(p, &v, sizeof v); }

/// Lanes of `a` where `mask` is set (all ones), of `b` elsewhere.
INLINE f16 select16(i16 mask, f16 a, f16 b) { return (f16)((mask & (i16)a) | (~mask & (i16)b)); }

INLINE f16 abs16(f16 x) { return (f16)((i16)x & 0x7fffffff); }

/// e^x for x ≤ 0, within 1 ulp (checked against double-precision libm for every float in
/// [-104, 0]). NaN and x < -104 give 0 (e^x rounds to 0 below about -103.97), so no lane
/// ever overflows, and results below 2^-126 come out as correctly scaled subnormals.
INLINE f16 exp_nonpositive(f16 x) {
#pragma clang fp contract(off)
    x = select16(x > -104.0f, x, (f16)-104.0f);
    // n = round(x / ln 2): adding 1.5 · 2^23 pushes the fraction bits out (ties to even).
    const f16 shifter = 12582912.0f;
    f16 n = (x * 1.44269504f + shifter) - shifter;
    // r = x - n ln 2 with ln 2 in two parts (Cody and Waite): n · 0.693359375 is exact, as
    // that constant has 9 significant bits and |n| ≤ 150; r lies in [-ln2/2, ln2/2].
    f16 r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
    // e^r = 1 + r + r² q(r), q of degree 4 fitted for least maximal relative error on
    // [-ln2/2, ln2/2] (Lawson's reweighted least squares, 3e-9 before rounding to float).
    f16 q = 1.3814613e-3f;
    q = q * r + 8.36871e-3f;
    q = q * r + 4.166839e-2f;
    q = q * r + 0.16666521f;
    q = q * r + 0.49999994f;
    f16 p = (r * r * q + r) + 1.0f;
    // e^x = p · 2^n. n ≥ -150 lies below the smallest normal exponent, so 2^n is applied as
    // two normal factors; the first product is exact, the second rounds once.
    i16 k = __builtin_convertvector(n, i16);
    i16 half = k >> 1;
    f16 scale1 = (f16)((half + 127) << 23);
    f16 scale2 = (f16)((k - half + 127) << 23);
    return (p * scale1) * scale2;
}

/// σ(x), from e = e^-|x| ∈ [0, 1], which cannot overflow: σ(|x|) = 1 / (1 + e) and, for
/// x < 0, σ(x) = e / (1 + e), each one division (a product e · σ(|x|) would add a rounding).
/// Within 2 ulps for every finite float (checked against double-precision libm for all of
/// them); ±∞ give 1 and 0, NaN stays NaN.
INLINE f16 sigmoid16(f16 x) {
#pragma clang fp contract(off)
    f16 e = exp_nonpositive(-abs16(x));
    f16 y = select16(x < 0.0f, e, (f16)1.0f) / (1.0f + e);
    return select16(x != x, x, y);
}

/// tanh x within 2 ulps for every finite float (checked like sigmoid16); ±∞ give ±1, NaN
/// stays NaN, -0 stays -0. Computed for |x| and given x's sign at the end (tanh is odd).
INLINE f16 tanh16(f16 x) {
#pragma clang fp contract(off)
    f16 a = abs16(x);
    // |x| < 0.625: 1 - 2 / (e^2|x| + 1) would lose digits to cancellation, so an odd
    // polynomial a + a z P(z), z = a², P of degree 4 fitted like q in exp_nonpositive
    // (relative error 4e-9).
    f16 z = a * a;
    f16 poly = -5.7049873e-3f;
    poly = poly * z + 2.0639088e-2f;
    poly = poly * z + -5.3739715e-2f;
    poly = poly * z + 0.13331442f;
    poly = poly * z + -0.3333328f;
    f16 near_zero = a + a * (z * poly);
    // Elsewhere tanh|x| = (1 - e) / (1 + e) with e = e^-2|x| ≤ 0.29, so 1 - e loses nothing
    // and e's error reaches the result damped.
    f16 e = exp_nonpositive(-2.0f * a);
    f16 away = (1.0f - e) / (1.0f + e);
    f16 magnitude = select16(a < 0.625f, near_zero, away);
    f16 y = (f16)((i16)magnitude | ((i16)x & (int32_t)0x80000000));
    return select16(x != x, x, y);
}

/// y = f(x) over `count` floats, 16 at a time; the last count % 16 go through a
/// zero-padded copy so that every value takes the same path.
#define MAP_BODY(f, x, y, count)                                                    \
    do {                                                                            \
        ptrdiff_t j = 0;                                                            \
        for (; j + 16 <= (count); j += 16) store16((y) + j, f(load16((x) + j)));    \
        if (j < (count)) {                                                          \
            float in[16] = {0}, out[16];                                            \
            size_t bytes = (size_t)((count) - j) * sizeof(float);                   \
            __builtin_memcpy(in, (x) + j, bytes);                                   \
            store16(out, f(load16(in)));                                            \
            __builtin_memcpy((y) + j, out, bytes);                                  \
        }                                                                           \
    } while (0)

// MARK: Matrix kernels

/// Σ of the 8 lanes, as ((e0 + e2) + (e1 + e3)) + ((e4 + e6) + (e5 + e7)): the order in
/// which the tiles below sum each row, so that a row's result depends neither on the rows
/// around it nor on the steps computed with it.
INLINE float sum8(f8 a) {
    f8 b = a + __builtin_shufflevector(a, a, 2, 3, 0, 1, 6, 7, 4, 5);
    return (b.s0 + b.s1) + (b.s4 + b.s5);
}

/// For four rows' accumulators: lane j holds row j's sum of lanes 0-3 and lane j + 4 its
/// sum of lanes 4-7 (two rounds of pairwise adds, as in sum8).
INLINE f8 partial_sums4(f8 a0, f8 a1, f8 a2, f8 a3) {
    f8 b01 = __builtin_shufflevector(a0, a1, 0, 8, 1, 9, 4, 12, 5, 13)
           + __builtin_shufflevector(a0, a1, 2, 10, 3, 11, 6, 14, 7, 15);
    f8 b23 = __builtin_shufflevector(a2, a3, 0, 8, 1, 9, 4, 12, 5, 13)
           + __builtin_shufflevector(a2, a3, 2, 10, 3, 11, 6, 14, 7, 15);
    return __builtin_shufflevector(b01, b23, 0, 1, 8, 9, 4, 5, 12, 13)
         + __builtin_shufflevector(b01, b23, 2, 3, 10, 11, 6, 7, 14, 15);
}

/// Rows [r, r + R) of W times x_t for the S steps t < S, where x_t = x + t · x_stride and
/// y_t = y + t · y_stride: R × S dot products side by side, 8 columns at a time, each load
/// of a row serving S steps and each load of x_t serving R rows. R is 8, 4 or 1.
/// `next`, when not NULL, is the next tile's first row: for one step, where each row is
/// read once, its R · cols floats are prefetched into the L1 cache while this tile runs,
/// as the hardware prefetcher alone does not keep R short streams ahead.
INLINE void row_tile(const float *weight, ptrdiff_t r, const int R, ptrdiff_t cols,
                     const float *x, ptrdiff_t x_stride, const int S, const float *bias,
                     float *y, ptrdiff_t y_stride, const float *next) {
    const ptrdiff_t vector_cols = cols & ~(ptrdiff_t)7;
    const float *w = weight + r * cols;
    f8 acc[16];
    for (int a = 0; a < R * S; a++) acc[a] = 0;
    for (ptrdiff_t k = 0; k < vector_cols; k += 8) {
        // R rows × 8 columns = R / 2 cache lines of the next tile per pass.
        if (S == 1 && next) {
            for (int line = 0; line < R / 2; line++) __builtin_prefetch(next + (k / 8 * (R / 2) + line) * 16);
        }
        f8 xs[8];
        for (int t = 0; t < S; t++) xs[t] = load8(x + t * x_stride + k);
        for (int j = 0; j < R; j++) {
            f8 row = load8(w + j * cols + k);
            for (int t = 0; t < S; t++) acc[t * R + j] = acc[t * R + j] + row * xs[t];
        }
    }
    for (int t = 0; t < S; t++) {
        const f8 *a = acc + t * R;
        const float *xt = x + t * x_stride;
        float *yt = y + t * y_stride + r;
        f8 sums = 0;
        if (R == 8) {
            f8 low = partial_sums4(a[0], a[1], a[2], a[3]), high = partial_sums4(a[4], a[5], a[6], a[7]);
            sums = __builtin_shufflevector(low, high, 0, 1, 2, 3, 8, 9, 10, 11)
                 + __builtin_shufflevector(low, high, 4, 5, 6, 7, 12, 13, 14, 15);
        } else if (R == 4) {
            f8 halves = partial_sums4(a[0], a[1], a[2], a[3]);
            sums.lo = halves.lo + halves.hi;
        } else {
            sums.s0 = sum8(a[0]);
        }
        if (R > 1 && vector_cols == cols) {
            // No columns left over: the bias goes in as one vector.
            if (R == 8) {
                store8(yt, bias ? sums + load8(bias + r) : sums);
            } else {
                f4 total = bias ? sums.lo + load4(bias + r) : sums.lo;
                __builtin_memcpy(yt, &total, sizeof total);
            }
            continue;
        }
        // The columns after the last multiple of 8, one at a time, then the bias.
        for (int j = 0; j < R; j++) {
            float sum = sums[j];
            for (ptrdiff_t k = vector_cols; k < cols; k++) sum = sum + w[j * cols + k] * xt[k];
            yt[j] = bias ? sum + bias[r + j] : sum;
        }
    }
}

/// Rows [r0, r1) of W (which has `rows` rows) for the S steps: tiles of `most` rows, then
/// of 4, then single rows.
INLINE void row_sweep(const float *weight, ptrdiff_t rows, ptrdiff_t r0, ptrdiff_t r1,
                      ptrdiff_t cols, const float *x, ptrdiff_t x_stride, const int S,
                      const float *bias, float *y, ptrdiff_t y_stride, const int most) {
    ptrdiff_t r = r0;
    for (; r + most <= r1; r += most) {
        const float *next = r + 2 * most <= rows ? weight + (r + most) * cols : 0;
        row_tile(weight, r, most, cols, x, x_stride, S, bias, y, y_stride, next);
    }
    if (most > 4 && r + 4 <= r1) {
        row_tile(weight, r, 4, cols, x, x_stride, S, bias, y, y_stride, 0);
        r += 4;
    }
    for (; r < r1; r++) row_tile(weight, r, 1, cols, x, x_stride, S, bias, y, y_stride, 0);
}

/// y_t = W x_t + b for t < count, W row-major. Row blocks of about 16 KB of W, each of
/// which stays in the L1 cache while every step passes through it; within a block,
/// MANY_STEPS steps at a time in tiles of MANY_STEP_ROWS rows, then the remaining steps
/// (all of them when count is 1) one at a time in tiles of ONE_STEP_ROWS rows, enough
/// independent accumulators to hide the multiply-add latency.
INLINE void matmul_body(const float *weight, ptrdiff_t rows, ptrdiff_t cols, const float *x,
                        ptrdiff_t x_stride, ptrdiff_t count, const float *bias, float *y,
                        ptrdiff_t y_stride) {
    const ptrdiff_t fitting = (4096 / (cols > 0 ? cols : 1)) & ~(ptrdiff_t)7;
    const ptrdiff_t block_rows = fitting > 8 ? fitting : 8;
    for (ptrdiff_t r0 = 0; r0 < rows; r0 += block_rows) {
        const ptrdiff_t r1 = rows - r0 < block_rows ? rows : r0 + block_rows;
        ptrdiff_t t = 0;
        for (; t + MANY_STEPS <= count; t += MANY_STEPS)
            row_sweep(weight, rows, r0, r1, cols, x + t * x_stride, x_stride, MANY_STEPS, bias,
                      y + t * y_stride, y_stride, MANY_STEP_ROWS);
        for (; t < count; t++)
            row_sweep(weight, rows, r0, r1, cols, x + t * x_stride, x_stride, 1, bias,
                      y + t * y_stride, y_stride, ONE_STEP_ROWS);
    }
}

/// y = W x + b for one vector: `matmul_body` with one step, bit for bit (the same tiles of
/// ONE_STEP_ROWS rows, then 4, then single rows), the tiles taken from the last rows to the
/// first when `descending`. A W too large for the L1 cache streams through it at every
/// product; multiplying by it in alternate directions, step after step, starts each product
/// on the rows the one before ended on, which are still there.
INLINE void matvec_body(const float *weight, ptrdiff_t rows, ptrdiff_t cols, const float *x,
                        const float *bias, float *y, int descending) {
    if (!descending) {
        matmul_body(weight, rows, cols, x, 0, 1, bias, y, 0);
        return;
    }
    const int most = ONE_STEP_ROWS;
    const ptrdiff_t whole = rows / most * most;
    // The rows past the last whole tile (no whole tile fits there, so 4 and single rows).
    row_sweep(weight, rows, whole, rows, cols, x, 0, 1, bias, y, 0, most);
    for (ptrdiff_t r = whole - most; r >= 0; r -= most) {
        const float *next = r >= most ? weight + (r - most) * cols : 0;
        row_tile(weight, r, most, cols, x, 0, 1, bias, y, 0, next);
    }
}

/// g += a · x over `count` floats.
INLINE void axpy(float a, const float *x, float *g, ptrdiff_t count) {
    ptrdiff_t k = 0;
    for (; k + 8 <= count; k += 8) store8(g + k, load8(g + k) + a * load8(x + k));
    for (; k < count; k++) g[k] = g[k] + a * x[k];
}

/// dv += Wᵀ dy, ONE_STEP_ROWS rows per pass so that each slice of dv is loaded and stored once
/// per group; then dW += dy ⊗ v, row by row.
INLINE void linear_backward_body(const float *weight, ptrdiff_t rows, ptrdiff_t cols,
                                 const float *v, const float *dy, float *dv, float *dW) {
    const int group = ONE_STEP_ROWS;
    ptrdiff_t r = 0;
    for (; r + group <= rows; r += group) {
        const float *w = weight + r * cols;
        ptrdiff_t k = 0;
        for (; k + 8 <= cols; k += 8) {
            f8 d = load8(dv + k);
            for (int j = 0; j < group; j++) d = d + dy[r + j] * load8(w + j * cols + k);
            store8(dv + k, d);
        }
        for (; k < cols; k++) {
            float d = dv[k];
            for (int j = 0; j < group; j++) d = d + dy[r + j] * w[j * cols + k];
            dv[k] = d;
        }
    }
    for (; r < rows; r++) axpy(dy[r], weight + r * cols, dv, cols);
    if (dW) {
        for (r = 0; r < rows; r++) axpy(dy[r], v, dW + r * cols, cols);
    }
}

/// dv_t += Wᵀ dy_t for the `count` steps t, dy_t = dy + t · dy_stride, dv_t = dv + t ·
/// dv_stride: per 8 or 16 columns, BACKWARD_STEPS steps share each load of a row of W, and
/// each entry sums the rows in order, exactly as `linear_backward_body` does for one step.
INLINE void linear_backward_tile(const float *weight, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t k,
                                 const int V, const float *dy, ptrdiff_t dy_stride, float *dv,
                                 ptrdiff_t dv_stride, const int S) {
    f8 acc[16];
    for (int s = 0; s < S; s++)
        for (int j = 0; j < V; j++) acc[s * V + j] = load8(dv + s * dv_stride + k + 8 * j);
    for (ptrdiff_t r = 0; r < rows; r++) {
        f8 w[2];
        for (int j = 0; j < V; j++) w[j] = load8(weight + r * cols + k + 8 * j);
        for (int s = 0; s < S; s++) {
            const float a = dy[s * dy_stride + r];
            for (int j = 0; j < V; j++) acc[s * V + j] = acc[s * V + j] + a * w[j];
        }
    }
    for (int s = 0; s < S; s++)
        for (int j = 0; j < V; j++) store8(dv + s * dv_stride + k + 8 * j, acc[s * V + j]);
}

INLINE void linear_backward_many_body(const float *weight, ptrdiff_t rows, ptrdiff_t cols,
                                      ptrdiff_t count, const float *dy, ptrdiff_t dy_stride,
                                      float *dv, ptrdiff_t dv_stride) {
    const ptrdiff_t vector_cols = cols & ~(ptrdiff_t)7;
    ptrdiff_t t = 0;
    for (; t < count; t += BACKWARD_STEPS) {
        const float *dyt = dy + t * dy_stride;
        float *dvt = dv + t * dv_stride;
        const int S = count - t < BACKWARD_STEPS ? (int)(count - t) : BACKWARD_STEPS;
        ptrdiff_t k = 0;
        // The step counts are spelled out so that each tile's loops unroll.
        for (; k + 16 <= vector_cols; k += 16) {
            if (S == BACKWARD_STEPS) linear_backward_tile(weight, rows, cols, k, 2, dyt, dy_stride, dvt, dv_stride, BACKWARD_STEPS);
            else for (int s = 0; s < S; s++) linear_backward_tile(weight, rows, cols, k, 2, dyt + s * dy_stride, 0, dvt + s * dv_stride, 0, 1);
        }
        for (; k < vector_cols; k += 8) {
            if (S == BACKWARD_STEPS) linear_backward_tile(weight, rows, cols, k, 1, dyt, dy_stride, dvt, dv_stride, BACKWARD_STEPS);
            else for (int s = 0; s < S; s++) linear_backward_tile(weight, rows, cols, k, 1, dyt + s * dy_stride, 0, dvt + s * dv_stride, 0, 1);
        }
        // The columns after the last multiple of 8, one at a time.
        for (int s = 0; s < S; s++) {
            for (ptrdiff_t c = vector_cols; c < cols; c++) {
                float d = dvt[s * dv_stride + c];
                for (ptrdiff_t r = 0; r < rows; r++) d = d + dyt[s * dy_stride + r] * weight[r * cols + c];
                dvt[s * dv_stride + c] = d;
            }
        }
    }
}

/// R rows × V vectors of 8 columns of dW, to which dy_t ⊗ v_t is added for t in order.
INLINE void outer_tile(ptrdiff_t r, const int R, ptrdiff_t k, const int V, ptrdiff_t cols,
                       ptrdiff_t count, const float *dy, ptrdiff_t dy_stride, const float *v,
                       ptrdiff_t v_stride, float *dW) {
    f8 acc[16];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < V; j++) acc[i * V + j] = load8(dW + (r + i) * cols + k + 8 * j);
    for (ptrdiff_t t = 0; t < count; t++) {
        const float *vt = v + t * v_stride + k;
        const float *dyt = dy + t * dy_stride + r;
        f8 xs[2];
        for (int j = 0; j < V; j++) xs[j] = load8(vt + 8 * j);
        for (int i = 0; i < R; i++) {
            const float a = dyt[i];
            for (int j = 0; j < V; j++) acc[i * V + j] = acc[i * V + j] + a * xs[j];
        }
    }
    for (int i = 0; i < R; i++)
        for (int j = 0; j < V; j++) store8(dW + (r + i) * cols + k + 8 * j, acc[i * V + j]);
}

/// Rows [r, r + R) of dW += Σ_t dy_t ⊗ v_t, every column.
INLINE void outer_rows(ptrdiff_t r, const int R, ptrdiff_t cols, ptrdiff_t count, const float *dy,
                       ptrdiff_t dy_stride, const float *v, ptrdiff_t v_stride, float *dW) {
    const ptrdiff_t vector_cols = cols & ~(ptrdiff_t)7;
    ptrdiff_t k = 0;
    for (; k + 16 <= vector_cols; k += 16) outer_tile(r, R, k, 2, cols, count, dy, dy_stride, v, v_stride, dW);
    for (; k < vector_cols; k += 8) outer_tile(r, R, k, 1, cols, count, dy, dy_stride, v, v_stride, dW);
    for (; k < cols; k++) {
        for (int i = 0; i < R; i++) {
            float sum = dW[(r + i) * cols + k];
            for (ptrdiff_t t = 0; t < count; t++) sum = sum + dy[t * dy_stride + r + i] * v[t * v_stride + k];
            dW[(r + i) * cols + k] = sum;
        }
    }
}

/// dW += Σ_t dy_t ⊗ v_t: OUTER_ROWS rows × 16 columns per tile, each load of v_t serving
/// the tile's rows, then 8 columns, then single columns and rows.
INLINE void outer_sum_body(ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t count, const float *dy,
                           ptrdiff_t dy_stride, const float *v, ptrdiff_t v_stride, float *dW) {
    ptrdiff_t r = 0;
    for (; r + OUTER_ROWS <= rows; r += OUTER_ROWS) outer_rows(r, OUTER_ROWS, cols, count, dy, dy_stride, v, v_stride, dW);
    for (; r < rows; r++) outer_rows(r, 1, cols, count, dy, dy_stride, v, v_stride, dW);
}

// MARK: The entry points of one compilation

static void matmul(const float *weight, ptrdiff_t rows, ptrdiff_t cols, const float *x,
                   ptrdiff_t x_stride, ptrdiff_t count, const float *bias, float *y,
                   ptrdiff_t y_stride) {
    matmul_body(weight, rows, cols, x, x_stride, count, bias, y, y_stride);
}

static void matvec(const float *weight, ptrdiff_t rows, ptrdiff_t cols, const float *x,
                   const float *bias, float *y, int descending) {
    matvec_body(weight, rows, cols, x, bias, y, descending);
}

static void linear_backward(const float *weight, ptrdiff_t rows, ptrdiff_t cols,
                            const float *v, const float *dy, float *dv, float *dW) {
    linear_backward_body(weight, rows, cols, v, dy, dv, dW);
}

static void linear_backward_many(const float *weight, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t count,
                                 const float *dy, ptrdiff_t dy_stride, float *dv, ptrdiff_t dv_stride) {
    linear_backward_many_body(weight, rows, cols, count, dy, dy_stride, dv, dv_stride);
}

static void outer_sum(ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t count, const float *dy,
                      ptrdiff_t dy_stride, const float *v, ptrdiff_t v_stride, float *dW) {
    outer_sum_body(rows, cols, count, dy, dy_stride, v, v_stride, dW);
}

static void sigmoid(const float *x, float *y, ptrdiff_t count) { MAP_BODY(sigmoid16, x, y, count); }

static void tanh_(const float *x, float *y, ptrdiff_t count) { MAP_BODY(tanh16, x, y, count); }

#define KERNEL_TABLE(name) {name, matmul, matvec, linear_backward, linear_backward_many, outer_sum, sigmoid, tanh_}

// The tables the files define, for kernels.c.
extern const gs_kernels gs_portable_table;
extern const gs_kernels gs_avx2_fma_table;
extern const gs_kernels gs_avx512_table;
