// generated from generators/kernels.manifest by generators/generate.py — do not edit
// moe.w_mxfp6_e2m3_a_mxfp6_e2m3.stored.emulation: moe kernel, mxfp6_e2m3 weights, aq activations, scales in any stored layout, emulation backend (manifest line 60).
#include "microscale/generated/kernel_declarations.hpp"
#include "microscale/moe.hpp"

template class ::microscale::moe_kernel<::microscale::format::mxfp6_e2m3, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>;
