// Regression tests of bad checkpoints and exports that once crashed, read out of bounds, ran the
// wrong model or left a folder half-written (issue "Reliability hardening"). Each test builds the
// bad input by hand and checks the error names the problem — or, for exports, that the folder on
// disk is exactly what it was, or exactly the new checkpoint.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "microscale/checkpoint/export.hpp"
#include "microscale/checkpoint/loader.hpp"
#include "support/scratch.hpp"

namespace ms = microscale;
namespace mc = microscale::checkpoint;
namespace fs = std::filesystem;

namespace {

using microscale::test::scratch;

using microscale::test::expect_error;
using microscale::test::normal_values;

/// Every regular file under `dir` with its bytes (names relative to dir).
std::map<std::string, std::string> snapshot(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file()) continue;
        std::ifstream in(e.path(), std::ios::binary);
        std::stringstream bytes;
        bytes << in.rdbuf();
        out[fs::relative(e.path(), dir).string()] = bytes.str();
    }
    return out;
}

/// Names in `parent` that start with "." and hold "microscale-": staging folders left behind.
std::vector<std::string> leftovers(const fs::path& parent) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(parent)) {
        const std::string name = e.path().filename().string();
        if (name.starts_with(".") && name.find("microscale-") != std::string::npos) out.push_back(name);
    }
    return out;
}

/// A bf16-free fp32 model: `layers` MLPs with gate/up/down (fused gate_up), plus a 1-D norm.
fs::path write_model(const fs::path& dir, int layers, std::uint32_t seed, bool nan_in_last = false) {
    mc::safetensors_writer w;
    for (int l = 0; l < layers; ++l) {
        const std::string p = "model.layers." + std::to_string(l) + ".mlp.";
        for (const char* name : {"gate_proj", "up_proj"}) {
            auto v = normal_values(64 * 128, 0.02f, seed++);
            if (nan_in_last && l == layers - 1) v[5] = std::numeric_limits<float>::quiet_NaN();
            w.add_values<float>(p + name + ".weight", mc::st_dtype::F32, {64, 128}, v);
        }
        w.add_values<float>(p + "down_proj.weight", mc::st_dtype::F32, {128, 64}, normal_values(128 * 64, 0.02f, seed++));
    }
    w.add_values<float>("model.norm.weight", mc::st_dtype::F32, {128}, std::vector<float>(128, 1.0f));
    const fs::path file = dir / "bf16.safetensors";
    w.write(file);
    return file;
}

void write_modelopt_config(const fs::path& dir) {
    std::ofstream(dir / "hf_quant_config.json")
        << R"({"quantization": {"quant_algo": "W4A16_NVFP4", "group_size": 16, "kv_cache_quant_algo": null, "exclude_modules": []}})";
}

}  // namespace

// ---- weights that are not 2-D ---------------------------------------------------------------------

TEST(Hardening, WeightsThatAreNot2DAreNamedNotReadOutOfBounds) {
    const fs::path dir = scratch("ranks");
    mc::safetensors_writer w;
    w.add_values<float>("scalar.weight", mc::st_dtype::F32, {}, std::vector<float>{1.0f});
    w.add_values<float>("norm.weight", mc::st_dtype::F32, {64}, std::vector<float>(64, 1.0f));
    w.add_values<std::uint8_t>("packed1d.weight", mc::st_dtype::U8, {32}, std::vector<std::uint8_t>(32));
    w.add_values<std::uint8_t>("packed0d.weight", mc::st_dtype::U8, {}, std::vector<std::uint8_t>(1));
    w.add_values<float>("dense.weight", mc::st_dtype::F32, {4, 32}, std::vector<float>(128, 0.5f));
    w.write(dir / "model.safetensors");
    write_modelopt_config(dir);
    const mc::checkpoint_reader reader(dir);
    // 1-D floating tensors are not linear layers; quantized modules of any rank are listed, so that
    // a malformed one is reported rather than dropped
    auto names = reader.module_names();
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"dense", "packed0d", "packed1d"}));
    expect_error<mc::format_error>([&] { (void)reader.describe("scalar"); }, "tensor 'scalar.weight' is F32 []; a linear module's weight is 2-D");
    expect_error<mc::format_error>([&] { (void)reader.load_linear("norm"); }, "tensor 'norm.weight' is F32 [64]; a linear module's weight is 2-D");
    expect_error<mc::format_error>([&] { (void)reader.describe("packed1d"); }, "packed1d: tensor 'packed1d.weight' is U8 [32]");
    expect_error<mc::format_error>([&] { (void)reader.describe("packed0d"); }, "[N, K packed]");
    EXPECT_EQ(reader.describe("dense").n, 4);
}

