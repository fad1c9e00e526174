// Loading quantized checkpoints the way inference engines do: shards memory-mapped, the config's
// layer rules applied, each format's tensor conventions read, fused modules assembled from their
// shards, and every linear module handed to the runtime table (or run in floating point).
//
// Tensor conventions of a quantized module `p`:
//   ModelOpt            p.weight U8 [N, K/2], p.weight_scale F8_E4M3 [N, K/16], p.weight_scale_2 F32
//                       (G, dequant form), p.input_scale F32 (amax / 2688; W4A4 only, ignored for W4A16)
//   compressed-tensors  p.weight_packed, p.weight_scale, p.weight_global_scale (2688 / amax: the
//                       reciprocal convention, G = 1 / it), p.input_global_scale (g = 1 / input_scale)
//   Quark OCP MX        p.weight U8 ([N, K/2] fp4, [N, 3K/4] fp6), p.weight_scale U8 or F8_E8M0 [N, K/32]
// Scalars may be 0-d or [1]. A module stored in floating point runs unquantized (an LM head that
// was not quantized, for instance).
//
// Fused modules (qkv_proj from q/k/v, gate_up_proj from gate/up; the mapping is a parameter) are
// concatenated along N. NVFP4 shards whose global scales differ are reconciled exactly as DESIGN §6
// says: G = max G_i and every block scale of shard i becomes e4m3(float(s8) * G_i / G) (one RNE
// re-rounding); the worst relative change of a block's dequantization factor is reported. W4A4
// input scales take the maximum, with a warning when they differ.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "microscale/backend/dense.hpp"
#include "microscale/checkpoint/quant_config.hpp"
#include "microscale/checkpoint/safetensors.hpp"
#include "microscale/format/quantized_weight.hpp"
#include "microscale/format/scheme.hpp"
#include "microscale/moe.hpp"
#include "microscale/registry.hpp"

namespace microscale::checkpoint {

/// Every safetensors shard of a checkpoint, mapped, with one name -> (shard, tensor) index.
class tensor_store {
public:
    /// `path`: a folder (model.safetensors.index.json or model.safetensors) or one .safetensors file.
    explicit tensor_store(const std::filesystem::path& path) {
        namespace fs = std::filesystem;
        if (fs::is_regular_file(path)) {
            add_file(path);
            return;
        }
        if (!fs::is_directory(path)) throw format_error(detail::cat(path.string(), ": no such checkpoint folder or file"));
        const fs::path index = path / "model.safetensors.index.json";
        if (fs::exists(index)) {
            std::ifstream in(index);
            nlohmann::json j;
            try {
                j = nlohmann::json::parse(in);
            } catch (const nlohmann::json::exception& e) {
                throw format_error(detail::cat(index.string(), ": not valid JSON: ", e.what()));
            }
            if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
                throw format_error(detail::cat(index.string(), ": missing object 'weight_map'"));
            std::map<std::string, std::vector<std::string>> by_file;
            for (const auto& [tensor, file] : j["weight_map"].items()) {
                if (!file.is_string()) throw format_error(detail::cat(index.string(), ": weight_map entry '", tensor, "' is not a file name"));
                const std::string f = file.get<std::string>();
                if (f.find('/') != std::string::npos || f.find("..") != std::string::npos)
                    throw format_error(detail::cat(index.string(), ": shard name '", f, "' leaves the checkpoint folder"));
                by_file[f].push_back(tensor);
            }
            for (const auto& [file, tensors] : by_file) add_file(path / file);
            for (const auto& [file, tensors] : by_file) {
                for (const auto& t : tensors) {
                    const auto it = index_.find(t);
                    if (it == index_.end() || files_[it->second.first].path() != (path / file).string())
                        throw format_error(detail::cat(index.string(), ": tensor '", t, "' is mapped to ", file, ", which does not hold it",
                                                       it == index_.end() ? std::string() : " (" + files_[it->second.first].path() + " does)"));
                }
            }
            return;
        }
        if (fs::exists(path / "model.safetensors")) {
            add_file(path / "model.safetensors");
            return;
        }
        throw format_error(detail::cat(path.string(), ": no model.safetensors or model.safetensors.index.json"));
    }

