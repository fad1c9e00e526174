// generated from generators/kernels.manifest by generators/generate.py — do not edit
// moe.w_mxfp6_e3m2_a_mxfp6_e3m2.stored.emulation: moe kernel, mxfp6_e3m2 weights, aq activations, scales in any stored layout, emulation backend (manifest line 62).
#include "microscale/generated/kernel_declarations.hpp"
#include "microscale/moe.hpp"

template class ::microscale::moe_kernel<::microscale::format::mxfp6_e3m2, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>;
