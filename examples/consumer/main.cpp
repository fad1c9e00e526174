// Uses the installed package: headers and the compiled kernels library.
#include <microscale/library.hpp>
#include <microscale/microscale.hpp>

#include <cstdio>
#include <string>

int main() {
    const std::string headers(microscale::version_string);
    const std::string library(microscale::compiled_version());
    std::printf("consumer: microscale headers %s, library %s\n", headers.c_str(), library.c_str());
    return headers == library ? 0 : 1;
}
