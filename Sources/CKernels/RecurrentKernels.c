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

// Rows of the tile per panel width: at most 12 accumulators (rows × groups) of the 16 ymm registers,
// leaving room for the panel's loads and the broadcast. Three groups take 3 rows, not 4: 4 × 3 needs
// all 16 registers, the compiler then spills an accumulator, and the tile ran at half the rate.
#define TILE_ROWS(groups) ((groups) == 1 ? 12 : (groups) == 2 ? 6 : 3)

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

// What a tile's sums become: a plain product's output, or one recurrent step finished in registers.
enum epilogue { store_sums, lstm_cell, gru_reset_after_cell, gru_gates, gru_candidate };

// The step's other operands; each epilogue reads the fields it needs.
struct step_operands {
    float *c; int64_t ldc; int accumulate;   // store_sums
    float *gates; int64_t hidden;            // the cells: (m, gates·hidden) pre-activations in, activations out
    const float *h_prev, *c_prev, *bias;     // bias: b_hh (GRU reset-after)
    float *h_next, *c_next, *recurrent;      // recurrent: W_hn h + b_hn (reset-after) or r ⊙ h (gates)
};

__attribute__((target("avx2,fma"), always_inline))
static inline void finish_row(const int groups, const int epilogue, int64_t row, int64_t j, int64_t group_rows,
                              __m256 acc[max_groups], const struct step_operands *s) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const int64_t H = s->hidden, at = row * H + j;
    switch (epilogue) {
    case store_sums:
        for (int g = 0; g < groups; g++) {
            float *to = s->c + row * s->ldc + g * group_rows + j;
            _mm256_storeu_ps(to, s->accumulate ? _mm256_add_ps(acc[g], _mm256_loadu_ps(to)) : acc[g]);
        }
        break;
    case lstm_cell: {  // c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t)
        float *z = s->gates + row * 4 * H + j;
        __m256 i = sigmoid_avx2(_mm256_add_ps(acc[0], _mm256_loadu_ps(z)));
        __m256 f = sigmoid_avx2(_mm256_add_ps(acc[1], _mm256_loadu_ps(z + H)));
        __m256 g = tanh_avx2(_mm256_add_ps(acc[2], _mm256_loadu_ps(z + 2 * H)));
        __m256 o = sigmoid_avx2(_mm256_add_ps(acc[3], _mm256_loadu_ps(z + 3 * H)));
        _mm256_storeu_ps(z, i);
        _mm256_storeu_ps(z + H, f);
        _mm256_storeu_ps(z + 2 * H, g);
        _mm256_storeu_ps(z + 3 * H, o);
        __m256 cell = _mm256_fmadd_ps(f, _mm256_loadu_ps(s->c_prev + at), _mm256_mul_ps(i, g));
        _mm256_storeu_ps(s->c_next + at, cell);
        _mm256_storeu_ps(s->h_next + at, _mm256_mul_ps(o, tanh_avx2(cell)));
        break;
    }
    case gru_reset_after_cell: {  // r, z = σ(…); n = tanh(x_n + r ⊙ (W_hn h + b_hn)); h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
        float *z = s->gates + row * 3 * H + j;
        __m256 hn = _mm256_add_ps(acc[2], _mm256_loadu_ps(s->bias + 2 * H + j));
        __m256 r = sigmoid_avx2(_mm256_add_ps(_mm256_add_ps(acc[0], _mm256_loadu_ps(s->bias + j)), _mm256_loadu_ps(z)));
        __m256 u = sigmoid_avx2(_mm256_add_ps(_mm256_add_ps(acc[1], _mm256_loadu_ps(s->bias + H + j)),
                                              _mm256_loadu_ps(z + H)));
        __m256 n = tanh_avx2(_mm256_fmadd_ps(r, hn, _mm256_loadu_ps(z + 2 * H)));
        _mm256_storeu_ps(z, r);
        _mm256_storeu_ps(z + H, u);
        _mm256_storeu_ps(z + 2 * H, n);
        _mm256_storeu_ps(s->recurrent + at, hn);
        __m256 h = _mm256_fmadd_ps(u, _mm256_loadu_ps(s->h_prev + at), _mm256_mul_ps(_mm256_sub_ps(one, u), n));
        _mm256_storeu_ps(s->h_next + at, h);
        break;
    }
    case gru_gates: {  // reset-before, first half: r, z = σ(…), and r ⊙ h_{t−1} for the candidate's product
        float *z = s->gates + row * 3 * H + j;
        __m256 r = sigmoid_avx2(_mm256_add_ps(acc[0], _mm256_loadu_ps(z)));
        __m256 u = sigmoid_avx2(_mm256_add_ps(acc[1], _mm256_loadu_ps(z + H)));
        _mm256_storeu_ps(z, r);
        _mm256_storeu_ps(z + H, u);
        _mm256_storeu_ps(s->recurrent + at, _mm256_mul_ps(r, _mm256_loadu_ps(s->h_prev + at)));
        break;
    }
    case gru_candidate: {  // reset-before, second half: n = tanh(x_n + W_hn (r ⊙ h)); h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
        float *z = s->gates + row * 3 * H + j;
        __m256 n = tanh_avx2(_mm256_add_ps(acc[0], _mm256_loadu_ps(z + 2 * H)));
        __m256 u = _mm256_loadu_ps(z + H);
        _mm256_storeu_ps(z + 2 * H, n);
        __m256 h = _mm256_fmadd_ps(u, _mm256_loadu_ps(s->h_prev + at), _mm256_mul_ps(_mm256_sub_ps(one, u), n));
        _mm256_storeu_ps(s->h_next + at, h);
        break;
    }
    }
}

