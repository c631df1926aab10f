// charnn's own kernels in C, for what Swift cannot express: instruction-set-specific code chosen at
// run time (each function is compiled for its ISA with a target attribute; the caller checks the CPU
// with CCPUFeatures first). Provides no stable API beyond charnn.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stdint.h>

/// Register-only loops of fused multiply-adds on independent accumulators: the arithmetic limit of
/// one core. Each returns the floating-point operations it performed (2 per lane per FMA) and writes
/// a value derived from the accumulators to `sink` so the loop cannot be optimised away.
/// Only call the AVX-512 one on a CPU with AVX-512F and OS support, the AVX2 one with AVX2 + FMA.
double ckernels_fma_loop_avx512(int64_t iterations, float *sink);
double ckernels_fma_loop_avx2(int64_t iterations, float *sink);
/// SSE2 (every x86-64): a multiply and an add, 4 lanes; the baseline when there is no FMA.
double ckernels_fma_loop_sse(int64_t iterations, float *sink);

/// y[r] += Σ_c W[r·cols + c] · x[c] for r < rows, with W stored as IEEE half precision and widened
/// to float as it is read (F16C), accumulating in float: batch-1 inference reads every weight once
/// per character, so halving the bytes read halves its memory traffic. The F16C path needs AVX2,
/// FMA and F16C; the portable one converts in software.
void ckernels_gemv_f16_f16c(const uint16_t *W, int64_t rows, int64_t cols, const float *x, float *y);
void ckernels_gemv_f16_portable(const uint16_t *W, int64_t rows, int64_t cols, const float *x, float *y);
/// Float to IEEE half, round to nearest even (what the F16C instructions do).
uint16_t ckernels_float_to_half(float value);
float ckernels_half_to_float(uint16_t value);

#endif
