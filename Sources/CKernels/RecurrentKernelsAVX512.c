// The recurrent kernels on AVX-512 (F, DQ, VL, BW) + FMA: RecurrentKernelsBody.h over 16-lane zmm
// vectors.
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define KERNEL __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma")))
#define KERNEL_INLINE __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,fma"), always_inline)) static inline
#define TABLE ckernels_recurrent_table_avx512
#define LANES 16
#define REGISTERS 32
// 20 accumulators (rows × groups; 18 for three groups) of the 32 zmm registers, with the panel's
// `groups` vectors and one broadcast: at most 25 registers, no spills. Chosen with `charnn bench
// --mode kernels --threads 2` on a Zen 4 (rows 25 at H 128, 32 at H 512): against 12/6/3/3 (AVX2's
// rows), 16/8/5/4 and 24/12/8/6 it was fastest or within 3% everywhere, e.g. the backward product
// at rows 25 ran 116 GFLOP/s against 111 for the others (the FMA peak: 117).
#define MAX_ROWS 20
#define TILE_ROWS(groups) ((groups) == 1 ? 20 : (groups) == 2 ? 10 : (groups) == 3 ? 6 : 5)
// Rows per block of a long product (see `tiles`): the least multiple of 20, 10, 6 and 5 above 96.
#define ROW_BLOCK 120

typedef __m512 vec;
typedef __m512i vint;

KERNEL_INLINE vec v_zero(void) { return _mm512_setzero_ps(); }
KERNEL_INLINE vec v_set1(float x) { return _mm512_set1_ps(x); }
KERNEL_INLINE vec v_load(const float *p) { return _mm512_loadu_ps(p); }
KERNEL_INLINE void v_store(float *p, vec v) { _mm512_storeu_ps(p, v); }
KERNEL_INLINE vec v_broadcast(const float *p) { return _mm512_set1_ps(*p); }
KERNEL_INLINE vec v_add(vec a, vec b) { return _mm512_add_ps(a, b); }
KERNEL_INLINE vec v_sub(vec a, vec b) { return _mm512_sub_ps(a, b); }
KERNEL_INLINE vec v_mul(vec a, vec b) { return _mm512_mul_ps(a, b); }
KERNEL_INLINE vec v_div(vec a, vec b) { return _mm512_div_ps(a, b); }
KERNEL_INLINE vec v_sqrt(vec a) { return _mm512_sqrt_ps(a); }
KERNEL_INLINE vec v_min(vec a, vec b) { return _mm512_min_ps(a, b); }
KERNEL_INLINE vec v_max(vec a, vec b) { return _mm512_max_ps(a, b); }
KERNEL_INLINE vec v_and(vec a, vec b) { return _mm512_and_ps(a, b); }
KERNEL_INLINE vec v_or(vec a, vec b) { return _mm512_or_ps(a, b); }
KERNEL_INLINE vec v_andnot(vec a, vec b) { return _mm512_andnot_ps(a, b); }
KERNEL_INLINE vec v_fmadd(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
KERNEL_INLINE vec v_fnmadd(vec a, vec b, vec c) { return _mm512_fnmadd_ps(a, b, c); }
KERNEL_INLINE vec v_select_less(vec a, vec b, vec x, vec y) {
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ), y, x);
}
KERNEL_INLINE vint vi_bits(vec v) { return _mm512_castps_si512(v); }
KERNEL_INLINE vec vi_float(vint i) { return _mm512_castsi512_ps(i); }
KERNEL_INLINE vint vi_add(vint a, vint b) { return _mm512_add_epi32(a, b); }
KERNEL_INLINE vint vi_sub(vint a, vint b) { return _mm512_sub_epi32(a, b); }
KERNEL_INLINE vint vi_set1(int x) { return _mm512_set1_epi32(x); }
KERNEL_INLINE vint vi_shift23(vint i) { return _mm512_slli_epi32(i, 23); }

#include "RecurrentKernelsBody.h"
#endif
