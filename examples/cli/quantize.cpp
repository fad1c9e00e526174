// `microscale quantize --scheme S --input IN.safetensors --output DIR [--exclude GLOB]...
//                      [--calibration CAL.safetensors] [--format modelopt|compressed-tensors|quark|hf-mxfp4]
//                      [--max-shard-size BYTES] [--scale-rule even|floor|rceil] [--overwrite]`
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "microscale/checkpoint/export.hpp"
#include "microscale/registry.hpp"
#include "options.hpp"

namespace microscale::cli {

namespace {

/// A progress bar on a terminal, a line every 10% otherwise.
void show_progress(std::size_t done, std::size_t total, const std::string& name) {
    static const bool terminal = ::isatty(2) != 0;
    static int last_decile = -1;
    const int percent = static_cast<int>(100 * done / total);
    if (terminal) {
        const int filled = percent / 4;
        std::fprintf(stderr, "\r[%-25s] %3d%% %zu/%zu %-60.60s", std::string(static_cast<std::size_t>(filled), '#').c_str(), percent, done, total,
                     name.c_str());
        if (done == total) std::fprintf(stderr, "\n");
    } else if (percent / 10 != last_decile || done == total) {
        last_decile = percent / 10;
        std::fprintf(stderr, "quantize: %3d%% (%zu/%zu tensors)\n", percent, done, total);
    }
}

}  // namespace

int run_quantize(const std::vector<std::string>& args) {
    po::options_description options("quantize");
    options.add_options()("scheme", po::value<std::string>()->required(), "scheme or alias (e.g. NVFP4, w_mxfp4)")(
        "input", po::value<std::string>()->required(), "floating-point model.safetensors")("output", po::value<std::string>()->required(),
                                                                                           "folder to write the checkpoint into")(
        "exclude", po::value<std::vector<std::string>>()->composing(),
        "module glob (fnmatch) to leave in floating point; also matches the modules under a dotted prefix it matches "
        "(model.layers.0); repeatable, e.g. lm_head, '*.mlp.*'")("calibration", po::value<std::string>(),
                                                                 "safetensors with <prefix>.input sample activations (W4A4 NVFP4 input_scale)")(
        "format", po::value<std::string>(),
        "modelopt | compressed-tensors (NVFP4), compressed-tensors (MXFP4), quark (MX), hf-mxfp4 (gpt-oss: weight-only MXFP4 "
        "experts); default modelopt / quark")(
        "max-shard-size", po::value<std::int64_t>()->default_value(5'000'000'000), "bytes per output shard (positive)")(
        "scale-rule", po::value<std::string>(), "MX scale rule: even, floor or rceil; default: the convention's producer's (rceil for hf-mxfp4, else even)")(
        "overwrite", "replace a checkpoint already in the output folder (its other files are kept)");
    po::variables_map values;
    if (!parse_options("quantize", args, options, values)) return 0;

    checkpoint::export_options eo;
    eo.scheme = resolve_scheme(values["scheme"].as<std::string>(), kernel_table(), scheme_aliases());
    if (values.count("exclude")) eo.exclude = values["exclude"].as<std::vector<std::string>>();
    if (values.count("format")) eo.convention = checkpoint::parse_convention(values["format"].as<std::string>());
    if (values.count("scale-rule")) eo.mx_rule = format::parse_mx_scale_rule(values["scale-rule"].as<std::string>());
    eo.max_shard_bytes = static_cast<std::uint64_t>(positive_option(values, "max-shard-size"));
    eo.overwrite = values.count("overwrite") != 0;
    eo.progress = show_progress;
    std::optional<checkpoint::safetensors_file> calibration;
    if (values.count("calibration")) {
        calibration.emplace(values["calibration"].as<std::string>());
        eo.calibration = &*calibration;
    }
    const checkpoint::safetensors_file in(values["input"].as<std::string>());
    const auto report = checkpoint::export_checkpoint(in, values["output"].as<std::string>(), eo);

    std::cout << "quantized " << report.quantized.size() << " weights to " << eo.scheme << " ("
              << eo.convention.value_or(checkpoint::default_export_convention(eo.scheme)) << "), left " << report.excluded.size()
              << " excluded in floating point, copied " << report.copied.size() << " tensors; " << report.bytes_in << " -> " << report.bytes_out
              << " bytes\n";
    for (const auto& p : report.excluded) std::cout << "  excluded: " << p << "\n";
    for (const auto& note : report.notes) std::cout << "note: " << note << "\n";
    for (const auto& warning : report.warnings) std::cerr << "warning: " << warning << "\n";
    std::cout << "wrote " << values["output"].as<std::string>() << "/:";
    for (const auto& f : report.files) std::cout << " " << f;
    std::cout << "\n";
    return 0;
}

}  // namespace microscale::cli
