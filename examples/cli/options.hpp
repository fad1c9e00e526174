// Boost.program_options glue shared by the sub-commands.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace microscale::cli {

namespace po = boost::program_options;

/// Parses `args` against `options`; prints help and returns false on --help; throws usage_error
/// on bad usage (unknown option, missing value, missing required option).
bool parse_options(const std::string& command, const std::vector<std::string>& args, po::options_description& options, po::variables_map& values,
                   const po::positional_options_description* positional = nullptr);

/// The `--threads` option: 0 (OpenMP's default) or positive; usage_error when negative. A count
/// above the processors there are (asked for, or through OMP_NUM_THREADS) is clamped by the
/// kernels; this says so once, on stderr.
int thread_option(const po::variables_map& values);

/// Drops an OMP_NUM_THREADS that is not a list of positive counts ("abc", "-1", "0"), with a
/// warning, before the OpenMP runtime reads it. libgomp ignores such a value itself, but LLVM's
/// libomp 14 (clang's) leaves its default thread count uninitialised and then aborts ("Out of heap
/// memory") or hangs. Called first thing in main.
void drop_invalid_omp_num_threads();

/// A positive `--NAME` integer option (usage_error naming it otherwise).
std::int64_t positive_option(const po::variables_map& values, const std::string& name);

}  // namespace microscale::cli
