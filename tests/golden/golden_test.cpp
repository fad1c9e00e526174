// Bit-exactness against the reference libraries themselves: tests/golden/data holds vectors that
// NVIDIA ModelOpt, vLLM's reference emulation, torchao and AMD Quark computed (see README.md
// beside this file for the exact calls and versions).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "microscale/checkpoint/safetensors.hpp"
#include "microscale/format/quantizer.hpp"
#include "support/scratch.hpp"

namespace ms = microscale;
namespace mc = microscale::checkpoint;
namespace mf = microscale::format;

namespace {

std::string golden(const std::string& file) { return std::string(MICROSCALE_GOLDEN_DIR) + "/" + file; }

using microscale::test::tensor_bytes;

std::vector<std::string> cases_with(const mc::safetensors_file& f, const std::string& suffix) {
    std::vector<std::string> out;
    for (const auto& t : f.tensors())
        if (t.name.size() > suffix.size() && t.name.compare(t.name.size() - suffix.size(), suffix.size(), suffix) == 0)
            out.push_back(t.name.substr(0, t.name.size() - suffix.size()));
    return out;
}

/// Calls check(c, input, values) for each case c of `f` (each tensor named c + suffix) with that
/// input tensor and its values as fp32, under a SCOPED_TRACE of c; returns how many cases there were.
template <class Check>
std::size_t for_each_case(const mc::safetensors_file& f, const std::string& suffix, Check&& check) {
    const auto cases = cases_with(f, suffix);
    for (const auto& c : cases) {
        SCOPED_TRACE(c);
        const auto& input = f.at(c + suffix);
        check(c, input, mc::read_floats(f, input));
    }
    return cases.size();
}

ms::dtype activation_dtype(mc::st_dtype t) {
    return t == mc::st_dtype::BF16 ? ms::dtype::bf16 : t == mc::st_dtype::F16 ? ms::dtype::f16 : ms::dtype::f32;
}

}  // namespace

TEST(Golden, ModelOptNvfp4WeightsByteForByte) {
    const mc::safetensors_file f(golden("nvfp4_weight_modelopt.safetensors"));
    const std::size_t cases = for_each_case(f, ".w", [&](const std::string& c, const mc::tensor_info& wt, const std::vector<float>& w) {
        const auto q = mf::quantize_weight<mf::nvfp4>(w, wt.shape[0], wt.shape[1], {mf::mx_scale_rule::even, c, std::nullopt});
        EXPECT_EQ(q.codes, tensor_bytes(f, c + ".weight"));
        EXPECT_EQ(q.scales, tensor_bytes(f, c + ".weight_scale"));
        const float ws2 = mc::read_scalar(f, f.at(c + ".weight_scale_2"));
        EXPECT_EQ(std::bit_cast<std::uint32_t>(q.global_scale), std::bit_cast<std::uint32_t>(ws2));
    });
    EXPECT_EQ(cases, 4u);
}

TEST(Golden, VllmNvfp4ActivationQuantDequant) {
    const mc::safetensors_file f(golden("nvfp4_act_vllm.safetensors"));
    const std::size_t cases = for_each_case(f, ".x", [&](const std::string& c, const mc::tensor_info& xt, const std::vector<float>& x) {
        const auto x_dq = mc::read_floats(f, f.at(c + ".x_dq"));
        const auto golden_codes = tensor_bytes(f, c + ".codes");
        const auto golden_scales = tensor_bytes(f, c + ".scale");
        const float input_scale = mc::read_scalar(f, f.at(c + ".input_scale"));
        const std::int64_t m = xt.shape[0], k = xt.shape[1];
        const mf::block_rules<mf::nvfp4>::activation_params p{mf::nvfp4_rules::activation_multiplier(input_scale)};
        std::vector<std::uint8_t> codes(static_cast<std::size_t>(k)), scales(static_cast<std::size_t>(k / 16));
        std::vector<float> dq(static_cast<std::size_t>(k));
        std::size_t mismatches = 0;
        for (std::int64_t r = 0; r < m; ++r) {
            mf::qdq_row<mf::nvfp4>(x.data() + r * k, k, p, codes.data(), scales.data(), dq.data());
            for (std::int64_t b = 0; b < k / 16; ++b)
                if (scales[static_cast<std::size_t>(b)] != golden_scales[static_cast<std::size_t>(r * (k / 16) + b)]) ++mismatches;
            for (std::int64_t i = 0; i < k; ++i) {
                // the golden file records every zero as code 0 (torch.sign loses the sign of a zero)
                std::uint8_t ours = codes[static_cast<std::size_t>(i)];
                if ((ours & 7) == 0) ours = 0;
                if (ours != golden_codes[static_cast<std::size_t>(r * k + i)]) ++mismatches;
                // x_dq in the activation dtype, as numbers (-0 == +0)
                const float rounded = ms::round_to(activation_dtype(xt.dtype), dq[static_cast<std::size_t>(i)]);
                if (rounded != x_dq[static_cast<std::size_t>(r * k + i)]) ++mismatches;
            }
        }
        EXPECT_EQ(mismatches, 0u);
    });
    EXPECT_EQ(cases, 6u);
}

