// Activation quantization for the avx512 tier: the block rules of format/nvfp4.hpp and format/mx.hpp,
// vectorized, producing exactly the codes and factors of the scalar reference (tested against it
// bit for bit). Included only by instantiations/simd/avx512.cpp.
//
// Everything lives in namespace avx512 and is written for 16 fp32 lanes: a vector RNE encoder of
// any small float (the integer algorithm of numeric/minifloat.hpp), a vector decoder, and the two
// block-scale rules (NVFP4: vLLM's e4m3 block scales from a global multiplier; MX: the "even" or
// "floor" E8M0 rule).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "microscale/backend/simd/packed.hpp"
#include "microscale/detail/threads.hpp"

namespace microscale::backend::simd_isa::avx512 {

/// Constants of one small-float format, as vectors.
struct float_format {
    int exponent_bits, mantissa_bits, bias;
    std::uint32_t max_finite;  ///< largest finite magnitude code
    std::uint32_t nan_code;

    template <class Codec>
    static constexpr float_format of() noexcept {
        return {Codec::exponent_bits, Codec::mantissa_bits, Codec::bias, Codec::max_finite_code, Codec::nan_code};
    }
};

/// Round to nearest even, saturating, sign of zero kept; NaN -> nan_code. Codes in 32-bit lanes.
inline __m512i encode(__m512 x, const float_format& f) noexcept {
    const int emin = 1 - f.bias, top = (1 << f.exponent_bits) - 1 - f.bias, m = f.mantissa_bits;
    const __m512i bits = _mm512_castps_si512(x);
    const __m512i abs = _mm512_and_si512(bits, _mm512_set1_epi32(0x7FFFFFFF));
    const __m512i sign = _mm512_slli_epi32(_mm512_srli_epi32(bits, 31), f.exponent_bits + m);
    const __mmask16 is_nan = _mm512_cmpgt_epu32_mask(abs, _mm512_set1_epi32(0x7F800000));
    const __m512i field = _mm512_srli_epi32(abs, 23);
    const __mmask16 normal = _mm512_test_epi32_mask(field, field);
    const __m512i exponent = _mm512_mask_blend_epi32(normal, _mm512_set1_epi32(-126), _mm512_sub_epi32(field, _mm512_set1_epi32(127)));
    const __m512i significand = _mm512_mask_or_epi32(_mm512_and_si512(abs, _mm512_set1_epi32(0x7FFFFF)), normal,
                                                     _mm512_and_si512(abs, _mm512_set1_epi32(0x7FFFFF)), _mm512_set1_epi32(0x800000));
    const __mmask16 too_big = _mm512_cmpgt_epi32_mask(exponent, _mm512_set1_epi32(top));  // inf included
    const __m512i quantum = _mm512_max_epi32(exponent, _mm512_set1_epi32(emin));
    const __m512i shift = _mm512_add_epi32(_mm512_set1_epi32(23 - m), _mm512_sub_epi32(quantum, exponent));
    const __mmask16 rounds_to_zero = _mm512_cmpgt_epi32_mask(shift, _mm512_set1_epi32(25));
    __m512i quanta = _mm512_srlv_epi32(significand, shift);
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i remainder = _mm512_and_si512(significand, _mm512_sub_epi32(_mm512_sllv_epi32(one, shift), one));
    const __m512i half = _mm512_sllv_epi32(one, _mm512_sub_epi32(shift, one));
    const __mmask16 above = _mm512_cmpgt_epi32_mask(remainder, half);
    const __mmask16 tie_odd = _mm512_cmpeq_epi32_mask(remainder, half) & _mm512_test_epi32_mask(quanta, one);
    const __mmask16 up = (above | tie_odd) & static_cast<__mmask16>(~rounds_to_zero);
    quanta = _mm512_mask_add_epi32(_mm512_maskz_mov_epi32(static_cast<__mmask16>(~rounds_to_zero), quanta), up, quanta, one);
    __m512i magnitude = _mm512_add_epi32(_mm512_slli_epi32(_mm512_sub_epi32(quantum, _mm512_set1_epi32(emin)), m), quanta);
    const __mmask16 overflow = too_big | _mm512_cmpgt_epu32_mask(magnitude, _mm512_set1_epi32(static_cast<int>(f.max_finite)));
    magnitude = _mm512_mask_mov_epi32(magnitude, overflow, _mm512_set1_epi32(static_cast<int>(f.max_finite)));
    return _mm512_mask_mov_epi32(_mm512_or_si512(sign, magnitude), is_nan, _mm512_set1_epi32(static_cast<int>(f.nan_code)));
}

/// Value of finite codes (32-bit lanes), exact.
inline __m512 decode(__m512i code, const float_format& f) noexcept {
    const int m = f.mantissa_bits;
    const __m512i magnitude_bits = _mm512_set1_epi32((1 << (f.exponent_bits + m)) - 1);
    const __m512i magnitude = _mm512_and_si512(code, magnitude_bits);
    const __m512i field = _mm512_srli_epi32(magnitude, m);
    const __m512i mantissa = _mm512_and_si512(magnitude, _mm512_set1_epi32((1 << m) - 1));
    const __mmask16 normal = _mm512_test_epi32_mask(field, field);
    const __m512 normal_value = _mm512_castsi512_ps(
        _mm512_or_si512(_mm512_slli_epi32(_mm512_add_epi32(field, _mm512_set1_epi32(127 - f.bias)), 23), _mm512_slli_epi32(mantissa, 23 - m)));
    const __m512 subnormal_value = _mm512_scalef_ps(_mm512_cvtepi32_ps(mantissa), _mm512_set1_ps(static_cast<float>(1 - f.bias - m)));
    const __m512 value = _mm512_mask_blend_ps(normal, subnormal_value, normal_value);
    const __mmask16 negative = _mm512_test_epi32_mask(code, _mm512_set1_epi32(1 << (f.exponent_bits + m)));
    return _mm512_mask_sub_ps(value, negative, _mm512_setzero_ps(), value);
}

/// Maximum of |x| over each of n_blocks consecutive blocks (16 or 32 elements), in lanes.
inline __m512 block_amax(const float* x, int block, int n_blocks) noexcept {
    alignas(64) float out[16] = {};
    const __m512 abs_mask = _mm512_castsi512_ps(_mm512_set1_epi32(0x7FFFFFFF));
    for (int b = 0; b < n_blocks; ++b) {
        __m512 v = _mm512_and_ps(_mm512_loadu_ps(x + b * block), abs_mask);
        if (block == 32) v = _mm512_max_ps(v, _mm512_and_ps(_mm512_loadu_ps(x + b * block + 16), abs_mask));
        out[b] = _mm512_reduce_max_ps(v);
    }
    return _mm512_load_ps(out);
}

/// Quantizes one row; codes as integers into `out`, one factor per block.
inline void quantize_row(const quantize_call& c, const float* x, std::byte* out, float* factors) noexcept {
    const float_format element = c.element == element_kind::e2m1   ? float_format::of<numeric::e2m1>()
                                 : c.element == element_kind::e2m3 ? float_format::of<numeric::e2m3>()
                                                                   : float_format::of<numeric::e3m2>();
    const float_format e4m3 = float_format::of<numeric::e4m3>();
    const float multiplier = static_cast<float>(int_multiplier(c.element));
    const int block = static_cast<int>(c.block);
    for (std::int64_t b0 = 0; b0 < c.blocks; b0 += 16) {
        const int n = static_cast<int>(c.blocks - b0 < 16 ? c.blocks - b0 : 16);
        const __mmask16 lanes = static_cast<__mmask16>((1u << n) - 1u);
        const __m512 amax = block_amax(x + b0 * block, block, n);
        __m512 element_scale, factor;  // per block: multiply elements by element_scale; dequant factor
        if (c.nvfp4) {
            // s = e4m3(clamp(g * (amax * fp32(1/6)), -448, 448)); os = 1 / (s * (1/g)) (1e8 guard); factor = s / g
            const __m512 g = _mm512_set1_ps(c.g);
            __m512 s = _mm512_mul_ps(g, _mm512_mul_ps(amax, _mm512_set1_ps(1.0f / 6.0f)));
            s = _mm512_min_ps(_mm512_max_ps(s, _mm512_set1_ps(-448.0f)), _mm512_set1_ps(448.0f));
            const __m512 s8 = decode(encode(s, e4m3), e4m3);
            const __m512 t = _mm512_mul_ps(s8, _mm512_set1_ps(1.0f / c.g));
            const __m512 guarded = _mm512_mask_add_ps(t, _mm512_cmpeq_ps_mask(t, _mm512_setzero_ps()), t, _mm512_set1_ps(1e8f));
            element_scale = _mm512_div_ps(_mm512_set1_ps(1.0f), guarded);
            factor = _mm512_div_ps(s8, g);
        } else {
            // E = clamp(exponent(amax, rounded up near the next power of two for "even") - emax, -127, 127)
            __m512i bits = _mm512_castps_si512(amax);
            if (!c.floor_rule)
                bits = _mm512_and_si512(_mm512_add_epi32(bits, _mm512_set1_epi32(1 << (22 - element.mantissa_bits))),
                                        _mm512_set1_epi32(static_cast<int>(0xFF800000u)));
            const int emax = (1 << element.exponent_bits) - 1 - element.bias;
            __m512i e = _mm512_sub_epi32(_mm512_srli_epi32(bits, 23), _mm512_set1_epi32(127 + emax));
            e = _mm512_min_epi32(_mm512_max_epi32(e, _mm512_set1_epi32(-127)), _mm512_set1_epi32(127));
            e = _mm512_mask_mov_epi32(e, _mm512_cmpeq_ps_mask(amax, _mm512_setzero_ps()), _mm512_set1_epi32(-127));
            const __m512 ef = _mm512_cvtepi32_ps(e);
            element_scale = _mm512_sub_ps(_mm512_setzero_ps(), ef);  // scalef exponent -E
            factor = _mm512_scalef_ps(_mm512_set1_ps(1.0f), ef);     // 2^E
        }
        _mm512_mask_storeu_ps(factors + b0, lanes, factor);
        alignas(64) float scales[16];
        _mm512_store_ps(scales, element_scale);
        for (int b = 0; b < n; ++b) {
            for (int h = 0; h < block; h += 16) {
                const std::int64_t at = (b0 + b) * block + h;
                __m512 y = _mm512_loadu_ps(x + at);
                if (c.nvfp4) {
                    y = _mm512_mul_ps(y, _mm512_set1_ps(scales[b]));
                    y = _mm512_min_ps(_mm512_max_ps(y, _mm512_set1_ps(-6.0f)), _mm512_set1_ps(6.0f));
                } else {
                    y = _mm512_scalef_ps(y, _mm512_set1_ps(scales[b]));  // x * 2^-E, exact as the reference's product
                }
                const __m512i value = _mm512_cvtps_epi32(_mm512_mul_ps(decode(encode(y, element), element), _mm512_set1_ps(multiplier)));
                if (c.element == element_kind::e2m1) {
                    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + at),
                                     _mm512_cvtepi32_epi8(_mm512_add_epi32(value, _mm512_set1_epi32(int8_activation_offset))));
                } else {
                    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 2 * at), _mm512_cvtepi32_epi16(value));
                }
            }
        }
    }
}

inline void quantize(const quantize_call& c) {
    detail::parallel_rows(c.m, c.k, c.threads,
                          [&](std::int64_t r) { quantize_row(c, c.x + r * c.x_stride, c.out + r * c.out_row_bytes, c.factors + r * c.blocks); });
}

}  // namespace microscale::backend::simd_isa::avx512
