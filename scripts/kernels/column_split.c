// Both cores on one window's recurrent LSTM product (issue: "both cores on one window"): replicas, each
// thread B/2 rows against all 4H gate columns of weight_hh, against a column split, each thread all B
// rows against half of every gate block's units, with a barrier per step (what a split step needs
// before the next one reads h). The best of 20 alternating rounds of T = 100 steps each, AVX-512 table.
// Build and run from the project root, on an AVX-512 CPU:
//   gcc -O3 -march=native -ISources/CKernels/include scripts/kernels/column_split.c \
//       Sources/CKernels/RecurrentKernels*.c -lpthread -lm -o /tmp/column_split
//   /tmp/column_split 50 128; /tmp/column_split 64 256; /tmp/column_split 64 512   # B H: S, M, L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "CKernels.h"

static const ckernels_recurrent_table *K;
static int B, H, T = 100, mode; // mode 0: replicas, 1: column split
static float *Wfull, *Whalf[2], *h, *c[2];
static atomic_int arrived; static atomic_int phase;

static void barrier(int nthreads) {
    int p = atomic_load(&phase);
    if (atomic_fetch_add(&arrived, 1) == nthreads - 1) { atomic_store(&arrived, 0); atomic_store(&phase, p + 1); }
    else while (atomic_load(&phase) == p) __builtin_ia32_pause();
}

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

static void *run(void *arg) {
    int k = (int)(long)arg;
    for (int t = 0; t < T; t++) {
        if (mode == 0) {
            K->packed_product(h + k * (B / 2) * H, B / 2, H, H, Wfull, 4, H, c[k], 4 * H, 0);
        } else {
            K->packed_product(h, B, H, H, Whalf[k], 4, H / 2, c[k], 4 * H, 0);
            barrier(2);
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    B = atoi(argv[1]); H = atoi(argv[2]);
    K = ckernels_recurrent_kernels(CKERNELS_RECURRENT_AVX512);
    int64_t L = K->lanes;
    float *W = aligned_alloc(64, sizeof(float) * 4 * H * H);
    for (long i = 0; i < 4L * H * H; i++) W[i] = (float)rand() / RAND_MAX - 0.5f;
    Wfull = aligned_alloc(64, sizeof(float) * 4 * H * H);
    K->pack_panels(W, H, 1, L, 4, H, H, Wfull);
    // the half for thread k: units [k·H/2, (k+1)·H/2) of each gate block
    float *Wk = aligned_alloc(64, sizeof(float) * 2 * H * H);
    for (int k = 0; k < 2; k++) {
        for (int g = 0; g < 4; g++) memcpy(Wk + (long)g * (H / 2) * H, W + ((long)g * H + k * H / 2) * H, sizeof(float) * (H / 2) * H);
        Whalf[k] = aligned_alloc(64, sizeof(float) * 2 * H * H);
        K->pack_panels(Wk, H, 1, L, 4, H / 2, H, Whalf[k]);
    }
    h = aligned_alloc(64, sizeof(float) * B * H);
    for (long i = 0; i < (long)B * H; i++) h[i] = (float)rand() / RAND_MAX - 0.5f;
    for (int k = 0; k < 2; k++) { c[k] = aligned_alloc(64, sizeof(float) * B * 4 * H); memset(c[k], 0, sizeof(float) * B * 4 * H); }
    double best[2] = {1e9, 1e9};
    for (int round = 0; round < 20; round++) {
        for (mode = 0; mode < 2; mode++) {
            pthread_t th[2];
            double t0 = now();
            for (long k = 0; k < 2; k++) pthread_create(&th[k], NULL, run, (void *)k);
            for (int k = 0; k < 2; k++) pthread_join(th[k], NULL);
            double dt = now() - t0;
            if (dt < best[mode]) best[mode] = dt;
        }
    }
    double flops = 2.0 * B * 4 * H * H * T;
    printf("B %d H %d: replicas %.1f us/step %.1f GFLOP/s; column split %.1f us/step %.1f GFLOP/s\n", B, H,
           best[0] / T * 1e6, flops / best[0] / 1e9, best[1] / T * 1e6, flops / best[1] / 1e9);
    return 0;
}
