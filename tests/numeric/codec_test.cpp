// Element codecs against two independent references:
//  * a brute-force fp64 reference built only from each format's definition (sign, exponent
//    bits, mantissa bits, bias, special codes): the nearest representable value, ties to the
//    code with an even mantissa, saturation / overflow to inf as the format specifies;
//  * NVIDIA's own host-callable conversion routines (cuda_fp*.h), when the toolkit is present.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "microscale/numeric/numeric.hpp"
#include "support/cuda_reference.hpp"

namespace ms = microscale::numeric;

namespace {

// ---- independent reference -------------------------------------------------------------------

// Value of a code from the format definition, in fp64 (NaN / inf from the spec flags).
template <class Codec>
double reference_decode(std::uint32_t code) {
    const int m = Codec::mantissa_bits, e = Codec::exponent_bits;
    const bool negative = (code >> (m + e)) & 1u;
    const std::uint32_t magnitude = code & ((1u << (m + e)) - 1u);
    double value;
    if (magnitude > Codec::max_finite_code) {
        value = (Codec::has_inf && magnitude == Codec::max_finite_code + 1u) ? std::numeric_limits<double>::infinity()
                                                                             : std::numeric_limits<double>::quiet_NaN();
    } else {
        const std::uint32_t exponent_field = magnitude >> m;
        const std::uint32_t mantissa = magnitude & ((1u << m) - 1u);
        value = exponent_field == 0 ? std::ldexp(static_cast<double>(mantissa), 1 - Codec::bias - m)
                                    : std::ldexp(1.0 + std::ldexp(static_cast<double>(mantissa), -m), static_cast<int>(exponent_field) - Codec::bias);
    }
    return negative ? -value : value;
}

// Nearest-value encoder over the table of all finite magnitudes.
template <class Codec>
class ReferenceEncoder {
public:
    ReferenceEncoder() {
        for (std::uint32_t magnitude = 0; magnitude <= Codec::max_finite_code; ++magnitude) {
            grid_.push_back(reference_decode<Codec>(magnitude));
        }
    }

    std::uint32_t operator()(float x) const {
        if (std::isnan(x)) return Codec::nan_code;
        const std::uint32_t sign = std::signbit(x) ? (1u << (Codec::bits - 1)) : 0u;
        const double a = std::fabs(static_cast<double>(x));
        const double top = grid_.back();
        if (a > top) {
            if (Codec::overflow == ms::overflow_rule::saturate) return sign | Codec::max_finite_code;
            // IEEE: overflow threshold is max + half an ulp of the top binade; the tie rounds to
            // the even neighbour, which is inf (max has an odd mantissa).
            const double ulp = top - grid_[grid_.size() - 2];
            if (a >= top + ulp / 2) return sign | (Codec::max_finite_code + 1u);
            return sign | Codec::max_finite_code;
        }
        // grid_ is increasing: find the neighbours of a.
        const auto upper = std::lower_bound(grid_.begin(), grid_.end(), a);
        std::uint32_t hi = static_cast<std::uint32_t>(upper - grid_.begin());
        if (grid_[hi] == a) return sign | hi;
        const std::uint32_t lo = hi - 1;
        const double dlo = a - grid_[lo], dhi = grid_[hi] - a;
        if (dlo < dhi) return sign | lo;
        if (dhi < dlo) return sign | hi;
        return sign | ((lo & 1u) == 0 ? lo : hi);  // tie: even mantissa
    }

