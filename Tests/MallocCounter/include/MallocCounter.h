// Counts heap allocations made while counting is on, in every thread: the test that proves a
// training step allocates nothing after warm-up. Linked into the test binary only.
#include <stdint.h>

void malloc_counter_start(void);
/// Stops counting and returns the allocations made since `malloc_counter_start`.
uint64_t malloc_counter_stop(void);
