// The recurrent kernels, written once for any vector width. A file per instruction set
// (RecurrentKernelsAVX2.c, RecurrentKernelsAVX512.c) defines the vector layer below and includes this
// file once; it defines the kernels as static functions and exports only that path's table, so the two
// builds differ in nothing but the width and the intrinsics.
//
// The vector layer each file defines before including this one:
//   vec, vint            a vector of LANES floats, and of LANES 32-bit integers
//   LANES                floats per vector register
//   REGISTERS            vector registers the compiler can allocate (16 ymm, 32 zmm)
//   MAX_ROWS, TILE_ROWS  the register tile's height, at most and per number of groups (see `tile`)
//   ROW_BLOCK            rows per block of a long product, a multiple of every TILE_ROWS (see `tiles`)
//   KERNEL, KERNEL_INLINE the target attribute (and, for the second, always_inline static inline)
//   TABLE                the name of the exported ckernels_recurrent_table
//   v_zero() v_set1(x) v_load(p) v_store(p, v) v_broadcast(p): *p in every lane
//   v_add v_sub v_mul v_div v_sqrt v_min v_max v_and v_or, v_andnot(a, b) = ~a & b
//   v_fmadd(a, b, c) = a·b + c, v_fnmadd(a, b, c) = c − a·b
//   v_select_less(a, b, x, y) = a < b ? x : y, lane by lane
//   vi_bits(v), vi_float(i): reinterpret; vi_add vi_sub vi_set1; vi_shift23(i) = i << 23
//
// The recurrent product of a window multiplies the same weight_hh at every step by a few rows of
// state. A general sgemm repacks weight_hh at every call; here it is packed once per window into
// panels (ckernels_pack_panels), and a register tile of rows × panel width accumulates over the depth
// with the weights streaming from the panel and the state rows broadcast one value at a time.

#include <math.h>

enum { max_groups = 4 };

_Static_assert(MAX_ROWS <= 24, "the remainder switch in `tiles` covers at most 23 rows");

// The register budget of a tile: rows × groups accumulators, plus either the panel's `groups` vectors
// and one broadcast (the panel held), or the rows' broadcasts and one panel vector (the broadcasts
// held). When they do not fit in REGISTERS the compiler spills an accumulator and the tile runs at
// about half the rate. The panel is held when the full tile leaves room for it.
#define HOLDS_PANEL(groups) (TILE_ROWS(groups) * (groups) + (groups) + 1 <= REGISTERS)

// acc[r][g] = Σ_k rows[r][k] · panel[k][g]. `rows` and `groups` are constants at every call site
// (the function is always inlined), so the compiler unrolls both loops and keeps acc in registers.
KERNEL_INLINE void tile(const int groups, const int rows, const float *const *a, int64_t depth, const float *panel,
                        vec acc[MAX_ROWS][max_groups]) {
    for (int r = 0; r < rows; r++)
        for (int g = 0; g < groups; g++) acc[r][g] = v_zero();
    const int width = LANES * groups;
    if (HOLDS_PANEL(groups)) {
        for (int64_t k = 0; k < depth; k++) {
            vec w[max_groups];
            for (int g = 0; g < groups; g++) w[g] = v_load(panel + k * width + LANES * g);
            for (int r = 0; r < rows; r++) {
                vec x = v_broadcast(a[r] + k);
                for (int g = 0; g < groups; g++) acc[r][g] = v_fmadd(x, w[g], acc[r][g]);
            }
        }
    } else {
        for (int64_t k = 0; k < depth; k++) {
            vec x[MAX_ROWS];
            for (int r = 0; r < rows; r++) x[r] = v_broadcast(a[r] + k);
            for (int g = 0; g < groups; g++) {
                vec w = v_load(panel + k * width + LANES * g);
                for (int r = 0; r < rows; r++) acc[r][g] = v_fmadd(x[r], w, acc[r][g]);
            }
        }
    }
}

