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

// The matrices are held as panels of 16 rows (`ckernels_pack_half_panels`): panel p holds rows
// 16p…16p+15, column by column, so a kernel streams each panel with contiguous loads of 16 halves.
// Every kernel gives each output the same arithmetic: y ← fma(W[r,c], x[c], y) for c = 0, 1, … in
// order, starting from y's value, one rounding per column. So a stream's results do not depend on
// the other streams of its batch, on where its rows fall in a tile, or on the instruction set.

#include <math.h>

#define PANEL_ROWS 16
/// Panels per pass for n streams of a V-vector panel: at least 8 accumulators, at most `most`.
#define R_FOR(n, V, most) ((8 / ((V) * (n))) < 1 ? 1 : (8 / ((V) * (n))) > (most) ? (most) : (8 / ((V) * (n))))
#define NB_AT_MOST(n, most) ((n) <= (most) ? (n) : 1)

void ckernels_pack_half_panels(const float *W, int64_t rows, int64_t cols, uint16_t *panels) {
    int64_t panel_count = (rows + PANEL_ROWS - 1) / PANEL_ROWS;
    for (int64_t p = 0; p < panel_count; p++)
        for (int64_t c = 0; c < cols; c++)
            for (int64_t l = 0; l < PANEL_ROWS; l++) {
                int64_t r = p * PANEL_ROWS + l;
                panels[(p * cols + c) * PANEL_ROWS + l] = r < rows ? ckernels_float_to_half(W[r * cols + c]) : 0;
            }
}

