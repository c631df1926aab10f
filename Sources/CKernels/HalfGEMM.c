#include "CKernels.h"

#include <string.h>

float ckernels_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff, bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            exponent = 127 - 15 + 1;
            while (!(mantissa & 0x400)) { mantissa <<= 1; exponent--; }
            bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
        }
    } else if (exponent == 31) {
        bits = sign | 0x7f800000 | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

uint16_t ckernels_float_to_half(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    uint32_t sign = (bits >> 16) & 0x8000;
    int32_t exponent = (int32_t)((bits >> 23) & 0xff) - 127 + 15;
    uint32_t mantissa = bits & 0x7fffff;
    if (((bits >> 23) & 0xff) == 0xff) return (uint16_t)(sign | 0x7c00 | (mantissa ? 0x200 : 0));  // inf, nan
    if (exponent >= 31) return (uint16_t)(sign | 0x7c00);  // overflow: infinity
    if (exponent <= 0) {  // subnormal or zero
        if (exponent < -10) return (uint16_t)sign;
        mantissa |= 0x800000;
        uint32_t shift = (uint32_t)(14 - exponent);
        uint32_t half = mantissa >> shift, rest = mantissa & ((1u << shift) - 1), midpoint = 1u << (shift - 1);
        if (rest > midpoint || (rest == midpoint && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = ((uint32_t)exponent << 10) | (mantissa >> 13), rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) half++;  // may carry into the exponent: still right
    return (uint16_t)(sign | half);
}

// Every kernel below gives each output the same arithmetic whatever the batch and wherever the row
// falls in a tile: per (row, batch row), one accumulator of lanes over the columns in order, reduced
// by one fixed tree, then the leftover columns in order, then added to y. So a stream's logits do
// not depend on which other streams share its step, and a batch of one equals the one-stream step.

void ckernels_gemm_f16_portable(const uint16_t *W, int64_t rows, int64_t cols, const float *X, int64_t ldx,
                                int64_t batch, float *Y, int64_t ldy) {
    for (int64_t r = 0; r < rows; r++) {
        const uint16_t *row = W + r * cols;
        for (int64_t b = 0; b < batch; b++) {
            const float *x = X + b * ldx;
            float sum = 0;
            for (int64_t c = 0; c < cols; c++) sum += ckernels_half_to_float(row[c]) * x[c];
            Y[b * ldy + r] += sum;
        }
    }
}

/// The columns past the last whole vector, in order, after the vector part's sum `s`.
static inline float leftover_columns(const uint16_t *w, const float *x, int64_t from, int64_t cols, float s) {
    for (int64_t c = from; c < cols; c++) s += ckernels_half_to_float(w[c]) * x[c];
    return s;
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,fma,f16c")))
static inline float horizontal_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/// Rows r…r+R−1 (R ≤ 4) against batch rows b…b+NB−1 (NB ≤ 2), 8 lanes: each weight vector is widened
/// once and used by every batch row; R·NB accumulators, R weight and NB input registers (≤ 14 YMM).
__attribute__((target("avx2,fma,f16c"), always_inline))
static inline void tile_f16c(const uint16_t *W, int64_t r, int R, int64_t cols, const float *X, int64_t ldx, int64_t b,
                             int NB, float *Y, int64_t ldy) {
    int64_t vector_cols = cols & ~(int64_t)7;
    __m256 acc[4][2];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < NB; j++) acc[i][j] = _mm256_setzero_ps();
    for (int64_t c = 0; c < vector_cols; c += 8) {
        __m256 xv[2], wv[4];
        for (int j = 0; j < NB; j++) xv[j] = _mm256_loadu_ps(X + (b + j) * ldx + c);
        for (int i = 0; i < R; i++) wv[i] = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(W + (r + i) * cols + c)));
        for (int i = 0; i < R; i++)
            for (int j = 0; j < NB; j++) acc[i][j] = _mm256_fmadd_ps(wv[i], xv[j], acc[i][j]);
    }
    for (int i = 0; i < R; i++)
        for (int j = 0; j < NB; j++) {
            float s = leftover_columns(W + (r + i) * cols, X + (b + j) * ldx, vector_cols, cols, horizontal_sum(acc[i][j]));
            Y[(b + j) * ldy + r + i] += s;
        }
}

__attribute__((target("avx2,fma,f16c")))
void ckernels_gemm_f16_f16c(const uint16_t *W, int64_t rows, int64_t cols, const float *X, int64_t ldx,
                            int64_t batch, float *Y, int64_t ldy) {
    int64_t r = 0;
    for (; r + 4 <= rows; r += 4) {
        int64_t b = 0;
        for (; b + 2 <= batch; b += 2) tile_f16c(W, r, 4, cols, X, ldx, b, 2, Y, ldy);
        for (; b < batch; b++) tile_f16c(W, r, 4, cols, X, ldx, b, 1, Y, ldy);
    }
    for (; r < rows; r++)
        for (int64_t b = 0; b < batch; b++) tile_f16c(W, r, 1, cols, X, ldx, b, 1, Y, ldy);
}

/// As `tile_f16c` on 16 lanes (vcvtph2ps to ZMM), NB ≤ 4: 16 accumulators, 4 weight and 4 input
/// registers of the 32 ZMM.
__attribute__((target("avx512f,fma"), always_inline))
static inline void tile_avx512(const uint16_t *W, int64_t r, int R, int64_t cols, const float *X, int64_t ldx,
                               int64_t b, int NB, float *Y, int64_t ldy) {
    int64_t vector_cols = cols & ~(int64_t)15;
    __m512 acc[4][4];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < NB; j++) acc[i][j] = _mm512_setzero_ps();
    for (int64_t c = 0; c < vector_cols; c += 16) {
        __m512 xv[4], wv[4];
        for (int j = 0; j < NB; j++) xv[j] = _mm512_loadu_ps(X + (b + j) * ldx + c);
        for (int i = 0; i < R; i++)
            wv[i] = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(W + (r + i) * cols + c)));
        for (int i = 0; i < R; i++)
            for (int j = 0; j < NB; j++) acc[i][j] = _mm512_fmadd_ps(wv[i], xv[j], acc[i][j]);
    }
    for (int i = 0; i < R; i++)
        for (int j = 0; j < NB; j++) {
            float s = leftover_columns(W + (r + i) * cols, X + (b + j) * ldx, vector_cols, cols,
                                       _mm512_reduce_add_ps(acc[i][j]));
            Y[(b + j) * ldy + r + i] += s;
        }
}

