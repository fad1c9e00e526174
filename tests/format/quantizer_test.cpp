// Quantizers against hand-derived expectations: each expected code below is worked out from
// the reference implementations' formulas (ModelOpt NVFP4QTensor, vLLM ref_nvfp4_quant, the OCP
// MX "even" rule) in the comment beside it.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "microscale/format/quantizer.hpp"

namespace mf = microscale::format;
namespace mn = microscale::numeric;

namespace {
std::vector<std::uint8_t> unpacked_codes(const microscale::quantized_weight& q) {
    std::vector<std::uint8_t> codes(static_cast<std::size_t>(q.rows * q.cols));
    const int bits = q.format == "nvfp4" || q.format == "mxfp4" ? 4 : 6;
    for (std::int64_t r = 0; r < q.rows; ++r) {
        const std::size_t row_bytes = mn::packed_bytes(static_cast<std::size_t>(q.cols), bits);
        std::span<const std::uint8_t> packed(q.codes.data() + r * row_bytes, row_bytes);
        std::span<std::uint8_t> out(codes.data() + r * q.cols, static_cast<std::size_t>(q.cols));
        bits == 4 ? mn::unpack_fp4(packed, out) : mn::unpack_fp6(packed, out);
    }
    return codes;
}
}  // namespace

// ---- NVFP4 weights (ModelOpt) -------------------------------------------------------------------

TEST(Nvfp4Weight, TiesSaturationAndSignOfZero) {
    // amax = 2688 -> G = 2688 / 2688 = 1. Block 0 amax 2688: s = 2688 / (6 * 1) = 448 -> e4m3 0x7E;
    // divisor 448; y = w / 448 lands on the E2M1 midpoints.
    const float d = 448.0f;
    std::vector<float> w = {0.25f * d,  0.75f * d,  1.25f * d, 1.75f * d, 2.5f * d, 3.5f * d,  5.0f * d, 6.0f * d,
                            -0.25f * d, -0.75f * d, -5.0f * d, -0.0f,     0.1f * d, -0.1f * d, 2.9f * d, 3.1f * d};
    // Block 1: amax 3 -> s = 3 / 6 = 0.5 -> e4m3 0x30 exactly; divisor 0.5.
    for (float v : {3.0f, 1.5f, 0.125f, 0.375f, -3.0f, 2.0f, 0.0f, 0.5f, 1.0f, 2.5f, 0.25f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}) w.push_back(v);
    const auto q = mf::quantize_weight<mf::nvfp4>(w, 1, 32);
    EXPECT_EQ(q.global_scale, 1.0f);
    ASSERT_EQ(q.scales.size(), 2u);
    EXPECT_EQ(q.scales[0], 0x7E);           // 448
    EXPECT_EQ(q.scales[1], 0x30);           // 0.5
    const std::vector<std::uint8_t> want = {// block 0, y = w / 448: 0.25->0, 0.75->1, 1.25->1, 1.75->2, 2.5->2, 3.5->4, 5->4, 6->6
                                            0x0, 0x2, 0x2, 0x4, 0x4, 0x6, 0x6, 0x7,
                                            // -0.25->-0 (sign from y < 0), -0.75->-1, -5->-4, -0.0->+0 (ModelOpt), 0.1->0, -0.1->-0, 2.9->3, 3.1->3
                                            0x8, 0xA, 0xE, 0x0, 0x0, 0x8, 0x5, 0x5,
                                            // block 1, y = w / 0.5: 6, 3, 0.25->0, 0.75->1, -6, 4, 0, 1
                                            0x7, 0x5, 0x0, 0x2, 0xF, 0x6, 0x0, 0x2,
                                            // 2, 5->4 (tie to even), 0.5, zeros
                                            0x4, 0x6, 0x1, 0x0, 0x0, 0x0, 0x0, 0x0};
    EXPECT_EQ(unpacked_codes(q), want);
    // packing: element 2j in the low nibble
    EXPECT_EQ(q.codes[0], 0x20);
    EXPECT_EQ(q.codes[1], 0x42);
}

