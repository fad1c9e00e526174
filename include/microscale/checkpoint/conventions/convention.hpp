// What a checkpoint convention is: the policy a producer's checkpoints follow (tensor names, how
// global scales are stored, the config file, the bytes its quantizer writes). One file per
// convention beside this one; conventions.hpp lists them.
//
//   static name                         "modelopt", "compressed-tensors", "quark", "hf-mxfp4"
//   tensors                             how it stores a quantized module (module_tensors): tensor
//                                       names, the form of the per-tensor scalars
//   moe                                 how it stores stacked experts (moe_tensors): stems, the
//                                       gate / up row order, the rank of the codes
//   stores<F>                           true for the weight formats it writes and reads
//   stores_linear                       false if only experts are stored quantized (hf-mxfp4)
//   mx_rule                             its producer's MX scale rule (the export default)
//   holds(store, stem)                  its tensors are stored for module stem `stem`
//   config_object(root, path)           the part of a config JSON it parses, or nullptr
//   parse(object, source, path)         that part, normalized (quant_config)
//   quantize<F>(w, rows, cols, opts)    its producer's bytes for W (the rounding recipe)
//   stored_input_scale(amax)            the stored activation global scale for a calibrated amax
//   configs(request)                    the config files an export writes
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "microscale/checkpoint/config_fields.hpp"
#include "microscale/checkpoint/safetensors.hpp"
#include "microscale/checkpoint/tensor_store.hpp"
#include "microscale/format/quantized_weight.hpp"
#include "microscale/format/quantizer.hpp"
#include "microscale/format/scheme.hpp"
#include "microscale/moe.hpp"
#include "microscale/version.hpp"

namespace microscale::checkpoint {

/// How a convention stores a quantized module: its tensors' names after the module stem ("<p>." for
/// a linear module, "<p>.w13_" / "<p>.w2_" for stacked experts; "" where the convention has no such
/// tensor) and the form of its per-tensor scalars.
struct module_tensors {
    std::string_view codes, scales, global_scale = {}, input_scale = {};
    bool reciprocal_scales = false;  ///< true: stores 1/G and 1/input_scale (quantization multipliers); false: G and input_scale
    bool vector_scalars = false;     ///< true: per-tensor scalars are [1]; false: 0-d