// Rows shorter than 256 go to the 8-lane kernel: there the 16-lane horizontal sums cost more than the
// wider loads save. Zen 4, shared machine, best of 10 timings per run (batch 1): 512 × 64 2.04 µs
// against the 8-lane 1.40, 512 × 128 2.72 against 2.41; 2048 × 512 (an L layer's weight_hh) 0.97,
// 1.03, 1.23, 1.28 and 1.40 times the 8-lane kernel's speed in five runs.
__attribute__((target("avx512f,fma")))
void ckernels_gemm_f16_avx512(const uint16_t *W, int64_t rows, int64_t cols, const float *X, int64_t ldx,
                              int64_t batch, float *Y, int64_t ldy) {
    if (cols < 256) {
        ckernels_gemm_f16_f16c(W, rows, cols, X, ldx, batch, Y, ldy);
        return;
    }
    int64_t r = 0;
    for (; r + 4 <= rows; r += 4) {
        int64_t b = 0;
        for (; b + 4 <= batch; b += 4) tile_avx512(W, r, 4, cols, X, ldx, b, 4, Y, ldy);
        for (; b < batch; b++) tile_avx512(W, r, 4, cols, X, ldx, b, 1, Y, ldy);
    }
    for (; r < rows; r++)
        for (int64_t b = 0; b < batch; b++) tile_avx512(W, r, 1, cols, X, ldx, b, 1, Y, ldy);
}
#else
void ckernels_gemm_f16_f16c(const uint16_t *W, int64_t rows, int64_t cols, const float *X, int64_t ldx,
                            int64_t batch, float *Y, int64_t ldy) {
    ckernels_gemm_f16_portable(W, rows, cols, X, ldx, batch, Y, ldy);
}

void ckernels_gemm_f16_avx512(const uint16_t *W, int64_t rows, int64_t cols, const float *X, int64_t ldx,
                              int64_t batch, float *Y, int64_t ldy) {
    ckernels_gemm_f16_portable(W, rows, cols, X, ldx, batch, Y, ldy);
}
#endif
