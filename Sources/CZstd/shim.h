// zstd's simple and advanced (parameterised) APIs and frame inspection.
#include <zstd.h>
#include <zstd_errors.h>
