#include "CKernels.h"

// The recurrent product of a window multiplies the same weight_hh at every step by a few rows of
// state. A general sgemm repacks weight_hh at every call; here it is packed once per window into
// panels (see the header), and a register tile of rows × panel width accumulates over the depth with
// the weights streaming from the panel and the state rows broadcast one value at a time.

void ckernels_pack_panels(const float *source, int64_t row_stride, int64_t column_stride, int64_t groups,
                          int64_t group_rows, int64_t depth, float *panels) {
    int64_t width = 8 * groups;
    for (int64_t p = 0; p < group_rows / 8; p++) {
        float *panel = panels + p * depth * width;
        for (int64_t g = 0; g < groups; g++) {
            for (int64_t lane = 0; lane < 8; lane++) {
                const float *row = source + (g * group_rows + 8 * p + lane) * row_stride;
                float *to = panel + g * 8 + lane;
                for (int64_t k = 0; k < depth; k++) to[k * width] = row[k * column_stride];
            }
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

enum { max_groups = 4, max_rows = 12 };

// Rows of the tile per panel width: accumulators (rows × groups) stay at 12 of the 16 ymm registers,
// leaving room for the panel's loads and the broadcast.
#define TILE_ROWS(groups) ((groups) == 1 ? 12 : (groups) == 2 ? 6 : (groups) == 3 ? 4 : 3)

// acc[r][g] = Σ_k rows[r][k] · panel[k][g]. `rows` and `groups` are constants at every call site
// (the function is always inlined), so the compiler unrolls both loops and keeps acc in registers.
__attribute__((target("avx2,fma"), always_inline))
static inline void tile_avx2(const int groups, const int rows, const float *const *a, int64_t depth,
                             const float *panel, __m256 acc[max_rows][max_groups]) {
    for (int r = 0; r < rows; r++)
        for (int g = 0; g < groups; g++) acc[r][g] = _mm256_setzero_ps();
    const int width = 8 * groups;
    // 12 accumulators leave 4 registers: hold the panel's `groups` vectors and broadcast one row at a
    // time when groups ≤ 3, else hold the `rows` broadcasts and load one panel vector at a time.
    if (groups <= 3) {
        for (int64_t k = 0; k < depth; k++) {
            __m256 w[max_groups];
            for (int g = 0; g < groups; g++) w[g] = _mm256_loadu_ps(panel + k * width + 8 * g);
            for (int r = 0; r < rows; r++) {
                __m256 x = _mm256_broadcast_ss(a[r] + k);
                for (int g = 0; g < groups; g++) acc[r][g] = _mm256_fmadd_ps(x, w[g], acc[r][g]);
            }
        }
    } else {
        for (int64_t k = 0; k < depth; k++) {
            __m256 x[max_rows];
            for (int r = 0; r < rows; r++) x[r] = _mm256_broadcast_ss(a[r] + k);
            for (int g = 0; g < groups; g++) {
                __m256 w = _mm256_loadu_ps(panel + k * width + 8 * g);
                for (int r = 0; r < rows; r++) acc[r][g] = _mm256_fmadd_ps(x[r], w, acc[r][g]);
            }
        }
    }
}

// The tile's row pointers: rows past m repeat the last row (computed, never stored), so every tile
// has the full, constant height.
__attribute__((always_inline))
static inline int tile_rows(const float **rows, int height, const float *a, int64_t lda, int64_t first, int64_t m) {
    for (int r = 0; r < height; r++) {
        int64_t row = first + r < m ? first + r : m - 1;
        rows[r] = a + row * lda;
    }
    return first + height <= m ? height : (int)(m - first);
}

__attribute__((target("avx2,fma"), always_inline))
static inline void product_avx2(const int groups, const float *a, int64_t m, int64_t depth, int64_t lda,
                                const float *panels, int64_t group_rows, float *c, int64_t ldc, int accumulate) {
    const int height = TILE_ROWS(groups);
    for (int64_t p = 0; p < group_rows / 8; p++) {
        const float *panel = panels + p * depth * 8 * groups;
        for (int64_t first = 0; first < m; first += height) {
            const float *rows[max_rows];
            int valid = tile_rows(rows, height, a, lda, first, m);
            __m256 acc[max_rows][max_groups];
            tile_avx2(groups, height, rows, depth, panel, acc);
            for (int r = 0; r < valid; r++) {
                for (int g = 0; g < groups; g++) {
                    float *to = c + (first + r) * ldc + g * group_rows + 8 * p;
                    __m256 sum = accumulate ? _mm256_add_ps(acc[r][g], _mm256_loadu_ps(to)) : acc[r][g];
                    _mm256_storeu_ps(to, sum);
                }
            }
        }
    }
}

__attribute__((target("avx2,fma")))
void ckernels_packed_product_avx2(const float *a, int64_t m, int64_t depth, int64_t lda, const float *panels,
                                  int64_t groups, int64_t group_rows, float *c, int64_t ldc, int accumulate) {
    switch (groups) {
    case 1: product_avx2(1, a, m, depth, lda, panels, group_rows, c, ldc, accumulate); break;
    case 2: product_avx2(2, a, m, depth, lda, panels, group_rows, c, ldc, accumulate); break;
    case 3: product_avx2(3, a, m, depth, lda, panels, group_rows, c, ldc, accumulate); break;
    default: product_avx2(4, a, m, depth, lda, panels, group_rows, c, ldc, accumulate); break;
    }
}

// e^x as charnn's scalar FastMath.exp computes it, eight lanes at a time: x clamped to [−87.3, 88],
// n = round(x / ln 2) by the 1.5·2²³ trick, r = x − n·ln 2 (ln 2 in two parts), e^r by its degree-6
// Taylor polynomial, 2^n built in the exponent bits.
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 exp_avx2(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.0f));
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504f), magic);
    __m256 n = _mm256_sub_ps(shifted, magic);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.69314575f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.4286068e-6f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i exponent = _mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(magic)),
                                        _mm256_set1_epi32(127));
    return _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(exponent, 23)));
}