TEST(Nvfp4Weight, ScaleRoundingZeroAndTinyBlocks) {
    // Tensor amax 2688 (G = 1). Block 0 amax 2688 sets G. Block 1 amax 100: s = 100/6 = 16.666667
    // -> e4m3 nearest: 16 (0x58) vs 18 (0x59); 16.67 -> 16. Block 2 all zero: s = 0 -> 1.0 (0x38),
    // codes 0. Block 3 amax 1e-6: s = 1.67e-7 < 2^-9 -> clamped to 2^-9 (0x01); y = w / 2^-9.
    std::vector<float> w(64, 0.0f);
    w[0] = 2688.0f;
    w[16] = 100.0f;
    w[17] = -50.0f;  // 50 / 16 = 3.125 -> 3 (0xD with sign)
    w[48] = 1e-6f;   // 1e-6 * 512 = 5.12e-4 -> 0
    w[49] = 0.004f;  // 0.004 * 512 = 2.048 -> 2 (0x4)
    const auto q = mf::quantize_weight<mf::nvfp4>(w, 1, 64);
    EXPECT_EQ(q.scales[1], 0x58);
    EXPECT_EQ(mn::e4m3::decode(0x58), 16.0f);
    EXPECT_EQ(q.scales[2], 0x38);
    EXPECT_EQ(q.scales[3], 0x01);
    const auto got = unpacked_codes(q);
    EXPECT_EQ(got[16], 0x7);  // 100 / 16 = 6.25 -> saturates at 6
    EXPECT_EQ(got[17], 0xD);
    for (int i = 32; i < 48; ++i) EXPECT_EQ(got[i], 0);
    EXPECT_EQ(got[48], 0x0);
    EXPECT_EQ(got[49], 0x4);
}

TEST(Nvfp4Weight, GlobalScaleIsAmaxOver2688) {
    std::vector<float> w(16, 0.0f);
    w[3] = -7.5f;
    const auto q = mf::quantize_weight<mf::nvfp4>(w, 1, 16);
    EXPECT_EQ(q.global_scale, 7.5f / 2688.0f);  // fp32 division, as ModelOpt's amax.float() / 2688
    // s = 7.5 / (6 * G): 6 * G rounds first
    const float s = 7.5f / (6.0f * (7.5f / 2688.0f));
    EXPECT_EQ(q.scales[0], mn::e4m3::encode(s));
}

TEST(Nvfp4Weight, AllZeroTensorAndBadInput) {
    // documented: an all-zero tensor gets G = 1, unit block scales and zero codes (ModelOpt would
    // produce NaN scales from 0/0)
    const std::vector<float> zeros(32, 0.0f);
    const auto q = mf::quantize_weight<mf::nvfp4>(zeros, 2, 16);
    EXPECT_EQ(q.global_scale, 1.0f);
    for (auto s : q.scales) EXPECT_EQ(s, 0x38);
    for (auto c : q.codes) EXPECT_EQ(c, 0);

    std::vector<float> w(32, 1.0f);
    w[17] = std::nanf("");
    try {
        (void)mf::quantize_weight<mf::nvfp4>(w, 2, 16, {mf::mx_scale_rule::even, "layers.0.q_proj.weight", std::nullopt});
        ADD_FAILURE() << "NaN accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "layers.0.q_proj.weight: element [1, 1] is NaN");
    }
    w[17] = INFINITY;
    EXPECT_THROW((void)mf::quantize_weight<mf::nvfp4>(w, 2, 16), std::invalid_argument);
    EXPECT_THROW((void)mf::quantize_weight<mf::nvfp4>(std::vector<float>(24, 1.0f), 1, 24), std::invalid_argument);
    EXPECT_THROW((void)mf::quantize_weight<mf::nvfp4>(std::vector<float>(16, 1.0f), 2, 16), std::invalid_argument);
}

// ---- NVFP4 activations (vLLM reference emulation) ---------------------------------------------------

TEST(Nvfp4Activation, HandDerivedBlock) {
    namespace r = mf::nvfp4_rules;
    EXPECT_EQ(std::bit_cast<std::uint32_t>(1.0f / 6.0f), 0x3E2AAAABu);  // FLOAT4_E2M1_MAX_RECIPROCAL
    // input_scale 1 -> g = 1. Block amax 6: s = 1 * (6 * fp32(1/6)) = fp32(1.0000000298) = 1 -> 0x38.
    // output scale = 1 / (1 * (1 / 1)) = 1; x' = round_e2m1(x) * (1 / 1).
    const float g = r::activation_multiplier(1.0f);
    const float x[16] = {6, 0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5, -6, -0.25f, -2.9f, -5.9f, 0, 0.3f, 4.4f, -1};
    std::uint8_t codes[16], scale;
    float dq[16];
    mf::block_rules<mf::nvfp4>::activation_params p{g};
    mf::qdq_row<mf::nvfp4>(x, 16, p, codes, &scale, dq);
    EXPECT_EQ(scale, 0x38);
    const float want[16] = {6, 0, 1, 1, 2, 2, 4, 4, -6, -0.0f, -3, -6, 0, 0.5f, 4, -1};
    for (int i = 0; i < 16; ++i) EXPECT_EQ(dq[i], want[i]) << i;
    EXPECT_EQ(codes[9], 0x8);  // -0.25 rounds to zero with its sign
}

