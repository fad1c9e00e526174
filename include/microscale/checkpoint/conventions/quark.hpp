// AMD Quark's OCP MX convention (MXFP4, MXFP6 E2M3 / E3M2): what Quark's `export_safetensors`
// writes and vLLM's Quark path reads.
//
//   tensors   <p>.weight U8 ([N, K/2] fp4, [N, 3K/4] fp6), <p>.weight_scale U8 (or F8_E8M0) e8m0
//             [N, K/32]; no global scales
//   config    config.json "quantization_config", quant_method "quark",
//             global_quant_config.{weight, input_tensors (null: weight-only)} with the OCP MX dtypes
//             fp4 / fp6_e2m3 / fp6_e3m2, per_group 32, e8m0 scales, scale_calculation_mode
//             (even / floor); layer_quant_config overrides (name patterns); exclude
//   bytes     Quark's and torchao's MX quantizer with the configured scale rule (format/mx.hpp)
#pragma once

#include "microscale/checkpoint/conventions/convention.hpp"
#include "microscale/checkpoint/conventions/modelopt.hpp"

namespace microscale::checkpoint::conventions {

struct quark {
    static constexpr std::string_view name = "quark";
    static constexpr module_tensors tensors{.codes = "weight", .scales = "weight_scale"};  // no global scales
    static constexpr moe_tensors moe = stacked_moe_tensors;
    static constexpr bool stores_linear = true;
    static constexpr format::mx_scale_rule mx_rule = format::mx_scale_rule::even;  // Quark's default scale_calculation_mode
    template <format::weight_format F>
    static constexpr bool stores = !F::has_global_scale;

    /// Its codes tensor, and no ModelOpt global scale (whose codes tensor has the same name).
    static bool holds(const tensor_store& store, const std::string& stem) {
        return convention_detail::has_tensor(store, stem, tensors.codes) &&
               !convention_detail::has_tensor(store, stem, modelopt::tensors.global_scale);
    }

    /// Quark's element dtype name of an MX format: fp4 (e2m1), fp6_e2m3, fp6_e3m2.
    template <format::weight_format F>
    static std::string dtype_of() {
        return format::element_bits<F> == 4 ? std::string("fp4") : "fp6_" + std::string(F::element::name);
    }

    // ---- config -----------------------------------------------------------------------------------

    static const nlohmann::json* config_object(const nlohmann::json& root, std::string& path) {
        return convention_detail::quantization_config_if(root, path, [](const std::string& m) { return m == "quark"; });
    }

    /// An OCP MX tensor spec (per_group 32, e8m0 scales): the format it names; `rule` gets its scale rule.
    static std::string spec_format(const nlohmann::json& spec, const std::string& source, const std::string& path, format::mx_scale_rule* rule) {
        using namespace config_detail;
        if (!spec.is_object()) fail(source, detail::cat("field '", path, "' must be an object, got ", spec.type_name()));
        const std::string dtype = require_string(spec, "dtype", source, path + ".");
        std::string fmt, known;
        boost::mp11::mp_for_each<format::all_formats>([&](auto f) {
            using F = decltype(f);
            if constexpr (stores<F>) {
                known.append(known.empty() ? "" : ", ").append(dtype_of<F>());
                if (dtype == dtype_of<F>()) fmt = std::string(F::name);
            }
        });
        if (fmt.empty()) fail(source, detail::cat("field '", path, ".dtype' is '", dtype, "'; microscale runs the OCP MX dtypes ", known));
        if (string_or(spec, "qscheme") != "per_group" || string_or(spec, "scale_format") != "e8m0" || !integer_is(spec, "group_size", 32))
            fail(source,
                 detail::cat("field '", path, "' is not OCP MX (expected qscheme per_group, group_size 32, scale_format e8m0): ", spec.dump()));
        if (rule != nullptr) {
            const std::string mode = string_or(spec, "scale_calculation_mode", "even");
            try {
                *rule = format::parse_mx_scale_rule(mode);
            } catch (const std::invalid_argument&) {
                fail(source, detail::cat("field '", path, ".scale_calculation_mode' is '", mode, "'; known: even, floor, rceil"));
            }
        }
        return fmt;
    }

    static std::string scheme_of(const nlohmann::json& weight, const nlohmann::json* input, const std::string& source, const std::string& path,
                                 format::mx_scale_rule* rule) {
        const std::string w = spec_format(weight, source, path + "weight", rule);
        if (input == nullptr || input->is_null()) return std::string(make_scheme_name(w, false).view());
        const std::string a = spec_format(*input, source, path + "input_tensors", nullptr);
        if (a != w) {
            std::string known;
            boost::mp11::mp_for_each<format::all_formats>([&](auto f) {
                if constexpr (stores<decltype(f)>)
                    for (const bool aq : {false, true})
                        known.append(known.empty() ? "" : ", ").append(make_scheme_name(decltype(f)::name, aq).view());
            });
            config_detail::fail(source,
                                detail::cat("scheme w_", w, "_a_", a, " (different weight and activation formats) is not supported; known: ", known));
        }
        return std::string(make_scheme_name(w, true).view());
    }

