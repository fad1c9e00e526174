// The normalized quantization config every checkpoint convention parses into, and the JSON field
// readers the conventions' parsers share (a missing field or a wrong type is a config_error naming
// the file and the field's path).
#pragma once

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "microscale/detail/regex.hpp"
#include "microscale/detail/text.hpp"
#include "microscale/format/mx.hpp"

namespace microscale::checkpoint {

/// A malformed or unsupported quantization config; the message names the file and the field.
struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

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
    std::string convention = "none";   ///< the checkpoint convention that wrote it (conventions/), or "none"
    std::string source;                ///< the file it came from
    bool substring_excludes = false;   ///< vLLM's legacy ModelOpt rule: an exclude entry inside a name excludes it
    std::vector<scheme_rule> rules;    ///< first match wins
    std::vector<std::string> exclude;  ///< as written
    format::mx_scale_rule mx_rule = format::mx_scale_rule::even;
    std::string kv_cache;  ///< accepted, ignored (recorded for `inspect`)
    std::string producer;
    std::string algorithm;                                       ///< as the file names it (quant_algo, format, OCP MX scheme)
    float swiglu_alpha = 1.702f;  ///< gpt-oss's expert activation: config.json swiglu_alpha (transformers' default 1.702)
    float swiglu_limit = 7.0f;    ///< and swiglu_limit (7.0)
    std::map<std::string, detail::regex, std::less<>> patterns;  ///< the `re:` entries, compiled when parsed
};

namespace config_detail {

[[noreturn]] inline void fail(const std::string& source, const std::string& what) { throw config_error(detail::cat(source, ": ", what)); }

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

inline std::vector<std::string> string_list(const nlohmann::json& object, const char* key, const std::string& source, const std::string& path,
                                            bool required = false) {
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

/// A config of convention `convention` read from `source`, its exclude list `exclude_key` read.
inline quant_config begin_config(std::string_view convention, const nlohmann::json& q, const char* exclude_key, const std::string& source,
                                 const std::string& path) {
    quant_config c;
    c.convention = std::string(convention);
    c.source = source;
    c.exclude = string_list(q, exclude_key, source, path);
    return c;
}

/// The string field `key` if present and a string, else `fallback` (fields that are only read to be checked).
inline std::string string_or(const nlohmann::json& object, const char* key, std::string fallback = {}) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

/// True if `object[key]` is the integer `value`.
inline bool integer_is(const nlohmann::json& object, const char* key, long long value) {
    const auto it = object.find(key);
    return it != object.end() && it->is_number_integer() && it->get<long long>() == value;
}

}  // namespace config_detail

}  // namespace microscale::checkpoint
