// `microscale run --checkpoint DIR --layer PREFIX --input X.safetensors --output Y.safetensors
//                 [--kernel NAME] [--threads N]`: y = layer(x), x read from tensor `x` [M, K], y
// written to tensor `y` [M, N] in x's dtype. An MoE layer (per-expert or stacked experts) also
// reads `topk_ids` [T, k] and `topk_weights` [T, k], and writes y [T, K]. The layer is resolved with the checkpoint's rules
// (excluded and floating-point modules run unquantized) and its kernel picked by the runtime table.
#include <cstring>
#include <iostream>
#include <limits>

#include "commands.hpp"
#include "io.hpp"
#include "microscale/checkpoint/loader.hpp"
#include "options.hpp"

namespace microscale::cli {

namespace {

/// x's width must be the layer's input width.
void check_input_width(const checkpoint::safetensors_file& in, const float_matrix& x, const std::string& layer_name, std::int64_t k) {
    if (x.cols != k) throw std::invalid_argument(detail::cat(in.path(), ": x is [", x.rows, ", ", x.cols, "] but ", layer_name, " takes K=", k));
}

/// x's bytes in its dtype and a y [M, out_width] buffer in the same dtype, once x's width is checked
/// against the layer's input width `in_width` and y's size against memory.
struct layer_buffers {
    std::vector<std::uint8_t> x, y;
};
layer_buffers buffers_for(const checkpoint::safetensors_file& in, const float_matrix& x, const std::string& layer_name, std::int64_t in_width,
                          std::int64_t out_width) {
    check_input_width(in, x, layer_name, in_width);
    require_memory({x.rows, out_width}, dtype_size(x.type), "y");
    return {to_bytes(x.values, x.type), std::vector<std::uint8_t>(static_cast<std::size_t>(x.rows * out_width) * dtype_size(x.type))};
}

/// Writes tensor y [rows, cols] in x's dtype to --output, the layer and its kernel in the metadata.
void write_output(const po::variables_map& values, const std::string& layer_name, std::string_view kernel, dtype type, std::int64_t rows,
                  std::int64_t cols, const std::vector<std::uint8_t>& y) {
    checkpoint::safetensors_writer out;
    out.add_values<std::uint8_t>("y", st_dtype_of(type), {rows, cols}, y);
    out.set_metadata("layer", layer_name);
    out.set_metadata("kernel", std::string(kernel));
    out.write(values["output"].as<std::string>());
}

/// An MoE layer: x [T, K], topk_ids [T, k] (I32 or I64), topk_weights [T, k] (F32, BF16, F16).
int run_moe(const checkpoint::checkpoint_reader& reader, const std::string& layer_name, const checkpoint::safetensors_file& in, const float_matrix& x,
            const selection_options& so, const po::variables_map& values, int threads) {
    const auto& ids_info = in.at("topk_ids");
    const auto& weights_info = in.at("topk_weights");
    if (ids_info.shape.size() != 2 || ids_info.shape[0] != x.rows || weights_info.shape != ids_info.shape)
        throw checkpoint::format_error(detail::cat(in.path(), ": topk_ids ", ids_info.shape_string(), " and topk_weights ",
                                                   weights_info.shape_string(), " must both be [T, k] with T = ", x.rows));
    std::vector<std::int32_t> ids(static_cast<std::size_t>(ids_info.numel()));
    const auto raw = in.bytes(ids_info);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (ids_info.dtype == checkpoint::st_dtype::I32) {
            std::memcpy(&ids[i], raw.data() + 4 * i, 4);
        } else if (ids_info.dtype == checkpoint::st_dtype::I64) {
            std::int64_t v;
            std::memcpy(&v, raw.data() + 8 * i, 8);
            if (v < -1 || v > std::numeric_limits<std::int32_t>::max())
                throw checkpoint::format_error(detail::cat(in.path(), ": topk_ids[", i, "] = ", v));
            ids[i] = static_cast<std::int32_t>(v);
        } else {
            throw checkpoint::format_error(detail::cat(in.path(), ": topk_ids is ", checkpoint::dtype_name(ids_info.dtype), ", expected I32 or I64"));
        }
    }
    const auto weights = checkpoint::read_floats(in, weights_info);
    checkpoint::fusion_report report;
    selection_options moe_so = so;
    if (!moe_so.forced_kernel.empty() && moe_so.forced_kernel.rfind("moe.", 0) != 0) moe_so.forced_kernel = "moe." + moe_so.forced_kernel;
    const auto layer = reader.load_moe_layer(layer_name, x.type, moe_so, &report);
    for (const auto& w : report.warnings) std::cerr << "warning: " << w << "\n";
    for (const auto& w : layer->warnings()) std::cerr << "warning: " << w << "\n";
    auto io = buffers_for(in, x, layer_name, layer->hidden(), layer->hidden());
    moe_options mo;
    mo.threads = threads;
    layer->apply({io.x.data(), x.type, x.rows, x.cols}, ids, weights, ids_info.shape[1], {io.y.data(), x.type, x.rows, layer->hidden()}, mo);
    write_output(values, layer_name, layer->kernel_name(), x.type, x.rows, layer->hidden(), io.y);
    std::cout << layer_name << " (" << layer->experts() << " experts, K=" << layer->hidden() << ", I=" << layer->intermediate() << ") ran on "
              << layer->kernel_name() << ": y [" << x.rows << ", " << layer->hidden() << "] " << dtype_name(x.type) << " -> "
              << values["output"].as<std::string>() << "\n";
    return 0;
}

}  // namespace

