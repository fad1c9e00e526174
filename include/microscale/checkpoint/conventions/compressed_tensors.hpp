// The compressed-tensors convention (NVFP4, MXFP4): what llm-compressor writes and vLLM's
// compressed-tensors path reads.
//
//   tensors   <p>.weight_packed U8 [N, K/2], <p>.weight_scale (F8_E4M3 [N, K/16] for nvfp4, U8 e8m0
//             [N, K/32] for mxfp4); nvfp4 also <p>.weight_global_scale F32 [1] (2688 / amax: the
//             reciprocal of G) and, for W4A4, <p>.input_global_scale F32 [1] (2688 / input amax)
//   config    config.json "quantization_config", quant_method "compressed-tensors", format
//             nvfp4-pack-quantized or mxfp4-pack-quantized, config_groups.*.{targets, weights,
//             input_activations (absent or null: weight-only), format}, ignore
//   bytes     llm-compressor's formulas (see quantize below)
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>

#include "microscale/checkpoint/conventions/convention.hpp"
#include "microscale/numeric/packing.hpp"

namespace microscale::checkpoint::conventions {

struct compressed_tensors {
    static constexpr std::string_view name = "compressed-tensors";
    static constexpr module_tensors tensors{.codes = "weight_packed",
                                            .scales = "weight_scale",
                                            .global_scale = "weight_global_scale",
                                            .input_scale = "input_global_scale",
                                            .reciprocal_scales = true,
                                            .vector_scalars = true};
    static constexpr std::string_view format_version = "0.19.0";  ///< the compressed-tensors version whose format we write
    static constexpr moe_tensors moe = stacked_moe_tensors;
    static constexpr bool stores_linear = true;
    static constexpr format::mx_scale_rule mx_rule = format::mx_scale_rule::even;  // llm-compressor's round-up-at-1.75 exponent
    template <format::weight_format F>
    static constexpr bool stores = format::element_bits<F> == 4;

    static bool holds(const tensor_store& store, const std::string& stem) { return convention_detail::has_tensor(store, stem, tensors.codes); }

    /// The `format` a config group of format F declares: nvfp4-pack-quantized, mxfp4-pack-quantized.
    template <format::weight_format F>
    static std::string format_of() {
        return std::string(F::name) + "-pack-quantized";
    }

    /// QuantizationArgs of format F as llm-compressor writes them (keys sorted): 4-bit float,
    /// nvfp4 tensor_group 16 with e4m3 scales, mxfp4 group 32 with uint8 exponents; activations
    /// are dynamic ("local" for nvfp4: per-block scales under a static global scale).
    template <format::weight_format F>
    static nlohmann::ordered_json args_of(bool activations) {
        const bool nv = F::has_global_scale;
        nlohmann::ordered_json dynamic = false, observer = "memoryless_minmax";
        if (activations) {
            dynamic = nv ? nlohmann::ordered_json("local") : nlohmann::ordered_json(true);
            observer = nv ? nlohmann::ordered_json("static_minmax") : nlohmann::ordered_json(nullptr);
        }
        return {{"actorder", nullptr},
                {"block_structure", nullptr},
                {"dynamic", dynamic},
                {"group_size", F::block_size},
                {"num_bits", 4},
                {"observer", observer},
                {"observer_kwargs", nlohmann::ordered_json::object()},
                {"scale_dtype", nv ? "torch.float8_e4m3fn" : "torch.uint8"},
                {"strategy", nv ? "tensor_group" : "group"},
                {"symmetric", true},
                {"type", "float"},
                {"zp_dtype", nullptr}};
    }

    // ---- config -----------------------------------------------------------------------------------

    static const nlohmann::json* config_object(const nlohmann::json& root, std::string& path) {
        return convention_detail::quantization_config_if(root, path, [](const std::string& m) { return m == "compressed-tensors"; });
    }