    const tensor_info* find(std::string_view name, const safetensors_file** file = nullptr) const noexcept {
        const auto it = index_.find(std::string(name));
        if (it == index_.end()) return nullptr;
        if (file != nullptr) *file = &files_[it->second.first];
        return it->second.second;
    }
    const safetensors_file& file_of(std::string_view name) const {
        const safetensors_file* f = nullptr;
        if (find(name, &f) == nullptr) throw format_error(detail::cat("no tensor '", name, "' in the checkpoint"));
        return *f;
    }
    std::span<const std::byte> bytes(std::string_view name) const {
        const safetensors_file* f = nullptr;
        const tensor_info* t = find(name, &f);
        if (t == nullptr) throw format_error(detail::cat("no tensor '", name, "' in the checkpoint"));
        return f->bytes(*t);
    }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& [name, where] : index_) out.push_back(name);
        return out;
    }
    std::uint64_t total_bytes() const noexcept {
        std::uint64_t total = 0;
        for (const auto& [name, where] : index_) total += where.second->end - where.second->begin;
        return total;
    }
    std::size_t shard_count() const noexcept { return files_.size(); }

private:
    void add_file(const std::filesystem::path& path) {
        files_.emplace_back(path);
        const std::size_t at = files_.size() - 1;
        for (const auto& t : files_.back().tensors()) {
            if (index_.find(t.name) != index_.end())
                throw format_error(detail::cat(path.string(), ": tensor '", t.name, "' is also in another shard"));
        }
        for (const auto& t : files_.back().tensors()) index_[t.name] = {at, &t};
    }
    std::deque<safetensors_file> files_;  // stable addresses
    std::map<std::string, std::pair<std::size_t, const tensor_info*>> index_;
};

/// What fusing shards did.
struct fusion_report {
    std::vector<std::string> shards;       ///< module names, in row order; empty: not fused
    bool rescaled = false;                 ///< NVFP4 global scales differed and block scales were re-rounded
    double worst_relative_change = 0.0;    ///< of a block's dequantization factor
    std::vector<std::string> warnings;
};

