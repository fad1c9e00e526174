// Policies that break one rule each, for the compile-fail tests (each .cpp must not compile, and
// its error must name the rule).
#pragma once

#include "microscale/backend/emulation.hpp"
#include "microscale/kernel.hpp"

namespace bad {
namespace ms = microscale;

struct mxfp8 {  // 8-bit elements: no packing microscale defines
    static constexpr std::string_view name = "mxfp8";
    using element = ms::numeric::e4m3;
    using scale = ms::numeric::e8m0;
    static constexpr int block_size = 32;
    static constexpr bool has_global_scale = false;
};
struct mxfp6_block30 {  // 30 is not a whole number of 4-code groups
    static constexpr std::string_view name = "mxfp6_block30";
    using element = ms::numeric::e2m3;
    using scale = ms::numeric::e8m0;
    static constexpr int block_size = 30;
    static constexpr bool has_global_scale = false;
};
struct fp4_bf16_scales {  // two-byte scales
    static constexpr std::string_view name = "fp4_bf16_scales";
    using element = ms::numeric::e2m1;
    using scale = ms::numeric::bf16;
    static constexpr int block_size = 32;
    static constexpr bool has_global_scale = false;
};
struct picky_backend {  // builds nothing
    static constexpr std::string_view name = "picky";
    static ms::support is_supported() { return ms::support::yes(); }
    template <class F, class A, class L>
    static constexpr bool supports = false;
    template <class F, class A, class L>
    struct impl;
};
}  // namespace bad

template <class Kernel>
constexpr std::size_t force_instantiation() { return Kernel::name.size(); }
