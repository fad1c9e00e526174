// Quantization configs as each producer writes them, the errors malformed ones give, and the layer
// rules (exclusions by exact name, glob, legacy substring, `name*`, `re:`; fused shards).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "microscale/checkpoint/quant_config.hpp"

namespace mc = microscale::checkpoint;

namespace {

mc::quant_config parse(const std::string& text) { return mc::parse_quant_config_text(text, "config.json"); }

void expect_error(const std::string& text, const std::string& fragment) {
    try {
        (void)parse(text);
        ADD_FAILURE() << "accepted; expected: " << fragment;
    } catch (const mc::config_error& e) {
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << "message: " << e.what() << "\nexpected: " << fragment;
        EXPECT_EQ(std::string(e.what()).rfind("config.json: ", 0), 0u) << e.what();
    }
}

std::string scheme_of(const mc::quant_config& c, const std::string& module) {
    const auto r = mc::resolve_layer(c, module);
    return r.quantized ? r.scheme : "unquantized: " + r.reason;
}

}  // namespace

TEST(QuantConfig, ModelOptHfQuantConfig) {
    const auto c = parse(R"({"producer": {"name": "modelopt", "version": "0.41.0"},
        "quantization": {"quant_algo": "NVFP4", "kv_cache_quant_algo": "FP8", "group_size": 16,
                         "exclude_modules": ["lm_head", "model.layers.0.mlp.gate*", "model.visual*", "model.layers.3*"]}})");
    EXPECT_EQ(c.convention, "modelopt");
    EXPECT_EQ(c.producer, "modelopt");
    EXPECT_EQ(c.kv_cache, "FP8");
    EXPECT_EQ(scheme_of(c, "model.layers.1.self_attn.q_proj"), "w_nvfp4_a_nvfp4");
    EXPECT_EQ(scheme_of(c, "lm_head"), "unquantized: excluded by 'lm_head'");
    EXPECT_EQ(scheme_of(c, "model.layers.0.mlp.gate"), "unquantized: excluded by 'model.layers.0.mlp.gate*'");
    EXPECT_EQ(scheme_of(c, "model.visual.blocks.0.attn.qkv"), "unquantized: excluded by 'model.visual*'");
    EXPECT_EQ(scheme_of(c, "model.layers.3.mlp.down_proj"), "unquantized: excluded by 'model.layers.3*'");
    EXPECT_EQ(scheme_of(c, "model.layers.3"), "unquantized: excluded by 'model.layers.3*'");
    // vLLM's legacy substring rule for ModelOpt: an entry inside the name excludes it
    EXPECT_EQ(scheme_of(c, "language_model.lm_head"), "unquantized: excluded by 'lm_head'");
    const auto w4a16 = parse(R"({"quantization": {"quant_algo": "w4a16_nvfp4", "group_size": null, "kv_cache_quant_algo": null}})");
    EXPECT_EQ(scheme_of(w4a16, "x.q_proj"), "w_nvfp4");
}

TEST(QuantConfig, ModelOptMixedPrecisionAndConfigJsonForm) {
    const auto mixed = parse(R"({"quantization": {"quant_algo": "MIXED_PRECISION", "kv_cache_quant_algo": null,
        "quantized_layers": {"model.layers.0.self_attn.q_proj": {"quant_algo": "NVFP4", "group_size": 16},
                             "model.layers.0.self_attn.k_proj": {"quant_algo": "NVFP4", "group_size": 16},
                             "model.layers.0.self_attn.v_proj": {"quant_algo": "NVFP4", "group_size": 16},
                             "model.layers.1.mlp": {"quant_algo": "W4A16_NVFP4"}}}})");
    EXPECT_EQ(scheme_of(mixed, "model.layers.0.self_attn.qkv_proj"), "w_nvfp4_a_nvfp4");  // through its shards
    EXPECT_EQ(scheme_of(mixed, "model.layers.1.mlp.down_proj"), "w_nvfp4");               // a key covering the module
    EXPECT_EQ(scheme_of(mixed, "model.layers.2.mlp.down_proj"), "unquantized: no quantization rule matches");
    const auto converted = parse(R"({"quantization_config": {"quant_method": "modelopt", "quant_algo": "NVFP4",
        "config_groups": {"group_0": {"weights": {"num_bits": 4, "type": "float", "group_size": 16}}},
        "ignore": ["lm_head"], "producer": {"name": "modelopt"}}})");
    EXPECT_EQ(scheme_of(converted, "model.layers.0.mlp.up_proj"), "w_nvfp4_a_nvfp4");
    EXPECT_EQ(scheme_of(converted, "lm_head"), "unquantized: excluded by 'lm_head'");
}

