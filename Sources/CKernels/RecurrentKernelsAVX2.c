// The recurrent kernels on AVX2 + FMA: RecurrentKernelsBody.h over 8-lane ymm vectors.
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define KERNEL __attribute__((target("avx2,fma")))
#define KERNEL_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline
#define TABLE ckernels_recurrent_table_avx2
#define LANES 8
#define REGISTERS 16
// 12 accumulators (rows × groups) of the 16 ymm registers, the rest for the panel's loads and the
// broadcast. Three groups take 3 rows, not 4: 4 × 3 needs all 16 registers, the compiler then spills
// an accumulator, and the tile ran at half the rate.
#define MAX_ROWS 12
#define TILE_ROWS(groups) ((groups) == 1 ? 12 : (groups) == 2 ? 6 : 3)
// Rows per block of a long product (see `tiles`): 96 rows of a 256-wide input are 96 KB, in L2.
#define ROW_BLOCK 96

typedef __m256 vec;
typedef __m256i vint;

KERNEL_INLINE vec v_zero(void) { return _mm256_setzero_ps(); }
KERNEL_INLINE vec v_set1(float x) { return _mm256_set1_ps(x); }
KERNEL_INLINE vec v_load(const float *p) { return _mm256_loadu_ps(p); }
KERNEL_INLINE void v_store(float *p, vec v) { _mm256_storeu_ps(p, v); }
KERNEL_INLINE vec v_broadcast(const float *p) { return _mm256_broadcast_ss(p); }
KERNEL_INLINE vec v_add(vec a, vec b) { return _mm256_add_ps(a, b); }
KERNEL_INLINE vec v_sub(vec a, vec b) { return _mm256_sub_ps(a, b); }
KERNEL_INLINE vec v_mul(vec a, vec b) { return _mm256_mul_ps(a, b); }
KERNEL_INLINE vec v_div(vec a, vec b) { return _mm256_div_ps(a, b); }
KERNEL_INLINE vec v_sqrt(vec a) { return _mm256_sqrt_ps(a); }
KERNEL_INLINE vec v_min(vec a, vec b) { return _mm256_min_ps(a, b); }
KERNEL_INLINE vec v_max(vec a, vec b) { return _mm256_max_ps(a, b); }
KERNEL_INLINE vec v_and(vec a, vec b) { return _mm256_and_ps(a, b); }
KERNEL_INLINE vec v_or(vec a, vec b) { return _mm256_or_ps(a, b); }
KERNEL_INLINE vec v_andnot(vec a, vec b) { return _mm256_andnot_ps(a, b); }
KERNEL_INLINE vec v_fmadd(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
KERNEL_INLINE vec v_fnmadd(vec a, vec b, vec c) { return _mm256_fnmadd_ps(a, b, c); }
KERNEL_INLINE vec v_select_less(vec a, vec b, vec x, vec y) {
    return _mm256_blendv_ps(y, x, _mm256_cmp_ps(a, b, _CMP_LT_OQ));
}
KERNEL_INLINE vint vi_bits(vec v) { return _mm256_castps_si256(v); }
KERNEL_INLINE vec vi_float(vint i) { return _mm256_castsi256_ps(i); }
KERNEL_INLINE vint vi_add(vint a, vint b) { return _mm256_add_epi32(a, b); }
KERNEL_INLINE vint vi_sub(vint a, vint b) { return _mm256_sub_epi32(a, b); }
KERNEL_INLINE vint vi_set1(int x) { return _mm256_set1_epi32(x); }
KERNEL_INLINE vint vi_shift23(vint i) { return _mm256_slli_epi32(i, 23); }

#include "RecurrentKernelsBody.h"
#endif
