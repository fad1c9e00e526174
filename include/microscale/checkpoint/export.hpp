// Quantizing a floating-point checkpoint: every floating-point 2-D tensor `<p>.weight` that is not
// excluded and not an embedding table (`embed_tokens`, `wte`, ...: a lookup, not a linear) becomes the scheme's tensors in a checkpoint convention's
// names and bytes (checkpoint/conventions/: modelopt and compressed-tensors for NVFP4, compressed-tensors for MXFP4, quark for MX); every other
// tensor is copied unchanged; the folder gets the convention's config files. The default convention of a format is its reference exporter's (ModelOpt
// for NVFP4, Quark for MX). As ModelOpt does, the shards of a fused module (q/k/v, gate/up) share their weight amax (so their global scales are
// equal) and their input amax. Calibration data (`<p>.input`: sample activations [*, K]) gives W4A4 NVFP4 its input scale. Output larger than
// `max_shard_bytes` is split into model-0000i-of-0000n.safetensors plus an index.
//
// When the input's folder has a model config.json, the export's config.json is that config with
// the quantization_config set (so transformers loads the export as it is), and an LM head that is
// not stored (tied to the embeddings) is put in the ignore list, as the producers do.
//
// An export is all or nothing (export_folder.hpp): every file is written into a fresh folder beside
// the target, which then becomes the target (or, where the target folder exists, whose files replace
// the target's checkpoint files — model*.safetensors, the index, hf_quant_config.json, config.json —
// leaving its other files alone). A failure leaves the target as it was. A target that already
// holds a checkpoint is refused unless `overwrite` is set, and one whose checkpoint files include
// the export's own input (or calibration file) is always refused.
//
// Excludes are fnmatch globs over module names; a glob also matches the modules under a dotted
// prefix it matches (`model.layers.0` excludes `model.layers.0.mlp.up_proj`). A fused group (q/k/v,
// gate/up) is stored one way: excluding one shard excludes its siblings too (with a note).
#pragma once

#include <algorithm>
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

#include "microscale/checkpoint/conventions/conventions.hpp"
#include "microscale/checkpoint/export_folder.hpp"
#include "microscale/checkpoint/quant_config.hpp"
#include "microscale/checkpoint/safetensors.hpp"
#include "microscale/detail/glob.hpp"
#include "microscale/detail/json_file.hpp"
#include "microscale/detail/text.hpp"
#include "microscale/format/quantizer.hpp"
#include "microscale/format/scheme.hpp"
#include "microscale/version.hpp"

