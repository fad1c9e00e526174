// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_nvfp4_a_nvfp4.stored.simd: linear kernel, nvfp4 weights, aq activations, scales in any stored layout, simd backend (manifest line 20).
#include "microscale/backend/simd.hpp"

template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::simd>;
