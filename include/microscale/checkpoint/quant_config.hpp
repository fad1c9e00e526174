// Quantization configs of real checkpoints, normalized, and the layer rules that decide what each
// module runs as.
//
//   ModelOpt            hf_quant_config.json {"producer", "quantization": {"quant_algo", "group_size",
//                       "kv_cache_quant_algo", "exclude_modules"}}, or config.json "quantization_config"
//                       with quant_method "modelopt" (quant_algo / group_size / ignore at top level);
//                       quant_algo NVFP4, W4A16_NVFP4 or MIXED_PRECISION ("quantized_layers").
//   compressed-tensors  config.json "quantization_config", quant_method "compressed-tensors",
//                       format "nvfp4-pack-quantized", config_groups.*.{targets, weights,
//                       input_activations (absent or null: weight-only)}, ignore.
//   Quark               config.json "quantization_config", quant_method "quark",
//                       global_quant_config.{weight, input_tensors (null: weight-only)} with OCP MX
//                       dtypes fp4 / fp6_e2m3 / fp6_e3m2, layer_quant_config overrides, exclude.
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

#include "microscale/detail/glob.hpp"
#include "microscale/detail/regex.hpp"
#include "microscale/detail/text.hpp"
#include "microscale/format/mx.hpp"

namespace microscale::checkpoint {

/// A malformed or unsupported quantization config; the message names the file and the field.
struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class config_origin { modelopt, compressed_tensors, quark };

inline std::string_view origin_name(config_origin o) noexcept {
    return o == config_origin::modelopt ? "modelopt" : o == config_origin::compressed_tensors ? "compressed-tensors" : "quark";
}

/// Which modules a scheme applies to. A target is "Linear" (every linear module), an exact module
/// name, an fnmatch glob, or "re:<regex>".
struct scheme_rule {
    std::vector<std::string> targets;
    std::string scheme;  ///< canonical scheme name
};

/// Fused modules and their shards, in row order (gate before up, q, k, v).
using fused_mapping = std::map<std::string, std::vector<std::string>>;

inline const fused_mapping& default_fused_mapping() {
    static const fused_mapping mapping = {{"qkv_proj", {"q_proj", "k_proj", "v_proj"}}, {"gate_up_proj", {"gate_proj", "up_proj"}}};
    return mapping;
}

struct quant_config {
    config_origin origin = config_origin::modelopt;
    std::string source;                 ///< the file it came from
    std::vector<scheme_rule> rules;     ///< first match wins
    std::vector<std::string> exclude;   ///< as written
    format::mx_scale_rule mx_rule = format::mx_scale_rule::even;
    std::string kv_cache;               ///< accepted, ignored (recorded for `inspect`)
    std::string producer;
    std::string algorithm;              ///< as the file names it (quant_algo, format, OCP MX scheme)
    std::map<std::string, detail::regex, std::less<>> patterns;  ///< the `re:` entries, compiled when parsed
};

namespace config_detail {

[[noreturn]] inline void fail(const std::string& source, const std::string& what) {
    throw config_error(detail::cat(source, ": ", what));
}

/// A `re:` entry's pattern, compiled; a config_error naming it if it is not one.
inline detail::regex compile_pattern(const std::string& pattern, const std::string& source) {
    try {
        return detail::regex(pattern);
    } catch (const detail::regex_error& e) {
        throw config_error(detail::cat(source, ": invalid regular expression 're:", detail::excerpt(pattern), "': ", e.what()));
    }
}

inline std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

inline const nlohmann::json& require(const nlohmann::json& object, const char* key, const std::string& source, const std::string& path) {
    const auto it = object.find(key);
    if (it == object.end()) fail(source, detail::cat("missing required field '", path, key, "'"));
    return *it;
}

inline std::string require_string(const nlohmann::json& object, const char* key, const std::string& source, const std::string& path) {
    const auto& v = require(object, key, source, path);
    if (!v.is_string()) fail(source, detail::cat("field '", path, key, "' must be a string, got ", v.type_name()));
    return v.get<std::string>();
}

inline std::vector<std::string> string_list(const nlohmann::json& object, const char* key, const std::string& source,
                                            const std::string& path, bool required = false) {
    const auto it = object.find(key);
    if (it == object.end()) {
        if (required) fail(source, detail::cat("missing required field '", path, key, "'"));
        return {};
    }
    if (!it->is_array()) fail(source, detail::cat("field '", path, key, "' must be a list of strings, got ", it->type_name()));
    std::vector<std::string> out;
    for (const auto& e : *it) {
        if (!e.is_string()) fail(source, detail::cat("field '", path, key, "' must hold strings only, found ", e.type_name()));
        out.push_back(e.get<std::string>());
    }
    return out;
}

inline std::string optional_string(const nlohmann::json& object, const char* key, const std::string& source, const std::string& path) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_object()) return it->dump();  // kv_cache_scheme objects: recorded as written
    fail(source, detail::cat("field '", path, key, "' must be a string or null, got ", it->type_name()));
}

