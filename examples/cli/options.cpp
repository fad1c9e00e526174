#include "options.hpp"

#include <iostream>

#include "commands.hpp"

namespace microscale::cli {

bool parse_options(const std::string& command, const std::vector<std::string>& args,
                   po::options_description& options, po::variables_map& values,
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

}  // namespace microscale::cli
