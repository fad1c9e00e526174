// MoE checkpoints: ModelOpt's per-expert tensors and the stacked layouts of compressed-tensors and
// Quark load into the stacked form, gate and up reconciled per expert, and run.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "microscale/checkpoint/loader.hpp"
#include "support/reference.hpp"
#include "support/scratch.hpp"

namespace ms = microscale;
namespace mc = microscale::checkpoint;
namespace fs = std::filesystem;

namespace {

using microscale::test::scratch;

using microscale::test::normal_values;

constexpr std::int64_t experts = 3, hidden = 64, inter = 32;

struct expert_set {
    std::vector<ms::quantized_weight> gate, up, down;
};

template <class F>
expert_set quantize_experts() {
    expert_set s;
    for (std::int64_t e = 0; e < experts; ++e) {
        // gate and up with different amax: different global scales to reconcile
        s.gate.push_back(ms::format::quantize_weight<F>(normal_values(inter * hidden, 0.02f, 10 + e), inter, hidden));
        s.up.push_back(ms::format::quantize_weight<F>(normal_values(inter * hidden, 0.05f + 0.01f * static_cast<float>(e), 20 + e), inter, hidden));
        s.down.push_back(ms::format::quantize_weight<F>(normal_values(hidden * inter, 0.03f, 30 + e), hidden, inter));
        for (auto* q : {&s.gate.back(), &s.up.back(), &s.down.back()}) q->input_scale = (2.0f + static_cast<float>(e)) / 2688.0f;
    }
    return s;
}

/// The experts' codes and scales stacked as [E, 2I, ·] (gate rows, then up rows) and [E, K, ·].
struct stacked_bytes {
    std::vector<std::uint8_t> w13, w13s, w2, w2s;
};
stacked_bytes stack_experts(const expert_set& s) {
    stacked_bytes b;
    for (std::int64_t e = 0; e < experts; ++e) {
        for (const auto* q : {&s.gate[static_cast<std::size_t>(e)], &s.up[static_cast<std::size_t>(e)]}) {
            b.w13.insert(b.w13.end(), q->codes.begin(), q->codes.end());
            b.w13s.insert(b.w13s.end(), q->scales.begin(), q->scales.end());
        }
        const auto& d = s.down[static_cast<std::size_t>(e)];
        b.w2.insert(b.w2.end(), d.codes.begin(), d.codes.end());
        b.w2s.insert(b.w2s.end(), d.scales.begin(), d.scales.end());
    }
    return b;
}

/// The experts as the loader must build them: gate rows then up rows, block scales re-rounded to
/// the larger global scale (recomputed here from the definition, independently of the loader).
ms::moe_weights expected_stacked(const expert_set& s, const std::string& format) {
    ms::moe_weights w;
    w.format = format;
    w.experts = experts;
    w.hidden = hidden;
    w.intermediate = inter;
    for (std::int64_t e = 0; e < experts; ++e) {
        ms::quantized_weight g = s.gate[static_cast<std::size_t>(e)], u = s.up[static_cast<std::size_t>(e)];
        const float shared = std::max(g.global_scale, u.global_scale);
        for (auto* part : {&g, &u}) {
            if (format == "nvfp4" && part->global_scale != shared)
                for (auto& sc : part->scales) sc = ms::numeric::e4m3::encode(ms::numeric::e4m3::decode(sc) * (part->global_scale / shared));
        }
        ms::quantized_weight w13 = g;
        w13.rows = 2 * inter;
        w13.codes.insert(w13.codes.end(), u.codes.begin(), u.codes.end());
        w13.scales.insert(w13.scales.end(), u.scales.begin(), u.scales.end());
        w13.global_scale = format == "nvfp4" ? shared : 1.0f;
        w.w13.push_back(w13);
        w.w2.push_back(s.down[static_cast<std::size_t>(e)]);
    }
    return w;
}

void expect_same_experts(const ms::moe_weights& got, const ms::moe_weights& want) {
    ASSERT_EQ(got.experts, want.experts);
    for (std::int64_t e = 0; e < want.experts; ++e) {
        EXPECT_EQ(got.w13[static_cast<std::size_t>(e)].codes, want.w13[static_cast<std::size_t>(e)].codes) << "expert " << e;
        EXPECT_EQ(got.w13[static_cast<std::size_t>(e)].scales, want.w13[static_cast<std::size_t>(e)].scales) << "expert " << e;
        EXPECT_NEAR(got.w13[static_cast<std::size_t>(e)].global_scale, want.w13[static_cast<std::size_t>(e)].global_scale,
                    want.w13[static_cast<std::size_t>(e)].global_scale * 1.2e-7);
        EXPECT_EQ(got.w2[static_cast<std::size_t>(e)].codes, want.w2[static_cast<std::size_t>(e)].codes) << "expert " << e;
        EXPECT_EQ(got.w2[static_cast<std::size_t>(e)].scales, want.w2[static_cast<std::size_t>(e)].scales) << "expert " << e;
    }
}

/// The loaded layer against an MoE kernel built directly from the expected experts: bit for bit.
void expect_runs_like(const mc::checkpoint_reader& reader, const std::string& prefix, const ms::moe_weights& want, const std::string& scheme) {
    const auto layer = reader.load_moe_layer(prefix, ms::dtype::f32, {});
    const auto direct = ms::create_moe(scheme, want, ms::dtype::f32, {});
    EXPECT_EQ(layer->kernel_name(), direct->kernel_name());
    const std::int64_t tokens = 6, top_k = 2;
    const auto x = normal_values(tokens * hidden, 1.0f, 5);
    const std::vector<std::int32_t> ids = {0, 2, 1, -1, 2, 0, 1, 1, 0, 2, 2, 1};
    const std::vector<float> weights = {0.7f, 0.3f, 1.0f, 0.0f, 0.5f, 0.5f, 0.6f, 0.4f, 0.9f, 0.1f, 0.2f, 0.8f};
    std::vector<float> y(x.size()), yd(x.size());
    layer->apply({x.data(), ms::dtype::f32, tokens, hidden}, ids, weights, top_k, {y.data(), ms::dtype::f32, tokens, hidden});
    direct->apply({x.data(), ms::dtype::f32, tokens, hidden}, ids, weights, top_k, {yd.data(), ms::dtype::f32, tokens, hidden});
    EXPECT_EQ(y, yd);
    double norm = 0;
    for (const float v : y) norm += std::fabs(v);
    EXPECT_GT(norm, 0.0);
}

}  // namespace

