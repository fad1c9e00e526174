// Quantizing a floating-point checkpoint: every floating-point 2-D tensor `<p>.weight` that is not
// excluded becomes the scheme's tensors; every other tensor is copied unchanged; the folder gets
// the scheme's config file.
//
//   NVFP4 (ModelOpt):  <p>.weight U8 [N, K/2], <p>.weight_scale F8_E4M3 [N, K/16],
//                      <p>.weight_scale_2 F32 [] ; hf_quant_config.json
//   MX (Quark):        <p>.weight U8 [N, K/2] (fp4) or [N, 3K/4] (fp6), <p>.weight_scale U8 [N, K/32]
//                      (e8m0) ; config.json "quantization_config" (quant_method "quark")
// The bytes are those ModelOpt (NVFP4) and Quark / torchao with the "even" rule (MX) produce.
#pragma once

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "microscale/checkpoint/safetensors.hpp"
#include "microscale/detail/glob.hpp"
#include "microscale/detail/text.hpp"
#include "microscale/format/quantizer.hpp"
#include "microscale/format/scheme.hpp"
#include "microscale/version.hpp"

namespace microscale::checkpoint {

struct export_options {
    std::string scheme;                     ///< canonical scheme (resolve aliases first)
    std::vector<std::string> exclude;       ///< fnmatch globs over module prefixes (`<p>` of `<p>.weight`)
    format::mx_scale_rule mx_rule = format::mx_scale_rule::even;
};

struct export_report {
    std::vector<std::string> quantized;     ///< module prefixes
    std::vector<std::string> excluded;      ///< module prefixes left in floating point by `exclude`
    std::vector<std::string> copied;        ///< tensor names copied unchanged
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::vector<std::string> notes;         ///< things the user should know (e.g. missing input_scale)
};

/// The element dtype name Quark uses for a format ("fp4", "fp6_e2m3", "fp6_e3m2").
inline std::string quark_dtype(const std::string& format) {
    if (format == "mxfp4") return "fp4";
    if (format == "mxfp6_e2m3") return "fp6_e2m3";
    if (format == "mxfp6_e3m2") return "fp6_e3m2";
    throw std::invalid_argument(detail::cat("no Quark dtype for format ", format));
}

/// ModelOpt's hf_quant_config.json for an NVFP4 scheme.
inline nlohmann::ordered_json modelopt_hf_quant_config(const format::scheme_parts& scheme,
                                                       const std::vector<std::string>& exclude_modules) {
    return {{"producer", {{"name", "microscale"}, {"version", std::string(version_string)}}},
            {"quantization",
             {{"quant_algo", scheme.quantized_activations ? "NVFP4" : "W4A16_NVFP4"},
              {"kv_cache_quant_algo", nullptr},
              {"group_size", 16},
              {"exclude_modules", exclude_modules}}}};
}

/// A Quark OCP MX quantization_config (config.json).
inline nlohmann::ordered_json quark_quantization_config(const format::scheme_parts& scheme,
                                                        const std::vector<std::string>& exclude,
                                                        format::mx_scale_rule rule) {
    auto spec = [&](bool dynamic) {
        return nlohmann::ordered_json{{"dtype", quark_dtype(scheme.format)},
                                      {"is_dynamic", dynamic},
                                      {"qscheme", "per_group"},
                                      {"ch_axis", -1},
                                      {"group_size", 32},
                                      {"symmetric", nullptr},
                                      {"round_method", "half_even"},
                                      {"scale_type", "float"},
                                      {"scale_format", "e8m0"},
                                      {"scale_calculation_mode", std::string(format::mx_scale_rule_name(rule))},
                                      {"observer_cls", "PerBlockMXObserver"},
                                      {"is_scale_quant", false},
                                      {"mx_element_dtype", nullptr}};
    };
    return {{"quant_method", "quark"},
            {"quant_mode", "eager_mode"},
            {"producer", {{"name", "microscale"}, {"version", std::string(version_string)}}},
            {"global_quant_config",
             {{"weight", spec(false)},
              {"input_tensors", scheme.quantized_activations ? spec(true) : nlohmann::ordered_json(nullptr)},
              {"output_tensors", nullptr},
              {"bias", nullptr},
              {"target_device", nullptr}}},
            {"layer_quant_config", nlohmann::ordered_json::object()},
            {"layer_type_quant_config", nlohmann::ordered_json::object()},
            {"kv_cache_quant_config", nlohmann::ordered_json::object()},
            {"exclude", exclude},
            {"export",
             {{"kv_cache_group", nlohmann::ordered_json::array()},
              {"min_kv_scale", 0.0},
              {"pack_method", "reorder"},
              {"weight_format", "real_quantized"},
              {"weight_merge_groups", nullptr}}}};
}

/// Writes JSON to `path` atomically (temporary file, then rename).
inline void write_json(const std::filesystem::path& path, const nlohmann::ordered_json& json) {
    const std::filesystem::path temp = path.parent_path() / detail::cat(".", path.filename().string(), ".tmp");
    {
        std::ofstream out(temp, std::ios::trunc);
        if (!out) throw format_error(detail::cat(temp.string(), ": cannot create"));
        out << json.dump(2) << "\n";
        if (!out) throw format_error(detail::cat(temp.string(), ": write failed"));
    }
    std::filesystem::rename(temp, path);
}

/// The quantized tensors of one module, added to `writer` under `prefix`.
template <format::weight_format F>
void add_quantized_module(safetensors_writer& writer, const std::string& prefix, const quantized_weight& q) {
    writer.add_values<std::uint8_t>(prefix + ".weight", st_dtype::U8, {q.rows, format::packed_row_bytes<F>(q.cols)}, q.codes);
    writer.add_values<std::uint8_t>(prefix + ".weight_scale", F::has_global_scale ? st_dtype::F8_E4M3 : st_dtype::U8,
                                    {q.rows, format::scale_cols<F>(q.cols)}, q.scales);
    if constexpr (F::has_global_scale) {
        const float g[1] = {q.global_scale};
        writer.add_values<float>(prefix + ".weight_scale_2", st_dtype::F32, {}, g);
    }
}

/// True if module prefix `p` matches one of the globs.
inline bool matches_any(const std::string& p, const std::vector<std::string>& globs) {
    for (const auto& g : globs)
        if (detail::glob_match(g, p)) return true;
    return false;
}

/// Quantizes `in` into `out_dir` (created if missing): model.safetensors plus the scheme's config.
inline export_report export_checkpoint(const safetensors_file& in, const std::filesystem::path& out_dir,
                                       const export_options& options) {
    const auto scheme = format::parse_scheme(options.scheme);
    if (!scheme) throw std::invalid_argument(detail::cat("'", options.scheme, "' is not a canonical scheme name"));
    std::filesystem::create_directories(out_dir);
    export_report report;
    safetensors_writer writer;
    for (const auto& t : in.tensors()) {
        report.bytes_in += t.end - t.begin;
        const bool weight_like = t.name.size() > 7 && t.name.ends_with(".weight") && t.shape.size() == 2 && is_floating(t.dtype);
        const std::string prefix = weight_like ? t.name.substr(0, t.name.size() - 7) : std::string();
        if (weight_like && matches_any(prefix, options.exclude)) report.excluded.push_back(prefix);
        if (!weight_like || matches_any(prefix, options.exclude)) {
            writer.add_view(t.name, t.dtype, t.shape, in.bytes(t));
            report.copied.push_back(t.name);
            continue;
        }
        const auto values = read_floats(in, t);
        format::visit_format(scheme->format, [&](auto f) {
            using F = decltype(f);
            format::quantize_options qo;
            qo.mx_rule = options.mx_rule;
            qo.name = detail::cat(in.path(), ": ", t.name);
            if (t.shape[1] % F::block_size != 0)
                throw std::invalid_argument(detail::cat(qo.name, ": K = ", t.shape[1], " is not a multiple of the ", F::name,
                                                        " block size ", F::block_size, " (leave it in floating point with --exclude '",
                                                        prefix, "')"));
            const quantized_weight q = format::quantize_weight<F>(values, t.shape[0], t.shape[1], qo);
            add_quantized_module<F>(writer, prefix, q);
        });
        report.quantized.push_back(prefix);
    }
    writer.set_metadata("format", "pt");
    writer.set_metadata("quantized_by", detail::cat("microscale ", version_string, " ", options.scheme));
    writer.write(out_dir / "model.safetensors");
    report.bytes_out = writer.data_bytes();
    if (scheme->format == "nvfp4") {
        write_json(out_dir / "hf_quant_config.json", modelopt_hf_quant_config(*scheme, report.excluded));
        if (scheme->quantized_activations)
            report.notes.push_back(
                "W4A4 NVFP4: no input_scale was written; activation global scales need calibration data, and the "
                "W4A4 kernels refuse a layer without one");
    } else {
        write_json(out_dir / "config.json",
                   {{"quantization_config", quark_quantization_config(*scheme, report.excluded, options.mx_rule)}});
    }
    return report;
}

}  // namespace microscale::checkpoint