TEST(Nvfp4Activation, ScaleSaturatesAndZeroBlocks) {
    namespace r = mf::nvfp4_rules;
    // input_scale tiny -> g huge -> s clamps at 448; elements clip at ±6.
    const float g = r::activation_multiplier(1e-6f);
    EXPECT_EQ(r::activation_block_scale(100.0f, g), 0x7E);
    // all-zero block -> s = 0 -> output scale 1 / 1e8 -> every code 0, x' = 0
    EXPECT_EQ(r::activation_block_scale(0.0f, 1.0f), 0x00);
    EXPECT_EQ(r::activation_output_scale(0x00, 1.0f), 1.0f / 1e8f);
    // tiny block: g * (amax / 6) at half the smallest e4m3 subnormal (2^-10) ties to 0 (even);
    // just above it rounds up to 2^-9
    EXPECT_EQ(r::activation_block_scale(0x1p-10f * 6.0f, 1.0f), 0x00);
    EXPECT_EQ(r::activation_block_scale(0x1p-10f * 6.0f * 1.01f, 1.0f), 0x01);
    // output scale follows get_reciprocal(s * get_reciprocal(g)): three roundings
    const float g3 = 3.0f, s = mn::e4m3::decode(0x3B);  // 1.375
    EXPECT_EQ(r::activation_output_scale(0x3B, g3), 1.0f / (s * (1.0f / g3)));
    EXPECT_EQ(r::activation_dequant_factor(0x3B, g3), s / g3);
}

// ---- MX ---------------------------------------------------------------------------------------------

TEST(MxScale, EvenAndFloorRules) {
    using mf::mx_scale_rule;
    namespace x = mf::mx_rules;
    // e2m1 (emax 2): amax 1.75 rounds up to 2 under "even": E = 1 - 2 = -1 (code 126); floor: 0 - 2
    EXPECT_EQ(x::scale_code<mn::e2m1>(1.75f, mx_scale_rule::even), 126);
    EXPECT_EQ(x::scale_code<mn::e2m1>(1.75f, mx_scale_rule::floor), 125);
    EXPECT_EQ(x::scale_code<mn::e2m1>(1.74f, mx_scale_rule::even), 125);
    // e3m2 (emax 4): threshold 1.875; e2m3 (emax 2): threshold 1.9375
    EXPECT_EQ(x::scale_code<mn::e3m2>(1.875f * 8, mx_scale_rule::even), 127 + 4 - 4);
    EXPECT_EQ(x::scale_code<mn::e3m2>(1.87f * 8, mx_scale_rule::even), 127 + 3 - 4);
    EXPECT_EQ(x::scale_code<mn::e2m3>(1.9375f, mx_scale_rule::even), 127 + 1 - 2);
    EXPECT_EQ(x::scale_code<mn::e2m3>(1.93f, mx_scale_rule::even), 127 + 0 - 2);
    // zero and tiny blocks: the smallest scale; huge: clamped; non-finite: NaN scale
    EXPECT_EQ(x::scale_code<mn::e2m1>(0.0f, mx_scale_rule::even), 0);
    EXPECT_EQ(x::scale_code<mn::e2m1>(1e-40f, mx_scale_rule::even), 0);
    EXPECT_EQ(x::scale_code<mn::e2m1>(0x1p-120f, mx_scale_rule::even), 127 - 122);
    EXPECT_EQ(x::scale_code<mn::e2m1>(3e38f, mx_scale_rule::even), 253);
    EXPECT_EQ(x::scale_code<mn::e2m1>(INFINITY, mx_scale_rule::even), 255);
    EXPECT_EQ(x::scale_code<mn::e2m1>(std::nanf(""), mx_scale_rule::even), 255);
}

