// NVFP4 quantization, bit-exact with the ecosystem:
//  * weights exactly as NVIDIA ModelOpt exports them (NVFP4QTensor, dynamic weight path);
//  * activations exactly as vLLM's reference emulation quantize-dequantizes them
//    (ref_nvfp4_quant + dequant; the CPU / reference path, not the Triton kernel).
// Every expression keeps the reference's fp32 operation order; comments give it. The activation
// rules are constexpr so that the cuda backend's device code runs these same functions
// (nvcc --expt-relaxed-constexpr).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "microscale/numeric/codecs.hpp"

namespace microscale::format::nvfp4_rules {

inline constexpr float e2m1_max = 6.0f;
inline constexpr float e4m3_max = 448.0f;
inline constexpr float global_divisor = 6.0f * 448.0f;  // 2688: amax -> global (dequant) scale

/// std::clamp's result, with its arguments by value: device code (the cuda backend) may not bind a
/// reference to the constants above, which live in host memory.
constexpr float clamped(float v, float lo, float hi) noexcept { return v < lo ? lo : hi < v ? hi : v; }

// ---- weights: NVIDIA ModelOpt ------------------------------------------------------------------

/// weight_scale_2 = amax / (6 * 448) (fp32). ModelOpt computes 0/0 = NaN block scales for an
/// all-zero tensor; microscale instead returns 1.0 there (every code is then 0, so any G
/// dequantizes to exact zeros, and no loader sees a zero or infinite global scale).
inline float weight_global_scale(float amax) noexcept { return amax == 0.0f ? 1.0f : amax / global_divisor; }

/// Block scale code: s = block_amax / (6 * G) (6*G rounded first); s == 0 -> 1.0;
/// e4m3(clamp(s, 2^-9, 448)), round to nearest even.
inline std::uint8_t weight_block_scale(float block_amax, float global) noexcept {
    float s = block_amax / (6.0f * global);
    if (s == 0.0f) s = 1.0f;
    s = std::clamp(s, 0x1p-9f, e4m3_max);
    return numeric::e4m3::encode(s);
}

/// The divisor of a block's elements: float(s8) * G (one fp32 product).
inline float weight_block_divisor(std::uint8_t scale_code, float global) noexcept { return numeric::e4m3::decode(scale_code) * global; }

/// Element code: round_e2m1(w / divisor) (IEEE fp32 division, RNE, saturate at ±6). ModelOpt's
/// _cast_fp4 takes the sign from (y < 0), so an exact -0.0 gives code 0, not 0x8.
inline std::uint8_t weight_element(float w, float divisor) noexcept {
    const float y = w / divisor;
    const std::uint8_t code = numeric::e2m1::encode(y);
    return y == 0.0f ? std::uint8_t{0} : code;
}

/// Dequantization factor of a weight block: float(s8) * G (fp32), as vLLM's dequantize_to_dtype.
constexpr float weight_dequant_factor(std::uint8_t scale_code, float global) noexcept { return numeric::e4m3::decode(scale_code) * global; }

// ---- activations: vLLM reference emulation --------------------------------------------------------

/// vLLM's quantization multiplier for activations: g = 1 / input_scale (fp32), where input_scale
/// is ModelOpt's (activation amax / 2688).
inline float activation_multiplier(float input_scale) noexcept { return 1.0f / input_scale; }

/// ModelOpt's activation global scale from a calibration amax: amax / (6 * 448).
inline float activation_input_scale(float amax) noexcept { return amax / global_divisor; }

/// Block scale code: e4m3(clamp(g * (block_amax * fp32(1/6)), -448, 448)), two fp32 products in
/// this order.
constexpr std::uint8_t activation_block_scale(float block_amax, float g) noexcept {
    constexpr float one_sixth = 1.0f / 6.0f;  // fp32(1/6) = 0x3E2AAAAB
    const float s = clamped(g * (block_amax * one_sixth), -e4m3_max, e4m3_max);
    return numeric::e4m3::encode(s);
}

/// vLLM's get_reciprocal on tensors: 1 / (t + (t == 0) * 1e8).
constexpr float reciprocal_or_tiny(float t) noexcept { return 1.0f / (t + (t == 0.0f ? 1e8f : 0.0f)); }

/// Output scale of the block: get_reciprocal(s * get_reciprocal(g)) — three fp32 roundings.
/// For s == 0 it is 1e-8: every element of the block then rounds to code 0.
constexpr float activation_output_scale(std::uint8_t scale_code, float g) noexcept {
    return reciprocal_or_tiny(numeric::e4m3::decode(scale_code) * reciprocal_or_tiny(g));
}

/// Element code: round_e2m1(clamp(x * output_scale, -6, 6)). The sign of a value that rounds to
/// zero is kept in the code (0x8); vLLM's torch.sign()-based cast yields the same -0.0 value for
/// negative inputs, so dequantized values agree exactly (as numbers).
constexpr std::uint8_t activation_element(float x, float output_scale) noexcept {
    return numeric::e2m1::encode(clamped(x * output_scale, -e2m1_max, e2m1_max));
}

/// Dequantization factor: s / g (one fp32 division); x' = e2m1(q) * factor.
constexpr float activation_dequant_factor(std::uint8_t scale_code, float g) noexcept { return numeric::e4m3::decode(scale_code) / g; }

}  // namespace microscale::format::nvfp4_rules
