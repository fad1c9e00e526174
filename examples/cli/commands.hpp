// The sub-commands of the `microscale` tool.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace microscale::cli {

/// Bad command-line usage (exit status 2, message printed without "error:").
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct command {
    std::string name;
    std::string summary;
    std::function<int(const std::vector<std::string>&)> run;
};

const std::vector<command>& commands();

int run_demo(const std::vector<std::string>& args);
int run_list(const std::vector<std::string>& args);
int run_quantize(const std::vector<std::string>& args);
int run_qdq(const std::vector<std::string>& args);
int run_check(const std::vector<std::string>& args);
int run_bench(const std::vector<std::string>& args);
int run_inspect(const std::vector<std::string>& args);
int run_run(const std::vector<std::string>& args);
int run_version(const std::vector<std::string>& args);

}  // namespace microscale::cli
