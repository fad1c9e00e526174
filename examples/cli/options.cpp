#include "options.hpp"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "commands.hpp"
#include "microscale/detail/text.hpp"
#include "microscale/detail/threads.hpp"

namespace microscale::cli {

bool parse_options(const std::string& command, const std::vector<std::string>& args, po::options_description& options, po::variables_map& values,
                   const po::positional_options_description* positional) {
    options.add_options()("help,h", "show this help");
    try {
        auto parser = po::command_line_parser(args).options(options);
        if (positional != nullptr) parser.positional(*positional);
        po::store(parser.run(), values);
        if (values.count("help") != 0) {
            std::cout << "usage: microscale " << command << " [options]\n" << options << "\n";
            return false;
        }
        po::notify(values);
    } catch (const po::error& e) {
        throw usage_error(std::string(e.what()) + " (see microscale " + command + " --help)");
    }
    return true;
}

int thread_option(const po::variables_map& values) {
    const int requested = values["threads"].as<int>();
    if (requested < 0) throw usage_error(detail::cat("--threads ", requested, " is negative (0: OpenMP's default, N > 0: N threads)"));
    const int limit = detail::thread_limit();
    if (requested > limit) {
        std::cerr << "warning: --threads " << requested << " is more than the " << limit << " processor(s) here; using " << limit << "\n";
    } else if (requested == 0) {
        const char* env = std::getenv("OMP_NUM_THREADS");
        if (env != nullptr && detail::thread_count(0) < std::atoll(env))
            std::cerr << "warning: OMP_NUM_THREADS=" << env << " is more than the " << limit << " processor(s) here; using " << limit << "\n";
    }
    return requested;
}

void drop_invalid_omp_num_threads() {
    const char* env = std::getenv("OMP_NUM_THREADS");
    if (env == nullptr) return;
    const std::string value(env);
    bool valid = !value.empty();
    for (std::size_t begin = 0; valid && begin <= value.size();) {
        const std::size_t end = std::min(value.find(',', begin), value.size());
        const std::string item = value.substr(begin, end - begin);
        valid = !item.empty() && item.find_first_not_of("0123456789") == std::string::npos && item.find_first_not_of('0') != std::string::npos;
        begin = end + 1;
    }
    if (valid) return;
    std::cerr << "warning: OMP_NUM_THREADS=" << value << " is not a list of positive thread counts; ignored\n";
    ::unsetenv("OMP_NUM_THREADS");
}

std::int64_t positive_option(const po::variables_map& values, const std::string& name) {
    const std::int64_t v = values[name].as<std::int64_t>();
    if (v <= 0) throw usage_error(detail::cat("--", name, " must be positive, got ", v));
    return v;
}

}  // namespace microscale::cli
