// Quantization configs of real checkpoints, normalized, and the layer rules that decide what each
// module runs as. Each convention parses its own config (checkpoint/conventions/: ModelOpt's
// hf_quant_config.json or config.json, compressed-tensors' and Quark's config.json); this file finds
// the convention a config belongs to, and applies the layer rules.
// kv-cache fields are accepted and ignored. A missing required field or a wrong type is a
// config_error naming the file and the field; an unknown algorithm lists the known ones.
//
// Layer rules (resolve_layer): a module is excluded by an entry that equals its name, matches it
// as an fnmatch glob, matches it as a `re:<regex>` (Python re.match: anchored at the start), or,
// for ModelOpt, by vLLM's legacy rule (the entry is a substring of the name; `name*` also means
// `name` and `name.*`). A fused module (qkv_proj, gate_up_proj) is excluded when all its shards are;
// some but not all is an error. Excluded or unmatched modules run unquantized.
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <tuple>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "microscale/checkpoint/config_fields.hpp"
#include "microscale/checkpoint/conventions/conventions.hpp"
#include "microscale/detail/glob.hpp"
#include "microscale/detail/json_file.hpp"
#include "microscale/detail/regex.hpp"
#include "microscale/detail/text.hpp"

namespace microscale::checkpoint {

/// The config of a checkpoint without quantization: every module runs in floating point.
inline quant_config unquantized_config(const std::string& source) {
    quant_config c;
    c.source = source;
    c.algorithm = "none";
    return c;
}

/// Parses a config JSON: hf_quant_config.json, a config.json with "quantization_config", or the
/// quantization_config object itself.
inline quant_config parse_quant_config(const nlohmann::json& j, const std::string& source) {
    using namespace config_detail;
    if (!j.is_object()) fail(source, "not a JSON object");
    std::optional<quant_config> parsed;
    boost::mp11::mp_for_each<all_conventions>([&](auto convention) {
        using C = decltype(convention);
        std::string path;
        if (parsed) return;
        const nlohmann::json* q = C::config_object(j, path);
        if (q == nullptr) return;
        if (!q->is_object()) fail(source, detail::cat("field '", path.substr(0, path.size() - 1), "' must be an object"));
        parsed = C::parse(*q, source, path);
    });
    if (!parsed) {
        // say what is there: no quant_method, a quant_method of another kind, or a quantization_config of the wrong type
        const auto it = j.find("quantization_config");
        if (it != j.end() && !it->is_object()) fail(source, "field 'quantization_config' must be an object");
        const nlohmann::json& q = it != j.end() ? *it : j;
        const std::string path = it != j.end() ? "quantization_config." : "";
        const std::string method = require_string(q, "quant_method", source, path);
        fail(source, detail::cat("field '", path, "quant_method' is '", method, "'; known: ", convention_list()));
    }
    quant_config c = std::move(*parsed);
    // the model's own fields the expert activation takes (gpt-oss: config.json beside quantization_config)
    for (auto [key, field, positive] : {std::tuple{"swiglu_alpha", &c.swiglu_alpha, false}, std::tuple{"swiglu_limit", &c.swiglu_limit, true}}) {
        const auto it = j.find(key);
        if (it == j.end() || it->is_null()) continue;
        if (!it->is_number()) fail(source, detail::cat("field '", key, "' must be a number, got ", it->type_name()));
        const double v = it->get<double>();
        if (!std::isfinite(v) || std::fabs(v) > 1e30 || (positive && !(v > 0)))
            fail(source, detail::cat("field '", key, "' is ", it->dump(), "; expected a finite", positive ? " positive" : "", " number"));
        *field = static_cast<float>(v);
    }
    if (const auto p = j.find("producer"); p != j.end() && p->is_object() && p->contains("name") && (*p)["name"].is_string())
        c.producer = (*p)["name"].get<std::string>();
    // compile every `re:` entry now, so that a bad one is an error when the config is read
    auto compile = [&](const std::string& entry) {
        if (entry.rfind("re:", 0) == 0 && !c.patterns.contains(entry.substr(3)))
            c.patterns.emplace(entry.substr(3), compile_pattern(entry.substr(3), source));
    };
    for (const auto& e : c.exclude) compile(e);
    for (const auto& r : c.rules)
        for (const auto& t : r.targets) compile(t);
    return c;
}

/// Parses JSON text (used by the fuzzer too): malformed JSON is a config_error as well.
inline quant_config parse_quant_config_text(std::string_view text, const std::string& source) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::exception& e) {
        config_detail::fail(source, detail::cat("not valid JSON: ", e.what()));
    }
    return parse_quant_config(j, source);
}