// One tile: `rows` rows from `first` against one panel, then the epilogue row by row.
__attribute__((target("avx2,fma"), always_inline))
static inline void tile_and_finish(const int groups, const int epilogue, const int rows, const float *a, int64_t first,
                                   int64_t depth, int64_t lda, const float *panel, int64_t j, int64_t group_rows,
                                   const struct step_operands *s) {
    const float *row_pointers[max_rows];
    for (int r = 0; r < rows; r++) row_pointers[r] = a + (first + r) * lda;
    __m256 acc[max_rows][max_groups];
    tile_avx2(groups, rows, row_pointers, depth, panel, acc);
    for (int r = 0; r < rows; r++) finish_row(groups, epilogue, first + r, j, group_rows, acc[r], s);
}

// Every panel, every tile of rows: the sums of a · Wᵀ for the panel's columns, then the epilogue.
// Rows left over after the full tiles take a shorter tile of their own (a tile padded to full height
// wasted up to a fifth of the work at the batch shapes charnn trains).
__attribute__((target("avx2,fma"), always_inline))
static inline void tiles_avx2(const int groups, const int epilogue, const float *a, int64_t m, int64_t depth,
                              int64_t lda, const float *panels, int64_t group_rows, const struct step_operands *s) {
    const int height = TILE_ROWS(groups);
    for (int64_t p = 0; p < group_rows / 8; p++) {
        const float *panel = panels + p * depth * 8 * groups;
        int64_t first = 0;
        for (; first + height <= m; first += height)
            tile_and_finish(groups, epilogue, height, a, first, depth, lda, panel, 8 * p, group_rows, s);
        switch (m - first) {
#define REMAINDER(rows) \
        case rows: \
            if (rows < height) tile_and_finish(groups, epilogue, rows, a, first, depth, lda, panel, 8 * p, group_rows, s); \
            break;
        REMAINDER(1) REMAINDER(2) REMAINDER(3) REMAINDER(4) REMAINDER(5) REMAINDER(6)
        REMAINDER(7) REMAINDER(8) REMAINDER(9) REMAINDER(10) REMAINDER(11)
#undef REMAINDER
        default: break;
        }
    }
}

__attribute__((target("avx2,fma")))
void ckernels_packed_product_avx2(const float *a, int64_t m, int64_t depth, int64_t lda, const float *panels,
                                  int64_t groups, int64_t group_rows, float *c, int64_t ldc, int accumulate) {
    struct step_operands s = {.c = c, .ldc = ldc, .accumulate = accumulate};
    switch (groups) {
    case 1: tiles_avx2(1, store_sums, a, m, depth, lda, panels, group_rows, &s); break;
    case 2: tiles_avx2(2, store_sums, a, m, depth, lda, panels, group_rows, &s); break;
    case 3: tiles_avx2(3, store_sums, a, m, depth, lda, panels, group_rows, &s); break;
    default: tiles_avx2(4, store_sums, a, m, depth, lda, panels, group_rows, &s); break;
    }
}

