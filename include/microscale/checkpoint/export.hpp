// Quantizing a floating-point checkpoint: every floating-point 2-D tensor `<p>.weight` that is not
// excluded becomes the scheme's tensors; every other tensor is copied unchanged; the folder gets
// the format's config file. Three output formats:
//
//   modelopt (NVFP4)            <p>.weight U8 [N, K/2], <p>.weight_scale F8_E4M3 [N, K/16],
//                               <p>.weight_scale_2 F32 [], <p>.input_scale F32 [] (W4A4, calibrated);
//                               hf_quant_config.json
//   compressed-tensors (NVFP4)  <p>.weight_packed, <p>.weight_scale, <p>.weight_global_scale F32 [1]
//                               (= 1 / G: the reciprocal convention), <p>.input_global_scale F32 [1];
//                               config.json quantization_config, format nvfp4-pack-quantized
//   quark (MX)                  <p>.weight U8 ([N, K/2] fp4, [N, 3K/4] fp6), <p>.weight_scale U8 e8m0
//                               [N, K/32]; config.json quantization_config, quant_method quark
//
// The bytes are those ModelOpt (NVFP4) and Quark / torchao with the "even" rule (MX) produce. As
// ModelOpt does, the shards of a fused module (q/k/v, gate/up) share their weight amax (so their
// global scales are equal) and their input amax. Calibration data (`<p>.input`: sample
// activations [*, K]) gives W4A4 NVFP4 its input_scale = amax / 2688. Output larger than
// `max_shard_bytes` is split into model-0000i-of-0000n.safetensors plus an index.
//
// An export is all or nothing: every file is written into a fresh folder beside the target, which
// then becomes the target (or, where the target folder exists, whose files replace the target's
// checkpoint files — model*.safetensors, the index, hf_quant_config.json, config.json — leaving its
// other files alone). A failure leaves the target as it was. A target that already holds a
// checkpoint is refused unless `overwrite` is set, and one whose checkpoint files include the
// export's own input (or calibration file) is always refused.
//
// Excludes are fnmatch globs over module names; a glob also matches the modules under a dotted
// prefix it matches (`model.layers.0` excludes `model.layers.0.mlp.up_proj`). A fused group (q/k/v,
// gate/up) is stored one way: excluding one shard excludes its siblings too (with a note).
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "microscale/checkpoint/quant_config.hpp"
#include "microscale/checkpoint/safetensors.hpp"
#include "microscale/detail/glob.hpp"
#include "microscale/detail/text.hpp"
#include "microscale/format/quantizer.hpp"
#include "microscale/format/scheme.hpp"
#include "microscale/version.hpp"