TEST(MoeCheckpoint, ModelOptPerExpertTensors) {
    const fs::path dir = scratch("modelopt");
    const auto s = quantize_experts<ms::format::nvfp4>();
    mc::safetensors_writer w;
    for (std::int64_t e = 0; e < experts; ++e) {
        const std::vector<std::pair<std::string, const ms::quantized_weight*>> parts = {{"gate_proj", &s.gate[static_cast<std::size_t>(e)]},
                                                                                        {"up_proj", &s.up[static_cast<std::size_t>(e)]},
                                                                                        {"down_proj", &s.down[static_cast<std::size_t>(e)]}};
        for (const auto& [name, q] : parts) {
            const std::string p = "model.layers.0.mlp.experts." + std::to_string(e) + "." + name;
            w.add_values<std::uint8_t>(p + ".weight", mc::st_dtype::U8, {q->rows, q->cols / 2}, q->codes);
            w.add_values<std::uint8_t>(p + ".weight_scale", mc::st_dtype::F8_E4M3, {q->rows, q->cols / 16}, q->scales);
            w.add_values<float>(p + ".weight_scale_2", mc::st_dtype::F32, {}, std::vector<float>{q->global_scale});
            w.add_values<float>(p + ".input_scale", mc::st_dtype::F32, {}, std::vector<float>{*q->input_scale});
        }
    }
    w.write(dir / "model.safetensors");
    std::ofstream(dir / "hf_quant_config.json")
        << R"({"quantization": {"quant_algo": "NVFP4", "group_size": 16, "kv_cache_quant_algo": null, "exclude_modules": []}})";
    const mc::checkpoint_reader reader(dir);
    ASSERT_EQ(reader.moe_names(), std::vector<std::string>{"model.layers.0.mlp.experts"});
    const auto info = reader.describe_moe("model.layers.0.mlp.experts");
    EXPECT_EQ(info.layout, "per-expert");
    EXPECT_EQ(info.experts, experts);
    EXPECT_EQ(info.hidden, hidden);
    EXPECT_EQ(info.intermediate, inter);
    mc::fusion_report report;
    const auto loaded = reader.load_moe("model.layers.0.mlp.experts", &report);
    EXPECT_TRUE(report.rescaled);
    const auto want = expected_stacked(s, "nvfp4");
    expect_same_experts(loaded, want);
    // each expert's w13 carries the larger of its gate / up input scales; the layer shares the largest of all
    EXPECT_EQ(*loaded.w13[2].input_scale, 4.0f / 2688.0f);
    auto with_inputs = want;
    for (std::int64_t e = 0; e < experts; ++e) {
        with_inputs.w13[static_cast<std::size_t>(e)].input_scale = (2.0f + static_cast<float>(e)) / 2688.0f;
        with_inputs.w2[static_cast<std::size_t>(e)].input_scale = (2.0f + static_cast<float>(e)) / 2688.0f;
    }
    expect_runs_like(reader, "model.layers.0.mlp.experts", with_inputs, "w_nvfp4_a_nvfp4");
    EXPECT_FALSE(reader.load_moe_layer("model.layers.0.mlp.experts", ms::dtype::f32, {})->warnings().empty());  // input scales differ
}