    static quant_config parse(const nlohmann::json& q, const std::string& source, const std::string& path) {
        using namespace config_detail;
        quant_config c = begin_config(name, q, "exclude", source, path);
        if (q.contains("kv_cache_quant_config") && !q["kv_cache_quant_config"].is_null()) c.kv_cache = q["kv_cache_quant_config"].dump();
        // per-layer overrides first (name patterns), then the global spec for every linear module
        if (const auto layers = q.find("layer_quant_config"); layers != q.end() && !layers->is_null()) {
            if (!layers->is_object()) fail(source, detail::cat("field '", path, "layer_quant_config' must be an object"));
            for (const auto& [pattern, spec] : layers->items()) {
                const std::string field = detail::cat(path, "layer_quant_config.", pattern, ".");
                if (!spec.is_object()) fail(source, detail::cat("field '", path, "layer_quant_config.", pattern, "' must be an object"));
                const auto input = spec.find("input_tensors");
                c.rules.push_back(
                    {{pattern}, scheme_of(require(spec, "weight", source, field), input == spec.end() ? nullptr : &*input, source, field, nullptr)});
            }
        }
        const auto& global = require(q, "global_quant_config", source, path);
        if (!global.is_object()) fail(source, detail::cat("field '", path, "global_quant_config' must be an object"));
        const auto input = global.find("input_tensors");
        const std::string scheme = scheme_of(require(global, "weight", source, path + "global_quant_config."),
                                             input == global.end() ? nullptr : &*input, source, path + "global_quant_config.", &c.mx_rule);
        c.rules.push_back({{"Linear"}, scheme});
        c.algorithm = scheme;
        return c;
    }

    // ---- writing ------------------------------------------------------------------------------------

    template <format::weight_format F>
    static stored_weight quantize(std::span<const float> w, std::int64_t rows, std::int64_t cols, const format::quantize_options& o) {
        return convention_detail::reference_quantize<F>(w, rows, cols, o);
    }

    static float stored_input_scale(float) noexcept { return 1.0f; }  // MX activations are scaled per block at run time

    /// config.json: the model's config with Quark's quantization_config.
    static config_files configs(const config_request& r) {
        std::string dtype;
        format::visit_format(r.scheme.format, [&](auto f) { dtype = dtype_of<decltype(f)>(); });
        auto spec = [&](bool dynamic) {
            return nlohmann::ordered_json{{"dtype", dtype},
                                          {"is_dynamic", dynamic},
                                          {"qscheme", "per_group"},
                                          {"ch_axis", -1},
                                          {"group_size", 32},
                                          {"symmetric", nullptr},
                                          {"round_method", "half_even"},
                                          {"scale_type", "float"},
                                          {"scale_format", "e8m0"},
                                          {"scale_calculation_mode", std::string(format::mx_scale_rule_name(r.mx_rule))},
                                          {"observer_cls", "PerBlockMXObserver"},
                                          {"is_scale_quant", false},
                                          {"mx_element_dtype", nullptr}};
        };
        const nlohmann::ordered_json q = {{"quant_method", "quark"},
                                          {"quant_mode", "eager_mode"},
                                          {"producer", convention_detail::producer()},
                                          {"global_quant_config",
                                           {{"weight", spec(false)},
                                            {"input_tensors", r.scheme.quantized_activations ? spec(true) : nlohmann::ordered_json(nullptr)},
                                            {"output_tensors", nullptr},
                                            {"bias", nullptr},
                                            {"target_device", nullptr}}},
                                          {"layer_quant_config", nlohmann::ordered_json::object()},
                                          {"layer_type_quant_config", nlohmann::ordered_json::object()},
                                          {"kv_cache_quant_config", nlohmann::ordered_json::object()},
                                          {"exclude", r.ignore},
                                          {"export",
                                           {{"kv_cache_group", nlohmann::ordered_json::array()},
                                            {"min_kv_scale", 0.0},
                                            {"pack_method", "reorder"},
                                            {"weight_format", "real_quantized"},
                                            {"weight_merge_groups", nullptr}}}};
        return {{"config.json", convention_detail::model_config_with(r, q)}};
    }
};

}  // namespace microscale::checkpoint::conventions
