// generated from generators/kernels.manifest by generators/generate.py — do not edit
// moe.w_mxfp4.stored.emulation: moe kernel, mxfp4 weights, a16 activations, scales in any stored layout, emulation backend (manifest line 59).
#include "microscale/generated/kernel_declarations.hpp"
#include "microscale/moe.hpp"

template class ::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>;
