// transformers' `mxfp4` convention: how openai/gpt-oss-20b and -120b store their MoE experts (and
// what transformers' Mxfp4HfQuantizer reads and, from a triton MXFP4 model, writes). Only the
// experts are quantized; attention, router, embeddings and LM head stay in floating point.
//
//   tensors   <p>.gate_up_proj_blocks U8 [E, 2I, K/32, 16], <p>.gate_up_proj_scales U8 (e8m0)
//             [E, 2I, K/32], <p>.gate_up_proj_bias [E, 2I]; <p>.down_proj_blocks [E, K, I/32, 16],
//             _scales [E, K, I/32], _bias [E, K] (<p> = model.layers.N.mlp.experts). Rows are the
//             output dimension; the last two axes the input dimension in blocks of 32, byte j of a
//             block holding elements 2j (low nibble) and 2j+1 (high nibble): our packing, so
//             [E, N, K/32, 16] is [E, N, K/2] byte for byte. Gate and up rows are interleaved
//             (gate 2i, up 2i+1): the swiglu_oai expert activation reads them as stored.
//   config    config.json "quantization_config": quant_method "mxfp4", modules_to_not_convert
//             (transformers' globs); the expert activation's limit and alpha are the model's
//             config.json swiglu_limit / swiglu_alpha (7.0 / 1.702)
//   bytes     transformers' quantizer (triton_kernels downcast_to_mxfp_torch, its default
//             ROUND_UP): scale 2^ceil(log2(amax / 6)) ("rceil"), elements round to nearest even
//
// Checked against the transformers wheels 4.55.0 - 5.25.0: integrations/mxfp4.py
// (Mxfp4GptOssExperts' parameters, convert_moe_packed_tensors: lut[b & 0x0F] at even, lut[b >> 4] at
// odd positions, ldexp(scale - 127), then transpose(1, 2) to [E, K, N]), models/gpt_oss/
// modeling_gpt_oss.py (GptOssExperts: gate_up[..., ::2] / [..., 1::2], the clamps, (up + 1) * glu,
// the down bias before the routing weight), quantizers/quantizer_mxfp4.py (the tensor names and
// shapes it saves), convert_gpt_oss_weights_to_hf.py (the modules_to_not_convert list); triton's
// numerics_details/mxfp.py for the quantizer's rounding.
#pragma once

#include <type_traits>

#include "microscale/checkpoint/conventions/convention.hpp"

namespace microscale::checkpoint::conventions {

struct hf_mxfp4 {
    static constexpr std::string_view name = "hf-mxfp4";
    static constexpr module_tensors tensors{.codes = "blocks", .scales = "scales"};  // after a stem "<p>.gate_up_proj_"
    static constexpr moe_tensors moe{.gate_up = "gate_up_proj_",
                                     .down = "down_proj_",
                                     .activation = moe_activation::swiglu_oai,
                                     .blocked_codes = true,
                                     .float_gate_up = "gate_up_proj",
                                     .float_down = "down_proj"};
    static constexpr bool stores_linear = false;  // transformers quantizes the experts only
    static constexpr bool weight_only = true;     // activations stay in the model's dtype
    static constexpr format::mx_scale_rule mx_rule = format::mx_scale_rule::rceil;
    template <format::weight_format F>
    static constexpr bool stores = std::is_same_v<F, format::mxfp4>;

    static bool holds(const tensor_store& store, const std::string& stem) { return convention_detail::has_tensor(store, stem, tensors.codes); }

    /// The modules transformers' converter lists as not converted (gpt-oss's config.json).
    static constexpr std::array<std::string_view, 4> floating_modules = {"model.layers.*.self_attn", "model.layers.*.mlp.router",
                                                                         "model.embed_tokens", "lm_head"};

    // ---- config -----------------------------------------------------------------------------------

    static const nlohmann::json* config_object(const nlohmann::json& root, std::string& path) {
        return convention_detail::quantization_config_if(root, path, [](const std::string& m) { return m == "mxfp4"; });
    }

    /// Every module whose name ends in "experts" (MoE layers) is weight-only MXFP4 unless excluded;
    /// nothing else is quantized.
    static quant_config parse(const nlohmann::json& q, const std::string& source, const std::string& path) {
        nlohmann::json fields = q;
        if (const auto it = fields.find("modules_to_not_convert"); it != fields.end() && it->is_null()) fields.erase(it);  // Mxfp4Config's None
        quant_config c = config_detail::begin_config(name, fields, "modules_to_not_convert", source, path);
        c.rules.push_back({{"*experts"}, std::string(make_scheme_name(format::mxfp4::name, false).view())});
        c.algorithm = "mxfp4";
        c.mx_rule = mx_rule;
        return c;
    }

    // ---- writing ------------------------------------------------------------------------------------

    template <format::weight_format F>
    static stored_weight quantize(std::span<const float> w, std::int64_t rows, std::int64_t cols, const format::quantize_options& o) {
        return convention_detail::reference_quantize<F>(w, rows, cols, o);
    }

    static float stored_input_scale(float) noexcept { return 1.0f; }  // weight-only

    /// config.json: the model's config with quant_method mxfp4; modules_to_not_convert is
    /// transformers' list plus the experts left in floating point.
    static config_files configs(const config_request& r) {
        std::vector<std::string> keep(floating_modules.begin(), floating_modules.end());
        for (const auto& m : r.ignore)
            if (std::find(keep.begin(), keep.end(), m) == keep.end()) keep.push_back(m);
        const nlohmann::ordered_json q = {{"quant_method", "mxfp4"}, {"modules_to_not_convert", keep}};
        return {{"config.json", convention_detail::model_config_with(r, q)}};
    }
};

}  // namespace microscale::checkpoint::conventions