namespace {
// Runs the MX rule over every case of `file` whose name starts with the element; compares scales,
// codes (if present) and x_dq. Blocks whose scale byte is 0 (|amax| < 2^-125) are counted apart:
// there torchao quantizes against 2^-126 but dequantizes with 2^-127, and Quark differs again;
// microscale follows OCP (2^-127 both ways).
template <class F>
void check_mx_file(const std::string& file, const std::string& element, bool has_codes, bool signed_zero_in_dq) {
    const mc::safetensors_file f(golden(file));
    SCOPED_TRACE(file);
    std::size_t checked = 0;
    for_each_case(f, ".x", [&](const std::string& c, const mc::tensor_info& xt, const std::vector<float>& x) {
        if (c.rfind(element, 0) != 0) return;
        const auto rule = c.find("floor") != std::string::npos ? mf::mx_scale_rule::floor : mf::mx_scale_rule::even;
        const auto x_dq = mc::read_floats(f, f.at(c + ".x_dq"));
        const std::int64_t m = xt.shape[0], k = xt.shape[1], blocks = k / 32;
        std::vector<std::uint8_t> golden_scales, golden_codes;
        if (has_codes) {
            golden_scales = tensor_bytes(f, c + ".scale");
            golden_codes = tensor_bytes(f, c + ".codes");
        }
        std::size_t mismatches = 0, skipped = 0;
        for (std::int64_t r = 0; r < m; ++r) {
            for (std::int64_t b = 0; b < blocks; ++b) {
                std::uint8_t codes[32];
                const float* block = x.data() + r * k + b * 32;
                const std::uint8_t s = mf::block_rules<F>::quantize_block(block, rule, codes);
                if (has_codes && s != golden_scales[static_cast<std::size_t>(r * blocks + b)]) ++mismatches;
                if (s == 0) {
                    ++skipped;
                    continue;
                }
                for (int i = 0; i < 32; ++i) {
                    const std::size_t j = static_cast<std::size_t>(r * k + b * 32 + i);
                    if (has_codes && codes[i] != golden_codes[j]) ++mismatches;
                    const float ours = ms::round_to(activation_dtype(xt.dtype), F::element::decode(codes[i]) * mf::mx_rules::dequant_factor(s));
                    if (ours != x_dq[j]) ++mismatches;  // value equality: -0 == +0
                    if (signed_zero_in_dq && std::signbit(ours) != std::signbit(x_dq[j])) ++mismatches;
                }
            }
        }
        EXPECT_EQ(mismatches, 0u);
        if (c.find("denorm") == std::string::npos) {
            EXPECT_LE(skipped, 2u);  // the all-zero block (and a -0.0 block)
        }
        ++checked;
    });
    EXPECT_GE(checked, 3u) << element;
}
}  // namespace

TEST(Golden, TorchaoMxEvenAndFloor) {
    check_mx_file<mf::mxfp4>("mx_torchao.safetensors", "fp4_e2m1", true, true);
    check_mx_file<mf::mxfp6_e2m3>("mx_torchao.safetensors", "fp6_e2m3", true, true);
    check_mx_file<mf::mxfp6_e3m2>("mx_torchao.safetensors", "fp6_e3m2", true, true);
}

TEST(Golden, QuarkMxFakeQuantize) {
    // Quark returns x_dq only, and always +0 for zeros
    check_mx_file<mf::mxfp4>("mx_quark.safetensors", "fp4_e2m1", false, false);
    check_mx_file<mf::mxfp6_e2m3>("mx_quark.safetensors", "fp6_e2m3", false, false);
    check_mx_file<mf::mxfp6_e3m2>("mx_quark.safetensors", "fp6_e3m2", false, false);
}

TEST(Golden, QuarkFp6Packing) {
    const mc::safetensors_file f(golden("mx_quark.safetensors"));
    for (const std::string c : {"fp6_pack", "fp6_e3m2_pack"}) {
        const auto codes = tensor_bytes(f, c + ".codes");
        const auto packed = tensor_bytes(f, c + ".packed");
        std::vector<std::uint8_t> ours(packed.size());
        ms::numeric::pack_fp6(codes, ours);
        EXPECT_EQ(ours, packed) << c;
    }
}
