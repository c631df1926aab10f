// Open MPI through a few inline wrappers: MPI_COMM_WORLD, MPI_FLOAT and the like are macros over
// library globals, which Swift cannot import directly.
#include <mpi.h>
#include <stdint.h>

static inline int charnn_mpi_init(void) {
    int provided = 0;
    return MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
}
static inline int charnn_mpi_initialized(void) { int flag = 0; MPI_Initialized(&flag); return flag; }
static inline int charnn_mpi_finalize(void) { return MPI_Finalize(); }
static inline int charnn_mpi_rank(void) { int rank = 0; MPI_Comm_rank(MPI_COMM_WORLD, &rank); return rank; }
static inline int charnn_mpi_size(void) { int size = 1; MPI_Comm_size(MPI_COMM_WORLD, &size); return size; }
static inline void charnn_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

/// In place: every rank ends with the element-wise sum over ranks.
static inline int charnn_mpi_sum_floats(float *values, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
}
static inline int charnn_mpi_sum_doubles(double *values, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}
static inline int charnn_mpi_max_doubles(double *values, int count) {
    return MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
}
/// The smallest and largest of one 64-bit value over ranks.
static inline int charnn_mpi_min_max_u64(uint64_t value, uint64_t *smallest, uint64_t *largest) {
    int status = MPI_Allreduce(&value, smallest, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    if (status != MPI_SUCCESS) return status;
    return MPI_Allreduce(&value, largest, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
}
