// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp4_a_mxfp4.swizzled_128x4.simd: linear kernel, mxfp4 weights, aq activations, swizzled_128x4 scales, simd backend (manifest line 19).
#include "microscale/backend/simd.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::swizzled_128x4, ::microscale::backend::simd>;