__attribute__((target("avx2,fma")))
void ckernels_lstm_step_avx2(float *gates, int64_t m, int64_t hidden, const float *h_prev, const float *panels,
                             const float *c_prev, float *c_next, float *h_next) {
    struct step_operands s = {.gates = gates, .hidden = hidden, .c_prev = c_prev, .c_next = c_next, .h_next = h_next};
    tiles_avx2(4, lstm_cell, h_prev, m, hidden, hidden, panels, hidden, &s);
}

__attribute__((target("avx2,fma")))
void ckernels_gru_reset_after_step_avx2(float *gates, int64_t m, int64_t hidden, const float *h_prev,
                                        const float *panels, const float *bias_hh, float *recurrent_n, float *h_next) {
    struct step_operands s = {.gates = gates, .hidden = hidden, .h_prev = h_prev, .bias = bias_hh,
                              .recurrent = recurrent_n, .h_next = h_next};
    tiles_avx2(3, gru_reset_after_cell, h_prev, m, hidden, hidden, panels, hidden, &s);
}

__attribute__((target("avx2,fma")))
void ckernels_gru_reset_before_step_avx2(float *gates, int64_t m, int64_t hidden, const float *h_prev,
                                         const float *gate_panels, const float *candidate_panels, float *reset_h,
                                         float *h_next) {
    struct step_operands s = {.gates = gates, .hidden = hidden, .h_prev = h_prev, .recurrent = reset_h,
                              .h_next = h_next};
    tiles_avx2(2, gru_gates, h_prev, m, hidden, hidden, gate_panels, hidden, &s);
    tiles_avx2(1, gru_candidate, reset_h, m, hidden, hidden, candidate_panels, hidden, &s);
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

__attribute__((target("avx2,fma")))
void ckernels_gru_backward_step_avx2(int reset_after, float *gates, float *d_recurrent, int64_t m, int64_t hidden,
                                     const float *h_prev, const float *recurrent_n, const float *d_out,
                                     float *dh_carry) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const int64_t H = hidden;
    for (int64_t row = 0; row < m; row++) {
        float *z = gates + row * 3 * H;
        for (int64_t j = 0; j < H; j += 8) {
            int64_t at = row * H + j;
            __m256 u = _mm256_loadu_ps(z + H + j), n = _mm256_loadu_ps(z + 2 * H + j);
            __m256 dh = _mm256_add_ps(_mm256_loadu_ps(d_out + at), _mm256_loadu_ps(dh_carry + at));
            // dn = dh ⊙ (1−z) · (1−n²), dz = dh ⊙ (h_{t−1} − n) · z(1−z)
            __m256 dn = _mm256_mul_ps(_mm256_mul_ps(dh, _mm256_sub_ps(one, u)), _mm256_fnmadd_ps(n, n, one));
            __m256 du = _mm256_mul_ps(_mm256_mul_ps(dh, _mm256_sub_ps(_mm256_loadu_ps(h_prev + at), n)),
                                      _mm256_mul_ps(u, _mm256_sub_ps(one, u)));
            _mm256_storeu_ps(z + H + j, du);
            _mm256_storeu_ps(z + 2 * H + j, dn);
            _mm256_storeu_ps(dh_carry + at, _mm256_mul_ps(dh, u));
            if (reset_after) {  // dr = dn ⊙ (W_hn h_{t−1} + b_hn) · r(1−r)
                __m256 r = _mm256_loadu_ps(z + j);
                __m256 dr = _mm256_mul_ps(_mm256_mul_ps(dn, _mm256_loadu_ps(recurrent_n + at)),
                                          _mm256_mul_ps(r, _mm256_sub_ps(one, r)));
                float *d = d_recurrent + row * 3 * H;
                _mm256_storeu_ps(z + j, dr);
                _mm256_storeu_ps(d + j, dr);
                _mm256_storeu_ps(d + H + j, du);
                _mm256_storeu_ps(d + 2 * H + j, _mm256_mul_ps(dn, r));
            }
        }
    }
}

