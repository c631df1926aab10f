// Reads the feature bits named in CCPUFeatures.h. Leaf and bit numbers are those of the Intel SDM
// (vol. 2A, CPUID) and the AMD APM (vol. 3); both vendors agree on every bit read here.
#include "CCPUFeatures.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <stdint.h>

static bool bit(unsigned int word, int index) { return (word >> index) & 1u; }

/// XCR0 through xgetbv, written as inline assembly so the file needs no -mxsave flag.
static uint64_t read_xcr0(void) {
    uint32_t low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((uint64_t)high << 32) | low;
}

ccpu_features ccpu_read_features(void) {
    ccpu_features f = {0};
    f.is_x86 = true;
    unsigned int eax, ebx, ecx, edx;
    unsigned int highest_leaf = __get_cpuid_max(0, 0);
    if (highest_leaf < 1 || !__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
    f.fma = bit(ecx, 12);
    f.avx = bit(ecx, 28);
    f.f16c = bit(ecx, 29);
    bool osxsave = bit(ecx, 27);
    if (osxsave) {
        uint64_t xcr0 = read_xcr0();
        f.os_saves_ymm = (xcr0 & 0x6) == 0x6;
        f.os_saves_zmm = f.os_saves_ymm && (xcr0 & 0xE0) == 0xE0;
    }
    if (highest_leaf >= 7) {
        __cpuid_count(7, 0, eax, ebx, ecx, edx);
        unsigned int subleaves = eax;
        f.avx2 = bit(ebx, 5);
        f.avx512f = bit(ebx, 16);
        f.avx512dq = bit(ebx, 17);
        f.avx512cd = bit(ebx, 28);
        f.avx512bw = bit(ebx, 30);
        f.avx512vl = bit(ebx, 31);
        if (subleaves >= 1) {
            __cpuid_count(7, 1, eax, ebx, ecx, edx);
            f.avx512_bf16 = bit(eax, 5);
        }
    }
    return f;
}

#else

ccpu_features ccpu_read_features(void) {
    ccpu_features f = {0};
    return f;
}

#endif
