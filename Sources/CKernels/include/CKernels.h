// charnn's own kernels in C, for what Swift cannot express: instruction-set-specific code chosen at
// run time (each function is compiled for its ISA with a target attribute; the caller checks the CPU
// first, in CharRNN's InstructionSets). Provides no stable API beyond charnn.
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

/// Y[b·ldy + r] += Σ_c W[r, c] · X[b·ldx + c] for r < rows and b < batch: the matrix-vector
/// product of one step for each of `batch` streams, with W held in IEEE half precision as panels
/// of 16 rows (`ckernels_pack_half_panels`) and widened to float as it is read (F16C), accumulating
/// in float. One stream's step reads every weight once per character, so halving the bytes read
/// halves its memory traffic; a batch reads each weight once for all its streams. Each output is
/// y ← fma(W[r,c], x[c], y) over c in order, so results are independent of the batch and equal on
/// every path. The F16C path needs AVX2, FMA and F16C; the portable one converts in software.
void ckernels_gemm_f16_f16c(const uint16_t *panels, int64_t rows, int64_t cols, const float *X, int64_t ldx,
                            int64_t batch, float *Y, int64_t ldy);
void ckernels_gemm_f16_portable(const uint16_t *panels, int64_t rows, int64_t cols, const float *X, int64_t ldx,
                                int64_t batch, float *Y, int64_t ldy);
/// The same on 16 lanes: needs AVX-512F, AVX2, FMA and F16C, with the OS saving ZMM.
void ckernels_gemm_f16_avx512(const uint16_t *panels, int64_t rows, int64_t cols, const float *X, int64_t ldx,
                              int64_t batch, float *Y, int64_t ldy);
/// W (rows × cols, row-major floats) rounded to half and laid out as panels of 16 rows, each column
/// by column (rows past the last padded with zeros): ⌈rows / 16⌉·16·cols halves.
void ckernels_pack_half_panels(const float *W, int64_t rows, int64_t cols, uint16_t *panels);
/// Halves a packed matrix of `rows` rows takes.
static inline int64_t ckernels_half_panels_count(int64_t rows, int64_t cols) { return (rows + 15) / 16 * 16 * cols; }
/// Float to IEEE half, round to nearest even (what the F16C instructions do).
uint16_t ckernels_float_to_half(float value);
float ckernels_half_to_float(uint16_t value);

/// Panels for the recurrent products of a window: a weight matrix W (rows × depth) is read once per
/// window into panels of lanes·groups rows, each stored depth-major, so a micro-kernel streams it with
/// contiguous loads of whole vectors. Row g·group_rows + lanes·p + l of W lands in panel p at depth k,
/// offset (p·depth + k)·lanes·groups + lanes·g + l. W's element (row, k) is
/// source[row·row_stride + k·column_stride] (so Wᵀ packs without a copy). group_rows must be a multiple
/// of lanes; panels holds groups·group_rows·depth floats. Portable: every path packs with it.
void ckernels_pack_panels(const float *source, int64_t row_stride, int64_t column_stride, int64_t lanes,
                          int64_t groups, int64_t group_rows, int64_t depth, float *panels);

/// Adam's constants for one update (`adam_update`): see CharRNN's Adam.update.
typedef struct {
    float beta1, beta2, one_minus_beta1, one_minus_beta2, step_size, root_correction2, epsilon, decay;
    int apply_decay;
} ckernels_adam_constants;

