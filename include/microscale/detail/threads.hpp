// Thread counts and the one threading rule of every kernel loop: OpenMP when it is enabled, plain
// loops otherwise (the results are the same bits either way).
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

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

// ---- the one threading rule ----------------------------------------------------------------------
//
// Every parallel loop of the library is a parallel_rows: its iterations are split statically over
// `threads` (OpenMP `schedule(static)`) when there is more than one thread and more than one
// iteration and the whole loop does at least parallel_min_work units of work (a unit: one element
// converted, or one multiply-add); smaller loops run on the calling thread, as they are not worth
// waking the threads for. An iteration computes the same bits whichever thread runs it and however
// many there are, so results never depend on the thread count. Per-thread scratch is indexed by
// thread_index().

/// The least work (elements converted or multiply-adds) a loop does before it runs on threads.
inline constexpr std::int64_t parallel_min_work = std::int64_t{1} << 16;

/// f(r) for r in [0, rows), each iteration `work_per_row` units of work, under the threading rule.
template <class F>
void parallel_rows(std::int64_t rows, std::int64_t work_per_row, int threads, F&& f) {
#if defined(_OPENMP)
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && rows > 1 && rows * work_per_row >= parallel_min_work)
#endif
    for (std::int64_t r = 0; r < rows; ++r) f(r);
    (void)threads;
    (void)work_per_row;
}

/// Which thread of the enclosing parallel_rows runs the caller: 0 .. threads - 1 (0 outside one).
/// Kernels index their per-thread scratch with it.
inline int thread_index() noexcept {
#if defined(_OPENMP)
    return omp_get_thread_num();
#else
    return 0;
#endif
}

}  // namespace microscale::detail
