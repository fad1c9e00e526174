#include "commands.hpp"

namespace microscale::cli {

const std::vector<command>& commands() {
    static const std::vector<command> table = {
        {"demo", "show the element codecs at work (the README's first command)", run_demo},
        {"version", "print the library version", run_version},
    };
    return table;
}

}  // namespace microscale::cli
