// The compressed-tensors convention writes llm-compressor's bytes and reads its checkpoints.
// tests/golden/llm_compressor holds layer 0 (q/k/v, gate/up/down) of a tiny bf16 Llama with tied
// embeddings, and what llm-compressor 0.14.0.1 (compressed-tensors 0.19.0) made of it, data-free on
// CPU: `oneshot(QuantizationModifier(targets="Linear", scheme=NVFP4A16 | MXFP4A16, ignore=["lm_head"]))`
// then `save_pretrained(save_compressed=True)` (see its README.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "microscale/checkpoint/export.hpp"
#include "microscale/checkpoint/loader.hpp"
#include "support/scratch.hpp"

namespace mc = microscale::checkpoint;
namespace fs = std::filesystem;

namespace {

fs::path golden(const std::string& file) { return fs::path(MICROSCALE_LLM_COMPRESSOR_DIR) / file; }

using microscale::test::read_json;

/// The source model folder: layer 0's bf16 weights and the model's config.json.
fs::path source_folder() {
    const fs::path dir = microscale::test::scratch_dir("llm_compressor", "source");
    fs::copy_file(golden("source.safetensors"), dir / "model.safetensors");
    fs::copy_file(golden("source_config.json"), dir / "config.json");
    return dir;
}

/// Exports the source as `scheme` in compressed-tensors; expects every tensor of `reference` byte for byte.
void expect_producer_bytes(const std::string& scheme, const std::string& reference) {
    const fs::path src = source_folder();
    const fs::path out = microscale::test::scratch_dir("llm_compressor", scheme);
    mc::export_options o;
    o.scheme = scheme;
    o.convention = "compressed-tensors";
    o.overwrite = true;
    const mc::safetensors_file in(src / "model.safetensors");
    const auto report = mc::export_checkpoint(in, out, o);
    EXPECT_EQ(report.quantized.size(), 6u);
    const mc::safetensors_file ours(out / "model.safetensors"), theirs(golden(reference + ".safetensors"));
    std::size_t compared = 0;
    for (const auto& t : theirs.tensors()) {
        SCOPED_TRACE(t.name);
        const mc::tensor_info* mine = ours.find(t.name);
        ASSERT_NE(mine, nullptr);
        EXPECT_EQ(mine->dtype, t.dtype);
        EXPECT_EQ(mine->shape, t.shape);
        const auto a = ours.bytes(*mine), b = theirs.bytes(t);
        ASSERT_EQ(a.size(), b.size());
        std::size_t differing = 0;
        for (std::size_t i = 0; i < a.size(); ++i) differing += a[i] != b[i];
        EXPECT_EQ(differing, 0u) << "of " << a.size() << " bytes";
        ++compared;
    }
    EXPECT_EQ(compared, theirs.tensors().size());
    // the config: llm-compressor's quantization_config (plus our producer) inside the model's config
    nlohmann::json config = read_json(out / "config.json");
    const nlohmann::json model = read_json(golden("source_config.json"));
    for (const auto& [key, value] : model.items()) EXPECT_EQ(config[key], value) << key;
    nlohmann::json q = config["quantization_config"];
    q.erase("producer");
    EXPECT_EQ(q, read_json(golden(reference + "_quantization_config.json")));
}

}  // namespace

TEST(LlmCompressor, Nvfp4a16ExportIsItsBytes) { expect_producer_bytes("w_nvfp4", "nvfp4a16"); }

TEST(LlmCompressor, Mxfp4a16ExportIsItsBytes) { expect_producer_bytes("w_mxfp4", "mxfp4a16"); }

// llm-compressor's own checkpoints load: tensors as stored, G = 1 / weight_global_scale.
TEST(LlmCompressor, ItsCheckpointsLoad) {
    for (const std::string reference : {"nvfp4a16", "mxfp4a16"}) {
        SCOPED_TRACE(reference);
        const fs::path dir = microscale::test::scratch_dir("llm_compressor", "load-" + reference);
        fs::copy_file(golden(reference + ".safetensors"), dir / "model.safetensors");
        std::ofstream(dir / "config.json")
            << nlohmann::json{{"quantization_config", read_json(golden(reference + "_quantization_config.json"))}}.dump();
        const mc::checkpoint_reader reader(dir);
        const mc::safetensors_file file(dir / "model.safetensors");
        const std::string m = "model.layers.0.mlp.down_proj";
        const auto info = reader.describe(m);
        EXPECT_TRUE(info.quantized);
        EXPECT_EQ(info.convention, "compressed-tensors");
        EXPECT_EQ(info.scheme, reference == "nvfp4a16" ? "w_nvfp4" : "w_mxfp4");
        EXPECT_EQ(info.n, 128);
        EXPECT_EQ(info.k, 256);
        const auto q = reader.load_quantized(m);
        const auto codes = file.bytes(file.at(m + ".weight_packed")), scales = file.bytes(file.at(m + ".weight_scale"));
        EXPECT_TRUE(std::equal(q.codes.begin(), q.codes.end(), reinterpret_cast<const std::uint8_t*>(codes.data())));
        EXPECT_TRUE(std::equal(q.scales.begin(), q.scales.end(), reinterpret_cast<const std::uint8_t*>(scales.data())));
        if (reference == "nvfp4a16")
            EXPECT_EQ(q.global_scale, 1.0f / mc::read_scalar(file, file.at(m + ".weight_global_scale")));
        else
            EXPECT_EQ(q.global_scale, 1.0f);
        EXPECT_NO_THROW((void)reader.load_linear("model.layers.0.self_attn.qkv_proj"));
    }
}
