#include "commands.hpp"

namespace microscale::cli {

const std::vector<command>& commands() {
    static const std::vector<command> table = {
        {"demo", "export a small bf16 model in every scheme, load it back, compare error and speed", run_demo},
        {"list", "schemes, aliases and kernels; which one this machine selects and why", run_list},
        {"quantize", "quantize a safetensors model into a ModelOpt, compressed-tensors or Quark checkpoint", run_quantize},
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
