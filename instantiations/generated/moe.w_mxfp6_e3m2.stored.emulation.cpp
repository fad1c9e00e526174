// generated from generators/kernels.manifest by generators/generate.py — do not edit
// moe.w_mxfp6_e3m2.stored.emulation: moe kernel, mxfp6_e3m2 weights, a16 activations, scales in any stored layout, emulation backend (manifest line 63).
#include "microscale/generated/kernel_declarations.hpp"
#include "microscale/moe.hpp"

template class ::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>;
