// `microscale run --checkpoint DIR --layer PREFIX --input X.safetensors --output Y.safetensors
//                 [--kernel NAME] [--threads N]`: y = layer(x), x read from tensor `x` [M, K], y
// written to tensor `y` [M, N] in x's dtype. The layer is resolved with the checkpoint's rules
// (excluded and floating-point modules run unquantized) and its kernel picked by the runtime table.
#include <iostream>

#include "commands.hpp"
#include "io.hpp"
#include "microscale/checkpoint/loader.hpp"
#include "options.hpp"

namespace microscale::cli {

int run_run(const std::vector<std::string>& args) {
    po::options_description options("run");
    options.add_options()("checkpoint", po::value<std::string>()->required(), "checkpoint folder (or .safetensors file)")(
        "layer", po::value<std::string>()->required(), "module prefix, e.g. model.layers.0.mlp.gate_up_proj")(
        "input", po::value<std::string>()->required(), "safetensors file with tensor x [M, K]")(
        "output", po::value<std::string>()->required(), "safetensors file to write tensor y [M, N] into")(
        "kernel", po::value<std::string>(), "canonical kernel name to force (see microscale list)")(
        "threads", po::value<int>()->default_value(0), "threads (0: OMP_NUM_THREADS or all)");
    po::variables_map values;
    if (!parse_options("run", args, options, values)) return 0;

    const checkpoint::checkpoint_reader reader(values["checkpoint"].as<std::string>());
    const std::string layer_name = values["layer"].as<std::string>();
    const checkpoint::safetensors_file in(values["input"].as<std::string>());
    const float_matrix x = read_matrix(in, "x");
    selection_options so = selection_options::from_environment();
    if (values.count("kernel")) so.forced_kernel = values["kernel"].as<std::string>();
    checkpoint::fusion_report report;
    const auto layer = reader.load_linear(layer_name, x.type, so, &report);
    for (const auto& w : report.warnings) std::cerr << "warning: " << w << "\n";
    if (x.cols != layer->in_features())
        throw std::invalid_argument(detail::cat(in.path(), ": x is [", x.rows, ", ", x.cols, "] but ", layer_name, " takes K=", layer->in_features()));

    const auto x_bytes = to_bytes(x.values, x.type);
    std::vector<std::uint8_t> y(static_cast<std::size_t>(x.rows * layer->out_features()) * dtype_size(x.type));
    apply_options ao;
    ao.threads = values["threads"].as<int>();
    layer->apply({x_bytes.data(), x.type, x.rows, x.cols}, {y.data(), x.type, x.rows, layer->out_features()}, nullptr, ao);
    checkpoint::safetensors_writer out;
    out.add_values<std::uint8_t>("y", st_dtype_of(x.type), {x.rows, layer->out_features()}, y);
    out.set_metadata("layer", layer_name);
    out.set_metadata("kernel", std::string(layer->kernel_name()));
    out.write(values["output"].as<std::string>());
    std::cout << layer_name << " [" << layer->out_features() << " x " << layer->in_features() << "] ran on " << layer->kernel_name()
              << ": y [" << x.rows << ", " << layer->out_features() << "] " << dtype_name(x.type) << " -> "
              << values["output"].as<std::string>() << "\n";
    return 0;
}

}  // namespace microscale::cli