TEST(MoeCheckpoint, CompressedTensorsStackedLayout) {
    const fs::path dir = scratch("ct");
    const auto s = quantize_experts<ms::format::nvfp4>();
    std::vector<std::uint8_t> w13, w13s, w2, w2s;
    std::vector<float> g13, g2, i13, i2;
    for (std::int64_t e = 0; e < experts; ++e) {
        for (const auto* q : {&s.gate[static_cast<std::size_t>(e)], &s.up[static_cast<std::size_t>(e)]}) {
            w13.insert(w13.end(), q->codes.begin(), q->codes.end());
            w13s.insert(w13s.end(), q->scales.begin(), q->scales.end());
            g13.push_back(1.0f / q->global_scale);  // the reciprocal convention
            i13.push_back(1.0f / *q->input_scale);
        }
        const auto& d = s.down[static_cast<std::size_t>(e)];
        w2.insert(w2.end(), d.codes.begin(), d.codes.end());
        w2s.insert(w2s.end(), d.scales.begin(), d.scales.end());
        g2.push_back(1.0f / d.global_scale);
        i2.push_back(1.0f / *d.input_scale);
    }
    mc::safetensors_writer w;
    const std::string p = "model.layers.1.mlp.experts";
    w.add_values<std::uint8_t>(p + ".w13_weight_packed", mc::st_dtype::U8, {experts, 2 * inter, hidden / 2}, w13);
    w.add_values<std::uint8_t>(p + ".w13_weight_scale", mc::st_dtype::F8_E4M3, {experts, 2 * inter, hidden / 16}, w13s);
    w.add_values<float>(p + ".w13_weight_global_scale", mc::st_dtype::F32, {experts, 2}, g13);
    w.add_values<float>(p + ".w13_input_global_scale", mc::st_dtype::F32, {experts, 2}, i13);
    w.add_values<std::uint8_t>(p + ".w2_weight_packed", mc::st_dtype::U8, {experts, hidden, inter / 2}, w2);
    w.add_values<std::uint8_t>(p + ".w2_weight_scale", mc::st_dtype::F8_E4M3, {experts, hidden, inter / 16}, w2s);
    w.add_values<float>(p + ".w2_weight_global_scale", mc::st_dtype::F32, {experts}, g2);
    w.add_values<float>(p + ".w2_input_global_scale", mc::st_dtype::F32, {experts, 1}, i2);
    w.write(dir / "model.safetensors");
    std::ofstream(dir / "config.json") << R"({"quantization_config": {"quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized",
        "config_groups": {"group_0": {"targets": ["Linear"], "weights": {"num_bits": 4, "type": "float", "strategy": "tensor_group", "group_size": 16},
        "input_activations": {"num_bits": 4, "type": "float", "strategy": "tensor_group", "group_size": 16, "dynamic": "local"}}}, "ignore": []}})";
    const mc::checkpoint_reader reader(dir);
    const auto info = reader.describe_moe(p);
    EXPECT_EQ(info.layout, "stacked");
    EXPECT_EQ(info.convention, "compressed-tensors");
    EXPECT_EQ(info.experts, experts);
    const auto loaded = reader.load_moe(p);
    expect_same_experts(loaded, expected_stacked(s, "nvfp4"));
    EXPECT_NEAR(*loaded.w2[1].input_scale, 3.0f / 2688.0f, 3.0f / 2688.0f * 1.2e-7);
}

