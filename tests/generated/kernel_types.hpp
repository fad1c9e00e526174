// generated from generators/kernels.manifest by generators/generate.py — do not edit
// Type lists of the enabled kernels, per family, for typed GoogleTest sweeps.
#pragma once

#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

#include "microscale/generated/kernel_declarations.hpp"

namespace microscale::test {

using linear_kernel_types = boost::mp11::mp_append<
#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_simd
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_simd
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_simd
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_simd
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_simd
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_simd
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_simd
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_simd
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_emulation
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_emulation
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_emulation
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_emulation
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_emulation
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_emulation
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_emulation
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_emulation
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_cuda
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>>,
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_cuda
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_cuda
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_cuda
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_cuda
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_cuda
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_cuda
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>>,
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_cuda
    boost::mp11::mp_list<::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>>,
#endif
    boost::mp11::mp_list<>>;

using moe_kernel_types = boost::mp11::mp_append<
#if MICROSCALE_KERNEL_moe_w_nvfp4_a_nvfp4_stored_simd
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_stored_simd
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_a_mxfp4_stored_simd
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_stored_simd
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_simd
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_stored_simd
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_simd
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_stored_simd
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>>,
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_a_nvfp4_stored_emulation
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_stored_emulation
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_a_mxfp4_stored_emulation
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_stored_emulation
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_emulation
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_stored_emulation
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_emulation
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_stored_emulation
    boost::mp11::mp_list<::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>>,
#endif
    boost::mp11::mp_list<>>;

}  // namespace microscale::test