// Found by the CLI property test under AddressSanitizer: a compressed-tensors module whose
// .weight_packed is floating point was taken for an unquantized layer, and load_float then
// dereferenced the missing .weight.
TEST(Hardening, FloatingPointPackedCodesAreAnError) {
    const fs::path dir = scratch("float_packed");
    mc::safetensors_writer w;
    w.add_values<float>("l.weight_packed", mc::st_dtype::F32, {8, 16}, std::vector<float>(128, 0.5f));
    w.add_values<std::uint8_t>("l.weight_scale", mc::st_dtype::F8_E4M3, {8, 2}, std::vector<std::uint8_t>(16, 0x38));
    w.add_values<float>("l.weight_global_scale", mc::st_dtype::F32, {1}, std::vector<float>{1.0f});
    w.write(dir / "model.safetensors");
    std::ofstream(dir / "config.json") << R"({"quantization_config": {"quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized",
        "config_groups": {"g": {"targets": ["Linear"], "weights": {"num_bits": 4, "type": "float", "strategy": "tensor_group", "group_size": 16}}},
        "ignore": []}})";
    const mc::checkpoint_reader reader(dir);
    expect_error<mc::format_error>([&] { (void)reader.describe("l"); }, "tensor 'l.weight_packed' is F32 [8, 16]; packed codes are U8");
    expect_error<mc::format_error>([&] { (void)reader.load_linear("l"); }, "packed codes are U8");
}

// ---- block scales and shard indexes ---------------------------------------------------------------

TEST(Hardening, NegativeE4m3BlockScaleIsRejected) {
    const fs::path dir = scratch("negative_scale");
    auto q = ms::format::quantize_weight<ms::format::nvfp4>(normal_values(8 * 32, 0.02f, 1), 8, 32);
    q.scales[3] = 0xB8;  // -1.0 in e4m3: ModelOpt's amax / 6 is never negative
    mc::safetensors_writer w;
    w.add_values<std::uint8_t>("l.weight", mc::st_dtype::U8, {8, 16}, q.codes);
    w.add_values<std::uint8_t>("l.weight_scale", mc::st_dtype::F8_E4M3, {8, 2}, q.scales);
    w.add_values<float>("l.weight_scale_2", mc::st_dtype::F32, {}, std::vector<float>{q.global_scale});
    w.write(dir / "model.safetensors");
    write_modelopt_config(dir);
    const mc::checkpoint_reader reader(dir);
    expect_error<std::invalid_argument>([&] { (void)reader.load_linear("l"); }, "scale byte 3 (0xB8) is a negative e4m3 block scale");
}

TEST(Hardening, IndexThatMapsATensorToTheWrongShardIsAnError) {
    const fs::path dir = scratch("index");
    mc::safetensors_writer a, b;
    a.add_values<float>("x.weight", mc::st_dtype::F32, {2, 16}, std::vector<float>(32, 1.0f));
    b.add_values<float>("y.weight", mc::st_dtype::F32, {2, 16}, std::vector<float>(32, 2.0f));
    a.write(dir / "model-00001-of-00002.safetensors");
    b.write(dir / "model-00002-of-00002.safetensors");
    std::ofstream(dir / "model.safetensors.index.json")
        << R"({"weight_map": {"x.weight": "model-00002-of-00002.safetensors", "y.weight": "model-00001-of-00002.safetensors"}})";
    expect_error<mc::format_error>([&] { mc::tensor_store store(dir); }, "safetensors, which does not hold it (");
}

// ---- exports: all or nothing ----------------------------------------------------------------------

