// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp4.stored.simd: linear kernel, mxfp4 weights, a16 activations, scales in any stored layout, simd backend (manifest line 23).
#include "microscale/backend/simd.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>;
