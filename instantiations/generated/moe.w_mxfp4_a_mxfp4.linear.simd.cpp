// generated from generators/kernels.manifest by generators/generate.py — do not edit
// moe.w_mxfp4_a_mxfp4.linear.simd: moe kernel, mxfp4 weights, aq activations, linear scales, simd backend (manifest line 50).
#include "microscale/generated/kernel_declarations.hpp"
#include "microscale/moe.hpp"

template class ::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::linear, ::microscale::backend::simd>;