TEST(Hardening, ReexportReplacesAnOldShardedCheckpointWhole) {
    const fs::path dir = scratch("reexport");
    const mc::safetensors_file in(write_model(dir, 3, 1));
    const fs::path out = dir / "out";
    mc::export_options o;
    o.scheme = "w_nvfp4";
    o.max_shard_bytes = 8000;  // several shards and an index
    const auto first = mc::export_checkpoint(in, out, o);
    ASSERT_TRUE(fs::exists(out / "model.safetensors.index.json"));
    std::ofstream(out / "tokenizer.json") << "{}";  // a file of the user's, beside the checkpoint

    // an existing checkpoint is refused, and left as it was
    const auto before = snapshot(out);
    o.max_shard_bytes = 5'000'000'000ull;
    expect_error<std::invalid_argument>([&] { (void)mc::export_checkpoint(in, out, o); },
                                        "already holds a checkpoint (hf_quant_config.json, model-00001-of-0000");
    EXPECT_EQ(snapshot(out), before);

    // with overwrite, the single-file export replaces the index and every old shard
    o.overwrite = true;
    o.scheme = "w_nvfp4_a_nvfp4";
    const auto second = mc::export_checkpoint(in, out, o);
    EXPECT_EQ(second.files, (std::vector<std::string>{"model.safetensors", "hf_quant_config.json"}));
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(out)) files.push_back(e.path().filename().string());
    std::sort(files.begin(), files.end());
    EXPECT_EQ(files, (std::vector<std::string>{"hf_quant_config.json", "model.safetensors", "tokenizer.json"}));
    const mc::checkpoint_reader reader(out);
    EXPECT_EQ(reader.tensors().shard_count(), 1u);
    EXPECT_EQ(reader.describe("model.layers.0.mlp.down_proj").scheme, "w_nvfp4_a_nvfp4");  // the new model, not the old one
    EXPECT_TRUE(leftovers(dir).empty());
}

TEST(Hardening, FailedExportLeavesTheFolderAsItWas) {
    const fs::path dir = scratch("failed");
    const fs::path out = dir / "out";
    mc::export_options o;
    o.scheme = "w_mxfp4";
    o.max_shard_bytes = 8000;
    {
        const mc::safetensors_file good(write_model(dir, 3, 1));
        (void)mc::export_checkpoint(good, out, o);
    }
    const auto before = snapshot(out);
    fs::create_directories(dir / "bad");
    const mc::safetensors_file bad(write_model(dir / "bad", 3, 50, /*nan_in_last=*/true));
    o.overwrite = true;
    o.scheme = "w_mxfp6_e2m3";
    expect_error<std::invalid_argument>([&] { (void)mc::export_checkpoint(bad, out, o); }, "NaN");
    EXPECT_EQ(snapshot(out), before);  // no mix of new and old shards
    EXPECT_TRUE(leftovers(dir).empty());
    // and an export into a new folder that fails leaves no folder at all
    expect_error<std::invalid_argument>([&] { (void)mc::export_checkpoint(bad, dir / "fresh", o); }, "NaN");
    EXPECT_FALSE(fs::exists(dir / "fresh"));
    EXPECT_TRUE(leftovers(dir).empty());
}

TEST(Hardening, ExportNeverReplacesItsOwnInput) {
    const fs::path dir = scratch("self");
    mc::safetensors_writer w;
    w.add_values<float>("l.weight", mc::st_dtype::F32, {4, 32}, normal_values(128, 0.02f, 3));
    w.write(dir / "model.safetensors");
    const auto before = snapshot(dir);
    const mc::safetensors_file in(dir / "model.safetensors");
    mc::export_options o;
    o.scheme = "w_nvfp4";
    o.overwrite = true;  // not even then
    expect_error<std::invalid_argument>([&] { (void)mc::export_checkpoint(in, dir, o); }, "which is its input");
    expect_error<std::invalid_argument>([&] { (void)mc::export_checkpoint(in, dir / "." / "", o); }, "which is its input");
    EXPECT_EQ(snapshot(dir), before);
    // an output path that is a file is refused
    expect_error<std::invalid_argument>([&] { (void)mc::export_checkpoint(in, dir / "model.safetensors", o); }, "exists and is not a folder");
}

TEST(Hardening, ExcludingOneShardOfAFusedGroupExcludesTheGroup) {
    const fs::path dir = scratch("fused_exclude");
    const mc::safetensors_file in(write_model(dir, 2, 7));
    mc::export_options o;
    o.scheme = "w_mxfp4";
    o.exclude = {"model.layers.1.mlp.gate_proj", "nothing.matches.this", "model.layers.0"};
    const auto report = mc::export_checkpoint(in, dir / "out", o);
    // model.layers.0 is a dotted prefix: every module under it; gate_proj of layer 1 takes up_proj along
    auto excluded = report.excluded;
    std::sort(excluded.begin(), excluded.end());
    EXPECT_EQ(excluded, (std::vector<std::string>{"model.layers.0.mlp.down_proj", "model.layers.0.mlp.gate_proj", "model.layers.0.mlp.up_proj",
                                                  "model.layers.1.mlp.gate_proj", "model.layers.1.mlp.up_proj"}));
    EXPECT_EQ(report.quantized, std::vector<std::string>{"model.layers.1.mlp.down_proj"});
    ASSERT_EQ(report.warnings.size(), 1u);
    EXPECT_NE(report.warnings[0].find("exclude pattern 'nothing.matches.this' matches no module"), std::string::npos) << report.warnings[0];
    bool noted = false;
    for (const auto& n : report.notes) noted = noted || n.find("model.layers.1.mlp.up_proj is left in floating point too") != std::string::npos;
    EXPECT_TRUE(noted);
    // the fused layer the engines build is then one floating-point layer
    const mc::checkpoint_reader reader(dir / "out");
    const auto info = reader.describe("model.layers.1.mlp.gate_up_proj");
    EXPECT_FALSE(info.quantized);
    EXPECT_EQ(info.n, 128);
}

