// Boost.program_options glue shared by the sub-commands.
#pragma once

#include <boost/program_options.hpp>
#include <string>
#include <vector>

namespace microscale::cli {

namespace po = boost::program_options;

/// Parses `args` against `options`; prints help and returns false on --help; throws usage_error
/// on bad usage (unknown option, missing value, missing required option).
bool parse_options(const std::string& command, const std::vector<std::string>& args,
                   po::options_description& options, po::variables_map& values,
                   const po::positional_options_description* positional = nullptr);

}  // namespace microscale::cli
