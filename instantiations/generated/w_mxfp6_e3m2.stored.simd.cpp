// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp6_e3m2.stored.simd: linear kernel, mxfp6_e3m2 weights, a16 activations, scales in any stored layout, simd backend (manifest line 27).
#include "microscale/backend/simd.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>;
