// generated from generators/kernels.manifest by generators/generate.py — do not edit
// Explicit-instantiation declarations of the kernels compiled into microscale::kernels:
// include this (instead of instantiating kernels yourself) when you link that library.
#pragma once

#include "microscale/enabled_kernels.hpp"
#include "microscale/kernel.hpp"
#include "microscale/backend/cuda.hpp"
#include "microscale/backend/emulation.hpp"
#include "microscale/backend/simd.hpp"
#include "microscale/moe.hpp"

#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_simd
extern template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_simd
extern template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_simd
extern template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_simd
extern template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_simd
extern template class ::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_simd
extern template class ::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_simd
extern template class ::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_simd
extern template class ::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_emulation
extern template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_emulation
extern template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_emulation
extern template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_emulation
extern template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_emulation
extern template class ::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_emulation
extern template class ::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_emulation
extern template class ::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_emulation
extern template class ::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_w_nvfp4_a_nvfp4_stored_cuda
extern template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>;
#endif
#if MICROSCALE_KERNEL_w_nvfp4_stored_cuda
extern template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>;
#endif
#if MICROSCALE_KERNEL_w_mxfp4_a_mxfp4_stored_cuda
extern template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>;
#endif
#if MICROSCALE_KERNEL_w_mxfp4_stored_cuda
extern template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>;
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_cuda
extern template class ::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>;
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e2m3_stored_cuda
extern template class ::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>;
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_cuda
extern template class ::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::cuda>;
#endif
#if MICROSCALE_KERNEL_w_mxfp6_e3m2_stored_cuda
extern template class ::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::cuda>;
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_a_nvfp4_stored_simd
extern template class ::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_stored_simd
extern template class ::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_a_mxfp4_stored_simd
extern template class ::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_stored_simd
extern template class ::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_simd
extern template class ::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_stored_simd
extern template class ::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_simd
extern template class ::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_stored_simd
extern template class ::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>;
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_a_nvfp4_stored_emulation
extern template class ::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_moe_w_nvfp4_stored_emulation
extern template class ::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_a_mxfp4_stored_emulation
extern template class ::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp4_stored_emulation
extern template class ::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_a_mxfp6_e2m3_stored_emulation
extern template class ::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e2m3_stored_emulation
extern template class ::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_a_mxfp6_e3m2_stored_emulation
extern template class ::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
#if MICROSCALE_KERNEL_moe_w_mxfp6_e3m2_stored_emulation
extern template class ::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>;
#endif
