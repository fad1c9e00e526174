#include "harness.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "microscale/detail/sample_data.hpp"
#include "microscale/detail/text.hpp"

namespace microscale::bench {

plan plan::full() { return {{{4096, 4096}, {14336, 4096}}, {1, 8, 128, 512}, {1, 2}, {1, 8}, {1, 128}}; }
plan plan::quick() { return {{{4096, 4096}}, {1, 512}, {1, 2}, {1}, {1}}; }

plan& current_plan() {
    static plan p = plan::full();
    return p;
}

std::vector<float> random_weight(std::int64_t n, std::int64_t k, std::uint32_t seed) {
    return detail::normal_values(n * k, 0.02f, seed, 1000, 20.0f);
}

std::vector<std::uint16_t> random_activations(std::int64_t m, std::int64_t k, std::uint32_t seed) {
    const std::vector<float> values = detail::normal_values(m * k, 1.0f, seed, 500, 10.0f);
    std::vector<std::uint16_t> x(values.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = numeric::bf16::encode(values[i]);
    return x;
}

void random_routing(std::int64_t tokens, std::int64_t experts, std::int64_t top_k, std::vector<std::int32_t>& ids, std::vector<float>& weights,
                    std::uint32_t seed) {
    std::mt19937 rng(seed);
    ids.clear();
    weights.clear();
    for (std::int64_t t = 0; t < tokens; ++t) {
        std::vector<std::int32_t> order(static_cast<std::size_t>(experts));
        for (std::int64_t e = 0; e < experts; ++e) order[static_cast<std::size_t>(e)] = static_cast<std::int32_t>(e);
        std::shuffle(order.begin(), order.end(), rng);
        float total = 0;
        std::vector<float> raw(static_cast<std::size_t>(top_k));
        for (auto& r : raw) total += (r = std::exp(std::uniform_real_distribution<float>(0.0f, 2.0f)(rng)));
        for (std::int64_t j = 0; j < top_k; ++j) {
            ids.push_back(order[static_cast<std::size_t>(j)]);
            weights.push_back(raw[static_cast<std::size_t>(j)] / total);
        }
    }
}

std::uint64_t checkpoint_bytes(const quantized_weight& q) { return q.codes.size() + q.scales.size() + (q.format == "nvfp4" ? 4 : 0); }

std::string config_name(std::string_view kernel, shape s, std::int64_t m, int threads, bool cold) {
    return detail::cat(kernel, "/N=", s.n, "/K=", s.k, "/M=", m, "/threads=", threads, cold ? "/cold" : "/hot");
}

void register_probes_and_peers() {
    const plan& p = current_plan();
    // bandwidth at every size a kernel's weights take (formats differ in bits and scale bytes)
    std::set<std::uint64_t> sizes;
    for (const shape s : p.shapes) {
        for (const double bits : {4.0 + 8.0 / 16, 4.0 + 8.0 / 32, 6.0 + 8.0 / 32}) {
            sizes.insert(static_cast<std::uint64_t>(static_cast<double>(s.n * s.k) * bits / 8.0));
        }
    }
    for (const std::uint64_t bytes : sizes)
        for (const int t : p.threads)
            for (const bool cold : {false, true}) {
                benchmark::RegisterBenchmark(detail::cat("probe/read/bytes=", bytes, "/threads=", t, cold ? "/cold" : "/hot").c_str(),
                                             [bytes, t, cold](benchmark::State& state) {
                                                 double bps = 0;
                                                 for (auto _ : state) bps = read_bandwidth(bytes, t, cold);
                                                 state.counters["bytes_per_second"] = bps;
                                             })
                    ->Iterations(1)
                    ->Unit(benchmark::kMillisecond);
            }
    for (const peak_kind k : {peak_kind::int8_dot, peak_kind::int16_dot, peak_kind::bf16_dot, peak_kind::fp32_fma})
        for (const int t : p.threads)
            benchmark::RegisterBenchmark(detail::cat("probe/peak/", static_cast<int>(k), "/threads=", t).c_str(),
                                         [k, t](benchmark::State& state) {
                                             double ops = 0;
                                             for (auto _ : state) ops = instruction_peak(k, t);
                                             state.counters["ops_per_second"] = ops;
                                         })
                ->Iterations(1)
                ->Unit(benchmark::kMillisecond);
    register_dense_peer();
}

}  // namespace microscale::bench
