// Benchmark harness: how one kernel of the manifest is benchmarked. The generated
// kernel_benchmarks.cpp calls register_linear_kernel<K>() once per enabled kernel.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "microscale/format/quantizer.hpp"
#include "microscale/generated/kernel_declarations.hpp"

namespace microscale::bench {

struct linear_problem {
    std::int64_t m, n, k;
};

inline const std::vector<linear_problem>& linear_problems() {
    static const std::vector<linear_problem> problems = {
        {1, 4096, 4096}, {8, 4096, 4096}, {128, 4096, 4096}, {1, 14336, 4096}};
    return problems;
}

/// Deterministic weight with realistic statistics: normal(0, 0.02) plus rare outliers.
inline std::vector<float> random_weight(std::int64_t n, std::int64_t k, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
    std::vector<float> w(static_cast<std::size_t>(n * k));
    for (auto& v : w) v = normal(rng) * (uniform(rng) < 0.001f ? 20.0f : 1.0f);
    return w;
}

template <class Kernel>
void register_linear_kernel() {
    using F = typename Kernel::format_type;
    for (const linear_problem problem : linear_problems()) {
        const std::string name = std::string(Kernel::name) + "/M=" + std::to_string(problem.m) +
                                 "/N=" + std::to_string(problem.n) + "/K=" + std::to_string(problem.k);
        benchmark::RegisterBenchmark(name.c_str(), [problem](benchmark::State& state) {
            const auto w = random_weight(problem.n, problem.k, 1);
            quantized_weight q = format::quantize_weight<F>(w, problem.n, problem.k);
            q.input_scale = 0.5f / 2688.0f;
            const auto prepared = Kernel::prepare(q);
            std::vector<std::uint16_t> x(static_cast<std::size_t>(problem.m * problem.k), 0x3C00);
            std::vector<std::uint16_t> y(static_cast<std::size_t>(problem.m * problem.n));
            const const_matrix_view xv{x.data(), dtype::bf16, problem.m, problem.k};
            const matrix_view yv{y.data(), dtype::bf16, problem.m, problem.n};
            for (auto _ : state) {
                Kernel::apply(prepared, xv, yv);
                benchmark::DoNotOptimize(y.data());
            }
            state.counters["GFLOP/s"] = benchmark::Counter(
                2.0 * static_cast<double>(problem.m * problem.n * problem.k) * 1e-9,
                benchmark::Counter::kIsIterationInvariantRate);
        })->Unit(benchmark::kMillisecond);
    }
}

void register_generated_kernels();

}  // namespace microscale::bench
