// generated from generators/kernels.manifest by generators/generate.py — do not edit
// moe.w_nvfp4.linear.emulation: moe kernel, nvfp4 weights, a16 activations, linear scales, emulation backend (manifest line 57).
#include "microscale/generated/kernel_declarations.hpp"
#include "microscale/moe.hpp"

template class ::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::linear, ::microscale::backend::emulation>;
