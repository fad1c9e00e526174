// generated from generators/kernels.manifest by generators/generate.py — do not edit
// moe.w_mxfp4_a_mxfp4.linear.emulation: moe kernel, mxfp4 weights, aq activations, linear scales, emulation backend (manifest line 58).
#include "microscale/generated/kernel_declarations.hpp"
#include "microscale/moe.hpp"

template class ::microscale::moe_kernel<::microscale::format::mxfp4, ::microscale::activation::aq, ::microscale::layout::linear, ::microscale::backend::emulation>;