    const std::vector<double>& grid() const { return grid_; }

private:
    std::vector<double> grid_;
};

template <class Codec>
std::vector<float> interesting_inputs() {
    // Every midpoint between adjacent representable values and its ±1-ulp neighbours, the
    // values themselves, and the saturation boundary, both signs.
    ReferenceEncoder<Codec> reference;
    const auto& grid = reference.grid();
    std::vector<float> inputs;
    auto add = [&](float v) {
        for (float s : {v, -v}) {
            inputs.push_back(s);
            inputs.push_back(std::nextafter(s, std::numeric_limits<float>::infinity()));
            inputs.push_back(std::nextafter(s, -std::numeric_limits<float>::infinity()));
        }
    };
    for (std::size_t i = 0; i + 1 < grid.size(); ++i) {
        add(static_cast<float>(grid[i]));
        const double midpoint = (grid[i] + grid[i + 1]) / 2;
        if (static_cast<double>(static_cast<float>(midpoint)) == midpoint) add(static_cast<float>(midpoint));
    }
    const double top = grid.back(), ulp = top - grid[grid.size() - 2];
    add(static_cast<float>(top));
    add(static_cast<float>(top + ulp / 2));
    add(static_cast<float>(top + ulp));
    add(std::numeric_limits<float>::infinity());
    add(std::numeric_limits<float>::max());
    add(std::numeric_limits<float>::denorm_min());
    add(std::numeric_limits<float>::min());
    return inputs;
}

std::vector<float> all_16_bit_patterns_as_float(bool bf16) {
    std::vector<float> out;
    out.reserve(65536);
    for (std::uint32_t bits = 0; bits < 65536; ++bits) {
        out.push_back(bf16 ? ms::bf16::decode(static_cast<std::uint16_t>(bits)) : ms::fp16::decode(static_cast<std::uint16_t>(bits)));
    }
    return out;
}

std::vector<float> random_inputs(std::uint32_t seed, double format_max) {
    // 10^6 values: half uniform over all fp32 bit patterns, half log-uniform over the format's
    // range (where its rounding is interesting), both with random sign.
    std::mt19937 rng(seed);
    std::vector<float> out;
    out.reserve(1'000'000);
    std::uniform_int_distribution<std::uint32_t> any_bits;
    for (int i = 0; i < 500'000; ++i) out.push_back(std::bit_cast<float>(any_bits(rng)));
    std::uniform_real_distribution<double> log2_magnitude(-30.0, std::log2(format_max) + 2.0);
    for (int i = 0; i < 500'000; ++i) {
        const double v = std::exp2(log2_magnitude(rng));
        out.push_back(static_cast<float>((rng() & 1u) ? -v : v));
    }
    return out;
}

template <class Codec>
void expect_encodes_like_references(const std::vector<float>& inputs, const char* what) {
    ReferenceEncoder<Codec> reference;
    const bool cuda = microscale::test::cuda::available();
    std::size_t failures = 0;
    for (const float x : inputs) {
        const std::uint32_t got = Codec::encode(x);
        const std::uint32_t want = reference(x);
        if (got != want && failures++ < 10) {
            ADD_FAILURE() << Codec::name << " " << what << ": encode(" << x << " = 0x" << std::hex << std::bit_cast<std::uint32_t>(x) << ") = 0x"
                          << got << ", reference 0x" << want;
        }
        if (cuda) {
            const std::uint32_t nvidia = microscale::test::cuda::encode(Codec::name, x);
            if (got != nvidia && failures++ < 10) {
                ADD_FAILURE() << Codec::name << " " << what << ": encode(" << x << " = 0x" << std::hex << std::bit_cast<std::uint32_t>(x) << ") = 0x"
                              << got << ", CUDA 0x" << nvidia;
            }
        }
    }
    EXPECT_EQ(failures, 0u) << Codec::name << " " << what;
}

}  // namespace

// ---- typed over the round-to-nearest codecs ---------------------------------------------------

template <class Codec>
class RoundingCodec : public ::testing::Test {};
using RoundingCodecs = ::testing::Types<ms::e2m1, ms::e2m3, ms::e3m2, ms::e4m3, ms::e5m2, ms::bf16, ms::fp16>;
class CodecNames {
public:
    template <class T>
    static std::string GetName(int) {
        return std::string(T::name);
    }
};
TYPED_TEST_SUITE(RoundingCodec, RoundingCodecs, CodecNames);

TYPED_TEST(RoundingCodec, EveryCodeDecodesToItsDefinition) {
    using Codec = TypeParam;
    for (std::uint32_t code = 0; code < Codec::code_count; ++code) {
        const auto c = static_cast<typename Codec::code_type>(code);
        const double want = reference_decode<Codec>(code);
        const float got = Codec::decode(c);
        if (std::isnan(want)) {
            EXPECT_TRUE(std::isnan(got)) << "code " << code;
            EXPECT_TRUE(Codec::is_nan(c)) << "code " << code;
        } else {
            EXPECT_EQ(static_cast<double>(got), want) << "code " << code;
            EXPECT_EQ(std::signbit(got), std::signbit(want)) << "code " << code;
            EXPECT_FALSE(Codec::is_nan(c)) << "code " << code;
        }
        if (microscale::test::cuda::available()) {
            const float nvidia = microscale::test::cuda::decode(Codec::name, code);
            if (std::isnan(nvidia)) {
                EXPECT_TRUE(std::isnan(got)) << "code " << code;
            } else {
                EXPECT_EQ(std::bit_cast<std::uint32_t>(got), std::bit_cast<std::uint32_t>(nvidia)) << "code " << code << " CUDA " << nvidia;
            }
        }
    }
}

TYPED_TEST(RoundingCodec, EncodesEveryBf16Pattern) { expect_encodes_like_references<TypeParam>(all_16_bit_patterns_as_float(true), "bf16 patterns"); }

TYPED_TEST(RoundingCodec, EncodesEveryFp16Pattern) {
    expect_encodes_like_references<TypeParam>(all_16_bit_patterns_as_float(false), "fp16 patterns");
}

TYPED_TEST(RoundingCodec, EncodesMidpointsAndNeighbours) { expect_encodes_like_references<TypeParam>(interesting_inputs<TypeParam>(), "midpoints"); }

TYPED_TEST(RoundingCodec, EncodesAMillionRandomFloats) {
    expect_encodes_like_references<TypeParam>(random_inputs(20261121u, TypeParam::max_finite()), "random");
}

TYPED_TEST(RoundingCodec, RoundTripsEveryNonNanCode) {
    using Codec = TypeParam;
    for (std::uint32_t code = 0; code < Codec::code_count; ++code) {
        const auto c = static_cast<typename Codec::code_type>(code);
        if (Codec::is_nan(c)) continue;
        const float value = Codec::decode(c);
        if (std::isinf(value) && Codec::overflow == ms::overflow_rule::saturate) {
            // e5m2's inf code decodes to inf, which saturates on the way back.
            EXPECT_EQ(Codec::encode(value), (c & Codec::sign_mask) | Codec::max_finite_code);
            continue;
        }
        EXPECT_EQ(Codec::encode(value), c) << "code " << code;
    }
}

TYPED_TEST(RoundingCodec, HandPickedSemantics) {
    using Codec = TypeParam;
    const float inf = std::numeric_limits<float>::infinity();
    // sign of zero kept
    EXPECT_EQ(Codec::encode(0.0f), 0u);
    EXPECT_EQ(Codec::encode(-0.0f), Codec::sign_mask);
    // NaN, either sign, to the documented code
    EXPECT_EQ(Codec::encode(std::numeric_limits<float>::quiet_NaN()), Codec::nan_code);
    EXPECT_EQ(Codec::encode(-std::numeric_limits<float>::quiet_NaN()), Codec::nan_code);
    // ±inf: saturating formats clamp, IEEE formats keep inf
    if (Codec::overflow == ms::overflow_rule::saturate) {
        EXPECT_EQ(Codec::decode(Codec::encode(inf)), Codec::max_finite());
        EXPECT_EQ(Codec::decode(Codec::encode(-inf)), -Codec::max_finite());
        EXPECT_EQ(Codec::decode(Codec::encode(1e30f)), Codec::max_finite());
    } else {
        EXPECT_EQ(Codec::decode(Codec::encode(inf)), inf);
        EXPECT_EQ(Codec::decode(Codec::encode(-std::numeric_limits<float>::max())), -inf);
    }
}

TEST(RoundingCodecValues, PublishedMaxima) {
    // DESIGN.md §4.1 / the issue: e2m1 6, e2m3 7.5, e3m2 28, e4m3 448, e5m2 57344.
    EXPECT_EQ(ms::e2m1::max_finite(), 6.0f);
    EXPECT_EQ(ms::e2m3::max_finite(), 7.5f);
    EXPECT_EQ(ms::e3m2::max_finite(), 28.0f);
    EXPECT_EQ(ms::e4m3::max_finite(), 448.0f);
    EXPECT_EQ(ms::e5m2::max_finite(), 57344.0f);
    EXPECT_EQ(ms::e4m3::min_subnormal(), std::ldexp(1.0f, -9));
    EXPECT_EQ(ms::e3m2::min_subnormal(), 0.0625f);
    EXPECT_EQ(ms::e2m3::min_subnormal(), 0.125f);
    const float e2m1_values[8] = {0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f};
    for (std::uint8_t c = 0; c < 8; ++c) {
        EXPECT_EQ(ms::e2m1::decode(c), e2m1_values[c]);
        EXPECT_EQ(ms::e2m1::decode(static_cast<std::uint8_t>(c | 8)), -e2m1_values[c]);
    }
    // ties from vLLM's cast_to_fp4 thresholds (ECOSYSTEM_NOTES §1.1)
    EXPECT_EQ(ms::e2m1::encode(0.25f), 0u);
    EXPECT_EQ(ms::e2m1::encode(0.75f), 2u);
    EXPECT_EQ(ms::e2m1::encode(1.25f), 2u);
    EXPECT_EQ(ms::e2m1::encode(1.75f), 4u);
    EXPECT_EQ(ms::e2m1::encode(2.5f), 4u);
    EXPECT_EQ(ms::e2m1::encode(3.5f), 6u);
    EXPECT_EQ(ms::e2m1::encode(5.0f), 6u);
    EXPECT_EQ(ms::e2m1::encode(5.0001f), 7u);
    static_assert(ms::e4m3::encode(448.0f) == 0x7E && ms::e4m3::encode(464.0f) == 0x7E, "encode is usable in constant expressions");
}

// ---- E8M0 --------------------------------------------------------------------------------------

namespace {
std::uint32_t reference_e8m0(float x) {
    if (std::isnan(x)) return 0xFF;
    const double a = std::fabs(static_cast<double>(x));
    if (std::isinf(a)) return 254;
    if (a == 0.0) return 0;
    int exponent;
    std::frexp(a, &exponent);  // a = f * 2^exponent, f in [0.5, 1): largest power <= a is 2^(exponent-1)
    return static_cast<std::uint32_t>(std::clamp(exponent - 1, -127, 127) + 127);
}

void expect_e8m0_like_references(const std::vector<float>& inputs, const char* what) {
    std::size_t failures = 0;
    for (const float x : inputs) {
        const std::uint32_t got = ms::e8m0::encode(x);
        if (got != reference_e8m0(x) && failures++ < 10) {
            ADD_FAILURE() << "e8m0 " << what << ": encode(" << x << ") = " << got << ", reference " << reference_e8m0(x);
        }
        if (microscale::test::cuda::available()) {
            const std::uint32_t nvidia = microscale::test::cuda::encode("e8m0", x);
            if (got != nvidia && failures++ < 10) {
                ADD_FAILURE() << "e8m0 " << what << ": encode(" << x << ") = " << got << ", CUDA " << nvidia;
            }
        }
    }
    EXPECT_EQ(failures, 0u);
}
}  // namespace

TEST(E8M0, EveryCodeDecodes) {
    for (std::uint32_t code = 0; code < 255; ++code) {
        const float got = ms::e8m0::decode(static_cast<std::uint8_t>(code));
        EXPECT_EQ(static_cast<double>(got), std::ldexp(1.0, static_cast<int>(code) - 127));
        EXPECT_EQ(ms::e8m0::encode(got), code) << "round trip of code " << code;
        if (microscale::test::cuda::available()) {
            EXPECT_EQ(got, microscale::test::cuda::decode("e8m0", code)) << code;
        }
    }
    EXPECT_TRUE(std::isnan(ms::e8m0::decode(255)));
    EXPECT_TRUE(ms::e8m0::is_nan(255));
}

TEST(E8M0, EncodesEverySixteenBitPatternAndRandomFloats) {
    expect_e8m0_like_references(all_16_bit_patterns_as_float(true), "bf16 patterns");
    expect_e8m0_like_references(all_16_bit_patterns_as_float(false), "fp16 patterns");
    expect_e8m0_like_references(random_inputs(7u, 1e38), "random");
    std::vector<float> edges;
    for (int e = -150; e <= 128; ++e) {
        const float p = std::ldexp(1.0f, e);
        for (float v : {p, std::nextafter(p, 0.0f), std::nextafter(p, std::numeric_limits<float>::infinity())}) {
            edges.push_back(v);
            edges.push_back(-v);
        }
    }
    expect_e8m0_like_references(edges, "powers of two");
}

TEST(E8M0, DocumentedSpecialCases) {
    EXPECT_EQ(ms::e8m0::encode(std::numeric_limits<float>::quiet_NaN()), 0xFF);
    EXPECT_EQ(ms::e8m0::encode(std::numeric_limits<float>::infinity()), 254);
    EXPECT_EQ(ms::e8m0::encode(0.0f), 0);
    EXPECT_EQ(ms::e8m0::encode(-3.0f), 128);  // |x|: 2^1
    EXPECT_EQ(ms::e8m0::encode(3.99f), 128);
    EXPECT_EQ(ms::e8m0::encode(4.0f), 129);
}

// ---- spans and packing ---------------------------------------------------------------------------

template <class Codec>
class SpanCodec : public ::testing::Test {};
TYPED_TEST_SUITE(SpanCodec, RoundingCodecs, CodecNames);

TYPED_TEST(SpanCodec, SpansEqualScalars) {
    using Codec = TypeParam;
    using code_type = typename Codec::code_type;
    const std::vector<float> inputs = random_inputs(99u, Codec::max_finite());
    std::vector<code_type> codes(inputs.size());
    ms::encode<Codec>(inputs, codes);
    std::vector<float> decoded(codes.size());
    ms::decode<Codec>(codes, decoded);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        ASSERT_EQ(codes[i], Codec::encode(inputs[i])) << i;
        const float scalar = Codec::decode(codes[i]);
        ASSERT_TRUE(std::bit_cast<std::uint32_t>(decoded[i]) == std::bit_cast<std::uint32_t>(scalar) ||
                    (std::isnan(decoded[i]) && std::isnan(scalar)))
            << i;
    }
    std::vector<code_type> too_short(3);
    EXPECT_THROW(ms::encode<Codec>(inputs, too_short), std::invalid_argument);
}