TEST(MoeCheckpoint, QuarkStackedWithBiases) {
    const fs::path dir = scratch("quark");
    const auto s = quantize_experts<ms::format::mxfp4>();
    const auto [w13, w13s, w2, w2s] = stack_experts(s);
    const auto b13 = normal_values(experts * 2 * inter, 0.1f, 1), b2 = normal_values(experts * hidden, 0.1f, 2);
    mc::safetensors_writer w;
    const std::string p = "blocks.0.moe";
    w.add_values<std::uint8_t>(p + ".w13_weight", mc::st_dtype::U8, {experts, 2 * inter, hidden / 2}, w13);
    w.add_values<std::uint8_t>(p + ".w13_weight_scale", mc::st_dtype::F8_E8M0, {experts, 2 * inter, hidden / 32}, w13s);
    w.add_values<std::uint8_t>(p + ".w2_weight", mc::st_dtype::U8, {experts, hidden, inter / 2}, w2);
    w.add_values<std::uint8_t>(p + ".w2_weight_scale", mc::st_dtype::U8, {experts, hidden, inter / 32}, w2s);
    w.add_values<float>(p + ".w13_bias", mc::st_dtype::F32, {experts, 2 * inter}, b13);
    w.add_values<float>(p + ".w2_bias", mc::st_dtype::F32, {experts, hidden}, b2);
    w.write(dir / "model.safetensors");
    std::ofstream(dir / "config.json") << R"({"quantization_config": {"quant_method": "quark", "exclude": [],
        "global_quant_config": {"weight": {"dtype": "fp4", "qscheme": "per_group", "group_size": 32, "scale_format": "e8m0"},
                                "input_tensors": {"dtype": "fp4", "qscheme": "per_group", "group_size": 32, "scale_format": "e8m0", "is_dynamic": true}}}})";
    const mc::checkpoint_reader reader(dir);
    auto want = expected_stacked(s, "mxfp4");
    want.w13_bias = b13;
    want.w2_bias = b2;
    const auto loaded = reader.load_moe(p);
    expect_same_experts(loaded, want);
    EXPECT_EQ(loaded.w13_bias, b13);
    expect_runs_like(reader, p, want, "w_mxfp4_a_mxfp4");
}

TEST(MoeCheckpoint, MalformedExperts) {
    const fs::path dir = scratch("bad");
    const auto s = quantize_experts<ms::format::mxfp4>();
    mc::safetensors_writer w;
    w.add_values<std::uint8_t>("e.w13_weight", mc::st_dtype::U8, {experts, 2 * inter, hidden / 2},
                               std::vector<std::uint8_t>(experts * 2 * inter * hidden / 2));
    w.add_values<std::uint8_t>("e.w2_weight", mc::st_dtype::U8, {experts, hidden + 1, inter / 2},
                               std::vector<std::uint8_t>(experts * (hidden + 1) * inter / 2));
    w.write(dir / "model.safetensors");
    std::ofstream(dir / "config.json") << R"({"quantization_config": {"quant_method": "quark",
        "global_quant_config": {"weight": {"dtype": "fp4", "qscheme": "per_group", "group_size": 32, "scale_format": "e8m0"}, "input_tensors": null}}})";
    const mc::checkpoint_reader reader(dir);
    try {
        (void)reader.load_moe("e");
        ADD_FAILURE() << "accepted";
    } catch (const mc::format_error& e) {
        EXPECT_NE(std::string(e.what()).find("do not describe the same experts"), std::string::npos) << e.what();
    }
    EXPECT_THROW((void)reader.describe_moe("nothing"), mc::format_error);
}

