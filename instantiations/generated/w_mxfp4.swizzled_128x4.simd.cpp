// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp4.swizzled_128x4.simd: linear kernel, mxfp4 weights, a16 activations, swizzled_128x4 scales, simd backend (manifest line 21).
#include "microscale/backend/simd.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::swizzled_128x4, ::microscale::backend::simd>;
