// OCP MX (MXFP4, MXFP6) block quantization: E8M0 power-of-two scale per 32 elements.
//
// Scale rule "even" (default; AMD Quark even_round, torchao ScaleCalculationMode.EVEN): round the
// block amax's mantissa up near the next power of two, so that the largest element does not
// saturate, then subtract the element format's emax:
//     bits  = fp32_bits(amax) + (1 << (22 - m)) ;  bits &= 0xFF800000
//     E     = clamp(exponent(bits) - emax, -127, 127) ; stored e8m0 = E + 127
// Scale rule "floor" (OCP MX v1.0 §6.3): E = floor(log2(amax)) - emax.
// Scale rule "rceil" (torchao ScaleCalculationMode.RCEIL; triton_kernels' DequantScaleRoundingMode
// ROUND_UP, the quantizer transformers uses for gpt-oss's MXFP4 experts; NVIDIA ModelOpt's MXFP4):
// the smallest power of two not below amax / max_element, so that no element saturates:
//     bits  = fp32_bits(amax / max_element)          (one fp32 division; 6, 7.5, 28)
//     bits  = (bits + 0x7FFFFF) & 0x7F800000 ;  stored e8m0 = bits >> 23   (an fp32 subnormal: 1)
// amax == 0 -> the smallest scale (code 0). A NaN or infinite amax gives the NaN scale 255 (OCP);
// the quantizers reject non-finite input before that can happen.
// Elements: q = round_elem(x / 2^E), round to nearest even, saturating.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "microscale/detail/text.hpp"
#include "microscale/numeric/codecs.hpp"

namespace microscale::format {

enum class mx_scale_rule : std::uint8_t { even, floor, rceil };

constexpr std::string_view mx_scale_rule_name(mx_scale_rule rule) noexcept {
    return rule == mx_scale_rule::even ? "even" : rule == mx_scale_rule::floor ? "floor" : "rceil";
}

inline mx_scale_rule parse_mx_scale_rule(std::string_view name) {
    for (const auto rule : {mx_scale_rule::even, mx_scale_rule::floor, mx_scale_rule::rceil})
        if (name == mx_scale_rule_name(rule)) return rule;
    throw std::invalid_argument(detail::cat("unknown MX scale rule '", name, "' (known: even, floor, rceil)"));
}

namespace mx_rules {

/// Exponent of the element format's largest normal value: e2m1 2, e2m3 2, e3m2 4.
template <class Element>
inline constexpr int emax = (1 << Element::exponent_bits) - 1 - Element::bias;

/// The element format's largest finite value (1 + (2^m - 1) / 2^m) * 2^emax: e2m1 6, e2m3 7.5, e3m2 28.
template <class Element>
inline constexpr float max_element =
    static_cast<float>((1 << (Element::mantissa_bits + 1)) - 1) * static_cast<float>(1 << emax<Element>) / static_cast<float>(1 << Element::mantissa_bits);

/// E8M0 scale code of a block whose largest magnitude is `amax` (amax >= 0).
template <class Element>
constexpr std::uint8_t scale_code(float amax, mx_scale_rule rule) noexcept {
    std::uint32_t bits = std::bit_cast<std::uint32_t>(amax) & 0x7FFF'FFFFu;
    if (bits >= 0x7F80'0000u) return numeric::e8m0::nan_code;
    if (bits == 0) return 0;
    if (rule == mx_scale_rule::rceil) {
        const std::uint32_t ratio = std::bit_cast<std::uint32_t>(std::bit_cast<float>(bits) / max_element<Element>);
        return static_cast<std::uint8_t>(std::min<std::uint32_t>(((ratio + 0x7F'FFFFu) & 0x7F80'0000u) >> 23, 254u));
    }
    if (rule == mx_scale_rule::even) {
        bits += 1u << (22 - Element::mantissa_bits);
        bits &= 0xFF80'0000u;
    }
    const int exponent = static_cast<int>(bits >> 23) - 127;  // fp32 subnormals: -127
    const int e = std::clamp(exponent - emax<Element>, -127, 127);
    return static_cast<std::uint8_t>(e + 127);
}

/// Element code of x in a block with scale code `scale`: round(x / 2^E) (x * 2^-E is exact).
template <class Element>
constexpr std::uint8_t element(float x, std::uint8_t scale) noexcept {
    const float inverse = numeric::e8m0::decode(static_cast<std::uint8_t>(254 - scale));  // 2^-E
    return Element::encode(x * inverse);
}

/// Dequantization factor 2^E.
constexpr float dequant_factor(std::uint8_t scale) noexcept { return numeric::e8m0::decode(scale); }

}  // namespace mx_rules
}  // namespace microscale::format
