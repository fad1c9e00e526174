// Benchmark harness: what each kernel of the manifest is measured on, the probes and the dense
// peer measured in the same run, and the table of ratios (bench/table.cpp). The generated
// kernel_benchmarks.cpp calls register_linear_kernel<K>() once per enabled kernel.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "microscale/format/quantizer.hpp"
#include "microscale/generated/kernel_declarations.hpp"
#include "microscale/moe.hpp"
#include "probes.hpp"

namespace microscale::bench {

struct shape {
    std::int64_t n, k;
};

/// What gets measured. `full()`: the matrix; `quick()`: enough for a smoke run.
struct plan {
    std::vector<shape> shapes;
    std::vector<std::int64_t> batch;  ///< M values
    std::vector<int> threads;
    std::vector<std::int64_t> cold_batch;       ///< M values also measured with weights evicted
    std::vector<std::int64_t> emulation_batch;  ///< M values the emulation kernels run at (first shape, max threads)
    static plan full();
    static plan quick();
};
plan& current_plan();

/// Deterministic weight with realistic statistics: normal(0, 0.02) plus rare outliers.
std::vector<float> random_weight(std::int64_t n, std::int64_t k, std::uint32_t seed);
/// bf16 activations: normal(0, 1) with rare large values.
std::vector<std::uint16_t> random_activations(std::int64_t m, std::int64_t k, std::uint32_t seed);

/// The bytes a checkpoint stores for this weight (codes, scales, global scale).
std::uint64_t checkpoint_bytes(const quantized_weight& q);

std::string config_name(std::string_view kernel, shape s, std::int64_t m, int threads, bool cold);

template <class Prepared>
void evict_prepared(const Prepared& p) {
    if constexpr (requires { p.weights.codes; }) {  // simd
        evict(p.weights.codes.data(), p.weights.codes.capacity());
        evict(p.weights.factors.data(), p.weights.factors.capacity() * sizeof(float));
        evict(p.weights.corrections.data(), p.weights.corrections.capacity() * sizeof(std::int32_t));
    } else {  // emulation
        evict(p.codes.data(), p.codes.size());
        evict(p.scales.data(), p.scales.size());
    }
}

template <class Kernel>
void register_config(shape s, std::int64_t m, int threads, bool cold) {
    using F = typename Kernel::format_type;
    benchmark::RegisterBenchmark(config_name(Kernel::name, s, m, threads, cold).c_str(),
                                 [s, m, threads, cold](benchmark::State& state) {
                                     quantized_weight q = format::quantize_weight<F>(random_weight(s.n, s.k, 1), s.n, s.k);
                                     q.input_scale = 4.0f / 2688.0f;
                                     const auto prepared = Kernel::prepare(q);
                                     const auto x = random_activations(m, s.k, 2);
                                     std::vector<std::uint16_t> y(static_cast<std::size_t>(m * s.n));
                                     const const_matrix_view xv{x.data(), dtype::bf16, m, s.k};
                                     const matrix_view yv{y.data(), dtype::bf16, m, s.n};
                                     apply_options options;
                                     options.threads = threads;
                                     Kernel::apply(prepared, xv, yv, nullptr, options);  // warm-up: scratch buffers, thread pool
                                     for (auto _ : state) {
                                         if (cold) {
                                             state.PauseTiming();
                                             evict_prepared(prepared);
                                             state.ResumeTiming();
                                         }
                                         Kernel::apply(prepared, xv, yv, nullptr, options);
                                         benchmark::DoNotOptimize(y.data());
                                     }
                                     state.counters["weight_bytes"] = static_cast<double>(checkpoint_bytes(q));
                                     state.counters["flop"] = 2.0 * static_cast<double>(m * s.n * s.k);
                                 })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
}

template <class Kernel>
void register_linear_kernel() {
    const plan& p = current_plan();
    if constexpr (std::is_same_v<typename Kernel::backend_type, backend::cuda>) {
        return;  // GPU kernels have their own benchmark, against GPU probes (bench/gpu)
    } else if constexpr (std::is_same_v<typename Kernel::backend_type, backend::emulation>) {
        // the reference is slow by design: measured where the ratio to simd is reported
        for (const std::int64_t m : p.emulation_batch) register_config<Kernel>(p.shapes.front(), m, p.threads.back(), false);
    } else {
        for (const shape s : p.shapes)
            for (const std::int64_t m : p.batch)
                for (const int t : p.threads) {
                    register_config<Kernel>(s, m, t, false);
                    if (std::find(p.cold_batch.begin(), p.cold_batch.end(), m) != p.cold_batch.end()) register_config<Kernel>(s, m, t, true);
                }
    }
}

/// Deterministic routing: k distinct experts per token, softmax-like weights.
void random_routing(std::int64_t tokens, std::int64_t experts, std::int64_t top_k, std::vector<std::int32_t>& ids, std::vector<float>& weights,
                    std::uint32_t seed);

/// MoE: E = 8, k = 2, K = 2048, I = 1024; T = 1 and 128 (the shape), 1 and 2 threads.
template <class Kernel>
void register_moe_kernel() {
    using F = typename Kernel::format_type;
    const plan& p = current_plan();
    constexpr std::int64_t experts = 8, top_k = 2, hidden = 2048, inter = 1024;
    const bool emulation = std::is_same_v<typename Kernel::backend_type, backend::emulation>;
    for (const std::int64_t tokens : {std::int64_t{1}, std::int64_t{128}})
        for (const int threads : p.threads) {
            if (emulation && threads != p.threads.back()) continue;
            benchmark::RegisterBenchmark(
                config_name(Kernel::name, {inter, hidden}, tokens, threads, false).c_str(),
                [=](benchmark::State& state) {
                    moe_weights w;
                    w.format = std::string(F::name);
                    w.experts = experts;
                    w.hidden = hidden;
                    w.intermediate = inter;
                    std::uint64_t bytes_per_expert = 0;
                    for (std::int64_t e = 0; e < experts; ++e) {
                        quantized_weight a =
                            format::quantize_weight<F>(random_weight(2 * inter, hidden, static_cast<std::uint32_t>(10 + e)), 2 * inter, hidden);
                        quantized_weight b =
                            format::quantize_weight<F>(random_weight(hidden, inter, static_cast<std::uint32_t>(50 + e)), hidden, inter);
                        a.input_scale = b.input_scale = 4.0f / 2688.0f;
                        bytes_per_expert = checkpoint_bytes(a) + checkpoint_bytes(b);
                        w.w13.push_back(std::move(a));
                        w.w2.push_back(std::move(b));
                    }
                    const auto prepared = Kernel::prepare(std::move(w));
                    std::vector<std::int32_t> ids;
                    std::vector<float> weights;
                    random_routing(tokens, experts, top_k, ids, weights, 3);
                    std::vector<bool> used(experts, false);
                    for (const auto id : ids) used[static_cast<std::size_t>(id)] = true;
                    const auto x = random_activations(tokens, hidden, 2);
                    std::vector<std::uint16_t> y(static_cast<std::size_t>(tokens * hidden));
                    moe_options options;
                    options.threads = threads;
                    const const_matrix_view xv{x.data(), dtype::bf16, tokens, hidden};
                    const matrix_view yv{y.data(), dtype::bf16, tokens, hidden};
                    Kernel::apply(prepared, xv, ids, weights, top_k, yv, options);
                    for (auto _ : state) {
                        Kernel::apply(prepared, xv, ids, weights, top_k, yv, options);
                        benchmark::DoNotOptimize(y.data());
                    }
                    state.counters["weight_bytes"] =
                        static_cast<double>(bytes_per_expert * static_cast<std::uint64_t>(std::count(used.begin(), used.end(), true)));
                    state.counters["flop"] = 2.0 * static_cast<double>(tokens * top_k * 3 * inter * hidden);
                })
                ->Unit(benchmark::kMillisecond)
                ->UseRealTime();
        }
}

void register_generated_kernels();
/// The dense peer: Eigen fp32 GEMM on the dequantized weights (bench/dense_peer.cpp).
void register_dense_peer();
/// Read-bandwidth probes at every weight size the kernels use, instruction peaks, dense peer.
void register_probes_and_peers();

/// Runs the registered benchmarks (Google Benchmark flags in argv), prints the table of ratios,
/// writes JSON if `json_path` is not empty. Returns a process exit status.
int run_and_report(int argc, char** argv, const std::string& json_path);

}  // namespace microscale::bench
