// The dense peer: what an emulation user runs today, an fp32 GEMM on the dequantized weights
// (Eigen). Compiled with AVX2 + FMA on x86-64 (see CMakeLists.txt) so that the peer is not held
// back by the SSE2 baseline; microscale_bench refuses to run on CPUs without them.
#include <Eigen/Core>

#include "harness.hpp"

namespace microscale::bench {

void register_dense_peer() {
    const plan& p = current_plan();
    for (const shape s : p.shapes)
        for (const std::int64_t m : p.batch)
            for (const int t : p.threads)
                benchmark::RegisterBenchmark(config_name("dense_eigen_fp32", s, m, t, false).c_str(),
                                             [s, m, t](benchmark::State& state) {
                                                 using row_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
                                                 const auto w = random_weight(s.n, s.k, 1);
                                                 const Eigen::Map<const row_matrix> weights(w.data(), s.n, s.k);
                                                 const row_matrix x = row_matrix::Random(m, s.k);
                                                 row_matrix y(m, s.n);
                                                 Eigen::setNbThreads(t);
                                                 for (auto _ : state) {
                                                     y.noalias() = x * weights.transpose();
                                                     benchmark::DoNotOptimize(y.data());
                                                 }
                                                 state.counters["flop"] = 2.0 * static_cast<double>(m * s.n * s.k);
                                             })
                    ->Unit(benchmark::kMillisecond)
                    ->UseRealTime();
}

}  // namespace microscale::bench