/// The recurrent kernels of one instruction set. Each function needs that set (the caller checks the
/// CPU first: CharRNN's InstructionSets); `hidden` and `group_rows` must be multiples of `lanes`, and
/// panels are packed with `lanes` (`pack_panels`). Every step reads its rows of state, `m` rows of
/// `hidden` floats, and the gate blocks of a row lie side by side, `hidden` floats each.
typedef struct {
    /// Floats per vector register: 8 (AVX2), 16 (AVX-512).
    int64_t lanes;
    /// `ckernels_pack_panels`.
    void (*pack_panels)(const float *source, int64_t row_stride, int64_t column_stride, int64_t lanes,
                        int64_t groups, int64_t group_rows, int64_t depth, float *panels);
    /// c[r, g·group_rows + j] (+)= Σ_k a[r·lda + k] · W[g·group_rows + j, k] for r < m, from W's panels;
    /// adds to c when `accumulate`, else overwrites. groups ∈ 1…4. Here and in the forward steps below,
    /// only the units j of first_unit ..< first_unit + units (multiples of `lanes`; 0 and group_rows or
    /// hidden for all) are computed, each to the same bits as by a call covering every unit: two threads
    /// may share a step by units.
    void (*packed_product)(const float *a, int64_t m, int64_t depth, int64_t lda, const float *panels,
                           int64_t groups, int64_t group_rows, float *c, int64_t ldc, int accumulate,
                           int64_t first_unit, int64_t units);
    /// One LSTM step, fused: gates (m, 4·hidden) holds the input projection and biases (i, f, g, o
    /// blocks) and receives the activated gates; the recurrent product with weight_hh's panels (groups
    /// 4, group_rows hidden, depth hidden) is added in registers, then c_next = f ⊙ c_prev + i ⊙ g and
    /// h_next = o ⊙ tanh(c_next).
    void (*lstm_step)(float *gates, int64_t m, int64_t hidden, const float *h_prev, const float *panels,
                      const float *c_prev, float *c_next, float *h_next, int64_t first_unit, int64_t units);
    /// The pointwise part of one LSTM backward step: `gates` (m, 4·hidden) holds the step's activated
    /// i, f, g, o and receives their pre-activation gradients; dh = d_out + dh_carry is the gradient at
    /// h_t, dc_carry the one at c_t from step t+1 (already times f_{t+1}) and receives dc_t ⊙ f_t.
    /// tanh(c_t) is recomputed from c_next.
    void (*lstm_backward_step)(float *gates, int64_t m, int64_t hidden, const float *c_prev, const float *c_next,
                               const float *d_out, const float *dh_carry, float *dc_carry);
    /// c_next = f ⊙ c_prev + i ⊙ g from the activated gates (m, 4·hidden) of a step `lstm_step` ran:
    /// its c_next again, bit for bit (backward recomputes the cell states it did not keep).
    void (*lstm_cells)(const float *gates, int64_t m, int64_t hidden, const float *c_prev, float *c_next);
    /// One GRU reset-after step, fused: gates (m, 3·hidden) holds the input projection and b_ih (r, z,
    /// n blocks) and receives the activated gates; the recurrent product with weight_hh's panels
    /// (groups 3) plus bias_hh is added in registers; recurrent_n receives W_hn h_{t−1} + b_hn and
    /// h_next = (1 − z) ⊙ n + z ⊙ h_prev.
    void (*gru_reset_after_step)(float *gates, int64_t m, int64_t hidden, const float *h_prev, const float *panels,
                                 const float *bias_hh, float *recurrent_n, float *h_next, int64_t first_unit,
                                 int64_t units);
    /// One GRU reset-before step, fused in two passes (gates holds the input projection and all biases,
    /// b_hh folded in): first r and z from W_h[r,z]'s panels (groups 2) with reset_h = r ⊙ h_prev; then,
    /// once every unit's reset_h is written, n from W_hn's panels (groups 1) applied to reset_h, and h_next.
    void (*gru_reset_before_gates)(float *gates, int64_t m, int64_t hidden, const float *h_prev,
                                   const float *gate_panels, float *reset_h, int64_t first_unit, int64_t units);
    void (*gru_reset_before_candidate)(float *gates, int64_t m, int64_t hidden, const float *h_prev,
                                       const float *candidate_panels, const float *reset_h, float *h_next,
                                       int64_t first_unit, int64_t units);
    /// The pointwise part of one GRU backward step: from the activated gates and dh = d_out + dh_carry,
    /// writes dz and dn over the z and n blocks of `gates` and dh_carry = dh ⊙ z; with reset_after also
    /// dr over the r block and the recurrent gradients [dr, dz, dn ⊙ r] to d_recurrent (m, 3·hidden),
    /// which may be NULL otherwise.
    void (*gru_backward_step)(int reset_after, float *gates, float *d_recurrent, int64_t m, int64_t hidden,
                              const float *h_prev, const float *recurrent_n, const float *d_out, float *dh_carry);
    /// Reset-before's gradient through r ⊙ h_{t−1}, given d_reset_h = dn · W_hn: dr over the r block of
    /// `gates`, and dh_carry += d_reset_h ⊙ r when through_reset.
    void (*gru_reset_gradient)(float *gates, int64_t m, int64_t hidden, const float *h_prev,
                               const float *d_reset_h, float *dh_carry, int through_reset);
    /// The training step's other loops on this set's vectors. Softmax cross-entropy of each row of
    /// `logits` (rows × classes) in place, as SoftmaxCrossEntropy.forward: probabilities out, the
    /// summed loss returned and each row's to row_losses unless NULL.
    double (*softmax_cross_entropy)(float *logits, const int32_t *targets, int64_t rows, int64_t classes,
                                    double *row_losses);
    /// Σ x², summed into a double (the gradients' norm for clipping).
    double (*sum_of_squares)(const float *x, int64_t count);
    /// x ← x · factor.
    void (*scale)(float *x, int64_t count, float factor);
    /// One Adam update of count parameters (Adam.update's loop).
    void (*adam_update)(float *theta, const float *g, float *m, float *v, int64_t count,
                        const ckernels_adam_constants *constants);
} ckernels_recurrent_table;

/// The instruction sets the recurrent kernels are compiled for.
typedef enum { CKERNELS_RECURRENT_AVX2 = 1, CKERNELS_RECURRENT_AVX512 = 2 } ckernels_recurrent_isa;

/// The kernels of `isa`, or NULL where they are not compiled (off x86-64). Does not look at the CPU.
const ckernels_recurrent_table *ckernels_recurrent_kernels(ckernels_recurrent_isa isa);

/// Tells the CPU that the caller is spinning on a flag another core will write (x86 `pause`): the
/// loop yields pipeline resources and leaves the flag's cache line alone for a moment.
static inline void ckernels_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#endif