    /// The four names in the order above ("" included).
    constexpr std::array<std::string_view, 4> names() const noexcept { return {codes, scales, global_scale, input_scale}; }
};

/// How a convention stores the stacked experts of MoE layer <p>: the stems after "<p>." of the
/// gate/up and down tensors (each followed by module_tensors' names, and "bias"), where w13 keeps
/// gate and up rows (the expert activation decides: silu, gate rows then up; swiglu_oai,
/// interleaved), and the rank of the codes.
struct moe_tensors {
    std::string_view gate_up, down;
    moe_activation activation = moe_activation::silu;
    /// false: codes [E, N, K packed]; true: [E, N, K / block, block bytes] (transformers' mxfp4).
    bool blocked_codes = false;
    /// The floating-point model's stacked experts an export quantizes into this form, after "<p>.":
    /// gate_up [E, K, 2I] and down [E, I, K] (transposed, as transformers' GptOssExperts holds them);
    /// "" where the convention writes no such export.
    std::string_view float_gate_up = {}, float_down = {};
};

/// vLLM's fused-MoE names: <p>.w13_<codes> [E, 2I, K packed] (gate rows, then up), <p>.w2_<codes>.
inline constexpr moe_tensors stacked_moe_tensors{.gate_up = "w13_", .down = "w2_"};

/// A weight as a convention stores it: the weight (with G as kernels use it) and the global scale
/// value exactly as the file holds it (G, or the producer's own 1/G, which 1/(1/G) need not equal).
struct stored_weight {
    quantized_weight weight;
    float stored_global_scale = 1.0f;
};

/// What an export's config files are made from.
struct config_request {
    format::scheme_parts scheme;
    std::vector<std::string> ignore;  ///< modules left in floating point
    format::mx_scale_rule mx_rule = format::mx_scale_rule::even;
    const nlohmann::json* model_config = nullptr;  ///< the source model's config.json, if it has one
};

/// (file name, contents) of the config files an export writes.
using config_files = std::vector<std::pair<std::string, nlohmann::ordered_json>>;

namespace convention_detail {

/// Tensor `name` (a module_tensors name) is stored for module stem `stem`.
inline bool has_tensor(const tensor_store& store, const std::string& stem, std::string_view name) {
    return !name.empty() && store.find(stem + std::string(name)) != nullptr;
}

inline nlohmann::ordered_json producer() { return {{"name", "microscale"}, {"version", std::string(version_string)}}; }

/// config.json: the source model's config (when there is one) with `quantization_config` set, so
/// that transformers loads the export as it is.
inline nlohmann::ordered_json model_config_with(const config_request& r, nlohmann::ordered_json quantization_config) {
    nlohmann::ordered_json out =
        r.model_config != nullptr && r.model_config->is_object() ? nlohmann::ordered_json(*r.model_config) : nlohmann::ordered_json::object();
    out["quantization_config"] = std::move(quantization_config);
    return out;
}

/// The quantization object of a config.json (or the object itself) if its quant_method satisfies `claims`.
template <class Claims>
const nlohmann::json* quantization_config_if(const nlohmann::json& root, std::string& path, Claims&& claims) {
    const nlohmann::json* q = &root;
    path.clear();
    if (const auto it = root.find("quantization_config"); it != root.end() && it->is_object()) {
        q = &*it;
        path = "quantization_config.";
    }
    const auto method = q->find("quant_method");
    if (method == q->end() || !method->is_string()) return nullptr;
    std::string lower = method->get<std::string>();
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return claims(lower) ? q : nullptr;
}

/// The quantizer of the format's reference exporter (ModelOpt for nvfp4, Quark / torchao for MX),
/// with G stored as it is.
template <format::weight_format F>
stored_weight reference_quantize(std::span<const float> w, std::int64_t rows, std::int64_t cols, const format::quantize_options& o) {
    stored_weight out{format::quantize_weight<F>(w, rows, cols, o), 1.0f};
    out.stored_global_scale = out.weight.global_scale;
    return out;
}

}  // namespace convention_detail

/// The safetensors dtype a format's block scales are written with, and the ones read.
template <format::weight_format F>
constexpr st_dtype scale_dtype() noexcept {
    return F::has_global_scale ? st_dtype::F8_E4M3 : st_dtype::U8;  // e4m3 (nvfp4); e8m0 as U8 (MX)
}

template <class C>
concept checkpoint_convention = requires(const tensor_store& store, const std::string& s, const nlohmann::json& j, std::string& path,
                                         const config_request& r) {
    { C::name } -> std::convertible_to<std::string_view>;
    { C::tensors } -> std::convertible_to<module_tensors>;
    { C::moe } -> std::convertible_to<moe_tensors>;
    { C::stores_linear } -> std::convertible_to<bool>;
    { C::mx_rule } -> std::convertible_to<format::mx_scale_rule>;
    { C::holds(store, s) } -> std::same_as<bool>;
    { C::config_object(j, path) } -> std::same_as<const nlohmann::json*>;
    { C::parse(j, s, s) } -> std::same_as<quant_config>;
    { C::stored_input_scale(1.0f) } -> std::same_as<float>;
    { C::configs(r) } -> std::same_as<config_files>;
};

/// False for a convention whose config has no activation quantization (weight-only schemes only).
template <class C>
constexpr bool stores_quantized_activations() noexcept {
    if constexpr (requires { C::weight_only; })
        return !C::weight_only;
    else
        return true;
}

/// A stored global / input scale as kernels use it (G, input_scale).
template <checkpoint_convention C>
float dequantization_scale(float stored) noexcept {
    return C::tensors.reciprocal_scales ? 1.0f / stored : stored;
}

}  // namespace microscale::checkpoint