/// group_size of an NVFP4 config: absent or null means 16; anything else must be the integer 16.
inline void check_nvfp4_group_size(const nlohmann::json& object, const std::string& source, const std::string& path) {
    const auto it = object.find("group_size");
    if (it == object.end() || it->is_null()) return;
    if (!it->is_number_integer()) fail(source, detail::cat("field '", path, "group_size' must be an integer, got ", it->type_name()));
    if (it->get<long long>() != 16) fail(source, detail::cat("field '", path, "group_size' is ", it->get<long long>(), "; NVFP4 blocks are 16"));
}

inline std::string modelopt_scheme(const std::string& algo, const std::string& source, const std::string& field) {
    const std::string a = upper(algo);
    if (a == "NVFP4") return "w_nvfp4_a_nvfp4";
    if (a == "W4A16_NVFP4") return "w_nvfp4";
    fail(source, detail::cat("field '", field, "' is '", algo,
                             "'; microscale runs the ModelOpt algorithms NVFP4, W4A16_NVFP4 and MIXED_PRECISION (of those)"));
}

inline quant_config parse_modelopt(const nlohmann::json& q, const std::string& source, const std::string& path) {
    quant_config c;
    c.origin = config_origin::modelopt;
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
        for (const auto& [name, spec] : layers.items()) {
            const std::string field = detail::cat(path, "quantized_layers.", name, ".");
            if (!spec.is_object()) fail(source, detail::cat("field '", path, "quantized_layers.", name, "' must be an object"));
            const std::string algo = require_string(spec, "quant_algo", source, field);
            check_nvfp4_group_size(spec, source, field);
            // a module and, by ModelOpt's lookup, anything under it
            c.rules.push_back({{name, name + ".*"}, modelopt_scheme(algo, source, field + "quant_algo")});
        }
        return c;
    }
    check_nvfp4_group_size(q, source, path);
    c.rules.push_back({{"Linear"}, modelopt_scheme(c.algorithm, source, path + "quant_algo")});
    return c;
}

/// compressed-tensors QuantizationArgs of NVFP4: type float, num_bits 4, strategy tensor_group, group 16.
inline void check_ct_nvfp4_args(const nlohmann::json& args, const std::string& source, const std::string& path) {
    if (!args.is_object()) fail(source, detail::cat("field '", path, "' must be an object, got ", args.type_name()));
    const auto& bits = require(args, "num_bits", source, path + ".");
    const std::string type = require_string(args, "type", source, path + ".");
    const std::string strategy = args.contains("strategy") && args["strategy"].is_string() ? args["strategy"].get<std::string>() : "";
    const auto group = args.find("group_size");
    if (!bits.is_number_integer() || bits.get<long long>() != 4 || type != "float" || strategy != "tensor_group" ||
        group == args.end() || !group->is_number_integer() || group->get<long long>() != 16)
        fail(source, detail::cat("field '", path, "' is not NVFP4 (expected num_bits 4, type float, strategy tensor_group, group_size 16): ",
                                 args.dump()));
}

