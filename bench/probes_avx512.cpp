// Instruction peaks, measured: 16 independent accumulators per thread, one instruction each per
// iteration, written in assembly so the compiler adds nothing (compiled with AVX-512 flags, only
// called after cpuid says the instructions exist).
#include <algorithm>
#include <chrono>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "probes.hpp"

namespace microscale::bench {

namespace {

#define MICROSCALE_PEAK_BODY(op)                                                                                                              \
    asm volatile(op " %%zmm30, %%zmm31, %%zmm0\n\t" op " %%zmm30, %%zmm31, %%zmm1\n\t" op " %%zmm30, %%zmm31, %%zmm2\n\t" op                  \
                    " %%zmm30, %%zmm31, %%zmm3\n\t" op " %%zmm30, %%zmm31, %%zmm4\n\t" op " %%zmm30, %%zmm31, %%zmm5\n\t" op                  \
                    " %%zmm30, %%zmm31, %%zmm6\n\t" op " %%zmm30, %%zmm31, %%zmm7\n\t" op " %%zmm30, %%zmm31, %%zmm8\n\t" op                  \
                    " %%zmm30, %%zmm31, %%zmm9\n\t" op " %%zmm30, %%zmm31, %%zmm10\n\t" op " %%zmm30, %%zmm31, %%zmm11\n\t" op                \
                    " %%zmm30, %%zmm31, %%zmm12\n\t" op " %%zmm30, %%zmm31, %%zmm13\n\t" op " %%zmm30, %%zmm31, %%zmm14\n\t" op               \
                    " %%zmm30, %%zmm31, %%zmm15\n\t" ::                                                                                       \
                        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", \
                          "xmm14", "xmm15")

// Accumulators start at zero and the operands at small normal values: garbage (denormal) register
// contents would send the floating-point instructions to slow microcode assists.
void initialize_registers() {
    asm volatile(
        "vpxord %%zmm0, %%zmm0, %%zmm0\n\tvpxord %%zmm1, %%zmm1, %%zmm1\n\tvpxord %%zmm2, %%zmm2, %%zmm2\n\t"
        "vpxord %%zmm3, %%zmm3, %%zmm3\n\tvpxord %%zmm4, %%zmm4, %%zmm4\n\tvpxord %%zmm5, %%zmm5, %%zmm5\n\t"
        "vpxord %%zmm6, %%zmm6, %%zmm6\n\tvpxord %%zmm7, %%zmm7, %%zmm7\n\tvpxord %%zmm8, %%zmm8, %%zmm8\n\t"
        "vpxord %%zmm9, %%zmm9, %%zmm9\n\tvpxord %%zmm10, %%zmm10, %%zmm10\n\tvpxord %%zmm11, %%zmm11, %%zmm11\n\t"
        "vpxord %%zmm12, %%zmm12, %%zmm12\n\tvpxord %%zmm13, %%zmm13, %%zmm13\n\tvpxord %%zmm14, %%zmm14, %%zmm14\n\t"
        "vpxord %%zmm15, %%zmm15, %%zmm15\n\t"
        "vpternlogd $0xFF, %%zmm30, %%zmm30, %%zmm30\n\tvpsrld $25, %%zmm30, %%zmm30\n\t"
        "vpslld $23, %%zmm30, %%zmm30\n\tvmovdqa64 %%zmm30, %%zmm31\n\t"  // 0x3F800000: fp32 1.0, bf16 (0, 1.0), small bytes
        ::
            : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
              "xmm30", "xmm31");
}

template <class Body>
double time_loop(Body body, long iterations, int threads) {
    double best = 1e30;
    for (int attempt = 0; attempt < 5; ++attempt) {
        const auto start = std::chrono::steady_clock::now();
#if defined(_OPENMP)
#pragma omp parallel num_threads(threads)
#endif
        {
            initialize_registers();
            for (long i = 0; i < iterations; ++i) body();
        }
        best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    return best;
}

}  // namespace

double avx512_peak(peak_kind k, int threads) {
    const long iterations = 2'000'000;
    double seconds = 0, ops_per_instruction = 0;
    switch (k) {
        case peak_kind::int8_dot:
            seconds = time_loop([] { MICROSCALE_PEAK_BODY("vpdpbusd"); }, iterations, threads);
            ops_per_instruction = 128;  // 64 multiply-adds
            break;
        case peak_kind::int16_dot:
            seconds = time_loop([] { MICROSCALE_PEAK_BODY("vpdpwssd"); }, iterations, threads);
            ops_per_instruction = 64;
            break;
        case peak_kind::bf16_dot:
            seconds = time_loop([] { MICROSCALE_PEAK_BODY("vdpbf16ps"); }, iterations, threads);
            ops_per_instruction = 64;
            break;
        case peak_kind::fp32_fma:
            seconds = time_loop([] { MICROSCALE_PEAK_BODY("vfmadd231ps"); }, iterations, threads);
            ops_per_instruction = 32;
            break;
    }
    return static_cast<double>(iterations) * 16 * ops_per_instruction * threads / seconds;
}

}  // namespace microscale::bench
