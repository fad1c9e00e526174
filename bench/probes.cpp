#include "probes.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <emmintrin.h>
#endif
#if defined(_OPENMP)
#include <omp.h>
#endif

#include "microscale/backend/simd/isa.hpp"
#include "microscale/detail/aligned_buffer.hpp"

namespace microscale::bench {

namespace {
std::atomic<std::uint64_t> benchmark_sink{0};
}

// defined in probes_avx512.cpp (x86-64 builds)
double avx512_peak(peak_kind k, int threads);

void evict(const void* data, std::size_t bytes) {
#if defined(__x86_64__) || defined(__i386__)
    const auto* p = static_cast<const char*>(data);
    for (std::size_t i = 0; i < bytes; i += 64) _mm_clflush(p + i);
    _mm_mfence();
#else
    // no portable flush: stream through a buffer larger than the last-level cache
    static std::vector<char> big(512u << 20, 1);
    std::uint64_t sink = 0;
    for (std::size_t i = 0; i < big.size(); i += 64) sink += static_cast<std::uint64_t>(big[i]);
    benchmark_sink.store(sink, std::memory_order_relaxed);
    (void)data;
    (void)bytes;
#endif
}

double read_bandwidth(std::size_t bytes, int threads, bool cold) {
    detail::aligned_buffer<std::uint64_t> buffer;
    const std::size_t words = bytes / 8;
    std::uint64_t* data = buffer.reserve(words);
    for (std::size_t i = 0; i < words; ++i) data[i] = i * 0x9E3779B97F4A7C15ull;
    std::uint64_t sink = 0;
    double best = 1e30;
    const int passes = cold ? 7 : 15;
    for (int pass = 0; pass < passes; ++pass) {
        if (cold) evict(data, words * 8);
        const auto start = std::chrono::steady_clock::now();
#if defined(_OPENMP)
#pragma omp parallel num_threads(threads) reduction(^ : sink)
#endif
        {
#if defined(_OPENMP)
            const std::size_t t = static_cast<std::size_t>(omp_get_thread_num()), n = static_cast<std::size_t>(omp_get_num_threads());
#else
            const std::size_t t = 0, n = 1;
#endif
            const std::size_t begin = words / n * t, end = t + 1 == n ? words : words / n * (t + 1);
            std::uint64_t a = 0, b = 0, c = 0, d = 0;
            std::size_t i = begin;
            for (; i + 4 <= end; i += 4) {
                a ^= data[i];
                b ^= data[i + 1];
                c ^= data[i + 2];
                d ^= data[i + 3];
            }
            for (; i < end; ++i) a ^= data[i];
            sink ^= a ^ b ^ c ^ d;
        }
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    benchmark_sink.store(sink, std::memory_order_relaxed);  // keeps the reads alive
    return static_cast<double>(words * 8) / best;
}

std::string peak_name(peak_kind k) {
    switch (k) {
        case peak_kind::int8_dot:
            return "int8 dot (vpdpbusd)";
        case peak_kind::int16_dot:
            return "int16 dot (vpdpwssd)";
        case peak_kind::bf16_dot:
            return "bf16 dot (vdpbf16ps)";
        case peak_kind::fp32_fma:
            return "fp32 FMA (vfmadd)";
    }
    return "?";
}

double instruction_peak(peak_kind k, int threads) {
#if defined(__x86_64__)
    namespace si = backend::simd_isa;
    const auto& f = si::cpu();
    const bool avx512 = f.avx512f && f.os_zmm;
    if (!avx512) return 0.0;
    if ((k == peak_kind::int8_dot || k == peak_kind::int16_dot) && !f.avx512vnni) return 0.0;
    if (k == peak_kind::bf16_dot && !f.avx512bf16) return 0.0;
    return avx512_peak(k, threads);
#else
    (void)k;
    (void)threads;
    return 0.0;
#endif
}

}  // namespace microscale::bench
