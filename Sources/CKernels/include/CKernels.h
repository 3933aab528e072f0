#ifndef GATESCOPE_CKERNELS_H
#define GATESCOPE_CKERNELS_H

// The inner loops of gatescope's math, in C so that they can use AVX2 or AVX-512 and fused
// multiply-add when the CPU has them while the binary still runs on any x86-64 (and
// builds for other architectures, which get the portable versions).
//
// Matrices are row-major float32. Pointers may be unaligned; outputs must not overlap
// inputs unless said otherwise.

#include <stddef.h>

/// y_t = W x_t + b for t < count, with W `rows` × `cols`, x_t = x + t · x_stride (cols
/// floats) and y_t = y + t · y_stride (rows floats): y_t[r] = bias[r] + Σ_k W[r][k] x_t[k];
/// `bias` may be NULL. With count 1 the strides are not used. Every row and step sums its
/// products in the same order, whatever the count; for many steps, several share each
/// load of W.
void gs_matmul(const float *weight, ptrdiff_t rows, ptrdiff_t cols, const float *x,
               ptrdiff_t x_stride, ptrdiff_t count, const float *bias, float *y,
               ptrdiff_t y_stride);

/// y = W x + b for one vector: `gs_matmul` with count 1, bit for bit, the rows taken from
/// the last to the first when `descending` is not 0. A caller multiplying by one matrix
/// over and over alternates the direction, so that each product starts on the rows the one
/// before left in the L1 cache.
void gs_matvec(const float *weight, ptrdiff_t rows, ptrdiff_t cols, const float *x,
               const float *bias, float *y, int descending);

/// The backward pass of y = W v: dv[k] += Σ_r dy[r] · W[r][k] and, when `dW` is not
/// NULL, dW[r][k] += dy[r] · v[k].
void gs_linear_backward(const float *weight, ptrdiff_t rows, ptrdiff_t cols, const float *v,
                        const float *dy, float *dv, float *dW);

/// The backward pass of y_t = W v_t for `count` steps, without dW: dv_t[k] += Σ_r dy_t[r] ·
/// W[r][k], dy_t = dy + t · dy_stride, dv_t = dv + t · dv_stride. Each dv_t comes out bit
/// for bit as `gs_linear_backward` gives it for that step alone.
void gs_linear_backward_many(const float *weight, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t count,
                             const float *dy, ptrdiff_t dy_stride, float *dv, ptrdiff_t dv_stride);

/// dW[r][k] += dy_t[r] · v_t[k] for t = 0, 1, …, count - 1 in that order, for a `rows` ×
/// `cols` dW, dy_t = dy + t · dy_stride, v_t = v + t · v_stride (strides may be negative, or
/// 0 to repeat a row): bit for bit the dW that `count` calls of `gs_linear_backward` give,
/// with each entry loaded and stored once instead of once per step.
void gs_outer_sum(ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t count, const float *dy,
                  ptrdiff_t dy_stride, const float *v, ptrdiff_t v_stride, float *dW);

/// y[j] = σ(x[j]) = 1 / (1 + e^(-x[j])) for j < count. Within 2 float32 ulps of the
/// exact value for every finite input, never NaN for a number, in [0, 1]. `y` may be `x`.
void gs_sigmoid(const float *x, float *y, ptrdiff_t count);

/// y[j] = tanh(x[j]) for j < count. Within 2 float32 ulps of the exact value for every
/// finite input, in [-1, 1]. `y` may be `x`.
void gs_tanh(const float *x, float *y, ptrdiff_t count);

/// One value of `gs_sigmoid` / `gs_tanh`, bit for bit what the array functions give.
float gs_sigmoidf(float x);
float gs_tanhf(float x);

/// One implementation of each kernel. The functions above call the best one this CPU
/// runs; the tables are public so that tests can check each against the others.
typedef struct gs_kernels {
    const char *name;
    void (*matmul)(const float *, ptrdiff_t, ptrdiff_t, const float *, ptrdiff_t, ptrdiff_t,
                   const float *, float *, ptrdiff_t);
    void (*matvec)(const float *, ptrdiff_t, ptrdiff_t, const float *, const float *, float *, int);
    void (*linear_backward)(const float *, ptrdiff_t, ptrdiff_t, const float *, const float *,
                            float *, float *);
    void (*linear_backward_many)(const float *, ptrdiff_t, ptrdiff_t, ptrdiff_t, const float *,
                                 ptrdiff_t, float *, ptrdiff_t);
    void (*outer_sum)(ptrdiff_t, ptrdiff_t, ptrdiff_t, const float *, ptrdiff_t, const float *,
                      ptrdiff_t, float *);
    void (*sigmoid)(const float *, float *, ptrdiff_t);
    void (*tanh)(const float *, float *, ptrdiff_t);
} gs_kernels;

/// Plain C, vectorised by the compiler for the build's baseline (SSE2 on x86-64).
const gs_kernels *gs_portable_kernels(void);
/// AVX2 with fused multiply-add, or NULL when the CPU (or the architecture) lacks them.
const gs_kernels *gs_avx2_fma_kernels(void);
/// AVX-512 (F, VL, DQ, BW) with fused multiply-add, or NULL when the CPU (or the
/// architecture) lacks them.
const gs_kernels *gs_avx512_kernels(void);
/// The table the gs_ functions use.
const gs_kernels *gs_active_kernels(void);

#endif
