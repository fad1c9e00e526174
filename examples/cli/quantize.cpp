// `microscale quantize --scheme S --input IN.safetensors --output DIR [--exclude GLOB]...`
#include <iostream>

#include "commands.hpp"
#include "microscale/checkpoint/export.hpp"
#include "microscale/registry.hpp"
#include "options.hpp"

namespace microscale::cli {

int run_quantize(const std::vector<std::string>& args) {
    po::options_description options("quantize");
    options.add_options()("scheme", po::value<std::string>()->required(), "scheme or alias (e.g. NVFP4, w_mxfp4)")(
        "input", po::value<std::string>()->required(), "floating-point model.safetensors")(
        "output", po::value<std::string>()->required(), "folder to write model.safetensors and the config into")(
        "exclude", po::value<std::vector<std::string>>()->composing(),
        "module prefix glob (fnmatch) to leave in floating point; repeatable, e.g. lm_head")(
        "scale-rule", po::value<std::string>()->default_value("even"), "MX scale rule: even or floor");
    po::variables_map values;
    if (!parse_options("quantize", args, options, values)) return 0;

    checkpoint::export_options eo;
    eo.scheme = resolve_scheme(values["scheme"].as<std::string>(), kernel_table(), scheme_aliases());
    if (values.count("exclude")) eo.exclude = values["exclude"].as<std::vector<std::string>>();
    eo.mx_rule = format::parse_mx_scale_rule(values["scale-rule"].as<std::string>());
    const checkpoint::safetensors_file in(values["input"].as<std::string>());
    const auto report = checkpoint::export_checkpoint(in, values["output"].as<std::string>(), eo);

    std::cout << "quantized " << report.quantized.size() << " linear weights to " << eo.scheme << ", left "
              << report.excluded.size() << " excluded in floating point, copied " << report.copied.size()
              << " tensors; " << report.bytes_in << " -> " << report.bytes_out << " bytes\n";
    for (const auto& p : report.excluded) std::cout << "  excluded: " << p << "\n";
    for (const auto& note : report.notes) std::cout << "note: " << note << "\n";
    std::cout << "wrote " << values["output"].as<std::string>() << "/model.safetensors and "
              << (format::parse_scheme(eo.scheme)->format == "nvfp4" ? "hf_quant_config.json" : "config.json") << "\n";
    return 0;
}

}  // namespace microscale::cli
