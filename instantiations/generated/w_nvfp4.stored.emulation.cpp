// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_nvfp4.stored.emulation: linear kernel, nvfp4 weights, a16 activations, scales in any stored layout, emulation backend (manifest line 29).
#include "microscale/backend/emulation.hpp"

template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::a16, ::microscale::layout::stored, ::microscale::backend::emulation>;