TEST(MxScale, RceilRule) {
    // 2^ceil(log2(amax / max_element)), hand-derived (triton_kernels' ROUND_UP, torchao RCEIL)
    using mf::mx_scale_rule;
    namespace x = mf::mx_rules;
    static_assert(x::max_element<mn::e2m1> == 6.0f && x::max_element<mn::e2m3> == 7.5f && x::max_element<mn::e3m2> == 28.0f);
    EXPECT_EQ(x::scale_code<mn::e2m1>(6.0f, mx_scale_rule::rceil), 127);   // 6/6 = 2^0
    EXPECT_EQ(x::scale_code<mn::e2m1>(6.1f, mx_scale_rule::rceil), 128);   // just above: 2^1
    EXPECT_EQ(x::scale_code<mn::e2m1>(3.0f, mx_scale_rule::rceil), 126);   // 0.5 = 2^-1
    EXPECT_EQ(x::scale_code<mn::e2m1>(1.0f, mx_scale_rule::rceil), 125);   // 1/6 -> 2^-2
    EXPECT_EQ(x::scale_code<mn::e2m1>(1.6f, mx_scale_rule::rceil), 126);   // 0.267 -> 2^-1, where even and floor give 2^-2:
    EXPECT_EQ(x::scale_code<mn::e2m1>(1.6f, mx_scale_rule::even), 125);
    EXPECT_EQ(x::scale_code<mn::e2m1>(7.0f, mx_scale_rule::rceil), 128);   // floor would clip 7 to 6 at 2^0
    EXPECT_EQ(x::scale_code<mn::e2m1>(7.0f, mx_scale_rule::floor), 127);
    EXPECT_EQ(x::scale_code<mn::e2m3>(7.5f, mx_scale_rule::rceil), 127);
    EXPECT_EQ(x::scale_code<mn::e2m3>(7.6f, mx_scale_rule::rceil), 128);
    EXPECT_EQ(x::scale_code<mn::e3m2>(28.0f, mx_scale_rule::rceil), 127);
    EXPECT_EQ(x::scale_code<mn::e3m2>(14.5f, mx_scale_rule::rceil), 127);  // 14.5/28 = 0.518 -> 2^0
    EXPECT_EQ(x::scale_code<mn::e2m1>(0.0f, mx_scale_rule::rceil), 0);
    EXPECT_EQ(x::scale_code<mn::e2m1>(1e-40f, mx_scale_rule::rceil), 1);   // amax/6 an fp32 subnormal: triton's bit trick gives 2^-126
    EXPECT_EQ(x::scale_code<mn::e2m1>(3e38f, mx_scale_rule::rceil), 127 + 126);  // 5e37 = 2^125.2 -> 2^126
    EXPECT_EQ(x::scale_code<mn::e2m1>(INFINITY, mx_scale_rule::rceil), 255);
    EXPECT_EQ(mf::parse_mx_scale_rule("rceil"), mx_scale_rule::rceil);
    EXPECT_THROW((void)mf::parse_mx_scale_rule("ceil"), std::invalid_argument);
}

TEST(MxQuantize, BlockElementsAndPacking) {
    // amax 6 -> even: 6 = 1.5 * 2^2, below 1.75 -> E = 2 - 2 = 0, scale 1: elements round as E2M1.
    std::vector<float> w(32, 0.0f);
    w[0] = 6.0f;
    w[1] = 0.75f;  // tie 0.5 / 1 -> 1
    w[2] = -2.5f;  // tie 2 / 3 -> 2
    w[3] = 5.5f;   // 4 / 6 -> 6
    const auto q = mf::quantize_weight<mf::mxfp4>(w, 1, 32);
    EXPECT_EQ(q.scales[0], 127);
    const auto codes = unpacked_codes(q);
    EXPECT_EQ(codes[0], 0x7);
    EXPECT_EQ(codes[1], 0x2);
    EXPECT_EQ(codes[2], 0xC);
    EXPECT_EQ(codes[3], 0x7);
    // the same block with amax 7 -> 1.75 * 2^2 rounds up: E = 1, scale 2: 6 -> 3 (0x5), 7 -> 3.5 -> 4 (0x6)
    w[4] = 7.0f;
    const auto q2 = mf::quantize_weight<mf::mxfp4>(w, 1, 32);
    EXPECT_EQ(q2.scales[0], 128);
    const auto codes2 = unpacked_codes(q2);
    EXPECT_EQ(codes2[0], 0x5);
    EXPECT_EQ(codes2[4], 0x6);
    // MXFP6: four codes per three bytes
    std::vector<float> v(32, 0.0f);
    v[0] = 7.5f;  // e2m3 max, amax 7.5 = 1.875 * 2^2 < 1.9375 -> E = 0
    v[1] = -0.125f;
    const auto q6 = mf::quantize_weight<mf::mxfp6_e2m3>(v, 1, 32);
    EXPECT_EQ(q6.codes.size(), 24u);
    EXPECT_EQ(q6.scales[0], 127);
    const auto c6 = unpacked_codes(q6);
    EXPECT_EQ(c6[0], 0x1F);
    EXPECT_EQ(c6[1], 0x21);  // sign bit 5, smallest subnormal 0.125
    const auto floor = mf::quantize_weight<mf::mxfp4>(w, 1, 32, {mf::mx_scale_rule::floor, "w", std::nullopt});
    EXPECT_EQ(floor.scales[0], 127);  // floor(log2 7) - 2 = 0: 7 saturates to 6
    EXPECT_EQ(unpacked_codes(floor)[4], 0x7);
}