struct module_info {
    std::string name;
    bool quantized = false;
    std::string scheme;        ///< canonical, when quantized
    std::string reason;        ///< why quantized / unquantized
    std::string convention;    ///< modelopt, compressed-tensors, quark, floating-point
    std::int64_t n = 0, k = 0;
    std::uint64_t bytes_on_disk = 0;
    std::vector<std::string> shards;  ///< for a fused module assembled from shards
};

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
    /// as layer norms, are not linear layers), or with a U8 `.weight` / `.weight_packed` of any rank
    /// (a quantized module; describe() says what is wrong with one that is not 2-D).
    std::vector<std::string> module_names() const {
        std::vector<std::string> out;
        for (const auto& name : store_.names()) {
            for (const char* suffix : {".weight", ".weight_packed"}) {
                const std::string s(suffix);
                if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
                    const tensor_info* t = store_.find(name);
                    if (t->shape.size() == 2 || t->dtype == st_dtype::U8) out.push_back(name.substr(0, name.size() - s.size()));
                }
            }
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

    bool is_stored(const std::string& module) const noexcept {
        return store_.find(module + ".weight") != nullptr || store_.find(module + ".weight_packed") != nullptr;
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
        const bool packed = store_.find(module + ".weight_packed") != nullptr;
        const tensor_info& w = *store_.find(module + (packed ? ".weight_packed" : ".weight"));
        for (const char* suffix : {".weight", ".weight_packed", ".weight_scale", ".weight_scale_2", ".weight_global_scale", ".input_scale",
                                   ".input_global_scale", ".bias"})
            if (const tensor_info* t = store_.find(module + suffix)) info.bytes_on_disk += t->end - t->begin;
        if (w.shape.size() != 2)
            throw format_error(detail::cat(store_.file_of(w.name).path(), ": ", module, ": tensor '", w.name, "' is ", dtype_name(w.dtype), " ",
                                           w.shape_string(), "; a linear module's weight is 2-D (",
                                           is_floating(w.dtype) ? "[N, K]" : "[N, K packed]", ")"));
        const layer_resolution rule = resolve_layer(config_, module, fused_);
        if (packed && w.dtype != st_dtype::U8)
            throw format_error(detail::cat(store_.file_of(w.name).path(), ": tensor '", w.name, "' is ", dtype_name(w.dtype), " ",
                                           w.shape_string(), "; packed codes are U8"));
        if (is_floating(w.dtype)) {
            info.quantized = false;
            info.convention = "floating-point";
            info.reason = rule.quantized ? "stored in floating point" : rule.reason;
            info.n = w.shape[0];
            info.k = w.shape[1];
            return info;
        }
        if (w.dtype != st_dtype::U8) throw format_error(detail::cat(store_.file_of(w.name).path(), ": tensor '", w.name, "' is ", dtype_name(w.dtype), ", expected U8 packed codes or a floating-point weight"));
        if (!rule.quantized)
            throw format_error(detail::cat(module, " is stored quantized but the config (", config_.source, ") says it is not: ", rule.reason));
        info.quantized = true;
        info.scheme = rule.scheme;
        info.reason = rule.reason;
        info.convention = packed ? "compressed-tensors" : store_.find(module + ".weight_scale_2") ? "modelopt" : "quark";
        const auto parts = format::parse_scheme(rule.scheme);
        const int bits = parts->format == "nvfp4" || parts->format == "mxfp4" ? 4 : 6;
        info.n = w.shape[0];
        if (bits == 6 && w.shape[1] % 3 != 0)
            throw format_error(detail::cat(store_.file_of(w.name).path(), ": tensor '", w.name, "' has ", w.shape[1], " bytes per row, not a whole number of fp6 groups"));
        info.k = bits == 4 ? w.shape[1] * 2 : w.shape[1] / 3 * 4;
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
        return fuse(module, parts, report);
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
        const selection s = select_kernel(info.scheme, {1, q.rows, q.cols, activation, false}, kernel_table(), scheme_aliases(), options);
        return s.kernel->create(q);
    }

    // ---- mixture of experts ------------------------------------------------------------------------

    struct moe_info {
        std::string name;
        std::string layout;  ///< "per-expert" (ModelOpt: <p>.<e>.gate_proj ...) or "stacked" (<p>.w13_weight ...)
        std::string scheme;
        std::string convention;
        std::int64_t experts = 0, hidden = 0, intermediate = 0;
        std::uint64_t bytes_on_disk = 0;
    };

    /// MoE layers stored in the checkpoint: prefixes of per-expert or stacked expert weights.
    std::vector<std::string> moe_names() const {
        std::set<std::string> out;
        for (const auto& name : store_.names()) {
            for (const char* stacked : {".w13_weight", ".w13_weight_packed"}) {
                const std::string s(stacked);
                if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) out.insert(name.substr(0, name.size() - s.size()));
            }
            for (const char* per_expert : {".0.gate_proj.weight", ".0.gate_proj.weight_packed"}) {
                const std::string s(per_expert);
                if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) out.insert(name.substr(0, name.size() - s.size()));
            }
        }
        return {out.begin(), out.end()};
    }

    bool is_moe(const std::string& prefix) const noexcept {
        return store_.find(prefix + ".w13_weight") || store_.find(prefix + ".w13_weight_packed") || is_stored(prefix + ".0.gate_proj");
    }

    moe_info describe_moe(const std::string& prefix) const {
        moe_info info;
        info.name = prefix;
        if (is_stored(prefix + ".0.gate_proj")) {
            info.layout = "per-expert";
            while (is_stored(detail::cat(prefix, ".", info.experts, ".gate_proj"))) ++info.experts;
            // experts are numbered 0..E-1 without gaps: a stored tensor of expert >= E (a missing
            // gate_proj) would otherwise be dropped silently
            for (const auto& n : store_.names()) {
                if (n.size() <= prefix.size() + 1 || n.compare(0, prefix.size() + 1, prefix + ".") != 0) continue;
                const std::string rest = n.substr(prefix.size() + 1);
                const auto dot = rest.find('.');
                if (dot == 0 || dot == std::string::npos || dot > 9 ||
                    !std::all_of(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(dot), [](char c) { return c >= '0' && c <= '9'; }))
                    continue;
                if (std::stoll(rest.substr(0, dot)) >= info.experts)
                    throw format_error(detail::cat(prefix, ": tensor '", n, "' belongs to expert ", rest.substr(0, dot), ", but expert ", info.experts,
                                                   " has no gate_proj (experts are numbered 0..E-1)"));
            }
            for (std::int64_t e = 0; e < info.experts; ++e)
                for (const char* part : {"gate_proj", "up_proj", "down_proj"}) {
                    const std::string m = detail::cat(prefix, ".", e, ".", part);
                    if (!is_stored(m)) throw format_error(detail::cat(prefix, ": expert ", e, " has no ", part));
                    const module_info mi = describe(m);
                    if (!mi.quantized) throw format_error(detail::cat(m, ": MoE experts in floating point are not supported (", mi.reason, ")"));
                    if (info.scheme.empty()) {
                        info.scheme = mi.scheme;
                        info.convention = mi.convention;
                    } else if (mi.scheme != info.scheme) {
                        throw format_error(detail::cat(m, " is ", mi.scheme, " but the other experts are ", info.scheme));
                    }
                    info.bytes_on_disk += mi.bytes_on_disk;
                    if (std::string(part) == "gate_proj") {
                        info.intermediate = mi.n;
                        info.hidden = mi.k;
                    }
                }
            return info;
        }
        const bool packed = store_.find(prefix + ".w13_weight_packed") != nullptr;
        if (!packed && store_.find(prefix + ".w13_weight") == nullptr) throw format_error(detail::cat("no MoE layer '", prefix, "' in the checkpoint"));
        info.layout = "stacked";
        const layer_resolution rule = resolve_layer(config_, prefix, fused_);
        if (!rule.quantized) throw format_error(detail::cat(prefix, ": MoE experts in floating point are not supported (", rule.reason, ")"));
        info.scheme = rule.scheme;
        info.convention = packed ? "compressed-tensors" : store_.find(prefix + ".w13_weight_scale_2") ? "modelopt" : "quark";
        const tensor_info& w13 = tensor(prefix + (packed ? ".w13_weight_packed" : ".w13_weight"));
        const tensor_info& w2 = tensor(prefix + (packed ? ".w2_weight_packed" : ".w2_weight"));
        const auto parts = format::parse_scheme(info.scheme);
        const int bits = parts->format == "nvfp4" || parts->format == "mxfp4" ? 4 : 6;
        auto elements = [&](std::int64_t bytes) { return bits == 4 ? 2 * bytes : bytes / 3 * 4; };
        if (w13.shape.size() != 3 || w2.shape.size() != 3 || w13.dtype != st_dtype::U8 || w2.dtype != st_dtype::U8 || w2.shape[0] != w13.shape[0])
            throw format_error(detail::cat(prefix, ": stacked expert weights must be U8 [E, 2I, K packed] and [E, K, I packed], got ", w13.shape_string(),
                                           " and ", w2.shape_string()));
        if (bits == 6 && (w13.shape[2] % 3 != 0 || w2.shape[2] % 3 != 0))
            throw format_error(detail::cat(prefix, ": fp6 expert weights ", w13.shape_string(), " and ", w2.shape_string(),
                                           " do not hold whole 3-byte groups per row"));
        info.experts = w13.shape[0];
        info.intermediate = w13.shape[1] / 2;
        info.hidden = elements(w13.shape[2]);
        if (info.experts <= 0 || info.intermediate <= 0 || info.hidden <= 0)
            throw format_error(detail::cat(prefix, ": stacked experts ", w13.shape_string(), " are empty (E, 2I and K must be positive)"));
        if (w13.shape[1] % 2 != 0 || w2.shape[1] != info.hidden || elements(w2.shape[2]) != info.intermediate)
            throw format_error(detail::cat(prefix, ": w13 ", w13.shape_string(), " and w2 ", w2.shape_string(), " do not describe the same experts"));
        for (const auto& n : store_.names())
            if (n.rfind(prefix + ".w13_", 0) == 0 || n.rfind(prefix + ".w2_", 0) == 0) info.bytes_on_disk += store_.find(n)->end - store_.find(n)->begin;
        return info;
    }

    /// The experts in stacked form; gate and up reconciled per expert as fused layers are.
    moe_weights load_moe(const std::string& prefix, fusion_report* report = nullptr) const {
        const moe_info info = describe_moe(prefix);
        const auto parts = format::parse_scheme(info.scheme);
        moe_weights w;
        w.format = parts->format;
        w.experts = info.experts;
        w.hidden = info.hidden;
        w.intermediate = info.intermediate;
        w.name = prefix;
        if (info.layout == "per-expert") {
            for (std::int64_t e = 0; e < info.experts; ++e) {
                const std::string stem = detail::cat(prefix, ".", e, ".");
                std::vector<quantized_weight> gate_up = {load_stored(stem + "gate_proj", describe(stem + "gate_proj")),
                                                         load_stored(stem + "up_proj", describe(stem + "up_proj"))};
                w.w13.push_back(fuse(stem + "gate_up_proj", gate_up, report));
                w.w2.push_back(load_stored(stem + "down_proj", describe(stem + "down_proj")));
            }
            return w;
        }
        const bool ct = info.convention == "compressed-tensors";
        const bool nvfp4 = parts->format == "nvfp4";
        const int bits = parts->format == "nvfp4" || parts->format == "mxfp4" ? 4 : 6;
        const std::int64_t block = nvfp4 ? 16 : 32;
        const std::int64_t inter = info.intermediate, hidden = info.hidden;
        // per-expert scalars: [E] or [E, 1] (one per expert), or [E, 2] (gate, up) where there are two
        auto scalars = [&](const std::string& name, std::int64_t per_expert) -> std::vector<float> {
            const tensor_info& t = tensor(name);
            const std::int64_t e = info.experts;
            const bool one = t.shape == std::vector<std::int64_t>{e} || t.shape == std::vector<std::int64_t>{e, 1};
            if (!is_floating(t.dtype) || !(one || t.shape == std::vector<std::int64_t>{e, per_expert}))
                throw format_error(detail::cat(store_.file_of(name).path(), ": tensor '", name, "' is ", dtype_name(t.dtype), " ", t.shape_string(),
                                               ", expected F32 [", e, "] or [", e, ", ", per_expert, "]"));
            const auto values = read_floats(store_.file_of(name), t);
            if (!one || per_expert == 1) return values;
            std::vector<float> twice;
            for (const float v : values) twice.insert(twice.end(), static_cast<std::size_t>(per_expert), v);
            return twice;
        };
        // rows [row0, row0 + rows) of expert e of a tensor [E, experts_rows, cols] whose shape was checked
        auto slice = [&](const std::string& name, std::int64_t e, std::int64_t row0, std::int64_t rows, std::int64_t experts_rows, std::int64_t cols) {
            const auto bytes = store_.bytes(name);
            const std::size_t begin = static_cast<std::size_t>((e * experts_rows + row0) * cols);
            return std::vector<std::uint8_t>(reinterpret_cast<const std::uint8_t*>(bytes.data()) + begin,
                                             reinterpret_cast<const std::uint8_t*>(bytes.data()) + begin + static_cast<std::size_t>(rows * cols));
        };
        const std::string w13_name = prefix + (ct ? ".w13_weight_packed" : ".w13_weight");
        const std::string w2_name = prefix + (ct ? ".w2_weight_packed" : ".w2_weight");
        const std::int64_t hidden_bytes = bits == 4 ? hidden / 2 : hidden / 4 * 3, inter_bytes = bits == 4 ? inter / 2 : inter / 4 * 3;
        if (hidden % block != 0 || inter % block != 0)
            throw format_error(detail::cat(prefix, ": K = ", hidden, " and I = ", inter, " must be multiples of the ", parts->format, " block size ", block));
        expect_scales(prefix + ".w13_weight_scale", parts->format, {info.experts, 2 * inter, hidden / block});
        expect_scales(prefix + ".w2_weight_scale", parts->format, {info.experts, hidden, inter / block});
        const std::vector<std::int64_t> w13_bias_shape{info.experts, 2 * inter}, w2_bias_shape{info.experts, hidden};
        for (const auto& [bias, shape] : {std::pair{prefix + ".w13_bias", w13_bias_shape}, std::pair{prefix + ".w2_bias", w2_bias_shape}})
            if (store_.find(bias)) expect_tensor(bias, shape, {st_dtype::F32, st_dtype::BF16, st_dtype::F16}, "F32, BF16 or F16");
        std::vector<float> g13, g2, i13, i2;
        if (!nvfp4)
            for (const char* global : {".w13_weight_scale_2", ".w2_weight_scale_2", ".w13_weight_global_scale", ".w2_weight_global_scale"})
                if (store_.find(prefix + global))
                    throw format_error(detail::cat(prefix, ": ", parts->format, " experts with an NVFP4 global scale tensor (", prefix, global, ")"));
        if (nvfp4) {
            g13 = scalars(prefix + (ct ? ".w13_weight_global_scale" : ".w13_weight_scale_2"), 2);
            g2 = scalars(prefix + (ct ? ".w2_weight_global_scale" : ".w2_weight_scale_2"), 1);
            if (ct) {
                for (auto& g : g13) g = 1.0f / g;
                for (auto& g : g2) g = 1.0f / g;
            }
            if (parts->quantized_activations) {
                const std::string in13 = prefix + (ct ? ".w13_input_global_scale" : ".w13_input_scale");
                const std::string in2 = prefix + (ct ? ".w2_input_global_scale" : ".w2_input_scale");
                if (!store_.find(in13) || !store_.find(in2))
                    throw format_error(detail::cat(prefix, ": W4A4 NVFP4 experts need ", in13, " and ", in2, " (quantize with --calibration)"));
                i13 = scalars(in13, 2);
                i2 = scalars(in2, 1);
                if (ct) {
                    for (auto& v : i13) v = 1.0f / v;
                    for (auto& v : i2) v = 1.0f / v;
                }
            }
        }
        for (std::int64_t e = 0; e < info.experts; ++e) {
            std::vector<quantized_weight> halves;
            for (int h = 0; h < 2; ++h) {
                quantized_weight q;
                q.format = parts->format;
                q.name = detail::cat(prefix, ".", e, h == 0 ? ".gate" : ".up");
                q.rows = inter;
                q.cols = hidden;
                q.codes = slice(w13_name, e, h * inter, inter, 2 * inter, hidden_bytes);
                q.scales = slice(prefix + ".w13_weight_scale", e, h * inter, inter, 2 * inter, hidden / block);
                if (nvfp4) q.global_scale = g13[static_cast<std::size_t>(2 * e + h)];
                if (!i13.empty()) q.input_scale = i13[static_cast<std::size_t>(2 * e + h)];
                halves.push_back(std::move(q));
            }
            w.w13.push_back(fuse(detail::cat(prefix, ".", e, ".gate_up"), halves, report));
            quantized_weight down;
            down.format = parts->format;
            down.name = detail::cat(prefix, ".", e, ".down");
            down.rows = hidden;
            down.cols = inter;
            down.codes = slice(w2_name, e, 0, hidden, hidden, inter_bytes);
            down.scales = slice(prefix + ".w2_weight_scale", e, 0, hidden, hidden, inter / block);
            if (nvfp4) down.global_scale = g2[static_cast<std::size_t>(e)];
            if (!i2.empty()) down.input_scale = i2[static_cast<std::size_t>(e)];
            w.w2.push_back(std::move(down));
        }
        if (store_.find(prefix + ".w13_bias")) w.w13_bias = read_floats(store_.file_of(prefix + ".w13_bias"), tensor(prefix + ".w13_bias"));
        if (store_.find(prefix + ".w2_bias")) w.w2_bias = read_floats(store_.file_of(prefix + ".w2_bias"), tensor(prefix + ".w2_bias"));
        return w;
    }

    std::unique_ptr<moe_layer> load_moe_layer(const std::string& prefix, dtype activation = dtype::bf16,
                                              const selection_options& options = selection_options::from_environment(),
                                              fusion_report* report = nullptr) const {
        const moe_info info = describe_moe(prefix);
        moe_weights w = load_moe(prefix, report);
        const linear_shape shape{1, w.intermediate, w.hidden, activation, false};
        const auto s = select_kernel<moe_kernel_entry>(info.scheme, shape, moe_kernel_table(), scheme_aliases(), options);
        return s.kernel->create(std::move(w));
    }

