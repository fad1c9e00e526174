// transformers' mxfp4 convention (gpt-oss): reading its expert tensors, and writing them from a
// floating-point GptOss model. The expected values come from transformers' and triton's own
// formulas, transcribed here: convert_moe_packed_tensors (FP4_VALUES[b & 0x0F] at even,
// FP4_VALUES[b >> 4] at odd positions, times 2^(scale - 127)) and downcast_to_mxfp_torch
// (scale byte ((bits(amax / 6) + 0x7FFFFF) & 0x7F800000) >> 23, elements to nearest even).
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "microscale/checkpoint/export.hpp"
#include "microscale/checkpoint/loader.hpp"
#include "microscale/library.hpp"
#include "support/scratch.hpp"

namespace ms = microscale;
namespace mc = microscale::checkpoint;
namespace fs = std::filesystem;

namespace {

using microscale::test::expect_error;
using microscale::test::read_json;
using microscale::test::scratch;

constexpr std::int64_t experts = 3, hidden = 64, inter = 32;
const std::string prefix = "model.layers.0.mlp.experts";

/// transformers' FP4_VALUES (integrations/mxfp4.py), indexed by the 4-bit code.
constexpr float fp4_values[16] = {+0.0f, +0.5f, +1.0f, +1.5f, +2.0f, +3.0f, +4.0f, +6.0f, -0.0f, -0.5f, -1.0f, -1.5f, -2.0f, -3.0f, -4.0f, -6.0f};

/// Element [n, k] of a [N, K/32, 16] block tensor with scales [N, K/32], as transformers dequantizes it.
double hf_value(const std::uint8_t* blocks, const std::uint8_t* scales, std::int64_t k_total, std::int64_t n, std::int64_t k) {
    const std::uint8_t byte = blocks[n * (k_total / 2) + (k / 32) * 16 + (k % 32) / 2];
    const int code = k % 2 == 0 ? byte & 0x0F : byte >> 4;
    return std::ldexp(static_cast<double>(fp4_values[code]), scales[n * (k_total / 32) + k / 32] - 127);
}

std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint32_t seed, int lo = 0, int hi = 255) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> d(lo, hi);
    std::vector<std::uint8_t> out(n);
    for (auto& b : out) b = static_cast<std::uint8_t>(d(rng));
    return out;
}

std::vector<std::uint16_t> bf16_values(std::size_t n, float sigma, std::uint32_t seed) {
    std::vector<std::uint16_t> out;
    for (const float v : ms::detail::normal_values(n, sigma, seed)) out.push_back(ms::numeric::bf16::encode(v));
    return out;
}

struct gpt_oss_tensors {
    std::vector<std::uint8_t> gu_blocks, gu_scales, d_blocks, d_scales;
    std::vector<std::uint16_t> gu_bias, d_bias;
};

gpt_oss_tensors random_gpt_oss() {
    gpt_oss_tensors t;
    t.gu_blocks = random_bytes(experts * 2 * inter * hidden / 2, 1);
    t.gu_scales = random_bytes(experts * 2 * inter * hidden / 32, 2, 120, 128);
    t.d_blocks = random_bytes(experts * hidden * inter / 2, 3);
    t.d_scales = random_bytes(experts * hidden * inter / 32, 4, 120, 128);
    t.gu_bias = bf16_values(experts * 2 * inter, 0.5f, 5);
    t.d_bias = bf16_values(experts * hidden, 0.5f, 6);
    return t;
}

