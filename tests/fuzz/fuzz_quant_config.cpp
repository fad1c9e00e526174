// libFuzzer target: parse_quant_config_text (hf_quant_config.json / config.json) and the layer
// rules of what it parses (resolve_layer).
//
// Every malformed or unsupported config must be a config_error, and so must an invalid `re:`
// regex met by resolve_layer; any other exception escapes and libFuzzer reports it as a crash.
// A successful parse must produce one of the canonical scheme names.
//
// Build: tests/fuzz/CMakeLists.txt; run: .ci/fuzz.sh.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "microscale/checkpoint/quant_config.hpp"

namespace mc = microscale::checkpoint;

namespace {

constexpr std::string_view known_schemes[] = {
    "w_nvfp4_a_nvfp4",           "w_nvfp4", "w_mxfp4", "w_mxfp4_a_mxfp4", "w_mxfp6_e2m3", "w_mxfp6_e2m3_a_mxfp6_e2m3", "w_mxfp6_e3m2",
    "w_mxfp6_e3m2_a_mxfp6_e3m2",
};

[[noreturn]] void parser_bug(const std::string& what) {
    std::fprintf(stderr, "parser bug: %s\n", what.c_str());
    std::abort();
}

bool known_scheme(const std::string& s) { return std::find(std::begin(known_schemes), std::end(known_schemes), s) != std::end(known_schemes); }

// Module names the layer rules are asked about: plain, fused (qkv_proj / gate_up_proj resolve
// through their shards), top-level, and degenerate ones.
constexpr const char* module_names[] = {
    "model.layers.0.self_attn.qkv_proj", "model.layers.0.self_attn.q_proj", "lm_head", "model.layers.3.mlp.gate_up_proj",
    "model.layers.1.mlp.down_proj",      "model.layers.0.mlp.gate",         "x",       "",
};

void resolve(const mc::quant_config& c, const std::string& name) {
    try {
        const auto r = mc::resolve_layer(c, name);
        if (r.quantized && !known_scheme(r.scheme)) parser_bug("resolve_layer returned unknown scheme '" + r.scheme + "' for " + name);
        if (!r.quantized && !r.scheme.empty()) parser_bug("unquantized module with a scheme: " + name);
    } catch (const mc::config_error& e) {
        if (std::strncmp(e.what(), "fuzz.json: ", 11) != 0) parser_bug(std::string("config_error does not name the file: ") + e.what());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    mc::quant_config c;
    try {
        c = mc::parse_quant_config_text(text, "fuzz.json");
    } catch (const mc::config_error& e) {
        if (std::strncmp(e.what(), "fuzz.json: ", 11) != 0) parser_bug(std::string("config_error does not name the file: ") + e.what());
        return 0;
    }
    if (c.source != "fuzz.json") parser_bug("source not recorded");
    for (const auto& rule : c.rules) {
        if (!known_scheme(rule.scheme)) parser_bug("unknown scheme '" + rule.scheme + "'");
        (void)c.convention.size();
    }
    for (const char* name : module_names) resolve(c, name);
    // names taken from the config itself reach the exact-name and glob paths of the rules; kept
    // short, as module names are
    auto derived = [&](std::string s) {
        if (s.rfind("re:", 0) == 0) s.erase(0, 3);
        if (s.size() > 64) s.resize(64);
        resolve(c, s);
    };
    if (!c.exclude.empty()) derived(c.exclude.front());
    if (!c.rules.empty() && !c.rules.front().targets.empty()) derived(c.rules.front().targets.front());
    return 0;
}
