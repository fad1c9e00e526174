// generated from generators/kernels.manifest by generators/generate.py — do not edit
// w_nvfp4_a_nvfp4.stored.emulation: linear kernel, nvfp4 weights, aq activations, scales in any stored layout, emulation backend (manifest line 28).
#include "microscale/backend/emulation.hpp"

template class ::microscale::linear_kernel<::microscale::format::nvfp4, ::microscale::activation::aq, ::microscale::layout::stored, ::microscale::backend::emulation>;