TEST(Packing, Fp4NibbleOrder) {
    const std::uint8_t codes[] = {0x1, 0xF, 0x7, 0x8, 0x3};
    std::uint8_t packed[3] = {0xAA, 0xAA, 0xAA};
    ms::pack_fp4(codes, packed);
    EXPECT_EQ(packed[0], 0xF1);  // element 0 low nibble, element 1 high nibble
    EXPECT_EQ(packed[1], 0x87);
    EXPECT_EQ(packed[2], 0x03);  // odd tail: high nibble zero
}

TEST(Packing, Fp6ThreeBytesPerFourCodes) {
    // DESIGN.md §4.1: W = v0 | v1<<6 | v2<<12 | v3<<18, little-endian.
    const std::uint8_t codes[] = {0x3F, 0x01, 0x2A, 0x15};
    const std::uint32_t word = 0x3Fu | 0x01u << 6 | 0x2Au << 12 | 0x15u << 18;
    std::uint8_t packed[3];
    ms::pack_fp6(codes, packed);
    EXPECT_EQ(packed[0], word & 0xFF);
    EXPECT_EQ(packed[1], (word >> 8) & 0xFF);
    EXPECT_EQ(packed[2], (word >> 16) & 0xFF);
    // the byte formulas of ECOSYSTEM_NOTES §1.4
    EXPECT_EQ(packed[0], (codes[0] | (codes[1] & 3) << 6) & 0xFF);
    EXPECT_EQ(packed[1], ((codes[1] >> 2) | (codes[2] & 0xF) << 4) & 0xFF);
    EXPECT_EQ(packed[2], ((codes[2] >> 4) | codes[3] << 2) & 0xFF);
}