__attribute__((target("avx2,fma")))
void ckernels_gru_reset_gradient_avx2(float *gates, int64_t m, int64_t hidden, const float *h_prev,
                                      const float *d_reset_h, float *dh_carry, int through_reset) {
    const __m256 one = _mm256_set1_ps(1.0f);
    const int64_t H = hidden;
    for (int64_t row = 0; row < m; row++) {
        float *z = gates + row * 3 * H;
        for (int64_t j = 0; j < H; j += 8) {
            int64_t at = row * H + j;
            __m256 r = _mm256_loadu_ps(z + j), d = _mm256_loadu_ps(d_reset_h + at);
            // dr = d(r⊙h) ⊙ h_{t−1} · r(1−r); dh_{t−1} += d(r⊙h) ⊙ r
            _mm256_storeu_ps(z + j, _mm256_mul_ps(_mm256_mul_ps(d, _mm256_loadu_ps(h_prev + at)),
                                                  _mm256_mul_ps(r, _mm256_sub_ps(one, r))));
            if (through_reset) _mm256_storeu_ps(dh_carry + at, _mm256_fmadd_ps(d, r, _mm256_loadu_ps(dh_carry + at)));
        }
    }
}

#else
// Never called off x86: the callers check for AVX2 first.
void ckernels_packed_product_avx2(const float *a, int64_t m, int64_t depth, int64_t lda, const float *panels,
                                  int64_t groups, int64_t group_rows, float *c, int64_t ldc, int accumulate) {
    (void)a; (void)m; (void)depth; (void)lda; (void)panels; (void)groups; (void)group_rows; (void)c; (void)ldc;
    (void)accumulate;
    __builtin_trap();
}

void ckernels_lstm_step_avx2(float *gates, int64_t m, int64_t hidden, const float *h_prev, const float *panels,
                             const float *c_prev, float *c_next, float *h_next) {
    (void)gates; (void)m; (void)hidden; (void)h_prev; (void)panels; (void)c_prev; (void)c_next; (void)h_next;
    __builtin_trap();
}

void ckernels_lstm_backward_step_avx2(float *gates, int64_t m, int64_t hidden, const float *c_prev, const float *c_next,
                                      const float *d_out, const float *dh_carry, float *dc_carry) {
    (void)gates; (void)m; (void)hidden; (void)c_prev; (void)c_next; (void)d_out; (void)dh_carry; (void)dc_carry;
    __builtin_trap();
}

void ckernels_gru_reset_after_step_avx2(float *gates, int64_t m, int64_t hidden, const float *h_prev,
                                        const float *panels, const float *bias_hh, float *recurrent_n, float *h_next) {
    (void)gates; (void)m; (void)hidden; (void)h_prev; (void)panels; (void)bias_hh; (void)recurrent_n; (void)h_next;
    __builtin_trap();
}

void ckernels_gru_reset_before_step_avx2(float *gates, int64_t m, int64_t hidden, const float *h_prev,
                                         const float *gate_panels, const float *candidate_panels, float *reset_h,
                                         float *h_next) {
    (void)gates; (void)m; (void)hidden; (void)h_prev; (void)gate_panels; (void)candidate_panels; (void)reset_h;
    (void)h_next;
    __builtin_trap();
}

void ckernels_gru_backward_step_avx2(int reset_after, float *gates, float *d_recurrent, int64_t m, int64_t hidden,
                                     const float *h_prev, const float *recurrent_n, const float *d_out,
                                     float *dh_carry) {
    (void)reset_after; (void)gates; (void)d_recurrent; (void)m; (void)hidden; (void)h_prev; (void)recurrent_n;
    (void)d_out; (void)dh_carry;
    __builtin_trap();
}

void ckernels_gru_reset_gradient_avx2(float *gates, int64_t m, int64_t hidden, const float *h_prev,
                                      const float *d_reset_h, float *dh_carry, int through_reset) {
    (void)gates; (void)m; (void)hidden; (void)h_prev; (void)d_reset_h; (void)dh_carry; (void)through_reset;
    __builtin_trap();
}
#endif