// e^x as charnn's scalar FastMath.exp computes it, a vector at a time: x clamped to [−87.3, 88],
// n = round(x / ln 2) by the 1.5·2²³ trick, r = x − n·ln 2 (ln 2 in two parts), e^r by its degree-6
// Taylor polynomial, 2^n built in the exponent bits.
KERNEL_INLINE vec v_exp(vec x) {
    x = v_min(v_max(x, v_set1(-87.3f)), v_set1(88.0f));
    const vec magic = v_set1(12582912.0f);
    vec shifted = v_fmadd(x, v_set1(1.44269504f), magic);
    vec n = v_sub(shifted, magic);
    vec r = v_fnmadd(n, v_set1(0.69314575f), x);
    r = v_fnmadd(n, v_set1(1.4286068e-6f), r);
    vec p = v_set1(1.0f / 720);
    p = v_fmadd(p, r, v_set1(1.0f / 120));
    p = v_fmadd(p, r, v_set1(1.0f / 24));
    p = v_fmadd(p, r, v_set1(1.0f / 6));
    p = v_fmadd(p, r, v_set1(0.5f));
    p = v_fmadd(p, r, v_set1(1.0f));
    p = v_fmadd(p, r, v_set1(1.0f));
    vint exponent = vi_add(vi_sub(vi_bits(shifted), vi_bits(magic)), vi_set1(127));
    return v_mul(p, vi_float(vi_shift23(exponent)));
}

/// σ(x) = 1 / (1 + e^−x).
KERNEL_INLINE vec v_sigmoid(vec x) {
    const vec one = v_set1(1.0f);
    return v_div(one, v_add(one, v_exp(v_sub(v_zero(), x))));
}

