// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp6_e3m2_a_mxfp6_e3m2.swizzled_128x4.simd: linear kernel, mxfp6_e3m2 weights, aq activations, swizzled_128x4 scales, simd backend (manifest line 27).
#include "microscale/backend/simd.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::swizzled_128x4, ::microscale::backend::simd>;
