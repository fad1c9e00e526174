#include "commands.hpp"

namespace microscale::cli {

const std::vector<command>& commands() {
    static const std::vector<command> table = {
        {"demo", "show the element codecs at work (the README's first command)", run_demo},
        {"list", "schemes, aliases and kernels; which one this machine selects and why", run_list},
        {"quantize", "quantize a safetensors checkpoint into a scheme (ModelOpt / Quark layout)", run_quantize},
        {"qdq", "quantize-dequantize activations x the way a scheme does", run_qdq},
        {"check", "run one kernel on random or given data against an fp64 reference", run_check},
        {"inspect", "a checkpoint's scheme, modules, kernels and sizes", run_inspect},
        {"run", "run one layer of a checkpoint on x from a safetensors file", run_run},
        {"bench", "benchmark the kernels against same-run probes, emulation and a dense peer", run_bench},
        {"version", "print the library version", run_version},
    };
    return table;
}

}  // namespace microscale::cli
