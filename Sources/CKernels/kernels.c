// The entry points, and the choice between the portable, the AVX2 + FMA and the AVX-512
// kernels, made once before main: the widest this CPU runs.

#include "CKernels.h"

#include <stddef.h>

extern const gs_kernels gs_portable_table;
extern const gs_kernels gs_avx2_fma_table;
extern const gs_kernels gs_avx512_table;

const gs_kernels *gs_portable_kernels(void) { return &gs_portable_table; }

const gs_kernels *gs_avx2_fma_kernels(void) {
#if defined(__x86_64__)
    // The runtime records the CPU's features, and whether the OS saves the AVX registers,
    // before main; __builtin_cpu_init makes sure of it when called from a constructor.
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &gs_avx2_fma_table;
#endif
    return NULL;
}

const gs_kernels *gs_avx512_kernels(void) {
#if defined(__x86_64__)
    // As above: the CPU's features and the OS saving the AVX-512 registers (zmm, k).
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("fma"))
        return &gs_avx512_table;
#endif
    return NULL;
}

static const gs_kernels *active = &gs_portable_table;

__attribute__((constructor)) static void choose_kernels(void) {
    const gs_kernels *avx512 = gs_avx512_kernels();
    const gs_kernels *avx2 = gs_avx2_fma_kernels();
    active = avx512 ? avx512 : avx2 ? avx2 : &gs_portable_table;
}

const gs_kernels *gs_active_kernels(void) { return active; }

void gs_matmul(const float *weight, ptrdiff_t rows, ptrdiff_t cols, const float *x,
               ptrdiff_t x_stride, ptrdiff_t count, const float *bias, float *y,
               ptrdiff_t y_stride) {
    active->matmul(weight, rows, cols, x, x_stride, count, bias, y, y_stride);
}

void gs_matvec(const float *weight, ptrdiff_t rows, ptrdiff_t cols, const float *x,
               const float *bias, float *y, int descending) {
    active->matvec(weight, rows, cols, x, bias, y, descending);
}

void gs_linear_backward(const float *weight, ptrdiff_t rows, ptrdiff_t cols, const float *v,
                        const float *dy, float *dv, float *dW) {
    active->linear_backward(weight, rows, cols, v, dy, dv, dW);
}

void gs_linear_backward_many(const float *weight, ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t count,
                             const float *dy, ptrdiff_t dy_stride, float *dv, ptrdiff_t dv_stride) {
    active->linear_backward_many(weight, rows, cols, count, dy, dy_stride, dv, dv_stride);
}

void gs_outer_sum(ptrdiff_t rows, ptrdiff_t cols, ptrdiff_t count, const float *dy,
                  ptrdiff_t dy_stride, const float *v, ptrdiff_t v_stride, float *dW) {
    active->outer_sum(rows, cols, count, dy, dy_stride, v, v_stride, dW);
}

void gs_sigmoid(const float *x, float *y, ptrdiff_t count) { active->sigmoid(x, y, count); }

void gs_tanh(const float *x, float *y, ptrdiff_t count) { active->tanh(x, y, count); }
