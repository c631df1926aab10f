#include "CKernels.h"

#include <stddef.h>

// Portable: packing is a copy, done once per window, and every path's panels share this layout.
void ckernels_pack_panels(const float *source, int64_t row_stride, int64_t column_stride, int64_t lanes,
                          int64_t groups, int64_t group_rows, int64_t depth, float *panels) {
    int64_t width = lanes * groups;
    for (int64_t p = 0; p < group_rows / lanes; p++) {
        float *panel = panels + p * depth * width;
        for (int64_t g = 0; g < groups; g++) {
            for (int64_t lane = 0; lane < lanes; lane++) {
                const float *row = source + (g * group_rows + lanes * p + lane) * row_stride;
                float *to = panel + g * lanes + lane;
                for (int64_t k = 0; k < depth; k++) to[k * width] = row[k * column_stride];
            }
        }
    }
}

#if defined(__x86_64__)
// Defined by RecurrentKernelsAVX2.c and RecurrentKernelsAVX512.c.
extern const ckernels_recurrent_table ckernels_recurrent_table_avx2, ckernels_recurrent_table_avx512;
#endif

const ckernels_recurrent_table *ckernels_recurrent_kernels(ckernels_recurrent_isa isa) {
#if defined(__x86_64__)
    switch (isa) {
    case CKERNELS_RECURRENT_AVX2: return &ckernels_recurrent_table_avx2;
    case CKERNELS_RECURRENT_AVX512: return &ckernels_recurrent_table_avx512;
    }
#endif
    (void)isa;
    return NULL;
}