inline quant_config parse_compressed_tensors(const nlohmann::json& q, const std::string& source, const std::string& path) {
    quant_config c;
    c.origin = config_origin::compressed_tensors;
    c.source = source;
    c.exclude = string_list(q, "ignore", source, path);
    c.kv_cache = optional_string(q, "kv_cache_scheme", source, path);
    const std::string top_format = q.contains("format") && q["format"].is_string() ? q["format"].get<std::string>() : "";
    const auto& groups = require(q, "config_groups", source, path);
    if (!groups.is_object() || groups.empty()) fail(source, detail::cat("field '", path, "config_groups' must be a non-empty object"));
    for (const auto& [name, group] : groups.items()) {
        const std::string field = detail::cat(path, "config_groups.", name);
        if (!group.is_object()) fail(source, detail::cat("field '", field, "' must be an object"));
        const std::string fmt = group.contains("format") && group["format"].is_string() ? group["format"].get<std::string>() : top_format;
        if (fmt != "nvfp4-pack-quantized")
            fail(source, detail::cat("format '", fmt.empty() ? std::string("(none)") : fmt, "' of '", field,
                                     "' is not supported; microscale loads compressed-tensors nvfp4-pack-quantized"));
        check_ct_nvfp4_args(require(group, "weights", source, field + "."), source, field + ".weights");
        const auto activations = group.find("input_activations");
        const bool w4a4 = activations != group.end() && !activations->is_null();
        if (w4a4) check_ct_nvfp4_args(*activations, source, field + ".input_activations");
        std::vector<std::string> targets = string_list(group, "targets", source, field + ".", true);
        c.rules.push_back({targets, w4a4 ? "w_nvfp4_a_nvfp4" : "w_nvfp4"});
        c.algorithm = fmt;
    }
    return c;
}

/// A Quark OCP MX tensor spec: per_group 32 with e8m0 scales; returns the MX format name.
inline std::string quark_mx_format(const nlohmann::json& spec, const std::string& source, const std::string& path,
                                   format::mx_scale_rule* rule) {
    if (!spec.is_object()) fail(source, detail::cat("field '", path, "' must be an object, got ", spec.type_name()));
    const std::string dtype = require_string(spec, "dtype", source, path + ".");
    const std::string qscheme = spec.contains("qscheme") && spec["qscheme"].is_string() ? spec["qscheme"].get<std::string>() : "";
    const std::string scale_format = spec.contains("scale_format") && spec["scale_format"].is_string() ? spec["scale_format"].get<std::string>() : "";
    const auto group = spec.find("group_size");
    std::string fmt;
    if (dtype == "fp4") fmt = "mxfp4";
    else if (dtype == "fp6_e2m3") fmt = "mxfp6_e2m3";
    else if (dtype == "fp6_e3m2") fmt = "mxfp6_e3m2";
    else fail(source, detail::cat("field '", path, ".dtype' is '", dtype, "'; microscale runs the OCP MX dtypes fp4, fp6_e2m3, fp6_e3m2"));
    if (qscheme != "per_group" || scale_format != "e8m0" || group == spec.end() || !group->is_number_integer() || group->get<long long>() != 32)
        fail(source, detail::cat("field '", path, "' is not OCP MX (expected qscheme per_group, group_size 32, scale_format e8m0): ", spec.dump()));
    if (rule != nullptr) {
        const std::string mode = spec.contains("scale_calculation_mode") && spec["scale_calculation_mode"].is_string()
                                     ? spec["scale_calculation_mode"].get<std::string>()
                                     : "even";
        try {
            *rule = format::parse_mx_scale_rule(mode);
        } catch (const std::invalid_argument&) {
            fail(source, detail::cat("field '", path, ".scale_calculation_mode' is '", mode, "'; known: even, floor"));
        }
    }
    return fmt;
}

inline std::string quark_scheme(const nlohmann::json& weight, const nlohmann::json* input, const std::string& source,
                                const std::string& path, format::mx_scale_rule* rule) {
    const std::string w = quark_mx_format(weight, source, path + "weight", rule);
    if (input == nullptr || input->is_null()) return "w_" + w;
    const std::string a = quark_mx_format(*input, source, path + "input_tensors", nullptr);
    if (a != w) fail(source, detail::cat("scheme w_", w, "_a_", a, " (different weight and activation formats) is not supported; known: ",
                                         "w_mxfp4, w_mxfp4_a_mxfp4, w_mxfp6_e2m3, w_mxfp6_e2m3_a_mxfp6_e2m3, w_mxfp6_e3m2, w_mxfp6_e3m2_a_mxfp6_e3m2"));
    return "w_" + w + "_a_" + a;
}

