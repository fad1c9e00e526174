// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp4_a_mxfp4.linear.simd: linear kernel, mxfp4 weights, aq activations, linear scales, simd backend (manifest line 18).
#include "microscale/backend/simd.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::linear, ::microscale::backend::simd>;
