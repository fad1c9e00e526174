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
// the one place kernels ask "what does this scale code multiply by". `all_formats` below is the one
// list of formats; code that knows a format only by name dispatches through visit_format or asks
// facts_of(name), and never compares format names itself.
#pragma once

#include <array>
#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>
#include <concepts>
#include <cstdint>
#include <stdexcept>
#include <string>
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
    {F::element::encode(0.0f)};
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

/// Bytes of one packed group (2 fp4 codes in 1 byte, 4 fp6 codes in 3 bytes).
template <weight_format F>
inline constexpr int group_bytes = codes_per_group<F>* element_bits<F> / 8;

/// Elements of a packed row of `bytes` bytes; -1 when the bytes are not whole groups.
template <weight_format F>
constexpr std::int64_t row_elements(std::int64_t bytes) noexcept {
    return bytes % group_bytes<F> == 0 ? bytes / group_bytes<F> * codes_per_group<F> : -1;
}

/// Every weight format, in the order lists and tables show them: the one list the name lists,
/// visit_format and the checkpoint layer derive from. A new format is a struct above and an
/// entry here.
using all_formats = boost::mp11::mp_list<nvfp4, mxfp4, mxfp6_e2m3, mxfp6_e3m2>;

/// Calls f(Format{}) for the format named `name`; returns false if no such format.
template <class Fn>
bool visit_format(std::string_view name, Fn&& f) {
    bool found = false;
    boost::mp11::mp_for_each<all_formats>([&](auto format) {
        if (!found && decltype(format)::name == name) {
            found = true;
            f(format);
        }
    });
    return found;
}

inline constexpr auto format_names = []<class... F>(boost::mp11::mp_list<F...>) {
    return std::array<std::string_view, sizeof...(F)>{F::name...};
}(all_formats{});

/// The format names joined with ", " (for error messages).
inline std::string format_list() {
    std::string out;
    for (const std::string_view f : format_names) out.append(out.empty() ? "" : ", ").append(f);
    return out;
}

/// What code that knows a format only by name at run time (a checkpoint's, a config's) asks of it.
struct format_facts {
    std::string_view name;
    int block_size = 0;
    bool has_global_scale = false;
    std::string_view scale_name;  ///< "e4m3", "e8m0"
    std::int64_t (*packed_row_bytes)(std::int64_t k) = nullptr;
    std::int64_t (*row_elements)(std::int64_t bytes) = nullptr;  ///< -1: not whole groups
};

template <weight_format F>
constexpr format_facts facts_of() noexcept {
    return {F::name, F::block_size, F::has_global_scale, F::scale::name, &format::packed_row_bytes<F>, &format::row_elements<F>};
}

/// The facts of format `name`; std::invalid_argument naming the known formats if there is none.
inline format_facts facts_of(std::string_view name) {
    format_facts out;
    if (!visit_format(name, [&](auto f) { out = facts_of<decltype(f)>(); }))
        throw std::invalid_argument(std::string("unknown weight format '").append(name).append("' (known: ").append(format_list()).append(")"));
    return out;
}

}  // namespace microscale::format
