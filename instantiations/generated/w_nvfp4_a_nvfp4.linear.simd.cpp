// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_nvfp4_a_nvfp4.linear.simd: linear kernel, nvfp4 weights, aq activations, linear scales, simd backend (manifest line 14).
#include "microscale/backend/simd.hpp"

template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::linear, ::microscale::backend::simd>;
