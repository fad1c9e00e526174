// generated from generators/kernels.manifest by generators/generate.py — do not edit
// moe.w_nvfp4.stored.emulation: moe kernel, nvfp4 weights, a16 activations, scales in any stored layout, emulation backend (manifest line 57).
#include "microscale/generated/kernel_declarations.hpp"
#include "microscale/moe.hpp"

template class ::microscale::moe_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>;
