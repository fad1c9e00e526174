// `microscale`: the command-line tool. Each sub-command lives in its own file beside this one
// (check.cpp, run.cpp, ...), listed in commands.cpp.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "options.hpp"

namespace {

void print_usage(std::ostream& out) {
    out << "usage: microscale <command> [options]    (microscale <command> --help for its options)\n\n"
           "commands:\n";
    for (const auto& command : microscale::cli::commands()) {
        out << "  " << command.name;
        for (std::size_t pad = command.name.size(); pad < 10; ++pad) out << ' ';
        out << command.summary << "\n";
    }
}

}  // namespace

int main(int argc, char** argv) {
    microscale::cli::drop_invalid_omp_num_threads();
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" || std::string(argv[1]) == "help") {
        print_usage(argc < 2 ? std::cerr : std::cout);
        return argc < 2 ? 2 : 0;
    }
    const std::string name = argv[1];
    const std::vector<std::string> args(argv + 2, argv + argc);
    for (const auto& command : microscale::cli::commands()) {
        if (command.name != name) continue;
        try {
            return command.run(args);
        } catch (const microscale::cli::usage_error& e) {
            std::cerr << "microscale " << name << ": " << e.what() << "\n";
            return 2;
        } catch (const std::exception& e) {
            std::cerr << "microscale " << name << ": error: " << e.what() << "\n";
            return 1;
        }
    }
    std::cerr << "microscale: unknown command '" << name << "'\n\n";
    print_usage(std::cerr);
    return 2;
}