namespace microscale::checkpoint {

enum class export_format { modelopt, compressed_tensors, quark };

inline std::string_view export_format_name(export_format f) noexcept {
    return f == export_format::modelopt ? "modelopt" : f == export_format::compressed_tensors ? "compressed-tensors" : "quark";
}

inline export_format parse_export_format(std::string_view name) {
    if (name == "modelopt") return export_format::modelopt;
    if (name == "compressed-tensors") return export_format::compressed_tensors;
    if (name == "quark") return export_format::quark;
    throw std::invalid_argument(detail::cat("unknown format '", name, "' (known: modelopt, compressed-tensors, quark)"));
}

/// The format a scheme is written in by default: ModelOpt for NVFP4, Quark for MX.
inline export_format default_export_format(const std::string& scheme) {
    return format::parse_scheme(scheme)->format == "nvfp4" ? export_format::modelopt : export_format::quark;
}

struct export_options {
    std::string scheme;                   ///< canonical scheme (resolve aliases first)
    std::optional<export_format> format;  ///< default: default_export_format(scheme)
    std::vector<std::string> exclude;     ///< fnmatch globs over module prefixes (`<p>` of `<p>.weight`)
    format::mx_scale_rule mx_rule = format::mx_scale_rule::even;
    const safetensors_file* calibration = nullptr;  ///< `<p>.input` sample activations
    fused_mapping fused = default_fused_mapping();
    std::uint64_t max_shard_bytes = 5'000'000'000ull;
    bool overwrite = false;  ///< replace a checkpoint already in the output folder
    /// Called after each tensor: (tensors done, tensors in all, name).
    std::function<void(std::size_t, std::size_t, const std::string&)> progress;
};

struct export_report {
    std::vector<std::string> quantized;  ///< module prefixes
    std::vector<std::string> excluded;   ///< module prefixes left in floating point by `exclude`
    std::vector<std::string> copied;     ///< tensor names copied unchanged
    std::vector<std::string> files;      ///< written, relative to the output folder
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::vector<std::string> notes;      ///< things the user should know
    std::vector<std::string> warnings;   ///< things that look like a mistake (an exclude that matched nothing)
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

/// compressed-tensors' quantization_config for an NVFP4 scheme (nvfp4-pack-quantized).
inline nlohmann::ordered_json compressed_tensors_config(const format::scheme_parts& scheme, const std::vector<std::string>& ignore) {
    const nlohmann::ordered_json args = {{"num_bits", 4},           {"type", "float"},      {"symmetric", true},
                                         {"group_size", 16},        {"strategy", "tensor_group"}, {"block_structure", nullptr},
                                         {"dynamic", false},        {"actorder", nullptr},  {"observer", "minmax"},
                                         {"observer_kwargs", nlohmann::ordered_json::object()}};
    nlohmann::ordered_json activations = nullptr;
    if (scheme.quantized_activations) {
        activations = args;
        activations["dynamic"] = "local";
    }
    return {{"quant_method", "compressed-tensors"},
            {"format", "nvfp4-pack-quantized"},
            {"quantization_status", "compressed"},
            {"config_groups",
             {{"group_0",
               {{"targets", {"Linear"}}, {"weights", args}, {"input_activations", activations}, {"output_activations", nullptr},
                {"format", "nvfp4-pack-quantized"}}}}},
            {"ignore", ignore},
            {"kv_cache_scheme", nullptr},
            {"producer", {{"name", "microscale"}, {"version", std::string(version_string)}}}};
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

/// Writes JSON to `path` atomically (temporary file, then rename); errors name `path`.
inline void write_json(const std::filesystem::path& path, const nlohmann::ordered_json& json) {
    const std::filesystem::path temp = path.parent_path() / detail::cat(".", path.filename().string(), ".tmp");
    {
        std::ofstream out(temp, std::ios::trunc);
        if (!out) throw format_error(detail::cat(path.string(), ": cannot create: ", std::strerror(errno)));
        out << json.dump(2) << "\n";
        if (!out) throw format_error(detail::cat(path.string(), ": write failed: ", std::strerror(errno)));
    }
    std::error_code ec;
    std::filesystem::rename(temp, path, ec);
    if (ec) throw format_error(detail::cat(path.string(), ": cannot write: ", ec.message()));
}

/// True if glob `g` matches module `module` or one of its dotted prefixes ("model.layers.0" of
/// "model.layers.0.mlp.up_proj").
inline bool matches_module(const std::string& g, const std::string& module) {
    if (detail::glob_match(g, module)) return true;
    for (auto dot = module.find('.'); dot != std::string::npos; dot = module.find('.', dot + 1))
        if (detail::glob_match(g, std::string_view(module).substr(0, dot))) return true;
    return false;
}

/// True if module prefix `p` matches one of the globs (see matches_module).
inline bool matches_any(const std::string& p, const std::vector<std::string>& globs) {
    return std::any_of(globs.begin(), globs.end(), [&](const std::string& g) { return matches_module(g, p); });
}

/// True for the names of a checkpoint folder's own files: what an export writes and the loader
/// reads (model.safetensors, model-00001-of-00002.safetensors, the index, the config files).
inline bool is_checkpoint_file(std::string_view name) {
    if (name == "model.safetensors" || name == "model.safetensors.index.json" || name == "hf_quant_config.json" || name == "config.json")
        return true;
    constexpr std::string_view head = "model-", tail = ".safetensors", of = "-of-";
    if (!name.starts_with(head) || !name.ends_with(tail)) return false;
    const std::string_view middle = name.substr(head.size(), name.size() - head.size() - tail.size());
    const auto at = middle.find(of);
    auto digits = [](std::string_view d) { return !d.empty() && std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; }); };
    return at != std::string_view::npos && digits(middle.substr(0, at)) && digits(middle.substr(at + of.size()));
}

/// The checkpoint files in folder `dir` (none if it does not exist), sorted.
inline std::vector<std::filesystem::path> checkpoint_files(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) return out;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        if (is_checkpoint_file(entry.path().filename().string())) out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

namespace export_detail {

/// One output tensor of the plan: copied from the input, or one of a quantized module's tensors.
struct planned_tensor {
    std::string name;
    st_dtype dtype;
    std::vector<std::int64_t> shape;
    std::uint64_t bytes;
    std::string module;   ///< quantized module it belongs to, or "" (copied)
    std::string source;   ///< input tensor name (copies)
};

/// The fused group a module belongs to ("model.layers.0.self_attn.qkv_proj"), or "".
inline std::string fused_group(const std::string& module, const fused_mapping& fused) {
    const auto dot = module.rfind('.');
    const std::string last = dot == std::string::npos ? module : module.substr(dot + 1);
    for (const auto& [name, shards] : fused)
        if (std::find(shards.begin(), shards.end(), last) != shards.end())
            return (dot == std::string::npos ? std::string() : module.substr(0, dot + 1)) + name;
    return {};
}

inline float tensor_amax(const std::vector<float>& v) {
    float amax = 0.0f;
    for (const float x : v) amax = std::max(amax, std::fabs(x));
    return amax;
}

template <class T>
std::vector<std::byte> as_bytes(const std::vector<T>& v) {
    std::vector<std::byte> out(v.size() * sizeof(T));
    if (!out.empty()) std::memcpy(out.data(), v.data(), out.size());
    return out;
}

/// Refuses an output folder that is a file, that holds a checkpoint (unless `overwrite`), or
/// whose checkpoint files include one of `inputs` (the export would replace what it reads).
inline void check_output_folder(const std::filesystem::path& out_dir, const std::vector<std::filesystem::path>& inputs, bool overwrite) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec))
        throw std::invalid_argument(detail::cat(out_dir.string(), ": exists and is not a folder"));
    const auto existing = checkpoint_files(out_dir);
    for (const auto& f : existing)
        for (const auto& in : inputs)
            if (fs::equivalent(f, in, ec))
                throw std::invalid_argument(detail::cat(out_dir.string(), ": the export would replace ", f.filename().string(), ", which is its input ",
                                                        in.string(), "; write the checkpoint to another folder"));
    if (!existing.empty() && !overwrite) {
        std::string names;
        for (const auto& f : existing) names.append(names.empty() ? "" : ", ").append(f.filename().string());
        throw std::invalid_argument(detail::cat(out_dir.string(), " already holds a checkpoint (", names,
                                                "); replace it with overwrite (microscale quantize --overwrite) or choose another folder"));
    }
}

