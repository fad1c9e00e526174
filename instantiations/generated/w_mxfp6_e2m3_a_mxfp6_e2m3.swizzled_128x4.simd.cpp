// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp6_e2m3_a_mxfp6_e2m3.swizzled_128x4.simd: linear kernel, mxfp6_e2m3 weights, aq activations, swizzled_128x4 scales, simd backend (manifest line 23).
#include "microscale/backend/simd.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::swizzled_128x4, ::microscale::backend::simd>;