// ---- error messages ---------------------------------------------------------------------------------

TEST(Hardening, WriteErrorsNameTheUsersPath) {
    const fs::path dir = scratch("write_errors");
    mc::safetensors_writer w;
    w.add_values<float>("x", mc::st_dtype::F32, {1}, std::vector<float>{1.0f});
    const fs::path target = dir / "missing-folder" / "y.safetensors";
    try {
        w.write(target);
        ADD_FAILURE() << "wrote into a missing folder";
    } catch (const mc::format_error& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.rfind(target.string() + ": cannot create", 0), 0u) << what;
        EXPECT_EQ(what.find(".tmp"), std::string::npos) << what;
    }
    fs::create_directories(dir / "a-folder.safetensors");
    expect_error<mc::format_error>([&] { w.write(dir / "a-folder.safetensors"); }, (dir / "a-folder.safetensors").string() + ": cannot write");
}

TEST(Hardening, HugeRegexPatternIsNotEchoedWhole) {
    const std::string pattern(100'000, '(');
    const std::string text = R"({"quantization_config": {"quant_method": "compressed-tensors", "format": "nvfp4-pack-quantized",
        "config_groups": {"g": {"targets": ["Linear"], "weights": {"num_bits": 4, "type": "float", "strategy": "tensor_group", "group_size": 16}}},
        "ignore": ["re:)" + pattern +
                             R"("]}})";
    try {
        (void)mc::parse_quant_config_text(text, "config.json");
        ADD_FAILURE() << "accepted";
    } catch (const mc::config_error& e) {
        const std::string what = e.what();
        EXPECT_LT(what.size(), 400u) << what.substr(0, 400);
        EXPECT_NE(what.find("(100000 characters)"), std::string::npos) << what.substr(0, 400);
    }
}

// ---- MoE findings of the MoE-loader fuzzer ---------------------------------------------------------

namespace {
void write_quark_config(const fs::path& dir) {
    std::ofstream(dir / "config.json") << R"({"quantization_config": {"quant_method": "quark", "exclude": [],
        "global_quant_config": {"weight": {"dtype": "fp4", "qscheme": "per_group", "group_size": 32, "scale_format": "e8m0"}, "input_tensors": null}}})";
}
}  // namespace

TEST(Hardening, EmptyStackedExpertsAreAnErrorNotA1e8Loop) {
    // 684 bytes once made load_moe loop over 10^8 experts of zero rows
    const fs::path dir = scratch("moe_empty");
    mc::safetensors_writer w;
    w.add_values<std::uint8_t>("x.w13_weight", mc::st_dtype::U8, {100'000'000, 0, 16}, std::vector<std::uint8_t>{});
    w.add_values<std::uint8_t>("x.w13_weight_scale", mc::st_dtype::U8, {100'000'000, 0, 1}, std::vector<std::uint8_t>{});
    w.add_values<std::uint8_t>("x.w2_weight", mc::st_dtype::U8, {100'000'000, 32, 0}, std::vector<std::uint8_t>{});
    w.add_values<std::uint8_t>("x.w2_weight_scale", mc::st_dtype::U8, {100'000'000, 32, 0}, std::vector<std::uint8_t>{});
    w.write(dir / "model.safetensors");
    write_quark_config(dir);
    const mc::checkpoint_reader reader(dir);
    expect_error<mc::format_error>([&] { (void)reader.load_moe("x"); }, "x: stacked experts [100000000, 0, 16] are empty");
}