TEST(Packing, RoundTripsEveryLength) {
    std::mt19937 rng(5);
    for (int bits : {4, 6}) {
        for (std::size_t n = 0; n < 70; ++n) {
            std::vector<std::uint8_t> codes(n);
            for (auto& c : codes) c = static_cast<std::uint8_t>(rng() & ((1u << bits) - 1u));
            std::vector<std::uint8_t> packed(ms::packed_bytes(n, bits));
            std::vector<std::uint8_t> back(n);
            if (bits == 4) {
                ms::pack_fp4(codes, packed);
                ms::unpack_fp4(packed, back);
            } else {
                ms::pack_fp6(codes, packed);
                ms::unpack_fp6(packed, back);
            }
            ASSERT_EQ(back, codes) << "bits " << bits << " n " << n;
        }
    }
}

TEST(Packing, RejectsBadInput) {
    const std::uint8_t too_wide[] = {0x10};
    std::uint8_t one[1];
    EXPECT_THROW(ms::pack_fp4(too_wide, one), std::invalid_argument);
    const std::uint8_t codes[] = {1, 2, 3, 4};
    std::uint8_t wrong[2];
    EXPECT_THROW(ms::pack_fp6(codes, wrong), std::invalid_argument);
    std::uint8_t out[4];
    EXPECT_THROW(ms::unpack_fp6(std::span<const std::uint8_t>(wrong, 2), out), std::invalid_argument);
}

