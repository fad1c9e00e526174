// microscale_bench: Google Benchmark over every enabled kernel of the manifest, the probes and the
// dense peer, followed by the table of same-run ratios. `--quick` measures a small subset;
// `--json=FILE` also writes the table as JSON; other flags go to Google Benchmark.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "harness.hpp"
#include "microscale/backend/simd/isa.hpp"

int main(int argc, char** argv) {
#if defined(__x86_64__)
    if (!microscale::backend::simd_isa::missing_features(microscale::backend::simd_isa::isa::avx2).empty()) {
        std::fprintf(stderr, "microscale_bench needs AVX2 + FMA (its dense fp32 peer is compiled for them)\n");
        return 2;
    }
#endif
    std::string json;
    std::vector<char*> args{argv[0]};
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) {
            microscale::bench::current_plan() = microscale::bench::plan::quick();
        } else if (std::strncmp(argv[i], "--json=", 7) == 0) {
            json = argv[i] + 7;
        } else {
            args.push_back(argv[i]);
        }
    }
    microscale::bench::register_generated_kernels();
    microscale::bench::register_probes_and_peers();
    int n = static_cast<int>(args.size());
    return microscale::bench::run_and_report(n, args.data(), json);
}
