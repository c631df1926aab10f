#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

// 12 accumulators hide the FMA latency (4 cycles) behind 2 FMA units with room to spare.
#define CKERNELS_ACCUMULATORS 12

__attribute__((target("avx512f")))
double ckernels_fma_loop_avx512(int64_t iterations, float *sink) {
    __m512 acc[CKERNELS_ACCUMULATORS];
    for (int i = 0; i < CKERNELS_ACCUMULATORS; i++) acc[i] = _mm512_set1_ps(0.001f * (float)(i + 1));
    const __m512 a = _mm512_set1_ps(0.9999999f), b = _mm512_set1_ps(1e-7f);
    for (int64_t n = 0; n < iterations; n++) {
        for (int i = 0; i < CKERNELS_ACCUMULATORS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    }
    __m512 total = acc[0];
    for (int i = 1; i < CKERNELS_ACCUMULATORS; i++) total = _mm512_add_ps(total, acc[i]);
    *sink = _mm512_reduce_add_ps(total);
    return 2.0 * 16.0 * CKERNELS_ACCUMULATORS * (double)iterations;
}

__attribute__((target("avx2,fma")))
double ckernels_fma_loop_avx2(int64_t iterations, float *sink) {
    __m256 acc[CKERNELS_ACCUMULATORS];
    for (int i = 0; i < CKERNELS_ACCUMULATORS; i++) acc[i] = _mm256_set1_ps(0.001f * (float)(i + 1));
    const __m256 a = _mm256_set1_ps(0.9999999f), b = _mm256_set1_ps(1e-7f);
    for (int64_t n = 0; n < iterations; n++) {
        for (int i = 0; i < CKERNELS_ACCUMULATORS; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    }
    __m256 total = acc[0];
    for (int i = 1; i < CKERNELS_ACCUMULATORS; i++) total = _mm256_add_ps(total, acc[i]);
    float lanes[8];
    _mm256_storeu_ps(lanes, total);
    *sink = lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
    return 2.0 * 8.0 * CKERNELS_ACCUMULATORS * (double)iterations;
}

double ckernels_fma_loop_sse(int64_t iterations, float *sink) {
    __m128 acc[CKERNELS_ACCUMULATORS];
    for (int i = 0; i < CKERNELS_ACCUMULATORS; i++) acc[i] = _mm_set1_ps(0.001f * (float)(i + 1));
    const __m128 a = _mm_set1_ps(0.9999999f), b = _mm_set1_ps(1e-7f);
    for (int64_t n = 0; n < iterations; n++) {
        for (int i = 0; i < CKERNELS_ACCUMULATORS; i++) acc[i] = _mm_add_ps(_mm_mul_ps(acc[i], a), b);
    }
    __m128 total = acc[0];
    for (int i = 1; i < CKERNELS_ACCUMULATORS; i++) total = _mm_add_ps(total, acc[i]);
    float lanes[4];
    _mm_storeu_ps(lanes, total);
    *sink = lanes[0] + lanes[1] + lanes[2] + lanes[3];
    return 2.0 * 4.0 * CKERNELS_ACCUMULATORS * (double)iterations;
}

#else
// Other architectures: no peak loop; the caller reports the peak as unknown.
double ckernels_fma_loop_avx512(int64_t iterations, float *sink) { (void)iterations; *sink = 0; return 0; }
double ckernels_fma_loop_avx2(int64_t iterations, float *sink) { (void)iterations; *sink = 0; return 0; }
double ckernels_fma_loop_sse(int64_t iterations, float *sink) { (void)iterations; *sink = 0; return 0; }
#endif
