// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_nvfp4.swizzled_128x4.simd: linear kernel, nvfp4 weights, a16 activations, swizzled_128x4 scales, simd backend (manifest line 17).
#include "microscale/backend/simd.hpp"

template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::swizzled_128x4, ::microscale::backend::simd>;
