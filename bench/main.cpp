// microscale_bench: Google Benchmark over every enabled kernel of the manifest.
#include <benchmark/benchmark.h>

#include "harness.hpp"

int main(int argc, char** argv) {
    microscale::bench::register_generated_kernels();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
