// Generic small-float codec: one definition of round-to-nearest-even for every element format.
//
// A format is described by a spec struct (exponent bits, mantissa bits, bias, what the top codes
// mean); `minifloat_codec<Spec>` turns it into `encode(float)` / `decode(code)`. The arithmetic is
// done on the integer bits of the fp32 input, so it is exact for every fp32 value (subnormals
// included), constexpr, and independent of the floating-point environment.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <string_view>

namespace microscale::numeric {

/// What an out-of-range finite value or an infinity becomes.
enum class overflow_rule {
    saturate,  ///< ±largest finite value (CUDA "satfinite"; all block-scaled element formats)
    infinity,  ///< ±inf, IEEE 754 binary16 behaviour
};

namespace detail {

constexpr float pow2(int e) noexcept {
    // Exact 2^e for e in [-149, 127], built from bits (std::ldexp is not constexpr in C++20).
    if (e >= -126) return std::bit_cast<float>(static_cast<std::uint32_t>(e + 127) << 23);
    return std::bit_cast<float>(std::uint32_t{1} << (e + 149));
}

}  // namespace detail

/// Encoder/decoder for a sign-magnitude binary float of up to 16 bits.
///
/// Spec members (all static constexpr):
///   code_type, name, exponent_bits, mantissa_bits, bias, overflow (overflow_rule),
///   max_finite_magnitude (largest finite code without the sign bit),
///   nan_code (the code NaN encodes to; for formats without NaN, the documented choice),
///   has_nan, has_inf (which magnitudes above max_finite_magnitude decode to NaN / inf).
template <class Spec>
struct minifloat_codec {
    using code_type = typename Spec::code_type;
    static constexpr std::string_view name = Spec::name;
    static constexpr int exponent_bits = Spec::exponent_bits;
    static constexpr int mantissa_bits = Spec::mantissa_bits;
    static constexpr int bias = Spec::bias;
    static constexpr int bits = 1 + exponent_bits + mantissa_bits;
    static constexpr code_type sign_mask = static_cast<code_type>(1u << (bits - 1));
    static constexpr code_type magnitude_mask = static_cast<code_type>(sign_mask - 1u);
    static constexpr code_type max_finite_code = Spec::max_finite_magnitude;
    static constexpr code_type nan_code = Spec::nan_code;
    static constexpr bool has_nan = Spec::has_nan;
    static constexpr bool has_inf = Spec::has_inf;
    static constexpr overflow_rule overflow = Spec::overflow;
    static constexpr int min_normal_exponent = 1 - bias;
    static constexpr std::uint32_t code_count = 1u << bits;

    static_assert(exponent_bits >= 1 && mantissa_bits >= 1 && bits <= 16, "minifloat: 1..16 bits with at least one exponent and one mantissa bit");
    static_assert(mantissa_bits <= 22, "minifloat: mantissa must be narrower than fp32's");

    /// Value of a code (NaN codes decode to quiet NaN, inf codes to ±inf).
    static constexpr float decode(code_type code) noexcept {
        const bool negative = (code & sign_mask) != 0;
        const std::uint32_t magnitude = code & magnitude_mask;
        float value;
        if (magnitude > max_finite_code) {
            value = is_inf_magnitude(magnitude) ? std::numeric_limits<float>::infinity() : std::numeric_limits<float>::quiet_NaN();
        } else {
            const std::uint32_t exponent_field = magnitude >> mantissa_bits;
            const std::uint32_t mantissa = magnitude & ((1u << mantissa_bits) - 1u);
            if (exponent_field == 0) {
                // subnormal: mantissa * 2^(emin - m), exact in fp32
                value = static_cast<float>(mantissa) * detail::pow2(min_normal_exponent - mantissa_bits);
            } else {
                const std::uint32_t fp32_bits =
                    (static_cast<std::uint32_t>(static_cast<int>(exponent_field) - bias + 127) << 23) | (mantissa << (23 - mantissa_bits));
                value = std::bit_cast<float>(fp32_bits);
            }
        }
        return negative ? -value : value;
    }

    /// Round to nearest, ties to even; overflow per `overflow`; sign of zero kept;
    /// NaN -> nan_code.
    static constexpr code_type encode(float x) noexcept {
        const std::uint32_t fp32_bits = std::bit_cast<std::uint32_t>(x);
        const std::uint32_t abs_bits = fp32_bits & 0x7FFF'FFFFu;
        const code_type sign = (fp32_bits >> 31) != 0 ? sign_mask : code_type{0};
        if (abs_bits > 0x7F80'0000u) return nan_code;
        if (abs_bits == 0x7F80'0000u) return overflowed(sign);

        // |x| = significand * 2^(exponent - 23)
        int exponent = static_cast<int>(abs_bits >> 23) - 127;
        std::uint32_t significand = abs_bits & 0x007F'FFFFu;
        if ((abs_bits >> 23) == 0) {
            exponent = -126;  // fp32 subnormal: no implicit bit
        } else {
            significand |= 0x0080'0000u;
        }
        // Largest exponent any code can hold (the inf/NaN binade included); beyond it: overflow.
        constexpr int top_exponent = (1 << exponent_bits) - 1 - bias;
        if (exponent > top_exponent) return overflowed(sign);

        // Quantum (spacing of representable values) in the binade of x, never below the
        // subnormal spacing 2^(emin - m).
        const int quantum_exponent = exponent < min_normal_exponent ? min_normal_exponent : exponent;
        const int shift = 23 - mantissa_bits + (quantum_exponent - exponent);
        std::uint32_t quanta = 0;  // |x| / quantum, rounded
        if (shift <= 25) {         // else |x| < quantum / 4: rounds to zero
            quanta = significand >> shift;
            const std::uint32_t remainder = significand & ((1u << shift) - 1u);
            const std::uint32_t half = 1u << (shift - 1);
            if (remainder > half || (remainder == half && (quanta & 1u) != 0)) ++quanta;
        }
        // (quantum_exponent - emin) << m plus the quanta (which carry the implicit bit) is exactly
        // the magnitude code; a carry out of the mantissa moves into the exponent field.
        const std::uint32_t magnitude = (static_cast<std::uint32_t>(quantum_exponent - min_normal_exponent) << mantissa_bits) + quanta;
        if (magnitude > max_finite_code) return overflowed(sign);
        return static_cast<code_type>(sign | magnitude);
    }

    static constexpr bool is_nan(code_type code) noexcept {
        const std::uint32_t magnitude = code & magnitude_mask;
        return magnitude > max_finite_code && !is_inf_magnitude(magnitude);
    }

    static constexpr float max_finite() noexcept { return decode(max_finite_code); }
    static constexpr float min_subnormal() noexcept { return decode(1); }
    static constexpr float min_normal() noexcept { return decode(static_cast<code_type>(1u << mantissa_bits)); }

private:
    static constexpr std::uint32_t inf_magnitude = (static_cast<std::uint32_t>(max_finite_code) + 1u);
    static constexpr bool is_inf_magnitude(std::uint32_t magnitude) noexcept { return has_inf && magnitude == inf_magnitude; }
    static constexpr code_type overflowed(code_type sign) noexcept {
        if constexpr (overflow == overflow_rule::infinity) {
            static_assert(has_inf, "overflow to infinity needs an infinity code");
            return static_cast<code_type>(sign | inf_magnitude);
        } else {
            return static_cast<code_type>(sign | max_finite_code);
        }
    }
};

}  // namespace microscale::numeric