void write_gpt_oss(const fs::path& dir, const gpt_oss_tensors& t, const std::string& model_fields = R"("swiglu_limit": 5.5, "swiglu_alpha": 1.5)") {
    mc::safetensors_writer w;
    w.add_values<std::uint8_t>(prefix + ".gate_up_proj_blocks", mc::st_dtype::U8, {experts, 2 * inter, hidden / 32, 16}, t.gu_blocks);
    w.add_values<std::uint8_t>(prefix + ".gate_up_proj_scales", mc::st_dtype::U8, {experts, 2 * inter, hidden / 32}, t.gu_scales);
    w.add_values<std::uint16_t>(prefix + ".gate_up_proj_bias", mc::st_dtype::BF16, {experts, 2 * inter}, t.gu_bias);
    w.add_values<std::uint8_t>(prefix + ".down_proj_blocks", mc::st_dtype::U8, {experts, hidden, inter / 32, 16}, t.d_blocks);
    w.add_values<std::uint8_t>(prefix + ".down_proj_scales", mc::st_dtype::U8, {experts, hidden, inter / 32}, t.d_scales);
    w.add_values<std::uint16_t>(prefix + ".down_proj_bias", mc::st_dtype::BF16, {experts, hidden}, t.d_bias);
    w.add_values<float>("model.layers.0.mlp.router.weight", mc::st_dtype::F32, {experts, hidden}, std::vector<float>(experts * hidden, 0.5f));
    w.write(dir / "model.safetensors");
    std::ofstream(dir / "config.json") << R"({"model_type": "gpt_oss", )" << model_fields
                                       << R"(, "quantization_config": {"quant_method": "mxfp4", "modules_to_not_convert":
        ["model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"]}})";
}

/// W [N, K] of a quantized weight as the library's linear kernel computes it: rows of I_K times Wᵀ
/// (one exact product per output).
std::vector<float> weight_through_kernel(const ms::quantized_weight& q) {
    const auto layer = ms::create_linear("w_mxfp4", q, ms::dtype::f32);
    std::vector<float> eye(static_cast<std::size_t>(q.cols * q.cols), 0.0f), y(static_cast<std::size_t>(q.cols * q.rows));
    for (std::int64_t i = 0; i < q.cols; ++i) eye[static_cast<std::size_t>(i * q.cols + i)] = 1.0f;
    layer->apply({eye.data(), ms::dtype::f32, q.cols, q.cols}, {y.data(), ms::dtype::f32, q.cols, q.rows});
    return y;  // y[k, n] = W[n, k]
}

}  // namespace

