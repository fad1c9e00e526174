// The element and scale codecs every format is made of.
//
// Each codec is a struct with static `encode(float)` and `decode(code)` plus traits; together they
// reproduce NVIDIA's conversion routines (cuda_fp4.h, cuda_fp6.h, cuda_fp8.h, cuda_bf16.h,
// cuda_fp16.h: "round to nearest even, saturate to finite" for the narrow formats) bit for bit.
//
// NaN: formats with a NaN code encode NaN to it (e4m3 0x7F, e5m2 0x7F, bf16/fp16 0x7FFF, the
// canonical quiet NaN). E2M1, E2M3 and E3M2 have no NaN: NaN encodes to the POSITIVE largest finite
// code (0x7, 0x1F, 0x1F), which is what cuda_fp4.h / cuda_fp6.h return and what NVIDIA ModelOpt's
// fp4 cast produces. Quantizers reject NaN input before it reaches these codecs.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <string_view>

#include "microscale/numeric/minifloat.hpp"

namespace microscale::numeric {

namespace spec {
struct e2m1 {
    using code_type = std::uint8_t;
    static constexpr std::string_view name = "e2m1";
    static constexpr int exponent_bits = 2, mantissa_bits = 1, bias = 1;
    static constexpr code_type max_finite_magnitude = 0x7, nan_code = 0x7;
    static constexpr bool has_nan = false, has_inf = false;
    static constexpr overflow_rule overflow = overflow_rule::saturate;
};
struct e2m3 {
    using code_type = std::uint8_t;
    static constexpr std::string_view name = "e2m3";
    static constexpr int exponent_bits = 2, mantissa_bits = 3, bias = 1;
    static constexpr code_type max_finite_magnitude = 0x1F, nan_code = 0x1F;
    static constexpr bool has_nan = false, has_inf = false;
    static constexpr overflow_rule overflow = overflow_rule::saturate;
};
struct e3m2 {
    using code_type = std::uint8_t;
    static constexpr std::string_view name = "e3m2";
    static constexpr int exponent_bits = 3, mantissa_bits = 2, bias = 3;
    static constexpr code_type max_finite_magnitude = 0x1F, nan_code = 0x1F;
    static constexpr bool has_nan = false, has_inf = false;
    static constexpr overflow_rule overflow = overflow_rule::saturate;
};
struct e4m3 {  // "e4m3fn": no infinity, 0x7F / 0xFF are NaN
    using code_type = std::uint8_t;
    static constexpr std::string_view name = "e4m3";
    static constexpr int exponent_bits = 4, mantissa_bits = 3, bias = 7;
    static constexpr code_type max_finite_magnitude = 0x7E, nan_code = 0x7F;
    static constexpr bool has_nan = true, has_inf = false;
    static constexpr overflow_rule overflow = overflow_rule::saturate;
};
struct e5m2 {  // IEEE-like: 0x7C inf, 0x7D..0x7F NaN; conversions saturate to finite
    using code_type = std::uint8_t;
    static constexpr std::string_view name = "e5m2";
    static constexpr int exponent_bits = 5, mantissa_bits = 2, bias = 15;
    static constexpr code_type max_finite_magnitude = 0x7B, nan_code = 0x7F;
    static constexpr bool has_nan = true, has_inf = true;
    static constexpr overflow_rule overflow = overflow_rule::saturate;
};
struct bf16 {
    using code_type = std::uint16_t;
    static constexpr std::string_view name = "bf16";
    static constexpr int exponent_bits = 8, mantissa_bits = 7, bias = 127;
    static constexpr code_type max_finite_magnitude = 0x7F7F, nan_code = 0x7FFF;
    static constexpr bool has_nan = true, has_inf = true;
    static constexpr overflow_rule overflow = overflow_rule::infinity;
};
struct fp16 {
    using code_type = std::uint16_t;
    static constexpr std::string_view name = "fp16";
    static constexpr int exponent_bits = 5, mantissa_bits = 10, bias = 15;
    static constexpr code_type max_finite_magnitude = 0x7BFF, nan_code = 0x7FFF;
    static constexpr bool has_nan = true, has_inf = true;
    static constexpr overflow_rule overflow = overflow_rule::infinity;
};
}  // namespace spec

/// FP4 E2M1: magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6; bit 3 is the sign. NVFP4 / MXFP4 elements.
struct e2m1 : minifloat_codec<spec::e2m1> {};
/// FP6 E2M3: bias 1, max 7.5. MXFP6 elements.
struct e2m3 : minifloat_codec<spec::e2m3> {};
/// FP6 E3M2: bias 3, max 28. MXFP6 elements.
struct e3m2 : minifloat_codec<spec::e3m2> {};
/// FP8 E4M3 (fn): bias 7, max 448, 0x7F/0xFF NaN, no inf. NVFP4 block scales.
struct e4m3 : minifloat_codec<spec::e4m3> {};
/// FP8 E5M2: bias 15, max 57344.
struct e5m2 : minifloat_codec<spec::e5m2> {};
/// bfloat16 (IEEE rounding: overflow to inf). Encoding takes the short path every bf16 library
/// uses (add 0x7FFF plus the lowest kept bit, truncate), which is round-to-nearest-even for every
/// non-NaN fp32 (subnormals and overflow to inf included); the generic codec is its reference.
struct bf16 : minifloat_codec<spec::bf16> {
    static constexpr code_type encode(float x) noexcept {
        const std::uint32_t bits = std::bit_cast<std::uint32_t>(x);
        if ((bits & 0x7FFF'FFFFu) > 0x7F80'0000u) return nan_code;
        return static_cast<code_type>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
    }
};
/// IEEE binary16 (overflow to inf).
struct fp16 : minifloat_codec<spec::fp16> {};

/// E8M0: an unsigned power-of-two scale 2^(code - 127); code 255 is NaN. OCP MX block scales.
struct e8m0 {
    using code_type = std::uint8_t;
    static constexpr std::string_view name = "e8m0";
    static constexpr int bits = 8;
    static constexpr int bias = 127;
    static constexpr code_type nan_code = 0xFF;
    static constexpr code_type max_finite_code = 0xFE;
    static constexpr bool has_nan = true, has_inf = false;
    static constexpr std::uint32_t code_count = 256;