    /// The QuantizationArgs `args` are those of format F (4-bit float, F's strategy and group size).
    template <format::weight_format F>
    static void check_args(const nlohmann::json& args, const std::string& source, const std::string& path) {
        using namespace config_detail;
        if (!args.is_object()) fail(source, detail::cat("field '", path, "' must be an object, got ", args.type_name()));
        const auto& bits = require(args, "num_bits", source, path + ".");
        const std::string type = require_string(args, "type", source, path + ".");
        const std::string strategy = F::has_global_scale ? "tensor_group" : "group";
        if (!bits.is_number_integer() || bits.get<long long>() != 4 || type != "float" || string_or(args, "strategy") != strategy ||
            !integer_is(args, "group_size", F::block_size))
            fail(source, detail::cat("field '", path, "' is not ", upper(std::string(F::name)), " (expected num_bits 4, type float, strategy ",
                                     strategy, ", group_size ", F::block_size, "): ", args.dump()));
    }

    static quant_config parse(const nlohmann::json& q, const std::string& source, const std::string& path) {
        using namespace config_detail;
        quant_config c = begin_config(name, q, "ignore", source, path);
        c.kv_cache = optional_string(q, "kv_cache_scheme", source, path);
        const std::string top_format = string_or(q, "format");
        const auto& groups = require(q, "config_groups", source, path);
        if (!groups.is_object() || groups.empty()) fail(source, detail::cat("field '", path, "config_groups' must be a non-empty object"));
        for (const auto& item : groups.items()) {  // no structured binding: lambdas below use it (clang 14)
            const std::string& group_name = item.key();
            const nlohmann::json& group = item.value();
            const std::string field = detail::cat(path, "config_groups.", group_name);
            if (!group.is_object()) fail(source, detail::cat("field '", field, "' must be an object"));
            const std::string fmt = string_or(group, "format", top_format);
            bool known = false;
            std::string known_formats;
            boost::mp11::mp_for_each<format::all_formats>([&](auto f) {
                using F = decltype(f);
                if constexpr (stores<F>) {
                    known_formats.append(known_formats.empty() ? "" : ", ").append(format_of<F>());
                    if (fmt != format_of<F>()) return;
                    known = true;
                    check_args<F>(require(group, "weights", source, field + "."), source, field + ".weights");
                    const auto activations = group.find("input_activations");
                    const bool aq = activations != group.end() && !activations->is_null();
                    if (aq) check_args<F>(*activations, source, field + ".input_activations");
                    c.rules.push_back({string_list(group, "targets", source, field + ".", true), std::string(make_scheme_name(F::name, aq).view())});
                }
            });
            if (!known)
                fail(source, detail::cat("format '", fmt.empty() ? std::string("(none)") : fmt, "' of '", field,
                                         "' is not supported; microscale loads compressed-tensors ", known_formats));
            c.algorithm = fmt;
        }
        return c;
    }

    // ---- writing ------------------------------------------------------------------------------------