// Stacked scales, scalars and biases are checked by dtype and exact shape, as the linear path
// checks a module's: F32 scales of all 1.0 (the right element count, the wrong dtype) once ran and
// gave outputs of 244 where the answer is <= 0.31, and a transposed [E, K/32, 2I] scale was accepted.
TEST(MoeCheckpoint, StackedTensorsAreCheckedByDtypeAndShape) {
    const auto s = quantize_experts<ms::format::mxfp4>();
    const stacked_bytes stacked = stack_experts(s);
    const auto &w13 = stacked.w13, &w13s = stacked.w13s, &w2 = stacked.w2,
               &w2s = stacked.w2s;  // captured: clang 14 cannot capture a structured binding
    const std::string p = "blocks.0.moe";
    // writes the Quark stacked layout with `change` applied to the writer before the w2 tensors
    auto load_with = [&](const std::string& name, const std::function<void(mc::safetensors_writer&)>& extra, bool default_w13_scale = true) {
        const fs::path dir = scratch("checked_" + name);
        mc::safetensors_writer w;
        w.add_values<std::uint8_t>(p + ".w13_weight", mc::st_dtype::U8, {experts, 2 * inter, hidden / 2}, w13);
        if (default_w13_scale) w.add_values<std::uint8_t>(p + ".w13_weight_scale", mc::st_dtype::U8, {experts, 2 * inter, hidden / 32}, w13s);
        w.add_values<std::uint8_t>(p + ".w2_weight", mc::st_dtype::U8, {experts, hidden, inter / 2}, w2);
        w.add_values<std::uint8_t>(p + ".w2_weight_scale", mc::st_dtype::U8, {experts, hidden, inter / 32}, w2s);
        extra(w);
        w.write(dir / "model.safetensors");
        std::ofstream(dir / "config.json") << R"({"quantization_config": {"quant_method": "quark", "exclude": [],
            "global_quant_config": {"weight": {"dtype": "fp4", "qscheme": "per_group", "group_size": 32, "scale_format": "e8m0"}, "input_tensors": null}}})";
        const mc::checkpoint_reader reader(dir);
        return reader.load_moe(p);
    };
    auto expect_format_error = [](auto&& fn, const std::string& fragment) { microscale::test::expect_error<mc::format_error>(fn, fragment); };
    EXPECT_NO_THROW((void)load_with("good", [](mc::safetensors_writer&) {}));
    const std::vector<float> ones(static_cast<std::size_t>(experts * 2 * inter * hidden / 32), 1.0f);
    expect_format_error(
        [&] {
            (void)load_with(
                "f32_scale",
                [&](mc::safetensors_writer& w) {
                    w.add_values<float>(p + ".w13_weight_scale", mc::st_dtype::F32, {experts, 2 * inter, hidden / 32}, ones);
                },
                false);
        },
        "tensor 'blocks.0.moe.w13_weight_scale' is F32 [3, 64, 2], expected U8 (e8m0) [3, 64, 2]");
    expect_format_error(
        [&] {
            (void)load_with(
                "transposed_scale",
                [&](mc::safetensors_writer& w) {
                    w.add_values<std::uint8_t>(p + ".w13_weight_scale", mc::st_dtype::U8, {experts, hidden / 32, 2 * inter}, w13s);
                },
                false);
        },
        "is U8 [3, 2, 64], expected U8 (e8m0) [3, 64, 2]");
    expect_format_error(
        [&] {
            (void)load_with("bias_shape", [&](mc::safetensors_writer& w) {
                w.add_values<float>(p + ".w2_bias", mc::st_dtype::F32, {hidden, experts}, normal_values(experts * hidden, 0.1f, 3));
            });
        },
        "tensor 'blocks.0.moe.w2_bias' is F32 [64, 3], expected F32, BF16 or F16 [3, 64]");
    expect_format_error(
        [&] {
            (void)load_with("mx_global", [&](mc::safetensors_writer& w) {
                w.add_values<float>(p + ".w13_weight_scale_2", mc::st_dtype::F32, {experts, 2}, std::vector<float>(experts * 2, 1.0f));
            });
        },
        "mxfp4 experts with an NVFP4 global scale tensor");
}

TEST(MoeCheckpoint, StackedNvfp4ScalarsAreCheckedByShape) {
    const auto s = quantize_experts<ms::format::nvfp4>();
    const auto [w13, w13s, w2, w2s] = stack_experts(s);
    const fs::path dir = scratch("scalars");
    const std::string p = "m.experts";
    mc::safetensors_writer w;
    w.add_values<std::uint8_t>(p + ".w13_weight", mc::st_dtype::U8, {experts, 2 * inter, hidden / 2}, w13);
    w.add_values<std::uint8_t>(p + ".w13_weight_scale", mc::st_dtype::F8_E4M3, {experts, 2 * inter, hidden / 16}, w13s);
    w.add_values<float>(p + ".w13_weight_scale_2", mc::st_dtype::F32, {2, experts}, std::vector<float>(2 * experts, 1e-3f));  // [2, E]: transposed
    w.add_values<std::uint8_t>(p + ".w2_weight", mc::st_dtype::U8, {experts, hidden, inter / 2}, w2);
    w.add_values<std::uint8_t>(p + ".w2_weight_scale", mc::st_dtype::F8_E4M3, {experts, hidden, inter / 16}, w2s);
    w.add_values<float>(p + ".w2_weight_scale_2", mc::st_dtype::F32, {experts}, std::vector<float>(experts, 1e-3f));
    w.write(dir / "model.safetensors");
    std::ofstream(dir / "hf_quant_config.json")
        << R"({"quantization": {"quant_algo": "W4A16_NVFP4", "group_size": 16, "kv_cache_quant_algo": null, "exclude_modules": []}})";
    const mc::checkpoint_reader reader(dir);
    try {
        (void)reader.load_moe(p);
        ADD_FAILURE() << "a [2, E] global scale accepted";
    } catch (const mc::format_error& e) {
        EXPECT_NE(std::string(e.what()).find("tensor 'm.experts.w13_weight_scale_2' is F32 [2, 3], expected F32 [3] or [3, 2]"), std::string::npos)
            << e.what();
    }
}