TEST(HfMxfp4, ReadsGptOssExperts) {
    const fs::path dir = scratch("read");
    const auto t = random_gpt_oss();
    write_gpt_oss(dir, t);
    const mc::checkpoint_reader reader(dir);
    EXPECT_EQ(reader.config().convention, "hf-mxfp4");
    ASSERT_EQ(reader.module_names(), std::vector<std::string>{"model.layers.0.mlp.router"});
    EXPECT_FALSE(reader.describe("model.layers.0.mlp.router").quantized);  // the router stays floating point
    ASSERT_EQ(reader.moe_names(), std::vector<std::string>{prefix});
    const auto info = reader.describe_moe(prefix);
    EXPECT_EQ(info.convention, "hf-mxfp4");
    EXPECT_EQ(info.scheme, "w_mxfp4");
    EXPECT_EQ(info.layout, "stacked");
    EXPECT_EQ(std::tuple(info.experts, info.hidden, info.intermediate), std::tuple(experts, hidden, inter));
    EXPECT_EQ(info.bytes_on_disk, t.gu_blocks.size() + t.gu_scales.size() + t.d_blocks.size() + t.d_scales.size() + 2 * t.gu_bias.size() + 2 * t.d_bias.size());

    const auto w = reader.load_moe(prefix);
    EXPECT_EQ(w.activation.kind, ms::moe_activation::swiglu_oai);
    EXPECT_EQ(w.activation.alpha, 1.5f);  // config.json swiglu_alpha / swiglu_limit
    EXPECT_EQ(w.activation.limit, 5.5f);
    ASSERT_EQ(w.w13_bias.size(), t.gu_bias.size());
    for (std::size_t i = 0; i < t.gu_bias.size(); ++i) ASSERT_EQ(w.w13_bias[i], ms::numeric::bf16::decode(t.gu_bias[i]));
    for (std::size_t i = 0; i < t.d_bias.size(); ++i) ASSERT_EQ(w.w2_bias[i], ms::numeric::bf16::decode(t.d_bias[i]));
    // every weight value, through the linear kernel, is transformers' dequantized value (interleaved
    // gate / up rows kept as stored: row n of w13 is checkpoint row n)
    for (std::int64_t e = 0; e < experts; ++e) {
        const auto gu = weight_through_kernel(w.w13[static_cast<std::size_t>(e)]);
        const auto down = weight_through_kernel(w.w2[static_cast<std::size_t>(e)]);
        const std::uint8_t* gb = t.gu_blocks.data() + e * 2 * inter * hidden / 2;
        const std::uint8_t* gs = t.gu_scales.data() + e * 2 * inter * hidden / 32;
        for (std::int64_t n = 0; n < 2 * inter; ++n)
            for (std::int64_t k = 0; k < hidden; ++k)
                ASSERT_EQ(gu[static_cast<std::size_t>(k * 2 * inter + n)], hf_value(gb, gs, hidden, n, k)) << "expert " << e << " [" << n << ", " << k << "]";
        const std::uint8_t* db = t.d_blocks.data() + e * hidden * inter / 2;
        const std::uint8_t* ds = t.d_scales.data() + e * hidden * inter / 32;
        for (std::int64_t n = 0; n < hidden; ++n)
            for (std::int64_t k = 0; k < inter; ++k)
                ASSERT_EQ(down[static_cast<std::size_t>(k * hidden + n)], hf_value(db, ds, inter, n, k)) << "expert " << e << " [" << n << ", " << k << "]";
    }

    // the loaded layer is the MoE kernel of those weights with the swiglu_oai activation, bit for bit
    ms::moe_weights direct;
    direct.format = "mxfp4";
    direct.experts = experts;
    direct.hidden = hidden;
    direct.intermediate = inter;
    for (std::int64_t e = 0; e < experts; ++e) {
        ms::quantized_weight a, b;
        a.format = b.format = "mxfp4";
        a.rows = 2 * inter;
        a.cols = hidden;
        b.rows = hidden;
        b.cols = inter;
        a.codes.assign(t.gu_blocks.begin() + e * 2 * inter * hidden / 2, t.gu_blocks.begin() + (e + 1) * 2 * inter * hidden / 2);
        a.scales.assign(t.gu_scales.begin() + e * 2 * inter * hidden / 32, t.gu_scales.begin() + (e + 1) * 2 * inter * hidden / 32);
        b.codes.assign(t.d_blocks.begin() + e * hidden * inter / 2, t.d_blocks.begin() + (e + 1) * hidden * inter / 2);
        b.scales.assign(t.d_scales.begin() + e * hidden * inter / 32, t.d_scales.begin() + (e + 1) * hidden * inter / 32);
        direct.w13.push_back(a);
        direct.w2.push_back(b);
    }
    direct.w13_bias = w.w13_bias;
    direct.w2_bias = w.w2_bias;
    direct.activation = {ms::moe_activation::swiglu_oai, 1.5f, 5.5f};
    const auto layer = reader.load_moe_layer(prefix, ms::dtype::f32, {});
    const auto want = ms::create_moe("w_mxfp4", direct, ms::dtype::f32, {});
    EXPECT_EQ(layer->kernel_name(), want->kernel_name());
    const std::int64_t tokens = 5, top_k = 2;
    const auto x = ms::detail::normal_values(tokens * hidden, 1.0f, 9);
    const std::vector<std::int32_t> ids = {0, 2, 1, -1, 2, 0, 1, 1, 0, 2};
    const std::vector<float> weights = {0.7f, 0.3f, 1.0f, 0.0f, 0.5f, 0.5f, 0.6f, 0.4f, 0.9f, 0.1f};
    std::vector<float> y(x.size()), yd(x.size());
    layer->apply({x.data(), ms::dtype::f32, tokens, hidden}, ids, weights, top_k, {y.data(), ms::dtype::f32, tokens, hidden});
    want->apply({x.data(), ms::dtype::f32, tokens, hidden}, ids, weights, top_k, {yd.data(), ms::dtype::f32, tokens, hidden});
    EXPECT_EQ(y, yd);
    direct.activation.limit = 7.0f;  // the limit was read, and matters: the default gives other outputs
    ms::create_moe("w_mxfp4", direct, ms::dtype::f32, {})
        ->apply({x.data(), ms::dtype::f32, tokens, hidden}, ids, weights, top_k, {yd.data(), ms::dtype::f32, tokens, hidden});
    EXPECT_NE(y, yd);
}