TEST(Hardening, PerExpertLayerWithAMissingGateIsAnError) {
    // expert 1's gate_proj missing: the layer once loaded with E = 1 and dropped expert 1 silently
    const fs::path dir = scratch("moe_gap");
    mc::safetensors_writer w;
    for (int e = 0; e < 2; ++e)
        for (const char* part : {"gate_proj", "up_proj", "down_proj"}) {
            if (e == 1 && std::string(part) == "gate_proj") continue;
            const bool down = std::string(part) == "down_proj";
            const std::int64_t n = down ? 64 : 32, k = down ? 32 : 64;
            const std::string p = "moe." + std::to_string(e) + "." + part;
            w.add_values<std::uint8_t>(p + ".weight", mc::st_dtype::U8, {n, k / 2},
                                       std::vector<std::uint8_t>(static_cast<std::size_t>(n * k / 2), 0x21));
            w.add_values<std::uint8_t>(p + ".weight_scale", mc::st_dtype::U8, {n, k / 32},
                                       std::vector<std::uint8_t>(static_cast<std::size_t>(n * k / 32), 127));
        }
    w.add_values<std::uint8_t>("other.0.gate_proj.weight_scale", mc::st_dtype::U8, {1, 1}, std::vector<std::uint8_t>{127});
    w.write(dir / "model.safetensors");
    write_quark_config(dir);
    const mc::checkpoint_reader reader(dir);
    // a lone scale tensor named like an expert's is not an MoE layer
    EXPECT_EQ(reader.moe_names(), std::vector<std::string>{"moe"});
    expect_error<mc::format_error>([&] { (void)reader.describe_moe("moe"); }, "belongs to expert 1, but expert 1 has no gate_proj");
}

TEST(Hardening, OverflowingHiddenActivationIsNamedAsSuch) {
    // e8m0 scales of 2^127: finite x, but the gate / up products overflow fp32; the error once named
    // "x[0, 0] is NaN" of an inner kernel the caller never called
    ms::moe_weights w;
    w.format = "mxfp4";
    w.experts = 1;
    w.hidden = 64;
    w.intermediate = 32;
    w.name = "moe";
    auto big = ms::format::quantize_weight<ms::format::mxfp4>(std::vector<float>(64 * 64, 1.0f), 64, 64);
    std::fill(big.scales.begin(), big.scales.end(), std::uint8_t{254});
    w.w13.push_back(big);
    w.w2.push_back(ms::format::quantize_weight<ms::format::mxfp4>(std::vector<float>(64 * 32, 1.0f), 64, 32));
    for (const char* backend : {"emulation", "simd"}) {
        ms::selection_options so;
        so.forced_backend = backend;
        const auto layer = ms::create_moe("w_mxfp4", w, ms::dtype::f32, so);
        const std::vector<float> x(64, 1.0f);
        std::vector<float> y(64);
        const std::vector<std::int32_t> ids{0};
        const std::vector<float> weights{1.0f};
        expect_error<std::invalid_argument>(
            [&] {
                layer->apply({x.data(), ms::dtype::f32, 1, 64}, ids, weights, 1, {y.data(), ms::dtype::f32, 1, 64});
            },
            "moe.w_mxfp4.stored." + std::string(backend) + ": expert 0: the hidden activation silu(g)·u of token 0 is not finite");
    }
}

// Found loading an export in transformers: the token embedding table (2-D, `.weight`) was quantized,
// which no producer does and no loader expects (an Embedding is a lookup, not a Linear).
TEST(Hardening, EmbeddingTablesAreNotQuantized) {
    const fs::path dir = scratch("embeddings");
    mc::safetensors_writer w;
    for (const char* name : {"model.embed_tokens.weight", "transformer.wte.weight", "transformer.wpe.weight", "model.layers.0.mlp.up_proj.weight"})
        w.add_values<float>(name, mc::st_dtype::F32, {64, 32}, normal_values(64 * 32, 0.02f, 3));
    w.write(dir / "model.safetensors");
    const mc::safetensors_file in(dir / "model.safetensors");
    mc::export_options o;
    o.scheme = "w_nvfp4";
    const auto report = mc::export_checkpoint(in, dir / "out", o);
    EXPECT_EQ(report.quantized, (std::vector<std::string>{"model.layers.0.mlp.up_proj"}));
    for (const char* name : {"model.embed_tokens.weight", "transformer.wte.weight", "transformer.wpe.weight"})
        EXPECT_NE(std::find(report.copied.begin(), report.copied.end(), name), report.copied.end()) << name;
    const mc::safetensors_file out(dir / "out" / "model.safetensors");
    EXPECT_EQ(out.at("model.embed_tokens.weight").dtype, mc::st_dtype::F32);
    EXPECT_EQ(out.find("model.embed_tokens.weight_scale"), nullptr);
}
