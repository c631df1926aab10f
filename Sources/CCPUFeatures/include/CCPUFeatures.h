// What this CPU and its operating system let a program execute, read with cpuid and xgetbv: the
// facts charnn compares with OpenBLAS's kernel choice. The decision itself is made in Swift
// (CharRNN/Kernels/BLASCoreChoice.swift), where it can be tested with made-up reports.
#ifndef CCPUFEATURES_H
#define CCPUFEATURES_H

#include <stdbool.h>

typedef struct {
    /// False on every other architecture: then all other fields are false too.
    bool is_x86;
    bool avx, fma, avx2;
    /// Conversions between half and single precision (vcvtph2ps): charnn's half-precision weights.
    bool f16c;
    bool avx512f, avx512bw, avx512vl, avx512dq, avx512cd, avx512_bf16;
    /// The OS saves the XMM and YMM registers on a context switch (XCR0 bits 1 and 2): without it
    /// AVX instructions fault even on a CPU that has them.
    bool os_saves_ymm;
    /// The OS also saves the AVX-512 state (XCR0 bits 5, 6 and 7: opmasks and the upper ZMM halves).
    bool os_saves_zmm;
} ccpu_features;

/// The CPU's instruction-set features as cpuid reports them, and the OS's register-state support
/// from xgetbv (read only when cpuid says OSXSAVE). Cheap; reads nothing but the CPU.
ccpu_features ccpu_read_features(void);

#endif
