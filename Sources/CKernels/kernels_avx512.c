// The kernels compiled for AVX-512 (F, VL, DQ, BW) with fused multiply-add. As in
// kernels_avx2_fma.c only the functions here carry the target attribute; kernels.c calls
// them only on a CPU that has all of these features.
#if defined(__x86_64__)

// The matrix bodies work on 8-lane vectors (the activations on 16); with AVX-512VL those
// use its 32 registers (ymm0-31) and its masked and mixed-width instructions. Twice AVX2's
// registers allow twice the accumulators: 8 rows for one vector, 4 rows × 4 steps for a
// sequence, 8 steps per pass of Wᵀ dy (16 accumulators for 16 columns), 8 rows per pass
// of Σ dy ⊗ v.
#define ONE_STEP_ROWS 8
#define MANY_STEPS 4
#define MANY_STEP_ROWS 4
#define BACKWARD_STEPS 8
#define OUTER_ROWS 8
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma"))), apply_to = function)
#include "kernel_bodies.h"
#pragma clang attribute pop

const gs_kernels gs_avx512_table = KERNEL_TABLE("avx512");

#endif
