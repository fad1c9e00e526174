#include <iostream>

#include "commands.hpp"
#include "microscale/library.hpp"
#include "options.hpp"

namespace microscale::cli {

int run_version(const std::vector<std::string>& args) {
    po::options_description options("version");
    po::variables_map values;
    if (!parse_options("version", args, options, values)) return 0;
    std::cout << "microscale " << version_string << " (library " << compiled_version() << ")\n";
    return 0;
}

}  // namespace microscale::cli
