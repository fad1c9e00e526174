// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_mxfp4_a_mxfp4.stored.simd: linear kernel, mxfp4 weights, aq activations, scales in any stored layout, simd backend (manifest line 22).
#include "microscale/backend/simd.hpp"

template class ::microscale::linear_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>;
