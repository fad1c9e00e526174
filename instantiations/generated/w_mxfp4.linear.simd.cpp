// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp4.linear.simd: linear kernel, mxfp4 weights, a16 activations, linear scales, simd backend (manifest line 20).
#include "microscale/backend/simd.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::linear, ::microscale::backend::simd>;