int run_run(const std::vector<std::string>& args) {
    po::options_description options("run");
    options.add_options()("checkpoint", po::value<std::string>()->required(), "checkpoint folder (or .safetensors file)")(
        "layer", po::value<std::string>()->required(), "module prefix, e.g. model.layers.0.mlp.gate_up_proj")(
        "input", po::value<std::string>()->required(), "safetensors file with tensor x [M, K]")("output", po::value<std::string>()->required(),
                                                                                                "safetensors file to write tensor y [M, N] into")(
        "kernel", po::value<std::string>(), "canonical kernel name to force (see microscale list)")("threads", po::value<int>()->default_value(0),
                                                                                                    "threads (0: OMP_NUM_THREADS or all)");
    po::variables_map values;
    if (!parse_options("run", args, options, values)) return 0;
    const int threads = thread_option(values);

    const checkpoint::checkpoint_reader reader(values["checkpoint"].as<std::string>());
    const std::string layer_name = values["layer"].as<std::string>();
    const checkpoint::safetensors_file in(values["input"].as<std::string>());
    const float_matrix x = read_matrix(in, "x");
    selection_options so = selection_options::from_environment();
    if (values.count("kernel")) so.forced_kernel = values["kernel"].as<std::string>();
    if (reader.is_moe(layer_name)) return run_moe(reader, layer_name, in, x, so, values, threads);
    checkpoint::fusion_report report;
    const auto layer = reader.load_linear(layer_name, x.type, so, &report);
    for (const auto& w : report.warnings) std::cerr << "warning: " << w << "\n";
    auto io = buffers_for(in, x, layer_name, layer->in_features(), layer->out_features());
    apply_options ao;
    ao.threads = threads;
    layer->apply({io.x.data(), x.type, x.rows, x.cols}, {io.y.data(), x.type, x.rows, layer->out_features()}, nullptr, ao);
    write_output(values, layer_name, layer->kernel_name(), x.type, x.rows, layer->out_features(), io.y);
    std::cout << layer_name << " [" << layer->out_features() << " x " << layer->in_features() << "] ran on " << layer->kernel_name() << ": y ["
              << x.rows << ", " << layer->out_features() << "] " << dtype_name(x.type) << " -> " << values["output"].as<std::string>() << "\n";
    return 0;
}

}  // namespace microscale::cli
