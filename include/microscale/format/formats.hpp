// Weight-format policies: what a block-scaled weight is made of.
//
//   format       element  scale  block  global scale   packing
//   nvfp4        e2m1     e4m3   16     fp32 (G)       2 codes / byte
//   mxfp4        e2m1     e8m0   32     -              2 codes / byte
//   mxfp6_e2m3   e2m3     e8m0   32     -              4 codes / 3 bytes
//   mxfp6_e3m2   e3m2     e8m0   32     -              4 codes / 3 bytes
//
// Dequantized weight: element(q) * scale(s) [* G for nvfp4]. The quantizers that produce these
// live beside them (nvfp4.hpp, mx.hpp); `block_rules<Format>::weight_factor` in quantizer.hpp is
// the one place kernels ask "what does this scale code multiply by".
#pragma once

#include <concepts>
#include <cstdint>
#include <string_view>

#include "microscale/numeric/codecs.hpp"

namespace microscale::format {

struct nvfp4 {
    static constexpr std::string_view name = "nvfp4";
    using element = numeric::e2m1;
    using scale = numeric::e4m3;
    static constexpr int block_size = 16;
    static constexpr bool has_global_scale = true;  ///< fp32 per-tensor G (weight_scale_2)
};

struct mxfp4 {
    static constexpr std::string_view name = "mxfp4";
    using element = numeric::e2m1;
    using scale = numeric::e8m0;
    static constexpr int block_size = 32;
    static constexpr bool has_global_scale = false;
};

struct mxfp6_e2m3 {
    static constexpr std::string_view name = "mxfp6_e2m3";
    using element = numeric::e2m3;
    using scale = numeric::e8m0;
    static constexpr int block_size = 32;
    static constexpr bool has_global_scale = false;
};

struct mxfp6_e3m2 {
    static constexpr std::string_view name = "mxfp6_e3m2";
    using element = numeric::e3m2;
    using scale = numeric::e8m0;
    static constexpr int block_size = 32;
    static constexpr bool has_global_scale = false;
};

/// What makes a weight-format policy.
template <class F>
concept weight_format = requires {
    { F::name } -> std::convertible_to<std::string_view>;
    typename F::element;
    typename F::scale;
    { F::block_size } -> std::convertible_to<int>;
    { F::has_global_scale } -> std::convertible_to<bool>;
    { F::element::bits } -> std::convertible_to<int>;
    { F::element::encode(0.0f) };
    { F::scale::decode(std::uint8_t{}) } -> std::convertible_to<float>;
};

/// Bits per element code.
template <weight_format F>
inline constexpr int element_bits = F::element::bits;

/// Codes per packed group: 2 per byte for 4-bit, 4 per 3 bytes for 6-bit.
template <weight_format F>
inline constexpr int codes_per_group = F::element::bits == 4 ? 2 : 4;

/// Packed bytes of one row of K elements.
template <weight_format F>
constexpr std::int64_t packed_row_bytes(std::int64_t k) noexcept {
    return (k * element_bits<F> + 7) / 8;
}

/// Scale columns of one row of K elements.
template <weight_format F>
constexpr std::int64_t scale_cols(std::int64_t k) noexcept {
    return k / F::block_size;
}

/// Calls f(Format{}) for the format named `name`; returns false if no such format.
template <class Fn>
bool visit_format(std::string_view name, Fn&& f) {
    if (name == nvfp4::name) { f(nvfp4{}); return true; }
    if (name == mxfp4::name) { f(mxfp4{}); return true; }
    if (name == mxfp6_e2m3::name) { f(mxfp6_e2m3{}); return true; }
    if (name == mxfp6_e3m2::name) { f(mxfp6_e3m2{}); return true; }
    return false;
}

inline constexpr std::string_view format_names[] = {nvfp4::name, mxfp4::name, mxfp6_e2m3::name,
                                                     mxfp6_e3m2::name};

}  // namespace microscale::format