/// A fresh folder beside `target` that the export writes into; commit() makes its files the
/// target's; if commit() is never reached (an error), the folder is removed and the target is as it was.
class staging_folder {
public:
    explicit staging_folder(const std::filesystem::path& target) : target_(normalized(target)) {
        namespace fs = std::filesystem;
        fs::create_directories(target_.parent_path());
        temp_ = sibling("export");
        fs::create_directory(temp_);
    }
    staging_folder(const staging_folder&) = delete;
    staging_folder& operator=(const staging_folder&) = delete;
    ~staging_folder() {
        std::error_code ignored;
        if (!committed_) std::filesystem::remove_all(temp_, ignored);
    }

    const std::filesystem::path& path() const noexcept { return temp_; }

    /// A new target is the staged folder renamed. An existing one keeps its other files: its
    /// checkpoint files move aside, the staged files move in, and on any failure all of it is undone.
    void commit() {
        namespace fs = std::filesystem;
        std::error_code ec;
        if (!fs::exists(target_, ec)) {
            fs::rename(temp_, target_);
            committed_ = true;
            return;
        }
        const fs::path old = sibling("replaced");
        fs::create_directory(old);
        std::vector<std::pair<fs::path, fs::path>> moved;  // (from, to), in order
        try {
            for (const auto& f : checkpoint_files(target_)) {
                fs::rename(f, old / f.filename());
                moved.emplace_back(f, old / f.filename());
            }
            for (const auto& entry : fs::directory_iterator(temp_)) {
                fs::rename(entry.path(), target_ / entry.path().filename());
                moved.emplace_back(entry.path(), target_ / entry.path().filename());
            }
        } catch (...) {
            for (auto it = moved.rbegin(); it != moved.rend(); ++it) fs::rename(it->second, it->first, ec);
            fs::remove_all(old, ec);
            throw;
        }
        committed_ = true;
        fs::remove_all(old, ec);
        fs::remove_all(temp_, ec);
    }

private:
    static std::filesystem::path normalized(const std::filesystem::path& p) {
        std::filesystem::path out = std::filesystem::absolute(p).lexically_normal();
        return out.has_filename() ? out : out.parent_path();
    }
    std::filesystem::path sibling(std::string_view what) const {
        static std::atomic<unsigned> counter{0};
        return target_.parent_path() /
               detail::cat(".", target_.filename().string(), ".microscale-", what, "-", static_cast<long>(::getpid()), "-", counter++);
    }
    std::filesystem::path target_, temp_;
    bool committed_ = false;
};