    /// llm-compressor's bytes (compressed-tensors 0.19 `calculate_qparams` / `_quantize`, data-free
    /// minmax). NVFP4, with D the weight's dtype and every D operation rounded to D:
    ///   stored global gs = fp32(D(D(1 / max(amax, tiny_D)) * 2688)) (1 when that is not finite;
    ///                    torch evaluates 2688 / amax as a reciprocal, then a product)
    ///   block scale      s = e4m3(clamp(gs * D(block_amax / 6), ±448)) in fp32; 0 becomes 0.125
    ///   codes            e2m1(clamp(x / (s / gs), ±6)), both divisions fp32, ties to even
    /// and G = 1 / gs as a reader computes it. MXFP4: the reference MX quantizer (its "even" rule is
    /// llm-compressor's round-up-at-1.75 exponent).
    template <format::weight_format F>
    static stored_weight quantize(std::span<const float> w, std::int64_t rows, std::int64_t cols, const format::quantize_options& o) {
        if constexpr (!F::has_global_scale) {
            return convention_detail::reference_quantize<F>(w, rows, cols, o);
        } else {
            const auto in_d = [&](float v) { return round_to(o.source, v); };
            const float tiny = o.source == dtype::f16 ? 6.103515625e-05f : std::numeric_limits<float>::min();
            const float tensor_amax = format::checked_weight_amax<F>(w, rows, cols, o);  // a fused group's shared amax when given
            float gs = in_d(in_d(1.0f / std::max(tensor_amax, tiny)) * 2688.0f);         // torch's scalar / tensor: reciprocal, then product
            if (!std::isfinite(gs)) gs = 1.0f;
            stored_weight out;
            out.weight.format = std::string(F::name);
            out.weight.name = o.name;
            out.weight.rows = rows;
            out.weight.cols = cols;
            out.weight.scales.resize(static_cast<std::size_t>(rows * format::scale_cols<F>(cols)));
            out.weight.codes.resize(static_cast<std::size_t>(rows * format::packed_row_bytes<F>(cols)));
            using scale = typename F::scale;
            using element = typename F::element;
            const std::int64_t blocks = format::scale_cols<F>(cols), row_bytes = format::packed_row_bytes<F>(cols);
            std::vector<std::uint8_t> row_codes(static_cast<std::size_t>(cols));
            for (std::int64_t r = 0; r < rows; ++r) {
                const float* row = w.data() + r * cols;
                for (std::int64_t b = 0; b < blocks; ++b) {
                    const float* x = row + b * F::block_size;
                    const float block_scale = std::clamp(gs * in_d(format::block_amax(x, F::block_size) / 6.0f), -448.0f, 448.0f);
                    std::uint8_t s = scale::encode(block_scale);
                    if (scale::decode(s) == 0.0f) s = scale::encode(0.125f);  // compressed-tensors' fp8 eps
                    out.weight.scales[static_cast<std::size_t>(r * blocks + b)] = s;
                    const float divisor = scale::decode(s) / gs;
                    for (int i = 0; i < F::block_size; ++i)
                        row_codes[static_cast<std::size_t>(b * F::block_size + i)] = element::encode(std::clamp(x[i] / divisor, -6.0f, 6.0f));
                }
                numeric::pack<element>(
                    row_codes,
                    std::span<std::uint8_t>(out.weight.codes).subspan(static_cast<std::size_t>(r * row_bytes), static_cast<std::size_t>(row_bytes)));
            }
            out.stored_global_scale = gs;
            out.weight.global_scale = 1.0f / gs;
            return out;
        }
    }

    /// The stored input_global_scale for a calibrated activation amax: generate_gparam's 2688 / amax,
    /// here in fp32 (llm-compressor computes it in the activations' dtype; not checked against its bytes).
    static float stored_input_scale(float amax) noexcept {
        const float gs = 2688.0f / std::max(amax, std::numeric_limits<float>::min());
        return std::isfinite(gs) ? gs : 1.0f;
    }

    /// config.json: the model's config with the compressed-tensors quantization_config.
    static config_files configs(const config_request& r) {
        nlohmann::ordered_json weights, activations = nullptr;
        std::string fmt;
        format::visit_format(r.scheme.format, [&](auto f) {
            using F = decltype(f);
            fmt = format_of<F>();
            weights = args_of<F>(false);
            if (r.scheme.quantized_activations) activations = args_of<F>(true);
        });
        // llm-compressor's keys, sorted as it writes them, plus our producer
        const nlohmann::ordered_json q = {{"config_groups",
                                           {{"group_0",
                                             {{"format", fmt},
                                              {"input_activations", activations},
                                              {"output_activations", nullptr},
                                              {"targets", {"Linear"}},
                                              {"weights", weights}}}}},
                                          {"format", fmt},
                                          {"global_compression_ratio", nullptr},
                                          {"ignore", r.ignore},
                                          {"kv_cache_scheme", nullptr},
                                          {"producer", convention_detail::producer()},
                                          {"quant_method", "compressed-tensors"},
                                          {"quantization_status", "compressed"},
                                          {"sparsity_config", nlohmann::ordered_json::object()},
                                          {"transform_config", nlohmann::ordered_json::object()},
                                          {"version", std::string(format_version)}};
        return {{"config.json", convention_detail::model_config_with(r, q)}};
    }
};

}  // namespace microscale::checkpoint::conventions