TEST(HfMxfp4, MalformedTensorsAndConfigsAreNamed) {
    const auto t = random_gpt_oss();
    {
        const fs::path dir = scratch("bad_limit");
        write_gpt_oss(dir, t, R"("swiglu_limit": -1)");
        expect_error<mc::config_error>([&] { (void)mc::checkpoint_reader(dir); }, "field 'swiglu_limit' is -1; expected a finite positive number");
    }
    {
        const fs::path dir = scratch("bad_alpha");
        write_gpt_oss(dir, t, R"("swiglu_alpha": "x")");
        expect_error<mc::config_error>([&] { (void)mc::checkpoint_reader(dir); }, "field 'swiglu_alpha' must be a number, got string");
    }
    auto rewrite = [&](const std::string& name, const std::function<void(mc::safetensors_writer&)>& add) {
        const fs::path dir = scratch(name);
        write_gpt_oss(dir, t);
        const mc::safetensors_file in(dir / "model.safetensors");
        mc::safetensors_writer w;
        for (const auto& ti : in.tensors())
            if (ti.name.find(name) == std::string::npos) w.add_view(ti.name, ti.dtype, ti.shape, in.bytes(ti));
        add(w);
        w.write(dir / "fixed.safetensors");
        fs::remove(dir / "model.safetensors");
        return dir;
    };
    {  // blocks flattened to 3-D: not this convention's form
        const fs::path dir = rewrite("gate_up_proj_blocks", [&](mc::safetensors_writer& w) {
            w.add_values<std::uint8_t>(prefix + ".gate_up_proj_blocks", mc::st_dtype::U8, {experts, 2 * inter, hidden / 2}, t.gu_blocks);
        });
        expect_error<mc::format_error>([&] { (void)mc::checkpoint_reader(dir / "fixed.safetensors").load_moe(prefix); },
                                       "stacked mxfp4 expert weights must be U8 [E, 2I, K/32, 16] and [E, K, I/32, 16], got U8 [3, 64, 32]");
    }
    {  // 8 bytes per block
        const fs::path dir = rewrite("down_proj_blocks", [&](mc::safetensors_writer& w) {
            w.add_values<std::uint8_t>(prefix + ".down_proj_blocks", mc::st_dtype::U8, {experts, hidden, inter / 16, 8}, t.d_blocks);
        });
        expect_error<mc::format_error>([&] { (void)mc::checkpoint_reader(dir / "fixed.safetensors").describe_moe(prefix); }, "[3, 64, 2, 8]");
    }
    {  // scales transposed
        const fs::path dir = rewrite("gate_up_proj_scales", [&](mc::safetensors_writer& w) {
            w.add_values<std::uint8_t>(prefix + ".gate_up_proj_scales", mc::st_dtype::U8, {experts, hidden / 32, 2 * inter}, t.gu_scales);
        });
        expect_error<mc::format_error>([&] { (void)mc::checkpoint_reader(dir / "fixed.safetensors").load_moe(prefix); },
                                       "tensor 'model.layers.0.mlp.experts.gate_up_proj_scales' is U8 [3, 2, 64], expected U8 (e8m0) [3, 64, 2]");
    }
    {  // a bias of the wrong length
        const fs::path dir = rewrite("down_proj_bias", [&](mc::safetensors_writer& w) {
            w.add_values<std::uint16_t>(prefix + ".down_proj_bias", mc::st_dtype::BF16, {experts, inter}, std::vector<std::uint16_t>(experts * inter));
        });
        expect_error<mc::format_error>([&] { (void)mc::checkpoint_reader(dir / "fixed.safetensors").load_moe(prefix); },
                                       "tensor 'model.layers.0.mlp.experts.down_proj_bias' is BF16 [3, 32], expected F32, BF16 or F16 [3, 64]");
    }
}

