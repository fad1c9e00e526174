// generated from generators/kernels.manifest by generators/generate.py — do not edit
// moe.w_mxfp4_a_mxfp4.stored.emulation: moe kernel, mxfp4 weights, aq activations, scales in any stored layout, emulation backend (manifest line 58).
#include "microscale/generated/kernel_declarations.hpp"
#include "microscale/moe.hpp"

template class ::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>;
