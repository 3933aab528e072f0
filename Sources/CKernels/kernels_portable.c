// The kernels for the build's baseline (SSE2 on x86-64, NEON on arm64), and the scalar
// activations, which use them on all 16 lanes of one value.

// Baseline x86-64 has 16 registers of 4 lanes, and each 8-lane value takes two: four
// accumulators, the vector they multiply and a row take 12 of them.
#define ONE_STEP_ROWS 4
#define MANY_STEPS 1
#define MANY_STEP_ROWS 4
// Wᵀ dy and Σ dy ⊗ v: 2 steps (rows) × 16 columns, 8 registers of accumulators.
#define BACKWARD_STEPS 2
#define OUTER_ROWS 2
#include "kernel_bodies.h"

const gs_kernels gs_portable_table = KERNEL_TABLE("portable");

float gs_sigmoidf(float x) { return sigmoid16((f16)x).s0; }

float gs_tanhf(float x) { return tanh16((f16)x).s0; }