TEST(QuantConfig, CompressedTensorsNvfp4) {
    const std::string args = R"({"num_bits": 4, "type": "float", "symmetric": true, "group_size": 16, "strategy": "tensor_group", "dynamic": false})";
    const std::string activations =
        R"({"num_bits": 4, "type": "float", "symmetric": true, "group_size": 16, "strategy": "tensor_group", "dynamic": "local"})";
    const auto w4a4 = parse(R"({"architectures": ["LlamaForCausalLM"], "quantization_config": {
        "quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized", "quantization_status": "compressed",
        "config_groups": {"group_0": {"targets": ["Linear"], "weights": )" +
                            args + R"(, "input_activations": )" + activations + R"(,
                          "format": "nvfp4-pack-quantized"}},
        "ignore": ["lm_head", "re:.*mlp.gate$"], "kv_cache_scheme": null}})");
    EXPECT_EQ(w4a4.convention, "compressed-tensors");
    EXPECT_EQ(scheme_of(w4a4, "model.layers.0.mlp.down_proj"), "w_nvfp4_a_nvfp4");
    EXPECT_EQ(scheme_of(w4a4, "model.layers.0.mlp.gate"), "unquantized: excluded by 're:.*mlp.gate$'");
    EXPECT_EQ(scheme_of(w4a4, "model.layers.0.mlp.gate_up_proj"), "w_nvfp4_a_nvfp4");  // gate_proj is not mlp.gate$
    EXPECT_EQ(scheme_of(w4a4, "lm_head"), "unquantized: excluded by 'lm_head'");
    EXPECT_EQ(scheme_of(w4a4, "lm_head_extra"), "w_nvfp4_a_nvfp4");  // no substring rule outside ModelOpt
    const auto w4a16 = parse(R"({"quantization_config": {"quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized",
        "config_groups": {"group_0": {"targets": ["re:.*proj$"], "weights": )" +
                             args + R"(, "input_activations": null}}}})");
    EXPECT_EQ(scheme_of(w4a16, "model.layers.0.mlp.down_proj"), "w_nvfp4");
    EXPECT_EQ(scheme_of(w4a16, "model.layers.0.mlp.gate"), "unquantized: no quantization rule matches");
}

TEST(QuantConfig, QuarkOcpMx) {
    auto spec = [](const std::string& dtype, bool dynamic) {
        return R"({"dtype": ")" + dtype + R"(", "qscheme": "per_group", "ch_axis": -1, "group_size": 32, "scale_format": "e8m0",
                   "scale_type": "float", "scale_calculation_mode": "even", "round_method": "half_even", "is_dynamic": )" +
               (dynamic ? "true" : "false") + "}";
    };
    const auto w4a4 = parse(R"({"quantization_config": {"quant_method": "quark", "quant_mode": "eager_mode",
        "global_quant_config": {"weight": )" +
                            spec("fp4", false) + R"(, "input_tensors": )" + spec("fp4", true) + R"(,
                                "output_tensors": null, "bias": null},
        "layer_quant_config": {"*.down_proj": {"weight": )" +
                            spec("fp6_e3m2", false) + R"(, "input_tensors": null}},
        "exclude": ["lm_head", "re:model.layers.1.*"], "export": {"pack_method": "reorder"}}})");
    EXPECT_EQ(w4a4.convention, "quark");
    EXPECT_EQ(w4a4.mx_rule, microscale::format::mx_scale_rule::even);
    EXPECT_EQ(scheme_of(w4a4, "model.layers.0.mlp.up_proj"), "w_mxfp4_a_mxfp4");
    EXPECT_EQ(scheme_of(w4a4, "model.layers.0.mlp.down_proj"), "w_mxfp6_e3m2");  // layer_quant_config first
    EXPECT_EQ(scheme_of(w4a4, "model.layers.1.mlp.up_proj"), "unquantized: excluded by 're:model.layers.1.*'");
    EXPECT_EQ(scheme_of(w4a4, "model.layers.10.mlp.up_proj"), "unquantized: excluded by 're:model.layers.1.*'");  // re.match: prefix
    const auto weight_only = parse(R"({"quantization_config": {"quant_method": "quark",
        "global_quant_config": {"weight": )" +
                                   spec("fp6_e2m3", false) + R"(, "input_tensors": null}, "exclude": []}})");
    EXPECT_EQ(scheme_of(weight_only, "a.b"), "w_mxfp6_e2m3");
}

