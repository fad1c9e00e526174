// Thread counts and the row loops the kernels share: OpenMP when it is enabled, a plain loop otherwise.
#pragma once

#include <cstdint>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace microscale::detail {

/// The caller's thread count, or OpenMP's default (OMP_NUM_THREADS) when it asks for 0.
inline int thread_count(int requested) noexcept {
#if defined(_OPENMP)
    return requested > 0 ? requested : omp_get_max_threads();
#else
    (void)requested;
    return 1;
#endif
}

/// f(r) for r in [0, rows), split statically over `threads` when the rows hold at least
/// `min_elements` elements in all (smaller loops are not worth waking the threads for). Every row
/// is computed the same way whichever thread runs it.
template <class F>
void parallel_rows(std::int64_t rows, std::int64_t elements_per_row, int threads, F&& f, std::int64_t min_elements = 16384) {
#if defined(_OPENMP)
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && rows > 1 && rows * elements_per_row >= min_elements)
#endif
    for (std::int64_t r = 0; r < rows; ++r) f(r);
    (void)threads;
    (void)elements_per_row;
    (void)min_elements;
}

}  // namespace microscale::detail
