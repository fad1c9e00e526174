// Loading quantized checkpoints the way inference engines do: shards memory-mapped
// (tensor_store.hpp), the config's layer rules applied (quant_config.hpp), each convention's tensors
// read (conventions/), fused modules assembled from their shards (fusion.hpp), and every linear
// module handed to the runtime table (or run in floating point). MoE layers: moe_reader.hpp.
//
// A quantized module's convention is told by its tensors (conventions.hpp: detect_convention);
// its scheme by the config. Scalars may be 0-d or [1]. A module stored in floating point runs
// unquantized (an LM head that was not quantized, for instance).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "microscale/backend/dense.hpp"
#include "microscale/checkpoint/conventions/conventions.hpp"
#include "microscale/checkpoint/fusion.hpp"
#include "microscale/checkpoint/quant_config.hpp"
#include "microscale/checkpoint/safetensors.hpp"
#include "microscale/checkpoint/tensor_store.hpp"
#include "microscale/format/quantized_weight.hpp"
#include "microscale/format/scheme.hpp"
#include "microscale/moe.hpp"
#include "microscale/registry.hpp"

namespace microscale::checkpoint {

struct module_info {
    std::string name;
    bool quantized = false;
    std::string scheme;      ///< canonical, when quantized
    std::string reason;      ///< why quantized / unquantized
    std::string convention;  ///< a convention's name (modelopt, compressed-tensors, quark) or floating-point
    std::int64_t n = 0, k = 0;
    std::uint64_t bytes_on_disk = 0;
    std::vector<std::string> shards;  ///< for a fused module assembled from shards
};

namespace reader_detail {
inline bool ends_with(const std::string& s, const std::string& suffix) { return s.size() > suffix.size() && s.ends_with(suffix); }
}  // namespace reader_detail

class checkpoint_reader {
public:
    explicit checkpoint_reader(const std::filesystem::path& path, fused_mapping fused = default_fused_mapping())
        : store_(path), fused_(std::move(fused)) {
        const std::filesystem::path dir = std::filesystem::is_directory(path) ? path : path.parent_path();
        const bool has_config = std::filesystem::exists(dir / "hf_quant_config.json") || std::filesystem::exists(dir / "config.json");
        config_ = has_config ? load_quant_config(dir) : unquantized_config(dir.string());
    }

    const quant_config& config() const noexcept { return config_; }
    const tensor_store& tensors() const noexcept { return store_; }
    const fused_mapping& fused() const noexcept { return fused_; }

    /// Modules stored in the checkpoint: prefixes with a 2-D floating-point `.weight` (1-D ones, such
    /// as layer norms, are not linear layers), or with a U8 codes tensor of a convention (`.weight`,
    /// `.weight_packed`) of any rank (a quantized module; describe() says what is wrong with one
    /// that is not 2-D).
    std::vector<std::string> module_names() const {
        std::vector<std::string> out;
        const auto codes = codes_tensor_names();
        for (const auto& name : store_.names())
            for (const auto& c : codes)
                if (reader_detail::ends_with(name, "." + c)) {
                    const tensor_info* t = store_.find(name);
                    if (t->shape.size() == 2 || t->dtype == st_dtype::U8) out.push_back(name.substr(0, name.size() - c.size() - 1));
                }
        return out;
    }