// ---- the accumulation bound -------------------------------------------------------------------

#include "microscale/numeric/error_bound.hpp"

TEST(AccumulationBound, HandDerivedValues) {
    // gamma_n = n u / (1 - n u), u = 2^-24
    EXPECT_DOUBLE_EQ(ms::gamma_fp32(1), 0x1p-24 / (1 - 0x1p-24));
    EXPECT_DOUBLE_EQ(ms::gamma_fp32(4096), 4096 * 0x1p-24 / (1 - 4096 * 0x1p-24));
    // fp32 output: gamma_{K+c} * sum_abs + 2^-149
    EXPECT_DOUBLE_EQ(ms::accumulation_bound(100, 2.0, 1.0, microscale::dtype::f32, 4), ms::gamma_fp32(104) * 2.0 + 0x1p-149);
    // bf16 output adds half an ulp relative: 2^-8 * (|exact| + fp32 part) + 2^-133
    const double fp32_part = ms::gamma_fp32(20) * 8.0;
    EXPECT_DOUBLE_EQ(ms::accumulation_bound(16, 8.0, -3.0, microscale::dtype::bf16, 4), fp32_part + 0x1p-8 * (3.0 + fp32_part) + 0x1p-133);
    // a summation in fp32 of K equal terms stays inside the bound (worst-case growth)
    const int k = 1 << 20;
    float sum = 0.0f;
    for (int i = 0; i < k; ++i) sum += 0.1f;
    const double exact = static_cast<double>(0.1f) * k;
    EXPECT_LE(std::fabs(sum - exact), ms::accumulation_bound(k, exact, exact, microscale::dtype::f32, 0));
}

TEST(Bf16FastPath, EqualsTheGenericCodecOnEveryFloatClass) {
    // the short encode against the generic round-to-nearest-even codec it replaces
    using generic = ms::minifloat_codec<ms::spec::bf16>;
    std::mt19937 rng(3);
    std::uniform_int_distribution<std::uint32_t> any;
    for (int i = 0; i < 2'000'000; ++i) {
        const float x = std::bit_cast<float>(any(rng));
        ASSERT_EQ(ms::bf16::encode(x), generic::encode(x)) << std::hex << std::bit_cast<std::uint32_t>(x);
    }
    for (std::uint32_t hi = 0; hi < 65536; ++hi)
        for (std::uint32_t lo : {0x0000u, 0x7FFFu, 0x8000u, 0x8001u, 0xFFFFu}) {
            const float x = std::bit_cast<float>(hi << 16 | lo);
            ASSERT_EQ(ms::bf16::encode(x), generic::encode(x)) << std::hex << (hi << 16 | lo);
        }
}
