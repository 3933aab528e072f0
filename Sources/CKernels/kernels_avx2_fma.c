// The kernels compiled for AVX2 with fused multiply-add. Only the functions here carry the
// target attribute, so the rest of the program keeps to baseline x86-64; kernels.c calls
// them only on a CPU that has both.
#if defined(__x86_64__)

// AVX2's 16 registers hold 8 lanes each: eight accumulators for one vector; for a
// sequence, 4 rows × 3 steps = 12 accumulators, the 3 steps' inputs and one row: all 16
// registers, 7 loads per 12 multiply-adds (2 steps took 6 per 8, and measured 15 % slower
// for the LSTM's input projection at H = 128 on an AMD EPYC, Zen 3).
#define ONE_STEP_ROWS 8
#define MANY_STEPS 3
#define MANY_STEP_ROWS 4
// Wᵀ dy: 4 steps × 16 columns = 8 accumulators, 2 slices of a row and the broadcast dy.
#define BACKWARD_STEPS 4
// Σ dy ⊗ v: 4 rows × 16 columns = 8 accumulators, 2 slices of v and the broadcast dy.
#define OUTER_ROWS 4
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#include "kernel_bodies.h"
#pragma clang attribute pop

const gs_kernels gs_avx2_fma_table = KERNEL_TABLE("avx2+fma");

#endif