namespace {

/// A floating-point GptOss layer as transformers stores it: experts [E, K, 2I] / [E, I, K] (bf16),
/// biases, a router and an attention projection (which stay floating point).
struct float_model {
    std::vector<std::uint16_t> gate_up, down, gu_bias, d_bias;
};

float_model write_float_model(const fs::path& dir) {
    float_model m{bf16_values(experts * hidden * 2 * inter, 0.05f, 11), bf16_values(experts * inter * hidden, 0.05f, 12),
                  bf16_values(experts * 2 * inter, 0.1f, 13), bf16_values(experts * hidden, 0.1f, 14)};
    m.gate_up[5] = ms::numeric::bf16::encode(-1e-4f);  // a tiny negative: rounds to -0 (code 8), as triton keeps the sign
    m.gate_up[7] = ms::numeric::bf16::encode(0.0f);
    mc::safetensors_writer w;
    w.add_values<std::uint16_t>(prefix + ".gate_up_proj", mc::st_dtype::BF16, {experts, hidden, 2 * inter}, m.gate_up);
    w.add_values<std::uint16_t>(prefix + ".gate_up_proj_bias", mc::st_dtype::BF16, {experts, 2 * inter}, m.gu_bias);
    w.add_values<std::uint16_t>(prefix + ".down_proj", mc::st_dtype::BF16, {experts, inter, hidden}, m.down);
    w.add_values<std::uint16_t>(prefix + ".down_proj_bias", mc::st_dtype::BF16, {experts, hidden}, m.d_bias);
    w.add_values<std::uint16_t>("model.layers.0.mlp.router.weight", mc::st_dtype::BF16, {experts, hidden}, bf16_values(experts * hidden, 1.0f, 15));
    w.add_values<std::uint16_t>("model.layers.0.self_attn.q_proj.weight", mc::st_dtype::BF16, {64, hidden}, bf16_values(64 * hidden, 1.0f, 16));
    w.write(dir / "model.safetensors");
    std::ofstream(dir / "config.json") << R"({"model_type": "gpt_oss", "num_local_experts": 3, "swiglu_limit": 7.0})";
    return m;
}

/// triton_kernels' downcast_to_mxfp_torch for one block of 32 values (fp32): the scale byte and the
/// e2m1 codes (round to nearest even on the magnitude, saturating at 6, the sign kept).
std::uint8_t triton_block(const float* x, std::uint8_t* codes) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
    const std::uint32_t ds = std::bit_cast<std::uint32_t>(amax / 6.0f);
    const std::uint32_t rounded = (ds + 0x007FFFFFu) & 0x7F800000u;
    const float quant_scale = rounded == 0 ? 0.0f : 1.0f / std::bit_cast<float>(rounded);
    static constexpr float grid[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    for (int i = 0; i < 32; ++i) {
        const float q = std::fabs(x[i] * quant_scale);
        int best = 7;
        if (q < 6.0f)
            for (int c = 0; c < 7; ++c)
                if (q <= (grid[c] + grid[c + 1]) / 2) {  // a tie goes to the even code (mantissa bit 0)
                    best = q == (grid[c] + grid[c + 1]) / 2 && c % 2 == 1 ? c + 1 : c;
                    break;
                }
        codes[i] = static_cast<std::uint8_t>(best | (std::signbit(x[i]) ? 8 : 0));
    }
    return static_cast<std::uint8_t>(rounded >> 23);
}

}  // namespace