    /// The exponent of the largest power of two <= |x|, clamped to [-127, 127], biased by 127.
    /// (|x| is used: the sign is ignored, as cuda_fp8.h's __nv_cvt_float_to_e8m0 does with
    /// round-toward-zero and saturation.) 0 and anything below 2^-127 -> 0; ±inf -> 254; NaN -> 255.
    static constexpr code_type encode(float x) noexcept {
        const std::uint32_t abs_bits = std::bit_cast<std::uint32_t>(x) & 0x7FFF'FFFFu;
        if (abs_bits > 0x7F80'0000u) return nan_code;
        if (abs_bits >= 0x7F80'0000u) return max_finite_code;
        const std::uint32_t exponent_field = abs_bits >> 23;
        if (exponent_field == 0) {
            // fp32 subnormals: the largest power of two <= |x| is 2^-127 only for |x| >= 2^-127.
            return 0;
        }
        // biased fp32 exponent e means |x| in [2^(e-127), 2^(e-126)): e8m0 code e (e <= 254).
        return static_cast<code_type>(exponent_field);
    }

    /// 2^(code - 127); code 0 is 2^-127 (an fp32 subnormal, exact); 255 is NaN.
    static constexpr float decode(code_type code) noexcept {
        if (code == nan_code) return std::numeric_limits<float>::quiet_NaN();
        return detail::pow2(static_cast<int>(code) - bias);
    }

    static constexpr bool is_nan(code_type code) noexcept { return code == nan_code; }
    static constexpr int exponent(code_type code) noexcept { return static_cast<int>(code) - bias; }
};

}  // namespace microscale::numeric