namespace microscale::checkpoint {

/// The convention `name`; std::invalid_argument listing the known ones if there is none.
inline std::string parse_convention(std::string_view name) {
    if (!visit_convention(name, [](auto) {}))
        throw std::invalid_argument(detail::cat("unknown format '", name, "' (known: ", convention_list(), ")"));
    return std::string(name);
}

/// The convention a scheme is written in by default (default_convention of its format).
inline std::string default_export_convention(const std::string& scheme) {
    return std::string(default_convention(format::parse_scheme(scheme)->format));
}

struct export_options {
    std::string scheme;                     ///< canonical scheme (resolve aliases first)
    std::optional<std::string> convention;  ///< a convention's name; default: default_export_convention(scheme)
    std::vector<std::string> exclude;       ///< fnmatch globs over module prefixes (`<p>` of `<p>.weight`)
    std::optional<format::mx_scale_rule> mx_rule;  ///< default: the convention's producer's (C::mx_rule)
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
    std::vector<std::string> notes;     ///< things the user should know
    std::vector<std::string> warnings;  ///< things that look like a mistake (an exclude that matched nothing)
};

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

namespace export_detail {

/// One output tensor of the plan: copied from the input, or one of a quantized module's tensors.
struct planned_tensor {
    std::string name;
    st_dtype dtype;
    std::vector<std::int64_t> shape;
    std::uint64_t bytes;
    std::string module;  ///< quantized module it belongs to, or "" (copied)
    std::string source;  ///< input tensor name (copies)
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

/// True for a token or position embedding table (`embed_tokens`, `wte`, `wpe`, `word_embeddings`,
/// ...): 2-D, but a lookup, not a linear layer, so the producers leave it in floating point.
inline bool is_embedding(std::string_view module) {
    const auto dot = module.rfind('.');
    const std::string_view last = dot == std::string_view::npos ? module : module.substr(dot + 1);
    return last.find("embed") != std::string_view::npos || last == "wte" || last == "wpe";
}

/// A floating-point 2-D `<p>.weight` of a linear layer (not an embedding table).
inline bool is_weight_like(const tensor_info& t) {
    return t.name.size() > 7 && t.name.ends_with(".weight") && t.shape.size() == 2 && is_floating(t.dtype) &&
           !is_embedding(std::string_view(t.name).substr(0, t.name.size() - 7));
}

/// The stacked experts of a floating-point model that convention C quantizes: MoE layer <p> with
/// 3-D floating-point <p>.<float_gate_up> and <p>.<float_down> (transformers' GptOssExperts).
template <checkpoint_convention C>
std::vector<std::string> float_expert_layers(const safetensors_file& in) {
    std::vector<std::string> out;
    if constexpr (!C::moe.float_gate_up.empty()) {
        const std::string gate_up = detail::cat(".", C::moe.float_gate_up), down = detail::cat(".", C::moe.float_down);
        for (const auto& t : in.tensors()) {
            if (t.shape.size() != 3 || !is_floating(t.dtype) || t.name.size() <= gate_up.size() || !t.name.ends_with(gate_up)) continue;
            const std::string p = t.name.substr(0, t.name.size() - gate_up.size());
            if (const tensor_info* d = in.find(p + down); d != nullptr && d->shape.size() == 3 && is_floating(d->dtype)) out.push_back(p);
        }
    }
    return out;
}

/// The modules convention C would quantize: `<p>` of each floating-point 2-D `<p>.weight` (if it
/// stores linear modules), and its floating-point expert layers.
template <checkpoint_convention C>
std::vector<std::string> quantizable_modules(const safetensors_file& in) {
    std::vector<std::string> modules;
    if constexpr (C::stores_linear)
        for (const auto& t : in.tensors())
            if (is_weight_like(t)) modules.push_back(t.name.substr(0, t.name.size() - 7));
    for (auto& p : float_expert_layers<C>(in)) modules.push_back(std::move(p));
    return modules;
}

/// The modules left in floating point: those an exclude glob matches, and the fused siblings of
/// those (a fused layer is stored one way). Notes the siblings; warns of globs that matched nothing.
template <checkpoint_convention C>
std::set<std::string> excluded_modules(const safetensors_file& in, const export_options& options, export_report& report) {
    const std::vector<std::string> modules = quantizable_modules<C>(in);
    std::set<std::string> out, groups;
    for (const auto& g : options.exclude) {
        bool used = false;
        for (const auto& m : modules) {
            if (!matches_module(g, m)) continue;
            used = true;
            out.insert(m);
            if (const std::string group = fused_group(m, options.fused); !group.empty()) groups.insert(group);
        }
        if (!used) report.warnings.push_back(detail::cat("exclude pattern '", g, "' matches no module ", C::name, " quantizes in ", in.path()));
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

/// What an export writes: its tensors in order, and the quantized modules' source weights.
struct export_plan {
    std::vector<planned_tensor> tensors;
    std::map<std::string, const tensor_info*> modules;  ///< quantized module -> its weight tensor
};

/// The tensors convention C writes for module `prefix` (weight t, format F).
template <checkpoint_convention C, format::weight_format F>
void plan_module(const safetensors_file& in, const tensor_info& t, const std::string& prefix, bool input_scale, export_plan& plan) {
    const std::int64_t n = t.shape[0], k = t.shape[1];
    if (k % F::block_size != 0)
        throw std::invalid_argument(detail::cat(in.path(), ": ", t.name, ": K = ", k, " is not a multiple of the ", F::name, " block size ",
                                                F::block_size, " (leave it in floating point with --exclude '", prefix, "')"));
    const std::int64_t row_bytes = format::packed_row_bytes<F>(k), blocks = format::scale_cols<F>(k);
    const std::string stem = prefix + ".";
    plan.tensors.push_back(
        {stem + std::string(C::tensors.codes), st_dtype::U8, {n, row_bytes}, static_cast<std::uint64_t>(n * row_bytes), prefix, {}});
    plan.tensors.push_back(
        {stem + std::string(C::tensors.scales), scale_dtype<F>(), {n, blocks}, static_cast<std::uint64_t>(n * blocks), prefix, {}});
    if constexpr (F::has_global_scale) {
        const std::vector<std::int64_t> scalar = C::tensors.vector_scalars ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{};
        plan.tensors.push_back({stem + std::string(C::tensors.global_scale), st_dtype::F32, scalar, 4, prefix, {}});
        if (input_scale) plan.tensors.push_back({stem + std::string(C::tensors.input_scale), st_dtype::F32, scalar, 4, prefix, {}});
    }
}

/// The tensors convention C writes for the floating-point experts <p> (format F): gate_up [E, K, 2I]
/// and down [E, I, K] become codes and scales of the transposed [E, 2I, K] and [E, K, I].
template <checkpoint_convention C, format::weight_format F>
void plan_experts(const safetensors_file& in, const std::string& p, export_plan& plan, export_report& report) {
    // the stored stems are the floating-point names + "_" (gate_up_proj -> gate_up_proj_blocks)
    constexpr auto stem_of = [](std::string_view stem, std::string_view name) {
        return stem.size() == name.size() + 1 && stem.starts_with(name) && stem.back() == '_';
    };
    static_assert(stem_of(C::moe.gate_up, C::moe.float_gate_up) && stem_of(C::moe.down, C::moe.float_down));
    const tensor_info& gate_up = in.at(detail::cat(p, ".", C::moe.float_gate_up));
    const tensor_info& down = in.at(detail::cat(p, ".", C::moe.float_down));
    const std::int64_t e = gate_up.shape[0], k = gate_up.shape[1], inter = down.shape[1];
    if (e <= 0 || k <= 0 || inter <= 0 || down.shape[0] != e || down.shape[2] != k || gate_up.shape[2] != 2 * inter)
        throw std::invalid_argument(detail::cat(in.path(), ": experts ", p, ": ", gate_up.name, " ", gate_up.shape_string(), " and ", down.name, " ",
                                                down.shape_string(), " are not [E, K, 2I] and [E, I, K]"));
    if (k % F::block_size != 0 || inter % F::block_size != 0)
        throw std::invalid_argument(detail::cat(in.path(), ": experts ", p, ": K = ", k, " and I = ", inter, " must be multiples of the ", F::name,
                                                " block size ", F::block_size, " (leave them in floating point with --exclude '", p, "')"));
    for (const tensor_info* t : {&gate_up, &down}) {
        const std::int64_t n = t->shape[2], cols = t->shape[1], blocks = format::scale_cols<F>(cols);
        const std::int64_t block_bytes = format::packed_row_bytes<F>(F::block_size);
        const std::vector<std::int64_t> codes = C::moe.blocked_codes ? std::vector<std::int64_t>{e, n, blocks, block_bytes}
                                                                     : std::vector<std::int64_t>{e, n, format::packed_row_bytes<F>(cols)};
        const std::string stem = t->name + "_";  // "<p>.gate_up_proj" + "_blocks": the stem C::moe names
        plan.tensors.push_back({stem + std::string(C::tensors.codes), st_dtype::U8, codes, static_cast<std::uint64_t>(e * n * blocks * block_bytes),
                                t->name, {}});
        plan.tensors.push_back(
            {stem + std::string(C::tensors.scales), scale_dtype<F>(), {e, n, blocks}, static_cast<std::uint64_t>(e * n * blocks), t->name, {}});
        plan.modules[t->name] = t;
        report.quantized.push_back(t->name);
    }
}

/// Every tensor of the export, in the input's order; excluded modules and other tensors are copies.
template <checkpoint_convention C, format::weight_format F>
export_plan plan_export(const safetensors_file& in, const export_options& options, bool input_scale, export_report& report) {
    const std::set<std::string> excluded = excluded_modules<C>(in, options, report);
    std::set<std::string> experts;  // the floating-point expert tensors
    for (const auto& p : float_expert_layers<C>(in)) {
        experts.insert(detail::cat(p, ".", C::moe.float_gate_up));
        experts.insert(detail::cat(p, ".", C::moe.float_down));
    }
    export_plan plan;
    for (const auto& t : in.tensors()) {
        report.bytes_in += t.end - t.begin;
        if (experts.count(t.name) != 0) {
            const std::string p = t.name.substr(0, t.name.rfind('.'));
            if (excluded.count(p) != 0) {
                if (t.name.ends_with(C::moe.float_gate_up)) report.excluded.push_back(p);
            } else {
                if constexpr (!C::moe.float_gate_up.empty())
                    if (t.name.ends_with(C::moe.float_gate_up)) plan_experts<C, F>(in, p, plan, report);
                continue;
            }
        }
        const bool weight_like = C::stores_linear && is_weight_like(t);
        const std::string prefix = weight_like ? t.name.substr(0, t.name.size() - 7) : std::string();
        if (weight_like && excluded.count(prefix) != 0) report.excluded.push_back(prefix);
        if (!weight_like || excluded.count(prefix) != 0) {
            plan.tensors.push_back({t.name, t.dtype, t.shape, t.end - t.begin, {}, t.name});
            report.copied.push_back(t.name);
            continue;
        }
        plan_module<C, F>(in, t, prefix, input_scale, plan);
        plan.modules[prefix] = &t;
        report.quantized.push_back(prefix);
    }
    return plan;
}

/// The amax each module quantizes with: its own, or its fused group's (weights, and calibration inputs).
struct module_amax {
    std::map<std::string, float> weight, input;
    float of(const std::map<std::string, float>& amax, const std::string& module, const fused_mapping& fused) const {
        const std::string group = fused_group(module, fused);
        return amax.at(group.empty() ? module : group);
    }
};

inline module_amax amax_of(const safetensors_file& in, const export_plan& plan, const export_options& options, bool input_scale) {
    module_amax out;
    for (const auto& [module, t] : plan.modules) {
        const float a = tensor_amax(read_floats(in, *t));
        const std::string g = fused_group(module, options.fused);
        out.weight[module] = a;
        if (!g.empty()) out.weight[g] = std::max(out.weight[g], a);
        if (!input_scale) continue;
        const tensor_info* c = options.calibration->find(module + ".input");
        if (c == nullptr)
            throw std::invalid_argument(
                detail::cat(options.calibration->path(), ": no calibration tensor '", module, ".input' for W4A4 layer ", module));
        if (c->shape.size() != 2 || c->shape[1] != t->shape[1])
            throw std::invalid_argument(detail::cat(options.calibration->path(), ": '", module, ".input' has shape ", c->shape_string(),
                                                    ", expected [samples, ", t->shape[1], "]"));
        const auto values = read_floats(*options.calibration, *c);
        format::require_finite(values, c->shape[1], detail::cat(options.calibration->path(), ": ", module, ".input"));
        const float ia = tensor_amax(values);
        out.input[module] = ia;
        if (!g.empty()) out.input[g] = std::max(out.input[g], ia);
    }
    return out;
}

/// [E, K, N] -> [E, N, K].
inline std::vector<float> transposed_experts(const std::vector<float>& w, std::int64_t experts, std::int64_t k, std::int64_t n) {
    std::vector<float> out(w.size());
    for (std::int64_t e = 0; e < experts; ++e)
        for (std::int64_t r = 0; r < k; ++r)
            for (std::int64_t c = 0; c < n; ++c) out[static_cast<std::size_t>((e * n + c) * k + r)] = w[static_cast<std::size_t>((e * k + r) * n + c)];
    return out;
}

/// The plan split into shards of at most `max_bytes` (a module's tensors stay together).
inline std::vector<std::vector<const planned_tensor*>> split_shards(const export_plan& plan, std::uint64_t max_bytes) {
    std::vector<std::vector<const planned_tensor*>> shards(1);
    std::uint64_t shard_bytes = 0;
    std::string open_module;
    for (const auto& p : plan.tensors) {
        const bool same_module = !p.module.empty() && p.module == open_module;
        if (!same_module && shard_bytes > 0 && shard_bytes + p.bytes > max_bytes) {
            shards.emplace_back();
            shard_bytes = 0;
        }
        shards.back().push_back(&p);
        shard_bytes += p.bytes;
        open_module = p.module;
    }
    return shards;
}

inline std::string shard_file_name(std::size_t i, std::size_t count) {
    if (count == 1) return "model.safetensors";
    char buf[64];
    std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", i + 1, count);
    return buf;
}

/// Quantizes the plan's modules with convention C's recipe and writes the shards into `dir`.
template <checkpoint_convention C, format::weight_format F>
void write_shards(const safetensors_file& in, const export_plan& plan, const module_amax& amax, const export_options& options,
                  format::mx_scale_rule mx_rule, const std::filesystem::path& dir, export_report& report) {
    const auto shards = split_shards(plan, options.max_shard_bytes);
    std::size_t done = 0;
    nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
    for (std::size_t s = 0; s < shards.size(); ++s) {
        safetensors_writer writer;
        writer.set_metadata("format", "pt");
        writer.set_metadata("quantized_by", detail::cat("microscale ", version_string, " ", options.scheme));
        std::map<std::string, stored_weight> quantized;  // modules of this shard
        for (const planned_tensor* p : shards[s]) {
            if (p->module.empty()) {
                writer.add_view(p->name, p->dtype, p->shape, in.bytes(in.at(p->source)));
            } else {
                auto it = quantized.find(p->module);
                if (it == quantized.end()) {
                    const tensor_info& t = *plan.modules.at(p->module);
                    format::quantize_options qo;
                    qo.mx_rule = mx_rule;
                    qo.name = detail::cat(in.path(), ": ", t.name);
                    qo.source = t.dtype == st_dtype::BF16 ? dtype::bf16 : t.dtype == st_dtype::F16 ? dtype::f16 : dtype::f32;
                    if constexpr (F::has_global_scale) qo.global_amax = amax.of(amax.weight, p->module, options.fused);
                    std::vector<float> w = read_floats(in, t);
                    std::int64_t rows = t.shape[0], cols = t.shape[1];
                    if (t.shape.size() == 3) {  // stacked experts [E, K, N]: quantize [E * N, K], blocks along K
                        w = transposed_experts(w, t.shape[0], t.shape[1], t.shape[2]);
                        rows = t.shape[0] * t.shape[2];
                    }
                    it = quantized.emplace(p->module, C::template quantize<F>(w, rows, cols, qo)).first;
                }
                const stored_weight& q = it->second;
                const std::string role = p->name.substr(p->module.size() + 1);
                if (role == C::tensors.codes) {
                    writer.add(p->name, p->dtype, p->shape, as_bytes(q.weight.codes));
                } else if (role == C::tensors.scales) {
                    writer.add(p->name, p->dtype, p->shape, as_bytes(q.weight.scales));
                } else if (role == C::tensors.global_scale) {
                    writer.add(p->name, p->dtype, p->shape, as_bytes(std::vector<float>{q.stored_global_scale}));
                } else {  // input scale
                    float input_amax = amax.of(amax.input, p->module, options.fused);
                    if (input_amax == 0.0f) input_amax = 1.0f;  // all-zero calibration data: any scale quantizes zeros exactly
                    writer.add(p->name, p->dtype, p->shape, as_bytes(std::vector<float>{C::stored_input_scale(input_amax)}));
                }
            }
            weight_map[p->name] = shard_file_name(s, shards.size());
            if (options.progress) options.progress(++done, plan.tensors.size(), p->name);
        }
        writer.write(dir / shard_file_name(s, shards.size()));
        report.bytes_out += writer.data_bytes();
        report.files.push_back(shard_file_name(s, shards.size()));
    }
    if (shards.size() > 1) {
        write_json(dir / "model.safetensors.index.json", {{"metadata", {{"total_size", report.bytes_out}}}, {"weight_map", weight_map}});
        report.files.push_back("model.safetensors.index.json");
    }
}

/// The source model's config.json beside the input file, without any quantization_config of its own.
inline std::optional<nlohmann::json> source_model_config(const safetensors_file& in) {
    const std::filesystem::path path = std::filesystem::path(in.path()).parent_path() / "config.json";
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
    nlohmann::json j = detail::read_json_file<config_error>(path);
    if (!j.is_object()) throw config_error(detail::cat(path.string(), ": not a JSON object"));
    j.erase("quantization_config");
    return j;
}

/// The config's ignore list: the excluded modules, and an LM head the model has but does not store
/// (tied to the embeddings), which a loader would otherwise build quantized.
inline std::vector<std::string> ignore_list(const safetensors_file& in, const std::optional<nlohmann::json>& model_config, export_report& report) {
    std::vector<std::string> ignore = report.excluded;
    if (model_config && in.find("lm_head.weight") == nullptr && std::find(ignore.begin(), ignore.end(), "lm_head") == ignore.end()) {
        ignore.emplace_back("lm_head");
        report.notes.push_back("lm_head is not stored (tied to the embeddings): listed as ignored in the config, as the producers do");
    }
    return ignore;
}

}  // namespace export_detail

/// Quantizes `in` into `out_dir` (created if missing): model.safetensors (or shards + index) and
/// the convention's config files.
inline export_report export_checkpoint(const safetensors_file& in, const std::filesystem::path& out_dir, const export_options& options) {
    using namespace export_detail;
    const auto scheme = format::parse_scheme(options.scheme);
    if (!scheme) throw std::invalid_argument(detail::cat("'", options.scheme, "' is not a canonical scheme name"));
    const std::string convention = parse_convention(options.convention.value_or(default_export_convention(options.scheme)));
    if (!convention_stores(convention, scheme->format)) {
        std::string writers;
        boost::mp11::mp_for_each<all_conventions>([&](auto c) {
            if (convention_stores(decltype(c)::name, scheme->format)) writers.append(writers.empty() ? "" : ", ").append(decltype(c)::name);
        });
        throw std::invalid_argument(
            detail::cat("scheme ", options.scheme, " cannot be written as ", convention, "; ", scheme->format, " is written as ", writers));
    }
    visit_convention(convention, [&](auto c) {
        if (!stores_quantized_activations<decltype(c)>() && scheme->quantized_activations)
            throw std::invalid_argument(detail::cat("scheme ", options.scheme, " cannot be written as ", convention, ", which stores weight-only ",
                                                    "schemes (its config has no activation quantization); use ",
                                                    make_scheme_name(scheme->format, false).view()));
    });
    const bool input_scale = format::facts_of(scheme->format).has_global_scale && scheme->quantized_activations && options.calibration != nullptr;
    std::vector<std::filesystem::path> inputs{in.path()};
    if (options.calibration != nullptr) inputs.emplace_back(options.calibration->path());
    check_output_folder(out_dir, inputs, options.overwrite);

    export_report report;
    visit_convention(convention, [&](auto c) {
        format::visit_format(scheme->format, [&](auto f) {
            using C = decltype(c);
            using F = decltype(f);
            const export_plan plan = plan_export<C, F>(in, options, input_scale, report);
            const module_amax amax = amax_of(in, plan, options, input_scale);
            if (F::has_global_scale && scheme->quantized_activations && options.calibration == nullptr && !plan.modules.empty())
                report.notes.push_back("W4A4 NVFP4: no input_scale was written (no --calibration data); the W4A4 kernels refuse a layer without one");
            if (!F::has_global_scale && scheme->quantized_activations && options.calibration != nullptr)
                report.notes.push_back("MX activations are scaled per block at run time: the calibration data is not needed and was not used");
            const auto model_config = source_model_config(in);
            const format::mx_scale_rule mx_rule = options.mx_rule.value_or(C::mx_rule);
            staging_folder staging(out_dir);
            write_shards<C, F>(in, plan, amax, options, mx_rule, staging.path(), report);
            const config_request request{*scheme, ignore_list(in, model_config, report), mx_rule, model_config ? &*model_config : nullptr};
            for (const auto& [file, json] : C::configs(request)) {
                write_json(staging.path() / file, json);
                report.files.push_back(file);
            }
            staging.commit();
        });
    });
    return report;
}

}  // namespace microscale::checkpoint
