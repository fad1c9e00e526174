// `microscale qdq --scheme S --input X.safetensors --output Y.safetensors [--input-scale F]
//                 [--scale-layout linear|swizzled_128x4] [--scale-rule even|floor|rceil]`
// Quantize-dequantizes tensor `x` [M, K] the way the scheme's activations are: writes `x_dq` (x's
// dtype; bit-exact with vLLM's / Quark's QDQ), `x_codes` (U8, one element code per byte) and
// `x_scale` (F8_E4M3 or U8 e8m0, [M, K/block] or the padded swizzled shape).
#include <cmath>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "io.hpp"
#include "microscale/format/qdq.hpp"
#include "microscale/format/scheme.hpp"
#include "microscale/layout/layouts.hpp"
#include "microscale/registry.hpp"
#include "options.hpp"

namespace microscale::cli {

int run_qdq(const std::vector<std::string>& args) {
    po::options_description options("qdq");
    options.add_options()("scheme", po::value<std::string>()->required(), "scheme or alias")(
        "input", po::value<std::string>()->required(), "safetensors file with tensor x [M, K] (F32, BF16, F16)")(
        "output", po::value<std::string>()->required(), "safetensors file to write")(
        "input-scale", po::value<float>(), "NVFP4: ModelOpt input_scale (activation amax / 2688); default: from x")(
        "scale-layout", po::value<std::string>()->default_value("linear"), "linear or swizzled_128x4")(
        "scale-rule", po::value<std::string>()->default_value("even"), "MX scale rule: even, floor or rceil");
    po::variables_map values;
    if (!parse_options("qdq", args, options, values)) return 0;

    const std::string scheme = resolve_scheme(values["scheme"].as<std::string>(), kernel_table(), scheme_aliases());
    const auto parts = format::parse_scheme(scheme);
    const auto layout_id = layout::parse_layout(values["scale-layout"].as<std::string>());
    const auto rule = format::parse_mx_scale_rule(values["scale-rule"].as<std::string>());
    const checkpoint::safetensors_file in(values["input"].as<std::string>());
    const float_matrix x = read_matrix(in, "x");

    checkpoint::safetensors_writer out;
    std::optional<float> input_scale;
    if (values.count("input-scale")) {
        input_scale = values["input-scale"].as<float>();
        if (!std::isfinite(*input_scale) || *input_scale <= 0.0f) throw usage_error("--input-scale must be a positive finite number");
    }
    format::visit_format(parts->format, [&](auto f) {
        using F = decltype(f);
        if (!F::has_global_scale && input_scale)
            std::cerr << "warning: --input-scale is ignored: " << F::name << " activations are scaled per block (e8m0), with no global scale\n";
        const std::int64_t blocks = x.cols / F::block_size;
        if (x.cols % F::block_size == 0) {
            const auto shape = layout::visit_layout(layout_id, [&](auto l) { return decltype(l)::padded_shape(x.rows, blocks); });
            require_memory({shape.rows, shape.cols}, 2, "x_scale");
        }
        const auto q = format::qdq_matrix<F>(x.values, x.rows, x.cols, input_scale, rule, in.path() + ": x");
        if constexpr (F::has_global_scale) {
            if (q.input_scale_from_x) std::cout << "input_scale = amax(x) / 2688 = " << q.input_scale << " (computed from x)\n";
            out.set_metadata("input_scale", std::to_string(q.input_scale));
        }
        const auto shape = layout::visit_layout(layout_id, [&](auto l) { return decltype(l)::padded_shape(x.rows, blocks); });
        add_matrix(out, "x_dq", q.dequantized, x.rows, x.cols, x.type);
        out.add_values<std::uint8_t>("x_codes", checkpoint::st_dtype::U8, {x.rows, x.cols}, q.codes);
        const auto stored = layout::convert_scales(q.scales, layout::layout_id::linear, layout_id, x.rows, blocks);
        out.add_values<std::uint8_t>("x_scale", F::has_global_scale ? checkpoint::st_dtype::F8_E4M3 : checkpoint::st_dtype::U8,
                                     {shape.rows, shape.cols}, stored);
    });
    out.set_metadata("scheme", scheme);
    out.set_metadata("scale_layout", values["scale-layout"].as<std::string>());
    out.write(values["output"].as<std::string>());
    std::cout << "wrote x_dq, x_codes, x_scale (" << values["scale-layout"].as<std::string>() << ") of " << scheme << " to "
              << values["output"].as<std::string>() << "\n";
    return 0;
}

}  // namespace microscale::cli