/// The config of a checkpoint folder: hf_quant_config.json if present, else config.json.
inline quant_config load_quant_config(const std::filesystem::path& dir) {
    for (const char* name : {"hf_quant_config.json", "config.json"}) {
        const auto path = dir / name;
        if (!std::filesystem::exists(path)) continue;
        const nlohmann::json j = detail::read_json_file<config_error>(path);
        // a config.json without quantization_config is a floating-point model
        if (std::string(name) == "config.json" && j.is_object() && !j.contains("quantization_config")) return unquantized_config(path.string());
        return parse_quant_config(j, path.string());
    }
    throw config_error(detail::cat(dir.string(), ": no hf_quant_config.json or config.json"));
}

// ---- layer rules -------------------------------------------------------------------------------

/// Python re.match: the `re:` pattern must match at the start of the name (not necessarily to its end).
inline bool regex_matches_start(const quant_config& c, const std::string& pattern, const std::string& name) {
    if (const auto it = c.patterns.find(pattern); it != c.patterns.end()) return it->second.match_start(name);
    return config_detail::compile_pattern(pattern, c.source).match_start(name);  // a config assembled by hand
}

/// The entry that excludes `name` by one rule, or empty.
inline std::string excluding_entry(const quant_config& c, const std::string& name) {
    for (const auto& e : c.exclude) {
        if (e == name) return e;
        if (e.rfind("re:", 0) == 0) {
            if (regex_matches_start(c, e.substr(3), name)) return e;
            continue;
        }
        if (detail::glob_match(e, name)) return e;
        if (c.substring_excludes) {
            // vLLM's rules for ModelOpt: `name*` (not `name.*`) also means `name` and `name.*`, and
            // the legacy substring rule: an entry inside the name excludes it
            if (e.size() > 1 && e.back() == '*' && e[e.size() - 2] != '.') {
                const std::string stem = e.substr(0, e.size() - 1);
                if (name == stem || detail::glob_match(stem + ".*", name)) return e;
            }
            if (name.find(e) != std::string::npos) return e;
        }
    }
    return {};
}

/// True if a scheme rule target matches module `name`.
inline bool target_matches(const quant_config& c, const std::string& target, const std::string& name) {
    if (target == "Linear") return true;
    if (target.rfind("re:", 0) == 0) return regex_matches_start(c, target.substr(3), name);
    return target == name || detail::glob_match(target, name);
}

struct layer_resolution {
    bool quantized = false;
    std::string scheme;  ///< canonical, when quantized
    std::string reason;  ///< why (the excluding entry, the matching target, ...)
};

namespace config_detail {
inline layer_resolution resolve_single(const quant_config& c, const std::string& name) {
    if (const std::string e = excluding_entry(c, name); !e.empty()) return {false, {}, detail::cat("excluded by '", e, "'")};
    for (const auto& rule : c.rules)
        for (const auto& t : rule.targets)
            if (target_matches(c, t, name)) return {true, rule.scheme, detail::cat("target '", t, "'")};
    return {false, {}, "no quantization rule matches"};
}
}  // namespace config_detail

/// What module `name` runs as. A fused module resolves through its shards, which must agree.
inline layer_resolution resolve_layer(const quant_config& c, const std::string& name, const fused_mapping& fused = default_fused_mapping()) {
    const auto dot = name.rfind('.');
    const std::string last = dot == std::string::npos ? name : name.substr(dot + 1);
    const auto it = fused.find(last);
    if (it == fused.end()) return config_detail::resolve_single(c, name);
    const std::string stem = dot == std::string::npos ? std::string() : name.substr(0, dot + 1);
    std::optional<layer_resolution> first;
    std::string first_shard;
    for (const auto& shard : it->second) {
        const auto r = config_detail::resolve_single(c, stem + shard);
        if (!first) {
            first = r;
            first_shard = stem + shard;
        } else if (r.quantized != first->quantized || r.scheme != first->scheme) {
            throw config_error(detail::cat(c.source, ": the shards of fused module ", name, " disagree: ", first_shard, " is ",
                                           first->quantized ? first->scheme : "unquantized", " (", first->reason, ") but ", stem, shard, " is ",
                                           r.quantized ? r.scheme : "unquantized", " (", r.reason, ")"));
        }
    }
    // the fused name itself may be listed too (ModelOpt writes fused names after fusing)
    if (const std::string e = excluding_entry(c, name); !e.empty() && first->quantized) return {false, {}, detail::cat("excluded by '", e, "'")};
    return *first;
}

}  // namespace microscale::checkpoint
