// Checkpoints in and out: every export format loads back through the loader and runs with outputs
// equal to the emulation reference; hand-made checkpoints in each producer's conventions load;
// exclusions, the LM head, fused layers, scalar shapes, sharding and W4A16 placeholders; and every
// malformed checkpoint is an error naming what is wrong.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "generated/kernel_types.hpp"
#include "microscale/checkpoint/export.hpp"
#include "microscale/checkpoint/loader.hpp"
#include "support/reference.hpp"
#include "support/scratch.hpp"

namespace ms = microscale;
namespace mc = microscale::checkpoint;
namespace fs = std::filesystem;

namespace {

using microscale::test::scratch;

std::vector<float> normal(std::int64_t count, float sigma, std::uint32_t seed) { return microscale::test::normal_values(count, sigma, seed, 300); }

std::vector<std::uint16_t> to_bf16(const std::vector<float>& v) {
    std::vector<std::uint16_t> out(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = ms::numeric::bf16::encode(v[i]);
    return out;
}

struct module_spec {
    std::string name;
    std::int64_t n, k;
};

const std::vector<module_spec>& model_modules() {
    static const std::vector<module_spec> modules = {{"model.layers.0.self_attn.q_proj", 64, 128}, {"model.layers.0.self_attn.k_proj", 32, 128},
                                                     {"model.layers.0.self_attn.v_proj", 32, 128}, {"model.layers.0.self_attn.o_proj", 128, 64},
                                                     {"model.layers.0.mlp.gate_proj", 96, 128},    {"model.layers.0.mlp.up_proj", 96, 128},
                                                     {"model.layers.0.mlp.down_proj", 128, 96},    {"lm_head", 80, 128}};
    return modules;
}

/// A small bf16 model (+ a norm), and calibration activations for every linear module.
void write_float_model(const fs::path& dir) {
    mc::safetensors_writer w, cal;
    std::uint32_t seed = 1;
    for (const auto& m : model_modules()) {
        w.add_values<std::uint16_t>(m.name + ".weight", mc::st_dtype::BF16, {m.n, m.k}, to_bf16(normal(m.n * m.k, 0.02f, seed++)));
        cal.add_values<float>(m.name + ".input", mc::st_dtype::F32, {8, m.k}, normal(8 * m.k, 1.0f, seed++));
    }
    w.add_values<float>("model.norm.weight", mc::st_dtype::F32, {128}, std::vector<float>(128, 1.0f));
    w.write(dir / "model.safetensors");
    cal.write(dir / "calibration.safetensors");
}

std::vector<float> run_layer(const ms::linear_layer& layer, const std::vector<float>& x, std::int64_t m) {
    std::vector<float> y(static_cast<std::size_t>(m * layer.out_features()));
    layer.apply({x.data(), ms::dtype::f32, m, layer.in_features()}, {y.data(), ms::dtype::f32, m, layer.out_features()});
    return y;
}

ms::selection_options force(const std::string& backend) {
    ms::selection_options o;
    o.forced_backend = backend;
    return o;
}

/// A loaded weight as exact reals [N, K], by the reference formulas (support/reference.hpp): codes
/// unpacked by the bit-stream definition (DESIGN.md §4.1), not by the library's unpacker.
template <class F>
std::vector<double> reference_dequantized(const ms::quantized_weight& q) {
    EXPECT_EQ(q.scale_layout, ms::layout::layout_id::linear) << q.name;
    ms::test::random_weight r;  // the reference's container: unpacked codes and linear scales
    r.weight = q;
    r.scales = q.scales;
    r.codes.resize(static_cast<std::size_t>(q.rows * q.cols));
    const std::size_t row_bytes = q.codes.size() / static_cast<std::size_t>(q.rows);
    constexpr int bits = F::element::bits;
    for (std::int64_t row = 0; row < q.rows; ++row)
        for (std::int64_t i = 0; i < q.cols; ++i) {
            const std::size_t bit = static_cast<std::size_t>(i) * bits;
            const std::uint8_t* base = q.codes.data() + static_cast<std::size_t>(row) * row_bytes + bit / 8;
            std::uint32_t v = base[0];
            if (bit % 8 + bits > 8) v |= static_cast<std::uint32_t>(base[1]) << 8;
            r.codes[static_cast<std::size_t>(row * q.cols + i)] = static_cast<std::uint8_t>((v >> (bit % 8)) & ((1u << bits) - 1u));
        }
    return ms::test::reference_weight_values<F>(r);
}

/// The selected kernel's output a and the emulation kernel's b, both y = x'·Wᵀ of the loaded weight
/// w (x' = x, or its QDQ for W4A4 / W6A6), against the fp64 y of the same operands decoded by the
/// reference formulas: each within numeric::accumulation_bound(K, sum_k |x'_k w_k|, y, f32) of y
/// (so |a - b| is within twice that). sum_k |x'_k w_k| is computed from the actual operands; the
/// factor 1 + 1e-12 covers the fp64 evaluation of the sums.
void expect_close_to_reference(const std::vector<float>& a, const std::vector<float>& b, const std::vector<float>& x, const ms::quantized_weight& w,
                               bool quantized_activation, std::int64_t m, std::int64_t n, std::int64_t k, const std::string& what) {
    ASSERT_EQ(w.rows, n) << what;
    ASSERT_EQ(w.cols, k) << what;
    const bool known = ms::format::visit_format(w.format, [&](auto format) {
        using F = decltype(format);
        const std::vector<double> wv = reference_dequantized<F>(w);
        for (std::int64_t r = 0; r < m; ++r) {
            const std::vector<float> row(x.begin() + r * k, x.begin() + (r + 1) * k);
            std::vector<double> xq(row.begin(), row.end());
            if (quantized_activation) xq = ms::test::reference_qdq_row<F>(row, w.input_scale.value_or(1.0f));
            for (std::int64_t c = 0; c < n; ++c) {
                double exact = 0, sum_abs = 0;
                for (std::int64_t i = 0; i < k; ++i) {
                    const double t = xq[static_cast<std::size_t>(i)] * wv[static_cast<std::size_t>(c * k + i)];
                    exact += t;
                    sum_abs += std::fabs(t);
                }
                const double bound = ms::numeric::accumulation_bound(k, sum_abs * (1 + 1e-12), exact, ms::dtype::f32);
                const double got = a[static_cast<std::size_t>(r * n + c)], ref = b[static_cast<std::size_t>(r * n + c)];
                ASSERT_LE(std::fabs(got - exact), bound) << what << " [" << r << ", " << c << "]: selected kernel vs exact";
                ASSERT_LE(std::fabs(ref - exact), bound) << what << " [" << r << ", " << c << "]: emulation vs exact";
                ASSERT_LE(std::fabs(got - ref), 2 * bound) << what << " [" << r << ", " << c << "]";
            }
        }
    });
    EXPECT_TRUE(known) << what << ": format " << w.format;
}

}  // namespace

TEST(Checkpoint, EveryExportFormatLoadsBackAndRunsLikeTheEmulationReference) {
    const fs::path base = scratch("roundtrip");
    write_float_model(base);
    const mc::safetensors_file model(base / "model.safetensors");
    const mc::safetensors_file calibration(base / "calibration.safetensors");
    struct run_case {
        std::string scheme;
        std::string format;
    };
    const std::vector<run_case> cases = {{"w_nvfp4_a_nvfp4", "modelopt"},
                                         {"w_nvfp4", "modelopt"},
                                         {"w_nvfp4_a_nvfp4", "compressed-tensors"},
                                         {"w_nvfp4", "compressed-tensors"},
                                         {"w_mxfp4_a_mxfp4", "quark"},
                                         {"w_mxfp4", "quark"},
                                         {"w_mxfp6_e2m3_a_mxfp6_e2m3", "quark"},
                                         {"w_mxfp6_e2m3", "quark"},
                                         {"w_mxfp6_e3m2_a_mxfp6_e3m2", "quark"},
                                         {"w_mxfp6_e3m2", "quark"}};
    for (const auto& c : cases) {
        SCOPED_TRACE(c.scheme + " as " + c.format);
        const fs::path out = base / (c.scheme + "-" + c.format);
        mc::export_options o;
        o.scheme = c.scheme;
        o.convention = c.format;
        o.exclude = {"lm_head"};
        o.calibration = &calibration;
        mc::export_checkpoint(model, out, o);

        const mc::checkpoint_reader reader(out);
        EXPECT_EQ(reader.module_names().size(), model_modules().size());
        for (const auto& m : model_modules()) {
            const auto info = reader.describe(m.name);
            EXPECT_EQ(info.n, m.n);
            EXPECT_EQ(info.k, m.k);
            if (m.name == "lm_head") {
                EXPECT_FALSE(info.quantized);
                EXPECT_EQ(info.reason, "excluded by 'lm_head'");
                EXPECT_EQ(reader.load_linear(m.name)->kernel_name(), "dense_fp32");
                continue;
            }
            EXPECT_TRUE(info.quantized) << m.name;
            EXPECT_EQ(info.scheme, c.scheme);
            const auto x = normal(3 * m.k, 1.0f, 77);
            const auto selected = reader.load_linear(m.name, ms::dtype::f32, {});
            const auto emulation = reader.load_linear(m.name, ms::dtype::f32, force("emulation"));
            EXPECT_EQ(std::string(emulation->kernel_name()).find(".emulation"), emulation->kernel_name().size() - 10);
            expect_close_to_reference(run_layer(*selected, x, 3), run_layer(*emulation, x, 3), x, reader.load_quantized(m.name),
                                      c.scheme.find("_a_") != std::string::npos, 3, m.n, m.k, m.name);
        }
        // the fused modules assemble and run too
        for (const std::string fused : {"model.layers.0.self_attn.qkv_proj", "model.layers.0.mlp.gate_up_proj"}) {
            mc::fusion_report report;
            const auto layer = reader.load_linear(fused, ms::dtype::f32, {}, &report);
            EXPECT_EQ(report.shards.size(), fused.find("qkv") != std::string::npos ? 3u : 2u);
            EXPECT_FALSE(report.rescaled) << "exports unify the fused shards' amax";
            EXPECT_GT(layer->out_features(), 0);
        }
    }
}

TEST(Checkpoint, ExportedBytesAreTheQuantizersBytes) {
    const fs::path base = scratch("bytes");
    write_float_model(base);
    const mc::safetensors_file model(base / "model.safetensors");
    const mc::safetensors_file calibration(base / "calibration.safetensors");
    for (const auto fmt : {"modelopt", "compressed-tensors"}) {
        const fs::path out = base / std::string(fmt);
        mc::export_options o;
        o.scheme = "w_nvfp4_a_nvfp4";
        o.convention = std::string(fmt);
        o.calibration = &calibration;
        mc::export_checkpoint(model, out, o);
        const mc::checkpoint_reader reader(out);
        // o_proj is not fused: in ModelOpt's convention its bytes are those of quantize_weight on the
        // tensor itself (compressed-tensors writes llm-compressor's bytes: llm_compressor_test.cpp)
        const std::string name = "model.layers.0.self_attn.o_proj";
        const auto expected = ms::format::quantize_weight<ms::format::nvfp4>(mc::read_floats(model, model.at(name + ".weight")), 128, 64);
        const auto loaded = reader.load_quantized(name);
        const bool modelopt = std::string(fmt) == "modelopt";
        if (modelopt) {
            EXPECT_EQ(loaded.codes, expected.codes);
            EXPECT_EQ(loaded.scales, expected.scales);
            EXPECT_EQ(loaded.global_scale, expected.global_scale);
        } else {
            // G = 1 / bf16(bf16(1 / amax) * 2688) (llm-compressor computes in the bf16 weights' dtype):
            // two bf16 roundings (2^-9 each) and the fp32 reciprocal, against the reference's
            // fl(amax / 2688): within 2 * 2^-9 + 3 * 2^-24 relative (first order)
            EXPECT_NEAR(loaded.global_scale, expected.global_scale, expected.global_scale * (2 * 0x1p-9 + 3 * 0x1p-24));
        }
        const float amax = [&] {
            float a = 0;
            for (float v : mc::read_floats(calibration, calibration.at(name + ".input"))) a = std::max(a, std::fabs(v));
            return a;
        }();
        // ModelOpt stores fl(amax / 2688); compressed-tensors fl(2688 / amax), read as its fp32
        // reciprocal: two roundings against the reference's one, within 3 * 2^-24 relative
        if (modelopt)
            EXPECT_EQ(*loaded.input_scale, amax / 2688.0f);
        else
            EXPECT_NEAR(*loaded.input_scale, amax / 2688.0f, amax / 2688.0f * 3 * 0x1p-24f);
        // q/k/v share the amax of the three (ModelOpt's fused-layer unification)
        const auto q = reader.load_quantized("model.layers.0.self_attn.q_proj");
        const auto k = reader.load_quantized("model.layers.0.self_attn.k_proj");
        EXPECT_EQ(q.global_scale, k.global_scale);
        EXPECT_EQ(*q.input_scale, *k.input_scale);
    }
}

TEST(Checkpoint, FusedShardsWithDifferentGlobalScalesAreReconciled) {
    // q / k / v quantized separately (no amax unification): different global scales
    const fs::path dir = scratch("fused");
    mc::safetensors_writer w;
    std::vector<ms::quantized_weight> shards;
    const std::vector<std::pair<std::string, float>> parts = {{"q_proj", 0.02f}, {"k_proj", 0.07f}, {"v_proj", 0.005f}};
    std::uint32_t seed = 10;
    for (const auto& [name, sigma] : parts) {
        auto q = ms::format::quantize_weight<ms::format::nvfp4>(normal(48 * 64, sigma, seed++), 48, 64);
        q.input_scale = 2.5f / 2688.0f;
        const std::string p = "layers.0.attn." + name;
        w.add_values<std::uint8_t>(p + ".weight", mc::st_dtype::U8, {48, 32}, q.codes);
        w.add_values<std::uint8_t>(p + ".weight_scale", mc::st_dtype::F8_E4M3, {48, 4}, q.scales);
        w.add_values<float>(p + ".weight_scale_2", mc::st_dtype::F32, {1}, std::vector<float>{q.global_scale});  // [1]: same as []
        w.add_values<float>(p + ".input_scale", mc::st_dtype::F32, {}, std::vector<float>{*q.input_scale});
        shards.push_back(q);
    }
    w.write(dir / "model.safetensors");
    std::ofstream(dir / "hf_quant_config.json")
        << R"({"quantization": {"quant_algo": "NVFP4", "group_size": 16, "kv_cache_quant_algo": null, "exclude_modules": []}})";

    const mc::checkpoint_reader reader(dir);
    mc::fusion_report report;
    const auto fused = reader.load_quantized("layers.0.attn.qkv_proj", &report);
    EXPECT_TRUE(report.rescaled);
    EXPECT_EQ(fused.rows, 144);
    EXPECT_EQ(fused.global_scale, std::max({shards[0].global_scale, shards[1].global_scale, shards[2].global_scale}));
    EXPECT_GT(report.worst_relative_change, 0.0);
    EXPECT_FALSE(report.warnings.empty());

    // output of the fused layer = the shards' outputs concatenated, within one e4m3 re-rounding of
    // each block factor: |f' - f| <= max(2^-4 f, 2^-10 G) (half an e4m3 step, normal or subnormal),
    // plus the fp32 accumulation bounds of both sides.
    const auto x = normal(4 * 64, 1.0f, 99);
    const auto emulation = force("emulation");
    const auto fused_layer = reader.load_linear("layers.0.attn.qkv_proj", ms::dtype::f32, emulation);
    const auto y = run_layer(*fused_layer, x, 4);
    std::int64_t row0 = 0;
    for (std::size_t s = 0; s < shards.size(); ++s) {
        const auto shard_layer = reader.load_linear("layers.0.attn." + parts[s].first, ms::dtype::f32, emulation);
        const auto ys = run_layer(*shard_layer, x, 4);
        std::vector<std::uint8_t> codes(64);
        for (std::int64_t r = 0; r < 4; ++r) {
            // the activation QDQ both sides share (same input scale)
            const auto xq =
                ms::test::reference_qdq_row<ms::format::nvfp4>(std::vector<float>(x.begin() + r * 64, x.begin() + (r + 1) * 64), 2.5f / 2688.0f);
            for (std::int64_t c = 0; c < 48; ++c) {
                ms::numeric::unpack_fp4(std::span<const std::uint8_t>(shards[s].codes.data() + c * 32, 32), codes);
                double slack = 0, sum_abs = 0;
                for (std::int64_t i = 0; i < 64; ++i) {
                    const double f = ms::numeric::e4m3::decode(shards[s].scales[static_cast<std::size_t>(c * 4 + i / 16)]) * shards[s].global_scale;
                    const double e = std::fabs(ms::numeric::e2m1::decode(codes[static_cast<std::size_t>(i)]));
                    slack += std::fabs(xq[static_cast<std::size_t>(i)]) * e * std::max(f / 16, fused.global_scale / 1024.0);
                    sum_abs += std::fabs(xq[static_cast<std::size_t>(i)]) * e * (f * 1.07 + fused.global_scale / 1024.0);
                }
                const double got = y[static_cast<std::size_t>(r * 144 + row0 + c)], want = ys[static_cast<std::size_t>(r * 48 + c)];
                const double bound = slack + 2 * ms::numeric::accumulation_bound(64, sum_abs, want, ms::dtype::f32);
                ASSERT_LE(std::fabs(got - want), bound) << parts[s].first << " [" << r << ", " << c << "]";
            }
        }
        row0 += 48;
    }
}

TEST(Checkpoint, HandMadeCheckpointsInEachConvention) {
    // compressed-tensors W4A4, written by hand: global scales in the reciprocal convention, [1] shapes
    {
        const fs::path dir = scratch("ct");
        auto q = ms::format::quantize_weight<ms::format::nvfp4>(normal(32 * 64, 0.03f, 3), 32, 64);
        mc::safetensors_writer w;
        w.add_values<std::uint8_t>("m.weight_packed", mc::st_dtype::U8, {32, 32}, q.codes);
        w.add_values<std::uint8_t>("m.weight_scale", mc::st_dtype::F8_E4M3, {32, 4}, q.scales);
        w.add_values<float>("m.weight_global_scale", mc::st_dtype::F32, {1}, std::vector<float>{1.0f / q.global_scale});
        w.add_values<float>("m.input_global_scale", mc::st_dtype::F32, {1}, std::vector<float>{2688.0f / 3.0f});
        w.write(dir / "model.safetensors");
        std::ofstream(dir / "config.json") << R"({"quantization_config": {"quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized",
            "config_groups": {"group_0": {"targets": ["Linear"], "weights": {"num_bits": 4, "type": "float", "strategy": "tensor_group", "group_size": 16},
            "input_activations": {"num_bits": 4, "type": "float", "strategy": "tensor_group", "group_size": 16, "dynamic": "local"}}}, "ignore": []}})";
        const mc::checkpoint_reader reader(dir);
        const auto info = reader.describe("m");
        EXPECT_EQ(info.convention, "compressed-tensors");
        EXPECT_EQ(info.scheme, "w_nvfp4_a_nvfp4");
        const auto loaded = reader.load_quantized("m");
        EXPECT_EQ(loaded.global_scale, 1.0f / (1.0f / q.global_scale));
        EXPECT_EQ(*loaded.input_scale, 1.0f / (2688.0f / 3.0f));
        const auto x = normal(2 * 64, 1.0f, 4);
        expect_close_to_reference(run_layer(*reader.load_linear("m", ms::dtype::f32, {}), x, 2),
                                  run_layer(*reader.load_linear("m", ms::dtype::f32, force("emulation")), x, 2), x, loaded, true, 2, 32, 64, "ct");
    }
    // ModelOpt W4A16 with a placeholder input_scale (ignored), and a quantized LM head
    {
        const fs::path dir = scratch("w4a16");
        auto q = ms::format::quantize_weight<ms::format::nvfp4>(normal(32 * 64, 0.03f, 5), 32, 64);
        mc::safetensors_writer w;
        for (const std::string p : {"m", "lm_head"}) {
            w.add_values<std::uint8_t>(p + ".weight", mc::st_dtype::U8, {32, 32}, q.codes);
            w.add_values<std::uint8_t>(p + ".weight_scale", mc::st_dtype::F8_E4M3, {32, 4}, q.scales);
            w.add_values<float>(p + ".weight_scale_2", mc::st_dtype::F32, {}, std::vector<float>{q.global_scale});
            w.add_values<float>(p + ".input_scale", mc::st_dtype::F32, {}, std::vector<float>{-1.0f});  // placeholder: never read
        }
        w.write(dir / "model.safetensors");
        std::ofstream(dir / "hf_quant_config.json")
            << R"({"quantization": {"quant_algo": "W4A16_NVFP4", "group_size": 16, "kv_cache_quant_algo": null, "exclude_modules": []}})";
        const mc::checkpoint_reader reader(dir);
        EXPECT_EQ(reader.describe("lm_head").scheme, "w_nvfp4");  // the LM head is a linear like any other
        EXPECT_FALSE(reader.load_quantized("m").input_scale.has_value());
        EXPECT_NE(reader.load_linear("lm_head")->kernel_name(), "dense_fp32");
    }
    // Quark MXFP6, e8m0 scales as F8_E8M0, sharded over two files with an index, an LM head in bf16
    {
        const fs::path dir = scratch("quark");
        auto q = ms::format::quantize_weight<ms::format::mxfp6_e3m2>(normal(32 * 64, 0.03f, 6), 32, 64);
        mc::safetensors_writer a, b;
        a.add_values<std::uint8_t>("layers.0.up.weight", mc::st_dtype::U8, {32, 48}, q.codes);
        b.add_values<std::uint8_t>("layers.0.up.weight_scale", mc::st_dtype::F8_E8M0, {32, 2}, q.scales);
        b.add_values<std::uint16_t>("lm_head.weight", mc::st_dtype::BF16, {16, 64}, to_bf16(normal(16 * 64, 0.02f, 7)));
        a.write(dir / "model-00001-of-00002.safetensors");
        b.write(dir / "model-00002-of-00002.safetensors");
        std::ofstream(dir / "model.safetensors.index.json") << R"({"metadata": {}, "weight_map": {
            "layers.0.up.weight": "model-00001-of-00002.safetensors", "layers.0.up.weight_scale": "model-00002-of-00002.safetensors",
            "lm_head.weight": "model-00002-of-00002.safetensors"}})";
        std::ofstream(dir / "config.json") << R"({"quantization_config": {"quant_method": "quark", "exclude": [],
            "global_quant_config": {"weight": {"dtype": "fp6_e3m2", "qscheme": "per_group", "group_size": 32, "scale_format": "e8m0"}, "input_tensors": null}}})";
        const mc::checkpoint_reader reader(dir);
        EXPECT_EQ(reader.tensors().shard_count(), 2u);
        EXPECT_EQ(reader.describe("layers.0.up").scheme, "w_mxfp6_e3m2");
        EXPECT_EQ(reader.describe("lm_head").reason, "stored in floating point");
        EXPECT_EQ(reader.load_linear("lm_head")->kernel_name(), "dense_fp32");
        const auto x = normal(2 * 64, 1.0f, 8);
        expect_close_to_reference(run_layer(*reader.load_linear("layers.0.up", ms::dtype::f32, {}), x, 2),
                                  run_layer(*reader.load_linear("layers.0.up", ms::dtype::f32, force("emulation")), x, 2), x,
                                  reader.load_quantized("layers.0.up"), false, 2, 32, 64, "quark");
    }
}

