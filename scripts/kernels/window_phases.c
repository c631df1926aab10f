// One replica's upper LSTM layer through a training window, phase by phase, as the trainer runs it:
// OpenBLAS's input projection Z = X · W_ihᵀ, the T fused steps on weight_hh's panels, backward's
// pointwise steps and products on weight_hhᵀ's panels, then OpenBLAS's input gradient dX = dZ · W_ih and
// weight gradients dW_ih += dZᵀ · X, dW_hh += dZᵀ · H. Prints each phase's GFLOP/s on one thread and
// its share of the window, over all windows but the first two. Run two copies at once to see the rates
// with both cores busy, as in training with two replicas. AVX2 table (runs on AVX2 and AVX-512 CPUs).
// Build and run from the project root (clang: gcc spills the tiles' accumulators):
//   clang -O3 -ISources/CKernels/include scripts/kernels/window_phases.c Sources/CKernels/RecurrentKernels*.c \
//       -lopenblas -lm -o /tmp/window_phases
//   /tmp/window_phases 32 256 20                      # rows (one replica's streams), hidden, windows: M
//   /tmp/window_phases 32 256 20 & /tmp/window_phases 32 256 20; wait
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "CKernels.h"

enum { steps = 100, skipped = 2 };

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

static float *filled(long count, float scale) {
    float *p = aligned_alloc(64, (size_t)((count * 4 + 63) / 64) * 64);
    unsigned state = 12345u + (unsigned)count;
    for (long i = 0; i < count; i++) {
        state = state * 1664525u + 1013904223u;
        p[i] = scale * ((state >> 8) * (1.0f / 16777216.0f) - 0.5f);
    }
    return p;
}

int main(int argc, char **argv) {
    const int B = argc > 1 ? atoi(argv[1]) : 32, H = argc > 2 ? atoi(argv[2]) : 256;
    const int windows = argc > 3 ? atoi(argv[3]) : 20, D = H, T = steps;
    if (B < 1 || H < 16 || H % 16 != 0 || windows <= skipped) {
        fprintf(stderr, "window_phases: want rows ≥ 1, hidden a multiple of 16, windows > %d\n", skipped);
        return 2;
    }
    const ckernels_recurrent_table *K = ckernels_recurrent_kernels(CKERNELS_RECURRENT_AVX2);
    openblas_set_num_threads(1);
    const long G = 4L * H, R = (long)T * B, L = K->lanes;
    float *w_ih = filled(G * D, 0.1f), *w_hh = filled(G * H, 0.1f), *forward = filled(G * H, 1),
          *backward = filled(G * H, 1), *x = filled(R * D, 1), *z = filled(R * G, 1), *h = filled(R * H + B * H, 0),
          *c = filled(R * H + B * H, 0), *d_out = filled(R * H, 0.01f), *dh = filled(B * H, 0),
          *dc = filled(B * H, 0), *dx = filled(R * D, 0), *dw_ih = filled(G * D, 0), *dw_hh = filled(G * H, 0);
    double projection = 0, step = 0, pointwise = 0, product = 0, gradients = 0;
    for (int w = 0; w < windows; w++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, G, D, 1, x, D, w_ih, D, 0, z, G);
        K->pack_panels(w_hh, H, 1, L, 4, H, H, forward);
        double t1 = now();
        for (int t = 0; t < T; t++)
            K->lstm_step(z + t * B * G, B, H, h + (long)t * B * H, forward, c + (long)t * B * H,
                         c + (long)(t + 1) * B * H, h + (long)(t + 1) * B * H, 0, H);
        double t2 = now(), in_products = 0;
        K->pack_panels(w_hh, 1, H, L, 2, H / 2, G, backward);
        memset(dh, 0, sizeof(float) * B * H);
        memset(dc, 0, sizeof(float) * B * H);
        for (int t = T - 1; t >= 0; t--) {
            K->lstm_backward_step(z + t * B * G, B, H, c + (long)t * B * H, c + (long)(t + 1) * B * H,
                                  d_out + (long)t * B * H, dh, dc);
            double u = now();
            K->packed_product(z + t * B * G, B, G, G, backward, 2, H / 2, dh, H, 0, 0, H / 2);
            in_products += now() - u;
        }
        double t3 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, D, G, 1, z, G, w_ih, D, 0, dx, D);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, D, R, 1, z, G, x, D, 1, dw_ih, D);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, H, R, 1, z, G, h, H, 1, dw_hh, H);
        double t4 = now();
        if (w < skipped) continue;
        projection += t1 - t0;
        step += t2 - t1;
        pointwise += t3 - t2 - in_products;
        product += in_products;
        gradients += t4 - t3;
    }
    // One unit of work: R · G · H multiply-adds (D = H), the size of each of the five products.
    const double unit = 2.0 * R * G * H * (windows - skipped) / 1e9;
    const double total = projection + step + pointwise + product + gradients;
    printf("rows %d hidden %d: GFLOP/s step %.1f  backward product %.1f  projection %.1f  gradients %.1f | "
           "share projection %.0f%%  step %.0f%%  backward pointwise %.0f%%  backward product %.0f%%  "
           "gradients %.0f%% | window %.1f ms\n",
           B, H, unit / step, unit / product, unit / projection, 3 * unit / gradients, 100 * projection / total,
           100 * step / total, 100 * pointwise / total, 100 * product / total, 100 * gradients / total,
           1e3 * total / (windows - skipped));
    double sum = 0;
    for (long i = 0; i < G * H; i++) sum += dw_hh[i];
    return sum == 1.2345 ? 1 : 0;  // keeps the gradients live
}
