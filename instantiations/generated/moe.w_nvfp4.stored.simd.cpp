// generated from generators/kernels.manifest by generators/generate.py — do not edit
// moe.w_nvfp4.stored.simd: moe kernel, nvfp4 weights, a16 activations, scales in any stored layout, simd backend (manifest line 49).
#include "microscale/generated/kernel_declarations.hpp"
#include "microscale/moe.hpp"

template class ::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::simd>;
