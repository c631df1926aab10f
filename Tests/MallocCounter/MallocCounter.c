// Interposes the allocation functions of glibc for the test binary: each forwards to glibc's own
// implementation (__libc_*) and, while counting, adds one to a counter, unless called from
// libopenblas itself (its small-matrix kernels allocate scratch per call on tiny matrices).
#define _GNU_SOURCE
#include "MallocCounter.h"
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <stddef.h>
#include <stdatomic.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static atomic_int counting;
static atomic_uint_least64_t allocations;

static __attribute__((noinline)) int called_from_openblas(void *caller) {
    Dl_info info;
    return dladdr(caller, &info) && info.dli_fname && strstr(info.dli_fname, "libopenblas") != NULL;
}

#define count() do { \
    if (atomic_load_explicit(&counting, memory_order_relaxed) && !called_from_openblas(__builtin_return_address(0))) \
        atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); \
} while (0)

void malloc_counter_start(void) {
    atomic_store(&allocations, 0);
    atomic_store(&counting, 1);
}

uint64_t malloc_counter_stop(void) {
    atomic_store(&counting, 0);
    return atomic_load(&allocations);
}

void *malloc(size_t size) { count(); return __libc_malloc(size); }
void *calloc(size_t n, size_t size) { count(); return __libc_calloc(n, size); }
void *realloc(void *p, size_t size) { count(); return __libc_realloc(p, size); }
void free(void *p) { __libc_free(p); }
void *memalign(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count(); return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    count();
    void *p = __libc_memalign(alignment, size);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}