    /// Fused modules that can be assembled from stored shards (e.g. ...qkv_proj from q/k/v).
    std::vector<std::string> fusable_modules() const {
        std::vector<std::string> out;
        const auto stored = module_names();
        for (const auto& [fused_name, shards] : fused_) {
            for (const auto& m : stored) {
                const std::string suffix = "." + shards.front();
                if (m.size() <= suffix.size() || m.compare(m.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
                const std::string stem = m.substr(0, m.size() - shards.front().size());
                if (std::all_of(shards.begin(), shards.end(), [&](const std::string& s) { return is_stored(stem + s); }))
                    out.push_back(stem + fused_name);
            }
        }
        return out;
    }

    /// True if a codes (or floating-point weight) tensor of module `module` is stored.
    bool is_stored(const std::string& module) const {
        const auto codes = codes_tensor_names();
        return std::any_of(codes.begin(), codes.end(), [&](const std::string& c) { return store_.find(module + "." + c) != nullptr; });
    }

    module_info describe(const std::string& module) const {
        if (!is_stored(module)) {
            if (const auto shards = shard_names(module)) {
                module_info fused = describe(shards->front());
                fused.name = module;
                fused.shards = *shards;
                fused.n = 0;
                fused.bytes_on_disk = 0;
                for (const auto& s : *shards) {
                    const module_info part = describe(s);
                    if (part.quantized != fused.quantized || part.scheme != fused.scheme || part.k != fused.k)
                        throw format_error(detail::cat(module, ": shards ", shards->front(), " and ", s, " are stored differently (",
                                                       fused.quantized ? fused.scheme : "floating point", ", K=", fused.k, " vs ",
                                                       part.quantized ? part.scheme : "floating point", ", K=", part.k, ")"));
                    fused.n += part.n;
                    fused.bytes_on_disk += part.bytes_on_disk;
                }
                return fused;
            }
            throw format_error(detail::cat("no module '", module, "' in the checkpoint (no ", module, ".weight or .weight_packed)"));
        }
        module_info info;
        info.name = module;
        const std::string stem = module + ".";
        const std::optional<std::string_view> convention = detect_convention(store_, stem);
        std::string codes_name = stem + "weight";
        visit_convention(convention.value_or(""), [&](auto c) { codes_name = stem + std::string(decltype(c)::tensors.codes); });
        const tensor_info& w = tensor(codes_name);
        auto names = module_tensor_names();
        names.emplace_back("bias");
        for (const auto& n : names)
            if (const tensor_info* t = store_.find(stem + n)) info.bytes_on_disk += t->end - t->begin;
        if (w.shape.size() != 2)
            throw format_error(detail::cat(store_.file_of(w.name).path(), ": ", module, ": tensor '", w.name, "' is ", dtype_name(w.dtype), " ",
                                           w.shape_string(), "; a linear module's weight is 2-D (", is_floating(w.dtype) ? "[N, K]" : "[N, K packed]",
                                           ")"));
        const layer_resolution rule = resolve_layer(config_, module, fused_);
        if (codes_name != stem + "weight" && w.dtype != st_dtype::U8)  // only `.weight` may be a floating-point weight
            throw format_error(detail::cat(store_.file_of(w.name).path(), ": tensor '", w.name, "' is ", dtype_name(w.dtype), " ", w.shape_string(),
                                           "; packed codes are U8"));
        if (is_floating(w.dtype)) {
            info.quantized = false;
            info.convention = "floating-point";
            info.reason = rule.quantized ? "stored in floating point" : rule.reason;
            info.n = w.shape[0];
            info.k = w.shape[1];
            return info;
        }
        if (w.dtype != st_dtype::U8)
            throw format_error(detail::cat(store_.file_of(w.name).path(), ": tensor '", w.name, "' is ", dtype_name(w.dtype),
                                           ", expected U8 packed codes or a floating-point weight"));
        if (!rule.quantized)
            throw format_error(detail::cat(module, " is stored quantized but the config (", config_.source, ") says it is not: ", rule.reason));
        info.quantized = true;
        info.scheme = rule.scheme;
        info.reason = rule.reason;
        info.convention = std::string(*convention);
        const format::format_facts f = format::facts_of(format::parse_scheme(rule.scheme)->format);
        info.n = w.shape[0];
        info.k = f.row_elements(w.shape[1]);
        if (info.k < 0)
            throw format_error(detail::cat(store_.file_of(w.name).path(), ": tensor '", w.name, "' has ", w.shape[1],
                                           " bytes per row, not a whole number of ", f.name, " groups"));
        return info;
    }

    /// The quantized weight of a module (a fused one assembled from its shards).
    quantized_weight load_quantized(const std::string& module, fusion_report* report = nullptr) const {
        const module_info info = describe(module);
        if (!info.quantized) throw format_error(detail::cat(module, " is not quantized (", info.reason, ")"));
        if (info.shards.empty()) return load_stored(module, info);
        std::vector<quantized_weight> parts;
        for (const auto& s : info.shards) parts.push_back(load_stored(s, describe(s)));
        if (report != nullptr) report->shards = info.shards;
        return fuse_shards(module, parts, report);
    }

    /// The floating-point weight [n, k] of an unquantized module (fused ones concatenated).
    std::vector<float> load_float(const std::string& module, std::int64_t& n, std::int64_t& k) const {
        const module_info info = describe(module);
        if (info.quantized) throw format_error(detail::cat(module, " is quantized (", info.scheme, ")"));
        std::vector<float> out;
        n = 0;
        k = info.k;
        for (const auto& s : info.shards.empty() ? std::vector<std::string>{module} : info.shards) {
            const std::string name = s + ".weight";
            const auto part = read_floats(store_.file_of(name), *store_.find(name));
            out.insert(out.end(), part.begin(), part.end());
            n += store_.find(name)->shape[0];
        }
        return out;
    }

    /// The module as a runnable layer: quantized ones through the runtime table.
    std::unique_ptr<linear_layer> load_linear(const std::string& module, dtype activation = dtype::bf16,
                                              const selection_options& options = selection_options::from_environment(),
                                              fusion_report* report = nullptr) const {
        const module_info info = describe(module);
        if (!info.quantized) {
            std::int64_t n = 0, k = 0;
            const auto w = load_float(module, n, k);
            return std::make_unique<backend::dense_layer>(w, n, k);
        }
        const quantized_weight q = load_quantized(module, report);
        const selection s =
            select_kernel(info.scheme, {1, q.rows, q.cols, activation, false, q.scale_layout}, kernel_table(), scheme_aliases(), options);
        return s.kernel->create(q);
    }

    // ---- mixture of experts (moe_reader.hpp) ----------------------------------------------------------

    struct moe_info {
        std::string name;
        std::string layout;  ///< "per-expert" (ModelOpt: <p>.<e>.gate_proj ...) or "stacked" (<p>.w13_weight, <p>.gate_up_proj_blocks ...)
        std::string scheme;
        std::string convention;
        std::int64_t experts = 0, hidden = 0, intermediate = 0;
        std::uint64_t bytes_on_disk = 0;
    };

    /// MoE layers stored in the checkpoint: prefixes of per-expert or stacked expert weights.
    std::vector<std::string> moe_names() const;
    bool is_moe(const std::string& prefix) const;
    moe_info describe_moe(const std::string& prefix) const;
    /// The experts in stacked form; gate and up reconciled per expert as fused layers are.
    moe_weights load_moe(const std::string& prefix, fusion_report* report = nullptr) const;
    std::unique_ptr<moe_layer> load_moe_layer(const std::string& prefix, dtype activation = dtype::bf16,
                                              const selection_options& options = selection_options::from_environment(),
                                              fusion_report* report = nullptr) const;

private:
    moe_info describe_per_expert(const std::string& prefix) const;
    /// Shapes and sizes of the stacked experts of convention C (info.name, scheme, convention set).
    template <checkpoint_convention C>
    void describe_stacked(moe_info& info) const;
    /// Per-expert scalars of tensor `name`: [E] or [E, 1] (one per expert, repeated `per_expert`
    /// times), or [E, per_expert].
    std::vector<float> expert_scalars(const std::string& name, std::int64_t experts, std::int64_t per_expert) const;
    /// Rows [row0, row0 + rows) of expert e of a stacked tensor [E, expert_rows, cols] whose shape was checked.
    std::vector<std::uint8_t> expert_rows(const std::string& name, std::int64_t e, std::int64_t row0, std::int64_t rows, std::int64_t expert_rows,
                                          std::int64_t cols) const;
    template <checkpoint_convention C, format::weight_format F>
    void read_stacked(const moe_info& info, bool quantized_activations, moe_weights& w, fusion_report* report) const;

    std::optional<std::vector<std::string>> shard_names(const std::string& module) const {
        const auto dot = module.rfind('.');
        const std::string last = dot == std::string::npos ? module : module.substr(dot + 1);
        const auto it = fused_.find(last);
        if (it == fused_.end()) return std::nullopt;
        const std::string stem = dot == std::string::npos ? std::string() : module.substr(0, dot + 1);
        std::vector<std::string> shards;
        for (const auto& s : it->second) {
            if (!is_stored(stem + s)) return std::nullopt;
            shards.push_back(stem + s);
        }
        return shards;
    }

    const tensor_info& tensor(const std::string& name) const {
        const tensor_info* t = store_.find(name);
        if (t == nullptr) throw format_error(detail::cat("missing tensor '", name, "' in the checkpoint"));
        return *t;
    }

    std::vector<std::uint8_t> raw(const std::string& name) const {
        const auto b = store_.bytes(name);
        std::vector<std::uint8_t> out(b.size());
        if (!out.empty()) std::memcpy(out.data(), b.data(), b.size());
        return out;
    }

    float scalar(const std::string& name) const { return read_scalar(store_.file_of(name), tensor(name)); }

    /// Tensor `name`, which must have exactly `shape` and one of `dtypes` (`expected` names them).
    const tensor_info& expect_tensor(const std::string& name, const std::vector<std::int64_t>& shape, std::initializer_list<st_dtype> dtypes,
                                     std::string_view expected) const {
        const tensor_info& t = tensor(name);
        if (t.shape != shape || std::find(dtypes.begin(), dtypes.end(), t.dtype) == dtypes.end())
            throw format_error(detail::cat(store_.file_of(name).path(), ": tensor '", name, "' is ", dtype_name(t.dtype), " ", t.shape_string(),
                                           ", expected ", expected, " ", tensor_info::shape_text(shape)));
        return t;
    }

    /// The block-scale tensor `name` of format `fmt`: [rows, cols] (or [experts, rows, cols]).
    const tensor_info& expect_scales(const std::string& name, const std::string& fmt, const std::vector<std::int64_t>& shape) const {
        if (format::facts_of(fmt).scale_name == numeric::e4m3::name) return expect_tensor(name, shape, {st_dtype::F8_E4M3, st_dtype::U8}, "F8_E4M3");
        return expect_tensor(name, shape, {st_dtype::U8, st_dtype::F8_E8M0}, "U8 (e8m0)");
    }

    /// The global and input scales of a stored module of convention C and format F.
    template <checkpoint_convention C, format::weight_format F>
    void read_scalars(const std::string& stem, const format::scheme_parts& scheme, quantized_weight& q) const {
        const std::string global = stem + std::string(C::tensors.global_scale), input = stem + std::string(C::tensors.input_scale);
        if constexpr (F::has_global_scale) {
            if (C::tensors.global_scale.empty()) {
                std::string names;
                for (const std::string& g : global_scale_tensor_names()) names.append(names.empty() ? "" : " or ").append(stem).append(g);
                throw format_error(detail::cat(q.name, ": ", F::name, " weights need a global scale tensor (", names, "); the checkpoint has none"));
            }
            q.global_scale = dequantization_scale<C>(scalar(global));
            if (scheme.quantized_activations) {
                if (C::tensors.input_scale.empty() || !store_.find(input))
                    throw format_error(detail::cat(q.name, ": W4A4 NVFP4 needs the activation global scale (",
                                                   C::tensors.input_scale.empty() ? "input_scale" : C::tensors.input_scale,
                                                   "), which the checkpoint does not store (quantize with --calibration)"));
                q.input_scale = dequantization_scale<C>(scalar(input));
            }
        } else {
            for (const std::string& g : global_scale_tensor_names())
                if (store_.find(stem + g)) throw format_error(detail::cat(q.name, ": an ", F::name, " module with an NVFP4 global scale tensor"));
        }
    }

    quantized_weight load_stored(const std::string& module, const module_info& info) const {
        const auto scheme = *format::parse_scheme(info.scheme);
        const std::string stem = module + ".";
        quantized_weight q;
        q.format = scheme.format;
        q.name = module;
        q.rows = info.n;
        q.cols = info.k;
        visit_convention(info.convention, [&](auto c) {
            using C = decltype(c);
            format::visit_format(scheme.format, [&](auto f) {
                using F = decltype(f);
                q.codes = raw(stem + std::string(C::tensors.codes));
                if (info.k % F::block_size != 0)
                    throw format_error(detail::cat(module, ": K = ", info.k, " is not a multiple of the ", F::name, " block size ", F::block_size));
                const std::string scale_name = stem + std::string(C::tensors.scales);
                expect_scales(scale_name, q.format, {info.n, format::scale_cols<F>(info.k)});
                q.scales = raw(scale_name);
                read_scalars<C, F>(stem, scheme, q);
            });
        });
        return q;
    }

    tensor_store store_;
    fused_mapping fused_;
    quant_config config_;
};

}  // namespace microscale::checkpoint

#include "microscale/checkpoint/moe_reader.hpp"
