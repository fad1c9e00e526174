// generated from generators/kernels.manifest by generators/generate.py — do not edit
// moe.w_nvfp4_a_nvfp4.linear.simd: moe kernel, nvfp4 weights, aq activations, linear scales, simd backend (manifest line 48).
#include "microscale/generated/kernel_declarations.hpp"
#include "microscale/moe.hpp"

template class ::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::linear, ::microscale::backend::simd>;