/// tanh x = sign(x) · (1 − e^−2|x|) / (1 + e^−2|x|), and x − x³/3 + 2x⁵/15 below |x| = 1/16.
KERNEL_INLINE vec v_tanh(vec x) {
    const vec one = v_set1(1.0f), sign_bit = v_set1(-0.0f);
    vec a = v_andnot(sign_bit, x);
    vec e = v_exp(v_mul(v_set1(-2.0f), a));
    vec large = v_div(v_sub(one, e), v_add(one, e));
    large = v_or(large, v_and(x, sign_bit));
    vec x2 = v_mul(x, x);
    vec series = v_fmadd(x2, v_set1(2.0f / 15), v_set1(-1.0f / 3));
    vec small = v_mul(x, v_fmadd(x2, series, one));
    return v_select_less(a, v_set1(0.0625f), small, large);
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

KERNEL_INLINE void finish_row(const int groups, const int epilogue, int64_t row, int64_t j, int64_t group_rows,
                              vec acc[max_groups], const struct step_operands *s) {
    const vec one = v_set1(1.0f);
    const int64_t H = s->hidden, at = row * H + j;
    switch (epilogue) {
    case store_sums:
        for (int g = 0; g < groups; g++) {
            float *to = s->c + row * s->ldc + g * group_rows + j;
            v_store(to, s->accumulate ? v_add(acc[g], v_load(to)) : acc[g]);
        }
        break;
    case lstm_cell: {  // c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t)
        float *z = s->gates + row * 4 * H + j;
        vec i = v_sigmoid(v_add(acc[0], v_load(z)));
        vec f = v_sigmoid(v_add(acc[1], v_load(z + H)));
        vec g = v_tanh(v_add(acc[2], v_load(z + 2 * H)));
        vec o = v_sigmoid(v_add(acc[3], v_load(z + 3 * H)));
        v_store(z, i);
        v_store(z + H, f);
        v_store(z + 2 * H, g);
        v_store(z + 3 * H, o);
        vec cell = v_fmadd(f, v_load(s->c_prev + at), v_mul(i, g));
        v_store(s->c_next + at, cell);
        v_store(s->h_next + at, v_mul(o, v_tanh(cell)));
        break;
    }
    case gru_reset_after_cell: {  // r, z = σ(…); n = tanh(x_n + r ⊙ (W_hn h + b_hn)); h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
        float *z = s->gates + row * 3 * H + j;
        vec hn = v_add(acc[2], v_load(s->bias + 2 * H + j));
        vec r = v_sigmoid(v_add(v_add(acc[0], v_load(s->bias + j)), v_load(z)));
        vec u = v_sigmoid(v_add(v_add(acc[1], v_load(s->bias + H + j)), v_load(z + H)));
        vec n = v_tanh(v_fmadd(r, hn, v_load(z + 2 * H)));
        v_store(z, r);
        v_store(z + H, u);
        v_store(z + 2 * H, n);
        v_store(s->recurrent + at, hn);
        vec h = v_fmadd(u, v_load(s->h_prev + at), v_mul(v_sub(one, u), n));
        v_store(s->h_next + at, h);
        break;
    }
    case gru_gates: {  // reset-before, first half: r, z = σ(…), and r ⊙ h_{t−1} for the candidate's product
        float *z = s->gates + row * 3 * H + j;
        vec r = v_sigmoid(v_add(acc[0], v_load(z)));
        vec u = v_sigmoid(v_add(acc[1], v_load(z + H)));
        v_store(z, r);
        v_store(z + H, u);
        v_store(s->recurrent + at, v_mul(r, v_load(s->h_prev + at)));
        break;
    }
    case gru_candidate: {  // reset-before, second half: n = tanh(x_n + W_hn (r ⊙ h)); h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
        float *z = s->gates + row * 3 * H + j;
        vec n = v_tanh(v_add(acc[0], v_load(z + 2 * H)));
        vec u = v_load(z + H);
        v_store(z + 2 * H, n);
        vec h = v_fmadd(u, v_load(s->h_prev + at), v_mul(v_sub(one, u), n));
        v_store(s->h_next + at, h);
        break;
    }
    }
}

// One tile: `rows` rows from `first` against one panel, then the epilogue row by row.
KERNEL_INLINE void tile_and_finish(const int groups, const int epilogue, const int rows, const float *a, int64_t first,
                                   int64_t depth, int64_t lda, const float *panel, int64_t j, int64_t group_rows,
                                   const struct step_operands *s) {
    const float *row_pointers[MAX_ROWS];
    for (int r = 0; r < rows; r++) row_pointers[r] = a + (first + r) * lda;
    vec acc[MAX_ROWS][max_groups];
    tile(groups, rows, row_pointers, depth, panel, acc);
    for (int r = 0; r < rows; r++) finish_row(groups, epilogue, first + r, j, group_rows, acc[r], s);
}

// The panels of units first_unit ..< first_unit + units (whole panels), every tile of rows: the sums
// of a · Wᵀ for the panel's columns, then the epilogue. Each output is summed in the same order
// whichever panels a call covers, so two threads taking halves of the units compute the whole's bits.
// Rows left over after the full tiles take a shorter tile of their own (a tile padded to full height
// wasted up to a fifth of the work at the batch shapes charnn trains).
//
// Rows go in blocks of ROW_BLOCK, every panel against one block before the next: a product over
// thousands of rows (a window's input projection in `charnn bench --mode kernels`) then finds a
// block's rows in L2 for each panel instead of reading every row again per panel (M's projection:
// 75 GFLOP/s against 64–66 unblocked). ROW_BLOCK is a multiple of every tile height, so the tiles,
// and each output's sum, are those of one pass; a step's rows are one block.
_Static_assert(ROW_BLOCK % TILE_ROWS(1) == 0 && ROW_BLOCK % TILE_ROWS(2) == 0 && ROW_BLOCK % TILE_ROWS(3) == 0 &&
                   ROW_BLOCK % TILE_ROWS(4) == 0,
               "a row block holds whole tiles of every height");
KERNEL_INLINE void tiles(const int groups, const int epilogue, const float *a, int64_t m, int64_t depth, int64_t lda,
                         const float *panels, int64_t group_rows, int64_t first_unit, int64_t units,
                         const struct step_operands *s) {
    const int height = TILE_ROWS(groups);
    for (int64_t block = 0; block < m; block += ROW_BLOCK) {
        const int64_t end = m - block < ROW_BLOCK ? m : block + ROW_BLOCK;
        for (int64_t p = first_unit / LANES; p < (first_unit + units) / LANES; p++) {
            const float *panel = panels + p * depth * LANES * groups;
            int64_t first = block;
            for (; first + height <= end; first += height)
                tile_and_finish(groups, epilogue, height, a, first, depth, lda, panel, LANES * p, group_rows, s);
            switch (end - first) {
#define REMAINDER(rows) \
            case rows: \
                if (rows < height) \
                    tile_and_finish(groups, epilogue, rows, a, first, depth, lda, panel, LANES * p, group_rows, s); \
                break;
            REMAINDER(1) REMAINDER(2) REMAINDER(3) REMAINDER(4) REMAINDER(5) REMAINDER(6)
            REMAINDER(7) REMAINDER(8) REMAINDER(9) REMAINDER(10) REMAINDER(11)
#if MAX_ROWS > 12
            REMAINDER(12) REMAINDER(13) REMAINDER(14) REMAINDER(15) REMAINDER(16) REMAINDER(17)
            REMAINDER(18) REMAINDER(19) REMAINDER(20) REMAINDER(21) REMAINDER(22) REMAINDER(23)
#endif
#undef REMAINDER
            default: break;
            }
        }
    }
}

KERNEL static void packed_product(const float *a, int64_t m, int64_t depth, int64_t lda, const float *panels,
                                  int64_t groups, int64_t group_rows, float *c, int64_t ldc, int accumulate,
                                  int64_t first_unit, int64_t units) {
    struct step_operands s = {.c = c, .ldc = ldc, .accumulate = accumulate};
    switch (groups) {
    case 1: tiles(1, store_sums, a, m, depth, lda, panels, group_rows, first_unit, units, &s); break;
    case 2: tiles(2, store_sums, a, m, depth, lda, panels, group_rows, first_unit, units, &s); break;
    case 3: tiles(3, store_sums, a, m, depth, lda, panels, group_rows, first_unit, units, &s); break;
    default: tiles(4, store_sums, a, m, depth, lda, panels, group_rows, first_unit, units, &s); break;
    }
}

KERNEL static void lstm_step(float *gates, int64_t m, int64_t hidden, const float *h_prev, const float *panels,
                             const float *c_prev, float *c_next, float *h_next, int64_t first_unit, int64_t units) {
    struct step_operands s = {.gates = gates, .hidden = hidden, .c_prev = c_prev, .c_next = c_next, .h_next = h_next};
    tiles(4, lstm_cell, h_prev, m, hidden, hidden, panels, hidden, first_unit, units, &s);
}

KERNEL static void gru_reset_after_step(float *gates, int64_t m, int64_t hidden, const float *h_prev,
                                        const float *panels, const float *bias_hh, float *recurrent_n, float *h_next,
                                        int64_t first_unit, int64_t units) {
    struct step_operands s = {.gates = gates, .hidden = hidden, .h_prev = h_prev, .bias = bias_hh,
                              .recurrent = recurrent_n, .h_next = h_next};
    tiles(3, gru_reset_after_cell, h_prev, m, hidden, hidden, panels, hidden, first_unit, units, &s);
}

KERNEL static void gru_reset_before_gates(float *gates, int64_t m, int64_t hidden, const float *h_prev,
                                          const float *gate_panels, float *reset_h, int64_t first_unit,
                                          int64_t units) {
    struct step_operands s = {.gates = gates, .hidden = hidden, .h_prev = h_prev, .recurrent = reset_h};
    tiles(2, gru_gates, h_prev, m, hidden, hidden, gate_panels, hidden, first_unit, units, &s);
}

KERNEL static void gru_reset_before_candidate(float *gates, int64_t m, int64_t hidden, const float *h_prev,
                                              const float *candidate_panels, const float *reset_h, float *h_next,
                                              int64_t first_unit, int64_t units) {
    struct step_operands s = {.gates = gates, .hidden = hidden, .h_prev = h_prev, .h_next = h_next};
    tiles(1, gru_candidate, reset_h, m, hidden, hidden, candidate_panels, hidden, first_unit, units, &s);
}

// c_next = f ⊙ c_prev + i ⊙ g with lstm_cell's fused multiply-add, so the result is the forward's.
KERNEL static void lstm_cells(const float *gates, int64_t m, int64_t hidden, const float *c_prev, float *c_next) {
    for (int64_t row = 0; row < m; row++) {
        const float *z = gates + row * 4 * hidden;
        for (int64_t j = 0; j < hidden; j += LANES) {
            int64_t at = row * hidden + j;
            vec i = v_load(z + j), f = v_load(z + hidden + j), g = v_load(z + 2 * hidden + j);
            v_store(c_next + at, v_fmadd(f, v_load(c_prev + at), v_mul(i, g)));
        }
    }
}

KERNEL static void lstm_backward_step(float *gates, int64_t m, int64_t hidden, const float *c_prev, const float *c_next,
                                      const float *d_out, const float *dh_carry, float *dc_carry) {
    const vec one = v_set1(1.0f);
    for (int64_t row = 0; row < m; row++) {
        float *z = gates + row * 4 * hidden;
        for (int64_t j = 0; j < hidden; j += LANES) {
            int64_t at = row * hidden + j;
            vec i = v_load(z + j), f = v_load(z + hidden + j);
            vec g = v_load(z + 2 * hidden + j), o = v_load(z + 3 * hidden + j);
            vec squashed = v_tanh(v_load(c_next + at));
            vec dh = v_add(v_load(d_out + at), v_load(dh_carry + at));
            // dc = dc_{t+1}·f_{t+1} + dh ⊙ o ⊙ (1 − tanh² c_t)
            vec dc = v_fmadd(v_mul(dh, o), v_fnmadd(squashed, squashed, one), v_load(dc_carry + at));
            vec di = v_mul(v_mul(dc, g), v_mul(i, v_sub(one, i)));
            vec df = v_mul(v_mul(dc, v_load(c_prev + at)), v_mul(f, v_sub(one, f)));
            vec dg = v_mul(v_mul(dc, i), v_fnmadd(g, g, one));
            vec dO = v_mul(v_mul(dh, squashed), v_mul(o, v_sub(one, o)));
            v_store(z + j, di);
            v_store(z + hidden + j, df);
            v_store(z + 2 * hidden + j, dg);
            v_store(z + 3 * hidden + j, dO);
            v_store(dc_carry + at, v_mul(dc, f));
        }
    }
}

KERNEL static void gru_backward_step(int reset_after, float *gates, float *d_recurrent, int64_t m, int64_t hidden,
                                     const float *h_prev, const float *recurrent_n, const float *d_out,
                                     float *dh_carry) {
    const vec one = v_set1(1.0f);
    const int64_t H = hidden;
    for (int64_t row = 0; row < m; row++) {
        float *z = gates + row * 3 * H;
        for (int64_t j = 0; j < H; j += LANES) {
            int64_t at = row * H + j;
            vec u = v_load(z + H + j), n = v_load(z + 2 * H + j);
            vec dh = v_add(v_load(d_out + at), v_load(dh_carry + at));
            // dn = dh ⊙ (1−z) · (1−n²), dz = dh ⊙ (h_{t−1} − n) · z(1−z)
            vec dn = v_mul(v_mul(dh, v_sub(one, u)), v_fnmadd(n, n, one));
            vec du = v_mul(v_mul(dh, v_sub(v_load(h_prev + at), n)), v_mul(u, v_sub(one, u)));
            v_store(z + H + j, du);
            v_store(z + 2 * H + j, dn);
            v_store(dh_carry + at, v_mul(dh, u));
            if (reset_after) {  // dr = dn ⊙ (W_hn h_{t−1} + b_hn) · r(1−r)
                vec r = v_load(z + j);
                vec dr = v_mul(v_mul(dn, v_load(recurrent_n + at)), v_mul(r, v_sub(one, r)));
                float *d = d_recurrent + row * 3 * H;
                v_store(z + j, dr);
                v_store(d + j, dr);
                v_store(d + H + j, du);
                v_store(d + 2 * H + j, v_mul(dn, r));
            }
        }
    }
}

KERNEL static void gru_reset_gradient(float *gates, int64_t m, int64_t hidden, const float *h_prev,
                                      const float *d_reset_h, float *dh_carry, int through_reset) {
    const vec one = v_set1(1.0f);
    const int64_t H = hidden;
    for (int64_t row = 0; row < m; row++) {
        float *z = gates + row * 3 * H;
        for (int64_t j = 0; j < H; j += LANES) {
            int64_t at = row * H + j;
            vec r = v_load(z + j), d = v_load(d_reset_h + at);
            // dr = d(r⊙h) ⊙ h_{t−1} · r(1−r); dh_{t−1} += d(r⊙h) ⊙ r
            v_store(z + j, v_mul(v_mul(d, v_load(h_prev + at)), v_mul(r, v_sub(one, r))));
            if (through_reset) v_store(dh_carry + at, v_fmadd(d, r, v_load(dh_carry + at)));
        }
    }
}

// MARK: The training step's other loops: the loss, the clipping norm, Adam.

// A vector of the `count` < LANES floats at p, the other lanes `fill`; and back.
KERNEL_INLINE vec load_part(const float *p, int64_t count, float fill) {
    float part[LANES];
    for (int64_t l = 0; l < LANES; l++) part[l] = l < count ? p[l] : fill;
    return v_load(part);
}

KERNEL_INLINE void store_part(float *p, int64_t count, vec v) {
    float part[LANES];
    v_store(part, v);
    for (int64_t l = 0; l < count; l++) p[l] = part[l];
}

// The lanes' sum, lane 0 first.
KERNEL_INLINE float sum_lanes(vec v) {
    float part[LANES], sum = 0;
    v_store(part, v);
    for (int l = 0; l < LANES; l++) sum += part[l];
    return sum;
}

// Softmax cross-entropy of each row of `logits` (rows × classes), in place, as SoftmaxCrossEntropy.forward:
// p = e^{z − max z} / Σ e^{z − max z}, loss_r = log Σ e^{z − max z} − (z[y_r] − max z). The last part
// vector of a row is padded with −∞ (its e^x clamps to 1e-38, nothing beside a sum of at least 1).
KERNEL static double softmax_cross_entropy(float *logits, const int32_t *targets, int64_t rows, int64_t classes,
                                           double *row_losses) {
    const int64_t whole = classes / LANES * LANES, left = classes - whole;
    const float minus_infinity = -__builtin_inff();
    double total = 0;
    for (int64_t r = 0; r < rows; r++) {
        float *z = logits + r * classes;
        vec peak_lanes = v_set1(minus_infinity);
        for (int64_t j = 0; j < whole; j += LANES) peak_lanes = v_max(peak_lanes, v_load(z + j));
        if (left) peak_lanes = v_max(peak_lanes, load_part(z + whole, left, minus_infinity));
        float lanes[LANES], peak = minus_infinity;
        v_store(lanes, peak_lanes);
        for (int l = 0; l < LANES; l++) peak = lanes[l] > peak ? lanes[l] : peak;
        const vec shift = v_set1(peak);
        const float shifted_target = z[targets[r]] - peak;
        vec sum_lanes_v = v_zero();
        for (int64_t j = 0; j < whole; j += LANES) {
            vec e = v_exp(v_sub(v_load(z + j), shift));
            v_store(z + j, e);
            sum_lanes_v = v_add(sum_lanes_v, e);
        }
        if (left) {
            vec e = v_exp(v_sub(load_part(z + whole, left, minus_infinity), shift));
            store_part(z + whole, left, e);
            sum_lanes_v = v_add(sum_lanes_v, e);
        }
        const float sum = sum_lanes(sum_lanes_v);
        const double loss = (double)(logf(sum) - shifted_target);
        if (row_losses) row_losses[r] = loss;
        total += loss;
        const vec inverse = v_set1(1 / sum);
        for (int64_t j = 0; j < whole; j += LANES) v_store(z + j, v_mul(v_load(z + j), inverse));
        for (int64_t j = whole; j < classes; j++) z[j] *= 1 / sum;
    }
    return total;
}

// Σ x² (the gradients' squared norm): four float accumulators of LANES each, added into a double
// every 4,096 values, so no float sum runs over more than 64 terms per lane.
KERNEL static double sum_of_squares(const float *x, int64_t count) {
    enum { block = 4096 };
    double total = 0;
    int64_t i = 0;
    for (; i + block <= count; i += block) {
        vec a0 = v_zero(), a1 = v_zero(), a2 = v_zero(), a3 = v_zero();
        for (int64_t j = i; j < i + block; j += 4 * LANES) {
            vec x0 = v_load(x + j), x1 = v_load(x + j + LANES), x2 = v_load(x + j + 2 * LANES), x3 = v_load(x + j + 3 * LANES);
            a0 = v_fmadd(x0, x0, a0); a1 = v_fmadd(x1, x1, a1); a2 = v_fmadd(x2, x2, a2); a3 = v_fmadd(x3, x3, a3);
        }
        total += (double)sum_lanes(v_add(v_add(a0, a1), v_add(a2, a3)));
    }
    for (; i < count; i++) total += (double)x[i] * (double)x[i];
    return total;
}

// x ← x · scale.
KERNEL static void scale(float *x, int64_t count, float factor) {
    const vec f = v_set1(factor);
    int64_t i = 0;
    for (; i + LANES <= count; i += LANES) v_store(x + i, v_mul(v_load(x + i), f));
    for (; i < count; i++) x[i] *= factor;
}

// One Adam (AdamW) update, as Adam.update: θ ← θ·decay (AdamW); m ← β1·m + (1−β1)·g;
// v ← β2·v + (1−β2)·g²; θ ← θ − step · m / (√v / √(1−β2ᵗ) + ε).
KERNEL static void adam_update(float *theta, const float *g, float *m, float *v, int64_t count,
                               const ckernels_adam_constants *k) {
    const vec beta1 = v_set1(k->beta1), beta2 = v_set1(k->beta2), one_minus_beta1 = v_set1(k->one_minus_beta1);
    const vec one_minus_beta2 = v_set1(k->one_minus_beta2), step = v_set1(k->step_size);
    const vec root_correction2 = v_set1(k->root_correction2), epsilon = v_set1(k->epsilon), decay = v_set1(k->decay);
    int64_t i = 0;
    for (; i + LANES <= count; i += LANES) {
        vec t = v_load(theta + i), gi = v_load(g + i);
        if (k->apply_decay) t = v_mul(t, decay);
        vec mi = v_add(v_mul(beta1, v_load(m + i)), v_mul(one_minus_beta1, gi));
        vec vi = v_add(v_mul(beta2, v_load(v + i)), v_mul(v_mul(one_minus_beta2, gi), gi));
        v_store(m + i, mi);
        v_store(v + i, vi);
        v_store(theta + i, v_sub(t, v_div(v_mul(step, mi), v_add(v_div(v_sqrt(vi), root_correction2), epsilon))));
    }
    for (; i < count; i++) {
        if (k->apply_decay) theta[i] *= k->decay;
        m[i] = k->beta1 * m[i] + k->one_minus_beta1 * g[i];
        v[i] = k->beta2 * v[i] + k->one_minus_beta2 * g[i] * g[i];
        theta[i] -= k->step_size * m[i] / (sqrtf(v[i]) / k->root_correction2 + k->epsilon);
    }
}

__attribute__((visibility("hidden")))
const ckernels_recurrent_table TABLE = {
    .lanes = LANES,
    .pack_panels = ckernels_pack_panels,
    .packed_product = packed_product,
    .lstm_step = lstm_step,
    .lstm_backward_step = lstm_backward_step,
    .lstm_cells = lstm_cells,
    .gru_reset_after_step = gru_reset_after_step,
    .gru_reset_before_gates = gru_reset_before_gates,
    .gru_reset_before_candidate = gru_reset_before_candidate,
    .gru_backward_step = gru_backward_step,
    .gru_reset_gradient = gru_reset_gradient,
    .softmax_cross_entropy = softmax_cross_entropy,
    .sum_of_squares = sum_of_squares,
    .scale = scale,
    .adam_update = adam_update,
};