TEST(HfMxfp4, ExportsTransformersQuantizerBytes) {
    const fs::path dir = scratch("export");
    const auto m = write_float_model(dir);
    const mc::safetensors_file in(dir / "model.safetensors");
    mc::export_options o;
    o.scheme = "w_mxfp4";
    o.convention = "hf-mxfp4";
    const auto report = mc::export_checkpoint(in, dir / "out", o);
    EXPECT_EQ(report.quantized, (std::vector<std::string>{prefix + ".gate_up_proj", prefix + ".down_proj"}));
    const mc::safetensors_file out(dir / "out" / "model.safetensors");
    // attention and router copied as they are; biases too (their names are transformers' in both forms)
    EXPECT_EQ(out.at("model.layers.0.self_attn.q_proj.weight").dtype, mc::st_dtype::BF16);
    EXPECT_EQ(out.find("model.layers.0.self_attn.q_proj.weight_scale"), nullptr);
    EXPECT_EQ(microscale::test::tensor_bytes(out, prefix + ".down_proj_bias"), microscale::test::tensor_bytes(in, prefix + ".down_proj_bias"));
    EXPECT_EQ(out.find(prefix + ".gate_up_proj"), nullptr);
    const auto config = read_json(dir / "out" / "config.json");
    EXPECT_EQ(config["model_type"], "gpt_oss");
    EXPECT_EQ(config["quantization_config"], nlohmann::json::parse(R"({"quant_method": "mxfp4", "modules_to_not_convert":
        ["model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"]})"));

    struct part {
        std::string name;
        const std::vector<std::uint16_t>* source;
        std::int64_t k, n;  // source [E, K, N]
    };
    std::size_t negative_zeros = 0;
    for (const part& p : {part{"gate_up_proj", &m.gate_up, hidden, 2 * inter}, part{"down_proj", &m.down, inter, hidden}}) {
        const auto& blocks = out.at(prefix + "." + p.name + "_blocks");
        const auto& scales = out.at(prefix + "." + p.name + "_scales");
        EXPECT_EQ(blocks.shape, (std::vector<std::int64_t>{experts, p.n, p.k / 32, 16}));
        EXPECT_EQ(scales.shape, (std::vector<std::int64_t>{experts, p.n, p.k / 32}));
        EXPECT_EQ(scales.dtype, mc::st_dtype::U8);
        const auto got_blocks = microscale::test::tensor_bytes(out, blocks.name), got_scales = microscale::test::tensor_bytes(out, scales.name);
        for (std::int64_t e = 0; e < experts; ++e)
            for (std::int64_t n = 0; n < p.n; ++n)
                for (std::int64_t g = 0; g < p.k / 32; ++g) {
                    float x[32];
                    for (int i = 0; i < 32; ++i) x[i] = ms::numeric::bf16::decode((*p.source)[static_cast<std::size_t>((e * p.k + g * 32 + i) * p.n + n)]);
                    std::uint8_t codes[32];
                    const std::uint8_t s = triton_block(x, codes);
                    const std::size_t row = static_cast<std::size_t>(e * p.n + n);
                    ASSERT_EQ(got_scales[row * static_cast<std::size_t>(p.k / 32) + static_cast<std::size_t>(g)], s) << p.name << " " << e << " " << n << " " << g;
                    for (int j = 0; j < 16; ++j) {
                        const std::uint8_t want = static_cast<std::uint8_t>(codes[2 * j] | (codes[2 * j + 1] << 4));
                        ASSERT_EQ(got_blocks[row * static_cast<std::size_t>(p.k / 2) + static_cast<std::size_t>(g * 16 + j)], want)
                            << p.name << " expert " << e << " row " << n << " block " << g << " byte " << j;
                        negative_zeros += (codes[2 * j] == 8) + (codes[2 * j + 1] == 8);
                    }
                }
    }
    EXPECT_GT(negative_zeros, 0u);

    // and it reads back as the experts it was made from
    const mc::checkpoint_reader reader(dir / "out");
    const auto info = reader.describe_moe(prefix);
    EXPECT_EQ(std::tuple(info.convention, info.scheme, info.experts, info.hidden, info.intermediate),
              std::tuple(std::string("hf-mxfp4"), std::string("w_mxfp4"), experts, hidden, inter));
    EXPECT_EQ(reader.load_moe(prefix).activation.limit, 7.0f);

    // experts left in floating point are named in modules_to_not_convert; W4A4 cannot be written
    o.exclude = {prefix};
    const auto kept = mc::export_checkpoint(in, dir / "out_float", o);
    EXPECT_EQ(kept.excluded, std::vector<std::string>{prefix});
    EXPECT_TRUE(kept.quantized.empty());
    EXPECT_EQ(read_json(dir / "out_float" / "config.json")["quantization_config"]["modules_to_not_convert"].back(), prefix);
    EXPECT_EQ(mc::safetensors_file(dir / "out_float" / "model.safetensors").at(prefix + ".gate_up_proj").dtype, mc::st_dtype::BF16);
    o.exclude.clear();
    o.scheme = "w_mxfp4_a_mxfp4";
    expect_error<std::invalid_argument>([&] { (void)mc::export_checkpoint(in, dir / "out_w4a4", o); },
                                        "scheme w_mxfp4_a_mxfp4 cannot be written as hf-mxfp4, which stores weight-only schemes");
    o.scheme = "w_nvfp4";
    expect_error<std::invalid_argument>([&] { (void)mc::export_checkpoint(in, dir / "out_nv", o); }, "cannot be written as hf-mxfp4");
}
