// `microscale bench [--json FILE] [--filter GLOB] [--quick]`: runs microscale_bench (the Google
// Benchmark binary built with this tool) and prints its table of same-run ratios. The benchmark
// binary is separate because its dense peer is compiled for AVX2 + FMA, which this tool must not
// require. It is, in this order: $MICROSCALE_BENCH; the build tree's; the installed one (both
// recorded at configure time, examples/cli/CMakeLists.txt); microscale_bench on PATH.
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "microscale/detail/glob.hpp"
#include "options.hpp"

namespace microscale::cli {

namespace {

std::filesystem::path find_bench_binary() {
    if (const char* forced = std::getenv("MICROSCALE_BENCH"); forced != nullptr && *forced != '\0') {
        if (!std::filesystem::exists(forced)) throw std::runtime_error(std::string("MICROSCALE_BENCH=") + forced + ": no such file");
        return forced;
    }
    std::vector<std::filesystem::path> candidates;
#if defined(MICROSCALE_BENCH_BUILD_PATH) && defined(MICROSCALE_BENCH_INSTALL_PATH)
    candidates = {MICROSCALE_BENCH_BUILD_PATH, MICROSCALE_BENCH_INSTALL_PATH};
#endif
    if (const char* path = std::getenv("PATH"); path != nullptr) {
        for (std::string_view rest = path; !rest.empty();) {
            const std::string_view dir = rest.substr(0, rest.find(':'));
            if (!dir.empty()) candidates.push_back(std::filesystem::path(dir) / "microscale_bench");
            rest.remove_prefix(std::min(rest.size(), dir.size() + 1));
        }
    }
    for (const auto& candidate : candidates)
        if (std::filesystem::is_regular_file(candidate)) return candidate;
    throw std::runtime_error(
        "microscale_bench not found (configure with -DMICROSCALE_BUILD_BENCH=ON and build the "
        "microscale_bench target, or set MICROSCALE_BENCH to its path)");
}

}  // namespace

int run_bench(const std::vector<std::string>& args) {
    po::options_description options("bench");
    options.add_options()("json", po::value<std::string>(), "also write the table as JSON to this file")(
        "filter", po::value<std::string>(),
        "kernel-name glob (e.g. 'w_mxfp4*.simd'); probes, the dense peer and the "
        "emulation siblings of the chosen simd kernels always run")("quick", "a small subset: 4096x4096, M = 1 and 512")(
        "min-time", po::value<double>()->default_value(0.2, "0.2"), "seconds per benchmark (Google Benchmark min time)");
    po::variables_map values;
    if (!parse_options("bench", args, options, values)) return 0;

    std::vector<std::string> argv_strings = {find_bench_binary().string()};
    if (values.count("quick")) argv_strings.emplace_back("--quick");
    if (values.count("json")) argv_strings.push_back("--json=" + values["json"].as<std::string>());
    argv_strings.push_back("--benchmark_min_time=" + std::to_string(values["min-time"].as<double>()));
    if (values.count("filter")) {
        const std::string glob = values["filter"].as<std::string>();
        std::string emulation = glob;
        if (const auto at = emulation.rfind("simd"); at != std::string::npos) emulation.replace(at, 4, "emulation");
        argv_strings.push_back("--benchmark_filter=^(probe|dense_eigen_fp32)/|^(" + detail::glob_to_regex(glob) + ")/|^(" +
                               detail::glob_to_regex(emulation) + ")/");
    }
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::cout.flush();
    ::execv(argv[0], argv.data());
    throw std::runtime_error("cannot run " + argv_strings[0]);
}

}  // namespace microscale::cli
