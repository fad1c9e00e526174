// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_nvfp4.stored.simd: linear kernel, nvfp4 weights, a16 activations, scales in any stored layout, simd backend (manifest line 21).
#include "microscale/backend/simd.hpp"

template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>;