inline quant_config parse_quark(const nlohmann::json& q, const std::string& source, const std::string& path) {
    quant_config c;
    c.origin = config_origin::quark;
    c.source = source;
    c.exclude = string_list(q, "exclude", source, path);
    if (q.contains("kv_cache_quant_config") && !q["kv_cache_quant_config"].is_null()) c.kv_cache = q["kv_cache_quant_config"].dump();
    // per-layer overrides first (name patterns), then the global spec for every linear module
    if (const auto layers = q.find("layer_quant_config"); layers != q.end() && !layers->is_null()) {
        if (!layers->is_object()) fail(source, detail::cat("field '", path, "layer_quant_config' must be an object"));
        for (const auto& [pattern, spec] : layers->items()) {
            const std::string field = detail::cat(path, "layer_quant_config.", pattern, ".");
            if (!spec.is_object()) fail(source, detail::cat("field '", path, "layer_quant_config.", pattern, "' must be an object"));
            const auto input = spec.find("input_tensors");
            c.rules.push_back({{pattern}, quark_scheme(require(spec, "weight", source, field), input == spec.end() ? nullptr : &*input,
                                                       source, field, nullptr)});
        }
    }
    const auto& global = require(q, "global_quant_config", source, path);
    if (!global.is_object()) fail(source, detail::cat("field '", path, "global_quant_config' must be an object"));
    const auto input = global.find("input_tensors");
    const std::string scheme = quark_scheme(require(global, "weight", source, path + "global_quant_config."),
                                            input == global.end() ? nullptr : &*input, source, path + "global_quant_config.", &c.mx_rule);
    c.rules.push_back({{"Linear"}, scheme});
    c.algorithm = scheme;
    return c;
}

}  // namespace config_detail

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
    quant_config c;
    if (const auto hf = j.find("quantization"); hf != j.end()) {  // hf_quant_config.json
        if (!hf->is_object()) fail(source, "field 'quantization' must be an object");
        c = parse_modelopt(*hf, source, "quantization.");
    } else {
        const nlohmann::json* q = &j;
        std::string path;
        if (const auto it = j.find("quantization_config"); it != j.end()) {
            if (!it->is_object()) fail(source, "field 'quantization_config' must be an object");
            q = &*it;
            path = "quantization_config.";
        }
        const std::string method = require_string(*q, "quant_method", source, path);
        const std::string lower = [&] {
            std::string s = method;
            for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            return s;
        }();
        if (lower.rfind("modelopt", 0) == 0) c = parse_modelopt(*q, source, path);
        else if (lower == "compressed-tensors") c = parse_compressed_tensors(*q, source, path);
        else if (lower == "quark") c = parse_quark(*q, source, path);
        else fail(source, detail::cat("field '", path, "quant_method' is '", method, "'; known: modelopt, compressed-tensors, quark"));
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
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        if (!in && !in.eof()) throw config_error(detail::cat(path.string(), ": cannot read"));
        if (std::string(name) == "config.json") {
            // a config.json without quantization_config is a floating-point model
            nlohmann::json j;
            try {
                j = nlohmann::json::parse(text.str());
            } catch (const nlohmann::json::exception& e) {
                throw config_error(detail::cat(path.string(), ": not valid JSON: ", e.what()));
            }
            if (j.is_object() && !j.contains("quantization_config")) return unquantized_config(path.string());
            return parse_quant_config(j, path.string());
        }
        return parse_quant_config_text(text.str(), path.string());
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
        if (c.origin == config_origin::modelopt) {
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
inline layer_resolution resolve_layer(const quant_config& c, const std::string& name,
                                      const fused_mapping& fused = default_fused_mapping()) {
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
                                           first->quantized ? first->scheme : "unquantized", " (", first->reason, ") but ", stem, shard,
                                           " is ", r.quantized ? r.scheme : "unquantized", " (", r.reason, ")"));
        }
    }
    // the fused name itself may be listed too (ModelOpt writes fused names after fusing)
    if (const std::string e = excluding_entry(c, name); !e.empty() && first->quantized)
        return {false, {}, detail::cat("excluded by '", e, "'")};
    return *first;
}

}  // namespace microscale::checkpoint
