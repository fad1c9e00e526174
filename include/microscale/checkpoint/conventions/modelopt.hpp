// NVIDIA ModelOpt's convention (NVFP4): what `hf_ptq.py --export_fmt hf` writes and vLLM's
// ModelOpt path reads.
//
//   tensors   <p>.weight U8 [N, K/2], <p>.weight_scale F8_E4M3 [N, K/16], <p>.weight_scale_2 F32 []
//             (G, the dequantization form), <p>.input_scale F32 [] (amax / 2688; W4A4 only)
//   config    hf_quant_config.json {"producer", "quantization": {"quant_algo", "group_size",
//             "kv_cache_quant_algo", "exclude_modules"}}, or config.json "quantization_config" with
//             quant_method "modelopt" (quant_algo / group_size / ignore at its top level);
//             quant_algo NVFP4, W4A16_NVFP4 or MIXED_PRECISION ("quantized_layers")
//   excludes  vLLM's legacy rules as well: an entry inside a name excludes it, `name*` also means
//             `name` and `name.*`
//   bytes     ModelOpt's fp32 formulas (format/nvfp4.hpp)
#pragma once

#include "microscale/checkpoint/conventions/convention.hpp"

namespace microscale::checkpoint::conventions {

struct modelopt {
    static constexpr std::string_view name = "modelopt";
    static constexpr module_tensors tensors{
        .codes = "weight", .scales = "weight_scale", .global_scale = "weight_scale_2", .input_scale = "input_scale"};
    static constexpr moe_tensors moe = stacked_moe_tensors;
    static constexpr bool stores_linear = true;
    static constexpr format::mx_scale_rule mx_rule = format::mx_scale_rule::even;  // (NVFP4 only: unused)
    template <format::weight_format F>
    static constexpr bool stores = F::has_global_scale;

    static bool holds(const tensor_store& store, const std::string& stem) {
        return convention_detail::has_tensor(store, stem, tensors.codes) && convention_detail::has_tensor(store, stem, tensors.global_scale);
    }

    // ---- config -----------------------------------------------------------------------------------

    static const nlohmann::json* config_object(const nlohmann::json& root, std::string& path) {
        if (const auto hf = root.find("quantization"); hf != root.end()) {  // hf_quant_config.json
            path = "quantization.";
            return &*hf;
        }
        return convention_detail::quantization_config_if(root, path, [](const std::string& m) { return m.rfind("modelopt", 0) == 0; });
    }

    /// group_size of an NVFP4 config: absent or null means 16; anything else must be the integer 16.
    static void check_group_size(const nlohmann::json& object, const std::string& source, const std::string& path) {
        const auto it = object.find("group_size");
        if (it == object.end() || it->is_null()) return;
        if (!it->is_number_integer())
            config_detail::fail(source, detail::cat("field '", path, "group_size' must be an integer, got ", it->type_name()));
        if (it->get<long long>() != 16)
            config_detail::fail(source, detail::cat("field '", path, "group_size' is ", it->get<long long>(), "; NVFP4 blocks are 16"));
    }

    static std::string scheme_of(const std::string& algo, const std::string& source, const std::string& field) {
        const std::string a = config_detail::upper(algo);
        if (a == "NVFP4") return "w_nvfp4_a_nvfp4";
        if (a == "W4A16_NVFP4") return "w_nvfp4";
        config_detail::fail(source, detail::cat("field '", field, "' is '", algo,
                                                "'; microscale runs the ModelOpt algorithms NVFP4, W4A16_NVFP4 and MIXED_PRECISION (of those)"));
    }

    static quant_config parse(const nlohmann::json& q, const std::string& source, const std::string& path) {
        using namespace config_detail;
        quant_config c;
        c.convention = std::string(name);
        c.substring_excludes = true;
        c.source = source;
        c.algorithm = require_string(q, "quant_algo", source, path);
        c.kv_cache = optional_string(q, "kv_cache_quant_algo", source, path);
        if (c.kv_cache.empty()) c.kv_cache = optional_string(q, "kv_cache_scheme", source, path);
        // exclusions: exclude_modules (hf_quant_config.json) or ignore (config.json form)
        const bool has_exclude = q.contains("exclude_modules");
        c.exclude = string_list(q, has_exclude ? "exclude_modules" : "ignore", source, path);
        if (upper(c.algorithm) == "MIXED_PRECISION") {
            const auto& layers = require(q, "quantized_layers", source, path);
            if (!layers.is_object()) fail(source, detail::cat("field '", path, "quantized_layers' must be an object, got ", layers.type_name()));
            for (const auto& [layer, spec] : layers.items()) {
                const std::string field = detail::cat(path, "quantized_layers.", layer, ".");
                if (!spec.is_object()) fail(source, detail::cat("field '", path, "quantized_layers.", layer, "' must be an object"));
                const std::string algo = require_string(spec, "quant_algo", source, field);
                check_group_size(spec, source, field);
                // a module and, by ModelOpt's lookup, anything under it
                c.rules.push_back({{layer, layer + ".*"}, scheme_of(algo, source, field + "quant_algo")});
            }
            return c;
        }
        check_group_size(q, source, path);
        c.rules.push_back({{"Linear"}, scheme_of(c.algorithm, source, path + "quant_algo")});
        return c;
    }

    // ---- writing ------------------------------------------------------------------------------------

    template <format::weight_format F>
    static stored_weight quantize(std::span<const float> w, std::int64_t rows, std::int64_t cols, const format::quantize_options& o) {
        return convention_detail::reference_quantize<F>(w, rows, cols, o);
    }

    static float stored_input_scale(float amax) noexcept { return format::nvfp4_rules::activation_input_scale(amax); }

    /// hf_quant_config.json; and config.json (the model's, with quantization_config) when the
    /// source has a model config.
    static config_files configs(const config_request& r) {
        const char* algo = r.scheme.quantized_activations ? "NVFP4" : "W4A16_NVFP4";
        config_files out{
            {"hf_quant_config.json",
             {{"producer", convention_detail::producer()},
              {"quantization", {{"quant_algo", algo}, {"kv_cache_quant_algo", nullptr}, {"group_size", 16}, {"exclude_modules", r.ignore}}}}}};
        if (r.model_config != nullptr)
            out.emplace_back("config.json", convention_detail::model_config_with(r, {{"quant_method", "modelopt"},
                                                                                     {"quant_algo", algo},
                                                                                     {"kv_cache_quant_algo", nullptr},
                                                                                     {"group_size", 16},
                                                                                     {"ignore", r.ignore},
                                                                                     {"producer", convention_detail::producer()}}));
        return out;
    }
};

}  // namespace microscale::checkpoint::conventions