TEST(QuantConfig, ErrorsNameTheField) {
    expect_error("{", "not valid JSON");
    expect_error("[]", "not a JSON object");
    expect_error(R"({"quantization": {"group_size": 16}})", "missing required field 'quantization.quant_algo'");
    expect_error(R"({"quantization": {"quant_algo": 4}})", "field 'quantization.quant_algo' must be a string, got number");
    expect_error(R"({"quantization": {"quant_algo": "FP8"}})",
                 "field 'quantization.quant_algo' is 'FP8'; microscale runs the ModelOpt algorithms NVFP4, W4A16_NVFP4 and MIXED_PRECISION");
    expect_error(R"({"quantization": {"quant_algo": "NVFP4", "group_size": 32}})", "group_size' is 32; NVFP4 blocks are 16");
    expect_error(R"({"quantization": {"quant_algo": "NVFP4", "exclude_modules": "lm_head"}})",
                 "field 'quantization.exclude_modules' must be a list of strings, got string");
    expect_error(R"({"quantization_config": {"quant_method": "gptq"}})",
                 "'quantization_config.quant_method' is 'gptq'; known: modelopt, compressed-tensors, quark");
    expect_error(R"({"quantization_config": {"format": "x"}})", "missing required field 'quantization_config.quant_method'");
    expect_error(R"({"quantization_config": {"quant_method": "compressed-tensors", "format": "pack-quantized",
                    "config_groups": {"g": {"targets": ["Linear"], "weights": {"num_bits": 4, "type": "int"}}}}})",
                 "format 'pack-quantized' of 'quantization_config.config_groups.g' is not supported");
    expect_error(R"({"quantization_config": {"quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized",
                    "config_groups": {"g": {"targets": ["Linear"], "weights": {"num_bits": 8, "type": "float", "strategy": "tensor_group", "group_size": 16}}}}})",
                 "config_groups.g.weights' is not NVFP4");
    expect_error(R"({"quantization_config": {"quant_method": "quark", "global_quant_config": {"weight": {"dtype": "int4"}}}})",
                 "dtype' is 'int4'; microscale runs the OCP MX dtypes fp4, fp6_e2m3, fp6_e3m2");
    expect_error(R"({"quantization_config": {"quant_method": "quark", "global_quant_config": {
                    "weight": {"dtype": "fp4", "qscheme": "per_group", "group_size": 32, "scale_format": "e8m0"},
                    "input_tensors": {"dtype": "fp6_e3m2", "qscheme": "per_group", "group_size": 32, "scale_format": "e8m0"}}}})",
                 "scheme w_mxfp4_a_mxfp6_e3m2 (different weight and activation formats) is not supported");
    expect_error(R"({"quantization_config": {"quant_method": "quark", "global_quant_config": {
                    "weight": {"dtype": "fp4", "qscheme": "per_group", "group_size": 32, "scale_format": "e8m0", "scale_calculation_mode": "odd"}}}})",
                 "scale_calculation_mode' is 'odd'; known: even, floor");
    // an invalid or unsupported regular expression is a config error naming it, when the config is read
    expect_error(R"({"quantization_config": {"quant_method": "quark", "exclude": ["re:(unclosed"],
                    "global_quant_config": {"weight": {"dtype": "fp4", "qscheme": "per_group", "group_size": 32, "scale_format": "e8m0"}}}})",
                 "invalid regular expression 're:(unclosed': missing ), unterminated subpattern");
    expect_error(R"({"quantization_config": {"quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized",
                    "ignore": ["re:(?<=mlp\\.)gate"], "config_groups": {"group_0": {"targets": ["Linear"],
                    "weights": {"num_bits": 4, "type": "float", "strategy": "tensor_group", "group_size": 16}}}}})",
                 "invalid regular expression 're:(?<=mlp\\.)gate': look-around assertions are not supported");
}

TEST(QuantConfig, FusedShardsMustAgree) {
    const auto c = parse(R"({"quantization": {"quant_algo": "NVFP4", "group_size": 16,
        "exclude_modules": ["model.layers.0.self_attn.k_proj", "model.layers.1.mlp.gate_proj", "model.layers.1.mlp.up_proj"]}})");
    try {
        (void)mc::resolve_layer(c, "model.layers.0.self_attn.qkv_proj");
        ADD_FAILURE() << "accepted";
    } catch (const mc::config_error& e) {
        EXPECT_NE(std::string(e.what()).find("the shards of fused module model.layers.0.self_attn.qkv_proj disagree"), std::string::npos) << e.what();
    }
    EXPECT_EQ(scheme_of(c, "model.layers.1.mlp.gate_up_proj"), "unquantized: excluded by 'model.layers.1.mlp.gate_proj'");
    EXPECT_EQ(scheme_of(c, "model.layers.2.mlp.gate_up_proj"), "w_nvfp4_a_nvfp4");
    // a custom mapping
    const mc::fused_mapping mapping = {{"wqkv", {"wq", "wk", "wv"}}};
    EXPECT_EQ(mc::resolve_layer(c, "blocks.0.wqkv", mapping).scheme, "w_nvfp4_a_nvfp4");
}
