// `microscale bench [--json FILE] [--filter GLOB] [--quick]`: runs microscale_bench (the Google
// Benchmark binary built beside this tool) and prints its table of same-run ratios. The benchmark
// binary is separate because its dense peer is compiled for AVX2 + FMA, which this tool must not
// require.
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "options.hpp"

namespace microscale::cli {

namespace {

std::filesystem::path find_bench_binary() {
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe");
    for (const auto& candidate : {self.parent_path() / "microscale_bench", self.parent_path() / ".." / ".." / "bench" / "microscale_bench"}) {
        if (std::filesystem::exists(candidate)) return candidate;
    }
    throw std::runtime_error("microscale_bench not found beside " + self.string() +
                             " (configure with -DMICROSCALE_BUILD_BENCH=ON and build the microscale_bench target)");
}

/// fnmatch-style glob -> ECMAScript regex (for --benchmark_filter).
std::string glob_to_regex(const std::string& glob) {
    std::string out;
    for (const char c : glob) {
        if (c == '*') out += ".*";
        else if (c == '?') out += '.';
        else if (std::string("\\^$.|+()[]{}").find(c) != std::string::npos) (out += '\\') += c;
        else out += c;
    }
    return out;
}

}  // namespace

int run_bench(const std::vector<std::string>& args) {
    po::options_description options("bench");
    options.add_options()("json", po::value<std::string>(), "also write the table as JSON to this file")(
        "filter", po::value<std::string>(), "kernel-name glob (e.g. 'w_mxfp4*.simd'); probes, the dense peer and the "
                                            "emulation siblings of the chosen simd kernels always run")(
        "quick", "a small subset: 4096x4096, M = 1 and 512")(
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
        argv_strings.push_back("--benchmark_filter=^(probe|dense_eigen_fp32)/|^(" + glob_to_regex(glob) + ")/|^(" +
                               glob_to_regex(emulation) + ")/");
    }
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::cout.flush();
    ::execv(argv[0], argv.data());
    throw std::runtime_error("cannot run " + argv_strings[0]);
}

}  // namespace microscale::cli