inline bool is_weight_like(const tensor_info& t) {
    return t.name.size() > 7 && t.name.ends_with(".weight") && t.shape.size() == 2 && is_floating(t.dtype);
}

/// The modules (`<p>` of a floating-point 2-D `<p>.weight`) left in floating point: those an exclude
/// glob matches, and the fused siblings of those (a fused layer is stored one way). Notes the
/// siblings; warns of globs that matched nothing.
inline std::set<std::string> excluded_modules(const safetensors_file& in, const export_options& options, export_report& report) {
    std::vector<std::string> modules;
    for (const auto& t : in.tensors())
        if (is_weight_like(t)) modules.push_back(t.name.substr(0, t.name.size() - 7));
    std::set<std::string> out, groups;
    for (const auto& g : options.exclude) {
        bool used = false;
        for (const auto& m : modules) {
            if (!matches_module(g, m)) continue;
            used = true;
            out.insert(m);
            if (const std::string group = fused_group(m, options.fused); !group.empty()) groups.insert(group);
        }
        if (!used) report.warnings.push_back(detail::cat("exclude pattern '", g, "' matches no module of ", in.path()));
    }
    for (const auto& m : modules) {
        const std::string group = fused_group(m, options.fused);
        if (out.count(m) == 0 && !group.empty() && groups.count(group) != 0) {
            out.insert(m);
            report.notes.push_back(detail::cat(m, " is left in floating point too: it is fused with an excluded module into ", group,
                                               ", and a fused layer is stored one way"));
        }
    }
    return out;
}

}  // namespace export_detail