/// σ(x) = 1 / (1 + e^−x).
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 sigmoid_avx2(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f);
    return _mm256_div_ps(one, _mm256_add_ps(one, exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

/// tanh x = sign(x) · (1 − e^−2|x|) / (1 + e^−2|x|), and x − x³/3 + 2x⁵/15 below |x| = 1/16.
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 tanh_avx2(__m256 x) {
    const __m256 one = _mm256_set1_ps(1.0f), sign_bit = _mm256_set1_ps(-0.0f);
    __m256 a = _mm256_andnot_ps(sign_bit, x);
    __m256 e = exp_avx2(_mm256_mul_ps(_mm256_set1_ps(-2.0f), a));
    __m256 large = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
    large = _mm256_or_ps(large, _mm256_and_ps(x, sign_bit));
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 series = _mm256_fmadd_ps(x2, _mm256_set1_ps(2.0f / 15), _mm256_set1_ps(-1.0f / 3));
    __m256 small = _mm256_mul_ps(x, _mm256_fmadd_ps(x2, series, one));
    return _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.0625f), _CMP_LT_OQ));
}

__attribute__((target("avx2,fma")))
void ckernels_lstm_step_avx2(float *gates, int64_t m, int64_t hidden, const float *h_prev, const float *panels,
                             const float *c_prev, float *c_next, float *h_next) {
    enum { height = TILE_ROWS(4) };
    const int64_t G = 4 * hidden;
    for (int64_t p = 0; p < hidden / 8; p++) {
        const float *panel = panels + p * hidden * 32;
        for (int64_t first = 0; first < m; first += height) {
            const float *rows[max_rows];
            int valid = tile_rows(rows, height, h_prev, hidden, first, m);
            __m256 acc[max_rows][max_groups];
            tile_avx2(4, height, rows, hidden, panel, acc);
            for (int r = 0; r < valid; r++) {
                int64_t row = first + r, j = 8 * p;
                float *z = gates + row * G + j;
                __m256 i = sigmoid_avx2(_mm256_add_ps(acc[r][0], _mm256_loadu_ps(z)));
                __m256 f = sigmoid_avx2(_mm256_add_ps(acc[r][1], _mm256_loadu_ps(z + hidden)));
                __m256 g = tanh_avx2(_mm256_add_ps(acc[r][2], _mm256_loadu_ps(z + 2 * hidden)));
                __m256 o = sigmoid_avx2(_mm256_add_ps(acc[r][3], _mm256_loadu_ps(z + 3 * hidden)));
                _mm256_storeu_ps(z, i);
                _mm256_storeu_ps(z + hidden, f);
                _mm256_storeu_ps(z + 2 * hidden, g);
                _mm256_storeu_ps(z + 3 * hidden, o);
                // c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t)
                __m256 cell = _mm256_fmadd_ps(f, _mm256_loadu_ps(c_prev + row * hidden + j), _mm256_mul_ps(i, g));
                _mm256_storeu_ps(c_next + row * hidden + j, cell);
                _mm256_storeu_ps(h_next + row * hidden + j, _mm256_mul_ps(o, tanh_avx2(cell)));
            }
        }
    }
}
__attribute__((target("avx2,fma")))
void ckernels_lstm_backward_step_avx2(float *gates, int64_t m, int64_t hidden, const float *c_prev, const float *c_next,
                                      const float *d_out, const float *dh_carry, float *dc_carry) {
    const __m256 one = _mm256_set1_ps(1.0f);
    for (int64_t row = 0; row < m; row++) {
        float *z = gates + row * 4 * hidden;
        for (int64_t j = 0; j < hidden; j += 8) {
            int64_t at = row * hidden + j;
            __m256 i = _mm256_loadu_ps(z + j), f = _mm256_loadu_ps(z + hidden + j);
            __m256 g = _mm256_loadu_ps(z + 2 * hidden + j), o = _mm256_loadu_ps(z + 3 * hidden + j);
            __m256 squashed = tanh_avx2(_mm256_loadu_ps(c_next + at));
            __m256 dh = _mm256_add_ps(_mm256_loadu_ps(d_out + at), _mm256_loadu_ps(dh_carry + at));
            // dc = dc_{t+1}·f_{t+1} + dh ⊙ o ⊙ (1 − tanh² c_t)
            __m256 dc = _mm256_fmadd_ps(_mm256_mul_ps(dh, o), _mm256_fnmadd_ps(squashed, squashed, one),
                                        _mm256_loadu_ps(dc_carry + at));
            __m256 di = _mm256_mul_ps(_mm256_mul_ps(dc, g), _mm256_mul_ps(i, _mm256_sub_ps(one, i)));
            __m256 df = _mm256_mul_ps(_mm256_mul_ps(dc, _mm256_loadu_ps(c_prev + at)),
                                      _mm256_mul_ps(f, _mm256_sub_ps(one, f)));
            __m256 dg = _mm256_mul_ps(_mm256_mul_ps(dc, i), _mm256_fnmadd_ps(g, g, one));
            __m256 dO = _mm256_mul_ps(_mm256_mul_ps(dh, squashed), _mm256_mul_ps(o, _mm256_sub_ps(one, o)));
            _mm256_storeu_ps(z + j, di);
            _mm256_storeu_ps(z + hidden + j, df);
            _mm256_storeu_ps(z + 2 * hidden + j, dg);
            _mm256_storeu_ps(z + 3 * hidden + j, dO);
            _mm256_storeu_ps(dc_carry + at, _mm256_mul_ps(dc, f));
        }
    }
}
#else
void ckernels_lstm_backward_step_avx2(float *gates, int64_t m, int64_t hidden, const float *c_prev, const float *c_next,
                                      const float *d_out, const float *dh_carry, float *dc_carry) {
    (void)gates; (void)m; (void)hidden; (void)c_prev; (void)c_next; (void)d_out; (void)dh_carry; (void)dc_carry;
    __builtin_trap();  // never called: the caller checks for AVX2 first
}

void ckernels_packed_product_avx2(const float *a, int64_t m, int64_t depth, int64_t lda, const float *panels,
                                  int64_t groups, int64_t group_rows, float *c, int64_t ldc, int accumulate) {
    (void)a; (void)m; (void)depth; (void)lda; (void)panels; (void)groups; (void)group_rows; (void)c; (void)ldc;
    (void)accumulate;
    __builtin_trap();  // never called: the caller checks for AVX2 first
}

void ckernels_lstm_step_avx2(float *gates, int64_t m, int64_t hidden, const float *h_prev, const float *panels,
                             const float *c_prev, float *c_next, float *h_next) {
    (void)gates; (void)m; (void)hidden; (void)h_prev; (void)panels; (void)c_prev; (void)c_next; (void)h_next;
    __builtin_trap();  // never called: the caller checks for AVX2 first
}
#endif
