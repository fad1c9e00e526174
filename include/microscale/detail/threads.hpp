// Thread counts and the row loops the kernels share: OpenMP when it is enabled, a plain loop otherwise.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace microscale::detail {

/// The most threads a kernel runs with: the processors this process may use. A request above it
/// (a `threads` option or OMP_NUM_THREADS) is clamped to it, never handed to OpenMP as is: libgomp
/// cannot create tens of thousands of threads and crashes trying.
inline int thread_limit() noexcept {
#if defined(_OPENMP)
    return std::max(1, omp_get_num_procs());
#else
    return 1;
#endif
}

/// The thread count a call runs with: `requested` (> 0), or OpenMP's default (OMP_NUM_THREADS,
/// else every processor) when it is 0; clamped to [1, thread_limit()].
inline int thread_count(int requested) noexcept {
#if defined(_OPENMP)
    const int wanted = requested > 0 ? requested : omp_get_max_threads();
    return std::clamp(wanted, 1, thread_limit());
#else
    (void)requested;
    return 1;
#endif
}

/// A thread count option must be 0 (the default) or positive.
inline void check_thread_option(int requested, std::string_view who) {
    if (requested < 0)
        throw std::invalid_argument(std::string(who) + ": threads = " + std::to_string(requested) +
                                    " is negative (0 means OpenMP's default, N > 0 asks for N threads)");
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