/// Quantizes `in` into `out_dir` (created if missing): model.safetensors (or shards + index) and
/// the format's config.
inline export_report export_checkpoint(const safetensors_file& in, const std::filesystem::path& out_dir,
                                       const export_options& options) {
    using namespace export_detail;
    const auto scheme = format::parse_scheme(options.scheme);
    if (!scheme) throw std::invalid_argument(detail::cat("'", options.scheme, "' is not a canonical scheme name"));
    const export_format fmt = options.format.value_or(default_export_format(options.scheme));
    const bool nvfp4 = scheme->format == "nvfp4";
    if (nvfp4 == (fmt == export_format::quark))
        throw std::invalid_argument(detail::cat("scheme ", options.scheme, " cannot be written as ", export_format_name(fmt),
                                                "; NVFP4 schemes: modelopt, compressed-tensors; MX schemes: quark"));
    const bool ct = fmt == export_format::compressed_tensors;
    const bool needs_input_scale = nvfp4 && scheme->quantized_activations;

    std::vector<std::filesystem::path> inputs{in.path()};
    if (options.calibration != nullptr) inputs.emplace_back(options.calibration->path());
    check_output_folder(out_dir, inputs, options.overwrite);

    export_report report;
    // ---- plan: which tensors, which modules, fused groups ----------------------------------------
    const std::set<std::string> excluded = excluded_modules(in, options, report);
    std::vector<planned_tensor> plan;
    std::map<std::string, const tensor_info*> modules;  // quantized module -> its weight tensor
    for (const auto& t : in.tensors()) {
        report.bytes_in += t.end - t.begin;
        const bool weight_like = is_weight_like(t);
        const std::string prefix = weight_like ? t.name.substr(0, t.name.size() - 7) : std::string();
        if (weight_like && excluded.count(prefix) != 0) report.excluded.push_back(prefix);
        if (!weight_like || excluded.count(prefix) != 0) {
            plan.push_back({t.name, t.dtype, t.shape, t.end - t.begin, {}, t.name});
            report.copied.push_back(t.name);
            continue;
        }
        const std::int64_t n = t.shape[0], k = t.shape[1];
        format::visit_format(scheme->format, [&](auto f) {
            using F = decltype(f);
            if (k % F::block_size != 0)
                throw std::invalid_argument(detail::cat(in.path(), ": ", t.name, ": K = ", k, " is not a multiple of the ", F::name,
                                                        " block size ", F::block_size, " (leave it in floating point with --exclude '",
                                                        prefix, "')"));
            const std::int64_t row_bytes = format::packed_row_bytes<F>(k), blocks = format::scale_cols<F>(k);
            plan.push_back({prefix + (ct ? ".weight_packed" : ".weight"), st_dtype::U8, {n, row_bytes}, static_cast<std::uint64_t>(n * row_bytes), prefix, {}});
            plan.push_back({prefix + ".weight_scale", nvfp4 ? st_dtype::F8_E4M3 : st_dtype::U8, {n, blocks}, static_cast<std::uint64_t>(n * blocks), prefix, {}});
            if (nvfp4) {
                const std::vector<std::int64_t> scalar = ct ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{};
                plan.push_back({prefix + (ct ? ".weight_global_scale" : ".weight_scale_2"), st_dtype::F32, scalar, 4, prefix, {}});
                if (needs_input_scale && options.calibration != nullptr)
                    plan.push_back({prefix + (ct ? ".input_global_scale" : ".input_scale"), st_dtype::F32, scalar, 4, prefix, {}});
            }
        });
        modules[prefix] = &t;
        report.quantized.push_back(prefix);
    }
    // shared amax of fused groups (weights, and calibration inputs)
    std::map<std::string, float> weight_amax, input_amax;
    for (const auto& [module, t] : modules) {
        const float a = tensor_amax(read_floats(in, *t));
        const std::string g = fused_group(module, options.fused);
        weight_amax[module] = a;
        if (!g.empty()) weight_amax[g] = std::max(weight_amax[g], a);
        if (needs_input_scale && options.calibration != nullptr) {
            const tensor_info* c = options.calibration->find(module + ".input");
            if (c == nullptr)
                throw std::invalid_argument(detail::cat(options.calibration->path(), ": no calibration tensor '", module, ".input' for W4A4 layer ", module));
            if (c->shape.size() != 2 || c->shape[1] != t->shape[1])
                throw std::invalid_argument(detail::cat(options.calibration->path(), ": '", module, ".input' has shape ", c->shape_string(),
                                                        ", expected [samples, ", t->shape[1], "]"));
            const auto values = read_floats(*options.calibration, *c);
            format::require_finite(values, c->shape[1], detail::cat(options.calibration->path(), ": ", module, ".input"));
            const float ia = tensor_amax(values);
            input_amax[module] = ia;
            if (!g.empty()) input_amax[g] = std::max(input_amax[g], ia);
        }
    }
    if (needs_input_scale && options.calibration == nullptr && !modules.empty())
        report.notes.push_back("W4A4 NVFP4: no input_scale was written (no --calibration data); the W4A4 kernels refuse a layer without one");
    if (!nvfp4 && scheme->quantized_activations && options.calibration != nullptr)
        report.notes.push_back("MX activations are scaled per block at run time: the calibration data is not needed and was not used");

    // ---- shards -------------------------------------------------------------------------------------
    std::vector<std::vector<const planned_tensor*>> shards(1);
    std::uint64_t shard_bytes = 0;
    std::string open_module;
    for (const auto& p : plan) {
        const bool same_module = !p.module.empty() && p.module == open_module;
        if (!same_module && shard_bytes > 0 && shard_bytes + p.bytes > options.max_shard_bytes) {
            shards.emplace_back();
            shard_bytes = 0;
        }
        shards.back().push_back(&p);
        shard_bytes += p.bytes;
        open_module = p.module;
    }
    auto shard_name = [&](std::size_t i) {
        if (shards.size() == 1) return std::string("model.safetensors");
        char buf[64];
        std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
        return std::string(buf);
    };

    // ---- quantize and write, shard by shard, into the staging folder -------------------------------------
    staging_folder staging(out_dir);
    const std::filesystem::path& dir = staging.path();
    const std::size_t total = plan.size();
    std::size_t done = 0;
    nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
    for (std::size_t s = 0; s < shards.size(); ++s) {
        safetensors_writer writer;
        writer.set_metadata("format", "pt");
        writer.set_metadata("quantized_by", detail::cat("microscale ", version_string, " ", options.scheme));
        std::map<std::string, quantized_weight> quantized;  // modules of this shard
        for (const planned_tensor* p : shards[s]) {
            if (p->module.empty()) {
                writer.add_view(p->name, p->dtype, p->shape, in.bytes(in.at(p->source)));
            } else {
                auto it = quantized.find(p->module);
                if (it == quantized.end()) {
                    const tensor_info& t = *modules.at(p->module);
                    const std::string group = fused_group(p->module, options.fused);
                    format::quantize_options qo;
                    qo.mx_rule = options.mx_rule;
                    qo.name = detail::cat(in.path(), ": ", t.name);
                    if (nvfp4) qo.global_amax = weight_amax.at(group.empty() ? p->module : group);
                    format::visit_format(scheme->format, [&](auto f) {
                        it = quantized.emplace(p->module, format::quantize_weight<decltype(f)>(read_floats(in, t), t.shape[0], t.shape[1], qo)).first;
                    });
                }
                const quantized_weight& q = it->second;
                const std::string suffix = p->name.substr(p->module.size());
                if (suffix == ".weight" || suffix == ".weight_packed") {
                    writer.add(p->name, p->dtype, p->shape, as_bytes(q.codes));
                } else if (suffix == ".weight_scale") {
                    writer.add(p->name, p->dtype, p->shape, as_bytes(q.scales));
                } else if (suffix == ".weight_scale_2" || suffix == ".weight_global_scale") {
                    const float g = ct ? 1.0f / q.global_scale : q.global_scale;
                    writer.add(p->name, p->dtype, p->shape, as_bytes(std::vector<float>{g}));
                } else {  // input scale
                    const std::string group = fused_group(p->module, options.fused);
                    float amax = input_amax.at(group.empty() ? p->module : group);
                    if (amax == 0.0f) amax = 1.0f;  // all-zero calibration data: any scale quantizes zeros exactly
                    const float input_scale = format::nvfp4_rules::activation_input_scale(amax);
                    writer.add(p->name, p->dtype, p->shape, as_bytes(std::vector<float>{ct ? 1.0f / input_scale : input_scale}));
                }
            }
            weight_map[p->name] = shard_name(s);
            if (options.progress) options.progress(++done, total, p->name);
        }
        writer.write(dir / shard_name(s));
        report.bytes_out += writer.data_bytes();
        report.files.push_back(shard_name(s));
    }
    if (shards.size() > 1) {
        write_json(dir / "model.safetensors.index.json",
                   {{"metadata", {{"total_size", report.bytes_out}}}, {"weight_map", weight_map}});
        report.files.push_back("model.safetensors.index.json");
    }

    // ---- config -------------------------------------------------------------------------------------
    switch (fmt) {
        case export_format::modelopt:
            write_json(dir / "hf_quant_config.json", modelopt_hf_quant_config(*scheme, report.excluded));
            report.files.push_back("hf_quant_config.json");
            break;
        case export_format::compressed_tensors:
            write_json(dir / "config.json", {{"quantization_config", compressed_tensors_config(*scheme, report.excluded)}});
            report.files.push_back("config.json");
            break;
        case export_format::quark:
            write_json(dir / "config.json", {{"quantization_config", quark_quantization_config(*scheme, report.excluded, options.mx_rule)}});
            report.files.push_back("config.json");
            break;
    }
    staging.commit();
    return report;
}

}  // namespace microscale::checkpoint