private:
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
        if (fmt == "nvfp4") return expect_tensor(name, shape, {st_dtype::F8_E4M3, st_dtype::U8}, "F8_E4M3");
        return expect_tensor(name, shape, {st_dtype::U8, st_dtype::F8_E8M0}, "U8 (e8m0)");
    }

    quantized_weight load_stored(const std::string& module, const module_info& info) const {
        const auto parts = format::parse_scheme(info.scheme);
        quantized_weight q;
        q.format = parts->format;
        q.name = module;
        q.rows = info.n;
        q.cols = info.k;
        const bool ct = info.convention == "compressed-tensors";
        q.codes = raw(module + (ct ? ".weight_packed" : ".weight"));
        const std::string scale_name = module + ".weight_scale";
        const bool nvfp4 = parts->format == "nvfp4";
        const std::int64_t block = nvfp4 ? 16 : 32;
        if (info.k % block != 0)
            throw format_error(detail::cat(module, ": K = ", info.k, " is not a multiple of the ", parts->format, " block size ", block));
        expect_scales(scale_name, parts->format, {info.n, info.k / block});
        q.scales = raw(scale_name);
        if (nvfp4) {
            if (ct) {
                const float gs = scalar(module + ".weight_global_scale");
                q.global_scale = 1.0f / gs;  // compressed-tensors stores 2688 / amax; dequantization divides
            } else {
                q.global_scale = scalar(module + ".weight_scale_2");
            }
            if (parts->quantized_activations) {
                if (ct && store_.find(module + ".input_global_scale")) q.input_scale = 1.0f / scalar(module + ".input_global_scale");
                else if (!ct && store_.find(module + ".input_scale")) q.input_scale = scalar(module + ".input_scale");
                else
                    throw format_error(detail::cat(module, ": W4A4 NVFP4 needs the activation global scale (",
                                                   ct ? "input_global_scale" : "input_scale",
                                                   "), which the checkpoint does not store (quantize with --calibration)"));
            }
        } else if (store_.find(module + ".weight_scale_2") || store_.find(module + ".weight_global_scale")) {
            throw format_error(detail::cat(module, ": an ", parts->format, " module with an NVFP4 global scale tensor"));
        }
        return q;
    }

    quantized_weight fuse(const std::string& module, std::vector<quantized_weight>& parts, fusion_report* report) const {
        quantized_weight out = parts.front();
        out.name = module;
        out.rows = 0;
        out.codes.clear();
        out.scales.clear();
        out.global_scale = 1.0f;
        float g_max = 0.0f;
        for (const auto& p : parts) g_max = std::max(g_max, p.global_scale);
        std::optional<float> input_max;
        bool inputs_differ = false;
        for (const auto& p : parts) {
            if (p.input_scale) {
                if (input_max && *input_max != *p.input_scale) inputs_differ = true;
                input_max = std::max(input_max.value_or(0.0f), *p.input_scale);
            }
        }
        for (auto& p : parts) {
            if (p.format == "nvfp4" && p.global_scale != g_max) {
                // s8' = e4m3(float(s8) * G_i / G): factors <= 1, one round-to-nearest-even
                const float ratio = p.global_scale / g_max;
                for (auto& s : p.scales) {
                    const float before = numeric::e4m3::decode(s) * p.global_scale;
                    s = numeric::e4m3::encode(numeric::e4m3::decode(s) * ratio);
                    const float after = numeric::e4m3::decode(s) * g_max;
                    if (before != 0.0f && report != nullptr)
                        report->worst_relative_change = std::max(report->worst_relative_change, std::fabs(static_cast<double>(after) - before) / before);
                }
                if (report != nullptr) report->rescaled = true;
            }
            out.rows += p.rows;
            out.codes.insert(out.codes.end(), p.codes.begin(), p.codes.end());
            out.scales.insert(out.scales.end(), p.scales.begin(), p.scales.end());
        }
        if (out.format == "nvfp4") out.global_scale = g_max;
        out.input_scale = input_max;
        if (inputs_differ && report != nullptr)
            report->warnings.push_back(detail::cat(module, ": the shards' input scales differ; using the largest (", *input_max, ")"));
        if (report != nullptr && report->rescaled)
            report->warnings.push_back(detail::cat(module, ": the shards' global scales differ; block scales re-rounded to G = ", g_max,
                                                   " (worst relative change ", report->worst_relative_change, ")"));
        return out;
    }

    tensor_store store_;
    fused_mapping fused_;
    quant_config config_;
};

}  // namespace microscale::checkpoint