TEST(Checkpoint, MalformedCheckpointsAreNamedErrors) {
    const fs::path dir = scratch("bad");
    auto q = ms::format::quantize_weight<ms::format::nvfp4>(normal(32 * 64, 0.03f, 9), 32, 64);
    auto write = [&](auto add) {
        mc::safetensors_writer w;
        add(w);
        w.write(dir / "model.safetensors");
    };
    std::ofstream(dir / "hf_quant_config.json")
        << R"({"quantization": {"quant_algo": "NVFP4", "group_size": 16, "kv_cache_quant_algo": null, "exclude_modules": ["skip"]}})";
    auto expect = [&](const std::string& module, const std::string& fragment) {
        try {
            const mc::checkpoint_reader reader(dir);
            (void)reader.load_linear(module);
            ADD_FAILURE() << "accepted " << module << "; expected: " << fragment;
        } catch (const std::exception& e) {
            EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << "message: " << e.what() << "\nexpected: " << fragment;
        }
    };
    write([&](mc::safetensors_writer& w) {
        w.add_values<std::uint8_t>("m.weight", mc::st_dtype::U8, {32, 32}, q.codes);
        w.add_values<float>("m.weight_scale_2", mc::st_dtype::F32, {}, std::vector<float>{q.global_scale});
    });
    expect("m", "missing tensor 'm.weight_scale'");
    expect("nothing", "no module 'nothing' in the checkpoint");
    write([&](mc::safetensors_writer& w) {
        w.add_values<std::uint8_t>("m.weight", mc::st_dtype::U8, {32, 32}, q.codes);
        w.add_values<std::uint8_t>("m.weight_scale", mc::st_dtype::F8_E4M3, {32, 2}, std::vector<std::uint8_t>(64, 0x38));
        w.add_values<float>("m.weight_scale_2", mc::st_dtype::F32, {}, std::vector<float>{q.global_scale});
    });
    expect("m", "tensor 'm.weight_scale' is F8_E4M3 [32, 2], expected F8_E4M3 [32, 4]");
    write([&](mc::safetensors_writer& w) {
        w.add_values<std::uint8_t>("m.weight", mc::st_dtype::U8, {32, 32}, q.codes);
        w.add_values<std::uint8_t>("m.weight_scale", mc::st_dtype::F8_E4M3, {32, 4}, q.scales);
        w.add_values<float>("m.weight_scale_2", mc::st_dtype::F32, {2}, std::vector<float>{1, 2});
    });
    expect("m", "tensor 'm.weight_scale_2' has shape [2], expected a scalar");
    write([&](mc::safetensors_writer& w) {
        w.add_values<std::uint8_t>("m.weight", mc::st_dtype::U8, {32, 32}, q.codes);
        w.add_values<std::uint8_t>("m.weight_scale", mc::st_dtype::F8_E4M3, {32, 4}, q.scales);
        w.add_values<float>("m.weight_scale_2", mc::st_dtype::F32, {}, std::vector<float>{q.global_scale});
        w.add_values<std::uint8_t>("skip.weight", mc::st_dtype::U8, {32, 32}, q.codes);
    });
    expect("m", "W4A4 NVFP4 needs the activation global scale (input_scale)");
    expect("skip", "skip is stored quantized but the config");
    std::ofstream(dir / "model.safetensors.index.json") << R"({"weight_map": {"m.weight": "gone.safetensors"}})";
    expect("m", "gone.safetensors: cannot open");
    std::ofstream(dir / "model.safetensors.index.json") << R"({"weight_map": {"m.weight": "../model.safetensors"}})";
    expect("m", "leaves the checkpoint folder");
}