void ckernels_gemm_f16_portable(const uint16_t *panels, int64_t rows, int64_t cols, const float *X, int64_t ldx,
                                int64_t batch, float *Y, int64_t ldy) {
    for (int64_t r = 0; r < rows; r++) {
        const uint16_t *w = panels + (r / PANEL_ROWS) * cols * PANEL_ROWS + r % PANEL_ROWS;
        for (int64_t b = 0; b < batch; b++) {
            const float *x = X + b * ldx;
            float y = Y[b * ldy + r];
            for (int64_t c = 0; c < cols; c++) y = fmaf(ckernels_half_to_float(w[c * PANEL_ROWS]), x[c], y);
            Y[b * ldy + r] = y;
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// One ISA's kernel from a tile written once over its vector type. NAME_tile(R, NB) updates R
// consecutive panels (w, the first's start) for NB streams (x, y: the first stream's input and
// outputs): R·NB·(16 / lanes) accumulators, kept in registers because R and NB are constants at
// every call. A partial last panel runs on a copy of its outputs (the arithmetic is the same).
#define DEFINE_HALF_GEMM(NAME, TARGET, VEC, LANES, LOAD, STORE, WIDEN_HALVES, BROADCAST, FMADD, MAX_NB, ONE_R)   \
__attribute__((target(TARGET), always_inline))                                                                  \
static inline void NAME##_tile(const uint16_t *w, int R, int64_t cols, const float *x, int64_t ldx, int NB,      \
                               float *y, int64_t ldy) {                                                         \
    enum { V = PANEL_ROWS / LANES };                                                                             \
    VEC acc[ONE_R * V][MAX_NB];                                                                                  \
    for (int i = 0; i < R * V; i++)                                                                              \
        for (int j = 0; j < NB; j++) acc[i][j] = LOAD(y + j * ldy + i * LANES);                                  \
    for (int64_t c = 0; c < cols; c++) {                                                                         \
        VEC wv[ONE_R * V];                                                                                       \
        for (int i = 0; i < R * V; i++) wv[i] = WIDEN_HALVES(w + ((i / V) * cols + c) * PANEL_ROWS + (i % V) * LANES); \
        for (int j = 0; j < NB; j++) {                                                                           \
            VEC xv = BROADCAST(x + j * ldx + c);                                                                 \
            for (int i = 0; i < R * V; i++) acc[i][j] = FMADD(wv[i], xv, acc[i][j]);                             \
        }                                                                                                        \
    }                                                                                                            \
    for (int i = 0; i < R * V; i++)                                                                              \
        for (int j = 0; j < NB; j++) STORE(y + j * ldy + i * LANES, acc[i][j]);                                  \
}                                                                                                                \
                                                                                                                 \
/* R_FOR(n): panels per pass for n streams, enough independent accumulators (R·V·n ≥ 8) to hide   */          \
/* the FMA latency, at most ONE_R. */                                                                            \
/* NAME_streams runs R_FOR(count) panels (grouped) or one panel for `count` ≤ MAX_NB streams: R and */          \
/* NB are constants in every case. */                                                                            \
__attribute__((target(TARGET), always_inline))                                                                  \
static inline void NAME##_streams(const uint16_t *w, int grouped, int64_t cols, const float *x, int64_t ldx,     \
                                  int64_t count, float *y, int64_t ldy) {                                       \
    enum { V = PANEL_ROWS / LANES };                                                                             \
    _Static_assert(MAX_NB <= 8, "eight cases");                                                                  \
    switch (count) {                                                                                             \
    case 1: NAME##_tile(w, grouped ? R_FOR(1, V, ONE_R) : 1, cols, x, ldx, 1, y, ldy); break;                    \
    case 2: NAME##_tile(w, grouped ? R_FOR(2, V, ONE_R) : 1, cols, x, ldx, NB_AT_MOST(2, MAX_NB), y, ldy); break; \
    case 3: NAME##_tile(w, grouped ? R_FOR(3, V, ONE_R) : 1, cols, x, ldx, NB_AT_MOST(3, MAX_NB), y, ldy); break; \
    case 4: NAME##_tile(w, grouped ? R_FOR(4, V, ONE_R) : 1, cols, x, ldx, NB_AT_MOST(4, MAX_NB), y, ldy); break; \
    case 5: NAME##_tile(w, grouped ? R_FOR(5, V, ONE_R) : 1, cols, x, ldx, NB_AT_MOST(5, MAX_NB), y, ldy); break; \
    case 6: NAME##_tile(w, grouped ? R_FOR(6, V, ONE_R) : 1, cols, x, ldx, NB_AT_MOST(6, MAX_NB), y, ldy); break; \
    case 7: NAME##_tile(w, grouped ? R_FOR(7, V, ONE_R) : 1, cols, x, ldx, NB_AT_MOST(7, MAX_NB), y, ldy); break; \
    default: NAME##_tile(w, 1, cols, x, ldx, NB_AT_MOST(8, MAX_NB), y, ldy); break;                              \
    }                                                                                                            \
}                                                                                                                \
                                                                                                                 \
__attribute__((target(TARGET)))                                                                                  \
void NAME(const uint16_t *panels, int64_t rows, int64_t cols, const float *X, int64_t ldx, int64_t batch,       \
          float *Y, int64_t ldy) {                                                                               \
    enum { V = PANEL_ROWS / LANES };                                                                             \
    int64_t whole = rows / PANEL_ROWS, p = 0, panel_size = cols * PANEL_ROWS;                                    \
    /* Fewer streams than a tile holds: several panels per pass. */                                              \
    if (batch < MAX_NB) {                                                                                        \
        int64_t R = R_FOR(batch, V, ONE_R);                                                                      \
        for (; p + R <= whole; p += R)                                                                           \
            NAME##_streams(panels + p * panel_size, 1, cols, X, ldx, batch, Y + p * PANEL_ROWS, ldy);            \
    }                                                                                                            \
    for (; p < whole; p++)                                                                                       \
        for (int64_t b = 0; b < batch; b += MAX_NB) {                                                            \
            int64_t count = batch - b < MAX_NB ? batch - b : MAX_NB;                                             \
            NAME##_streams(panels + p * panel_size, 0, cols, X + b * ldx, ldx, count, Y + b * ldy + p * PANEL_ROWS, ldy); \
        }                                                                                                        \
    int64_t left = rows - whole * PANEL_ROWS;                                                                    \
    if (left == 0) return;                                                                                       \
    float part[MAX_NB][PANEL_ROWS];                                                                              \
    for (int64_t b = 0; b < batch; b += MAX_NB) {                                                                \
        int64_t count = batch - b < MAX_NB ? batch - b : MAX_NB;                                                 \
        for (int64_t j = 0; j < count; j++)                                                                      \
            for (int64_t l = 0; l < PANEL_ROWS; l++) part[j][l] = l < left ? Y[(b + j) * ldy + whole * PANEL_ROWS + l] : 0; \
        NAME##_streams(panels + whole * panel_size, 0, cols, X + b * ldx, ldx, count, &part[0][0], PANEL_ROWS);  \
        for (int64_t j = 0; j < count; j++)                                                                      \
            for (int64_t l = 0; l < left; l++) Y[(b + j) * ldy + whole * PANEL_ROWS + l] = part[j][l];           \
    }                                                                                                            \
}

#define F16C_WIDEN(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
#define F16C_BROADCAST(p) _mm256_broadcast_ss(p)
// 8 lanes, a panel is two YMM: one panel × 5 streams is 10 accumulators, 2 weight vectors and a
// broadcast (13 of 16 YMM); one stream runs four panels at once, 8 accumulators and 8 weight vectors.
DEFINE_HALF_GEMM(ckernels_gemm_f16_f16c, "avx2,fma,f16c", __m256, 8, _mm256_loadu_ps, _mm256_storeu_ps, F16C_WIDEN,
                 F16C_BROADCAST, _mm256_fmadd_ps, 5, 4)

#define AVX512_WIDEN(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p)))
#define AVX512_BROADCAST(p) _mm512_set1_ps(*(p))
// 16 lanes, a panel is one ZMM: one panel × 8 streams is 8 accumulators.
static void gemm_f16_avx512_wide(const uint16_t *panels, int64_t rows, int64_t cols, const float *X, int64_t ldx,
                                 int64_t batch, float *Y, int64_t ldy);
DEFINE_HALF_GEMM(gemm_f16_avx512_wide, "avx512f,fma", __m512, 16, _mm512_loadu_ps, _mm512_storeu_ps, AVX512_WIDEN,
                 AVX512_BROADCAST, _mm512_fmadd_ps, 8, 8)

// Fewer than 8 streams take the 8-lane kernel (the same arithmetic): on Zen 4 widening 16 halves
// to a ZMM costs more than two YMM widenings, and with few streams per widened vector that is the
// limit. Zen 4, best of 20 timings of 10: 2048 × 512, one stream, 26 µs (8 lanes) against 36;
// 2 streams 42 against 49; 4 streams 83 against 95; 8 streams 169 against 144; 32 streams 660
// against 603.
__attribute__((target("avx512f,fma")))
void ckernels_gemm_f16_avx512(const uint16_t *panels, int64_t rows, int64_t cols, const float *X, int64_t ldx,
                              int64_t batch, float *Y, int64_t ldy) {
    if (batch < 8) ckernels_gemm_f16_f16c(panels, rows, cols, X, ldx, batch, Y, ldy);
    else gemm_f16_avx512_wide(panels, rows, cols, X, ldx, batch, Y, ldy);
}
#else
void ckernels_gemm_f16_f16c(const uint16_t *panels, int64_t rows, int64_t cols, const float *X, int64_t ldx,
                            int64_t batch, float *Y, int64_t ldy) {
    ckernels_gemm_f16_portable(panels, rows, cols, X, ldx, batch, Y, ldy);
}

void ckernels_gemm_f16_avx512(const uint16_t *panels, int64_t rows, int64_t cols, const float *X, int64_t ldx,
                              int64_t batch, float *Y, int64_t ldy) {
    ckernels_gemm_f16_portable(panels, rows, cols, X, ldx, batch, Y, ldy);
}
#endif
